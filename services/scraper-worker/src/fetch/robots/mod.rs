//! robots.txt: RFC 9309 rules, and a per-origin cache of what each origin allows.
//!
//! The cache is in memory, bounded (least recently used origins go first), one per
//! worker process. Kept out of Redis on purpose: it holds parsed rules (no re-parse on
//! every check, no round trip on the hot path), and a second worker instance costs at
//! most one more robots.txt request per origin per day, next to thousands of page fetches.

mod rules;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

pub use rules::{RobotsRules, token_of};

use super::FetchError;

/// How long a fetched robots.txt (or its absence, 4xx) is trusted: RFC 9309 caps it at 24 h.
pub const RULES_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// How long "unreachable, so disallow all" is remembered before asking again.
pub const UNREACHABLE_TTL: Duration = Duration::from_secs(10 * 60);
/// RFC 9309 §2.5: a crawler must parse at least 500 KiB; the rest is ignored.
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// What an origin's robots.txt says, once fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotsPolicy {
    /// Rules to apply (empty after a 4xx: everything allowed).
    Rules(RobotsRules),
    /// 5xx, 429 or no answer: RFC 9309 §2.3.1.3 says assume everything is disallowed.
    Unreachable(String),
}

impl RobotsPolicy {
    pub fn check(&self, path_and_query: &str) -> Result<(), FetchError> {
        match self {
            RobotsPolicy::Rules(rules) if rules.is_allowed(path_and_query) => Ok(()),
            RobotsPolicy::Rules(_) => Err(FetchError::DisallowedByRobots),
            RobotsPolicy::Unreachable(why) => Err(FetchError::RobotsUnreachable(why.clone())),
        }
    }

    fn ttl(&self) -> Duration {
        match self {
            RobotsPolicy::Rules(_) => RULES_TTL,
            RobotsPolicy::Unreachable(_) => UNREACHABLE_TTL,
        }
    }
}

/// Origin (`https://shop.test:8443`) -> policy, bounded, with one fetch in flight per origin.
pub(crate) struct RobotsCache {
    slots: Mutex<Slots>,
    capacity: usize,
}

#[derive(Default)]
struct Slots {
    by_origin: HashMap<String, Slot>,
    clock: u64,
}

struct Slot {
    cell: Arc<OnceCell<Cached>>,
    last_used: u64,
}

struct Cached {
    policy: Arc<RobotsPolicy>,
    expires: Instant,
}

impl RobotsCache {
    pub(crate) fn new(capacity: usize) -> Self {
        RobotsCache {
            slots: Mutex::new(Slots::default()),
            capacity: capacity.max(1),
        }
    }

    /// The cached policy for `origin`, or the result of `fetch` (shared by concurrent callers).
    /// An error from `fetch` (a refused address, say) is returned and not cached.
    pub(crate) async fn get_or_fetch<F, Fut>(
        &self,
        origin: &str,
        fetch: F,
    ) -> Result<Arc<RobotsPolicy>, FetchError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<RobotsPolicy, FetchError>>,
    {
        let cell = self.slot(origin);
        let cached = cell
            .get_or_try_init(|| async {
                let policy = fetch().await?;
                let expires = Instant::now() + policy.ttl();
                Ok::<_, FetchError>(Cached {
                    policy: Arc::new(policy),
                    expires,
                })
            })
            .await?;
        Ok(Arc::clone(&cached.policy))
    }

    fn slot(&self, origin: &str) -> Arc<OnceCell<Cached>> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.clock += 1;
        let now = slots.clock;
        if let Some(slot) = slots.by_origin.get_mut(origin) {
            let expired = slot.cell.get().is_some_and(|c| c.expires <= Instant::now());
            if expired {
                slot.cell = Arc::new(OnceCell::new());
            }
            slot.last_used = now;
            return Arc::clone(&slot.cell);
        }
        if slots.by_origin.len() >= self.capacity {
            let oldest = slots
                .by_origin
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                slots.by_origin.remove(&oldest);
            }
        }
        let cell = Arc::new(OnceCell::new());
        slots.by_origin.insert(
            origin.to_owned(),
            Slot {
                cell: Arc::clone(&cell),
                last_used: now,
            },
        );
        cell
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_origin
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn allow_all() -> Result<RobotsPolicy, FetchError> {
        Ok(RobotsPolicy::Rules(RobotsRules::allow_all()))
    }

    #[tokio::test]
    async fn fetches_once_per_origin_and_evicts_the_least_recently_used() {
        let cache = RobotsCache::new(2);
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            allow_all()
        };
        cache.get_or_fetch("http://a", fetch).await.unwrap();
        cache.get_or_fetch("http://a", fetch).await.unwrap();
        cache.get_or_fetch("http://b", fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        cache.get_or_fetch("http://a", fetch).await.unwrap(); // a is now the most recent
        cache.get_or_fetch("http://c", fetch).await.unwrap(); // evicts b
        assert_eq!(cache.len(), 2);
        cache.get_or_fetch("http://a", fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 3, "a stayed cached");
        cache.get_or_fetch("http://b", fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 4, "b was evicted");
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let cache = RobotsCache::new(8);
        let refused = || async { Err(FetchError::DisallowedByRobots) };
        assert!(cache.get_or_fetch("http://a", refused).await.is_err());
        assert!(
            cache
                .get_or_fetch("http://a", || async { allow_all() })
                .await
                .is_ok()
        );
    }
}
