use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::notifications;

use crate::auth::AuthUser;
use crate::dto::{NotificationResponse, PageOf};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Pagination, ValidQuery};
use crate::state::AppState;

/// The user's alerts, sent and pending, newest first.
#[utoipa::path(
    get, path = "/api/v1/notifications", tag = "notifications",
    params(Pagination),
    responses(
        (status = 200, body = PageOf<NotificationResponse>),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidQuery(query): ValidQuery<Pagination>,
) -> ApiResult<HttpResponse> {
    let page = query.validate()?;
    let mut conn = state.conn().await?;
    let (items, total) = notifications::list_for_user(&mut conn, user.id, page).await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: items.into_iter().map(NotificationResponse::from).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    }))
}
