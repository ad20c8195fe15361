//! Personal API tokens: found by the hash of the token, never by the token.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::models::ApiToken;
use crate::schema::api_tokens;

/// What authenticating a request needs from a token row.
#[derive(Debug, Clone, Queryable)]
pub struct TokenGrant {
    pub id: Uuid,
    pub user_id: Uuid,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut AsyncPgConnection, token: &ApiToken) -> QueryResult<ApiToken> {
    diesel::insert_into(api_tokens::table)
        .values(token)
        .returning(ApiToken::as_returning())
        .get_result(conn)
        .await
}

/// The token whose SHA-256 is `hash`, revoked tokens being gone.
pub async fn find_by_hash(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
) -> QueryResult<Option<TokenGrant>> {
    api_tokens::table
        .filter(api_tokens::token_hash.eq(hash))
        .select((
            api_tokens::id,
            api_tokens::user_id,
            api_tokens::scopes,
            api_tokens::expires_at,
            api_tokens::last_used_at,
        ))
        .first(conn)
        .await
        .optional()
}

/// Records a use; the caller calls it at most about once a minute per token.
pub async fn touch(conn: &mut AsyncPgConnection, id: Uuid, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(at))
        .execute(conn)
        .await?;
    Ok(())
}

/// The user's tokens, newest first.
pub async fn list_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .select(ApiToken::as_select())
        .load(conn)
        .await
}

pub async fn count_for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<i64> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .count()
        .get_result(conn)
        .await
}

/// Revokes (deletes) the user's token; `false` when there was none.
pub async fn delete_for_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
) -> QueryResult<bool> {
    let n = diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}
