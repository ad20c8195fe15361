//! What the shop sells: a few hand-written demo products in different markups,
//! plus any number of generated `item-NNNNNN` products for load tests, whose
//! prices are a pure function of the slug (nothing is stored per product).

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

/// How a product page states its price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Markup {
    /// `<script type="application/ld+json">` with a schema.org Product/Offer.
    JsonLd,
    /// schema.org microdata: `itemprop="price"`.
    Microdata,
    /// `<meta property="product:price:amount">` / `og:price:currency`.
    Meta,
    /// Only visible text, e.g. `<span class="price">1.299,99 €</span>`.
    PlainText,
}

/// How the visible price text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceStyle {
    /// `£1,049.99`
    English,
    /// `1.049,99 €`
    German,
}

/// An ISO 4217-shaped code: three ASCII upper-case letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const GBP: Currency = Currency(*b"GBP");
    pub const USD: Currency = Currency(*b"USD");

    /// Accepts three ASCII letters in any case.
    pub fn parse(code: &str) -> Option<Currency> {
        let bytes: [u8; 3] = code.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(u8::is_ascii_alphabetic)
            .then(|| Currency(bytes.map(|b| b.to_ascii_uppercase())))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    pub fn symbol(&self) -> Option<&'static str> {
        match &self.0 {
            b"EUR" => Some("€"),
            b"GBP" => Some("£"),
            b"USD" => Some("$"),
            b"JPY" => Some("¥"),
            _ => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One product as the catalog defines it, before any price set by a request.
#[derive(Clone, Debug)]
pub struct Product {
    pub slug: Cow<'static, str>,
    pub title: Cow<'static, str>,
    pub markup: Markup,
    pub style: PriceStyle,
    pub base_cents: i64,
    pub currency: Currency,
    pub in_stock: bool,
    /// The price follows a slow walk over time (see [`drift_cents`]).
    pub drifts: bool,
}

impl Product {
    pub fn base_amount(&self) -> Decimal {
        Decimal::new(self.base_cents, 2)
    }
}

struct Fixed {
    slug: &'static str,
    title: &'static str,
    markup: Markup,
    style: PriceStyle,
    cents: i64,
    currency: Currency,
    in_stock: bool,
    drifts: bool,
}

const FIXED: &[Fixed] = &[
    Fixed {
        slug: "espresso-machine",
        title: "Barista Pro Espresso Machine",
        markup: Markup::JsonLd,
        style: PriceStyle::English,
        cents: 24_999,
        currency: Currency::EUR,
        in_stock: true,
        drifts: true,
    },
    Fixed {
        slug: "noise-cancelling-headphones",
        title: "QuietLife Noise-Cancelling Headphones",
        markup: Markup::Microdata,
        style: PriceStyle::English,
        cents: 19_900,
        currency: Currency::EUR,
        in_stock: true,
        drifts: true,
    },
    Fixed {
        slug: "trail-running-shoes",
        title: "Ridgeline Trail Running Shoes",
        markup: Markup::Meta,
        style: PriceStyle::English,
        cents: 12_995,
        currency: Currency::EUR,
        in_stock: true,
        drifts: false,
    },
    Fixed {
        slug: "gaming-laptop",
        title: "Blitz 16 Gaming-Laptop",
        markup: Markup::PlainText,
        style: PriceStyle::German,
        cents: 129_999,
        currency: Currency::EUR,
        in_stock: true,
        drifts: false,
    },
    Fixed {
        slug: "electric-kettle",
        title: "Brewster Electric Kettle 1.7 L",
        markup: Markup::Microdata,
        style: PriceStyle::English,
        cents: 3999,
        currency: Currency::GBP,
        in_stock: true,
        drifts: false,
    },
    Fixed {
        slug: "mechanical-keyboard",
        title: "Clacker TKL Mechanical Keyboard",
        markup: Markup::JsonLd,
        style: PriceStyle::English,
        cents: 8990,
        currency: Currency::EUR,
        in_stock: false,
        drifts: false,
    },
    Fixed {
        slug: "ultrawide-monitor",
        title: "Vista 34\" Ultrawide Monitor",
        markup: Markup::PlainText,
        style: PriceStyle::English,
        cents: 104_900,
        currency: Currency::USD,
        in_stock: true,
        drifts: false,
    },
];

const GENERATED_PREFIX: &str = "item-";
const MARKUP_CYCLE: [Markup; 4] = [
    Markup::JsonLd,
    Markup::Microdata,
    Markup::Meta,
    Markup::PlainText,
];

/// Price factors in per mille along one drift cycle: a sine with a second
/// harmonic, hand-tuned so that no two neighbours (nor next-but-one) are equal,
/// so every step really changes the price.
const DRIFT_PER_MILLE: [i64; 24] = [
    1025, 1069, 1102, 1122, 1133, 1130, 1124, 1115, 1103, 1090, 1074, 1053, 1025, 991, 952, 910,
    872, 841, 828, 822, 843, 878, 924, 975,
];

/// The catalog: fixed products first, then `generated` items.
#[derive(Clone, Debug)]
pub struct Catalog {
    generated: u32,
}

impl Catalog {
    pub fn new(generated: u32) -> Catalog {
        Catalog { generated }
    }

    pub fn len(&self) -> usize {
        FIXED
            .len()
            .saturating_add(usize::try_from(self.generated).unwrap_or(usize::MAX))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The product at `index` in listing order.
    pub fn get(&self, index: usize) -> Option<Product> {
        match FIXED.get(index) {
            Some(fixed) => Some(fixed_product(fixed)),
            None => {
                let n = u32::try_from(index - FIXED.len()).ok()?.checked_add(1)?;
                (n <= self.generated).then(|| generated_product(n))
            }
        }
    }

    pub fn find(&self, slug: &str) -> Option<Product> {
        if let Some(fixed) = FIXED.iter().find(|p| p.slug == slug) {
            return Some(fixed_product(fixed));
        }
        let n = generated_number(slug)?;
        (n >= 1 && n <= self.generated).then(|| generated_product(n))
    }

    pub fn fixed_slugs() -> impl Iterator<Item = &'static str> {
        FIXED.iter().map(|p| p.slug)
    }
}

fn fixed_product(fixed: &Fixed) -> Product {
    Product {
        slug: Cow::Borrowed(fixed.slug),
        title: Cow::Borrowed(fixed.title),
        markup: fixed.markup,
        style: fixed.style,
        base_cents: fixed.cents,
        currency: fixed.currency,
        in_stock: fixed.in_stock,
        drifts: fixed.drifts,
    }
}

pub fn generated_slug(n: u32) -> String {
    format!("{GENERATED_PREFIX}{n:06}")
}

/// Only the canonical spelling counts, so one product has exactly one URL.
fn generated_number(slug: &str) -> Option<u32> {
    let digits = slug.strip_prefix(GENERATED_PREFIX)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    (generated_slug(n) == slug).then_some(n)
}

fn generated_product(n: u32) -> Product {
    let mixed = mix(u64::from(n));
    // 5.00 ..= 504.99
    let cents = 500 + i64::try_from(mixed % 50_000).unwrap_or(0);
    let markup = MARKUP_CYCLE[usize::try_from(n % 4).unwrap_or(0)];
    Product {
        slug: Cow::Owned(generated_slug(n)),
        title: Cow::Owned(format!("Demo Item {n:06}")),
        markup,
        style: if markup == Markup::PlainText {
            PriceStyle::German
        } else {
            PriceStyle::English
        },
        base_cents: cents,
        currency: Currency::EUR,
        in_stock: true,
        drifts: false,
    }
}

/// splitmix64's finaliser: a cheap, well-spread hash of the item number.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The drifting price of a product at drift step `step` (time / step length).
/// Each slug gets its own phase so that drifting products do not move together.
pub fn drift_cents(base_cents: i64, slug: &str, step: u64) -> i64 {
    let phase = slug.bytes().fold(0u64, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u64::from(b))
    });
    let len = u64::try_from(DRIFT_PER_MILLE.len()).unwrap_or(1);
    let index = usize::try_from(step.wrapping_add(phase) % len).unwrap_or(0);
    (base_cents * DRIFT_PER_MILLE[index] + 500) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_drift_step_changes_the_price() {
        let n = DRIFT_PER_MILLE.len();
        for i in 0..n {
            assert_ne!(DRIFT_PER_MILLE[i], DRIFT_PER_MILLE[(i + 1) % n]);
            assert_ne!(DRIFT_PER_MILLE[i], DRIFT_PER_MILLE[(i + 2) % n]);
        }
        for fixed in FIXED.iter().filter(|p| p.drifts) {
            for step in 0..48 {
                let a = drift_cents(fixed.cents, fixed.slug, step);
                assert_ne!(a, drift_cents(fixed.cents, fixed.slug, step + 1));
                assert_ne!(a, drift_cents(fixed.cents, fixed.slug, step + 2));
            }
        }
    }

    #[test]
    fn generated_slugs_are_canonical_and_bounded() {
        let catalog = Catalog::new(100_000);
        assert_eq!(catalog.len(), FIXED.len() + 100_000);
        let item = catalog.find("item-000042").expect("item 42");
        assert_eq!(item.slug, "item-000042");
        assert_eq!(catalog.find("item-42").map(|p| p.slug), None);
        assert!(catalog.find("item-+00042").is_none());
        assert!(catalog.find("item-000000").is_none());
        assert!(catalog.find("item-100000").is_some());
        assert!(catalog.find("item-100001").is_none());
        assert!(catalog.get(FIXED.len() + 99_999).is_some());
        assert!(catalog.get(FIXED.len() + 100_000).is_none());
        assert_eq!(
            catalog.get(FIXED.len()).map(|p| p.slug),
            Some("item-000001".into())
        );
    }

    #[test]
    fn generated_prices_are_stable_and_plausible() {
        let a = generated_product(7);
        let b = generated_product(7);
        assert_eq!(a.base_cents, b.base_cents);
        for n in 1..1000 {
            let p = generated_product(n);
            assert!((500..50_500).contains(&p.base_cents), "{}", p.base_cents);
        }
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("gbp"), Some(Currency::GBP));
        assert_eq!(Currency::parse("EURO"), None);
        assert_eq!(Currency::parse("E1R"), None);
        assert_eq!(Currency::parse("€"), None);
    }
}
