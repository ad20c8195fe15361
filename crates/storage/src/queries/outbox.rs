//! The channels' two outboxes, `deliveries` (an alert to a channel) and
//! `channel_tests` (a channel's test message): their rows move the same way,
//! 'pending' → 'sending' (claimed) → 'sent', back to 'pending' for a retry
//! or a postponement, or to 'failed', and every move is written here once,
//! for either table. Each update of a claimed row applies only while it is
//! still 'sending', and says whether it did: `false` when the claim was lost
//! (taken over as stale).

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// One of the two tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbox {
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

/// The receiver accepted it.
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    outbox: Outbox,
    id: Uuid,
) -> QueryResult<bool> {
    let table = outbox.table();
    let updated = diesel::sql_query(format!(
        "UPDATE {table}
         SET status = 'sent', sent_at = now(), claimed_at = NULL, last_error = NULL
         WHERE id = $1 AND status = 'sending'"
    ))
    .bind::<sql_types::Uuid, _>(id)
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// Back to 'pending' until `at`, with the reason of the failed attempt and
/// the targets reached so far (not sent to again).
pub async fn retry_at(
    conn: &mut AsyncPgConnection,
    outbox: Outbox,
    id: Uuid,
    reason: &str,
    at: DateTime<Utc>,
    targets_done: &[i32],
) -> QueryResult<bool> {
    let table = outbox.table();
    let updated = diesel::sql_query(format!(
        "UPDATE {table}
         SET status = 'pending', next_attempt_at = $3, claimed_at = NULL,
             last_error = $2, targets_done = $4
         WHERE id = $1 AND status = 'sending'"
    ))
    .bind::<sql_types::Uuid, _>(id)
    .bind::<sql_types::Text, _>(reason)
    .bind::<sql_types::Timestamptz, _>(at)
    .bind::<sql_types::Array<sql_types::Integer>, _>(targets_done)
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// Back to 'pending' until `at` without using up the attempt (the channel's
/// rate limit, not a failure).
pub async fn postpone(
    conn: &mut AsyncPgConnection,
    outbox: Outbox,
    id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let table = outbox.table();
    let updated = diesel::sql_query(format!(
        "UPDATE {table}
         SET status = 'pending', next_attempt_at = $2, claimed_at = NULL,
             attempts = attempts - 1
         WHERE id = $1 AND status = 'sending'"
    ))
    .bind::<sql_types::Uuid, _>(id)
    .bind::<sql_types::Timestamptz, _>(at)
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// Given up (the dead letter): 'failed' with the reason.
pub async fn mark_failed(
    conn: &mut AsyncPgConnection,
    outbox: Outbox,
    id: Uuid,
    reason: &str,
) -> QueryResult<bool> {
    let table = outbox.table();
    let updated = diesel::sql_query(format!(
        "UPDATE {table}
         SET status = 'failed', claimed_at = NULL, last_error = $2
         WHERE id = $1 AND status = 'sending'"
    ))
    .bind::<sql_types::Uuid, _>(id)
    .bind::<sql_types::Text, _>(reason)
    .execute(conn)
    .await?;
    Ok(updated > 0)
}
