use actix_web::{HttpResponse, web};
use pricewatch_storage::models::WatchChanges;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::alerting::{self, AlertingInput};
use super::{parse_fetch_mode, parse_frequency, parse_price, parse_selector, parse_tags};
use crate::auth::AuthUser;
use crate::dto::{RuleSchema, WatchResponse};
use crate::error::{ApiResult, ErrorBody};
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
    /// The watch's rules, replacing the old ones; a rule kept as it was keeps its state.
    #[schema(value_type = Option<Vec<RuleSchema>>, example = json!([{"kind": "percent_drop", "percent": "10"}]))]
    pub rules: Option<serde_json::Value>,
    /// The channels to alert, replacing the old choice; `[]`: all of the account's.
    pub channel_ids: Option<Vec<Uuid>>,
    /// The least time between two alerts, in minutes (0 to 10080).
    #[schema(minimum = 0, maximum = 10080)]
    pub cooldown_minutes: Option<i64>,
    /// How the page is fetched: `auto` (HTTP, and a headless browser for
    /// pages built by scripts), `http` or `browser`.
    #[schema(example = "browser")]
    pub fetch_mode: Option<String>,
}

#[utoipa::path(
    patch, path = "/api/v1/watches/{id}", tag = "watches",
    params(("id" = Uuid, Path, description = "Watch id")),
    request_body = UpdateWatch,
    responses(
        (status = 200, body = WatchResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "a field is invalid: `target_price`, `frequency`, `css_selector`, `tags`, `rules`, `channel_ids` (not your channels), `cooldown_minutes` or `fetch_mode`"),
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
    if let Some(mode) = &body.fetch_mode {
        changes.fetch_mode = Some(parse_fetch_mode(mode)?.as_str().to_owned());
    }
    let input = AlertingInput::parse(body.rules.as_ref(), body.channel_ids, body.cooldown_minutes)?;
    let (watch, product) =
        crate::watch_actions::update(&state, user.id, id.into_inner(), changes, input).await?;
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Ok().json(alerting::response(&mut conn, watch, product).await?))
}
