//! Passwords (argon2id), access tokens (HS256 JWT), personal API tokens
//! (`pw_…`) and the authenticated-user extractor.

pub mod api_token;
pub mod password;
pub mod token;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use pricewatch_storage::queries::{api_tokens, users};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// The user a valid bearer token names, and how the request was authenticated.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
    pub access: Access,
}

/// How a request proved who it speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An access token from logging in: everything the account may do.
    Session,
    /// A personal API token; `write` when it has the `write` scope.
    ApiToken { id: Uuid, write: bool },
}

impl AuthUser {
    /// Making or revoking credentials (API tokens, the feed token) needs a
    /// login: a leaked API token must not be able to mint itself successors
    /// that outlive its revocation.
    pub fn require_session(&self) -> Result<(), ApiError> {
        match self.access {
            Access::Session => Ok(()),
            Access::ApiToken { .. } => Err(ApiError::Forbidden(
                "making or revoking tokens needs a login access token, not an API token".to_owned(),
            )),
        }
    }
}

/// Seconds between two updates of a token's `last_used_at`.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// A signed, unexpired access token whose account still exists and whose
/// password has not changed since it was issued; or a personal API token
/// (`pw_…`) that exists (revoking deletes it) and has not expired. Both are
/// read from the database on every request, never cached, so a revocation or
/// a password change takes effect at once on every replica.
///
/// Scopes follow the method: a request that is not `GET`, `HEAD` or `OPTIONS`
/// changes something and needs a session or a token with the `write` scope;
/// a read-only token gets 403. Checking here, for every route that takes
/// [`AuthUser`], means no write route can forget it.
async fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::Unauthorized("missing bearer token".to_owned()))?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::Unauthorized("expected 'Authorization: Bearer <token>'".to_owned())
        })?;
    let token = token.trim();
    if token.starts_with(api_token::TOKEN_PREFIX) {
        let user = authenticate_api_token(state, token).await?;
        if let Access::ApiToken { write: false, .. } = user.access
            && !req.method().is_safe()
        {
            return Err(ApiError::Forbidden(
                "this API token has only the read scope; this request needs write".to_owned(),
            ));
        }
        return Ok(user);
    }
    let subject = state.tokens.verify(token)?;
    // Read on every request, never cached: a deleted account or a password
    // change ends every token at once, on every replica.
    let current = {
        let mut conn = state.conn().await?;
        users::token_version(&mut conn, subject.user).await?
    };
    match current {
        None => Err(ApiError::Unauthorized(
            "this account no longer exists".to_owned(),
        )),
        Some(v) if v != subject.version => Err(ApiError::Unauthorized(
            "the password has changed since this token was issued; log in again".to_owned(),
        )),
        Some(_) => Ok(AuthUser {
            id: subject.user,
            access: Access::Session,
        }),
    }
}

async fn authenticate_api_token(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let invalid = || ApiError::Unauthorized("invalid or revoked API token".to_owned());
    if !api_token::well_formed(token, api_token::TOKEN_PREFIX) {
        return Err(invalid());
    }
    let mut conn = state.conn().await?;
    let grant = api_tokens::find_by_hash(&mut conn, &api_token::hash(token))
        .await?
        .ok_or_else(invalid)?;
    let now = Utc::now();
    if grant.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::Unauthorized(
            "this API token has expired; create a new one".to_owned(),
        ));
    }
    if grant
        .last_used_at
        .is_none_or(|at| (now - at).num_seconds() >= LAST_USED_RESOLUTION_SECONDS)
    {
        api_tokens::touch(&mut conn, grant.id, now).await?;
    }
    Ok(AuthUser {
        id: grant.user_id,
        access: Access::ApiToken {
            id: grant.id,
            write: grant.scopes.iter().any(|s| s == "write"),
        },
    })
}
