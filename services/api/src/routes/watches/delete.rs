use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use pricewatch_storage::queries::{products, watches};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

#[utoipa::path(
    delete, path = "/api/v1/watches/{id}", tag = "watches",
    params(("id" = Uuid, Path, description = "Watch id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut conn = state.conn().await?;
    let deleted: Option<Uuid> = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
            let product = watches::delete_for_user(conn, id, user.id).await?;
            if let Some(product_id) = product {
                products::refresh_schedule(conn, product_id).await?;
            }
            Ok(product)
        })
        .await?;
    if let Some(product_id) = deleted {
        crate::routes::products::forget_cached(&state, product_id).await;
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("watch"))
    }
}
