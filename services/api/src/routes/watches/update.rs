use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use pricewatch_storage::models::WatchChanges;
use pricewatch_storage::queries::{products, watches};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_frequency, parse_price, parse_selector, parse_tags};
use crate::auth::AuthUser;
use crate::dto::WatchResponse;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ValidJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWatch {
    #[schema(value_type = Option<String>, example = "199.00")]
    pub target_price: Option<serde_json::Value>,
    #[schema(example = "12h")]
    pub frequency: Option<String>,
    pub active: Option<bool>,
    /// A selector, or `""` to clear it.
    pub css_selector: Option<String>,
    /// The watch's new tags (replacing the old ones); `[]` clears them.
    pub tags: Option<Vec<String>>,
}

#[utoipa::path(
    patch, path = "/api/v1/watches/{id}", tag = "watches",
    params(("id" = Uuid, Path, description = "Watch id")),
    request_body = UpdateWatch,
    responses(
        (status = 200, body = WatchResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    ValidJson(body): ValidJson<UpdateWatch>,
) -> ApiResult<HttpResponse> {
    let mut changes = WatchChanges::default();
    if let Some(price) = &body.target_price {
        changes.target_price = Some(parse_price("target_price", price)?);
        // A new target is a new promise: alert again the next time it is crossed.
        changes.armed = Some(true);
    }
    if let Some(f) = &body.frequency {
        changes.frequency_hours = Some(parse_frequency(f)?.stored_hours());
    }
    changes.active = body.active;
    if body.css_selector.is_some() {
        changes.css_selector = Some(parse_selector(body.css_selector)?);
    }
    if let Some(tags) = &body.tags {
        changes.tags = Some(parse_tags(tags)?);
    }
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let found = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
            let nothing_to_change = changes.target_price.is_none()
                && changes.frequency_hours.is_none()
                && changes.active.is_none()
                && changes.css_selector.is_none()
                && changes.tags.is_none();
            if !nothing_to_change {
                let Some(watch) = watches::update_for_user(conn, id, user.id, &changes).await?
                else {
                    return Ok(None);
                };
                products::refresh_schedule(conn, watch.product_id).await?;
            }
            watches::find_for_user(conn, id, user.id).await
        })
        .await?;
    let (watch, product) = found.ok_or(ApiError::NotFound("watch"))?;
    crate::routes::products::forget_cached(&state, product.id).await;
    Ok(HttpResponse::Ok().json(WatchResponse::new(watch, product)?))
}
