//! "Send a test" of a channel: one row per test message, sent by the
//! notifier like a delivery (`pending` → `sending` → `sent`, or `failed`).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::models::ChannelTest;
use crate::schema::channel_tests;

/// Asks for a test of the channel: a new pending row, or the test of the
/// channel that is still pending or sending (at most one at a time, by a
/// unique partial index), so that asking again sends nothing twice.
pub async fn request(conn: &mut AsyncPgConnection, channel_id: Uuid) -> QueryResult<ChannelTest> {
    let inserted = diesel::insert_into(channel_tests::table)
        .values((
            channel_tests::id.eq(Uuid::new_v4()),
            channel_tests::channel_id.eq(channel_id),
        ))
        .on_conflict(channel_tests::channel_id)
        .filter_target(channel_tests::status.eq_any(["pending", "sending"]))
        .do_nothing()
        .returning(ChannelTest::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    match inserted {
        Some(test) => Ok(test),
        None => {
            channel_tests::table
                .filter(channel_tests::channel_id.eq(channel_id))
                .filter(channel_tests::status.eq_any(["pending", "sending"]))
                .select(ChannelTest::as_select())
                .first(conn)
                .await
        }
    }
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
