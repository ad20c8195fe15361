//! Word lists read from class names, ids and text: price-like markup, decoys,
//! stock state in several languages, and bot walls.

use crate::price::words::WordList;

mod buy_box;
mod stock;
pub(crate) use buy_box::{is_buy_text, is_rail_heading};
pub use pricewatch_domain::reading::Availability;
pub use stock::availability_from_text;

pub(crate) const PRICE: u16 = 1;
pub(crate) const DECOY: u16 = 1 << 1;
pub(crate) const ELSEWHERE: u16 = 1 << 2;
pub(crate) const CURRENT: u16 = 1 << 3;
pub(crate) const FRACTION: u16 = 1 << 4;
pub(crate) const STOCK: u16 = 1 << 5;
pub(crate) const WALL: u16 = 1 << 6;
/// Screen-reader-only text (`sr-only`, `visually-hidden`, `a-offscreen`).
pub(crate) const SR_ONLY: u16 = 1 << 7;
/// An add-to-cart or buy button.
pub(crate) const BUY: u16 = 1 << 8;

/// Parts of class names and ids, looked for in one pass: "price" (bit 0), the
/// decoy price names (bits 1-9, each containing "price"), "fraction" (bit 10),
/// stock words (bits 11-16) and bot-wall markers (bits 17-27).
static CLASS_PARTS: WordList = WordList::new(&[
    "price",
    "oldprice",
    "old-price",
    "price-old",
    "price--old",
    "listprice",
    "regularprice",
    "strikeprice",
    "unitprice",
    "price_old",
    "fraction",
    "stock",
    "availab",
    "inventory",
    "lieferbar",
    "dispon",
    "verfuegbar",
    "captcha",
    "challenge",
    "cf-",
    "px-",
    "incapsula",
    "distil",
    "sec-if",
    "bm-verify",
    "ddos",
    "kasada",
    "perimeterx",
    "sr-only",
    "sr_only",
    "visually-hidden",
    "visuallyhidden",
    "screen-reader",
    "screenreader",
    "offscreen",
    "addtocart",
    "add-to-cart",
    "add_to_cart",
    "add2cart",
    "addtobasket",
    "add-to-basket",
    "add2basket",
    "addtobag",
    "add-to-bag",
    "btn-cart",
    "buynow",
    "buy-now",
]);

const fn bits(from: u32, to: u32) -> u128 {
    (u128::MAX >> (127 - to + from)) << from
}
const PRICE_BITS: u128 = bits(0, 0);
const DECOY_PRICE_BITS: u128 = bits(1, 9);
const FRACTION_BITS: u128 = bits(10, 10);
const STOCK_BITS: u128 = bits(11, 16);
const WALL_BITS: u128 = bits(17, 27);
const SR_ONLY_BITS: u128 = bits(28, 34);
const BUY_BITS: u128 = bits(35, 46);

/// Everything a class, id or itemprop value says, in one pass (this runs for
/// every element of every page). `buf` is reused to avoid allocations.
pub(crate) fn classify(value: &str, buf: &mut String) -> u16 {
    if value.is_empty() {
        return 0;
    }
    buf.clear();
    buf.push_str(value);
    buf.make_ascii_lowercase();
    let v = buf.as_str();
    let parts = CLASS_PARTS.mask(v);
    let mut flags = 0;
    if parts & PRICE_BITS != 0 {
        flags |= PRICE;
        if parts & DECOY_PRICE_BITS != 0 {
            flags |= DECOY;
        }
    }
    if parts & FRACTION_BITS != 0 {
        flags |= FRACTION;
    }
    if parts & STOCK_BITS != 0 {
        flags |= STOCK;
    }
    if parts & WALL_BITS != 0 {
        flags |= WALL;
    }
    if parts & SR_ONLY_BITS != 0 {
        flags |= SR_ONLY;
    }
    if parts & BUY_BITS != 0 {
        flags |= BUY;
    }
    // `list-price`, but not Bootstrap's `list-unstyled` or `list-inline`.
    if flags & PRICE != 0 && (v.contains("list-price") || v.contains("list_price")) {
        flags |= DECOY;
    }
    for token in v
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        flags |= match token {
            "amount" | "cost" | "preis" | "prix" | "precio" | "prezzo" | "cena" | "pris"
            | "prijs" | "preco" | "fiyat" | "cijena" => PRICE,
            "old" | "was" | "strike" | "strikethrough" | "striked" | "crossed" | "regular"
            | "compare" | "before" | "original" | "rrp" | "uvp" | "msrp" | "retail" | "saving"
            | "savings" | "save" | "shipping" | "delivery" | "unit" | "per" | "base"
            | "baseprice" | "grundpreis" | "installment" | "installments" | "monthly"
            | "finance" | "financing" | "klarna" | "afterpay" | "deposit" | "streichpreis"
            | "alt" | "statt" | "barre" | "crossout" | "oldprice" | "wasprice" | "tax" | "vat"
            | "aslowas" | "aslowasprice" | "lowestprice" | "msrpprice" => DECOY,
            "cart" | "basket" | "minicart" | "header" | "footer" | "nav" | "navbar" | "menu"
            | "related" | "recommend" | "recommendations" | "recommended" | "upsell"
            | "crosssell" | "carousel" | "slider" | "recently" | "viewed" | "similar"
            | "accessories" | "bundle" | "sidebar" | "breadcrumb" | "reviews" | "sponsored"
            | "sponsor" | "upsells" | "crosssells" | "recs" | "rail" | "suggestions" => ELSEWHERE,
            "sale" | "special" | "current" | "final" | "now" | "our" | "actual" | "new"
            | "offer" | "promo" | "deal" | "main" | "finalprice" | "saleprice" => CURRENT,
            "cents" | "cent" | "decimals" | "penny" | "pennies" | "kopeks" => FRACTION,
            _ => 0,
        };
    }
    flags
}

fn has(value: &str, flag: u16) -> bool {
    classify(value, &mut String::new()) & flag != 0
}

/// A class, id or itemprop that holds a price (`price`, `a-price-whole`, `productPrice`).
#[cfg(test)]
pub(crate) fn is_price_name(value: &str) -> bool {
    has(value, PRICE)
}

/// An old, saved, per-unit, shipping or instalment price.
pub(crate) fn is_decoy_name(value: &str) -> bool {
    has(value, DECOY)
}

/// Markup around other products, the cart or the page chrome.
#[cfg(test)]
pub(crate) fn is_elsewhere_name(value: &str) -> bool {
    has(value, ELSEWHERE)
}

/// Units and cents printed in a separate element (`a-price-fraction`, `cents`).
#[cfg(test)]
pub(crate) fn is_fraction_name(value: &str) -> bool {
    has(value, FRACTION)
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

pub(crate) fn is_hidden_style(style: &str) -> bool {
    let squashed: String = style.chars().filter(|c| !c.is_whitespace()).collect();
    contains_ci(&squashed, "display:none") || contains_ci(&squashed, "visibility:hidden")
}

pub(crate) fn is_struck_style(style: &str) -> bool {
    contains_ci(style, "line-through")
}

/// How sure we are that a page is a bot wall rather than a product page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum WallSignal {
    #[default]
    None,
    /// A captcha widget somewhere (review forms have them too).
    Weak,
    /// A challenge page's title, script or wording.
    Strong,
}

static WALL_TITLES: WordList = WordList::new(&[
    "just a moment",
    "attention required",
    "access denied",
    "robot check",
    "are you a robot",
    "captcha",
    "pardon our interruption",
    "security check",
    "verify you are human",
    "checking your browser",
    "please verify",
    "request unsuccessful",
    "403 forbidden",
    "ddos-guard",
    "one more step",
    "bot verification",
    "are you human",
    "human verification",
    "access to this page has been denied",
    "you have been blocked",
    "sorry, you have been blocked",
]);

static WALL_TEXTS: WordList = WordList::new(&[
    "enter the characters you see below",
    "are you a robot",
    "verify you are a human",
    "verify you are human",
    "enable javascript and cookies to continue",
    "please enable js and disable any ad blocker",
    "make sure you're not a robot",
    "make sure you are not a robot",
    "access to this page has been denied",
    "you don't have permission to access",
    "incapsula incident id",
    "your request has been blocked",
    "unusual traffic from your computer",
    "checking your browser before accessing",
    "press & hold to confirm",
    "bitte bestätigen sie, dass sie kein roboter sind",
    "je ne suis pas un robot",
    "sind sie ein mensch",
    "performance & security by cloudflare",
    "ray id:",
]);

const WALL_MARKUP: &[&str] = &[
    "cf-browser-verification",
    "cf-challenge",
    "challenge-form",
    "challenge-platform",
    "cf-turnstile",
    "px-captcha",
    "captcha-delivery.com",
    "geo.captcha-delivery",
    "_incapsula_resource",
    "distil_r_captcha",
    "validatecaptcha",
    "perimeterx",
    "ddos-guard",
    "sec-if-cpt-container",
    "bm-verify",
    "kasada",
];

const WEAK_MARKUP: &[&str] = &[
    "g-recaptcha",
    "h-captcha",
    "hcaptcha.com",
    "recaptcha/api",
    "captcha",
];

pub(crate) fn wall_from_title(title: &str) -> WallSignal {
    let lower = title.to_lowercase();
    if WALL_TITLES.any_in(&lower) {
        WallSignal::Strong
    } else {
        WallSignal::None
    }
}

pub(crate) fn wall_from_text(text_lower: &str) -> WallSignal {
    if WALL_TEXTS.any_in(text_lower) {
        WallSignal::Strong
    } else {
        WallSignal::None
    }
}

/// Ids, classes, script sources and form actions of challenge pages.
pub(crate) fn wall_from_markup(value: &str) -> WallSignal {
    if WALL_MARKUP.iter().any(|w| contains_ci(value, w)) {
        WallSignal::Strong
    } else if WEAK_MARKUP.iter().any(|w| contains_ci(value, w)) {
        WallSignal::Weak
    } else {
        WallSignal::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_part_groups_cover_the_list() {
        assert_eq!(PRICE_BITS, 1);
        assert_eq!(DECOY_PRICE_BITS, 0b11_1111_1110);
        assert_eq!(WALL_BITS >> 17, 0b111_1111_1111);
        assert_eq!(
            PRICE_BITS
                | DECOY_PRICE_BITS
                | FRACTION_BITS
                | STOCK_BITS
                | WALL_BITS
                | SR_ONLY_BITS
                | BUY_BITS,
            (1u128 << 47) - 1
        );
        assert_eq!(classify("cf-challenge", &mut String::new()), WALL);
        assert_eq!(
            classify("product-stock price-old", &mut String::new()),
            PRICE | DECOY | STOCK
        );
    }

    #[test]
    fn class_names_are_read_by_token() {
        assert!(is_price_name("a-price-whole"));
        assert!(is_decoy_name("price price--old"));
        assert!(!is_decoy_name("product-price bold"));
        assert!(is_fraction_name("a-price-fraction"));
        assert!(is_elsewhere_name("mini-cart-total"));
    }
}
