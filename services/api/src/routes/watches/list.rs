use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::watches;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::dto::{PageOf, WatchResponse};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Pagination, QueryParams, ValidQuery};
use crate::state::AppState;

/// `?page=1&per_page=20&tag=kitchen`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WatchListQuery {
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
    /// Only the watches that carry this tag.
    pub tag: Option<String>,
}

impl QueryParams for WatchListQuery {
    fn expected(field: &str) -> &'static str {
        crate::extract::pagination_expected(field).unwrap_or("a valid value")
    }
}

#[utoipa::path(
    get, path = "/api/v1/watches", tag = "watches",
    params(WatchListQuery),
    responses(
        (status = 200, body = PageOf<WatchResponse>),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidQuery(query): ValidQuery<WatchListQuery>,
) -> ApiResult<HttpResponse> {
    let page = Pagination {
        page: query.page,
        per_page: query.per_page,
    }
    .validate()?;
    let tag = query
        .tag
        .as_deref()
        .map(pricewatch_domain::tag::parse_tag)
        .transpose()
        .map_err(|e| ApiError::validation("tag", e))?;
    let mut conn = state.conn().await?;
    let (rows, total) = watches::list_for_user(&mut conn, user.id, tag.as_deref(), page).await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: super::alerting::responses(&mut conn, rows).await?,
        total,
        page: page.page,
        per_page: page.per_page,
    }))
}
