use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::channels;
use uuid::Uuid;

use super::{ChannelList, ChannelResponse};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// The account's channels, oldest first, their URLs redacted.
#[utoipa::path(
    get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, body = ChannelList), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(user: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let items = channels::list_for_user(&mut conn, user.id).await?;
    Ok(HttpResponse::Ok().json(ChannelList {
        items: items.into_iter().map(ChannelResponse::from).collect(),
    }))
}

/// One of the account's channels, its URL redacted.
#[utoipa::path(
    get, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = Uuid, Path, description = "Channel id")),
    responses(
        (status = 200, body = ChannelResponse),
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
    let channel = channels::find_for_user(&mut conn, id.into_inner(), user.id)
        .await?
        .ok_or(ApiError::NotFound("channel"))?;
    Ok(HttpResponse::Ok().json(ChannelResponse::from(channel)))
}
