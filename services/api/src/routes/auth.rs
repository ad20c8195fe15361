//! Register and log in: the actions of [`crate::account`], as JSON.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::account;
use crate::dto::{TokenResponse, UserResponse};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[schema(example = "alice@example.com")]
    pub email: String,
    #[schema(example = "correct horse 9")]
    pub password: String,
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
    let user = account::register(&req, &state, &body.email, body.password).await?;
    Ok(HttpResponse::Created().json(UserResponse::from(user)))
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<Credentials>,
) -> ApiResult<HttpResponse> {
    let (user, version) = account::login(&req, &state, &body.email, body.password).await?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token: state.tokens.issue(user.id, version)?,
        token_type: "bearer",
        expires_in: state.tokens.ttl_seconds,
    }))
}
