//! A watch's alerting: its rules, the channels it names and its cooldown,
//! as create and update take them, write them and show them.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use pricewatch_domain::alert::limits::Cooldown;
use pricewatch_domain::alert::{self, Reading, Rule, RuleState};
use pricewatch_storage::models::{Product, Watch, WatchAlerting};
use pricewatch_storage::queries::{channels, watches};
use uuid::Uuid;

use crate::dto::{WatchAlertingResponse, WatchResponse};
use crate::error::ApiError;

/// The alerting a request gives; `None`: as it is (create: the defaults,
/// the target rule alone, every channel, no cooldown).
#[derive(Debug, Clone, Default)]
pub struct AlertingInput {
    pub rules: Option<Vec<Rule>>,
    pub channel_ids: Option<Vec<Uuid>>,
    pub cooldown: Option<Cooldown>,
}

impl AlertingInput {
    /// Reads the three fields of a request body.
    pub fn parse(
        rules: Option<&serde_json::Value>,
        channel_ids: Option<Vec<Uuid>>,
        cooldown_minutes: Option<i64>,
    ) -> Result<AlertingInput, ApiError> {
        Ok(AlertingInput {
            rules: rules.map(parse_rules).transpose()?,
            channel_ids: channel_ids.map(|mut ids| {
                let mut seen = std::collections::HashSet::new();
                ids.retain(|id| seen.insert(*id));
                ids
            }),
            cooldown: cooldown_minutes.map(parse_cooldown).transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_none() && self.channel_ids.is_none() && self.cooldown.is_none()
    }
}

/// A watch's rules: a JSON list of the domain's rules, each valid, no kind
/// twice (`pricewatch_domain::alert::validate_rules`).
pub fn parse_rules(value: &serde_json::Value) -> Result<Vec<Rule>, ApiError> {
    let serde_json::Value::Array(items) = value else {
        return Err(ApiError::validation(
            "rules",
            "rules must be a list such as [{\"kind\": \"below_target\"}, {\"kind\": \"percent_drop\", \"percent\": \"10\"}]",
        ));
    };
    let rules = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            serde_json::from_value::<Rule>(item.clone())
                .map_err(|e| ApiError::validation("rules", format!("rules[{index}]: {e}")))
        })
        .collect::<Result<Vec<Rule>, ApiError>>()?;
    alert::validate_rules(&rules).map_err(|e| ApiError::validation("rules", e))?;
    Ok(rules)
}

pub fn parse_cooldown(minutes: i64) -> Result<Cooldown, ApiError> {
    u32::try_from(minutes)
        .ok()
        .and_then(|m| Cooldown::from_minutes(m).ok())
        .ok_or_else(|| ApiError::validation("cooldown_minutes", alert::limits::InvalidCooldown))
}

/// The rules a watch has (stored, or the target rule alone), with their
/// states as stored (a watch without rules: the target rule's in `armed`).
fn effective(alerting: &WatchAlerting, armed: bool) -> (Vec<Rule>, Vec<RuleState>, bool) {
    let stored = alerting
        .rules
        .as_ref()
        .and_then(|json| serde_json::from_value::<Vec<Rule>>(json.clone()).ok())
        .filter(|rules| !rules.is_empty());
    match stored {
        Some(rules) => {
            let states = serde_json::from_value::<Vec<RuleState>>(alerting.rule_state.clone())
                .unwrap_or_default();
            (rules, states, true)
        }
        None => (
            alert::default_rules(),
            vec![RuleState {
                armed,
                reference: None,
                last_check: None,
            }],
            false,
        ),
    }
}

/// Writes what `input` changes of a watch of `user_id`, in the caller's
/// transaction: channels named (each must be the user's: 422 otherwise),
/// rules with their states carried over ([`alert::carry_states`]), cooldown.
/// `rearm_target`: the target price changed, so the target rule fires again
/// the next time it is crossed.
pub async fn apply(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    watch_id: Uuid,
    product: &Product,
    input: &AlertingInput,
    rearm_target: bool,
) -> Result<(), ApiError> {
    if let Some(ids) = &input.channel_ids {
        let foreign = channels::not_owned(conn, user_id, ids).await?;
        if let Some(id) = foreign.first() {
            return Err(ApiError::validation(
                "channel_ids",
                format!("channel_ids: {id} is not one of your channels"),
            ));
        }
        channels::set_for_watch(conn, watch_id, ids).await?;
    }
    if input.rules.is_some() || rearm_target {
        let (alerting, armed) = watches::lock_alerting(conn, watch_id, user_id)
            .await?
            .ok_or(ApiError::NotFound("watch"))?;
        let (old_rules, old_states, has_rules) = effective(&alerting, armed);
        // A watch given no rules keeps none stored: the target rule in `armed`.
        if input.rules.is_some() || has_rules {
            let rules = input.rules.clone().unwrap_or_else(|| old_rules.clone());
            let reading = product.last_price.map(|price| Reading {
                price,
                in_stock: product.in_stock,
            });
            let mut states = alert::carry_states(&old_rules, &old_states, &rules, reading);
            if rearm_target {
                for (rule, state) in rules.iter().zip(states.iter_mut()) {
                    if *rule == Rule::BelowTarget {
                        state.armed = true;
                    }
                }
            }
            let armed = rules
                .iter()
                .zip(&states)
                .find(|(rule, _)| **rule == Rule::BelowTarget)
                .map_or(armed || rearm_target, |(_, state)| state.armed);
            let to_json = |v: serde_json::Result<serde_json::Value>| {
                v.map_err(|e| ApiError::Internal(anyhow::anyhow!("watch {watch_id}: {e}")))
            };
            let rules_json = to_json(serde_json::to_value(&rules))?;
            let states_json = to_json(serde_json::to_value(&states))?;
            watches::set_rules(conn, watch_id, Some(&rules_json), &states_json, armed).await?;
        }
    }
    if let Some(cooldown) = input.cooldown {
        let minutes = i32::try_from(cooldown.minutes())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("cooldown: {e}")))?;
        watches::set_cooldown(conn, watch_id, minutes).await?;
    }
    Ok(())
}

/// The answers for these watches, with their rules, channels and cooldowns.
pub async fn responses(
    conn: &mut AsyncPgConnection,
    rows: Vec<(Watch, Product)>,
) -> Result<Vec<WatchResponse>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|(w, _)| w.id).collect();
    let mut alerting: HashMap<Uuid, WatchAlerting> = watches::alerting_of(conn, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut named: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (watch_id, channel_id) in channels::for_watches(conn, &ids).await? {
        named.entry(watch_id).or_default().push(channel_id);
    }
    rows.into_iter()
        .map(|(w, p)| {
            let view = match alerting.remove(&w.id) {
                Some(a) => {
                    let (rules, _, _) = effective(&a, w.armed);
                    WatchAlertingResponse {
                        rules,
                        channel_ids: named.remove(&w.id).unwrap_or_default(),
                        cooldown_minutes: a.cooldown_minutes,
                        last_alert_at: a.last_alert_at,
                    }
                }
                None => WatchAlertingResponse::default(),
            };
            WatchResponse::new(w, p, view)
        })
        .collect()
}

/// The answer for one watch.
pub async fn response(
    conn: &mut AsyncPgConnection,
    watch: Watch,
    product: Product,
) -> Result<WatchResponse, ApiError> {
    responses(conn, vec![(watch, product)])
        .await?
        .pop()
        .ok_or(ApiError::NotFound("watch"))
}
