//! The last resort: the most price-like text on the page. Struck, old, saved,
//! per-unit and shipping prices are skipped; prices in the cart, the header or
//! a "related products" rail count less; the main content after the `<h1>` more.

use super::scan::Candidate;
use super::{Method, Observation, Provenance};
use crate::price::{PriceHint, is_decoy_text, parse_price_with};
use pricewatch_domain::money::validate_amount;

/// The best candidate as an observation, with its confidence.
pub(crate) fn best(candidates: &[Candidate], hint: &PriceHint<'_>) -> Option<(Observation, f32)> {
    let mut best: Option<(i32, usize, Observation)> = None;
    // The main price comes early; a 5000-item grid must not cost 5000 parses.
    for c in candidates.iter().take(150) {
        if c.decoy || c.struck || is_decoy_text(&c.text) {
            continue;
        }
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
        let better = best
            .as_ref()
            .is_none_or(|(s, order, _)| score > *s || (score == *s && c.order < *order));
        if better {
            let obs = Observation {
                amount,
                currency: parsed.currency,
                provenance: Provenance {
                    method: Method::Heuristic,
                    path: c.path.clone(),
                    raw: c.text.clone(),
                },
            };
            best = Some((score, c.order, obs));
        }
    }
    best.map(|(score, _, obs)| {
        let confidence = match score {
            s if s >= 8 => 0.7,
            7 => 0.65,
            6 => 0.6,
            5 => 0.5,
            4 => 0.45,
            _ => 0.3,
        };
        (obs, confidence)
    })
}
