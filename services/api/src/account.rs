//! The account rules shared by the REST handlers and the web pages: register,
//! check a login (with the per-address limit and the per-account slow-down),
//! change a password (ending every session and access token issued before).

use actix_web::HttpRequest;
use chrono::Utc;
use diesel_async::AsyncConnection;
use pricewatch_domain::account::Email;
use pricewatch_storage::models::User;
use pricewatch_storage::queries::{is_unique_violation, password_resets, users};
use uuid::Uuid;

use crate::auth::password;
use crate::error::ApiError;
use crate::rate_limit;
use crate::state::AppState;

/// The account email ([`Email::parse`]), as a 422 naming `email`.
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    Email::parse(raw)
        .map(Email::into_inner)
        .map_err(|e| ApiError::validation("email", e))
}

/// Creates an account: the per-address limit, the email and password rules,
/// then the row (409 `email_taken` when the email is in use).
pub async fn register(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    new_password: String,
) -> Result<User, ApiError> {
    let limit = state.settings.auth_rate_limit_per_minute;
    rate_limit::check(
        state,
        "register:ip",
        &rate_limit::client_key(req, state),
        limit,
    )
    .await?;
    let email = normalize_email(email)?;
    password::check_strength(&new_password)?;
    let password_hash = password::hash(new_password).await?;
    let user = User {
        id: Uuid::new_v4(),
        email,
        password_hash,
        created_at: Utc::now(),
    };
    let mut conn = state.conn().await?;
    match users::insert(&mut conn, &user).await {
        Ok(user) => Ok(user),
        Err(e) if is_unique_violation(&e) => Err(ApiError::Conflict {
            code: "email_taken",
            message: "an account with this email already exists".to_owned(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Checks a login: the per-address limit (429), the slow-down of an account
/// with recent failures, then the password. Returns the user and the token
/// version that their sessions and access tokens carry. A wrong password and
/// an unknown email read the same ([`ApiError::InvalidCredentials`]).
pub async fn login(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    given_password: String,
) -> Result<(User, i32), ApiError> {
    let limit = state.settings.auth_rate_limit_per_minute;
    rate_limit::check(
        state,
        "login:ip",
        &rate_limit::client_key(req, state),
        limit,
    )
    .await?;
    let Ok(email) = normalize_email(email) else {
        return Err(ApiError::InvalidCredentials);
    };
    // Failures on an account slow its logins down; they never lock it.
    let delay = rate_limit::login_delay(state, &email, limit).await;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut conn = state.conn().await?;
    let user = users::find_by_email(&mut conn, &email).await?;
    drop(conn);
    let ok = password::verify(
        given_password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    match user {
        Some(user) if ok => {
            let mut conn = state.conn().await?;
            let version = users::token_version(&mut conn, user.id)
                .await?
                .ok_or(ApiError::InvalidCredentials)?;
            Ok((user, version))
        }
        _ => {
            rate_limit::record_login_failure(state, &email).await;
            Err(ApiError::InvalidCredentials)
        }
    }
}

/// Changes the password after checking the current one (a 422 naming
/// `current_password` when wrong). Raises the token version, which ends every
/// access token and web session issued before; returns the new version.
pub async fn change_password(
    state: &AppState,
    user_id: Uuid,
    current_password: String,
    new_password: String,
) -> Result<i32, ApiError> {
    password::check_strength(&new_password)?;
    let mut conn = state.conn().await?;
    let found = users::find(&mut conn, user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("this account no longer exists".to_owned()))?;
    drop(conn);
    if !password::verify(current_password, Some(found.password_hash)).await? {
        return Err(ApiError::validation(
            "current_password",
            "current_password is not this account's password",
        ));
    }
    set_password(state, user_id, new_password).await
}

/// Sets a new password (already checked against the policy by the caller or
/// here), raises the token version and deletes the account's reset links (a
/// link mailed before the change must not work after it), in one
/// transaction; returns the new version.
pub async fn set_password(
    state: &AppState,
    user_id: Uuid,
    new_password: String,
) -> Result<i32, ApiError> {
    password::check_strength(&new_password)?;
    let hash = password::hash(new_password).await?;
    let mut conn = state.conn().await?;
    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
        let version = users::set_password(conn, user_id, &hash).await?;
        password_resets::delete_for_user(conn, user_id).await?;
        Ok(version)
    })
    .await?
    .ok_or_else(|| ApiError::Unauthorized("this account no longer exists".to_owned()))
}
