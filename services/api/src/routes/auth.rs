//! Register and log in.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use pricewatch_domain::account::Email;
use pricewatch_storage::models::User;
use pricewatch_storage::queries::{is_unique_violation, users};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::password;
use crate::dto::{TokenResponse, UserResponse};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::rate_limit;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[schema(example = "alice@example.com")]
    pub email: String,
    #[schema(example = "correct horse 9")]
    pub password: String,
}

/// The account email ([`Email::parse`]), as a 422 naming `email`.
fn normalize_email(raw: &str) -> Result<String, ApiError> {
    Email::parse(raw)
        .map(Email::into_inner)
        .map_err(|e| ApiError::validation("email", e))
}

#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 201, body = UserResponse),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<Credentials>,
) -> ApiResult<HttpResponse> {
    let limit = state.settings.auth_rate_limit_per_minute;
    rate_limit::check(
        &state,
        "register:ip",
        &rate_limit::client_key(&req, &state),
        limit,
    )
    .await?;
    let email = normalize_email(&body.email)?;
    password::check_strength(&body.password)?;
    let password_hash = password::hash(body.password).await?;
    let user = User {
        id: Uuid::new_v4(),
        email,
        password_hash,
        created_at: Utc::now(),
    };
    let mut conn = state.conn().await?;
    match users::insert(&mut conn, &user).await {
        Ok(user) => Ok(HttpResponse::Created().json(UserResponse::from(user))),
        Err(e) if is_unique_violation(&e) => Err(ApiError::Conflict {
            code: "email_taken",
            message: "an account with this email already exists".to_owned(),
        }),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<Credentials>,
) -> ApiResult<HttpResponse> {
    let limit = state.settings.auth_rate_limit_per_minute;
    rate_limit::check(
        &state,
        "login:ip",
        &rate_limit::client_key(&req, &state),
        limit,
    )
    .await?;
    // Wrong password and unknown user read the same: no account enumeration.
    let Ok(email) = normalize_email(&body.email) else {
        return Err(ApiError::InvalidCredentials);
    };
    // Failures on an account slow its logins down; they never lock it.
    let delay = rate_limit::login_delay(&state, &email, limit).await;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut conn = state.conn().await?;
    let user = users::find_by_email(&mut conn, &email).await?;
    drop(conn);
    let ok = password::verify(
        body.password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    match user {
        Some(user) if ok => {
            let mut conn = state.conn().await?;
            let version = users::token_version(&mut conn, user.id)
                .await?
                .ok_or(ApiError::InvalidCredentials)?;
            Ok(HttpResponse::Ok().json(TokenResponse {
                access_token: state.tokens.issue(user.id, version)?,
                token_type: "bearer",
                expires_in: state.tokens.ttl_seconds,
            }))
        }
        _ => {
            rate_limit::record_login_failure(&state, &email).await;
            Err(ApiError::InvalidCredentials)
        }
    }
}
