//! Query functions, one module per table. Each takes `&mut AsyncPgConnection`.

pub mod api_tokens;
pub mod channel_tests;
pub mod channels;
pub mod checks;
pub mod deliveries;
pub mod feed_tokens;
pub mod notifications;
pub mod outbox;
pub mod password_resets;
pub mod prices;
pub mod products;
pub mod schedules;
pub mod users;
pub mod watch_views;
pub mod watches;

/// A page request, already validated (page ≥ 1, 1 ≤ per_page ≤ max).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// True when a diesel error is a unique-constraint violation.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
