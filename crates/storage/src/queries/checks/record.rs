//! Recording a successful check: the price point, the product, the watches'
//! alert rules, the notifications and their deliveries, in one transaction.

#[allow(clippy::wildcard_imports)]
use super::*;

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
    /// Whether structured data and the visible page showed the same amount.
    pub sources_agree: bool,
    /// Why this reading won, in a sentence.
    pub decision: String,
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
                 last_modified = $10, unconfirmed_price = NULL, updated_at = now(),
                 sources_agree = $11, extraction_decision = $12
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
    .bind::<sql_types::Bool, _>(check.sources_agree)
    .bind::<sql_types::Text, _>(&check.decision)
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
