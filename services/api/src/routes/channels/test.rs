use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::{channel_tests, channels};
use uuid::Uuid;

use super::ChannelTestResponse;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// Asks for a test message on the channel: the notifier sends it shortly.
/// While a test of the channel is still pending or sending, asking again
/// answers that test rather than sending another.
#[utoipa::path(
    post, path = "/api/v1/channels/{id}/test", tag = "channels",
    params(("id" = Uuid, Path, description = "Channel id")),
    responses(
        (status = 202, body = ChannelTestResponse, description = "The test is queued (or already was)"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn send_test(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    if channels::find_for_user(&mut conn, id, user.id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound("channel"));
    }
    let test = channel_tests::request(&mut conn, id).await?;
    Ok(HttpResponse::Accepted().json(ChannelTestResponse::from(test)))
}
