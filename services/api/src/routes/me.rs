use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::users;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::dto::{TokenResponse, UserResponse};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::state::AppState;

#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn me(user: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let found = users::find(&mut conn, user.id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("this account no longer exists".to_owned()))?;
    Ok(HttpResponse::Ok().json(UserResponse::from(found)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(example = "a new horse 10")]
    pub new_password: String,
}

/// Changes the password. Every token issued before it stops working; the
/// answer carries a fresh one.
#[utoipa::path(
    post, path = "/api/v1/me/password", tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn change_password(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<PasswordChange>,
) -> ApiResult<HttpResponse> {
    let version =
        crate::account::change_password(&state, user.id, body.current_password, body.new_password)
            .await?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        access_token: state.tokens.issue(user.id, version)?,
        token_type: "bearer",
        expires_in: state.tokens.ttl_seconds,
    }))
}
