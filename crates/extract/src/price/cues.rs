//! Words around a number that say it is not the price to track: an old price,
//! a saving, a per-unit or monthly price, a shipping threshold, a measure, a date.

/// Text before a number that marks it as a former, list or saved amount, or a
/// shipping cost or threshold.
const DECOY_BEFORE: &[&str] = &[
    "was",
    "statt",
    "rrp",
    "uvp",
    "msrp",
    "srp",
    "list price",
    "listprice",
    "regular",
    "reg.",
    "reg",
    "save",
    "saving",
    "savings",
    "you save",
    "before",
    "avant",
    "au lieu de",
    "antes",
    "prima",
    "vorher",
    "ehemals",
    "bisher",
    "old",
    "old price",
    "instead of",
    "originally",
    "orig.",
    "compare at",
    "compare",
    "ersparnis",
    "sparen",
    "sie sparen",
    "économisez",
    "economisez",
    "ahorra",
    "ahorras",
    "risparmi",
    "risparmio",
    "zamiast",
    "původně",
    "před slevou",
    "běžná cena",
    "было",
    "старая цена",
    "vanligt pris",
    "ord.",
    "normalpreis",
    "streichpreis",
    "shipping",
    "versand",
    "delivery",
    "livraison",
    "frais de port",
    "porto",
    "envío",
    "spedizione",
    "deposit",
    "pfand",
    "rabatt",
    "remise",
    "ersparnis",
];

/// Text before a number that makes it a threshold (`free shipping on orders over $49`).
const THRESHOLD_BEFORE: &[&str] = &[
    "orders",
    "order over",
    "orders over",
    "over",
    "above",
    "dès",
    "spend",
    "ab einem bestellwert",
    "minimum",
    "min.",
    "mindestbestellwert",
];

/// Text right after a number that makes it a per-unit, periodic or partial price.
const PER_UNIT_AFTER: &[&str] = &[
    "/kg",
    "/ kg",
    "per kg",
    "pro kg",
    "je kg",
    "/100",
    "/ 100",
    "per 100",
    "je 100",
    "pro 100",
    "/l",
    "/ l",
    "/lb",
    "/oz",
    "/m",
    "/ m",
    "/mo",
    "/month",
    "per month",
    "a month",
    "/monat",
    "pro monat",
    "im monat",
    "mtl",
    "monatlich",
    "/mes",
    "al mes",
    "/mois",
    "par mois",
    "/yr",
    "/year",
    "per year",
    "/week",
    "pro kilogramm",
    "per kilogram",
    "/unit",
    "/stk",
    "/szt",
    "/шт",
    "/st",
    "/pc",
    "/ea",
    "/each",
    "each",
    "per unit",
    "off",
    "shipping",
    "versand",
    "delivery",
];

/// Measures and counts printed after a number with no currency beside it.
const UNITS_AFTER: &[&str] = &[
    "ft",
    "cm",
    "mm",
    "m",
    "km",
    "kg",
    "g",
    "mg",
    "lb",
    "lbs",
    "oz",
    "ml",
    "cl",
    "l",
    "gb",
    "tb",
    "mb",
    "kb",
    "mah",
    "w",
    "kw",
    "v",
    "hz",
    "ghz",
    "mhz",
    "mp",
    "in",
    "inch",
    "pcs",
    "stück",
    "GB",
    "TB",
    "MB",
    "mAh",
    "GHz",
    "MHz",
    "Hz",
    "W",
    "kW",
    "V",
    "MP",
    "cm²",
    "m²",
    "stk",
    "szt",
    "шт",
    "reviews",
    "review",
    "bewertungen",
    "ratings",
    "rating",
    "sterne",
    "stars",
    "star",
    "von",
    "out",
    "items",
    "item",
    "artikel",
    "products",
    "produkte",
    "jahre",
    "years",
    "days",
    "tage",
    "month",
    "months",
];

const FREE_WORDS: &[&str] = &[
    "free",
    "gratis",
    "gratuit",
    "gratuite",
    "kostenlos",
    "umsonst",
    "gratuito",
    "бесплатно",
    "darmowy",
    "zdarma",
    "ingyenes",
    "ücretsiz",
    "無料",
    "免费",
];

/// `Free shipping` is not a free product.
const NOT_FREE_AFTER: &[&str] = &[
    "shipping",
    "delivery",
    "returns",
    "return",
    "versand",
    "lieferung",
    "livraison",
    "envío",
    "envio",
    "spedizione",
    "dostawa",
    "doprava",
    "доставка",
    "frakt",
    "fragt",
    "frete",
    "verzending",
    "levering",
    "leverans",
    "trial",
    "gift",
    "sample",
    "standard",
];

const YEAR_CUES: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "januar",
    "februar",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "janvier",
    "février",
    "mars",
    "avril",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "©",
    "copyright",
    "since",
    "seit",
    "year",
    "jahr",
    "model",
    "modell",
    "baujahr",
];

use super::words::{WordList, word_char};

static DECOY_WORDS: WordList = WordList::new(DECOY_BEFORE);
static ORDER_WORDS: WordList = WordList::new(&["orders", "order over"]);
static YEAR_WORDS: WordList = WordList::new(YEAR_CUES);
static PER_UNIT_WORDS: WordList = WordList::new(PER_UNIT_AFTER);
static FREE: WordList = WordList::new(FREE_WORDS);
static SHIPPING_WORDS: WordList = WordList::new(NOT_FREE_AFTER);

fn starts_with_word(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        text.strip_prefix(w).is_some_and(|rest| {
            rest.chars()
                .next()
                .is_none_or(|c| !word_char(c) || !w.ends_with(word_char))
        })
    })
}

/// Words before an amount on a page that make it money other than the
/// product's price: rewards, financing, add-on plans, coupons, gift cards.
/// Only page texts are read with these (`parse_price` keeps its own list).
static NOT_A_PRICE_BEFORE: WordList = WordList::new(&[
    "earn",
    "reward",
    "rewards",
    "cashback",
    "cash back",
    "points",
    "financing",
    "as low as",
    "per month",
    "protection",
    "protection plan",
    "warranty",
    "garantie",
    "garantía",
    "garanzia",
    "gwarancja",
    "coupon",
    "promo code",
    "with code",
    "gift card",
    "giftcard",
    "voucher",
    "gutschein",
    "bon d'achat",
    "carte cadeau",
    "cupón",
    "buono",
    "kupon",
    "cupom",
    "tarjeta regalo",
    "cadeaubon",
    "mensualité",
    "mensualités",
    "ratenzahlung",
    "finanzierung",
    "rate",
    "raty",
    "parcelas",
    "cuotas",
]);

/// Words right after an amount that make it money other than the price
/// (`$25 back in rewards`, `$41/mo`, `$10 off`).
const NOT_A_PRICE_AFTER: &[&str] = &[
    "back",
    "gift card",
    "giftcard",
    "voucher",
    "coupon",
    "reward",
    "rewards",
    "gutschein",
    "bon d'achat",
    "carte cadeau",
    "tarjeta regalo",
    "buono",
    "cadeaubon",
    "vale-presente",
    "in rewards",
    "cash back",
    "cashback",
    "/mo",
    "/month",
    "per month",
    "a month",
    "mo.",
    "monthly",
    "off",
    "par mois",
    "/mois",
    "pro monat",
    "/monat",
    "monatlich",
    "im monat",
    "al mes",
    "/mes",
    "al mese",
    "/mese",
    "per maand",
    "/maand",
    "miesięcznie",
    "/mies",
    "por mês",
    "/mês",
    "de réduction",
    "rabatt",
    "de descuento",
    "di sconto",
    "korting",
    "zniżki",
    "de desconto",
];

const MONEY_SIGNS: &[char] = &[
    '$', '€', '£', '¥', '₹', '₽', '₴', '₪', '฿', '₫', '₺', '₩', '₱',
];

/// Rewards, financing, add-on plans, coupons: not the product's price. The
/// words before count up to the first money sign (`Add a 2-year protection
/// plan for $49.99`), the words after right after the first amount
/// (`$41/mo`, `41 €/Monat`, `$25 back`; not `$199 or $17/mo`).
pub(crate) fn is_other_money(lower: &str) -> bool {
    let first_digit = lower.find(|c: char| c.is_ascii_digit());
    let mark = lower.find(MONEY_SIGNS).or(first_digit);
    let before = lower.get(..mark.unwrap_or(lower.len())).unwrap_or("");
    if NOT_A_PRICE_BEFORE.any_word_in(before) {
        return true;
    }
    let Some(from) = first_digit else {
        return false;
    };
    let after = lower
        .get(from..)
        .unwrap_or("")
        .trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '.' | ',' | '\'' | ' ' | '\u{a0}')
        })
        .trim_start_matches(|c: char| c.is_whitespace() || c == '%' || MONEY_SIGNS.contains(&c));
    NOT_A_PRICE_AFTER.iter().any(|w| {
        after.strip_prefix(w).is_some_and(|rest| {
            rest.chars()
                .next()
                .is_none_or(|c| !word_char(c) || !w.ends_with(word_char))
        })
    })
}

pub(crate) fn is_decoy_before(before_lower: &str) -> bool {
    DECOY_WORDS.any_word_in(before_lower)
}

pub(crate) fn is_per_unit_after(after_lower: &str) -> bool {
    starts_with_word(after_lower.trim_start(), PER_UNIT_AFTER)
}

/// Case matters: `1 L` may be a leu, `1 l` is a litre.
/// A per-unit or periodic phrase anywhere in the text after a price (`€ / kg`).
pub(crate) fn mentions_per_unit(after_lower: &str) -> bool {
    PER_UNIT_WORDS.any_match(after_lower, |w, i| {
        (w.starts_with('/') || w.contains(' '))
            && after_lower
                .get(i + w.len()..)
                .and_then(|r| r.chars().next())
                .is_none_or(|c| !c.is_alphabetic())
    })
}

pub(crate) fn is_unit_after(after: &str) -> bool {
    starts_with_word(after.trim_start(), UNITS_AFTER)
}

pub(crate) fn is_threshold_before(before_lower: &str) -> bool {
    let before_lower = before_lower.trim_end();
    // `Offers over £50,000` is an asking price (estate agents, businesses for sale).
    if ["offers over", "offers in excess of", "offers above"]
        .iter()
        .any(|w| before_lower.ends_with(w))
    {
        return false;
    }
    THRESHOLD_BEFORE.iter().any(|w| {
        before_lower
            .strip_suffix(w)
            .is_some_and(|rest| rest.chars().next_back().is_none_or(|c| !word_char(c)))
    }) || ORDER_WORDS.any_word_in(before_lower)
}

/// Text right after a number that makes it a spending condition: `10 € d'achats`
/// ("of purchases"), or `$29+` after a free-shipping offer.
pub(crate) fn is_threshold_after(after_lower: &str, before_lower: &str) -> bool {
    let after = after_lower.trim_start();
    after.starts_with("d'achat")
        || after.starts_with("d’achat")
        || (after.starts_with('+') && SHIPPING_WORDS.any_word_in(before_lower))
}

pub(crate) fn is_year_context(before_lower: &str) -> bool {
    YEAR_WORDS.any_word_in(before_lower)
}

/// `Free`, `Gratis`… as the whole price, not `free shipping`.
pub(crate) fn says_free(lower: &str) -> bool {
    // Every occurrence is looked at; no free word overlaps itself, so this is the
    // same as looking at non-overlapping ones.
    FREE.any_match(lower, |w, start| {
        let end = start + w.len();
        let rest = lower.get(end..).unwrap_or("");
        let glued_before = lower
            .get(..start)
            .and_then(|h| h.chars().next_back())
            .is_some_and(char::is_alphabetic);
        let glued_after = rest.chars().next().is_some_and(char::is_alphabetic);
        let rest = rest.trim_start_matches(|c: char| !c.is_alphanumeric());
        !glued_before && !glued_after && !starts_with_word(rest, NOT_FREE_AFTER)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_matched_whole() {
        assert!(is_decoy_before("now only, was"));
        assert!(!is_decoy_before("kwasi"));
        assert!(is_per_unit_after(" / kg"));
        assert!(is_unit_after(" ft"));
        assert!(!is_unit_after(" ftx"));
        assert!(says_free("free!"));
        assert!(!says_free("free shipping on orders"));
        assert!(!says_free("carefree"));
    }
}
