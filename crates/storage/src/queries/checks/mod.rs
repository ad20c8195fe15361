//! The check pipeline's queries: the scheduler claims due products; the worker
//! records what a check found (price point, product, alerts and their
//! deliveries) in one transaction, records failures, and relays the
//! notification outbox.

mod record;

pub use record::{AlertLimits, CheckRecord, Recorded, record_check};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use pricewatch_domain::alert::{
    self, Check, Held, Reading, Rule, RuleState, WatchRules, limits::Cooldown,
};
use pricewatch_domain::frequency::{Frequency, InvalidFrequency};
use pricewatch_domain::reading::CheckStatus;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::prepared::PrepareExt;
use crate::schema::{notifications, products};

/// A product the scheduler claimed: its next check is already moved forward.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DueProduct {
    #[diesel(sql_type = sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    pub url: String,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Integer>)]
    pub check_interval_hours: Option<i32>,
}

impl DueProduct {
    /// The frequency its watches ask for; `None` when no active watch asks
    /// (a "check now" on a paused product), an error for a stored value that
    /// is no frequency.
    pub fn frequency(&self) -> Result<Option<Frequency>, InvalidFrequency> {
        self.check_interval_hours
            .map(Frequency::from_hours)
            .transpose()
    }
}

/// Claims up to `batch` due products (oldest due first; rows another scheduler
/// holds are skipped) and moves each one's next check one interval ahead, plus a
/// random share of `jitter_secs` so that checks spread out instead of bunching.
/// Also claims up to `batch` products a user asked to check now
/// (`check_requested_at`), including those whose watches are all paused (no
/// interval: their next check time stays as it is).
///
/// The claimed ids are handed to the UPDATE as an array so that it looks them
/// up by primary key: written as `id IN (subquery)` the planner joined against
/// a scan of the whole table, a cost that grew with the catalogue (45 ms per
/// batch of 1,000 at 100,000 products, against 25 ms this way at any size).
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    batch: i64,
    jitter_secs: u64,
) -> QueryResult<Vec<DueProduct>> {
    let jitter = f64::from(u32::try_from(jitter_secs).unwrap_or(u32::MAX));
    diesel::sql_query(
        "WITH due AS (
             SELECT id FROM products
             WHERE check_interval_hours IS NOT NULL AND next_check_at <= now()
             ORDER BY next_check_at
             LIMIT $1
             FOR UPDATE SKIP LOCKED),
         asked AS (
             SELECT id FROM products
             WHERE check_requested_at IS NOT NULL
             ORDER BY check_requested_at
             LIMIT $1
             FOR UPDATE SKIP LOCKED)
         UPDATE products SET
             next_check_at = CASE WHEN check_interval_hours IS NULL THEN next_check_at
                 ELSE now() + make_interval(hours => check_interval_hours)
                      + make_interval(secs => random() * $2) END,
             check_requested_at = NULL
         WHERE id = ANY (ARRAY(SELECT id FROM due UNION SELECT id FROM asked))
         RETURNING id, url, check_interval_hours",
    )
    .bind::<sql_types::BigInt, _>(batch)
    .bind::<sql_types::Double, _>(jitter)
    .prepared()
    .load(conn)
    .await
}

/// Makes claimed products due again at once (their jobs could not be published).
pub async fn release_claims(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<usize> {
    diesel::update(products::table.filter(products::id.eq_any(ids)))
        .set(products::next_check_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
}

/// Gives a claimed product back to the scheduler: due again in `delay_secs`
/// (a check that could not run now, e.g. its site had no free turn).
pub async fn postpone(
    conn: &mut AsyncPgConnection,
    product_id: Uuid,
    delay_secs: f64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE products SET next_check_at = now() + make_interval(secs => $2)
         WHERE id = $1 AND next_check_at > now() + make_interval(secs => $2)",
    )
    .bind::<sql_types::Uuid, _>(product_id)
    .bind::<sql_types::Double, _>(delay_secs)
    .prepared()
    .execute(conn)
    .await
}

/// Records a scheduler tick on the named schedules: `jobs` holds the jobs published
/// per interval (hours); a schedule that published some gets `last_run_at` and
/// `last_run_jobs`; every schedule's `next_run_at` is its next due product.
pub async fn record_schedule_runs(
    conn: &mut AsyncPgConnection,
    jobs: &[(Frequency, i64)],
) -> QueryResult<()> {
    let hours: Vec<i32> = Frequency::ALL.map(Frequency::stored_hours).to_vec();
    let counts: Vec<i64> = Frequency::ALL
        .iter()
        .map(|f| {
            jobs.iter()
                .filter(|(jf, _)| jf == f)
                .map(|(_, n)| *n)
                .sum::<i64>()
        })
        .collect();
    diesel::sql_query(
        "UPDATE schedules s SET
             last_run_at = CASE WHEN c.jobs > 0 THEN now() ELSE s.last_run_at END,
             last_run_jobs = CASE WHEN c.jobs > 0 THEN c.jobs ELSE s.last_run_jobs END,
             next_run_at = (SELECT min(p.next_check_at) FROM products p
                            WHERE p.check_interval_hours = s.interval_hours)
         FROM (SELECT unnest($1::int4[]) AS h, unnest($2::int8[]) AS jobs) c
         WHERE s.interval_hours = c.h",
    )
    .bind::<sql_types::Array<sql_types::Integer>, _>(hours)
    .bind::<sql_types::Array<sql_types::BigInt>, _>(counts)
    .execute(conn)
    .await?;
    Ok(())
}

/// What the worker needs to know about a product before it fetches the page.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckContext {
    pub product_id: Uuid,
    pub url: String,
    pub last_price: Option<Decimal>,
    pub currency: Option<String>,
    pub unconfirmed_price: Option<Decimal>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The CSS selector of one of the product's active watches, if any gave one.
    pub css_selector: Option<String>,
    /// The last recorded prices, newest first (at most `RECENT_PRICES`).
    pub recent_prices: Vec<Decimal>,
    /// `auto`, `http` or `browser`.
    pub fetch_mode: String,
    /// An `auto` check found the price only in the rendered page before.
    pub needs_browser: bool,
}

/// How many recorded prices `check_context` loads to tell a price that flips
/// back and forth.
pub const RECENT_PRICES: i64 = 4;

/// What the worker finds before it fetches a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Context {
    /// The product was deleted: nothing to check.
    Gone,
    /// This job already recorded its price point (a redelivery).
    Recorded,
    Ready(Box<CheckContext>),
}

/// A check's context in one statement (one round trip, kept prepared): the
/// product, the CSS selector of its oldest active watch that has one, its last
/// `RECENT_PRICES` prices, and whether `job_id` already recorded its price.
pub async fn check_context(
    conn: &mut AsyncPgConnection,
    product_id: Uuid,
    job_id: Uuid,
) -> QueryResult<Context> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = sql_types::Text)]
        url: String,
        #[diesel(sql_type = sql_types::Nullable<sql_types::Numeric>)]
        last_price: Option<Decimal>,
        #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
        currency: Option<String>,
        #[diesel(sql_type = sql_types::Nullable<sql_types::Numeric>)]
        unconfirmed_price: Option<Decimal>,
        #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
        etag: Option<String>,
        #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
        last_modified: Option<String>,
        #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
        css_selector: Option<String>,
        #[diesel(sql_type = sql_types::Array<sql_types::Numeric>)]
        recent_prices: Vec<Decimal>,
        #[diesel(sql_type = sql_types::Bool)]
        job_recorded: bool,
        #[diesel(sql_type = sql_types::Text)]
        fetch_mode: String,
        #[diesel(sql_type = sql_types::Bool)]
        needs_browser: bool,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT p.id, p.url, p.last_price, p.currency::text AS currency, p.unconfirmed_price,
                p.etag, p.last_modified,
                (SELECT w.css_selector FROM watches w
                 WHERE w.product_id = p.id AND w.active AND w.css_selector IS NOT NULL
                 ORDER BY w.created_at LIMIT 1) AS css_selector,
                ARRAY(SELECT h.amount FROM price_history h WHERE h.product_id = p.id
                      ORDER BY h.observed_at DESC, h.id DESC LIMIT $3) AS recent_prices,
                EXISTS (SELECT 1 FROM price_history h WHERE h.job_id = $2) AS job_recorded,
                p.fetch_mode, p.needs_browser
         FROM products p WHERE p.id = $1",
    )
    .bind::<sql_types::Uuid, _>(product_id)
    .bind::<sql_types::Uuid, _>(job_id)
    .bind::<sql_types::BigInt, _>(RECENT_PRICES)
    .prepared()
    .get_result(conn)
    .await
    .optional()?;
    let Some(row) = row else {
        return Ok(Context::Gone);
    };
    if row.job_recorded {
        return Ok(Context::Recorded);
    }
    Ok(Context::Ready(Box::new(CheckContext {
        product_id: row.id,
        url: row.url,
        last_price: row.last_price,
        currency: row.currency.map(|c| c.trim().to_owned()),
        unconfirmed_price: row.unconfirmed_price,
        etag: row.etag,
        last_modified: row.last_modified,
        css_selector: row.css_selector,
        recent_prices: row.recent_prices,
        fetch_mode: row.fetch_mode,
        needs_browser: row.needs_browser,
    })))
}

/// How the last check got the page (`http` or `browser`), and whether the
/// product needs the browser from now on (`None` leaves it as it is).
pub async fn record_fetch(
    conn: &mut AsyncPgConnection,
    product_id: Uuid,
    fetched_with: &str,
    needs_browser: Option<bool>,
) -> QueryResult<()> {
    match needs_browser {
        Some(needs) => {
            diesel::update(products::table.find(product_id))
                .set((
                    products::fetched_with.eq(fetched_with),
                    products::needs_browser.eq(needs),
                ))
                .execute(conn)
                .await?
        }
        None => {
            diesel::update(products::table.find(product_id))
                .set(products::fetched_with.eq(fetched_with))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// A conditional request answered 304: the page (and so the price) is unchanged.
pub async fn record_unchanged(conn: &mut AsyncPgConnection, product_id: Uuid) -> QueryResult<()> {
    diesel::update(products::table.find(product_id))
        .set((
            products::check_status.eq(CheckStatus::Unchanged.as_str()),
            products::check_error.eq(None::<String>),
            products::consecutive_failures.eq(0),
            products::last_checked_at.eq(diesel::dsl::now),
            products::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A check that found no price (`status` says why: no price, blocked, an
/// HTTP error, refused, a fetch error); `message` is shown to the user. Prices
/// and alerts are never touched.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    product_id: Uuid,
    status: CheckStatus,
    message: &str,
) -> QueryResult<()> {
    diesel::update(products::table.find(product_id))
        .set((
            products::check_status.eq(status.as_str()),
            products::check_error.eq(message),
            products::consecutive_failures.eq(products::consecutive_failures + 1),
            products::last_checked_at.eq(diesel::dsl::now),
            products::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A suspicious reading waits here for a confirming fetch.
pub async fn set_unconfirmed(
    conn: &mut AsyncPgConnection,
    product_id: Uuid,
    amount: Decimal,
) -> QueryResult<()> {
    diesel::update(products::table.find(product_id))
        .set(products::unconfirmed_price.eq(amount))
        .execute(conn)
        .await?;
    Ok(())
}

/// Pending notifications committed before `older_than` but never published.
pub async fn unpublished_notifications(
    conn: &mut AsyncPgConnection,
    older_than: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    notifications::table
        .filter(notifications::published_at.is_null())
        .filter(notifications::status.eq("pending"))
        .filter(notifications::created_at.lt(older_than))
        .order(notifications::created_at.asc())
        .limit(limit)
        .select(notifications::id)
        .load(conn)
        .await
}

pub async fn mark_published(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq_any(ids))
            .filter(notifications::published_at.is_null()),
    )
    .set(notifications::published_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
}
