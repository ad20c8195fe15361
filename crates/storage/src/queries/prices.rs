use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::Page;
use crate::models::PricePoint;
use crate::schema::price_history;

/// Newest first, within an optional time window.
pub async fn list(
    conn: &mut AsyncPgConnection,
    product_id: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    page: Page,
) -> QueryResult<(Vec<PricePoint>, i64)> {
    let filtered = || {
        let mut q = price_history::table
            .filter(price_history::product_id.eq(product_id))
            .into_boxed();
        if let Some(from) = from {
            q = q.filter(price_history::observed_at.ge(from));
        }
        if let Some(to) = to {
            q = q.filter(price_history::observed_at.le(to));
        }
        q
    };
    let total = filtered().count().get_result(conn).await?;
    let items = filtered()
        .order((price_history::observed_at.desc(), price_history::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(PricePoint::as_select())
        .load(conn)
        .await?;
    Ok((items, total))
}

/// The product's readings, oldest first, `limit` after the `(observed_at, id)`
/// key `after` (keyset pagination, for the export).
pub async fn page_after(
    conn: &mut AsyncPgConnection,
    product_id: Uuid,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> QueryResult<Vec<PricePoint>> {
    let mut q = price_history::table
        .filter(price_history::product_id.eq(product_id))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            price_history::observed_at
                .gt(at)
                .or(price_history::observed_at
                    .eq(at)
                    .and(price_history::id.gt(id))),
        );
    }
    q.order((price_history::observed_at.asc(), price_history::id.asc()))
        .limit(limit)
        .select(PricePoint::as_select())
        .load(conn)
        .await
}
