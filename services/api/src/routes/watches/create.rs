use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use pricewatch_domain::ProductUrl;
use pricewatch_storage::models::Watch;
use pricewatch_storage::queries::{is_unique_violation, products, users, watches};
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
pub struct CreateWatch {
    /// The product page, http or https.
    #[schema(example = "https://shop.example.com/products/espresso-machine")]
    pub url: String,
    /// Alert when the price is at or below this, as a decimal string or number.
    #[schema(value_type = String, example = "249.00")]
    pub target_price: serde_json::Value,
    /// `6h`, `12h` or `24h`.
    #[schema(example = "24h")]
    pub frequency: String,
    /// Optional CSS selector of the price element, for pages the extractor misreads.
    pub css_selector: Option<String>,
    /// Optional tags to group watches: letters, digits, `-`, `_`, `.`; at most 20.
    #[schema(example = json!(["kitchen", "black-friday"]))]
    pub tags: Option<Vec<String>>,
}

#[utoipa::path(
    post, path = "/api/v1/watches", tag = "watches",
    request_body = CreateWatch,
    responses(
        (status = 201, body = WatchResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already watched, or the account's watch limit is reached"),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<CreateWatch>,
) -> ApiResult<HttpResponse> {
    let url = ProductUrl::parse_with(&body.url, state.settings.allow_loopback_targets)
        .map_err(|e| ApiError::validation("url", e))?;
    let target_price = parse_price("target_price", &body.target_price)?;
    let frequency = parse_frequency(&body.frequency)?;
    let css_selector = parse_selector(body.css_selector)?;
    let tags = parse_tags(&body.tags.unwrap_or_default())?;
    let limit = i64::from(state.settings.max_watches_per_user);
    let mut conn = state.conn().await?;
    let (watch, product) = conn
        .transaction::<_, ApiError, _>(async move |conn| {
            // Locking the account serialises its creates, so the cap holds
            // under concurrent requests, and a deleted account is a 401, not
            // a foreign-key failure.
            if !users::lock(conn, user.id).await? {
                return Err(ApiError::Unauthorized(
                    "this account no longer exists".to_owned(),
                ));
            }
            if watches::count_for_user(conn, user.id).await? >= limit {
                return Err(ApiError::Conflict {
                    code: "watch_limit_reached",
                    message: format!(
                        "an account can have at most {limit} watches; delete one first"
                    ),
                });
            }
            let product = products::get_or_create(conn, url.as_str(), url.host()).await?;
            let now = Utc::now();
            let watch = watches::insert(
                conn,
                &Watch {
                    id: Uuid::new_v4(),
                    user_id: user.id,
                    product_id: product.id,
                    target_price,
                    frequency_hours: frequency.stored_hours(),
                    active: true,
                    css_selector,
                    armed: true,
                    created_at: now,
                    updated_at: now,
                    tags,
                },
            )
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    ApiError::Conflict {
                        code: "watch_exists",
                        message: "you already watch this product; change that watch instead"
                            .to_owned(),
                    }
                } else {
                    e.into()
                }
            })?;
            products::refresh_schedule(conn, product.id).await?;
            let product = products::find(conn, product.id)
                .await?
                .ok_or(ApiError::NotFound("product"))?;
            Ok((watch, product))
        })
        .await?;
    crate::routes::products::forget_cached(&state, product.id).await;
    Ok(HttpResponse::Created().json(WatchResponse::new(watch, product)?))
}
