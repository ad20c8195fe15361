//! Rows as diesel reads and writes them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::schema::{
    api_tokens, channel_tests, channels, deliveries, notifications, price_history, products,
    schedules, users, watches,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A user's saved language and time zone (`None`: follow the browser; an
/// email is then in English, with times in UTC). Validated by the api before
/// they are stored: a language of the catalogue, an IANA zone name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable, AsChangeset)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct Preferences {
    pub language: Option<String>,
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products, check_for_backend(diesel::pg::Pg))]
pub struct Product {
    pub id: Uuid,
    pub url: String,
    pub host: String,
    pub title: Option<String>,
    pub image_url: Option<String>,
    pub last_price: Option<Decimal>,
    pub currency: Option<String>,
    pub in_stock: Option<bool>,
    pub check_status: String,
    pub check_error: Option<String>,
    pub extraction_method: Option<String>,
    pub consecutive_failures: i32,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub check_interval_hours: Option<i32>,
    pub next_check_at: DateTime<Utc>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub unconfirmed_price: Option<Decimal>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether structured data and the visible page showed the same amount
    /// at the last recorded price.
    pub sources_agree: Option<bool>,
    /// Why the last recorded price won over the others, in a sentence.
    pub extraction_decision: Option<String>,
    /// `auto`, `http` or `browser`: the strongest of its active watches'.
    pub fetch_mode: String,
    /// An `auto` check found the price only in the rendered page.
    pub needs_browser: bool,
    /// How the last check fetched the page: `http` or `browser`.
    pub fetched_with: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = watches, check_for_backend(diesel::pg::Pg))]
pub struct Watch {
    pub id: Uuid,
    pub user_id: Uuid,
    pub product_id: Uuid,
    pub target_price: Decimal,
    pub frequency_hours: i32,
    pub active: bool,
    pub css_selector: Option<String>,
    pub armed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Lower-case, sorted, without duplicates (`pricewatch_domain::tag`).
    pub tags: Vec<String>,
    /// `auto`, `http` or `browser` (`pricewatch_domain::fetch_mode`).
    pub fetch_mode: String,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = watches)]
pub struct WatchChanges {
    pub target_price: Option<Decimal>,
    pub frequency_hours: Option<i32>,
    pub active: Option<bool>,
    pub css_selector: Option<Option<String>>,
    pub armed: Option<bool>,
    pub tags: Option<Vec<String>>,
    /// `auto`, `http` or `browser`; the product's mode follows (a trigger).
    pub fetch_mode: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = price_history, check_for_backend(diesel::pg::Pg))]
pub struct PricePoint {
    pub id: i64,
    pub product_id: Uuid,
    pub job_id: Uuid,
    pub amount: Decimal,
    pub currency: String,
    pub in_stock: Option<bool>,
    pub observed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications, check_for_backend(diesel::pg::Pg))]
pub struct Notification {
    pub id: Uuid,
    pub watch_id: Uuid,
    pub user_id: Uuid,
    pub product_id: Uuid,
    pub price_history_id: i64,
    pub old_price: Option<Decimal>,
    pub new_price: Decimal,
    pub currency: String,
    pub target_price: Decimal,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The kinds of the rules that fired (`below_target`, `percent_drop`…).
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = schedules, check_for_backend(diesel::pg::Pg))]
pub struct Schedule {
    pub name: String,
    pub interval_hours: i32,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_run_jobs: i64,
    pub next_run_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::pg::Pg))]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// SHA-256 of the token; the token itself is never stored.
    pub token_hash: Vec<u8>,
    /// The token's first characters (`pw_` and a few more), to tell tokens apart.
    pub prefix: String,
    /// `read`, `write`, or both.
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A watch's alerting: its rules (`None`: the target rule alone), their
/// states, its cooldown and its last alert.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = watches, check_for_backend(diesel::pg::Pg))]
pub struct WatchAlerting {
    pub id: Uuid,
    pub rules: Option<serde_json::Value>,
    pub rule_state: serde_json::Value,
    pub cooldown_minutes: i32,
    pub last_alert_at: Option<DateTime<Utc>>,
}

/// A user's notification channel. `sealed` holds the URL and a webhook's
/// signing secret, encrypted ([`crate::sealed`]).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = channels, check_for_backend(diesel::pg::Pg))]
pub struct ChannelRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub name: String,
    pub redacted_url: String,
    pub sealed: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One alert to one channel: the notifier's outbox row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deliveries, check_for_backend(diesel::pg::Pg))]
pub struct Delivery {
    pub id: Uuid,
    pub notification_id: Uuid,
    pub channel_id: Uuid,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A "send a test" of one channel: a fixed test message, no alert behind it.
/// Sent by the notifier like a [`Delivery`] (pending → sending → sent, or
/// failed); at most one of a channel is pending or sending at a time.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = channel_tests, check_for_backend(diesel::pg::Pg))]
pub struct ChannelTest {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}
