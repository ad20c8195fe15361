//! Password reset links: the SHA-256 of each token, its user and its expiry.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::password_resets;

/// Records a reset link for the user, sweeping the user's expired ones.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::delete(
        password_resets::table
            .filter(password_resets::user_id.eq(user_id))
            .filter(password_resets::expires_at.le(Utc::now())),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(token_hash),
            password_resets::user_id.eq(user_id),
            password_resets::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The user of a link that is still valid, without using it up.
pub async fn find_valid(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<Uuid>> {
    password_resets::table
        .find(token_hash)
        .filter(password_resets::expires_at.gt(Utc::now()))
        .select(password_resets::user_id)
        .first(conn)
        .await
        .optional()
}

/// Uses a link up: deletes it and every other link of its user, and returns
/// the user when the link was still valid. A second use finds nothing.
pub async fn take(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<Option<Uuid>> {
    let taken: Option<(Uuid, DateTime<Utc>)> =
        diesel::delete(password_resets::table.find(token_hash))
            .returning((password_resets::user_id, password_resets::expires_at))
            .get_result(conn)
            .await
            .optional()?;
    let Some((user_id, expires_at)) = taken else {
        return Ok(None);
    };
    diesel::delete(password_resets::table.filter(password_resets::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    Ok((expires_at > Utc::now()).then_some(user_id))
}

/// Deletes every reset link of the user (a password change ends them all).
pub async fn delete_for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<usize> {
    diesel::delete(password_resets::table.filter(password_resets::user_id.eq(user_id)))
        .execute(conn)
        .await
}
