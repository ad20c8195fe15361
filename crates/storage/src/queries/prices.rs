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
