//! The visible page's prices: every price-like text, scored by where it sits.
//! Struck, old, saved, per-unit, shipping, reward and financing amounts are
//! kept aside (they say what the price is not); prices in the cart, the header
//! or a "related products" rail count less; the main content after the `<h1>` more.

use rust_decimal::Decimal;

use super::scan::Candidate;
use super::{Method, Observation, Provenance};
use crate::price::{PriceHint, is_decoy_text, parse_price_with};
use pricewatch_domain::money::validate_amount;

/// The main price comes early; a 5000-item grid must not cost 5000 parses.
const MAX_RANKED: usize = 150;

/// One visible text read as an amount.
#[derive(Debug, Clone)]
pub(crate) struct Ranked {
    pub observation: Observation,
    pub order: usize,
    /// `None` when the text is not the price of anything on sale (struck, old,
    /// per unit, rewards…): the reason.
    pub set_aside: Option<&'static str>,
    pub score: i32,
    /// After the title, outside rails, the page chrome and hidden text.
    pub main_area: bool,
    pub hidden: bool,
}

/// Every price-like text of the page that reads as an amount, in page order;
/// with `confirm`, only up to the first current, visible text of that amount
/// (all a confirmed structured price needs: parsing is most of the cost).
pub(crate) fn rank(
    candidates: &[Candidate],
    hint: &PriceHint<'_>,
    has_h1: bool,
    confirm: Option<Decimal>,
) -> Vec<Ranked> {
    let mut out = Vec::new();
    for c in candidates.iter().take(MAX_RANKED) {
        let set_aside = if c.struck {
            Some("struck through")
        } else if c.decoy {
            Some(MARKED_DECOY)
        } else if is_decoy_text(&c.text) {
            Some("worded as a was, saved, per-unit, reward or financing amount")
        } else {
            None
        };
        let parsed = parse_price_with(&c.text, hint);
        let Some(amount) = parsed
            .amount
            .and_then(|a| validate_amount(a.round_dp(4)).ok())
        else {
            continue;
        };
        let mut score = if c.price_named { 4 } else { 1 };
        if parsed.currency_raw.is_some() {
            score += 2;
        } else if !c.price_named {
            continue;
        }
        score += if c.current { 2 } else { 0 };
        score += if c.after_h1 { 1 } else { 0 };
        score += if c.from_attribute { 1 } else { 0 };
        score -= if c.elsewhere { 4 } else { 0 };
        score -= if c.hidden { 2 } else { 0 };
        // Above the product's title: the header, menus, a side bar.
        score -= if has_h1 && c.before_h1 { 1 } else { 0 };
        out.push(Ranked {
            observation: Observation {
                amount,
                currency: parsed.currency,
                provenance: Provenance {
                    method: Method::Heuristic,
                    path: c.path.clone(),
                    raw: c.text.clone(),
                },
            },
            order: c.order,
            set_aside,
            score,
            main_area: c.after_h1 && !c.elsewhere && !c.hidden,
            hidden: c.hidden,
        });
        if confirm.is_some_and(|a| a == amount) && set_aside.is_none() && !c.hidden {
            break;
        }
    }
    out
}

/// The most price-like of the ranked texts (the first of equal scores). When
/// the main product area shows no current price, a price there whose markup
/// alone calls it regular or old (`<span class="regular-price">` with nothing
/// beside it) is the price; struck or worded ones never are.
pub(crate) fn best(ranked: &[Ranked]) -> Option<&Ranked> {
    let pick = |eligible: &dyn Fn(&Ranked) -> bool| {
        let mut best: Option<&Ranked> = None;
        for r in ranked.iter().filter(|r| eligible(r)) {
            if best.is_none_or(|b| r.score > b.score || (r.score == b.score && r.order < b.order)) {
                best = Some(r);
            }
        }
        best
    };
    let current = pick(&|r| r.set_aside.is_none());
    let regular =
        pick(&|r| r.set_aside == Some(MARKED_DECOY) && r.main_area && !struck_elsewhere(ranked, r));
    match (current, regular) {
        // Only over a bare text outside the buy box (`Mindestbestellwert 50€`).
        (Some(c), Some(r)) if !c.main_area && c.score < 4 && r.score > c.score => Some(r),
        (None, r) => r,
        (c, _) => c,
    }
}

const MARKED_DECOY: &str = "marked as an old, unit, shipping or instalment price";

/// Whether the amount of `r` is also shown struck or worded as another amount.
fn struck_elsewhere(ranked: &[Ranked], r: &Ranked) -> bool {
    ranked.iter().any(|o| {
        o.observation.amount == r.observation.amount
            && o.set_aside.is_some_and(|w| w != MARKED_DECOY)
    })
}

/// How sure a heuristic reading is, from its score.
pub(crate) fn confidence(score: i32) -> f32 {
    match score {
        s if s >= 8 => 0.7,
        7 => 0.65,
        6 => 0.6,
        5 => 0.5,
        4 => 0.45,
        _ => 0.3,
    }
}

/// Whether the page shows `amount` as a current price (not struck, not hidden).
pub(crate) fn shown_current(ranked: &[Ranked], amount: Decimal) -> bool {
    ranked
        .iter()
        .any(|r| r.set_aside.is_none() && !r.hidden && r.observation.amount == amount)
}

/// Why the page shows `amount` only as something other than the current
/// price (struck, "was", per unit…), if it does.
pub(crate) fn shown_set_aside(ranked: &[Ranked], amount: Decimal) -> Option<&'static str> {
    ranked
        .iter()
        .find(|r| r.set_aside.is_some() && r.observation.amount == amount)
        .and_then(|r| r.set_aside)
}
