use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::{products, watches};
use serde_json::json;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// Queues a check of the watch's product now; a product is checked on request
/// at most once per `CHECK_NOW_MIN_INTERVAL_SECONDS`, whoever asks.
#[utoipa::path(
    post, path = "/api/v1/watches/{id}/check", tag = "watches",
    params(("id" = Uuid, Path, description = "Watch id")),
    responses(
        (status = 202, description = "A check is queued"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "checked on request too recently; see Retry-After"),
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
    drop(conn);
    crate::rate_limit::once_per(
        &state,
        &format!("checknow:{}", product.id),
        state.settings.check_now_min_interval_seconds,
    )
    .await?;
    let mut conn = state.conn().await?;
    products::request_check(&mut conn, product.id).await?;
    crate::routes::products::forget_cached(&state, product.id).await;
    Ok(HttpResponse::Accepted().json(json!({
        "status": "queued",
        "watch_id": watch.id,
        "product_id": product.id,
    })))
}
