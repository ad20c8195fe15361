//! The outbox relay: notifications committed with their price but never published
//! (a worker killed between commit and publish) are published here.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use chrono::Utc;
use pricewatch_ops::shutdown::Shutdown;
use pricewatch_storage::pool::describe_pool_error;
use pricewatch_storage::queries::checks;

use crate::check::Checker;

/// How often the relay looks.
pub const RELAY_INTERVAL: Duration = Duration::from_secs(10);
/// Rows younger than this are left to the worker that wrote them.
pub const RELAY_GRACE: Duration = Duration::from_secs(30);
const RELAY_BATCH: i64 = 500;

/// Runs until shutdown.
pub async fn run(checker: Arc<Checker>, mut shutdown: Shutdown) {
    let mut wake = tokio::time::interval(RELAY_INTERVAL);
    wake.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.wait() => return,
            _ = wake.tick() => {}
        }
        match relay_once(&checker).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(notifications = n, "outbox relay published stranded alerts"),
            Err(error) => tracing::warn!("outbox relay failed: {error:#}"),
        }
    }
}

/// Publishes one batch of stranded notifications. Returns how many.
pub async fn relay_once(checker: &Checker) -> anyhow::Result<usize> {
    let older_than = Utc::now()
        - chrono::Duration::from_std(RELAY_GRACE).unwrap_or_else(|_| chrono::Duration::zero());
    let ids = {
        let mut conn = checker
            .db
            .get()
            .await
            .map_err(|e| anyhow!(describe_pool_error(&e)))?;
        checks::unpublished_notifications(&mut conn, older_than, RELAY_BATCH).await?
    };
    if ids.is_empty() {
        return Ok(0);
    }
    checker.publish_notifications(&ids).await;
    metrics::counter!("pricewatch_outbox_relayed_total")
        .increment(u64::try_from(ids.len()).unwrap_or(u64::MAX));
    Ok(ids.len())
}
