//! Passwords (argon2id), access tokens (HS256 JWT) and the authenticated-user extractor.

pub mod password;
pub mod token;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use pricewatch_storage::queries::users;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// The user a valid bearer token names.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// A signed, unexpired token whose account still exists and whose password
/// has not changed since it was issued.
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
    let subject = state.tokens.verify(token.trim())?;
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
        Some(_) => Ok(AuthUser { id: subject.user }),
    }
}
