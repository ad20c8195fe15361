//! The outbox relay: notifications committed with their price but never published
//! (a worker killed between commit and publish) are published here, and so are
//! unfinished notifications whose message was lost after it was published
//! (dead-lettered at the queue's delivery limit, purged by hand): nothing the
//! worker wrote waits for ever. Publishing one twice is harmless: the
//! notifier's claim sends each notification once.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use chrono::Utc;
use pricewatch_ops::shutdown::Shutdown;
use pricewatch_storage::pool::describe_pool_error;
use pricewatch_storage::queries::{checks, notifications};
use uuid::Uuid;

use crate::check::{self, Checker};

/// How often the relay looks.
pub const RELAY_INTERVAL: Duration = Duration::from_secs(10);
/// Rows younger than this are left to the worker that wrote them.
pub const RELAY_GRACE: Duration = Duration::from_secs(30);
const RELAY_BATCH: i64 = 500;
/// An unfinished notification with no message published for this long has
/// lost it: longer than any wait the notifier schedules (retries up to 5 min,
/// a user's hourly email cap up to 1 h), each of which records its publish.
pub const STRANDED_AFTER: Duration = Duration::from_secs(2 * 3600);
/// A stranded notification claimed this many times without an outcome (its
/// message keeps killing the notifier) is marked failed, not published again.
pub const STRANDED_MAX_ATTEMPTS: i32 = 20;

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
        match sweep_once(&checker).await {
            Ok(Swept {
                republished: 0,
                failed: 0,
            }) => {}
            Ok(swept) => tracing::warn!(
                republished = swept.republished,
                failed = swept.failed,
                "outbox relay found alerts whose message was lost"
            ),
            Err(error) => tracing::warn!("outbox sweep failed: {error:#}"),
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

/// What one sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub republished: usize,
    pub failed: usize,
}

/// Publishes again the unfinished notifications whose last message went out
/// more than `STRANDED_AFTER` ago, and marks failed those already claimed
/// `STRANDED_MAX_ATTEMPTS` times.
pub async fn sweep_once(checker: &Checker) -> anyhow::Result<Swept> {
    let cutoff = Utc::now()
        - chrono::Duration::from_std(STRANDED_AFTER).unwrap_or_else(|_| chrono::Duration::zero());
    let mut conn = checker
        .db
        .get()
        .await
        .map_err(|e| anyhow!(describe_pool_error(&e)))?;
    let rows = notifications::stranded(&mut conn, cutoff, RELAY_BATCH).await?;
    let (exhausted, again): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(_, attempts)| *attempts >= STRANDED_MAX_ATTEMPTS);
    let mut failed = 0;
    for (id, attempts) in &exhausted {
        let reason = format!(
            "given up after {attempts} attempts without a result: its message was lost or dead-lettered each time"
        );
        if notifications::mark_failed(&mut conn, *id, &reason).await? {
            failed += 1;
        }
    }
    let ids: Vec<Uuid> = again.into_iter().map(|(id, _)| id).collect();
    if !ids.is_empty() {
        checker
            .bus
            .publish_many(check::notification_jobs(&ids))
            .await?;
        notifications::mark_republished(&mut conn, &ids).await?;
    }
    metrics::counter!("pricewatch_outbox_stranded_total", "action" => "republished")
        .increment(u64::try_from(ids.len()).unwrap_or(u64::MAX));
    metrics::counter!("pricewatch_outbox_stranded_total", "action" => "failed")
        .increment(u64::try_from(failed).unwrap_or(u64::MAX));
    Ok(Swept {
        republished: ids.len(),
        failed,
    })
}
