//! Personal API tokens: create (shown once), list, revoke.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use pricewatch_storage::models::ApiToken;
use pricewatch_storage::queries::{api_tokens, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{AuthUser, api_token};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::state::AppState;

/// Most tokens one account may hold.
pub const MAX_TOKENS_PER_USER: i64 = 50;
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, to recognise it in the list (1 to 100 characters).
    #[schema(example = "nightly price report")]
    pub name: String,
    /// `read`, `write`, or both; `write` includes `read`.
    #[schema(example = json!(["read"]))]
    pub scopes: Vec<String>,
    /// When the token stops working (RFC 3339, in the future); never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as listed: never the token itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    /// `["read"]` or `["read", "write"]`.
    pub scopes: Vec<String>,
    /// The token's first characters, e.g. `pw_Ab12Cd`.
    #[schema(example = "pw_Ab12Cd")]
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Last request made with it, to the minute.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenInfo {
    fn from(t: ApiToken) -> Self {
        TokenInfo {
            id: t.id,
            name: t.name,
            scopes: t.scopes,
            prefix: t.prefix,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A new token: the only answer that ever shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// Send it as `Authorization: Bearer pw_…`. Shown once: store it now.
    #[schema(example = "pw_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv1")]
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenInfo>,
}

fn parse_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::validation(
            "name",
            format!("name must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "name",
            "name must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// `write` includes `read`: stored as `["read"]` or `["read", "write"]`.
fn parse_scopes(raw: &[String]) -> Result<Vec<String>, ApiError> {
    let mut write = false;
    for scope in raw {
        match scope.as_str() {
            "read" => {}
            "write" => write = true,
            other => {
                return Err(ApiError::validation(
                    "scopes",
                    format!("scopes may hold \"read\" and \"write\", not {other:?}"),
                ));
            }
        }
    }
    if raw.is_empty() {
        return Err(ApiError::validation(
            "scopes",
            "scopes must name at least one of \"read\" and \"write\"",
        ));
    }
    Ok(if write {
        vec!["read".to_owned(), "write".to_owned()]
    } else {
        vec!["read".to_owned()]
    })
}

/// Creates a personal API token for scripts. The answer is the only time the
/// token is shown. Needs a login access token: an API token cannot make tokens.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "tokens",
    request_body = CreateToken,
    responses(
        (status = 201, body = CreatedToken),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "an API token cannot create tokens; log in"),
        (status = 409, body = ErrorBody, description = "the account's token limit is reached"),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<CreateToken>,
) -> ApiResult<HttpResponse> {
    user.require_session()?;
    let name = parse_name(&body.name)?;
    let scopes = parse_scopes(&body.scopes)?;
    let now = Utc::now();
    if body.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::validation(
            "expires_at",
            "expires_at must be in the future",
        ));
    }
    let token = api_token::generate(api_token::TOKEN_PREFIX);
    let row = ApiToken {
        id: Uuid::new_v4(),
        user_id: user.id,
        name,
        token_hash: api_token::hash(&token),
        prefix: api_token::display_prefix(&token),
        scopes,
        created_at: now,
        expires_at: body.expires_at,
        last_used_at: None,
    };
    let mut conn = state.conn().await?;
    let created = {
        use diesel_async::AsyncConnection;
        conn.transaction::<_, ApiError, _>(async move |conn| {
            if !users::lock(conn, user.id).await? {
                return Err(ApiError::Unauthorized(
                    "this account no longer exists".to_owned(),
                ));
            }
            if api_tokens::count_for_user(conn, user.id).await? >= MAX_TOKENS_PER_USER {
                return Err(ApiError::Conflict {
                    code: "token_limit_reached",
                    message: format!(
                        "an account can hold at most {MAX_TOKENS_PER_USER} tokens; revoke one first"
                    ),
                });
            }
            Ok(api_tokens::insert(conn, &row).await?)
        })
        .await?
    };
    Ok(HttpResponse::Created().json(CreatedToken {
        info: created.into(),
        token,
    }))
}

/// The account's tokens, newest first: names, scopes, dates and prefixes,
/// never the tokens.
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = TokenList), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(user: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let items = api_tokens::list_for_user(&mut conn, user.id).await?;
    Ok(HttpResponse::Ok().json(TokenList {
        items: items.into_iter().map(TokenInfo::from).collect(),
    }))
}

/// Revokes a token: the next request made with it is refused. Needs a login
/// access token.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    user.require_session()?;
    let mut conn = state.conn().await?;
    if api_tokens::delete_for_user(&mut conn, id.into_inner(), user.id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_includes_read_and_unknown_scopes_are_refused() {
        assert_eq!(parse_scopes(&["read".into()]).unwrap(), ["read"]);
        assert_eq!(parse_scopes(&["write".into()]).unwrap(), ["read", "write"]);
        assert_eq!(
            parse_scopes(&["write".into(), "read".into(), "read".into()]).unwrap(),
            ["read", "write"]
        );
        assert!(parse_scopes(&[]).is_err());
        assert!(parse_scopes(&["admin".into()]).is_err());
        assert!(parse_name("  ").is_err());
        assert!(parse_name("a\u{7}b").is_err());
        assert_eq!(parse_name(" cron ").unwrap(), "cron");
    }
}
