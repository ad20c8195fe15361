use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::models::{Preferences, User};
use crate::schema::users;

pub async fn insert(conn: &mut AsyncPgConnection, user: &User) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(user)
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_by_email(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// The user, the version their sessions must carry and their saved language
/// and zone, in one read (every page's session check).
pub async fn find_with_version(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<(User, i32, Preferences)>> {
    users::table
        .find(id)
        .select((
            User::as_select(),
            users::token_version,
            Preferences::as_select(),
        ))
        .first(conn)
        .await
        .optional()
}

/// The user with their saved language and zone.
pub async fn find_with_preferences(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<(User, Preferences)>> {
    users::table
        .find(id)
        .select((User::as_select(), Preferences::as_select()))
        .first(conn)
        .await
        .optional()
}

/// The user of an email with their saved language and zone (whom a password
/// reset link goes to, and in which language).
pub async fn find_by_email_with_preferences(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> QueryResult<Option<(User, Preferences)>> {
    users::table
        .filter(users::email.eq(email))
        .select((User::as_select(), Preferences::as_select()))
        .first(conn)
        .await
        .optional()
}

/// Saves the user's language and zone (both: `None` clears one); returns what
/// is stored, or `None` for no such user.
pub async fn set_preferences(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    preferences: &Preferences,
) -> QueryResult<Option<Preferences>> {
    diesel::update(users::table.find(id))
        .set(preferences)
        .returning(Preferences::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// The version a user's access tokens must carry, or `None` for no such user.
pub async fn token_version(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<i32>> {
    users::table
        .find(id)
        .select(users::token_version)
        .first(conn)
        .await
        .optional()
}

/// Sets a new password hash and ends every token issued before it; returns the
/// new token version, or `None` for no such user.
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    password_hash: &str,
) -> QueryResult<Option<i32>> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::token_version.eq(users::token_version + 1),
        ))
        .returning(users::token_version)
        .get_result(conn)
        .await
        .optional()
}

/// Locks the user's row for the rest of the transaction (writes on their
/// behalf queue behind each other); `false` when the account is gone.
pub async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    users::table
        .find(id)
        .select(users::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()
        .map(|found| found.is_some())
}
