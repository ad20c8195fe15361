//! Tags: the user's tags with their counts, and one request to pause, resume
//! or delete every watch that carries a tag.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use pricewatch_storage::queries::{products, watches};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TagCount {
    #[schema(example = "kitchen")]
    pub tag: String,
    /// Watches that carry the tag.
    pub watches: i64,
    /// Of them, the active ones (not paused).
    pub active: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub items: Vec<TagCount>,
}

/// What a bulk action on a tag did.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagAction {
    pub tag: String,
    /// Watches changed (paused, resumed or deleted); those already in that
    /// state are not counted.
    pub changed: usize,
}

fn parse_path_tag(raw: &str) -> Result<String, ApiError> {
    pricewatch_domain::tag::parse_tag(raw).map_err(|e| ApiError::validation("tag", e))
}

/// The user's tags, alphabetically, with how many watches carry each.
#[utoipa::path(
    get, path = "/api/v1/tags", tag = "tags",
    responses((status = 200, body = TagList), (status = 401, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(user: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let items = watches::tag_counts(&mut conn, user.id)
        .await?
        .into_iter()
        .map(|t| TagCount {
            tag: t.tag,
            watches: t.watches,
            active: t.active,
        })
        .collect();
    Ok(HttpResponse::Ok().json(TagList { items }))
}

async fn set_active(
    user: AuthUser,
    state: &AppState,
    tag: String,
    active: bool,
) -> ApiResult<HttpResponse> {
    let mut conn = state.conn().await?;
    let tag_for_tx = tag.clone();
    let changed: Vec<Uuid> = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
            let changed = watches::set_active_for_tag(conn, user.id, &tag_for_tx, active).await?;
            products::refresh_schedules(conn, &changed).await?;
            Ok(changed)
        })
        .await?;
    forget_all(state, &changed).await;
    Ok(HttpResponse::Ok().json(TagAction {
        tag,
        changed: changed.len(),
    }))
}

async fn forget_all(state: &AppState, product_ids: &[Uuid]) {
    for id in product_ids {
        crate::routes::products::forget_cached(state, *id).await;
    }
}

/// Pauses every watch of the user that carries the tag.
#[utoipa::path(
    post, path = "/api/v1/tags/{tag}/pause", tag = "tags",
    params(("tag" = String, Path, description = "The tag")),
    responses(
        (status = 200, body = TagAction),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn pause(
    user: AuthUser,
    state: web::Data<AppState>,
    tag: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_active(user, &state, parse_path_tag(&tag)?, false).await
}

/// Resumes every paused watch of the user that carries the tag.
#[utoipa::path(
    post, path = "/api/v1/tags/{tag}/resume", tag = "tags",
    params(("tag" = String, Path, description = "The tag")),
    responses(
        (status = 200, body = TagAction),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resume(
    user: AuthUser,
    state: web::Data<AppState>,
    tag: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_active(user, &state, parse_path_tag(&tag)?, true).await
}

/// Deletes every watch of the user that carries the tag (their alerts go with
/// them; the products and their price history stay for other watchers).
#[utoipa::path(
    delete, path = "/api/v1/tags/{tag}/watches", tag = "tags",
    params(("tag" = String, Path, description = "The tag")),
    responses(
        (status = 200, body = TagAction),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_watches(
    user: AuthUser,
    state: web::Data<AppState>,
    tag: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let tag = parse_path_tag(&tag)?;
    let mut conn = state.conn().await?;
    let tag_for_tx = tag.clone();
    let deleted: Vec<Uuid> = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
            let deleted = watches::delete_for_tag(conn, user.id, &tag_for_tx).await?;
            products::refresh_schedules(conn, &deleted).await?;
            Ok(deleted)
        })
        .await?;
    forget_all(&state, &deleted).await;
    Ok(HttpResponse::Ok().json(TagAction {
        tag,
        changed: deleted.len(),
    }))
}
