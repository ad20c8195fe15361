//! Per-domain politeness shared by every worker instance through Redis: a minimum
//! interval between request starts and at most N requests in flight per domain.
//!
//! In-flight requests are leases in a sorted set scored by their expiry, so a worker
//! killed mid-fetch frees its slot when the lease runs out; the interval is a key holding
//! the next allowed start, expiring by itself. Both are decided atomically in one script,
//! on Redis's clock, so workers with skewed clocks still agree.

use std::sync::LazyLock;
use std::time::Duration;

use deadpool_redis::Pool;
use deadpool_redis::redis::{self, RedisError};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct PolitenessSettings {
    /// Namespaces the keys (`{prefix}:polite:{domain}:…`); tests use their own.
    pub key_prefix: String,
    /// Between the starts of two requests to one domain.
    pub min_interval: Duration,
    /// Requests in flight per domain, across all workers.
    pub max_concurrent: u32,
    /// How long a slot stays taken if its holder never releases it. Longer than a fetch's
    /// total timeout, so that a live fetch never loses its slot.
    pub lease_ttl: Duration,
    /// How often a waiter asks again while the domain is at its concurrency limit.
    pub poll_interval: Duration,
    /// Bound on each Redis round trip.
    pub redis_timeout: Duration,
}

impl Default for PolitenessSettings {
    fn default() -> Self {
        PolitenessSettings {
            key_prefix: "pricewatch".into(),
            min_interval: Duration::from_secs(1),
            max_concurrent: 2,
            lease_ttl: Duration::from_secs(60),
            poll_interval: Duration::from_millis(100),
            redis_timeout: Duration::from_secs(2),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolitenessError {
    #[error("no turn on {domain} within {} ms", waited.as_millis())]
    Timeout { domain: String, waited: Duration },
    #[error("politeness store unavailable: {0}")]
    Redis(String),
}

/// KEYS: leases, next-start. ARGV: lease id, max concurrent, interval ms, lease ttl ms.
/// Returns {1, 0, 0} when granted; {0, ms, 1} to wait exactly that long for the interval;
/// {0, ms, 0} when all slots are taken (ms: until the oldest lease expires, an upper bound).
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2]) - now, 0}
end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < next_start then
  return {0, next_start - now, 1}
end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
local interval = tonumber(ARGV[3])
if interval > 0 then
  redis.call('SET', KEYS[2], now + interval, 'PX', interval)
end
return {1, 0, 0}
";

/// Run by its SHA (`EVALSHA`), loaded again if Redis lost it.
static ACQUIRE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(ACQUIRE));

/// Hands out turns on domains. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Politeness {
    pool: Pool,
    settings: PolitenessSettings,
    stop: pricewatch_bus::CancellationToken,
}

impl Politeness {
    pub fn new(pool: Pool, settings: PolitenessSettings) -> Self {
        Politeness {
            pool,
            settings,
            stop: pricewatch_bus::CancellationToken::new(),
        }
    }

    /// Once `stop` is cancelled (the service is stopping), a job still waiting
    /// for its turn gives up at once with `Timeout`: the check is postponed,
    /// not failed, and the stop does not wait for turns that may be far away.
    #[must_use]
    pub fn stop_waiting_on(mut self, stop: pricewatch_bus::CancellationToken) -> Self {
        self.stop = stop;
        self
    }

    /// Waits for a turn on `domain` (a host name, as in the URL), at most `max_wait`.
    /// Hold the permit for the whole fetch, then `release` it.
    pub async fn acquire(
        &self,
        domain: &str,
        max_wait: Duration,
    ) -> Result<DomainPermit, PolitenessError> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let prefix = format!("{}:polite:{domain}", self.settings.key_prefix);
        let leases = format!("{prefix}:leases");
        let next_start = format!("{prefix}:next");
        let lease_id = format!("{:016x}", rand::random::<u64>());
        let started = Instant::now();
        let deadline = started + max_wait;
        loop {
            let mut invocation = ACQUIRE_SCRIPT.key(&leases);
            invocation
                .key(&next_start)
                .arg(&lease_id)
                .arg(self.settings.max_concurrent.max(1))
                .arg(millis(self.settings.min_interval))
                .arg(millis(self.settings.lease_ttl));
            let (granted, wait_ms, exact): (i64, i64, i64) = self
                .run(async |conn| invocation.invoke_async(conn).await)
                .await?;
            if granted == 1 {
                return Ok(DomainPermit {
                    politeness: Some(self.clone()),
                    leases,
                    lease_id,
                });
            }
            // A wait for the interval is exact; one for a slot is an upper bound: poll.
            let hint = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0));
            let jitter = Duration::from_millis(rand::random_range(0..=10));
            let pause = if exact == 1 {
                hint
            } else {
                hint.min(self.settings.poll_interval)
            };
            let pause = pause.max(Duration::from_millis(1)) + jitter;
            if Instant::now() + pause > deadline || self.stop.is_cancelled() {
                return Err(PolitenessError::Timeout {
                    domain,
                    waited: started.elapsed(),
                });
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = self.stop.cancelled() => {
                    return Err(PolitenessError::Timeout {
                        domain,
                        waited: started.elapsed(),
                    });
                }
            }
        }
    }

    /// One Redis exchange on a pooled connection, bounded by `redis_timeout`.
    async fn run<T>(
        &self,
        exchange: impl AsyncFnOnce(&mut deadpool_redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, PolitenessError> {
        let work = async {
            let mut conn = self
                .pool
                .get()
                .await
                .map_err(|e| PolitenessError::Redis(e.to_string()))?;
            exchange(&mut conn)
                .await
                .map_err(|e: RedisError| PolitenessError::Redis(e.to_string()))
        };
        tokio::time::timeout(self.settings.redis_timeout, work)
            .await
            .map_err(|_| PolitenessError::Redis("timed out".into()))?
    }
}

/// A turn on a domain. Release it when the fetch is done; dropping it releases it in
/// the background, and a lost permit expires with its lease.
#[derive(Debug)]
pub struct DomainPermit {
    politeness: Option<Politeness>,
    leases: String,
    lease_id: String,
}

impl DomainPermit {
    pub async fn release(mut self) -> Result<(), PolitenessError> {
        match self.politeness.take() {
            Some(politeness) => release(&politeness, &self.leases, &self.lease_id).await,
            None => Ok(()),
        }
    }
}

impl Drop for DomainPermit {
    fn drop(&mut self) {
        let Some(politeness) = self.politeness.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (leases, lease_id) = (
            std::mem::take(&mut self.leases),
            std::mem::take(&mut self.lease_id),
        );
        runtime.spawn(async move {
            if let Err(error) = release(&politeness, &leases, &lease_id).await {
                tracing::debug!(%error, "politeness lease left to expire");
            }
        });
    }
}

async fn release(
    politeness: &Politeness,
    leases: &str,
    lease_id: &str,
) -> Result<(), PolitenessError> {
    let _: i64 = politeness
        .run(async |conn| {
            redis::cmd("ZREM")
                .arg(leases)
                .arg(lease_id)
                .query_async(conn)
                .await
        })
        .await?;
    Ok(())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
