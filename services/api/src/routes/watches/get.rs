use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::watches;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::dto::WatchResponse;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

#[utoipa::path(
    get, path = "/api/v1/watches/{id}", tag = "watches",
    params(("id" = Uuid, Path, description = "Watch id")),
    responses(
        (status = 200, body = WatchResponse),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (watch, product) = watches::find_for_user(&mut conn, id.into_inner(), user.id)
        .await?
        .ok_or(ApiError::NotFound("watch"))?;
    Ok(HttpResponse::Ok().json(super::alerting::response(&mut conn, watch, product).await?))
}
