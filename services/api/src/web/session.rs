//! Web sessions, kept server-side in Redis.
//!
//! The cookie `pw_session` holds 32 random bytes (base64url); Redis holds,
//! under `{prefix}:web:session:{sha256 of the cookie}`, the user, the session's
//! CSRF token and the account's token version at sign-in, for
//! [`SESSION_TTL`] after the last request. `{prefix}:web:user:{user id}` is the
//! set of a user's session keys, so that a password change can delete them.
//! Each request also compares the stored token version with the account's
//! (`users.token_version`, one primary-key read): a password change ends every
//! session at once even if Redis kept one. The same read brings the account's
//! saved language and time zone, which the request's pages then speak
//! ([`super::i18n::Saved`]).

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use deadpool_redis::redis;
use futures_util::future::LocalBoxFuture;
use pricewatch_storage::queries::users;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error::WebError;
use super::i18n::{Lang, Saved};
use crate::state::AppState;

pub const COOKIE: &str = "pw_session";
/// A session ends this long after its last request.
pub const SESSION_TTL: Duration = Duration::from_secs(14 * 24 * 3600);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    user_id: Uuid,
    csrf: String,
    token_version: i32,
}

/// A signed-in visitor: what handlers of private pages take.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: Uuid,
    pub email: String,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    key: String,
}

/// A visitor who may or may not be signed in.
pub struct MaybeSignedIn(pub Option<SignedIn>);

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn session_key(state: &AppState, cookie: &str) -> String {
    let digest = Sha256::digest(cookie.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    state.redis_key(&format!("web:session:{hex}"))
}

fn user_key(state: &AppState, user_id: Uuid) -> String {
    state.redis_key(&format!("web:user:{user_id}"))
}

fn ttl_seconds() -> u64 {
    SESSION_TTL.as_secs()
}

/// The cookie that carries a session (or, with an empty value, removes it).
pub fn cookie(state: &AppState, value: &str) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, value.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.public_is_https())
        .finish();
    if value.is_empty() {
        c.make_removal();
    } else {
        c.set_max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(ttl_seconds()).unwrap_or(i64::MAX),
        ));
    }
    c
}

/// Starts a session for the user; returns the cookie to set.
pub async fn start(
    state: &AppState,
    user_id: Uuid,
    token_version: i32,
) -> Result<Cookie<'static>, WebError> {
    let value = random_token();
    let key = session_key(state, &value);
    let stored = serde_json::to_string(&Stored {
        user_id,
        csrf: random_token(),
        token_version,
    })
    .map_err(|e| WebError::Internal(e.into()))?;
    let index = user_key(state, user_id);
    let ttl = ttl_seconds();
    pricewatch_ops::redis::run(&state.redis, |mut c| {
        let (key, index, stored) = (key.clone(), index.clone(), stored.clone());
        async move {
            redis::pipe()
                .atomic()
                .set_ex(&key, &stored, ttl)
                .ignore()
                .sadd(&index, &key)
                .ignore()
                .expire(&index, i64::try_from(ttl).unwrap_or(i64::MAX))
                .ignore()
                .query_async::<()>(&mut c)
                .await
        }
    })
    .await
    .map_err(|e| {
        tracing::warn!(error = %e, "cannot start a web session: Redis unavailable");
        WebError::Unavailable
    })?;
    Ok(cookie(state, &value))
}

/// Ends one session (sign out).
pub async fn end(state: &AppState, session: &SignedIn) {
    let index = user_key(state, session.user_id);
    let key = session.key.clone();
    let result = pricewatch_ops::redis::run(&state.redis, |mut c| {
        let (key, index) = (key.clone(), index.clone());
        async move {
            redis::pipe()
                .del(&key)
                .ignore()
                .srem(&index, &key)
                .ignore()
                .query_async::<()>(&mut c)
                .await
        }
    })
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "session not deleted: Redis unavailable; the version check still ends it on a password change");
    }
}

/// Ends every session of the user (a password change or reset).
pub async fn end_all(state: &AppState, user_id: Uuid) {
    let index = user_key(state, user_id);
    let result = pricewatch_ops::redis::run(&state.redis, |mut c| {
        let index = index.clone();
        async move {
            let keys: Vec<String> = redis::cmd("SMEMBERS")
                .arg(&index)
                .query_async(&mut c)
                .await?;
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.del(key).ignore();
            }
            pipe.del(&index).ignore();
            pipe.query_async::<()>(&mut c).await
        }
    })
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "sessions not deleted: Redis unavailable; the token version ends them");
    }
}

/// The session the request's cookie names, if it is alive and its account's
/// password has not changed since; refreshes its expiry.
pub async fn load(req: &HttpRequest) -> Result<Option<SignedIn>, WebError> {
    let Some(value) = req.cookie(COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    if value.is_empty() || value.len() > 64 {
        return Ok(None);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| WebError::Internal(anyhow::anyhow!("application state missing")))?;
    let key = session_key(state, &value);
    let ttl = i64::try_from(ttl_seconds()).unwrap_or(i64::MAX);
    let raw: Option<String> = pricewatch_ops::redis::run(&state.redis, |mut c| {
        let key = key.clone();
        async move {
            let (raw, _): (Option<String>, i64) = redis::pipe()
                .get(&key)
                .expire(&key, ttl)
                .query_async(&mut c)
                .await?;
            Ok(raw)
        }
    })
    .await
    .map_err(|e| {
        tracing::warn!(error = %e, "cannot read a web session: Redis unavailable");
        WebError::Unavailable
    })?;
    let Some(stored) = raw.and_then(|r| serde_json::from_str::<Stored>(&r).ok()) else {
        return Ok(None);
    };
    let mut conn = state.conn().await?;
    let Some((user, version, preferences)) =
        users::find_with_version(&mut conn, stored.user_id).await?
    else {
        return Ok(None);
    };
    if version != stored.token_version {
        return Ok(None);
    }
    // The pages of this request speak the user's saved language and zone.
    req.extensions_mut().insert(Saved {
        lang: preferences.language.as_deref().and_then(Lang::parse),
        tz: preferences
            .time_zone
            .as_deref()
            .and_then(pricewatch_i18n::parse_zone),
    });
    let signed_in = SignedIn {
        user_id: user.id,
        email: user.email,
        csrf: stored.csrf,
        key,
    };
    // An error page of this request shows the signed-in header too.
    req.extensions_mut().insert(signed_in.clone());
    Ok(Some(signed_in))
}

impl FromRequest for SignedIn {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load(&req).await?.ok_or(WebError::NotSignedIn) })
    }
}

impl FromRequest for MaybeSignedIn {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeSignedIn(load(&req).await?)) })
    }
}
