//! Changes to one watch that the REST handlers and the web pages both make:
//! update, delete, "check now". Each keeps the product's schedule in step and
//! drops its cached body.

use diesel_async::AsyncConnection;
use pricewatch_storage::models::{Product, Watch, WatchChanges};
use pricewatch_storage::queries::{products, watches};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Applies `changes` to the user's watch (a new target re-arms it) and
/// recomputes its product's schedule; 404 for a watch that is not theirs.
pub async fn update(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
    mut changes: WatchChanges,
) -> Result<(Watch, Product), ApiError> {
    if changes.target_price.is_some() {
        // A new target is a new promise: alert again the next time it is crossed.
        changes.armed = Some(true);
    }
    let mut conn = state.conn().await?;
    let found = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
            let nothing_to_change = changes.target_price.is_none()
                && changes.frequency_hours.is_none()
                && changes.active.is_none()
                && changes.css_selector.is_none()
                && changes.tags.is_none();
            if !nothing_to_change {
                let Some(watch) = watches::update_for_user(conn, id, user_id, &changes).await?
                else {
                    return Ok(None);
                };
                products::refresh_schedule(conn, watch.product_id).await?;
            }
            watches::find_for_user(conn, id, user_id).await
        })
        .await?;
    let (watch, product) = found.ok_or(ApiError::NotFound("watch"))?;
    crate::routes::products::forget_cached(state, product.id).await;
    Ok((watch, product))
}

/// Deletes the user's watch and recomputes its product's schedule.
pub async fn delete(state: &AppState, user_id: Uuid, id: Uuid) -> Result<(), ApiError> {
    let mut conn = state.conn().await?;
    let deleted: Option<Uuid> = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
            let product = watches::delete_for_user(conn, id, user_id).await?;
            if let Some(product_id) = product {
                products::refresh_schedule(conn, product_id).await?;
            }
            Ok(product)
        })
        .await?;
    let product_id = deleted.ok_or(ApiError::NotFound("watch"))?;
    crate::routes::products::forget_cached(state, product_id).await;
    Ok(())
}

/// Asks for a check of the watch's product now, at most once per
/// `CHECK_NOW_MIN_INTERVAL_SECONDS` per product, whoever asks (429 otherwise).
pub async fn check_now(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
) -> Result<(Watch, Product), ApiError> {
    let mut conn = state.conn().await?;
    let (watch, product) = watches::find_for_user(&mut conn, id, user_id)
        .await?
        .ok_or(ApiError::NotFound("watch"))?;
    drop(conn);
    crate::rate_limit::once_per(
        state,
        &format!("checknow:{}", product.id),
        state.settings.check_now_min_interval_seconds,
    )
    .await?;
    let mut conn = state.conn().await?;
    products::request_check(&mut conn, product.id).await?;
    crate::routes::products::forget_cached(state, product.id).await;
    Ok((watch, product))
}
