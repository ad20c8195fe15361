//! What the api returns: JSON shapes that clients depend on (snapshot-tested).

use chrono::{DateTime, Utc};
use pricewatch_domain::Frequency;
use pricewatch_storage::models::{Notification, PricePoint, Product, User, Watch};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Money as people write it: at least two decimals (`249.00`, `19.5` → `19.50`).
pub fn money(amount: Decimal) -> Decimal {
    let mut d = amount.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        UserResponse {
            id: u.id,
            email: u.email,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct LastCheck {
    /// pending, ok, unchanged, no_price, blocked, http_error, refused or fetch_error.
    pub status: String,
    /// Why the last check failed, in words.
    pub error: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// Which extraction method found the price (json_ld, microdata, meta, …).
    pub method: Option<String>,
    pub consecutive_failures: i32,
    /// How the page was fetched: `http` or `browser`.
    #[serde(default)]
    pub fetched_with: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ProductResponse {
    pub id: Uuid,
    pub url: String,
    pub title: Option<String>,
    pub image_url: Option<String>,
    /// Last price seen, as a decimal string.
    #[schema(value_type = Option<String>, example = "1299.99")]
    pub last_price: Option<Decimal>,
    pub currency: Option<String>,
    pub in_stock: Option<bool>,
    pub last_check: LastCheck,
    pub next_check_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// `auto`, `http` or `browser`: the strongest of its active watches'.
    #[serde(default)]
    pub fetch_mode: String,
    /// An `auto` check found the price only once the page was rendered.
    #[serde(default)]
    pub needs_browser: bool,
}

impl From<Product> for ProductResponse {
    fn from(p: Product) -> Self {
        ProductResponse {
            id: p.id,
            url: p.url,
            title: p.title,
            image_url: p.image_url,
            last_price: p.last_price.map(money),
            currency: p.currency,
            in_stock: p.in_stock,
            last_check: LastCheck {
                status: p.check_status,
                error: p.check_error,
                checked_at: p.last_checked_at,
                method: p.extraction_method,
                consecutive_failures: p.consecutive_failures,
                fetched_with: p.fetched_with,
            },
            next_check_at: p.check_interval_hours.map(|_| p.next_check_at),
            created_at: p.created_at,
            fetch_mode: p.fetch_mode,
            needs_browser: p.needs_browser,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchResponse {
    pub id: Uuid,
    #[schema(value_type = String, example = "999.00")]
    pub target_price: Decimal,
    #[schema(value_type = String, example = "24h")]
    pub frequency: Frequency,
    pub active: bool,
    pub css_selector: Option<String>,
    /// Lower-case, sorted.
    #[schema(example = json!(["kitchen"]))]
    pub tags: Vec<String>,
    /// `auto`, `http` or `browser`.
    pub fetch_mode: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub product: ProductResponse,
}

impl WatchResponse {
    /// Fails only on a stored frequency that is none of ours (the database
    /// allows 6, 12 and 24 hours): a 500 that names the watch, never a guess.
    pub fn new(w: Watch, p: Product) -> Result<Self, crate::error::ApiError> {
        let frequency = Frequency::from_hours(w.frequency_hours).map_err(|e| {
            crate::error::ApiError::Internal(anyhow::anyhow!("watch {}: {e}", w.id))
        })?;
        Ok(WatchResponse {
            id: w.id,
            target_price: money(w.target_price),
            frequency,
            active: w.active,
            css_selector: w.css_selector,
            tags: w.tags,
            fetch_mode: w.fetch_mode,
            created_at: w.created_at,
            updated_at: w.updated_at,
            product: p.into(),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PricePointResponse {
    #[schema(value_type = String, example = "1299.99")]
    pub amount: Decimal,
    pub currency: String,
    pub in_stock: Option<bool>,
    pub observed_at: DateTime<Utc>,
}

impl From<PricePoint> for PricePointResponse {
    fn from(p: PricePoint) -> Self {
        PricePointResponse {
            amount: money(p.amount),
            currency: p.currency,
            in_stock: p.in_stock,
            observed_at: p.observed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: Uuid,
    pub watch_id: Uuid,
    pub product_id: Uuid,
    #[schema(value_type = Option<String>)]
    pub old_price: Option<Decimal>,
    #[schema(value_type = String)]
    pub new_price: Decimal,
    pub currency: String,
    #[schema(value_type = String)]
    pub target_price: Decimal,
    /// pending, sending, sent or failed.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Notification> for NotificationResponse {
    fn from(n: Notification) -> Self {
        NotificationResponse {
            id: n.id,
            watch_id: n.watch_id,
            product_id: n.product_id,
            old_price: n.old_price.map(money),
            new_price: money(n.new_price),
            currency: n.currency,
            target_price: money(n.target_price),
            status: n.status,
            attempts: n.attempts,
            last_error: n.last_error,
            sent_at: n.sent_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}
