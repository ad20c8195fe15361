//! "Send a test" of a channel: one row per test message, sent by the
//! notifier like a delivery (`pending` → `sending` → `sent`, or `failed`).

use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::outbox::{self, Outbox};
use crate::models::ChannelTest;
use crate::schema::channel_tests;

/// Asks for a test of the channel: a new pending row, or the test of the
/// channel that is still pending or sending (at most one at a time, by a
/// unique partial index), so that asking again sends nothing twice.
pub async fn request(conn: &mut AsyncPgConnection, channel_id: Uuid) -> QueryResult<ChannelTest> {
    // The open test may finish between an insert that did nothing and the
    // look-up: then there is room for a new one, so insert again.
    loop {
        let inserted = diesel::insert_into(channel_tests::table)
            .values((
                channel_tests::id.eq(Uuid::new_v4()),
                channel_tests::channel_id.eq(channel_id),
            ))
            .on_conflict(channel_tests::channel_id)
            // Written as the index's own predicate, never as bound values:
            // from the sixth run of a prepared statement PostgreSQL plans it
            // generically, cannot prove that `status = ANY($1)` implies the
            // partial index's predicate, and refuses the ON CONFLICT.
            .filter_target(diesel::dsl::sql::<sql_types::Bool>(
                "status IN ('pending', 'sending')",
            ))
            .do_nothing()
            .returning(ChannelTest::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        if let Some(test) = inserted {
            return Ok(test);
        }
        let open = channel_tests::table
            .filter(channel_tests::channel_id.eq(channel_id))
            .filter(channel_tests::status.eq_any(["pending", "sending"]))
            .select(ChannelTest::as_select())
            .first(conn)
            .await
            .optional()?;
        if let Some(test) = open {
            return Ok(test);
        }
    }
}

/// A test just claimed: `attempts` counts this one.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    pub channel_id: Uuid,
    #[diesel(sql_type = sql_types::Integer)]
    pub attempts: i32,
    /// Indices of the channel's targets already reached.
    #[diesel(sql_type = sql_types::Array<sql_types::Integer>)]
    pub targets_done: Vec<i32>,
}

/// Claims up to `limit` tests that are due, or whose 'sending' claim is
/// older than `stale_after`, as [`crate::queries::deliveries::claim_due`]
/// claims deliveries.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    limit: i64,
    stale_after: chrono::Duration,
) -> QueryResult<Vec<Claimed>> {
    outbox::claim_due(conn, Outbox::ChannelTests, limit, stale_after).await
}

/// The channel's latest test, if any.
pub async fn latest(
    conn: &mut AsyncPgConnection,
    channel_id: Uuid,
) -> QueryResult<Option<ChannelTest>> {
    channel_tests::table
        .filter(channel_tests::channel_id.eq(channel_id))
        .order((channel_tests::created_at.desc(), channel_tests::id.desc()))
        .select(ChannelTest::as_select())
        .first(conn)
        .await
        .optional()
}
