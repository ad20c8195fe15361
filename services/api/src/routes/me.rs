use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::users;

use crate::auth::AuthUser;
use crate::dto::UserResponse;
use crate::error::{ApiError, ApiResult, ErrorBody};
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
