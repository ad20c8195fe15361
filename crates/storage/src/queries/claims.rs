//! Claiming due rows of the channels' two outboxes, `deliveries` and
//! `channel_tests`: both hold rows that move 'pending' → 'sending' (claimed)
//! → 'sent', back to 'pending' for a retry, or to 'failed', and both are
//! claimed the same way, here.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A table whose rows are claimed by [`claim_due`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outbox {
    Deliveries,
    ChannelTests,
}

impl Outbox {
    fn table(self) -> &'static str {
        match self {
            Outbox::Deliveries => "deliveries",
            Outbox::ChannelTests => "channel_tests",
        }
    }
}

/// Claims up to `limit` rows of `outbox` that are due ('pending' whose
/// `next_attempt_at` has come), or whose 'sending' claim is older than
/// `stale_after` (the notifier that held it died): they become 'sending',
/// `claimed_at` = now, `attempts` + 1. `FOR UPDATE SKIP LOCKED`, so two
/// notifiers never take the same row. Each row comes back whole; `T` picks
/// the columns it names.
pub(crate) async fn claim_due<T>(
    conn: &mut AsyncPgConnection,
    outbox: Outbox,
    limit: i64,
    stale_after: chrono::Duration,
) -> QueryResult<Vec<T>>
where
    T: QueryableByName<Pg> + Send + 'static,
{
    let stale_seconds = stale_after.num_milliseconds() as f64 / 1000.0;
    let table = outbox.table();
    diesel::sql_query(format!(
        "UPDATE {table} t
         SET status = 'sending', claimed_at = now(), attempts = t.attempts + 1
         WHERE t.id IN (
             SELECT id FROM {table}
             WHERE (status = 'pending' AND next_attempt_at <= now())
                OR (status = 'sending'
                    AND claimed_at < now() - make_interval(secs => $2))
             ORDER BY next_attempt_at
             LIMIT $1
             FOR UPDATE SKIP LOCKED)
         RETURNING t.*"
    ))
    .bind::<sql_types::BigInt, _>(limit)
    .bind::<sql_types::Double, _>(stale_seconds)
    .load(conn)
    .await
}
