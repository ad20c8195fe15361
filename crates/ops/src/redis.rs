//! The Redis pool: bounded waits and connect timeouts, so a dead Redis fails fast.

use std::time::Duration;

use deadpool_redis::{Config, Pool, Runtime};
use secrecy::{ExposeSecret, SecretString};

pub use deadpool_redis::redis;

pub const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

pub fn connect_pool(url: &SecretString, max_size: usize) -> anyhow::Result<Pool> {
    let pool = Config::from_url(url.expose_secret())
        .builder()?
        .max_size(max_size)
        .wait_timeout(Some(REDIS_TIMEOUT))
        .create_timeout(Some(REDIS_TIMEOUT))
        .recycle_timeout(Some(REDIS_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()?;
    Ok(pool)
}

/// Runs one Redis command with a connection from the pool, bounded by a timeout.
pub async fn run<T, F, Fut>(pool: &Pool, f: F) -> anyhow::Result<T>
where
    F: FnOnce(deadpool_redis::Connection) -> Fut,
    Fut: std::future::Future<Output = redis::RedisResult<T>>,
{
    let work = async {
        let conn = pool.get().await?;
        Ok::<T, anyhow::Error>(f(conn).await?)
    };
    tokio::time::timeout(REDIS_TIMEOUT, work)
        .await
        .map_err(|_| anyhow::anyhow!("Redis did not answer within {} s", REDIS_TIMEOUT.as_secs()))?
}

/// Readiness: Redis answers PING.
pub async fn ping(pool: &Pool) -> Result<serde_json::Value, String> {
    run(pool, |mut c| async move {
        redis::cmd("PING").query_async::<String>(&mut c).await
    })
    .await
    .map(|pong| serde_json::json!({ "ping": pong }))
    .map_err(|e| e.to_string())
}
