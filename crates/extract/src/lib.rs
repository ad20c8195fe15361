//! The extraction engine: the price, currency, title, availability and image
//! of a product page ([`extract`]), and the amount and currency of a price
//! text ([`parse_price`]).
//!
//! One streaming pass of html5ever's tokenizer (no DOM, bounded memory) feeds
//! every method at once: the watch's own CSS selector, schema.org JSON-LD,
//! microdata, meta tags, and the visible page's price-like texts (struck, old,
//! per-unit, shipping, reward and financing amounts set aside). Each gives its
//! candidates; then one decision: structured data and the visible page confirm
//! each other, and when they disagree the visible current price in the main
//! product area wins over a structured value shown only struck through or not
//! at all ([`Extraction::decision`]). Bot walls (captcha, access denied,
//! JavaScript challenges) are their own outcome, never a price.

mod decide;
mod decode;
mod heuristic;
mod jsonld;
pub mod price;
mod scan;
mod selector;
mod signals;
mod structured;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::price::PriceHint;
pub use crate::price::{ParsedPrice, parse_price};
use pricewatch_domain::money::{Currency, Money};
pub use pricewatch_domain::reading::{Availability, Method};
pub use selector::{Selector, SelectorError};

/// Pages are cut here: a product's price is never megabytes deep, and work must stay bounded.
pub const MAX_HTML_BYTES: usize = 8 << 20;

/// What the caller knows about the page besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractContext<'a> {
    /// The page's URL: picks the main product among several, a variant, the
    /// currency of `$` or `kr` (by domain), and resolves relative image URLs.
    pub url: Option<&'a str>,
    /// The `charset` of the HTTP `Content-Type` header, if any.
    pub content_type_charset: Option<&'a str>,
    /// A CSS selector given by the user for this watch; tried first.
    pub selector: Option<&'a str>,
    /// The currency to assume when the page shows none.
    pub currency_hint: Option<Currency>,
}

/// Where a value was read: the method, the selector or JSON path, the raw text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub method: Method,
    pub path: String,
    pub raw: String,
}

/// One method's reading of the price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Option<Currency>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRange {
    #[serde(with = "rust_decimal::serde::str")]
    pub low: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub high: Decimal,
}

/// A price found on a page, with everything that was read beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Option<Currency>,
    /// Set when the page offers several prices for this product (variants,
    /// `AggregateOffer`); `amount` is then the one the page shows, else the lowest.
    pub price_range: Option<PriceRange>,
    pub title: Option<String>,
    pub availability: Availability,
    pub image: Option<String>,
    pub method: Method,
    /// 0 to 1: how sure the method is, raised when other methods agree.
    pub confidence: f32,
    pub provenance: Provenance,
    /// Other methods that read the same amount.
    pub agreeing: Vec<Method>,
    /// Other methods that read a different amount.
    pub conflicts: Vec<Observation>,
    /// Why this reading won over the others, in a sentence.
    pub decision: String,
    /// Whether structured data and the visible page show the same amount.
    pub sources_agree: bool,
    /// The best reading that lost, if any.
    pub runner_up: Option<Observation>,
    /// The encoding the page was decoded with.
    pub encoding: String,
    pub notes: Vec<String>,
}

impl Extraction {
    /// The price as money, when the currency is known.
    pub fn price(&self) -> Option<Money> {
        self.currency.map(|c| Money::new(self.amount, c))
    }
}

/// The result of [`extract`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
// Returned once per page and matched at once: boxing `Found` buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum ExtractOutcome {
    Found(Extraction),
    /// No plausible price; the title and stock state may still be known.
    NoPrice {
        reason: String,
        title: Option<String>,
        availability: Availability,
    },
    /// A captcha, access-denied or JavaScript-challenge page: retry later, do
    /// not record a price or a stock state.
    Blocked {
        reason: String,
    },
}

/// One reading considered by [`explain`]: where it came from and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Considered {
    pub method: Method,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Option<Currency>,
    pub path: String,
    pub raw: String,
    /// The visible text's score (structured readings have none).
    pub score: Option<i32>,
    /// In the main product area, set aside (and why), hidden…
    pub note: String,
}

/// [`extract`]'s outcome with every reading it weighed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub outcome: ExtractOutcome,
    pub candidates: Vec<Considered>,
}

/// Extracts the price (and title, availability, image) of the product page
/// `html`. Never panics; work and memory are bounded by [`MAX_HTML_BYTES`].
pub fn extract(html: &[u8], ctx: &ExtractContext<'_>) -> ExtractOutcome {
    run(html, ctx, None)
}

/// Like [`extract`], and lists every candidate reading with why it won or lost.
pub fn explain(html: &[u8], ctx: &ExtractContext<'_>) -> Explanation {
    let mut candidates = Vec::new();
    let outcome = run(html, ctx, Some(&mut candidates));
    Explanation {
        outcome,
        candidates,
    }
}

fn run(
    html: &[u8],
    ctx: &ExtractContext<'_>,
    considered: Option<&mut Vec<Considered>>,
) -> ExtractOutcome {
    let bytes = html.get(..html.len().min(MAX_HTML_BYTES)).unwrap_or(html);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return ExtractOutcome::NoPrice {
            reason: "empty page".into(),
            title: None,
            availability: Availability::Unknown,
        };
    }
    if looks_binary(bytes) {
        return ExtractOutcome::NoPrice {
            reason: "not an HTML page (binary content)".into(),
            title: None,
            availability: Availability::Unknown,
        };
    }
    let mut notes = Vec::new();
    if html.len() > MAX_HTML_BYTES {
        notes.push(format!("page cut to its first {MAX_HTML_BYTES} bytes"));
    }
    let (text, encoding) = decode::decode(bytes, ctx.content_type_charset);
    let selector = match ctx.selector.map(Selector::parse) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            notes.push(format!("selector ignored: {e}"));
            None
        }
        None => None,
    };
    let page = scan::scan(&text, selector.as_ref());
    let products = jsonld::products(&page.jsonld);

    let locale = page
        .lang
        .as_deref()
        .filter(|l| l.contains('-'))
        .or(ctx.url)
        .or(page.lang.as_deref());
    let declared = ctx
        .currency_hint
        .or_else(|| structured::declared_currency(&page, &products));
    let hint = PriceHint {
        currency: declared,
        text: None,
        locale,
    };
    let urls = structured::page_urls(ctx.url, &page);

    let mut facts = structured::Facts::default();
    let mut observations: Vec<Observation> = Vec::new();
    if let Some(obs) = structured::from_selector(&page, &hint) {
        observations.push(obs);
    }
    let ld = structured::from_json_ld(&products, &urls, &hint, &mut facts);
    observations.extend(ld);
    observations.extend(structured::from_microdata(&page, &hint, &mut facts));
    observations.extend(structured::from_meta(&page, &hint, &mut facts));
    let structured_found = !observations.is_empty();
    // One structured amount (not a choice among offers) needs the visible
    // texts only up to the first that confirms it; --explain lists them all.
    let confirm = observations
        .first()
        .filter(|_| facts.offers.len() <= 1 && considered.is_none())
        .map(|o| o.amount);
    let ranked = heuristic::rank(&page.candidates, &hint, page.h1.is_some(), confirm);
    if let Some(list) = considered {
        list.extend(observations.iter().map(|o| Considered {
            method: o.provenance.method,
            amount: o.amount,
            currency: o.currency,
            path: o.provenance.path.clone(),
            raw: o.provenance.raw.clone(),
            score: None,
            note: "structured".to_owned(),
        }));
        list.extend(facts.offers.iter().map(|(o, _)| Considered {
            method: o.provenance.method,
            amount: o.amount,
            currency: o.currency,
            path: o.provenance.path.clone(),
            raw: o.provenance.raw.clone(),
            score: None,
            note: "one of several offers".to_owned(),
        }));
        list.extend(ranked.iter().map(|r| Considered {
            method: Method::Heuristic,
            amount: r.observation.amount,
            currency: r.observation.currency,
            path: r.observation.provenance.path.clone(),
            raw: r.observation.provenance.raw.clone(),
            score: Some(r.score),
            note: match (r.set_aside, r.main_area, r.hidden) {
                (Some(why), ..) => format!("set aside: {why}"),
                (None, _, true) => "hidden text".to_owned(),
                (None, true, false) => "visible, main product area".to_owned(),
                (None, false, false) => "visible, outside the main product area".to_owned(),
            },
        }));
    }
    let visible = heuristic::best(&ranked);
    let decided = decide::decide(&observations, &facts, &ranked, visible);
    if let Some(offer_stock) = decided.offer_stock {
        facts.availability = Some(offer_stock);
    }
    if let Some(obs) = &decided.visible_observation {
        observations.insert(0, obs.clone());
    } else if !structured_found && let Some(v) = visible {
        observations.push(v.observation.clone());
    }
    let title = facts
        .title
        .clone()
        .or_else(|| page.meta("og:title").map(str::to_owned))
        .or_else(|| page.h1.clone())
        .or_else(|| page.title.clone().filter(|t| !t.is_empty()));
    let availability = facts
        .availability
        .or_else(|| {
            page.stock_texts
                .iter()
                .map(|t| signals::availability_from_text(t))
                .find(|a| *a != Availability::Unknown)
        })
        .or_else(|| near_title_availability(&page))
        .or_else(|| {
            page.after_title_text
                .lines()
                .map(signals::availability_from_text)
                .find(|a| *a != Availability::Unknown)
        })
        .or_else(|| page.buy_button.then_some(Availability::InStock))
        .unwrap_or_default();

    if !structured_found && blocked(&page, visible.is_some()) {
        return ExtractOutcome::Blocked {
            reason: format!(
                "bot wall or challenge page (title {:?})",
                page.title.as_deref().unwrap_or("")
            ),
        };
    }
    let Some(primary) = observations.first().cloned() else {
        let reason = facts
            .rejected
            .first()
            .cloned()
            .unwrap_or_else(|| "no price found".to_owned());
        return ExtractOutcome::NoPrice {
            reason,
            title,
            availability,
        };
    };
    let mut confidence: f32 = match primary.provenance.method {
        Method::Selector | Method::JsonLd => 0.95,
        Method::Microdata => 0.9,
        Method::Meta => 0.85,
        Method::Heuristic if structured_found => 0.75,
        Method::Heuristic => visible.map_or(0.4, |v| heuristic::confidence(v.score)),
    };
    if facts.range.is_some() && primary.provenance.method == Method::JsonLd && !decided.agree {
        confidence = 0.7;
    }
    let mut agreeing = Vec::new();
    let mut conflicts: Vec<Observation> = Vec::new();
    for other in observations.iter().skip(1) {
        if other.amount == primary.amount {
            if !agreeing.contains(&other.provenance.method) {
                agreeing.push(other.provenance.method);
                confidence = (confidence + 0.02).min(0.99);
            }
        } else {
            confidence -= if other.provenance.method == Method::Heuristic {
                0.03
            } else {
                0.1
            };
            conflicts.push(other.clone());
        }
    }
    if decided.agree {
        confidence = (confidence + 0.03).min(0.99);
        if !agreeing.contains(&Method::Heuristic) && primary.provenance.method != Method::Heuristic
        {
            agreeing.push(Method::Heuristic);
        }
    }
    let runner_up = conflicts.first().cloned().or_else(|| {
        ranked
            .iter()
            .filter(|r| r.set_aside.is_none() && r.observation.amount != primary.amount)
            .max_by_key(|r| (r.score, std::cmp::Reverse(r.order)))
            .map(|r| r.observation.clone())
    });
    // A structured amount without a currency takes the one the page prints beside it.
    let currency = primary.currency.or(declared).or_else(|| {
        ranked
            .iter()
            .filter(|r| r.observation.amount == primary.amount)
            .find_map(|r| r.observation.currency)
    });
    ExtractOutcome::Found(Extraction {
        amount: primary.amount,
        currency,
        price_range: facts
            .range
            .filter(|_| primary.provenance.method == Method::JsonLd),
        decision: decided.why,
        sources_agree: decided.agree,
        runner_up,
        title,
        availability,
        image: facts
            .image
            .clone()
            .or_else(|| page.meta("og:image").map(str::to_owned))
            .map(|i| structured::absolute(&i, ctx.url)),
        method: primary.provenance.method,
        confidence: confidence.clamp(0.05, 0.99),
        provenance: primary.provenance,
        agreeing,
        conflicts,
        encoding: encoding.to_owned(),
        notes,
    })
}

/// Control bytes other than whitespace in the first kilobyte: an image, an archive, garbage.
/// (UTF-16 pages start with a BOM and are let through.)
fn looks_binary(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or(bytes);
    let control = head
        .iter()
        .filter(|b| **b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    control * 20 > head.len()
}

/// Stock words printed just after the product's `<h1>` (`1.234,56 € · Auf Lager`),
/// for pages without any stock markup.
fn near_title_availability(page: &scan::PageScan) -> Option<Availability> {
    let h1 = page.h1.as_deref()?;
    let at = page.visible_head.find(h1)? + h1.len();
    let rest = page.visible_head.get(at..)?;
    // The next 160 chars, borrowed.
    let end = rest.char_indices().nth(160).map_or(rest.len(), |(i, _)| i);
    let window = rest.get(..end)?;
    Some(signals::availability_from_text(window)).filter(|a| *a != Availability::Unknown)
}

fn blocked(page: &scan::PageScan, heuristic_found: bool) -> bool {
    // The wording of the visible text is only read here, when no structured
    // method answered and the markup alone did not settle it.
    let wall = match page.wall {
        signals::WallSignal::Strong => signals::WallSignal::Strong,
        wall => wall.max(signals::wall_from_text(&page.visible_head.to_lowercase())),
    };
    match wall {
        signals::WallSignal::Strong => true,
        signals::WallSignal::Weak => !heuristic_found && page.visible_head.len() < 600,
        signals::WallSignal::None => false,
    }
}
