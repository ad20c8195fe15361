use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::Page;
use crate::models::{Product, Watch, WatchAlerting, WatchChanges};
use crate::schema::{products, watches};

pub async fn insert(conn: &mut AsyncPgConnection, watch: &Watch) -> QueryResult<Watch> {
    diesel::insert_into(watches::table)
        .values(watch)
        .returning(Watch::as_returning())
        .get_result(conn)
        .await
}

pub async fn list_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    page: Page,
) -> QueryResult<(Vec<(Watch, Product)>, i64)> {
    let total = watches::table
        .filter(watches::user_id.eq(user_id))
        .count()
        .get_result(conn)
        .await?;
    let items = watches::table
        .inner_join(products::table)
        .filter(watches::user_id.eq(user_id))
        .order((watches::created_at.desc(), watches::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((Watch::as_select(), Product::as_select()))
        .load(conn)
        .await?;
    Ok((items, total))
}

/// The user's own watch with its product; another user's watch reads as absent.
pub async fn find_for_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<(Watch, Product)>> {
    watches::table
        .inner_join(products::table)
        .filter(watches::id.eq(id))
        .filter(watches::user_id.eq(user_id))
        .select((Watch::as_select(), Product::as_select()))
        .first(conn)
        .await
        .optional()
}

pub async fn update_for_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
    changes: &WatchChanges,
) -> QueryResult<Option<Watch>> {
    diesel::update(
        watches::table
            .filter(watches::id.eq(id))
            .filter(watches::user_id.eq(user_id)),
    )
    .set((changes, watches::updated_at.eq(Utc::now())))
    .returning(Watch::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Deletes the user's watch; returns its product id when something was deleted.
pub async fn delete_for_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<Uuid>> {
    diesel::delete(
        watches::table
            .filter(watches::id.eq(id))
            .filter(watches::user_id.eq(user_id)),
    )
    .returning(watches::product_id)
    .get_result(conn)
    .await
    .optional()
}

pub async fn user_watches_product(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    product_id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        watches::table
            .filter(watches::user_id.eq(user_id))
            .filter(watches::product_id.eq(product_id)),
    ))
    .get_result(conn)
    .await
}

/// How many watches the user has.
pub async fn count_for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<i64> {
    watches::table
        .filter(watches::user_id.eq(user_id))
        .count()
        .get_result(conn)
        .await
}

/// A watch's rules, their states, cooldown and last alert.
pub async fn alerting(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<WatchAlerting>> {
    watches::table
        .find(id)
        .select(WatchAlerting::as_select())
        .first(conn)
        .await
        .optional()
}

/// The alerting of each of these watches.
pub async fn alerting_of(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<WatchAlerting>> {
    watches::table
        .filter(watches::id.eq_any(ids))
        .select(WatchAlerting::as_select())
        .load(conn)
        .await
}

/// Sets a watch's rules (`None`: the target rule alone) with their states,
/// kept in the same order; `armed` follows the target rule's state.
pub async fn set_rules(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    rules: Option<&serde_json::Value>,
    states: &serde_json::Value,
    armed: bool,
) -> QueryResult<usize> {
    diesel::update(watches::table.find(id))
        .set((
            watches::rules.eq(rules),
            watches::rule_state.eq(states),
            watches::armed.eq(armed),
            watches::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

/// Sets a watch's cooldown, in minutes.
pub async fn set_cooldown(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    minutes: i32,
) -> QueryResult<usize> {
    diesel::update(watches::table.find(id))
        .set((
            watches::cooldown_minutes.eq(minutes),
            watches::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}
