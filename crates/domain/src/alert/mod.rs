//! Alert rules: when a watch alerts, as pure functions.
//!
//! A watch has one or more [`Rule`]s. Each rule keeps a small [`RuleState`]
//! (armed or not, the price a drop is measured from, the last check it saw),
//! stored with the watch. [`evaluate`] takes one rule, its state and one
//! [`Check`] (the product's reading before the check and the new one) and says
//! whether the rule fires and what its state becomes. [`evaluate_watch`] does
//! it for every rule of a watch and applies the watch's pause, its cooldown and
//! the user's daily cap ([`limits`]).
//!
//! Every rule fires once per event and re-arms by its own logic:
//!
//! | rule | fires when | re-arms |
//! |---|---|---|
//! | `below_target` | armed and the price is at or below the watch's target | when the price is above the target again |
//! | `percent_drop` | the price is at least `percent` % below the reference | at once: the reference becomes the price it fired at |
//! | `amount_drop` | the price is at least `amount` below the reference | as `percent_drop` |
//! | `new_low` | the price is below every price recorded in the last `days` days (0: ever) | at once: the new low is now part of the history |
//! | `back_in_stock` | armed and the product is in stock | when the product is seen out of stock |
//! | `any_change` | the price differs from the previous reading | at once |
//!
//! The reference of the drop rules is the price when the rule last fired, or
//! the product's price when the rule was set (the first reading after, if the
//! product had none). A check that a rule has already seen (same check id)
//! never fires it again, and neither does the same reading seen twice.

pub mod limits;
#[cfg(test)]
mod tests;

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::MAX_AMOUNT;

/// The most rules one watch may have (one of each kind).
pub const MAX_RULES: usize = 6;
/// The longest window of a `new_low` rule, in days (about ten years).
pub const MAX_NEW_LOW_DAYS: u32 = 3650;
/// Decimal places a percentage or an amount may carry.
const MAX_SCALE: u32 = 4;

/// One alert rule of a watch. JSON: `{"kind": "percent_drop", "percent": "10"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// The price is at or below the watch's target (the rule of a watch
    /// without rules).
    BelowTarget,
    /// The price fell by at least `percent` % (0 < percent ≤ 100).
    PercentDrop { percent: Decimal },
    /// The price fell by at least `amount` (in the product's currency).
    AmountDrop { amount: Decimal },
    /// The lowest price of the last `days` days; 0: the lowest ever recorded.
    NewLow { days: u32 },
    /// The product is in stock again after being out of stock.
    BackInStock,
    /// The price changed, up or down.
    AnyChange,
}

/// The kind of a rule: its stored and serialised name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    BelowTarget,
    PercentDrop,
    AmountDrop,
    NewLow,
    BackInStock,
    AnyChange,
}

impl RuleKind {
    pub const ALL: [RuleKind; 6] = [
        RuleKind::BelowTarget,
        RuleKind::PercentDrop,
        RuleKind::AmountDrop,
        RuleKind::NewLow,
        RuleKind::BackInStock,
        RuleKind::AnyChange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::BelowTarget => "below_target",
            RuleKind::PercentDrop => "percent_drop",
            RuleKind::AmountDrop => "amount_drop",
            RuleKind::NewLow => "new_low",
            RuleKind::BackInStock => "back_in_stock",
            RuleKind::AnyChange => "any_change",
        }
    }

    pub fn parse(name: &str) -> Option<RuleKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with one rule; `field` is the rule's own field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRule {
    #[error("percent must be greater than 0 and at most 100")]
    PercentOutOfRange,
    #[error("amount must be greater than 0 and at most {MAX_AMOUNT}")]
    AmountOutOfRange,
    #[error("{0} has at most {MAX_SCALE} decimal places")]
    TooPrecise(&'static str),
    #[error("days must be at most {MAX_NEW_LOW_DAYS} (0 means ever)")]
    DaysOutOfRange,
}

impl InvalidRule {
    /// The field of the rule that is wrong.
    pub fn field(&self) -> &'static str {
        match self {
            InvalidRule::PercentOutOfRange => "percent",
            InvalidRule::AmountOutOfRange => "amount",
            InvalidRule::TooPrecise(field) => field,
            InvalidRule::DaysOutOfRange => "days",
        }
    }
}

/// What is wrong with a watch's list of rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRules {
    #[error("a watch needs at least one rule")]
    Empty,
    #[error("a watch has at most {MAX_RULES} rules")]
    TooMany,
    #[error("rules[{index}]: a watch has at most one {kind} rule")]
    Duplicate { index: usize, kind: RuleKind },
    #[error("rules[{index}].{}: {error}", error.field())]
    Rule { index: usize, error: InvalidRule },
}

impl InvalidRules {
    /// The JSON path of the wrong value, e.g. `rules[1].percent`.
    pub fn field(&self) -> String {
        match self {
            InvalidRules::Empty | InvalidRules::TooMany => "rules".to_owned(),
            InvalidRules::Duplicate { index, .. } => format!("rules[{index}].kind"),
            InvalidRules::Rule { index, error } => format!("rules[{index}].{}", error.field()),
        }
    }
}

impl Rule {
    pub fn kind(&self) -> RuleKind {
        match self {
            Rule::BelowTarget => RuleKind::BelowTarget,
            Rule::PercentDrop { .. } => RuleKind::PercentDrop,
            Rule::AmountDrop { .. } => RuleKind::AmountDrop,
            Rule::NewLow { .. } => RuleKind::NewLow,
            Rule::BackInStock => RuleKind::BackInStock,
            Rule::AnyChange => RuleKind::AnyChange,
        }
    }

    /// Checks the rule's own values: a percentage in (0, 100], an amount in
    /// (0, 1000000000], at most 4 decimal places, a window of at most
    /// [`MAX_NEW_LOW_DAYS`] days.
    pub fn validate(&self) -> Result<(), InvalidRule> {
        match *self {
            Rule::PercentDrop { percent } => {
                if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
                    return Err(InvalidRule::PercentOutOfRange);
                }
                if percent.normalize().scale() > MAX_SCALE {
                    return Err(InvalidRule::TooPrecise("percent"));
                }
            }
            Rule::AmountDrop { amount } => {
                if amount <= Decimal::ZERO || amount > MAX_AMOUNT {
                    return Err(InvalidRule::AmountOutOfRange);
                }
                if amount.normalize().scale() > MAX_SCALE {
                    return Err(InvalidRule::TooPrecise("amount"));
                }
            }
            Rule::NewLow { days } => {
                if days > MAX_NEW_LOW_DAYS {
                    return Err(InvalidRule::DaysOutOfRange);
                }
            }
            Rule::BelowTarget | Rule::BackInStock | Rule::AnyChange => {}
        }
        Ok(())
    }

    /// The window of a `new_low` rule, in days (0: ever).
    pub fn low_window_days(&self) -> Option<u32> {
        match *self {
            Rule::NewLow { days } => Some(days),
            _ => None,
        }
    }
}

/// Checks a watch's list: one to [`MAX_RULES`] rules, at most one of each
/// kind, each one valid. The first fault is reported with its index.
pub fn validate_rules(rules: &[Rule]) -> Result<(), InvalidRules> {
    if rules.is_empty() {
        return Err(InvalidRules::Empty);
    }
    if rules.len() > MAX_RULES {
        return Err(InvalidRules::TooMany);
    }
    for (index, rule) in rules.iter().enumerate() {
        rule.validate()
            .map_err(|error| InvalidRules::Rule { index, error })?;
        if rules[..index].iter().any(|r| r.kind() == rule.kind()) {
            return Err(InvalidRules::Duplicate {
                index,
                kind: rule.kind(),
            });
        }
    }
    Ok(())
}

/// The rules of a watch that has none stored: today's single rule.
pub fn default_rules() -> Vec<Rule> {
    vec![Rule::BelowTarget]
}

/// What one reading of a product says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub price: Decimal,
    /// `None`: the page said nothing certain about stock.
    pub in_stock: Option<bool>,
}

/// One check of a product, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// The check's id (its job id): a rule sees each check at most once.
    pub id: Uuid,
    /// The product's reading before this check (`None` for its first price).
    pub previous: Option<Reading>,
    pub current: Reading,
    /// The watch's target price.
    pub target: Decimal,
}

/// A rule's memory between checks. Stored with the watch as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleState {
    /// `below_target`, `back_in_stock`: ready to fire.
    pub armed: bool,
    /// `percent_drop`, `amount_drop`: the price a drop is measured from
    /// (`None` until the product has a price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Decimal>,
    /// The last check this rule saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<Uuid>,
}

impl RuleState {
    /// A rule's state when it is set on a watch, from the product's reading at
    /// that time (`None` when it has never been checked). `below_target`
    /// starts armed, as a new watch does; `back_in_stock` is armed when the
    /// product is out of stock; a drop is measured from the current price.
    pub fn initial(rule: &Rule, current: Option<Reading>) -> RuleState {
        let armed = match rule {
            Rule::BelowTarget => true,
            Rule::BackInStock => current.is_some_and(|r| r.in_stock == Some(false)),
            _ => false,
        };
        let reference = match rule {
            Rule::PercentDrop { .. } | Rule::AmountDrop { .. } => current.map(|r| r.price),
            _ => None,
        };
        RuleState {
            armed,
            reference,
            last_check: None,
        }
    }
}

/// What a rule does with one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub fires: bool,
    /// The state to store if the alert is sent (or not needed).
    pub state: RuleState,
}

/// Decides whether `rule` fires on `check`, and its next state.
///
/// `lowest` is the lowest price recorded for the product before this check
/// within the rule's window ([`Rule::low_window_days`]); only `new_low` reads
/// it, and it never fires without one. A check whose id the state has already
/// seen changes nothing.
pub fn evaluate(
    rule: &Rule,
    state: &RuleState,
    check: &Check,
    lowest: Option<Decimal>,
) -> Decision {
    if state.last_check == Some(check.id) {
        return Decision {
            fires: false,
            state: state.clone(),
        };
    }
    let price = check.current.price;
    let mut next = RuleState {
        last_check: Some(check.id),
        ..state.clone()
    };
    let fires = match *rule {
        Rule::BelowTarget => {
            // Today's rule, as the check's statement has always run it.
            if state.armed && check.target >= price {
                next.armed = false;
                true
            } else {
                if !state.armed && check.target < price {
                    next.armed = true;
                }
                false
            }
        }
        // Products, never a division: exact in decimal arithmetic.
        Rule::PercentDrop { percent } => drop_rule(&mut next, price, |reference| {
            price * Decimal::ONE_HUNDRED <= reference * (Decimal::ONE_HUNDRED - percent)
        }),
        Rule::AmountDrop { amount } => {
            drop_rule(&mut next, price, |reference| price <= reference - amount)
        }
        Rule::NewLow { .. } => lowest.is_some_and(|low| price < low),
        Rule::BackInStock => match check.current.in_stock {
            Some(true) => {
                let was_out =
                    state.armed || check.previous.is_some_and(|p| p.in_stock == Some(false));
                next.armed = false;
                was_out
            }
            Some(false) => {
                next.armed = true;
                false
            }
            None => false,
        },
        Rule::AnyChange => check.previous.is_some_and(|p| p.price != price),
    };
    Decision { fires, state: next }
}

/// A drop rule: fires when `dropped(reference)`; the reference then becomes
/// `price`. Without a reference, `price` becomes it.
fn drop_rule(next: &mut RuleState, price: Decimal, dropped: impl Fn(Decimal) -> bool) -> bool {
    match next.reference {
        Some(reference) if dropped(reference) => {
            next.reference = Some(price);
            true
        }
        Some(_) => false,
        None => {
            next.reference = Some(price);
            false
        }
    }
}

/// A watch as its alerting sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRules<'a> {
    /// A paused watch neither fires nor re-arms: its states stay as they are.
    pub active: bool,
    pub rules: &'a [Rule],
    /// One per rule, in the same order; a missing one is the rule's initial
    /// state for the previous reading.
    pub states: &'a [RuleState],
}

/// Why rules that fired sent no alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The watch alerted less than its cooldown ago.
    Cooldown,
    /// The user has had their daily number of alerts.
    DailyCap,
}

/// What a check does to one watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchDecision {
    /// The kinds of the rules that fired and are to be sent as one alert
    /// (empty: no alert).
    pub fired: Vec<RuleKind>,
    /// The rules' next states, one per rule.
    pub states: Vec<RuleState>,
    /// Rules fired but the alert is held back: their states stay ready, so
    /// they fire again on a later check if the event still holds.
    pub held: Option<Held>,
}

impl WatchDecision {
    pub fn alerts(&self) -> bool {
        !self.fired.is_empty()
    }

    /// Whether anything must be written back.
    pub fn changed(&self, before: &[RuleState]) -> bool {
        self.alerts() || self.states.as_slice() != before
    }
}

/// Evaluates every rule of a watch on one check. `lowest(days)` gives the
/// lowest price recorded before the check within `days` days (0: ever);
/// `gate` says whether an alert may go out now (the watch's cooldown and the
/// user's daily cap, see [`limits::gate`]). When rules fire but the gate holds
/// the alert back, the rules keep their states except for the check they saw,
/// so that the event can still be told on a later check.
pub fn evaluate_watch(
    watch: &WatchRules<'_>,
    check: &Check,
    lowest: impl Fn(u32) -> Option<Decimal>,
    gate: Result<(), Held>,
) -> WatchDecision {
    let states: Vec<RuleState> = watch
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            watch
                .states
                .get(i)
                .cloned()
                .unwrap_or_else(|| RuleState::initial(rule, check.previous))
        })
        .collect();
    if !watch.active {
        return WatchDecision {
            fired: Vec::new(),
            states,
            held: None,
        };
    }
    let decisions: Vec<Decision> = watch
        .rules
        .iter()
        .zip(&states)
        .map(|(rule, state)| {
            let low = rule.low_window_days().and_then(&lowest);
            evaluate(rule, state, check, low)
        })
        .collect();
    let fired: Vec<RuleKind> = watch
        .rules
        .iter()
        .zip(&decisions)
        .filter(|(_, d)| d.fires)
        .map(|(r, _)| r.kind())
        .collect();
    if fired.is_empty() {
        return WatchDecision {
            fired,
            states: decisions.into_iter().map(|d| d.state).collect(),
            held: None,
        };
    }
    match gate {
        Ok(()) => WatchDecision {
            fired,
            states: decisions.into_iter().map(|d| d.state).collect(),
            held: None,
        },
        Err(held) => WatchDecision {
            fired: Vec::new(),
            // A rule that fired stays ready to fire; the others move on.
            states: watch
                .rules
                .iter()
                .zip(states)
                .zip(decisions)
                .map(|((rule, before), d)| {
                    if d.fires {
                        still_ready(rule, before, check.id)
                    } else {
                        d.state
                    }
                })
                .collect(),
            held: Some(held),
        },
    }
}

/// The state of a rule that fired on check `id` but whose alert was held back:
/// as before, but armed (a `back_in_stock` rule may have fired on the previous
/// reading alone, which the next check no longer shows) and having seen `id`.
fn still_ready(rule: &Rule, before: RuleState, id: Uuid) -> RuleState {
    let armed = match rule {
        Rule::BelowTarget | Rule::BackInStock => true,
        _ => before.armed,
    };
    RuleState {
        armed,
        last_check: Some(id),
        ..before
    }
}

/// The states of a watch's new list of rules, when a user replaces it: a rule
/// that was already there (the same kind and values) keeps its state, so that
/// changing other rules neither re-fires nor forgets it; a new rule starts
/// from [`RuleState::initial`] for the product's `current` reading. `old`
/// holds the rules and states as stored (a watch without rules: the target
/// rule alone, its state `armed`).
pub fn carry_states(
    old_rules: &[Rule],
    old_states: &[RuleState],
    new_rules: &[Rule],
    current: Option<Reading>,
) -> Vec<RuleState> {
    new_rules
        .iter()
        .map(|rule| {
            old_rules
                .iter()
                .position(|old| old == rule)
                .and_then(|i| old_states.get(i))
                .map(|state| RuleState {
                    last_check: None,
                    ..state.clone()
                })
                .unwrap_or_else(|| RuleState::initial(rule, current))
        })
        .collect()
}
