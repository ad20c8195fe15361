//! When to try a failed fetch again: exponential backoff with full jitter, bounded
//! attempts, and the server's `Retry-After` honoured.

use std::time::Duration;

pub use pricewatch_egress::parse_retry_after;

use super::FetchError;

/// Full-jitter exponential backoff: a delay drawn uniformly from `[0, min(cap, base·2^(n-1))]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(5 * 60),
        }
    }
}

impl Backoff {
    /// The ceiling of the delay after the `attempt`-th failure (1-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1);
        let factor = 2u32.checked_pow(doublings).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A random delay before retrying after the `attempt`-th failure.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = u64::try_from(self.ceiling(attempt).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=ceiling))
    }
}

/// `Backoff::default().delay(attempt)`.
pub fn backoff(attempt: u32) -> Duration {
    Backoff::default().delay(attempt)
}

/// How many times a job fetches one page and how long it waits in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub backoff: Backoff,
    /// A `Retry-After` longer than this is not waited for: the next scheduled check will do.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            backoff: Backoff::default(),
            max_retry_after: Duration::from_secs(10 * 60),
        }
    }
}

impl RetryPolicy {
    /// After the `attempt`-th attempt failed with `error`: the wait before the next one,
    /// or `None` when the error is permanent or the attempts are spent.
    pub fn next_delay(&self, attempt: u32, error: &FetchError) -> Option<Duration> {
        if !error.is_transient() || attempt >= self.max_attempts {
            return None;
        }
        let jittered = self.backoff.delay(attempt);
        match error.retry_after() {
            Some(asked) if asked > self.max_retry_after => None,
            Some(asked) => Some(asked.max(jittered)),
            None => Some(jittered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let b = Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
        };
        assert_eq!(b.ceiling(1), Duration::from_secs(1));
        assert_eq!(b.ceiling(2), Duration::from_secs(2));
        assert_eq!(b.ceiling(5), Duration::from_secs(16));
        assert_eq!(b.ceiling(6), Duration::from_secs(30));
        assert_eq!(b.ceiling(200), Duration::from_secs(30), "no overflow");
        let delays: Vec<_> = (0..200).map(|_| b.delay(4)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(8)));
        assert!(
            delays.iter().any(|d| *d < Duration::from_secs(2)),
            "jitter reaches low values"
        );
        assert!(
            delays.iter().any(|d| *d > Duration::from_secs(6)),
            "and high ones"
        );
    }

    #[test]
    fn retries_only_transient_errors_and_only_so_often() {
        let policy = RetryPolicy::default();
        let unavailable = FetchError::Status {
            status: 503,
            retry_after: None,
        };
        assert!(policy.next_delay(1, &unavailable).is_some());
        assert!(
            policy.next_delay(3, &unavailable).is_none(),
            "attempts spent"
        );
        let not_found = FetchError::Status {
            status: 404,
            retry_after: None,
        };
        assert!(policy.next_delay(1, &not_found).is_none());
    }

    #[test]
    fn retry_after_is_honoured() {
        let policy = RetryPolicy::default();
        let limited = FetchError::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(90)),
        };
        for _ in 0..50 {
            assert!(policy.next_delay(1, &limited).unwrap() >= Duration::from_secs(90));
        }
        let too_long = FetchError::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(86_400)),
        };
        assert_eq!(policy.next_delay(1, &too_long), None);
    }
}
