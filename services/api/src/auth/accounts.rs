//! The token version of each account, read from the database and kept for a
//! moment: every authenticated request needs it, most within seconds of the last.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// How long a looked-up version is trusted. A token of a deleted account, or
/// one issued before a password change made on another replica, works at most
/// this long; on this replica the change applies at once.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

/// Beyond this many accounts, stale entries are swept on insert.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
pub struct AccountVersions {
    entries: Mutex<HashMap<Uuid, (Option<i32>, Instant)>>,
}

impl AccountVersions {
    /// The cached version (`Some(None)` for an account known to be gone).
    pub fn get(&self, user: Uuid) -> Option<Option<i32>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&user)
            .filter(|(_, at)| at.elapsed() < FRESH_FOR)
            .map(|(version, _)| *version)
    }

    pub fn put(&self, user: Uuid, version: Option<i32>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, (_, at)| at.elapsed() < FRESH_FOR);
        }
        entries.insert(user, (version, Instant::now()));
    }
}
