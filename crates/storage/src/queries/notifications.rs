use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::Page;
use crate::models::Notification;
use crate::schema::notifications;

pub async fn list_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    page: Page,
) -> QueryResult<(Vec<Notification>, i64)> {
    let total = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .count()
        .get_result(conn)
        .await?;
    let items = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(Notification::as_select())
        .load(conn)
        .await?;
    Ok((items, total))
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Notification>> {
    notifications::table
        .find(id)
        .select(Notification::as_select())
        .first(conn)
        .await
        .optional()
}
