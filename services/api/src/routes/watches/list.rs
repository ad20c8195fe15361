use actix_web::{HttpResponse, web};
use pricewatch_storage::queries::watches;

use crate::auth::AuthUser;
use crate::dto::{PageOf, WatchResponse};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Pagination, ValidQuery};
use crate::state::AppState;

#[utoipa::path(
    get, path = "/api/v1/watches", tag = "watches",
    params(Pagination),
    responses(
        (status = 200, body = PageOf<WatchResponse>),
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
    let (rows, total) = watches::list_for_user(&mut conn, user.id, page).await?;
    Ok(HttpResponse::Ok().json(PageOf {
        items: rows
            .into_iter()
            .map(|(w, p)| WatchResponse::new(w, p))
            .collect::<Result<_, _>>()?,
        total,
        page: page.page,
        per_page: page.per_page,
    }))
}
