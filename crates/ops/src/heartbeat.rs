//! Service heartbeats in Redis: each instance refreshes a short-lived key, so the
//! api can count the live instances of every service.

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_redis::Pool;
use deadpool_redis::redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::shutdown::Shutdown;

pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
pub const HEARTBEAT_TTL_SECONDS: u64 = 15;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Heartbeat {
    pub service: String,
    pub instance_id: String,
    pub version: String,
    pub hostname: String,
    pub started_at: DateTime<Utc>,
}

impl Heartbeat {
    pub fn new(service: &str) -> Self {
        let hostname = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        Heartbeat {
            service: service.to_owned(),
            instance_id: format!("{hostname}-{}", &Uuid::new_v4().simple().to_string()[..8]),
            version: crate::VERSION.to_owned(),
            hostname,
            started_at: Utc::now(),
        }
    }
}

fn key(prefix: &str, service: &str, instance: &str) -> String {
    format!("{prefix}:heartbeat:{service}:{instance}")
}

/// Refreshes the heartbeat until shutdown, then removes it. Redis outages are
/// logged and retried on the next beat.
pub async fn run(pool: Pool, prefix: String, beat: Heartbeat, mut shutdown: Shutdown) {
    let key = key(&prefix, &beat.service, &beat.instance_id);
    let body = serde_json::to_string(&beat).unwrap_or_default();
    let mut ticker = tokio::time::interval(HEARTBEAT_EVERY);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.wait() => break,
        }
        let (k, b) = (key.clone(), body.clone());
        let result = crate::redis::run(&pool, |mut c| async move {
            c.set_ex::<_, _, ()>(k, b, HEARTBEAT_TTL_SECONDS).await
        })
        .await;
        match result {
            Ok(()) if failing => {
                tracing::info!("heartbeat restored");
                failing = false;
            }
            Ok(()) => {}
            Err(e) if !failing => {
                tracing::warn!(error = %e, "heartbeat not written");
                failing = true;
            }
            Err(_) => {}
        }
    }
    let _ = crate::redis::run(&pool, |mut c| async move { c.del::<_, ()>(key).await }).await;
}

/// The live instances of a service (those whose heartbeat has not expired).
pub async fn live_instances(
    pool: &Pool,
    prefix: &str,
    service: &str,
) -> anyhow::Result<Vec<Heartbeat>> {
    let pattern = format!("{prefix}:heartbeat:{service}:*");
    crate::redis::run(pool, |mut c| async move {
        let mut keys: Vec<String> = Vec::new();
        {
            let mut iter = c.scan_match::<_, String>(&pattern).await?;
            while let Some(k) = futures_util::StreamExt::next(&mut iter).await {
                keys.push(k?);
                if keys.len() >= 1000 {
                    break;
                }
            }
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<Option<String>> = c.mget(&keys).await?;
        Ok(values
            .into_iter()
            .flatten()
            .filter_map(|v| serde_json::from_str(&v).ok())
            .collect())
    })
    .await
}
