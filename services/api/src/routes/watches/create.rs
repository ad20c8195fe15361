use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use pricewatch_domain::ProductUrl;
use pricewatch_storage::models::Watch;
use pricewatch_storage::queries::{is_unique_violation, products, watches};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_frequency, parse_price, parse_selector};
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
}

#[utoipa::path(
    post, path = "/api/v1/watches", tag = "watches",
    request_body = CreateWatch,
    responses(
        (status = 201, body = WatchResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
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
    let mut conn = state.conn().await?;
    let result = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
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
                },
            )
            .await?;
            products::refresh_schedule(conn, product.id).await?;
            let product = products::find(conn, product.id)
                .await?
                .ok_or(diesel::result::Error::NotFound)?;
            Ok((watch, product))
        })
        .await;
    match result {
        Ok((watch, product)) => {
            crate::routes::products::forget_cached(&state, product.id).await;
            Ok(HttpResponse::Created().json(WatchResponse::new(watch, product)?))
        }
        Err(e) if is_unique_violation(&e) => Err(ApiError::Conflict {
            code: "watch_exists",
            message: "you already watch this product; change that watch instead".to_owned(),
        }),
        Err(e) => Err(e.into()),
    }
}
