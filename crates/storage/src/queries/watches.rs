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

/// Inserts the watch unless the user already watches its product; `None` then.
pub async fn insert_if_absent(
    conn: &mut AsyncPgConnection,
    watch: &Watch,
) -> QueryResult<Option<Watch>> {
    diesel::insert_into(watches::table)
        .values(watch)
        .on_conflict((watches::user_id, watches::product_id))
        .do_nothing()
        .returning(Watch::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// The id of the user's watch of the product whose normalised URL is `url`.
pub async fn find_id_by_url(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    url: &str,
) -> QueryResult<Option<Uuid>> {
    watches::table
        .inner_join(products::table)
        .filter(watches::user_id.eq(user_id))
        .filter(products::url.eq(url))
        .select(watches::id)
        .first(conn)
        .await
        .optional()
}

/// The user's watches (only those carrying `tag`, when given), newest first.
pub async fn list_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    tag: Option<&str>,
    page: Page,
) -> QueryResult<(Vec<(Watch, Product)>, i64)> {
    let tag_filter = || tag.map(|t| watches::tags.contains(vec![t.to_owned()]));
    let mut count = watches::table
        .filter(watches::user_id.eq(user_id))
        .into_boxed();
    if let Some(f) = tag_filter() {
        count = count.filter(f);
    }
    let total = count.count().get_result(conn).await?;
    let mut items = watches::table
        .inner_join(products::table)
        .filter(watches::user_id.eq(user_id))
        .into_boxed();
    if let Some(f) = tag_filter() {
        items = items.filter(f);
    }
    let items = items
        .order((watches::created_at.desc(), watches::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((Watch::as_select(), Product::as_select()))
        .load(conn)
        .await?;
    Ok((items, total))
}

/// The user's watches with their products, oldest first, `limit` after the
/// `(created_at, id)` key `after` (keyset pagination, for the export).
pub async fn page_for_export(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    after: Option<(chrono::DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<(Watch, Product)>> {
    let mut q = watches::table
        .inner_join(products::table)
        .filter(watches::user_id.eq(user_id))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            watches::created_at
                .gt(at)
                .or(watches::created_at.eq(at).and(watches::id.gt(id))),
        );
    }
    q.order((watches::created_at.asc(), watches::id.asc()))
        .limit(limit)
        .select((Watch::as_select(), Product::as_select()))
        .load(conn)
        .await
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

/// The watch that an unsubscribe link names (its token, from
/// `watches.unsubscribe_token`), with its product.
pub async fn find_by_unsubscribe_token(
    conn: &mut AsyncPgConnection,
    token: &str,
) -> QueryResult<Option<(Watch, Product)>> {
    watches::table
        .inner_join(products::table)
        .filter(watches::unsubscribe_token.eq(token))
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

/// One of the user's tags and how many of their watches carry it.
#[derive(Debug, Clone, QueryableByName)]
pub struct TagCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub tag: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub watches: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub active: i64,
}

/// The user's tags, alphabetically, with their watch counts.
pub async fn tag_counts(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<Vec<TagCount>> {
    diesel::sql_query(
        "SELECT t AS tag, count(*) AS watches, count(*) FILTER (WHERE w.active) AS active
         FROM watches w, unnest(w.tags) AS t
         WHERE w.user_id = $1
         GROUP BY t ORDER BY t",
    )
    .bind::<diesel::sql_types::Uuid, _>(user_id)
    .load(conn)
    .await
}

/// Pauses (`active = false`) or resumes the user's watches that carry `tag`
/// and are not already so; returns their product ids.
pub async fn set_active_for_tag(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    tag: &str,
    active: bool,
) -> QueryResult<Vec<Uuid>> {
    diesel::update(
        watches::table
            .filter(watches::user_id.eq(user_id))
            .filter(watches::tags.contains(vec![tag.to_owned()]))
            .filter(watches::active.ne(active)),
    )
    .set((
        watches::active.eq(active),
        watches::updated_at.eq(Utc::now()),
    ))
    .returning(watches::product_id)
    .get_results(conn)
    .await
}

/// Deletes the user's watches that carry `tag`; returns their product ids.
pub async fn delete_for_tag(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    tag: &str,
) -> QueryResult<Vec<Uuid>> {
    diesel::delete(
        watches::table
            .filter(watches::user_id.eq(user_id))
            .filter(watches::tags.contains(vec![tag.to_owned()])),
    )
    .returning(watches::product_id)
    .get_results(conn)
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

/// The user's watch's alerting and its `armed` column, the row locked until
/// the transaction ends (a check waits, then sees the new rules).
pub async fn lock_alerting(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<(WatchAlerting, bool)>> {
    watches::table
        .filter(watches::id.eq(id))
        .filter(watches::user_id.eq(user_id))
        .select((WatchAlerting::as_select(), watches::armed))
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Sets how the watch's page is fetched (`auto`, `http`, `browser`); the
/// product's mode follows (a trigger). Returns whether the watch exists.
pub async fn set_fetch_mode(
    conn: &mut AsyncPgConnection,
    watch_id: Uuid,
    fetch_mode: &str,
) -> QueryResult<bool> {
    let changed = diesel::update(watches::table.find(watch_id))
        .set(watches::fetch_mode.eq(fetch_mode))
        .execute(conn)
        .await?;
    Ok(changed > 0)
}
