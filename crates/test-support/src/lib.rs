//! Databases for tests: each test gets its own database, cloned from a migrated
//! template (fast, and tests run in parallel). A dev-dependency only.
//! [`fake_http`]: a loopback HTTP receiver that records what it is sent.

pub mod fake_http;

use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// The admin connection the tests use (`TEST_DATABASE_URL`, else the local server).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The URL of database `name` on the admin server.
pub fn database_url(name: &str) -> String {
    let base = admin_url();
    match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => base,
    }
}

const LOCK_KEY: i64 = 4242;

/// The migrated template databases are cloned from: one per set of
/// migrations (`pw_test_template_<hash of their names>`), so that checkouts
/// with other migrations on the same server never share one.
pub fn template() -> String {
    use diesel::migration::MigrationSource;
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    match MigrationSource::<diesel::pg::Pg>::migrations(&pricewatch_storage::migrate::MIGRATIONS) {
        Ok(migrations) => {
            for migration in migrations {
                migration.name().to_string().hash(&mut hasher);
            }
        }
        Err(e) => e.to_string().hash(&mut hasher),
    }
    format!("pw_test_template_{:016x}", hasher.finish())
}

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    #[allow(dead_code)]
    one: i32,
}

/// A fresh, migrated database; returns its URL.
pub async fn create() -> anyhow::Result<String> {
    let mut admin = pricewatch_storage::pool::connect_once(&admin_url()).await?;
    // One creator at a time across every test process.
    diesel::sql_query(format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .execute(&mut admin)
        .await?;
    let template = template();
    let result = async {
        let found: Vec<Found> = diesel::sql_query(format!(
            "SELECT 1 AS one FROM pg_database WHERE datname = '{template}'"
        ))
        .load(&mut admin)
        .await?;
        if found.is_empty() {
            diesel::sql_query(format!("CREATE DATABASE {template}"))
                .execute(&mut admin)
                .await?;
        }
        // Idempotent: a changed migration set updates the template.
        pricewatch_storage::migrate::run_pending(&database_url(&template)).await?;
        let name = format!("pw_test_{}", Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .await?;
        Ok::<_, anyhow::Error>(database_url(&name))
    }
    .await;
    diesel::sql_query(format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .execute(&mut admin)
        .await?;
    result
}

/// Drops a database made by [`create`] (its connections are closed first).
pub async fn drop(url: &str) -> anyhow::Result<()> {
    let Some(name) = url.rsplit('/').next().filter(|n| n.starts_with("pw_test_")) else {
        anyhow::bail!("refusing to drop a database that is not a test database: {url}");
    };
    let mut admin = pricewatch_storage::pool::connect_once(&admin_url()).await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    Ok(())
}

/// A user with a fresh random address and no usable password, for tests that
/// need an account row and nothing more.
pub async fn insert_user(
    conn: &mut diesel_async::AsyncPgConnection,
) -> anyhow::Result<pricewatch_storage::models::User> {
    let user = pricewatch_storage::models::User {
        id: Uuid::new_v4(),
        email: format!("{}@example.com", Uuid::new_v4().simple()),
        password_hash: "x".into(),
        created_at: chrono::Utc::now(),
    };
    Ok(pricewatch_storage::queries::users::insert(conn, &user).await?)
}
