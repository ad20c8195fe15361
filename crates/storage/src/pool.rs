//! The connection pool: bounded waits, a connect timeout, a statement timeout on
//! every new connection, and a checkout that drops closed connections so a
//! restarted PostgreSQL is picked up again without restarting the service.

use std::time::Duration;

use deadpool_redis::Runtime;
use diesel::sql_query;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::FutureExt;

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: usize,
    pub connect_timeout: Duration,
    pub wait_timeout: Duration,
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_size: 10,
            connect_timeout: Duration::from_secs(5),
            wait_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15),
        }
    }
}

/// Builds the pool; connections are made lazily, so this succeeds while the
/// database is still down (readiness probes report it).
pub fn connect_pool(database_url: &str, settings: &PoolSettings) -> anyhow::Result<DbPool> {
    let connect_timeout = settings.connect_timeout;
    let statement_ms = settings.statement_timeout.as_millis();
    let mut config = ManagerConfig::default();
    // A checkout costs no round trip: a connection whose socket is closed (the
    // server restarted or dropped it) or that is stuck in a transaction is
    // replaced (`is_broken`); any other failure shows on the query that meets it.
    // A `SELECT 1` per checkout was a third of the round trips of a check.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        async move {
            let mut conn =
                tokio::time::timeout(connect_timeout, AsyncPgConnection::establish(&url))
                    .await
                    .map_err(|_| {
                        diesel::ConnectionError::BadConnection(format!(
                            "no answer from PostgreSQL within {} s",
                            connect_timeout.as_secs()
                        ))
                    })??;
            sql_query(format!("SET statement_timeout = {statement_ms}"))
                .execute(&mut conn)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    let pool = Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.connect_timeout + Duration::from_secs(1)))
        .recycle_timeout(Some(settings.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()?;
    Ok(pool)
}

/// A readable message for a pool error, without the connection string.
pub fn describe_pool_error(err: &PoolError) -> String {
    match err {
        PoolError::Timeout(_) => "timed out waiting for a database connection".to_owned(),
        PoolError::Backend(e) => format!("database error: {e}"),
        other => format!("database pool: {other}"),
    }
}

/// One connection outside any pool (CLI commands), with a connect timeout.
pub async fn connect_once(database_url: &str) -> anyhow::Result<AsyncPgConnection> {
    tokio::time::timeout(
        Duration::from_secs(10),
        AsyncPgConnection::establish(database_url),
    )
    .await
    .map_err(|_| anyhow::anyhow!("no answer from PostgreSQL within 10 s"))?
    .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))
}

/// Readiness: a pooled connection answers `SELECT 1`.
pub async fn ping(pool: &DbPool) -> Result<serde_json::Value, String> {
    let mut conn = pool.get().await.map_err(|e| describe_pool_error(&e))?;
    sql_query("SELECT 1")
        .execute(&mut conn)
        .await
        .map_err(|e| format!("query failed: {e}"))?;
    drop(conn);
    let status = pool.status();
    Ok(
        serde_json::json!({"pool_size": status.size, "pool_available": status.available, "pool_max": status.max_size}),
    )
}

/// Publishes the pool's use as `pricewatch_db_pool_connections{state}`.
pub fn record_pool_metrics(pool: &DbPool) {
    let status = pool.status();
    let in_use = status.size.saturating_sub(status.available);
    metrics::gauge!("pricewatch_db_pool_connections", "state" => "in_use").set(in_use as f64);
    metrics::gauge!("pricewatch_db_pool_connections", "state" => "idle")
        .set(status.available as f64);
    metrics::gauge!("pricewatch_db_pool_connections", "state" => "max").set(status.max_size as f64);
}
