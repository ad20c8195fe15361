//! The check pipeline's queries: the scheduler claims due products; the worker
//! records what a check found (price point, product, alerts and their
//! deliveries) in one transaction, records failures, and relays the
//! notification outbox.

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
    Ready(CheckContext),
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
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT p.id, p.url, p.last_price, p.currency::text AS currency, p.unconfirmed_price,
                p.etag, p.last_modified,
                (SELECT w.css_selector FROM watches w
                 WHERE w.product_id = p.id AND w.active AND w.css_selector IS NOT NULL
                 ORDER BY w.created_at LIMIT 1) AS css_selector,
                ARRAY(SELECT h.amount FROM price_history h WHERE h.product_id = p.id
                      ORDER BY h.observed_at DESC, h.id DESC LIMIT $3) AS recent_prices,
                EXISTS (SELECT 1 FROM price_history h WHERE h.job_id = $2) AS job_recorded
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
    Ok(Context::Ready(CheckContext {
        product_id: row.id,
        url: row.url,
        last_price: row.last_price,
        currency: row.currency.map(|c| c.trim().to_owned()),
        unconfirmed_price: row.unconfirmed_price,
        etag: row.etag,
        last_modified: row.last_modified,
        css_selector: row.css_selector,
        recent_prices: row.recent_prices,
    }))
}

/// A successful reading of a product page.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRecord {
    pub product_id: Uuid,
    pub job_id: Uuid,
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    pub title: Option<String>,
    pub image_url: Option<String>,
    pub in_stock: Option<bool>,
    /// How the price was found (`json_ld`, `selector`, …).
    pub method: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The price point is new. `notifications`: the alerts to email to their
    /// users' addresses (the worker publishes a `SendNotification` for each);
    /// `delivering`: the alerts for users with channels, whose deliveries
    /// were written beside them for the notifier.
    New {
        price_history_id: i64,
        notifications: Vec<Uuid>,
        delivering: Vec<Uuid>,
    },
    /// This job had already recorded its price point: nothing was changed.
    Duplicate,
}

/// The limits a check applies to the alerts it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertLimits {
    /// Most alerts one user gets in any 24 hours.
    pub per_user_per_day: u32,
}

impl Default for AlertLimits {
    fn default() -> Self {
        AlertLimits {
            per_user_per_day: 50,
        }
    }
}

/// What statement A of `record_check` gives: the price point and the
/// product's reading before it, and one row per active watch (none when the
/// product has no active watch: the watch columns are then NULL).
#[derive(QueryableByName)]
struct Observed {
    #[diesel(sql_type = sql_types::BigInt)]
    price_history_id: i64,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Numeric>)]
    old_price: Option<Decimal>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Bool>)]
    old_in_stock: Option<bool>,
    #[diesel(sql_type = sql_types::Timestamptz)]
    now: DateTime<Utc>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Uuid>)]
    watch_id: Option<Uuid>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Numeric>)]
    target_price: Option<Decimal>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Bool>)]
    armed: Option<bool>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Jsonb>)]
    rules: Option<serde_json::Value>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Jsonb>)]
    rule_state: Option<serde_json::Value>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Integer>)]
    cooldown_minutes: Option<i32>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Timestamptz>)]
    last_alert_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = sql_types::BigInt)]
    alerts_today: i64,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Numeric>)]
    lowest: Option<Decimal>,
}

/// Records a price point, updates the product and evaluates its watches'
/// alert rules, in one transaction. Idempotent per job id: a job that
/// already recorded its price point changes nothing.
///
/// Statement A inserts the price point, locks and updates the product, and
/// reads every active watch of the product (locked, so that a change of its
/// rules waits for this check), with its user's alerts of the last 24 hours
/// and, for a `new_low` rule, the lowest earlier price in its window. The
/// rules are then decided in Rust by `pricewatch_domain::alert` (pure
/// functions); statement B, only when a watch changed, writes the watches'
/// new states, one notification per watch that alerts (with the kinds of the
/// rules that fired) and, for a user with channels, one delivery per channel
/// (the watch's own, or all the user's when it names none). Four round trips
/// (BEGIN, A, B, COMMIT) where nothing alerted and no state moved, B is
/// skipped. The product's row lock orders concurrent checks of one product.
pub async fn record_check(
    conn: &mut AsyncPgConnection,
    check: &CheckRecord,
    limits: AlertLimits,
) -> QueryResult<Recorded> {
    let check = check.clone();
    conn.transaction(async move |conn| record_in_transaction(conn, &check, limits).await)
        .await
}

async fn record_in_transaction(
    conn: &mut AsyncPgConnection,
    check: &CheckRecord,
    limits: AlertLimits,
) -> QueryResult<Recorded> {
    let observed: Vec<Observed> = diesel::sql_query(
        "WITH ins AS (
             INSERT INTO price_history (product_id, job_id, amount, currency, in_stock)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (job_id) DO NOTHING
             RETURNING id),
         old AS (
             SELECT p.id, p.last_price, p.in_stock FROM products p
             WHERE p.id = $1 AND EXISTS (SELECT 1 FROM ins)
             FOR UPDATE),
         upd AS (
             UPDATE products p SET
                 last_price = $3, currency = $4, title = $6, image_url = $7, in_stock = $5,
                 check_status = 'ok', check_error = NULL, extraction_method = $8,
                 consecutive_failures = 0, last_checked_at = now(), etag = $9,
                 last_modified = $10, unconfirmed_price = NULL, updated_at = now()
             FROM old WHERE p.id = old.id
             RETURNING old.last_price AS old_price, old.in_stock AS old_in_stock),
         ws AS (
             SELECT w.id, w.user_id, w.target_price, w.armed, w.rules, w.rule_state,
                    w.cooldown_minutes, w.last_alert_at
             FROM watches w
             WHERE w.product_id = $1 AND w.active AND EXISTS (SELECT 1 FROM upd)
             FOR UPDATE)
         SELECT ins.id AS price_history_id, upd.old_price, upd.old_in_stock, now() AS now,
                ws.id AS watch_id, ws.target_price, ws.armed, ws.rules, ws.rule_state,
                ws.cooldown_minutes, ws.last_alert_at,
                CASE WHEN ws.id IS NULL THEN 0 ELSE
                    (SELECT count(*) FROM notifications n
                     WHERE n.user_id = ws.user_id
                       AND n.created_at > now() - interval '24 hours') END AS alerts_today,
                CASE WHEN nl.days IS NULL THEN NULL ELSE
                    (SELECT min(h.amount) FROM price_history h
                     WHERE h.product_id = $1 AND h.id <> ins.id
                       AND (nl.days = 0
                            OR h.observed_at > now() - make_interval(days => nl.days))) END
                    AS lowest
         FROM ins CROSS JOIN upd
         LEFT JOIN ws ON true
         LEFT JOIN LATERAL (
             SELECT (r ->> 'days')::int AS days
             FROM jsonb_array_elements(COALESCE(ws.rules, '[]'::jsonb)) r
             WHERE r ->> 'kind' = 'new_low' LIMIT 1) nl ON true",
    )
    .bind::<sql_types::Uuid, _>(check.product_id)
    .bind::<sql_types::Uuid, _>(check.job_id)
    .bind::<sql_types::Numeric, _>(check.amount)
    .bind::<sql_types::Text, _>(&check.currency)
    .bind::<sql_types::Nullable<sql_types::Bool>, _>(check.in_stock)
    .bind::<sql_types::Nullable<sql_types::Text>, _>(&check.title)
    .bind::<sql_types::Nullable<sql_types::Text>, _>(&check.image_url)
    .bind::<sql_types::Text, _>(&check.method)
    .bind::<sql_types::Nullable<sql_types::Text>, _>(&check.etag)
    .bind::<sql_types::Nullable<sql_types::Text>, _>(&check.last_modified)
    .prepared()
    .load(conn)
    .await?;
    let Some(first) = <[Observed]>::first(&observed) else {
        return Ok(Recorded::Duplicate);
    };
    let price_history_id = first.price_history_id;
    let old_price = first.old_price;
    let previous = first.old_price.map(|price| Reading {
        price,
        in_stock: first.old_in_stock,
    });
    let alert_check = Check {
        id: check.job_id,
        previous,
        current: Reading {
            price: check.amount,
            in_stock: check.in_stock,
        },
        target: Decimal::ZERO,
    };
    let now = first.now;
    let mut changes = WatchUpdates::default();
    for row in &observed {
        if let Some(update) = decide(row, &alert_check, now, limits) {
            changes.push(update);
        }
    }
    if changes.watch_ids.is_empty() {
        return Ok(Recorded::New {
            price_history_id,
            notifications: Vec::new(),
            delivering: Vec::new(),
        });
    }
    let (notifications, delivering) =
        write_decisions(conn, check, price_history_id, old_price, &changes).await?;
    Ok(Recorded::New {
        price_history_id,
        notifications,
        delivering,
    })
}
/// What a check does to one watch, as statement B writes it.
struct WatchUpdate {
    id: Uuid,
    /// The rules' states as stored (`[]` for a watch without rules, whose
    /// target rule lives in `armed`).
    state: serde_json::Value,
    armed: bool,
    /// The kinds of the rules that fired, comma-separated; empty: no alert.
    fired: String,
}

#[derive(Default)]
struct WatchUpdates {
    watch_ids: Vec<Uuid>,
    states: Vec<serde_json::Value>,
    armed: Vec<bool>,
    alerts: Vec<bool>,
    fired: Vec<String>,
}

impl WatchUpdates {
    fn push(&mut self, update: WatchUpdate) {
        self.watch_ids.push(update.id);
        self.states.push(update.state);
        self.armed.push(update.armed);
        self.alerts.push(!update.fired.is_empty());
        self.fired.push(update.fired);
    }
}

/// Decides one watch row of statement A; `None` when nothing about it
/// changes. A watch without rules has the target rule alone, its state in
/// the `armed` column. Rules that cannot be read (never written by the api)
/// count as the target rule alone. The states are stored without the check
/// they saw: the job id's uniqueness already keeps a check from being
/// recorded twice.
fn decide(
    row: &Observed,
    check: &Check,
    now: DateTime<Utc>,
    limits: AlertLimits,
) -> Option<WatchUpdate> {
    let id = row.watch_id?;
    let target = row.target_price?;
    let armed_column = row.armed.unwrap_or(true);
    let legacy = || {
        (
            alert::default_rules(),
            vec![RuleState {
                armed: armed_column,
                reference: None,
                last_check: None,
            }],
            true,
        )
    };
    let (rules, stored, legacy_state) = match &row.rules {
        None => legacy(),
        Some(json) => match serde_json::from_value::<Vec<Rule>>(json.clone()) {
            Ok(rules) if !rules.is_empty() => {
                let states = row
                    .rule_state
                    .clone()
                    .and_then(|s| serde_json::from_value::<Vec<RuleState>>(s).ok())
                    .unwrap_or_default();
                (rules, states, false)
            }
            _ => {
                metrics::counter!("pricewatch_watch_rules_unreadable_total").increment(1);
                legacy()
            }
        },
    };
    let cooldown = row
        .cooldown_minutes
        .and_then(|m| u32::try_from(m).ok())
        .and_then(|m| Cooldown::from_minutes(m).ok())
        .unwrap_or(Cooldown::NONE);
    let gate = alert::limits::gate(
        cooldown,
        row.last_alert_at,
        now,
        u64::try_from(row.alerts_today).unwrap_or(0),
        limits.per_user_per_day,
    );
    let watch = WatchRules {
        active: true,
        rules: &rules,
        states: &stored,
    };
    let lowest = row.lowest;
    let decision = alert::evaluate_watch(&watch, &Check { target, ..*check }, |_| lowest, gate);
    if let Some(held) = decision.held {
        let reason = match held {
            Held::Cooldown => "cooldown",
            Held::DailyCap => "daily_cap",
        };
        metrics::counter!("pricewatch_alerts_held_total", "reason" => reason).increment(1);
    }
    let states: Vec<RuleState> = decision
        .states
        .iter()
        .map(|s| RuleState {
            last_check: None,
            ..s.clone()
        })
        .collect();
    let before: Vec<RuleState> = stored
        .iter()
        .map(|s| RuleState {
            last_check: None,
            ..s.clone()
        })
        .collect();
    if !decision.alerts() && states == before {
        return None;
    }
    let armed = rules
        .iter()
        .zip(&states)
        .find(|(rule, _)| **rule == Rule::BelowTarget)
        .map_or(armed_column, |(_, state)| state.armed);
    let state = if legacy_state {
        row.rule_state
            .clone()
            .unwrap_or_else(|| serde_json::json!([]))
    } else {
        serde_json::to_value(&states).unwrap_or_else(|_| serde_json::json!([]))
    };
    let fired: Vec<&str> = decision.fired.iter().map(|k| k.as_str()).collect();
    Some(WatchUpdate {
        id,
        state,
        armed,
        fired: fired.join(","),
    })
}

/// Statement B: the watches' new states, the notifications and their
/// deliveries. Returns the notifications to email and those delivered per
/// channel.
async fn write_decisions(
    conn: &mut AsyncPgConnection,
    check: &CheckRecord,
    price_history_id: i64,
    old_price: Option<Decimal>,
    changes: &WatchUpdates,
) -> QueryResult<(Vec<Uuid>, Vec<Uuid>)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::Array<sql_types::Uuid>)]
        emailed: Vec<Uuid>,
        #[diesel(sql_type = sql_types::Array<sql_types::Uuid>)]
        delivering: Vec<Uuid>,
    }
    let row: Row = diesel::sql_query(
        "WITH input AS (
             SELECT * FROM unnest($1::uuid[], $2::jsonb[], $3::bool[], $4::bool[], $5::text[])
                 AS t(watch_id, rule_state, armed, alerts, fired)),
         upd AS (
             UPDATE watches w SET
                 rule_state = i.rule_state, armed = i.armed,
                 last_alert_at = CASE WHEN i.alerts THEN now() ELSE w.last_alert_at END,
                 updated_at = now()
             FROM input i WHERE w.id = i.watch_id
             RETURNING w.id, w.user_id, w.target_price, i.alerts, i.fired),
         notified AS (
             INSERT INTO notifications
                 (id, watch_id, user_id, product_id, price_history_id,
                  old_price, new_price, currency, target_price, status, rules)
             SELECT gen_random_uuid(), u.id, u.user_id, $6, $7, $8, $9, $10, u.target_price,
                    CASE WHEN EXISTS (SELECT 1 FROM channels c WHERE c.user_id = u.user_id)
                         THEN 'delivering' ELSE 'pending' END,
                    string_to_array(u.fired, ',')
             FROM upd u WHERE u.alerts
             ON CONFLICT (watch_id, price_history_id) DO NOTHING
             RETURNING id, watch_id, user_id, status),
         delivered AS (
             INSERT INTO deliveries (id, notification_id, channel_id)
             SELECT gen_random_uuid(), n.id, c.id
             FROM notified n JOIN channels c ON c.user_id = n.user_id
             WHERE n.status = 'delivering'
               AND (c.id IN (SELECT wc.channel_id FROM watch_channels wc
                             WHERE wc.watch_id = n.watch_id)
                    OR NOT EXISTS (SELECT 1 FROM watch_channels wc
                                   WHERE wc.watch_id = n.watch_id))
             RETURNING notification_id)
         SELECT ARRAY(SELECT id FROM notified WHERE status = 'pending') AS emailed,
                ARRAY(SELECT DISTINCT notification_id FROM delivered) AS delivering",
    )
    .bind::<sql_types::Array<sql_types::Uuid>, _>(&changes.watch_ids)
    .bind::<sql_types::Array<sql_types::Jsonb>, _>(&changes.states)
    .bind::<sql_types::Array<sql_types::Bool>, _>(&changes.armed)
    .bind::<sql_types::Array<sql_types::Bool>, _>(&changes.alerts)
    .bind::<sql_types::Array<sql_types::Text>, _>(&changes.fired)
    .bind::<sql_types::Uuid, _>(check.product_id)
    .bind::<sql_types::BigInt, _>(price_history_id)
    .bind::<sql_types::Nullable<sql_types::Numeric>, _>(old_price)
    .bind::<sql_types::Numeric, _>(check.amount)
    .bind::<sql_types::Text, _>(&check.currency)
    .prepared()
    .get_result(conn)
    .await?;
    Ok((row.emailed, row.delivering))
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
