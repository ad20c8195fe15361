//! Feed tokens: one per user at most, found by the hash of the token.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::feed_tokens;

/// Sets the user's feed token (replacing any earlier one); returns its creation time.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    token_hash: &[u8],
    prefix: &str,
) -> QueryResult<DateTime<Utc>> {
    let now = Utc::now();
    diesel::insert_into(feed_tokens::table)
        .values((
            feed_tokens::user_id.eq(user_id),
            feed_tokens::token_hash.eq(token_hash),
            feed_tokens::prefix.eq(prefix),
            feed_tokens::created_at.eq(now),
        ))
        .on_conflict(feed_tokens::user_id)
        .do_update()
        .set((
            feed_tokens::token_hash.eq(token_hash),
            feed_tokens::prefix.eq(prefix),
            feed_tokens::created_at.eq(now),
        ))
        .returning(feed_tokens::created_at)
        .get_result(conn)
        .await
}

/// The user and creation time of the feed token whose SHA-256 is `hash`.
pub async fn find_by_hash(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
) -> QueryResult<Option<(Uuid, DateTime<Utc>)>> {
    feed_tokens::table
        .filter(feed_tokens::token_hash.eq(hash))
        .select((feed_tokens::user_id, feed_tokens::created_at))
        .first(conn)
        .await
        .optional()
}

/// The prefix and creation time of the user's feed token.
pub async fn find_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> QueryResult<Option<(String, DateTime<Utc>)>> {
    feed_tokens::table
        .find(user_id)
        .select((feed_tokens::prefix, feed_tokens::created_at))
        .first(conn)
        .await
        .optional()
}

pub async fn delete_for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(feed_tokens::table.find(user_id))
        .execute(conn)
        .await?;
    Ok(n > 0)
}
