//! What the api returns: JSON shapes that clients depend on (snapshot-tested).

use chrono::{DateTime, Utc};
use pricewatch_domain::Frequency;
use pricewatch_storage::models::{Notification, Preferences, PricePoint, Product, User, Watch};
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
    /// The language of the account's pages and emails (`en`, `fr`); `null`:
    /// the pages follow the browser, emails are in English.
    #[schema(example = "fr")]
    pub language: Option<String>,
    /// The IANA time zone of the account's pages and emails; `null`: the
    /// pages follow the browser, emails give times in UTC.
    #[schema(example = "Europe/Paris")]
    pub time_zone: Option<String>,
}

impl UserResponse {
    pub fn new(u: User, preferences: Preferences) -> Self {
        UserResponse {
            id: u.id,
            email: u.email,
            created_at: u.created_at,
            language: preferences.language,
            time_zone: preferences.time_zone,
        }
    }
}

impl From<User> for UserResponse {
    /// A new account: nothing saved yet.
    fn from(u: User) -> Self {
        UserResponse::new(u, Preferences::default())
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
    /// Whether the page's structured data and its visible text showed the
    /// same amount at the last recorded price (null before the first price).
    pub sources_agree: Option<bool>,
    /// Why the last recorded price won over the page's other prices.
    pub decision: Option<String>,
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
                sources_agree: p.sources_agree,
                decision: p.extraction_decision,
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

/// One alert rule, as a watch's `rules` lists them (documentation of
/// `pricewatch_domain::alert::Rule`, whose serde form it copies).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RuleSchema {
    /// The price is at or below the watch's target (a watch's only rule when it names none).
    BelowTarget,
    /// The price fell by at least `percent` % (more than 0, at most 100) since the rule last fired or was set.
    PercentDrop {
        #[schema(value_type = String, example = "10")]
        percent: Decimal,
    },
    /// The price fell by at least `amount`, in the product's currency.
    AmountDrop {
        #[schema(value_type = String, example = "5.00")]
        amount: Decimal,
    },
    /// The lowest price of the last `days` days (0: ever).
    NewLow {
        #[schema(minimum = 0, maximum = 3650)]
        days: u32,
    },
    /// The product is back in stock.
    BackInStock,
    /// The price changed, up or down.
    AnyChange,
}

/// A watch's alerting, as shown.
#[derive(Debug, Default)]
pub struct WatchAlertingResponse {
    pub rules: Vec<pricewatch_domain::alert::Rule>,
    pub channel_ids: Vec<Uuid>,
    pub cooldown_minutes: i32,
    pub last_alert_at: Option<DateTime<Utc>>,
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
    /// When the watch alerts: each rule that fires on a check is named in
    /// the alert. `[{"kind": "below_target"}]` unless set.
    #[schema(value_type = Vec<RuleSchema>, example = json!([{"kind": "below_target"}, {"kind": "percent_drop", "percent": "10"}]))]
    pub rules: Vec<pricewatch_domain::alert::Rule>,
    /// The channels the watch's alerts go to; empty: every channel of the account.
    pub channel_ids: Vec<Uuid>,
    /// The least time between two alerts of this watch, in minutes (0 to 10080).
    pub cooldown_minutes: i32,
    pub last_alert_at: Option<DateTime<Utc>>,
    /// `auto`, `http` or `browser`.
    pub fetch_mode: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub product: ProductResponse,
}

impl WatchResponse {
    /// Fails only on a stored frequency that is none of ours (the database
    /// allows 6, 12 and 24 hours): a 500 that names the watch, never a guess.
    pub fn new(
        w: Watch,
        p: Product,
        alerting: WatchAlertingResponse,
    ) -> Result<Self, crate::error::ApiError> {
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
            rules: alerting.rules,
            channel_ids: alerting.channel_ids,
            cooldown_minutes: alerting.cooldown_minutes,
            last_alert_at: alerting.last_alert_at,
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
    /// The rules that fired: below_target, percent_drop, amount_drop, new_low, back_in_stock, any_change.
    #[schema(example = json!(["below_target", "percent_drop"]))]
    pub rules: Vec<String>,
    /// The email to the account's address: pending, sending, sent or failed;
    /// `delivering` when the alert goes to the account's channels instead
    /// (see `deliveries`), until every delivery is finished.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// One per channel the alert goes to.
    pub deliveries: Vec<DeliveryResponse>,
}

/// An alert's delivery to one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub channel_id: Uuid,
    /// The channel's kind: email, ntfy, gotify, telegram, discord, slack, pushover, matrix or webhook.
    pub kind: String,
    /// The channel's name.
    pub name: String,
    /// pending, sending, sent or failed.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<pricewatch_storage::queries::channels::DeliveryView> for DeliveryResponse {
    fn from(d: pricewatch_storage::queries::channels::DeliveryView) -> Self {
        DeliveryResponse {
            channel_id: d.channel_id,
            kind: d.kind,
            name: d.name,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            sent_at: d.sent_at,
        }
    }
}

impl NotificationResponse {
    pub fn new(n: Notification, deliveries: Vec<DeliveryResponse>) -> Self {
        NotificationResponse {
            id: n.id,
            watch_id: n.watch_id,
            product_id: n.product_id,
            old_price: n.old_price.map(money),
            new_price: money(n.new_price),
            currency: n.currency,
            target_price: money(n.target_price),
            rules: n.rules,
            status: n.status,
            attempts: n.attempts,
            last_error: n.last_error,
            sent_at: n.sent_at,
            created_at: n.created_at,
            deliveries,
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
