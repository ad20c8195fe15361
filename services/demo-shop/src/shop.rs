//! The shop's mutable state: prices set by requests, request counters, and the
//! per-key counters of the flaky trouble page.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::Settings;
use crate::catalog::{Catalog, Currency, Product, drift_cents};
use crate::gzip_bomb::GzipBomb;

/// What a product page says right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub amount: Decimal,
    pub currency: Currency,
    pub in_stock: bool,
    /// Unix seconds of the last change (what `Last-Modified` says).
    pub modified: u64,
}

impl Offer {
    /// Changes exactly when what the page shows about the offer changes.
    pub fn etag(&self) -> String {
        let stock = if self.in_stock { "in" } else { "out" };
        format!("{}-{}-{stock}", self.amount, self.currency)
    }

    pub fn modified_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.modified)
    }
}

/// A change requested by `POST /products/{slug}/price`; `None` keeps the value.
#[derive(Clone, Copy, Debug, Default)]
pub struct OfferChange {
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    pub in_stock: Option<bool>,
}

/// One product as the listing and the price API show it.
#[derive(Debug, Serialize)]
pub struct ProductSummary {
    pub slug: String,
    pub title: String,
    pub price: String,
    pub currency: Currency,
    pub in_stock: bool,
    pub markup: crate::catalog::Markup,
    pub url: String,
}

impl ProductSummary {
    pub fn new(product: &Product, offer: &Offer, base_url: &str) -> ProductSummary {
        ProductSummary {
            slug: product.slug.to_string(),
            title: product.title.to_string(),
            price: offer.amount.to_string(),
            currency: offer.currency,
            in_stock: offer.in_stock,
            markup: product.markup,
            url: format!("{base_url}/products/{}", product.slug),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Stats {
    pub total: u64,
    pub paths: BTreeMap<String, u64>,
}

/// Shared, cheaply cloneable handle on the shop.
#[derive(Clone)]
pub struct Shop {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: Catalog,
    drift_step_secs: u64,
    workers: u16,
    started: u64,
    overrides: Mutex<HashMap<String, Offer>>,
    hits: Mutex<HashMap<String, u64>>,
    total_hits: AtomicU64,
    flaky: Mutex<HashMap<String, u32>>,
    gzip_bomb: GzipBomb,
}

impl Shop {
    pub fn new(settings: &Settings) -> anyhow::Result<Shop> {
        Ok(Shop {
            inner: Arc::new(Inner {
                catalog: Catalog::new(settings.products),
                drift_step_secs: settings.drift_step_secs.max(1),
                workers: settings.workers.max(1),
                started: unix_now(),
                overrides: Mutex::default(),
                hits: Mutex::default(),
                total_hits: AtomicU64::new(0),
                flaky: Mutex::default(),
                gzip_bomb: GzipBomb::new()?,
            }),
        })
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub(crate) fn workers(&self) -> u16 {
        self.inner.workers
    }

    pub(crate) fn gzip_bomb(&self) -> &GzipBomb {
        &self.inner.gzip_bomb
    }

    /// The offer of `product` now: a price set by request wins over the catalog.
    pub fn offer(&self, product: &Product) -> Offer {
        if let Some(offer) = lock(&self.inner.overrides).get(product.slug.as_ref()) {
            return *offer;
        }
        self.scheduled_offer(product, unix_now())
    }

    fn scheduled_offer(&self, product: &Product, now: u64) -> Offer {
        let (cents, modified) = if product.drifts {
            let step = now / self.inner.drift_step_secs;
            let cents = drift_cents(product.base_cents, &product.slug, step);
            (cents, step * self.inner.drift_step_secs)
        } else {
            (product.base_cents, self.inner.started)
        };
        Offer {
            amount: Decimal::new(cents, 2),
            currency: product.currency,
            in_stock: product.in_stock,
            modified,
        }
    }

    /// Applies a change; the product stops drifting until [`Shop::restore`].
    pub fn change_offer(&self, product: &Product, change: OfferChange) -> Offer {
        let now = unix_now();
        let mut overrides = lock(&self.inner.overrides);
        let current = match overrides.get(product.slug.as_ref()) {
            Some(offer) => *offer,
            None => self.scheduled_offer(product, now),
        };
        let mut next = Offer {
            amount: change.amount.unwrap_or(current.amount),
            currency: change.currency.unwrap_or(current.currency),
            in_stock: change.in_stock.unwrap_or(current.in_stock),
            modified: current.modified,
        };
        if next.etag() != current.etag() {
            // Last-Modified has one-second resolution: keep it strictly
            // increasing so If-Modified-Since never hides a change.
            next.modified = now.max(current.modified.saturating_add(1));
        }
        overrides.insert(product.slug.to_string(), next);
        next
    }

    /// Forgets a price set by request, so the catalog price (or drift) applies again.
    pub fn restore(&self, product: &Product) {
        lock(&self.inner.overrides).remove(product.slug.as_ref());
    }

    pub(crate) fn record_hit(&self, path: &str) {
        self.inner.total_hits.fetch_add(1, Ordering::Relaxed);
        let mut hits = lock(&self.inner.hits);
        match hits.get_mut(path) {
            Some(count) => *count += 1,
            None => {
                hits.insert(path.to_owned(), 1);
            }
        }
    }

    /// Request counts per path (without query), filtered by exact path or prefix.
    pub fn stats(&self, path: Option<&str>, prefix: Option<&str>) -> Stats {
        let hits = lock(&self.inner.hits);
        let paths = match path {
            Some(path) => BTreeMap::from([(path.to_owned(), hits.get(path).copied().unwrap_or(0))]),
            None => hits
                .iter()
                .filter(|(p, _)| prefix.is_none_or(|prefix| p.starts_with(prefix)))
                .map(|(p, n)| (p.clone(), *n))
                .collect(),
        };
        Stats {
            total: self.inner.total_hits.load(Ordering::Relaxed),
            paths,
        }
    }

    pub fn reset_stats(&self) {
        lock(&self.inner.hits).clear();
        self.inner.total_hits.store(0, Ordering::Relaxed);
    }

    /// Back to the state at start: catalog prices, no counters.
    pub fn reset(&self) {
        lock(&self.inner.overrides).clear();
        lock(&self.inner.flaky).clear();
        self.reset_stats();
    }

    /// Counts a request to the flaky page for `key`; returns how many came before.
    pub(crate) fn flaky_attempt(&self, key: &str) -> u32 {
        let mut flaky = lock(&self.inner.flaky);
        let count = flaky.entry(key.to_owned()).or_insert(0);
        let before = *count;
        *count = count.saturating_add(1);
        before
    }
}

/// A panic while holding one of these locks cannot leave the maps half-written
/// in a way that matters for a demo shop, so a poisoned lock is still used.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
