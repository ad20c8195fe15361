//! How often alerts may go out: a cooldown per watch and a cap per user and
//! day (a rolling 24 hours), as pure functions of the times and counts the
//! caller read.

use chrono::{DateTime, TimeDelta, Utc};

use super::Held;

/// The longest cooldown a watch may have: one week, in minutes.
pub const MAX_COOLDOWN_MINUTES: u32 = 7 * 24 * 60;

/// The window of the daily cap: the 24 hours before now.
pub const DAILY_WINDOW: TimeDelta = TimeDelta::hours(24);

/// A cooldown outside 0..=[`MAX_COOLDOWN_MINUTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cooldown_minutes must be between 0 and {MAX_COOLDOWN_MINUTES}")]
pub struct InvalidCooldown;

/// A watch's cooldown: the least time between two of its alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cooldown(u32);

impl Cooldown {
    pub const NONE: Cooldown = Cooldown(0);

    pub fn from_minutes(minutes: u32) -> Result<Cooldown, InvalidCooldown> {
        if minutes > MAX_COOLDOWN_MINUTES {
            return Err(InvalidCooldown);
        }
        Ok(Cooldown(minutes))
    }

    pub fn minutes(self) -> u32 {
        self.0
    }

    pub fn duration(self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.0))
    }

    /// When the watch may alert again, given its last alert; `None`: now.
    pub fn until(self, last_alert_at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let last = last_alert_at?;
        (self.0 > 0).then(|| last + self.duration())
    }

    /// Whether the watch is still cooling down at `now`.
    pub fn holds(self, last_alert_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        self.until(last_alert_at).is_some_and(|until| now < until)
    }
}

/// The start of the daily cap's window that ends at `now`.
pub fn daily_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - DAILY_WINDOW
}

/// Whether a user who had `alerts_in_window` alerts in the last 24 hours may
/// get another one under a cap of `cap` a day.
pub fn under_daily_cap(alerts_in_window: u64, cap: u32) -> bool {
    alerts_in_window < u64::from(cap)
}

/// Whether an alert of a watch may go out now: `Ok`, or why it is held back.
/// The cooldown is judged first.
pub fn gate(
    cooldown: Cooldown,
    last_alert_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    alerts_in_window: u64,
    cap: u32,
) -> Result<(), Held> {
    if cooldown.holds(last_alert_at, now) {
        return Err(Held::Cooldown);
    }
    if !under_daily_cap(alerts_in_window, cap) {
        return Err(Held::DailyCap);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_cooldown_holds_until_it_has_passed() {
        let c = Cooldown::from_minutes(30).unwrap();
        assert!(!c.holds(None, at(0)));
        assert!(c.holds(Some(at(0)), at(0)));
        assert!(c.holds(Some(at(0)), at(30 * 60 - 1)));
        assert!(!c.holds(Some(at(0)), at(30 * 60)));
        assert!(!Cooldown::NONE.holds(Some(at(0)), at(0)));
        assert_eq!(Cooldown::NONE.until(Some(at(0))), None);
        assert_eq!(
            Cooldown::from_minutes(MAX_COOLDOWN_MINUTES + 1),
            Err(InvalidCooldown)
        );
    }

    #[test]
    fn the_cap_counts_the_last_24_hours() {
        assert_eq!(daily_window_start(at(86_400)), at(0));
        assert!(under_daily_cap(0, 1));
        assert!(!under_daily_cap(1, 1));
        assert!(under_daily_cap(49, 50));
        assert_eq!(
            gate(Cooldown::NONE, None, at(0), 50, 50),
            Err(Held::DailyCap)
        );
        let c = Cooldown::from_minutes(1).unwrap();
        assert_eq!(gate(c, Some(at(0)), at(1), 50, 50), Err(Held::Cooldown));
        assert_eq!(gate(c, Some(at(0)), at(60), 0, 50), Ok(()));
    }

    proptest! {
        #[test]
        fn cooldown_holds_exactly_within_its_duration(minutes in 0u32..=MAX_COOLDOWN_MINUTES, last in -1_000_000i64..1_000_000, later in 0i64..1_000_000) {
            let c = Cooldown::from_minutes(minutes).unwrap();
            let holds = c.holds(Some(at(last)), at(last + later));
            prop_assert_eq!(holds, later < i64::from(minutes) * 60);
        }

        #[test]
        fn the_cap_lets_exactly_cap_alerts_through(cap in 1u32..1000) {
            let allowed = (0..u64::from(cap) + 10).filter(|&n| under_daily_cap(n, cap)).count();
            prop_assert_eq!(allowed, usize::try_from(cap).unwrap());
        }
    }
}
