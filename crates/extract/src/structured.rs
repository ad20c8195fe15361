//! The structured methods: the user's selector, JSON-LD, microdata and meta tags.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::jsonld::{LdOffer, LdProduct};
use super::scan::{MicroKind, PageScan};
use super::signals::Availability;
use super::{Method, Observation, PriceRange, Provenance};
use crate::price::{PriceHint, parse_price_with};
use pricewatch_domain::money::{Currency, validate_amount};

/// Title, image, stock state and range read alongside the winning price.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub title: Option<String>,
    pub image: Option<String>,
    pub availability: Option<Availability>,
    pub range: Option<PriceRange>,
    /// Every JSON-LD offer read when there are several, with its stock.
    pub offers: Vec<(Observation, Option<Availability>)>,
    /// Why a price that was found was not plausible.
    pub rejected: Vec<String>,
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// A currency written in a machine field (`EUR`, sometimes `€`).
fn currency_of(raw: Option<&str>) -> Option<Currency> {
    let raw = raw?.trim();
    Currency::parse(raw)
        .ok()
        .or_else(|| crate::price::parse_price(raw, None).currency)
}

/// The page's declared currency, used for prices written without one.
pub(crate) fn declared_currency(page: &PageScan, products: &[LdProduct]) -> Option<Currency> {
    let ld = products.iter().flat_map(|p| {
        p.offers
            .iter()
            .chain(p.variants.iter().flat_map(|v| v.offers.iter()))
    });
    ld.filter_map(|o| currency_of(o.currency.as_deref()))
        .next()
        .or_else(|| {
            [
                "product:price:currency",
                "og:price:currency",
                "product:sale_price:currency",
            ]
            .iter()
            .find_map(|k| currency_of(page.meta(k)))
        })
        .or_else(|| {
            page.micro
                .iter()
                .flat_map(|i| &i.props)
                .find(|p| p.name == "priceCurrency")
                .and_then(|p| currency_of(Some(&p.value)))
        })
}

/// `https://www.Shop.com/p/1/#top` and `http://shop.com/p/1` are the same page.
pub(crate) fn norm_url(url: &str) -> String {
    let url = url.trim();
    let url = url.split('#').next().unwrap_or(url);
    let url = url.split("://").last().unwrap_or(url);
    let url = url.strip_prefix("www.").unwrap_or(url);
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path.trim_end_matches('/').to_ascii_lowercase();
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

pub(crate) struct PageUrls {
    pub normalized: Vec<String>,
    /// Query values of the page URL (`?variant=123` gives `123`), to match a SKU.
    pub query_values: Vec<String>,
    /// The page URL's path, lower case, to find a SKU in it (`/p/kettle-kt-200-blu`).
    pub path: String,
}

pub(crate) fn page_urls(url: Option<&str>, page: &PageScan) -> PageUrls {
    let mut normalized: Vec<String> = [url, page.canonical.as_deref(), page.meta("og:url")]
        .into_iter()
        .flatten()
        .map(norm_url)
        .collect();
    let without_query: Vec<String> = normalized
        .iter()
        .filter_map(|u| u.split_once('?').map(|(p, _)| p.to_owned()))
        .collect();
    normalized.extend(without_query);
    // No `?`, no query: skip parsing the URL.
    let query_values = url
        .filter(|u| u.contains('?'))
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.query_pairs().map(|(_, v)| v.into_owned()).collect())
        .unwrap_or_default();
    let path = url
        .map(norm_url)
        .map(|u| u.split('?').next().unwrap_or("").to_owned())
        .map(|u| {
            u.split_once('/')
                .map_or(String::new(), |(_, p)| p.to_owned())
        })
        .unwrap_or_default();
    PageUrls {
        normalized,
        query_values,
        path,
    }
}

impl PageUrls {
    fn matches(&self, url: Option<&str>) -> bool {
        url.is_some_and(|u| !u.is_empty() && self.normalized.contains(&norm_url(u)))
    }

    /// A SKU given in the query (`?sku=KT-200`) or as a whole part of the path
    /// (`/p/kettle-kt-200-blu`, `/kt-200-blu.html`).
    fn names_sku(&self, sku: Option<&str>) -> bool {
        let Some(sku) = sku.map(str::trim).filter(|s| !s.is_empty()) else {
            return false;
        };
        if self.query_values.iter().any(|v| v == sku) {
            return true;
        }
        // Short SKUs (`12`, `S`) are found in any path.
        if sku.len() < 4 || self.path.is_empty() {
            return false;
        }
        let sku = sku.to_ascii_lowercase();
        let path = self.path.as_str();
        path.match_indices(sku.as_str()).any(|(at, _)| {
            let before = path.get(..at).and_then(|p| p.chars().next_back());
            let after = path.get(at + sku.len()..).and_then(|p| p.chars().next());
            before.is_none_or(|c| !c.is_ascii_alphanumeric())
                && after.is_none_or(|c| !c.is_ascii_alphanumeric())
        })
    }
}

pub(crate) fn absolute(image: &str, base: Option<&str>) -> String {
    base.and_then(|b| url::Url::parse(b).ok())
        .and_then(|b| b.join(image).ok())
        .map_or_else(|| image.to_owned(), |u| u.to_string())
}

/// Reads a machine-written amount (`2879.2`) exactly, else parses it as text.
fn read_amount(
    raw: &str,
    hint: &PriceHint<'_>,
    currency: Option<Currency>,
) -> Result<(Decimal, Option<Currency>), String> {
    let trimmed = raw.trim();
    let machine = !trimmed.is_empty()
        && trimmed.len() <= 32
        && trimmed.chars().all(|c| c.is_ascii_digit() || c == '.')
        && trimmed.matches('.').count() <= 1;
    let (amount, found_currency) = if machine {
        (Decimal::from_str(trimmed).ok(), None)
    } else {
        let parsed = parse_price_with(
            trimmed,
            &PriceHint {
                currency: currency.or(hint.currency),
                ..*hint
            },
        );
        (parsed.amount, parsed.currency)
    };
    let amount = amount.ok_or_else(|| format!("unreadable price {trimmed:?}"))?;
    let amount = validate_amount(amount.round_dp(4))
        .map_err(|e| format!("price {trimmed:?} rejected: {e}"))?;
    Ok((amount, currency.or(found_currency)))
}

fn observation(
    method: Method,
    path: String,
    raw: &str,
    amount: Decimal,
    currency: Option<Currency>,
) -> Observation {
    Observation {
        amount,
        currency,
        provenance: Provenance {
            method,
            path,
            raw: raw.to_owned(),
        },
    }
}

pub(crate) fn from_selector(page: &PageScan, hint: &PriceHint<'_>) -> Option<Observation> {
    page.selector_hits.iter().find_map(|(text, path)| {
        let (amount, currency) = read_amount(text, hint, None).ok()?;
        Some(observation(
            Method::Selector,
            path.clone(),
            text,
            amount,
            currency,
        ))
    })
}

fn offer_observation(
    offer: &LdOffer,
    hint: &PriceHint<'_>,
    facts: &mut Facts,
) -> Option<Observation> {
    let currency = currency_of(offer.currency.as_deref());
    match read_amount(&offer.price, hint, currency) {
        Ok((amount, currency)) => Some(observation(
            Method::JsonLd,
            offer.path.clone(),
            &offer.price,
            amount,
            currency,
        )),
        Err(why) => {
            facts.rejected.push(why);
            None
        }
    }
}

pub(crate) fn from_json_ld(
    products: &[LdProduct],
    urls: &PageUrls,
    hint: &PriceHint<'_>,
    facts: &mut Facts,
) -> Option<Observation> {
    let has_offers =
        |p: &&LdProduct| !p.offers.is_empty() || p.variants.iter().any(|v| !v.offers.is_empty());
    let matches = |p: &&LdProduct| {
        urls.matches(p.url.as_deref())
            || urls.matches(p.id.as_deref())
            || p.offers.iter().any(|o| urls.matches(o.url.as_deref()))
    };
    let product = products
        .iter()
        .filter(has_offers)
        .find(matches)
        .or_else(|| products.iter().find(has_offers))
        .or_else(|| products.first())?;
    set(&mut facts.title, product.name.clone());
    set(&mut facts.image, product.image.clone());

    // A variant named by the URL or its SKU, else every variant's price as a range.
    let variant = product.variants.iter().find(|v| {
        urls.matches(v.url.as_deref())
            || v.offers.iter().any(|o| urls.matches(o.url.as_deref()))
            || urls.names_sku(v.sku.as_deref())
    });
    let offers: Vec<&LdOffer> = match variant {
        Some(v) => {
            facts.title = v.name.clone().or(facts.title.take());
            if v.image.is_some() {
                facts.image = v.image.clone();
            }
            v.offers.iter().collect()
        }
        None => product
            .offers
            .iter()
            .chain(product.variants.iter().flat_map(|v| v.offers.iter()))
            .collect(),
    };
    let stock = |o: &LdOffer| {
        o.availability
            .as_deref()
            .map(Availability::from_schema)
            .filter(|a| *a != Availability::Unknown)
    };
    let preferred = offers
        .iter()
        .position(|o| urls.matches(o.url.as_deref()) || urls.names_sku(o.sku.as_deref()));
    let mut readings: Vec<(Observation, &LdOffer)> = offers
        .iter()
        .filter_map(|o| Some((offer_observation(o, hint, facts)?, *o)))
        .collect();
    if let Some(p) = preferred.filter(|p| *p < readings.len()) {
        readings.swap(0, p);
        readings.truncate(1);
    }
    let Some((first, first_offer)) = readings.first().cloned() else {
        // No usable price, but the offer may still say it is sold out or discontinued.
        set(
            &mut facts.availability,
            offers.iter().find_map(|o| stock(o)),
        );
        return None;
    };
    let high = first_offer
        .high
        .as_deref()
        .and_then(|h| read_amount(h, hint, first.currency).ok())
        .map(|(a, _)| a);
    let low = readings
        .iter()
        .map(|(o, _)| o.amount)
        .min()
        .unwrap_or(first.amount);
    let high = readings
        .iter()
        .map(|(o, _)| o.amount)
        .chain(high)
        .max()
        .unwrap_or(first.amount);
    if readings.len() > 1 {
        facts.offers = readings
            .iter()
            .map(|(o, offer)| (o.clone(), stock(offer)))
            .collect();
    }
    let chosen = if low < high {
        facts.range = Some(PriceRange { low, high });
        readings
            .iter()
            .find(|(o, _)| o.amount == low)
            .cloned()
            .unwrap_or((first, first_offer))
    } else {
        (first, first_offer)
    };
    set(&mut facts.availability, stock(chosen.1));
    Some(chosen.0)
}

pub(crate) fn from_microdata(
    page: &PageScan,
    hint: &PriceHint<'_>,
    facts: &mut Facts,
) -> Option<Observation> {
    let items = &page.micro;
    let within = |idx: usize, root: usize| {
        let mut cur = Some(idx);
        let mut steps = 0;
        while let Some(i) = cur {
            if i == root {
                return true;
            }
            steps += 1;
            if steps > 64 {
                return false;
            }
            cur = items.get(i).and_then(|it| it.parent);
        }
        false
    };
    let props_of = |root: Option<usize>| {
        items
            .iter()
            .enumerate()
            .filter(move |(i, _)| root.is_none_or(|r| within(*i, r)))
            .flat_map(|(i, it)| it.props.iter().map(move |p| (i, p)))
    };
    let has_price = |root: Option<usize>| {
        props_of(root).any(|(_, p)| p.name == "price" || p.name == "lowPrice")
    };
    let root = items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.kind == MicroKind::Product)
        .map(|(i, _)| i)
        .find(|i| has_price(Some(*i)))
        .or_else(|| items.iter().position(|it| it.kind == MicroKind::Product));
    if let Some(r) = root {
        let own = |name: &str| {
            items
                .get(r)
                .and_then(|it| it.props.iter().find(|p| p.name == name))
                .map(|p| p.value.clone())
        };
        set(&mut facts.title, own("name"));
        set(&mut facts.image, own("image"));
    }
    let scope = root.filter(|r| has_price(Some(*r)));
    let find = |name: &str| {
        props_of(scope)
            .find(|(_, p)| p.name == name && !p.decoy)
            .map(|(i, p)| (i, p.value.clone()))
    };
    set(
        &mut facts.availability,
        find("availability")
            .map(|(_, v)| Availability::from_schema(&v))
            .filter(|a| *a != Availability::Unknown),
    );
    let (item, raw) = find("price").or_else(|| find("lowPrice"))?;
    let currency = currency_of(find("priceCurrency").map(|(_, v)| v).as_deref());
    match read_amount(&raw, hint, currency) {
        Ok((amount, currency)) => Some(observation(
            Method::Microdata,
            format!("microdata item[{item}] itemprop=price"),
            &raw,
            amount,
            currency,
        )),
        Err(why) => {
            facts.rejected.push(why);
            None
        }
    }
}

pub(crate) fn from_meta(
    page: &PageScan,
    hint: &PriceHint<'_>,
    facts: &mut Facts,
) -> Option<Observation> {
    set(
        &mut facts.availability,
        ["product:availability", "og:availability"]
            .iter()
            .find_map(|k| page.meta(k))
            .map(Availability::from_schema)
            .filter(|a| *a != Availability::Unknown),
    );
    let keys = [
        "product:sale_price:amount",
        "product:price:amount",
        "og:price:amount",
        "price",
    ];
    let (key, raw) = keys
        .iter()
        .find_map(|k| page.meta(k).map(|v| (*k, v.to_owned())))
        .or_else(|| {
            let label = page.meta("twitter:label1")?;
            label.to_lowercase().contains("price").then(|| {
                page.meta("twitter:data1")
                    .map(|v| ("twitter:data1", v.to_owned()))
            })?
        })?;
    let currency_key = key.replace(":amount", ":currency");
    let currency = currency_of(
        page.meta(&currency_key)
            .or_else(|| page.meta("product:price:currency"))
            .or_else(|| page.meta("og:price:currency")),
    );
    match read_amount(&raw, hint, currency) {
        Ok((amount, currency)) => Some(observation(
            Method::Meta,
            format!("meta[property=\"{key}\"]"),
            &raw,
            amount,
            currency,
        )),
        Err(why) => {
            facts.rejected.push(why);
            None
        }
    }
}
