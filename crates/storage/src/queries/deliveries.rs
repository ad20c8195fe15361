//! The notifier's outbox of channel deliveries: one row per (alert, channel),
//! written by `record_check`. A row is claimed ('pending' → 'sending') with
//! `FOR UPDATE SKIP LOCKED`, so replicas never take the same one; a 'sending'
//! row whose claim is older than the stale timeout belonged to a notifier
//! that died and is claimed again. A delivery's id never changes: it is the
//! webhook's `webhook-id` and Matrix's transaction id on every retry.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::outbox::{self, Outbox};
use crate::models::Delivery;
use crate::schema::deliveries;

/// A delivery just claimed: `attempts` counts this one.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    pub notification_id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    pub channel_id: Uuid,
    #[diesel(sql_type = sql_types::Integer)]
    pub attempts: i32,
    /// Indices of the channel's targets already reached.
    #[diesel(sql_type = sql_types::Array<sql_types::Integer>)]
    pub targets_done: Vec<i32>,
}

/// Claims up to `limit` deliveries that are due, or whose 'sending' claim is
/// older than `stale_after`: they become 'sending', `claimed_at` = now,
/// `attempts` + 1.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    limit: i64,
    stale_after: chrono::Duration,
) -> QueryResult<Vec<Claimed>> {
    outbox::claim_due(conn, Outbox::Deliveries, limit, stale_after).await
}

/// Deliveries to the channel sent since `since`, and the oldest of them.
pub async fn sent_since(
    conn: &mut AsyncPgConnection,
    channel_id: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<(i64, Option<DateTime<Utc>>)> {
    deliveries::table
        .filter(deliveries::channel_id.eq(channel_id))
        .filter(deliveries::sent_at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(deliveries::sent_at),
        ))
        .first(conn)
        .await
}

/// Locks the notification's row until the transaction ends. Deliveries of
/// one alert that record their outcome in transactions take it first, so
/// they commit one after the other and the last one's
/// [`finish_notification`] sees every other outcome.
pub async fn lock_notification(
    conn: &mut AsyncPgConnection,
    notification_id: Uuid,
) -> QueryResult<()> {
    crate::schema::notifications::table
        .find(notification_id)
        .select(crate::schema::notifications::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()?;
    Ok(())
}

/// Once every delivery of a 'delivering' notification is finished, the
/// notification becomes 'sent' (one delivery or more sent, `sent_at` the
/// first of them) or 'failed'. Returns the new status, if it changed.
pub async fn finish_notification(
    conn: &mut AsyncPgConnection,
    notification_id: Uuid,
) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::Text)]
        status: String,
    }
    let row: Option<Row> = diesel::sql_query(
        "UPDATE notifications n SET
             status = CASE WHEN s.sent > 0 THEN 'sent' ELSE 'failed' END,
             sent_at = s.first_sent,
             last_error = CASE WHEN s.sent > 0 THEN NULL ELSE s.last_error END
         FROM (SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
                      count(*) FILTER (WHERE status IN ('pending', 'sending')) AS open,
                      min(sent_at) AS first_sent,
                      max(last_error) FILTER (WHERE status = 'failed') AS last_error
               FROM deliveries WHERE notification_id = $1) s
         WHERE n.id = $1 AND n.status = 'delivering' AND s.open = 0
         RETURNING n.status",
    )
    .bind::<sql_types::Uuid, _>(notification_id)
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| r.status))
}

/// Every delivery of a notification (tests, the api).
pub async fn for_notification(
    conn: &mut AsyncPgConnection,
    notification_id: Uuid,
) -> QueryResult<Vec<Delivery>> {
    deliveries::table
        .filter(deliveries::notification_id.eq(notification_id))
        .order(deliveries::created_at.asc())
        .select(Delivery::as_select())
        .load(conn)
        .await
}
