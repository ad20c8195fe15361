use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::{products, watches};
use serde_json::json;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// Queues a check of the watch's product now.
#[utoipa::path(
    post, path = "/api/v1/watches/{id}/check", tag = "watches",
    params(("id" = Uuid, Path, description = "Watch id")),
    responses(
        (status = 202, description = "A check is queued"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn check_now(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let (watch, product) = watches::find_for_user(&mut conn, id.into_inner(), user.id)
        .await?
        .ok_or(ApiError::NotFound("watch"))?;
    products::request_check(&mut conn, product.id).await?;
    crate::routes::products::forget_cached(&state, product.id).await;
    Ok(HttpResponse::Accepted().json(json!({
        "status": "queued",
        "watch_id": watch.id,
        "product_id": product.id,
    })))
}
