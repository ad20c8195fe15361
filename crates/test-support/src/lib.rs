//! Databases for tests: each test gets its own database, cloned from a migrated
//! template (fast, and tests run in parallel). A dev-dependency only.

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

pub const TEMPLATE: &str = "pw_test_template";
const LOCK_KEY: i64 = 4242;

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
    let result = async {
        let found: Vec<Found> = diesel::sql_query(format!(
            "SELECT 1 AS one FROM pg_database WHERE datname = '{TEMPLATE}'"
        ))
        .load(&mut admin)
        .await?;
        if found.is_empty() {
            diesel::sql_query(format!("CREATE DATABASE {TEMPLATE}"))
                .execute(&mut admin)
                .await?;
        }
        // Idempotent: a changed migration set updates the template.
        pricewatch_storage::migrate::run_pending(&database_url(TEMPLATE)).await?;
        let name = format!("pw_test_{}", Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
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
