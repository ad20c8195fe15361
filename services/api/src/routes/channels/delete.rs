use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::channels;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// Deletes a channel, its pending deliveries and tests, and the watches'
/// choices of it (a watch left naming no channel goes to all of them).
#[utoipa::path(
    delete, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = Uuid, Path, description = "Channel id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    if channels::delete_for_user(&mut conn, id.into_inner(), user.id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("channel"))
    }
}
