//! The decision between the readings of a page: structured data (JSON-LD,
//! microdata, meta tags, the watch's selector) and the visible page confirm
//! each other; when they disagree, the visible current price of the main
//! product area wins over a structured amount the page shows only struck
//! through, worded as another amount, or not at all.

use super::{Availability, Method, Observation};
use crate::{heuristic, structured};
use pricewatch_domain::money::Currency;

/// What the weighing of structured and visible readings settled.
pub(crate) struct Decision {
    /// The visible reading, when it won over the structured ones.
    pub visible_observation: Option<Observation>,
    /// The stock of the offer the page shows, when one of several was picked.
    pub offer_stock: Option<Availability>,
    pub agree: bool,
    pub why: String,
}

/// Puts the winning structured reading first in `observations` (or returns
/// the visible reading that wins over them), and says why.
pub(crate) fn decide(
    observations: &[Observation],
    facts: &structured::Facts,
    ranked: &[heuristic::Ranked],
    visible: Option<&heuristic::Ranked>,
) -> Decision {
    let mut decision = Decision {
        visible_observation: None,
        offer_stock: None,
        agree: false,
        why: String::new(),
    };
    let Some(first) = observations.first() else {
        decision.why = match visible {
            Some(v) => format!(
                "no structured data; the most price-like visible text (score {})",
                v.score
            ),
            None => String::new(),
        };
        return decision;
    };
    let method = first.provenance.method;
    let name = method_name(method);
    if method == Method::Selector {
        decision.agree = heuristic::shown_current(ranked, first.amount);
        decision.why = "the watch's own selector".to_owned();
        return decision;
    }
    // The strongest visible price of the buy box, if any, and not itself shown
    // as another kind of amount (a member tier, a was-price) elsewhere.
    let main = visible.filter(|v| {
        v.main_area
            && v.set_aside.is_none()
            && heuristic::shown_set_aside(ranked, v.observation.amount).is_none()
    });
    // Several offers: the one whose price the buy box shows.
    if let Some(m) = main
        && let Some((offer, stock)) = facts
            .offers
            .iter()
            .find(|(o, _)| o.amount == m.observation.amount)
    {
        decision.agree = true;
        decision.offer_stock = *stock;
        if offer.amount != first.amount {
            decision.visible_observation = Some(offer.clone());
        }
        decision.why = format!(
            "{name}: the offer of {} {} shown in the buy box, of {} offers",
            offer.amount,
            currency_code(offer.currency),
            facts.offers.len()
        );
        return decision;
    }
    // Several offers and the buy box shows none of them: say which was taken.
    let of_offers = if facts.offers.len() > 1 {
        format!(
            " (the lowest of {} offers; the page shows none as selected)",
            facts.offers.len()
        )
    } else {
        String::new()
    };
    if heuristic::shown_current(ranked, first.amount) {
        decision.agree = true;
        decision.why = format!("{name}, confirmed by the visible page{of_offers}");
        return decision;
    }
    if let Some(m) = main.filter(|m| m.observation.amount != first.amount) {
        let against = |why: &str| {
            format!(
                "visible price {} in the main product area, over {name} {}, {why}",
                m.observation.amount, first.amount
            )
        };
        if let Some(why) = heuristic::shown_set_aside(ranked, first.amount) {
            decision.why = against(&format!(
                "which the page shows only {}",
                set_aside_words(why)
            ));
            decision.visible_observation = Some(m.observation.clone());
            return decision;
        }
        if m.score >= 7 {
            decision.why = against("which appears nowhere on the visible page");
            decision.visible_observation = Some(m.observation.clone());
            return decision;
        }
    }
    decision.why = if ranked.iter().any(|r| r.set_aside.is_none()) {
        format!(
            "{name}{of_offers}; the visible page does not confirm it, and shows no stronger price"
        )
    } else {
        format!("{name}{of_offers}; the visible page shows no price to compare with")
    };
    decision
}

fn set_aside_words(why: &str) -> &str {
    match why {
        "struck through" => "struck through",
        _ => "as another kind of amount (was, per unit, rewards…)",
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Selector => "selector",
        Method::JsonLd => "JSON-LD",
        Method::Microdata => "microdata",
        Method::Meta => "meta tag",
        Method::Heuristic => "visible text",
    }
}

fn currency_code(currency: Option<Currency>) -> String {
    currency.map_or_else(String::new, |c| c.as_str().to_owned())
}
