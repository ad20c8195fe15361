//! One scheduler tick: claim due products in batches, publish their check jobs,
//! and give back any claim whose jobs could not be published.

use anyhow::anyhow;
use chrono::Utc;
use pricewatch_bus::Bus;
use pricewatch_domain::messages::{CheckPrice, Message};
use pricewatch_ops::shutdown::Shutdown;
use pricewatch_storage::DbPool;
use pricewatch_storage::pool::{DbConn, describe_pool_error};
use pricewatch_storage::queries::checks::{self, DueProduct};
use uuid::Uuid;

use crate::lease::Lease;

pub struct Scheduler {
    pub db: DbPool,
    pub bus: Bus,
    pub batch_size: i64,
    pub jitter_seconds: u64,
    /// No batch is claimed while the check queue holds this many jobs (0: no limit).
    pub max_queue_depth: u32,
}

/// The check job for a claimed product.
pub fn check_job(product: &DueProduct) -> Message {
    Message::CheckPriceV1(CheckPrice {
        job_id: Uuid::new_v4(),
        product_id: product.id,
        url: product.url.clone(),
        scheduled_for: Utc::now(),
        reason: checks::schedule_name(product.check_interval_hours).to_owned(),
        attempt: 0,
    })
}

impl Scheduler {
    async fn conn(&self) -> anyhow::Result<DbConn> {
        self.db
            .get()
            .await
            .map_err(|e| anyhow!(describe_pool_error(&e)))
    }

    /// Publishes jobs for every due product, batch after batch, while this instance
    /// holds the lease. Returns the jobs published.
    pub async fn tick(&self, lease: &mut Lease, shutdown: &Shutdown) -> anyhow::Result<u64> {
        let mut published: Vec<(i32, i64)> = Vec::new();
        let mut total: u64 = 0;
        let result = self
            .publish_due(lease, shutdown, &mut published, &mut total)
            .await;
        // Record what was published even if a later batch failed.
        let mut conn = self.conn().await?;
        checks::record_schedule_runs(&mut conn, &published).await?;
        result.map(|()| total)
    }

    /// True when the check queue already holds `max_queue_depth` jobs: the
    /// rest of the backlog waits for a later tick (it stays due, nothing is lost).
    async fn queue_is_full(&self) -> bool {
        if self.max_queue_depth == 0 {
            return false;
        }
        let queue = &self.bus.topology().check_price.name;
        match self.bus.queue_depth(queue).await {
            Ok(depth) if depth >= self.max_queue_depth => {
                tracing::info!(
                    depth,
                    max = self.max_queue_depth,
                    "the check queue is full (SCHEDULER_MAX_QUEUE_DEPTH): the rest waits for a later tick"
                );
                metrics::counter!("pricewatch_scheduler_backpressure_total").increment(1);
                true
            }
            Ok(_) => false,
            Err(error) => {
                // Publishing would fail the same way; let it say so.
                tracing::warn!(%error, "cannot read the check queue's depth");
                false
            }
        }
    }

    async fn publish_due(
        &self,
        lease: &mut Lease,
        shutdown: &Shutdown,
        published: &mut Vec<(i32, i64)>,
        total: &mut u64,
    ) -> anyhow::Result<()> {
        let mut first = true;
        loop {
            if shutdown.is_triggered() {
                return Ok(());
            }
            // A long catch-up renews the lease between batches.
            if !first && !lease.acquire_or_renew().await {
                return Ok(());
            }
            first = false;
            if self.queue_is_full().await {
                return Ok(());
            }
            let claimed = {
                let mut conn = self.conn().await?;
                checks::claim_due(&mut conn, self.batch_size, self.jitter_seconds).await?
            };
            if claimed.is_empty() {
                return Ok(());
            }
            let jobs: Vec<Message> = claimed.iter().map(check_job).collect();
            match self.bus.publish_many(&jobs).await {
                Ok(_) => {
                    for product in &claimed {
                        let hours = product.check_interval_hours.unwrap_or(24);
                        match published.iter_mut().find(|(h, _)| *h == hours) {
                            Some((_, n)) => *n = n.saturating_add(1),
                            None => published.push((hours, 1)),
                        }
                        metrics::counter!(
                            "pricewatch_scheduler_jobs_published_total",
                            "schedule" => checks::schedule_name(product.check_interval_hours)
                        )
                        .increment(1);
                    }
                    let count = u64::try_from(claimed.len()).unwrap_or(u64::MAX);
                    *total = total.saturating_add(count);
                    tracing::debug!(jobs = count, "published check jobs");
                }
                Err(error) => {
                    // Nothing is lost: the products are due again at once.
                    let ids: Vec<Uuid> = claimed.iter().map(|p| p.id).collect();
                    let mut conn = self.conn().await?;
                    checks::release_claims(&mut conn, &ids).await?;
                    metrics::counter!("pricewatch_scheduler_publish_failures_total").increment(1);
                    return Err(anyhow!(
                        "could not publish {} check jobs (released for the next tick): {error}",
                        ids.len()
                    ));
                }
            }
            if i64::try_from(claimed.len()).unwrap_or(i64::MAX) < self.batch_size {
                return Ok(());
            }
        }
    }
}
