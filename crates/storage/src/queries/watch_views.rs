//! Reads that the web pages need beyond the REST ones: a filtered and sorted
//! watch list, each product's lowest price, recent readings of many products
//! at once, a product's watch, and alerts with their products' titles.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::try_join;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Page;
use crate::models::{Notification, PricePoint, Product, Watch};
use crate::schema::{notifications, price_history, products, watches};

/// Which watches a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    #[default]
    Any,
    Active,
    Paused,
    /// The product's last check failed.
    Failing,
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Title,
    Price,
    /// Nearest to (or furthest below) the target first: price / target ascending.
    Target,
}

#[derive(Debug, Clone, Default)]
pub struct WatchFilter {
    pub state: StateFilter,
    /// Only this shop (the product's host).
    pub host: Option<String>,
    /// Only watches whose last price is at or below their target.
    pub at_or_below_target: bool,
    pub sort: Sort,
}

/// One page of the watch list with everything it shows.
#[derive(Debug, Default)]
pub struct WatchListPage {
    /// The page's watches with their products, filtered and sorted.
    pub items: Vec<(Watch, Product)>,
    /// How many watches the filter lets through, on every page.
    pub total: i64,
    /// The shops of all the user's watches, for the list's filter.
    pub hosts: Vec<String>,
    /// Each product of the page's lowest recorded price and when it was
    /// first seen.
    pub lowest: Vec<(Uuid, Decimal, DateTime<Utc>)>,
    /// The page's products' readings since `since`, oldest first (for
    /// sparklines), at most `readings_limit` in all.
    pub readings: Vec<PricePoint>,
}

/// A page of the user's watches with the shops, lowest prices and recent
/// readings it shows, in two pipelined rounds: the page, its total and
/// the shops go to the server together, then the page's prices. Every page
/// view runs this, so its round trips are its time.
pub async fn list_page(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    filter: &WatchFilter,
    page: Page,
    since: DateTime<Utc>,
    readings_limit: i64,
) -> QueryResult<WatchListPage> {
    // A shared borrow lets several queries be in flight on the connection.
    let conn: &AsyncPgConnection = conn;
    let hosts = watches::table
        .inner_join(products::table)
        .filter(watches::user_id.eq(user_id))
        .select(products::host)
        .distinct()
        .order(products::host.asc());
    let ((items, total), hosts) = try_join(
        list_on(conn, user_id, filter, page),
        hosts.load::<String>(&mut &*conn),
    )
    .await?;
    let ids: Vec<Uuid> = items.iter().map(|(_, p)| p.id).collect();
    let lowest = price_history::table
        .filter(price_history::product_id.eq_any(&ids))
        .distinct_on(price_history::product_id)
        .order((
            price_history::product_id,
            price_history::amount.asc(),
            price_history::observed_at.asc(),
        ))
        .select((
            price_history::product_id,
            price_history::amount,
            price_history::observed_at,
        ));
    let readings = price_history::table
        .filter(price_history::product_id.eq_any(&ids))
        .filter(price_history::observed_at.ge(since))
        .order((price_history::observed_at.asc(), price_history::id.asc()))
        .limit(readings_limit)
        .select(PricePoint::as_select());
    let (lowest, readings) = try_join(
        lowest.load::<(Uuid, Decimal, DateTime<Utc>)>(&mut &*conn),
        readings.load::<PricePoint>(&mut &*conn),
    )
    .await?;
    Ok(WatchListPage {
        items,
        total,
        hosts,
        lowest,
        readings,
    })
}

/// The user's watches with their products, filtered and sorted, and the
/// total, both queries in flight at once.
async fn list_on(
    conn: &AsyncPgConnection,
    user_id: Uuid,
    filter: &WatchFilter,
    page: Page,
) -> QueryResult<(Vec<(Watch, Product)>, i64)> {
    let filtered = || {
        let mut q = watches::table
            .inner_join(products::table)
            .filter(watches::user_id.eq(user_id))
            .into_boxed();
        match filter.state {
            StateFilter::Any => {}
            StateFilter::Active => q = q.filter(watches::active.eq(true)),
            StateFilter::Paused => q = q.filter(watches::active.eq(false)),
            StateFilter::Failing => {
                q = q.filter(products::check_status.eq_any([
                    "no_price",
                    "blocked",
                    "http_error",
                    "refused",
                    "fetch_error",
                ]));
            }
        }
        if let Some(host) = &filter.host {
            q = q.filter(products::host.eq(host.clone()));
        }
        if filter.at_or_below_target {
            q = q.filter(products::last_price.le(watches::target_price.nullable()));
        }
        q
    };
    let q = filtered();
    let q = match filter.sort {
        Sort::Newest => q.order((watches::created_at.desc(), watches::id.desc())),
        Sort::Title => q.order((
            products::title.asc().nulls_last(),
            products::url.asc(),
            watches::id.asc(),
        )),
        Sort::Price => q.order((products::last_price.asc().nulls_last(), watches::id.asc())),
        Sort::Target => q.order((
            (products::last_price / watches::target_price.nullable())
                .asc()
                .nulls_last(),
            watches::id.asc(),
        )),
    };
    let (items, total) = try_join(
        q.limit(page.per_page)
            .offset(page.offset())
            .select((Watch::as_select(), Product::as_select()))
            .load::<(Watch, Product)>(&mut &*conn),
        filtered().count().get_result::<i64>(&mut &*conn),
    )
    .await?;
    Ok((items, total))
}

/// One product's newest `limit` readings since `since` (all when `None`),
/// returned oldest first, and the reading just before the window (where the
/// chart's line starts).
pub async fn history(
    conn: &mut AsyncPgConnection,
    product_id: Uuid,
    since: Option<DateTime<Utc>>,
    limit: i64,
) -> QueryResult<(Vec<PricePoint>, Option<PricePoint>)> {
    let mut q = price_history::table
        .filter(price_history::product_id.eq(product_id))
        .into_boxed();
    if let Some(since) = since {
        q = q.filter(price_history::observed_at.ge(since));
    }
    let mut items: Vec<PricePoint> = q
        .order((price_history::observed_at.desc(), price_history::id.desc()))
        .limit(limit)
        .select(PricePoint::as_select())
        .load(conn)
        .await?;
    items.reverse();
    let before = match since {
        Some(since) => price_history::table
            .filter(price_history::product_id.eq(product_id))
            .filter(price_history::observed_at.lt(since))
            .order((price_history::observed_at.desc(), price_history::id.desc()))
            .select(PricePoint::as_select())
            .first(conn)
            .await
            .optional()?,
        None => None,
    };
    Ok((items, before))
}

/// The user's watch of a product, with the product.
pub async fn watch_of_product(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    product_id: Uuid,
) -> QueryResult<Option<(Watch, Product)>> {
    watches::table
        .inner_join(products::table)
        .filter(watches::user_id.eq(user_id))
        .filter(watches::product_id.eq(product_id))
        .select((Watch::as_select(), Product::as_select()))
        .first(conn)
        .await
        .optional()
}

/// The user's alerts, newest first, each with its product's title and URL.
pub async fn alerts(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    page: Page,
) -> QueryResult<(Vec<(Notification, Option<String>, String)>, i64)> {
    let total = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .count()
        .get_result(conn)
        .await?;
    let items = notifications::table
        .inner_join(products::table)
        .filter(notifications::user_id.eq(user_id))
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((Notification::as_select(), products::title, products::url))
        .load(conn)
        .await?;
    Ok((items, total))
}
