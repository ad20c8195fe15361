//! The watch actions shared by the REST handlers and the web pages: add,
//! update, delete, "check now". Each keeps the product's schedule in step,
//! drops its cached body, and returns a [`WatchError`]; the REST API turns
//! it into JSON (`crate::error`), the pages into a form error, a notice or an
//! error page (`crate::web`).

use diesel_async::AsyncConnection;
use pricewatch_storage::models::{Product, Watch, WatchChanges};
use pricewatch_storage::queries::{products, watches};
use uuid::Uuid;

use crate::error::{ApiError, Fault};
use crate::routes::products::forget_cached;
use crate::routes::watches::ValidWatch;
use crate::routes::watches::alerting::{self, AlertingInput};
use crate::routes::watches::create::{Mode, Placed, place};
use crate::state::AppState;

/// Why a watch action was refused, or could not be done.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A field breaks its rule (e.g. `channel_ids` naming another's channel).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// No such watch of this user.
    #[error("watch not found")]
    NotFound,
    /// The user already watches this product.
    #[error("you already watch this product; change that watch instead")]
    Exists,
    /// The account has `MAX_WATCHES_PER_USER` watches.
    #[error("an account can have at most {limit} watches; delete one first")]
    LimitReached { limit: i64 },
    /// "Check now" on a product checked on request less than
    /// `CHECK_NOW_MIN_INTERVAL_SECONDS` ago, by anybody.
    #[error("too many requests; retry in {retry_after} s")]
    TooSoon { product_id: Uuid, retry_after: u64 },
    /// The account was deleted meanwhile.
    #[error("this account no longer exists")]
    Gone,
    #[error(transparent)]
    Fault(#[from] Fault),
}

impl From<diesel::result::Error> for WatchError {
    fn from(err: diesel::result::Error) -> Self {
        WatchError::Fault(err.into())
    }
}

/// The validators and writers under `routes::watches` (also used by imports)
/// speak [`ApiError`]; these are the refusals they make.
impl From<ApiError> for WatchError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::Validation { field, message } => WatchError::Invalid { field, message },
            ApiError::NotFound(_) => WatchError::NotFound,
            ApiError::Unauthorized(_) => WatchError::Gone,
            ApiError::Unavailable(what) => WatchError::Fault(Fault::Unavailable(what)),
            ApiError::Internal(cause) => WatchError::Fault(Fault::Internal(cause)),
            other => WatchError::Fault(Fault::Internal(anyhow::anyhow!(
                "unexpected refusal of a watch action: {other}"
            ))),
        }
    }
}

/// Adds a watch that passed [`crate::routes::watches::validate_new`], within
/// the account's `MAX_WATCHES_PER_USER`; its product is checked at once.
pub async fn create(
    state: &AppState,
    user_id: Uuid,
    valid: ValidWatch,
) -> Result<(Watch, Product), WatchError> {
    let limit = i64::from(state.settings.max_watches_per_user);
    let mut conn = state.conn().await?;
    let placed = place(&mut conn, user_id, limit, vec![valid], Mode::Create).await?;
    let watch_id = match placed.first() {
        Some(Placed::Created { watch_id, .. }) => *watch_id,
        Some(Placed::Exists { .. }) => return Err(WatchError::Exists),
        _ => return Err(WatchError::LimitReached { limit }),
    };
    let (watch, product) = watches::find_for_user(&mut conn, watch_id, user_id)
        .await?
        .ok_or(WatchError::NotFound)?;
    drop(conn);
    forget_cached(state, product.id).await;
    Ok((watch, product))
}

/// Applies `changes` and `alerting` to the user's watch in one transaction
/// (a new target re-arms it and its target rule) and recomputes its
/// product's schedule.
pub async fn update(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
    mut changes: WatchChanges,
    alerting: AlertingInput,
) -> Result<(Watch, Product), WatchError> {
    // A new target is a new promise: alert again the next time it is crossed.
    let rearm_target = changes.target_price.is_some();
    if rearm_target {
        changes.armed = Some(true);
    }
    let mut conn = state.conn().await?;
    let found = conn
        .transaction::<_, WatchError, _>(async move |conn| {
            let nothing_to_change = changes.target_price.is_none()
                && changes.frequency_hours.is_none()
                && changes.active.is_none()
                && changes.css_selector.is_none()
                && changes.tags.is_none()
                && changes.fetch_mode.is_none();
            if !nothing_to_change {
                let Some(watch) = watches::update_for_user(conn, id, user_id, &changes).await?
                else {
                    return Ok(None);
                };
                products::refresh_schedule(conn, watch.product_id).await?;
            }
            let Some((watch, product)) = watches::find_for_user(conn, id, user_id).await? else {
                return Ok(None);
            };
            if !alerting.is_empty() || rearm_target {
                alerting::apply(conn, user_id, id, &product, &alerting, rearm_target).await?;
                return Ok(watches::find_for_user(conn, id, user_id).await?);
            }
            Ok(Some((watch, product)))
        })
        .await?;
    drop(conn);
    let (watch, product) = found.ok_or(WatchError::NotFound)?;
    forget_cached(state, product.id).await;
    Ok((watch, product))
}

/// Deletes the user's watch and recomputes its product's schedule.
pub async fn delete(state: &AppState, user_id: Uuid, id: Uuid) -> Result<(), WatchError> {
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
    drop(conn);
    let product_id = deleted.ok_or(WatchError::NotFound)?;
    forget_cached(state, product_id).await;
    Ok(())
}

/// Marks the watch's product for a check now (the scheduler publishes it on
/// its next tick), at most once per `CHECK_NOW_MIN_INTERVAL_SECONDS` per
/// product, whoever asks.
pub async fn check_now(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
) -> Result<(Watch, Product), WatchError> {
    let mut conn = state.conn().await?;
    let (watch, product) = watches::find_for_user(&mut conn, id, user_id)
        .await?
        .ok_or(WatchError::NotFound)?;
    drop(conn);
    crate::rate_limit::once_per(
        state,
        &format!("checknow:{}", product.id),
        state.settings.check_now_min_interval_seconds,
    )
    .await
    .map_err(|limited| WatchError::TooSoon {
        product_id: product.id,
        retry_after: limited.retry_after,
    })?;
    let mut conn = state.conn().await?;
    products::request_check(&mut conn, product.id).await?;
    drop(conn);
    forget_cached(state, product.id).await;
    Ok((watch, product))
}
