//! A user's notification channels, and the channels a watch names.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::models::ChannelRow;
use crate::schema::{channels, deliveries, watch_channels, watches};

pub async fn insert(conn: &mut AsyncPgConnection, channel: &ChannelRow) -> QueryResult<ChannelRow> {
    diesel::insert_into(channels::table)
        .values(channel)
        .returning(ChannelRow::as_returning())
        .get_result(conn)
        .await
}

/// The user's channels, oldest first.
pub async fn list_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> QueryResult<Vec<ChannelRow>> {
    channels::table
        .filter(channels::user_id.eq(user_id))
        .order((channels::created_at.asc(), channels::id.asc()))
        .select(ChannelRow::as_select())
        .load(conn)
        .await
}

/// How many channels the user has.
pub async fn count_for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<i64> {
    channels::table
        .filter(channels::user_id.eq(user_id))
        .count()
        .get_result(conn)
        .await
}

/// The user's own channel; another user's reads as absent.
pub async fn find_for_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<ChannelRow>> {
    channels::table
        .filter(channels::id.eq(id))
        .filter(channels::user_id.eq(user_id))
        .select(ChannelRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Any channel by id (the notifier, delivering).
pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<ChannelRow>> {
    channels::table
        .find(id)
        .select(ChannelRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Renames the user's channel, or replaces its URL (`kind`, `redacted_url`,
/// `sealed` together); `None` leaves a part as it is.
pub async fn update_for_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
    name: Option<&str>,
    url: Option<(&str, &str, &[u8])>,
) -> QueryResult<Option<ChannelRow>> {
    let target = channels::table
        .filter(channels::id.eq(id))
        .filter(channels::user_id.eq(user_id));
    let now = Utc::now();
    let query = diesel::update(target);
    let result = match (name, url) {
        (Some(name), Some((kind, redacted, sealed))) => {
            query
                .set((
                    channels::name.eq(name),
                    channels::kind.eq(kind),
                    channels::redacted_url.eq(redacted),
                    channels::sealed.eq(sealed),
                    channels::updated_at.eq(now),
                ))
                .returning(ChannelRow::as_returning())
                .get_result(conn)
                .await
        }
        (Some(name), None) => {
            query
                .set((channels::name.eq(name), channels::updated_at.eq(now)))
                .returning(ChannelRow::as_returning())
                .get_result(conn)
                .await
        }
        (None, Some((kind, redacted, sealed))) => {
            query
                .set((
                    channels::kind.eq(kind),
                    channels::redacted_url.eq(redacted),
                    channels::sealed.eq(sealed),
                    channels::updated_at.eq(now),
                ))
                .returning(ChannelRow::as_returning())
                .get_result(conn)
                .await
        }
        (None, None) => return find_for_user(conn, id, user_id).await,
    };
    result.optional()
}

/// Deletes the user's channel (its watches' choices and its deliveries go
/// with it); returns whether it existed.
pub async fn delete_for_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
) -> QueryResult<bool> {
    let deleted = diesel::delete(
        channels::table
            .filter(channels::id.eq(id))
            .filter(channels::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// Which of `ids` are not channels of the user (to refuse them).
pub async fn not_owned(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    ids: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    let owned: Vec<Uuid> = channels::table
        .filter(channels::user_id.eq(user_id))
        .filter(channels::id.eq_any(ids))
        .select(channels::id)
        .load(conn)
        .await?;
    Ok(ids
        .iter()
        .filter(|id| !owned.contains(id))
        .copied()
        .collect())
}

/// The channels a watch names (none: all its user's), in a stable order.
pub async fn for_watch(conn: &mut AsyncPgConnection, watch_id: Uuid) -> QueryResult<Vec<Uuid>> {
    watch_channels::table
        .filter(watch_channels::watch_id.eq(watch_id))
        .order(watch_channels::channel_id.asc())
        .select(watch_channels::channel_id)
        .load(conn)
        .await
}

/// The channels each of these watches names.
pub async fn for_watches(
    conn: &mut AsyncPgConnection,
    watch_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, Uuid)>> {
    watch_channels::table
        .filter(watch_channels::watch_id.eq_any(watch_ids))
        .order((
            watch_channels::watch_id.asc(),
            watch_channels::channel_id.asc(),
        ))
        .select((watch_channels::watch_id, watch_channels::channel_id))
        .load(conn)
        .await
}

/// Replaces the channels a watch names (the caller checked they are its
/// user's). Run it in the transaction that changes the watch.
pub async fn set_for_watch(
    conn: &mut AsyncPgConnection,
    watch_id: Uuid,
    channel_ids: &[Uuid],
) -> QueryResult<()> {
    diesel::delete(watch_channels::table.filter(watch_channels::watch_id.eq(watch_id)))
        .execute(conn)
        .await?;
    if channel_ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = channel_ids
        .iter()
        .map(|&channel_id| {
            (
                watch_channels::watch_id.eq(watch_id),
                watch_channels::channel_id.eq(channel_id),
            )
        })
        .collect();
    diesel::insert_into(watch_channels::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the watch belongs to the user (to name channels for it).
pub async fn watch_is_users(
    conn: &mut AsyncPgConnection,
    watch_id: Uuid,
    user_id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        watches::table
            .filter(watches::id.eq(watch_id))
            .filter(watches::user_id.eq(user_id)),
    ))
    .get_result(conn)
    .await
}

/// One delivery of an alert, with the channel it went to, as its user sees it.
#[derive(Debug, Clone, Queryable)]
pub struct DeliveryView {
    pub notification_id: Uuid,
    pub channel_id: Uuid,
    pub kind: String,
    pub name: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<chrono::DateTime<Utc>>,
}

/// The deliveries of these notifications with their channels' kinds and
/// names, by notification, then channel name.
pub async fn deliveries_of(
    conn: &mut AsyncPgConnection,
    notification_ids: &[Uuid],
) -> QueryResult<Vec<DeliveryView>> {
    if notification_ids.is_empty() {
        return Ok(Vec::new());
    }
    deliveries::table
        .inner_join(channels::table)
        .filter(deliveries::notification_id.eq_any(notification_ids))
        .order((
            deliveries::notification_id.asc(),
            channels::name.asc(),
            channels::id.asc(),
        ))
        .select((
            deliveries::notification_id,
            deliveries::channel_id,
            channels::kind,
            channels::name,
            deliveries::status,
            deliveries::attempts,
            deliveries::last_error,
            deliveries::sent_at,
        ))
        .load(conn)
        .await
}
