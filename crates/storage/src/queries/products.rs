use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::models::Product;
use crate::schema::products;

/// The product row for a normalised URL, created on first use.
pub async fn get_or_create(
    conn: &mut AsyncPgConnection,
    url: &str,
    host: &str,
) -> QueryResult<Product> {
    diesel::insert_into(products::table)
        .values((
            products::id.eq(Uuid::new_v4()),
            products::url.eq(url),
            products::host.eq(host),
        ))
        .on_conflict(products::url)
        .do_nothing()
        .execute(conn)
        .await?;
    products::table
        .filter(products::url.eq(url))
        .select(Product::as_select())
        .first(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Product>> {
    products::table
        .find(id)
        .select(Product::as_select())
        .first(conn)
        .await
        .optional()
}

/// Re-derives the product's check interval from its active watches (the shortest
/// wins) and brings the next check forward when the new interval is shorter.
pub async fn refresh_schedule(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    refresh_schedules(conn, &[id]).await
}

/// [`refresh_schedule`] for many products in one statement.
pub async fn refresh_schedules(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "UPDATE products p SET
             check_interval_hours = w.min_h,
             next_check_at = CASE
                 WHEN w.min_h IS NOT NULL AND p.next_check_at > now() + make_interval(hours => w.min_h)
                 THEN now() + make_interval(hours => w.min_h)
                 ELSE p.next_check_at END,
             updated_at = now()
         FROM (SELECT id, (SELECT min(frequency_hours) FROM watches
                           WHERE product_id = q.id AND active) AS min_h
               FROM unnest($1::uuid[]) AS q(id)) w
         WHERE p.id = w.id",
    )
    .bind::<sql_types::Array<sql_types::Uuid>, _>(ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// "Check now": the product becomes due at once; the scheduler publishes it on its
/// next tick, through the same path as every scheduled check.
pub async fn request_check(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(products::table.find(id))
        .set((
            products::check_requested_at.eq(diesel::dsl::now),
            products::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets the first check of products that were never checked to `now()` plus
/// the given offset (milliseconds), so that a large import does not make them
/// all due at once. Products already checked keep their schedule.
pub async fn spread_first_checks(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    offsets_ms: &[i64],
) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "UPDATE products p SET next_check_at = now() + make_interval(secs => d.ms / 1000.0),
                               updated_at = now()
         FROM unnest($1::uuid[], $2::bigint[]) AS d(id, ms)
         WHERE p.id = d.id AND p.last_checked_at IS NULL AND p.check_requested_at IS NULL",
    )
    .bind::<sql_types::Array<sql_types::Uuid>, _>(ids)
    .bind::<sql_types::Array<sql_types::BigInt>, _>(offsets_ms)
    .execute(conn)
    .await
}
