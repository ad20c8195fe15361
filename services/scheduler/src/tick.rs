//! One scheduler tick: claim due products in batches, publish their check jobs,
//! and give back any claim whose jobs could not be published.

use anyhow::anyhow;
use chrono::Utc;
use pricewatch_bus::Bus;
use pricewatch_domain::Frequency;
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

/// The answer to "claim another batch?".
enum Claim {
    Batch(Vec<DueProduct>),
    /// Not while the batch in flight is unconfirmed: ask again after it.
    Later,
    /// The tick is over.
    Done,
}

/// Room in the check queue for another batch.
enum Room {
    Yes,
    Full,
    NotYet,
}

/// The schedule a claimed product is checked under. The claim takes only
/// products with an interval, and the database allows only 6, 12 and 24
/// hours; anything else is logged and published as `unscheduled`.
fn schedule(product: &DueProduct) -> Option<Frequency> {
    match product.frequency() {
        Ok(frequency) => frequency,
        Err(error) => {
            tracing::warn!(product_id = %product.id, %error, "claimed product has no valid schedule");
            None
        }
    }
}

fn schedule_name(frequency: Option<Frequency>) -> &'static str {
    frequency.map_or("unscheduled", Frequency::schedule_name)
}

/// The check job for a claimed product.
pub fn check_job(product: &DueProduct) -> Message {
    Message::CheckPriceV1(CheckPrice {
        job_id: Uuid::new_v4(),
        product_id: product.id,
        url: product.url.clone(),
        scheduled_for: Utc::now(),
        reason: schedule_name(schedule(product)).to_owned(),
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
        let mut published: Vec<(Frequency, i64)> = Vec::new();
        let mut total: u64 = 0;
        let result = self
            .publish_due(lease, shutdown, &mut published, &mut total)
            .await;
        // Record what was published even if a later batch failed.
        let mut conn = self.conn().await?;
        checks::record_schedule_runs(&mut conn, &published).await?;
        result.map(|()| total)
    }

    /// Whether the check queue has room for another batch. It is full when it
    /// already holds `max_queue_depth` jobs: the rest of the backlog waits for
    /// a later tick (it stays due, nothing is lost). `in_flight` jobs are being
    /// published right now and may or may not show in the depth yet: if they
    /// could make the difference, the answer is `NotYet` (ask again once they
    /// are confirmed), so the limit holds exactly as if batches went one by one.
    async fn queue_room(&self, in_flight: usize) -> Room {
        if self.max_queue_depth == 0 {
            return Room::Yes;
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
                Room::Full
            }
            Ok(depth)
                if u64::from(depth)
                    .saturating_add(u64::try_from(in_flight).unwrap_or(u64::MAX))
                    >= u64::from(self.max_queue_depth) =>
            {
                Room::NotYet
            }
            Ok(_) => Room::Yes,
            Err(error) => {
                // Publishing would fail the same way; let it say so.
                tracing::warn!(%error, "cannot read the check queue's depth");
                Room::Yes
            }
        }
    }

    /// Claims the next batch while `in_flight` jobs are still being published,
    /// unless the tick should stop here: shutdown, the lease lost, or the check
    /// queue full.
    async fn claim_next(
        &self,
        lease: &mut Lease,
        shutdown: &Shutdown,
        renew: bool,
        in_flight: usize,
    ) -> anyhow::Result<Claim> {
        if shutdown.is_triggered() {
            return Ok(Claim::Done);
        }
        // A long catch-up renews the lease between batches.
        if renew && !lease.acquire_or_renew().await {
            return Ok(Claim::Done);
        }
        match self.queue_room(in_flight).await {
            Room::Yes => {}
            Room::Full => return Ok(Claim::Done),
            Room::NotYet => return Ok(Claim::Later),
        }
        let mut conn = self.conn().await?;
        let claimed = checks::claim_due(&mut conn, self.batch_size, self.jitter_seconds).await?;
        Ok(if claimed.is_empty() {
            Claim::Done
        } else {
            Claim::Batch(claimed)
        })
    }

    /// Makes claimed products due again at once (their jobs were not published).
    async fn release(&self, claimed: &[DueProduct]) -> anyhow::Result<usize> {
        let ids: Vec<Uuid> = claimed.iter().map(|p| p.id).collect();
        let mut conn = self.conn().await?;
        Ok(checks::release_claims(&mut conn, &ids).await?)
    }

    /// Batch after batch: while one batch's confirms come back from the broker,
    /// the next batch is claimed, so the database and the broker work at the
    /// same time.
    async fn publish_due(
        &self,
        lease: &mut Lease,
        shutdown: &Shutdown,
        published: &mut Vec<(Frequency, i64)>,
        total: &mut u64,
    ) -> anyhow::Result<()> {
        let mut next = self.claim_next(lease, shutdown, false, 0).await?;
        while let Claim::Batch(claimed) = std::mem::replace(&mut next, Claim::Done) {
            let full = i64::try_from(claimed.len()).unwrap_or(i64::MAX) >= self.batch_size;
            let jobs: Vec<Message> = claimed.iter().map(check_job).collect();
            let (sent, claimed_next) = tokio::join!(self.bus.publish_many(&jobs), async {
                if full {
                    self.claim_next(lease, shutdown, true, claimed.len()).await
                } else {
                    Ok(Claim::Done)
                }
            });
            if let Err(error) = sent {
                // Nothing is lost: the products are due again at once, and so
                // is the batch claimed meanwhile.
                let mut released = self.release(&claimed).await?;
                if let Ok(Claim::Batch(claimed_next)) = &claimed_next {
                    released += self.release(claimed_next).await?;
                }
                metrics::counter!("pricewatch_scheduler_publish_failures_total").increment(1);
                return Err(anyhow!(
                    "could not publish {} check jobs (released {released} for the next tick): {error}",
                    claimed.len()
                ));
            }
            for product in &claimed {
                let frequency = schedule(product);
                if let Some(frequency) = frequency {
                    match published.iter_mut().find(|(f, _)| *f == frequency) {
                        Some((_, n)) => *n = n.saturating_add(1),
                        None => published.push((frequency, 1)),
                    }
                }
                metrics::counter!(
                    "pricewatch_scheduler_jobs_published_total",
                    "schedule" => schedule_name(frequency)
                )
                .increment(1);
            }
            let count = u64::try_from(claimed.len()).unwrap_or(u64::MAX);
            *total = total.saturating_add(count);
            tracing::debug!(jobs = count, "published check jobs");
            next = match claimed_next? {
                // Asked again now that this batch is confirmed (the lease was
                // renewed a moment ago).
                Claim::Later => self.claim_next(lease, shutdown, false, 0).await?,
                claim => claim,
            };
        }
        Ok(())
    }
}
