use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pricewatch_storage::models::Watch;
use pricewatch_storage::queries::{products, users, watches};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::alerting::{self, AlertingInput};
use super::{NewWatch, ValidWatch, validate_new};
use crate::auth::AuthUser;
use crate::dto::{RuleSchema, WatchResponse};
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
    /// When to alert; `[{"kind": "below_target"}]` (the target alone) when absent.
    #[schema(value_type = Option<Vec<RuleSchema>>, example = json!([{"kind": "below_target"}, {"kind": "back_in_stock"}]))]
    pub rules: Option<serde_json::Value>,
    /// The channels to alert (the account's own); empty or absent: all of them.
    pub channel_ids: Option<Vec<Uuid>>,
    /// The least time between two alerts, in minutes (0 to 10080; 0 when absent).
    #[schema(minimum = 0, maximum = 10080)]
    pub cooldown_minutes: Option<i64>,
    /// How the page is fetched: `auto` (the default: HTTP, and a headless
    /// browser for pages built by scripts), `http` or `browser`.
    #[schema(example = "auto")]
    pub fetch_mode: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/watches", tag = "watches",
    request_body = CreateWatch,
    responses(
        (status = 201, body = WatchResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a read-only API token"),
        (status = 409, body = ErrorBody, description = "already watched, or the account's watch limit is reached"),
        (status = 422, body = ErrorBody, description = "a field is invalid: `url`, `target_price`, `frequency`, `css_selector`, `tags`, `rules`, `channel_ids` (not your channels), `cooldown_minutes` or `fetch_mode`"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    ValidJson(body): ValidJson<CreateWatch>,
) -> ApiResult<HttpResponse> {
    let input = AlertingInput::parse(body.rules.as_ref(), body.channel_ids, body.cooldown_minutes)?;
    let mut valid = validate_new(
        state.settings.allow_loopback_targets,
        &NewWatch {
            url: &body.url,
            target_price: &body.target_price,
            frequency: &body.frequency,
            css_selector: body.css_selector.as_deref(),
            tags: body.tags.as_deref().unwrap_or_default(),
            active: true,
            fetch_mode: body.fetch_mode.as_deref(),
        },
    )?;
    valid.alerting = input;
    let (watch, product) = crate::watch_actions::create(&state, user.id, valid).await?;
    let mut conn = state.conn().await?;
    Ok(HttpResponse::Created().json(alerting::response(&mut conn, watch, product).await?))
}

/// How [`place`] treats the watches it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One watch from `POST /watches`: its product is checked at once.
    Create,
    /// An import: the first checks of new products are spread out
    /// ([`first_check_offsets`]).
    Import,
    /// An import's `dry_run`: decides every outcome, writes nothing.
    DryRun,
}

/// What became of one watch given to [`place`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    Created {
        watch_id: Uuid,
        product_id: Uuid,
    },
    /// `DryRun`: it would be created.
    WouldCreate,
    /// The user already watches this product.
    Exists {
        watch_id: Uuid,
    },
    /// The account's `MAX_WATCHES_PER_USER` is reached.
    LimitReached,
}

/// Creates watches for the user, in order, in one transaction, the account's
/// row locked so that the watch cap holds under concurrent requests (and a
/// deleted account is a 401, not a foreign-key failure). A product already
/// watched is reported, never watched twice; past the cap nothing more is
/// created. Then the touched products' schedules are recomputed in one
/// statement. `POST /watches` and every import go through here.
pub async fn place(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    limit: i64,
    items: Vec<ValidWatch>,
    mode: Mode,
) -> Result<Vec<Placed>, ApiError> {
    conn.transaction::<_, ApiError, _>(async move |conn| {
        if !users::lock(conn, user_id).await? {
            return Err(ApiError::Unauthorized(
                "this account no longer exists".to_owned(),
            ));
        }
        let mut count = watches::count_for_user(conn, user_id).await?;
        let mut placed = Vec::with_capacity(items.len());
        let mut touched = Vec::new();
        let mut fresh: Vec<(String, Uuid)> = Vec::new();
        for item in items {
            if let Some(watch_id) =
                watches::find_id_by_url(conn, user_id, item.url.as_str()).await?
            {
                placed.push(Placed::Exists { watch_id });
                continue;
            }
            if count >= limit {
                placed.push(Placed::LimitReached);
                continue;
            }
            if mode == Mode::DryRun {
                count += 1;
                placed.push(Placed::WouldCreate);
                continue;
            }
            let product = products::get_or_create(conn, item.url.as_str(), item.url.host()).await?;
            let input = item.alerting.clone();
            let now = Utc::now();
            let inserted = watches::insert_if_absent(
                conn,
                &Watch {
                    id: Uuid::new_v4(),
                    user_id,
                    product_id: product.id,
                    target_price: item.target_price,
                    frequency_hours: item.frequency.stored_hours(),
                    active: item.active,
                    css_selector: item.css_selector,
                    armed: true,
                    created_at: now,
                    updated_at: now,
                    tags: item.tags,
                    fetch_mode: item.fetch_mode.as_str().to_owned(),
                },
            )
            .await?;
            match inserted {
                Some(watch) => {
                    if !input.is_empty() {
                        alerting::apply(conn, user_id, watch.id, &product, &input, false).await?;
                    }
                    count += 1;
                    touched.push(product.id);
                    if product.last_checked_at.is_none() {
                        fresh.push((product.host, product.id));
                    }
                    placed.push(Placed::Created {
                        watch_id: watch.id,
                        product_id: product.id,
                    });
                }
                // Another request created it since the lookup above.
                None => match watches::find_id_by_url(conn, user_id, item.url.as_str()).await? {
                    Some(watch_id) => placed.push(Placed::Exists { watch_id }),
                    None => {
                        return Err(ApiError::Internal(anyhow::anyhow!(
                            "watch neither inserted nor found"
                        )));
                    }
                },
            }
        }
        products::refresh_schedules(conn, &touched).await?;
        if mode == Mode::Import {
            let (ids, offsets) = first_check_offsets(&fresh);
            products::spread_first_checks(conn, &ids, &offsets).await?;
        }
        Ok(placed)
    })
    .await
}

/// Longest gap between two first checks of one shop in an import, in ms.
const IMPORT_HOST_SPACING_MS: i64 = 5_000;
/// An import's first checks of one shop all fall within this window, in ms.
const IMPORT_WINDOW_MS: i64 = 3_600_000;

/// When each never-checked product of an import gets its first check, in ms
/// from now: each shop's (host's) products in turn, `IMPORT_HOST_SPACING_MS`
/// apart, closer only when that would take longer than `IMPORT_WINDOW_MS`.
/// The first product of each shop is due at once.
pub fn first_check_offsets(fresh: &[(String, Uuid)]) -> (Vec<Uuid>, Vec<i64>) {
    let mut per_host: HashMap<&str, i64> = HashMap::new();
    for (host, _) in fresh {
        *per_host.entry(host.as_str()).or_default() += 1;
    }
    let mut seen: HashMap<&str, i64> = HashMap::new();
    let mut ids = Vec::with_capacity(fresh.len());
    let mut offsets = Vec::with_capacity(fresh.len());
    for (host, id) in fresh {
        let n = per_host.get(host.as_str()).copied().unwrap_or(1).max(1);
        let spacing = IMPORT_HOST_SPACING_MS.min(IMPORT_WINDOW_MS / n);
        let k = seen.entry(host.as_str()).or_default();
        ids.push(*id);
        offsets.push(*k * spacing);
        *k += 1;
    }
    (ids, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_checks_are_spread_per_shop_within_the_window() {
        let a = || ("a.example".to_owned(), Uuid::new_v4());
        let b = || ("b.example".to_owned(), Uuid::new_v4());
        let (_, offsets) = first_check_offsets(&[a(), b(), a(), a(), b()]);
        assert_eq!(offsets, [0, 0, 5_000, 10_000, 5_000]);
        let many: Vec<_> = (0..7_200).map(|_| a()).collect();
        let (_, offsets) = first_check_offsets(&many);
        assert_eq!(offsets[1], 500);
        assert!(*offsets.last().unwrap() < IMPORT_WINDOW_MS);
    }
}
