//! Word lists read from class names, ids and text: price-like markup, decoys,
//! stock state in several languages, and bot walls.

use crate::price::words::WordList;
pub use pricewatch_domain::reading::Availability;

/// Stock state from visible text; negative phrases are checked first
/// (`nicht auf Lager` contains `auf Lager`).
pub fn availability_from_text(text: &str) -> Availability {
    let lower = text.to_lowercase();
    // All four lists in one pass, then asked in order.
    let found = STOCK_WORDS.mask(&lower);
    if found & PRE_ORDER_BITS != 0 {
        Availability::PreOrder
    } else if found & OUT_OF_STOCK_BITS != 0 {
        Availability::OutOfStock
    } else if found & BACK_ORDER_BITS != 0 {
        Availability::BackOrder
    } else if found & IN_STOCK_BITS != 0 {
        Availability::InStock
    } else {
        Availability::Unknown
    }
}

const OUT_OF_STOCK: &[&str] = &[
    "out of stock",
    "sold out",
    "currently unavailable",
    "not available",
    "unavailable",
    "no longer available",
    "notify me",
    "email me when",
    "nicht auf lager",
    "nicht verfügbar",
    "nicht lieferbar",
    "ausverkauft",
    "vergriffen",
    "derzeit nicht",
    "rupture de stock",
    "épuisé",
    "epuise",
    "indisponible",
    "non disponible",
    "plus disponible",
    "agotado",
    "sin stock",
    "no disponible",
    "esaurito",
    "non disponibile",
    "esgotado",
    "indisponível",
    "uitverkocht",
    "niet op voorraad",
    "niet leverbaar",
    "brak w magazynie",
    "niedostępny",
    "wyprzedany",
    "vyprodáno",
    "není skladem",
    "nedostupné",
    "нет в наличии",
    "закончился",
    "немає в наявності",
    "slutsåld",
    "ej i lager",
    "utsolgt",
    "ikke på lager",
    "udsolgt",
    "在庫切れ",
    "品切れ",
    "缺货",
    "tükendi",
    "stokta yok",
    "ناموجود",
    "غير متوفر",
    "স্টকে নেই",
    "স্টক শেষ",
    "स्टॉक में नहीं",
    "उपलब्ध नहीं",
];
const PRE_ORDER: &[&str] = &[
    "pre-order",
    "preorder",
    "pre order",
    "vorbestellen",
    "vorbestellung",
    "précommande",
    "precommande",
    "précommander",
    "reserva",
    "preordina",
    "przedsprzedaż",
    "předobjednávka",
    "предзаказ",
    "förbeställ",
    "予約",
];
const BACK_ORDER: &[&str] = &[
    "backorder",
    "back-order",
    "back order",
    "nachbestellt",
    "en réapprovisionnement",
];
const IN_STOCK: &[&str] = &[
    "in stock",
    "available",
    "add to cart",
    "add to basket",
    "add to bag",
    "buy now",
    "auf lager",
    "lieferbar",
    "sofort verfügbar",
    "verfügbar",
    "in den warenkorb",
    "en stock",
    "disponible",
    "ajouter au panier",
    "añadir al carrito",
    "en existencia",
    "disponibile",
    "aggiungi al carrello",
    "em estoque",
    "op voorraad",
    "in winkelwagen",
    "w magazynie",
    "dostępny",
    "do koszyka",
    "skladem",
    "do košíku",
    "в наличии",
    "в корзину",
    "є в наявності",
    "i lager",
    "på lager",
    "lägg i varukorgen",
    "在庫あり",
    "有货",
    "stokta",
    "موجود",
    "متوفر",
    "স্টকে আছে",
    "स्टॉक में है",
    "उपलब्ध",
];

/// The four stock lists one after the other: pre-order, out of stock, back
/// order, in stock.
const STOCK_ALL: [&str; STOCK_LEN] = {
    let lists = [PRE_ORDER, OUT_OF_STOCK, BACK_ORDER, IN_STOCK];
    let mut out = [""; STOCK_LEN];
    let mut n = 0;
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            out[n] = lists[l][i];
            n += 1;
            i += 1;
        }
        l += 1;
    }
    out
};
const STOCK_LEN: usize = PRE_ORDER.len() + OUT_OF_STOCK.len() + BACK_ORDER.len() + IN_STOCK.len();
static STOCK_WORDS: WordList = WordList::new(&STOCK_ALL);
/// Bits of `STOCK_WORDS.mask` for each list.
const fn span(from: usize, len: usize) -> u128 {
    let mut bits = 0u128;
    let mut i = from;
    while i < from + len {
        bits |= 1u128 << i;
        i += 1;
    }
    bits
}
const PRE_ORDER_BITS: u128 = span(0, PRE_ORDER.len());
const OUT_OF_STOCK_BITS: u128 = span(PRE_ORDER.len(), OUT_OF_STOCK.len());
const BACK_ORDER_BITS: u128 = span(PRE_ORDER.len() + OUT_OF_STOCK.len(), BACK_ORDER.len());
const IN_STOCK_BITS: u128 = span(
    PRE_ORDER.len() + OUT_OF_STOCK.len() + BACK_ORDER.len(),
    IN_STOCK.len(),
);

pub(crate) const PRICE: u8 = 1;
pub(crate) const DECOY: u8 = 1 << 1;
pub(crate) const ELSEWHERE: u8 = 1 << 2;
pub(crate) const CURRENT: u8 = 1 << 3;
pub(crate) const FRACTION: u8 = 1 << 4;
pub(crate) const STOCK: u8 = 1 << 5;
pub(crate) const WALL: u8 = 1 << 6;

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
]);

const fn bits(from: u32, to: u32) -> u128 {
    (u128::MAX >> (127 - to + from)) << from
}
const PRICE_BITS: u128 = bits(0, 0);
const DECOY_PRICE_BITS: u128 = bits(1, 9);
const FRACTION_BITS: u128 = bits(10, 10);
const STOCK_BITS: u128 = bits(11, 16);
const WALL_BITS: u128 = bits(17, 27);

/// Everything a class, id or itemprop value says, in one pass (this runs for
/// every element of every page). `buf` is reused to avoid allocations.
pub(crate) fn classify(value: &str, buf: &mut String) -> u8 {
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
    for token in v
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        flags |= match token {
            "amount" | "cost" | "preis" | "prix" | "precio" | "prezzo" | "cena" | "pris"
            | "prijs" | "preco" | "fiyat" | "cijena" => PRICE,
            "old" | "was" | "strike" | "strikethrough" | "striked" | "crossed" | "regular"
            | "list" | "compare" | "before" | "original" | "rrp" | "uvp" | "msrp" | "retail"
            | "saving" | "savings" | "save" | "shipping" | "delivery" | "unit" | "per" | "base"
            | "baseprice" | "grundpreis" | "installment" | "installments" | "monthly"
            | "finance" | "financing" | "klarna" | "afterpay" | "deposit" | "streichpreis"
            | "alt" | "statt" | "barre" | "crossout" | "oldprice" | "wasprice" | "tax" | "vat" => {
                DECOY
            }
            "cart" | "basket" | "minicart" | "header" | "footer" | "nav" | "navbar" | "menu"
            | "related" | "recommend" | "recommendations" | "recommended" | "upsell"
            | "crosssell" | "carousel" | "slider" | "recently" | "viewed" | "similar"
            | "accessories" | "bundle" | "sidebar" | "breadcrumb" | "reviews" => ELSEWHERE,
            "sale" | "special" | "current" | "final" | "now" | "our" | "actual" | "new"
            | "offer" | "promo" | "deal" | "main" | "finalprice" | "saleprice" => CURRENT,
            "cents" | "cent" | "decimals" | "penny" | "pennies" | "kopeks" => FRACTION,
            _ => 0,
        };
    }
    flags
}

fn has(value: &str, flag: u8) -> bool {
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
    fn availability_reads_schema_values_and_text() {
        assert_eq!(
            Availability::from_schema("https://schema.org/InStock"),
            Availability::InStock
        );
        assert_eq!(
            Availability::from_schema("http://schema.org/OutOfStock"),
            Availability::OutOfStock
        );
        assert_eq!(
            Availability::from_schema("PreOrder"),
            Availability::PreOrder
        );
        assert_eq!(Availability::from_schema("oos"), Availability::OutOfStock);
        assert_eq!(
            availability_from_text("Nicht auf Lager"),
            Availability::OutOfStock
        );
        assert_eq!(
            availability_from_text("Auf Lager, Lieferung 1-2 Tage"),
            Availability::InStock
        );
        assert_eq!(
            availability_from_text("Rupture de stock"),
            Availability::OutOfStock
        );
        assert_eq!(availability_from_text("В наличии"), Availability::InStock);
        for (text, want) in [
            ("موجود در انبار", Availability::InStock),
            ("ناموجود", Availability::OutOfStock),
            ("المنتج غير متوفر حاليا", Availability::OutOfStock),
            ("متوفر", Availability::InStock),
            ("স্টকে আছে", Availability::InStock),
            ("স্টক শেষ", Availability::OutOfStock),
            ("स्टॉक में नहीं है", Availability::OutOfStock),
            ("स्टॉक में है", Availability::InStock),
        ] {
            assert_eq!(availability_from_text(text), want, "{text}");
        }
        assert_eq!(
            availability_from_text("Jetzt vorbestellen"),
            Availability::PreOrder
        );
    }

    #[test]
    fn stock_text_reads_like_the_four_lists_in_turn() {
        let reference = |text: &str| {
            let lower = text.to_lowercase();
            let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
            if has(PRE_ORDER) {
                Availability::PreOrder
            } else if has(OUT_OF_STOCK) {
                Availability::OutOfStock
            } else if has(BACK_ORDER) {
                Availability::BackOrder
            } else if has(IN_STOCK) {
                Availability::InStock
            } else {
                Availability::Unknown
            }
        };
        let mut texts: Vec<String> = STOCK_ALL.iter().map(|w| w.to_uppercase()).collect();
        texts.extend(STOCK_ALL.iter().map(|w| format!("x {w} y")));
        texts.extend(
            [
                "",
                "Add to cart · Sold out",
                "Pre-order, in stock soon",
                "nothing",
            ]
            .map(String::from),
        );
        for text in &texts {
            assert_eq!(availability_from_text(text), reference(text), "{text:?}");
        }
        assert_eq!(
            PRE_ORDER_BITS | OUT_OF_STOCK_BITS | BACK_ORDER_BITS | IN_STOCK_BITS,
            span(0, STOCK_LEN)
        );
    }

    #[test]
    fn class_part_groups_cover_the_list() {
        assert_eq!(PRICE_BITS, 1);
        assert_eq!(DECOY_PRICE_BITS, 0b11_1111_1110);
        assert_eq!(WALL_BITS >> 17, 0b111_1111_1111);
        assert_eq!(
            PRICE_BITS | DECOY_PRICE_BITS | FRACTION_BITS | STOCK_BITS | WALL_BITS,
            (1u128 << 28) - 1
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
