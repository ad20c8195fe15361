use actix_web::{HttpResponse, web};
use serde_json::json;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

/// Queues a check of the watch's product now; a product is checked on request
/// at most once per `CHECK_NOW_MIN_INTERVAL_SECONDS`, whoever asks.
#[utoipa::path(
    post, path = "/api/v1/watches/{id}/check", tag = "watches",
    params(("id" = Uuid, Path, description = "Watch id")),
    responses(
        (status = 202, description = "A check is queued"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "checked on request too recently; see Retry-After"),
    ),
    security(("bearer" = []))
)]
pub async fn check_now(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (watch, product) =
        crate::watch_actions::check_now(&state, user.id, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(json!({
        "status": "queued",
        "watch_id": watch.id,
        "product_id": product.id,
    })))
}
