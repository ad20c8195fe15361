//! The scheduler lease in Redis: one active scheduler at a time. The holder renews
//! it on every tick; when it dies the lease expires and a standby takes it.

use std::time::Duration;

use deadpool_redis::Pool;
use deadpool_redis::redis;

/// Extends the lease only if this instance still holds it. Returns 1 when extended.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Deletes the lease only if this instance holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

pub struct Lease {
    pool: Pool,
    key: String,
    holder: String,
    ttl: Duration,
    held: bool,
}

impl Lease {
    pub fn new(pool: Pool, key_prefix: &str, holder: String, ttl: Duration) -> Self {
        Lease {
            pool,
            key: format!("{key_prefix}:scheduler:lease"),
            holder,
            ttl,
            held: false,
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn is_held(&self) -> bool {
        self.held
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// Takes the lease if it is free, or extends it if this instance holds it.
    /// Returns whether this instance holds it now. A Redis error counts as not
    /// holding it: two active schedulers are worse than a missed tick.
    pub async fn acquire_or_renew(&mut self) -> bool {
        let result = if self.held {
            let (key, holder, ttl) = (self.key.clone(), self.holder.clone(), self.ttl_ms());
            pricewatch_ops::redis::run(&self.pool, |mut c| async move {
                redis::cmd("EVAL")
                    .arg(RENEW)
                    .arg(1)
                    .arg(&key)
                    .arg(&holder)
                    .arg(ttl)
                    .query_async::<i64>(&mut c)
                    .await
            })
            .await
            .map(|n| n == 1)
        } else {
            let (key, holder, ttl) = (self.key.clone(), self.holder.clone(), self.ttl_ms());
            pricewatch_ops::redis::run(&self.pool, |mut c| async move {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&holder)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl)
                    .query_async::<Option<String>>(&mut c)
                    .await
            })
            .await
            .map(|reply| reply.is_some())
        };
        let now_held = match result {
            Ok(held) => held,
            Err(error) => {
                tracing::warn!(%error, "scheduler lease: Redis unavailable, standing by");
                false
            }
        };
        if now_held != self.held {
            if now_held {
                tracing::info!(holder = %self.holder, "scheduler lease taken: active");
            } else {
                tracing::warn!(holder = %self.holder, "scheduler lease lost: standing by");
            }
        }
        self.held = now_held;
        metrics::gauge!("pricewatch_scheduler_active").set(if now_held { 1.0 } else { 0.0 });
        now_held
    }

    /// Gives the lease up so that a standby takes over at once.
    pub async fn release(&mut self) {
        if !self.held {
            return;
        }
        self.held = false;
        let (key, holder) = (self.key.clone(), self.holder.clone());
        let result = pricewatch_ops::redis::run(&self.pool, |mut c| async move {
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(&key)
                .arg(&holder)
                .query_async::<i64>(&mut c)
                .await
        })
        .await;
        if let Err(error) = result {
            tracing::warn!(%error, "scheduler lease not released; it expires by itself");
        }
        metrics::gauge!("pricewatch_scheduler_active").set(0.0);
    }
}

#[cfg(test)]
mod tests {
    //! Against the real Redis (`REDIS_URL`, default 127.0.0.1:6379), each test on its own prefix.
    use super::*;

    fn pool() -> Pool {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        pricewatch_ops::redis::connect_pool(&secrecy::SecretString::from(url), 2).unwrap()
    }

    fn prefix() -> String {
        format!("pwtest-lease-{}", uuid::Uuid::new_v4().simple())
    }

    #[tokio::test]
    async fn one_holder_at_a_time_and_a_standby_takes_over_on_release() {
        let (pool, prefix) = (pool(), prefix());
        let ttl = Duration::from_secs(15);
        let mut a = Lease::new(pool.clone(), &prefix, "a".into(), ttl);
        let mut b = Lease::new(pool.clone(), &prefix, "b".into(), ttl);
        assert!(a.acquire_or_renew().await);
        assert!(!b.acquire_or_renew().await, "b stands by while a holds it");
        assert!(a.acquire_or_renew().await, "a renews");
        assert!(!b.acquire_or_renew().await);
        a.release().await;
        assert!(b.acquire_or_renew().await, "b takes over at once");
        assert!(!a.acquire_or_renew().await);
        b.release().await;
    }

    #[tokio::test]
    async fn a_dead_holder_loses_the_lease_when_it_expires() {
        let (pool, prefix) = (pool(), prefix());
        let ttl = Duration::from_millis(300);
        let mut dead = Lease::new(pool.clone(), &prefix, "dead".into(), ttl);
        let mut standby = Lease::new(pool.clone(), &prefix, "standby".into(), ttl);
        assert!(dead.acquire_or_renew().await);
        assert!(!standby.acquire_or_renew().await);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            standby.acquire_or_renew().await,
            "the expired lease is free"
        );
        assert!(
            !dead.acquire_or_renew().await,
            "the old holder notices it lost the lease"
        );
        assert!(!dead.is_held());
        standby.release().await;
    }
}
