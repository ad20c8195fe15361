use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::models::Schedule;
use crate::schema::schedules;

pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Schedule>> {
    schedules::table
        .order(schedules::interval_hours.asc())
        .select(Schedule::as_select())
        .load(conn)
        .await
}
