use actix_web::{HttpResponse, web};
use std::collections::HashMap;

use pricewatch_storage::queries::{channels, notifications};

use crate::auth::AuthUser;
use crate::dto::{DeliveryResponse, NotificationResponse, PageOf};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Pagination, ValidQuery};
use crate::state::AppState;

/// The user's alerts, sent and pending, newest first, each with the rules
/// that fired and its deliveries to the account's channels.
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
    let ids: Vec<_> = items.iter().map(|n| n.id).collect();
    let mut deliveries: HashMap<_, Vec<DeliveryResponse>> = HashMap::new();
    for d in channels::deliveries_of(&mut conn, &ids).await? {
        deliveries
            .entry(d.notification_id)
            .or_default()
            .push(d.into());
    }
    Ok(HttpResponse::Ok().json(PageOf {
        items: items
            .into_iter()
            .map(|n| {
                let mine = deliveries.remove(&n.id).unwrap_or_default();
                NotificationResponse::new(n, mine)
            })
            .collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    }))
}
