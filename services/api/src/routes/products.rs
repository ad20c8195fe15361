//! A product and its price history, visible to the users who watch it.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use deadpool_redis::redis::AsyncCommands;
use pricewatch_storage::queries::{prices, products};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::dto::{PageOf, PricePointResponse, ProductResponse};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Pagination, QueryParams, ValidQuery};
use crate::state::AppState;

pub fn cache_key(state: &AppState, id: Uuid) -> String {
    state.redis_key(&format!("cache:product:{id}"))
}

/// Drops the cached body of a product a user just changed (a watch added,
/// changed or removed, a check asked for), so that the user's next read shows
/// it. Best effort: if Redis is down the entry expires with its TTL.
pub async fn forget_cached(state: &AppState, id: Uuid) {
    let key = cache_key(state, id);
    if let Err(error) =
        pricewatch_ops::redis::run(
            &state.redis,
            |mut c| async move { c.del::<_, ()>(key).await },
        )
        .await
    {
        tracing::debug!(%error, "product cache entry left to expire");
    }
}

#[utoipa::path(
    get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, body = ProductResponse),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    // Visibility is always checked against the database; only the body is cached.
    if !pricewatch_storage::queries::watches::user_watches_product(&mut conn, user.id, id).await? {
        return Err(ApiError::NotFound("product"));
    }
    let key = cache_key(&state, id);
    let cached = pricewatch_ops::redis::run(&state.redis, |mut c| {
        let key = key.clone();
        async move { c.get::<_, Option<String>>(key).await }
    })
    .await
    .ok()
    .flatten();
    if let Some(body) = cached {
        return Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header(("X-Cache", "hit"))
            .body(body));
    }
    let product = products::find(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("product"))?;
    let body = serde_json::to_string(&ProductResponse::from(product))
        .map_err(|e| ApiError::Internal(e.into()))?;
    let ttl = state.product_cache_ttl().as_secs();
    if ttl > 0 {
        let value = body.clone();
        let _ = pricewatch_ops::redis::run(&state.redis, |mut c| async move {
            c.set_ex::<_, _, ()>(key, value, ttl).await
        })
        .await;
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("X-Cache", "miss"))
        .body(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriceQuery {
    /// Only prices observed at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only prices observed at or before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl QueryParams for PriceQuery {
    fn expected(field: &str) -> &'static str {
        match field {
            "from" | "to" => "a date and time in RFC 3339 form, such as 2026-12-01T00:00:00Z",
            other => crate::extract::pagination_expected(other).unwrap_or("a valid value"),
        }
    }
}

#[utoipa::path(
    get, path = "/api/v1/products/{id}/prices", tag = "products",
    params(("id" = Uuid, Path, description = "Product id"), PriceQuery),
    responses(
        (status = 200, body = PageOf<PricePointResponse>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn prices(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    ValidQuery(query): ValidQuery<PriceQuery>,
) -> ApiResult<HttpResponse> {
    let page = Pagination {
        page: query.page,
        per_page: query.per_page,
    }
    .validate()?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(ApiError::validation("from", "from must not be after to"));
    }
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    if !pricewatch_storage::queries::watches::user_watches_product(&mut conn, user.id, id).await? {
        return Err(ApiError::NotFound("product"));
    }
    let (items, total) = prices::list(&mut conn, id, query.from, query.to, page).await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: items.into_iter().map(PricePointResponse::from).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    }))
}
