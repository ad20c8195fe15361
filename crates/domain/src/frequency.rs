//! How often a watch wants its product checked.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Frequency {
    #[serde(rename = "6h")]
    Every6Hours,
    #[serde(rename = "12h")]
    Every12Hours,
    #[serde(rename = "24h")]
    Every24Hours,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidFrequency {
    #[error("frequency must be one of 6h, 12h, 24h, got {0:?}")]
    Name(String),
    #[error("a check interval of {0} hours is not a frequency (6, 12 or 24)")]
    Hours(i64),
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [
        Frequency::Every6Hours,
        Frequency::Every12Hours,
        Frequency::Every24Hours,
    ];

    pub fn hours(self) -> i64 {
        i64::from(self.stored_hours())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Every6Hours => "6h",
            Frequency::Every12Hours => "12h",
            Frequency::Every24Hours => "24h",
        }
    }

    /// The stored form: the interval in hours (`frequency_hours`,
    /// `check_interval_hours`).
    pub fn stored_hours(self) -> i32 {
        match self {
            Frequency::Every6Hours => 6,
            Frequency::Every12Hours => 12,
            Frequency::Every24Hours => 24,
        }
    }

    /// Reads the stored form back; any other number is an error, never a default.
    pub fn from_hours(hours: impl Into<i64>) -> Result<Self, InvalidFrequency> {
        let hours = hours.into();
        Self::ALL
            .into_iter()
            .find(|f| hours == f.hours())
            .ok_or(InvalidFrequency::Hours(hours))
    }

    /// The named schedule that checks products of this frequency:
    /// `check-prices-6h`, `check-prices-12h`, `check-prices-24h`.
    pub fn schedule_name(self) -> &'static str {
        match self {
            Frequency::Every6Hours => "check-prices-6h",
            Frequency::Every12Hours => "check-prices-12h",
            Frequency::Every24Hours => "check-prices-24h",
        }
    }

    pub fn interval(self) -> chrono::TimeDelta {
        chrono::TimeDelta::hours(self.hours())
    }
}

impl FromStr for Frequency {
    type Err = InvalidFrequency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| InvalidFrequency::Name(s.to_owned()))
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text_json_and_hours() {
        for f in Frequency::ALL {
            assert_eq!(f.as_str().parse::<Frequency>().unwrap(), f);
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
            assert_eq!(Frequency::from_hours(f.stored_hours()), Ok(f));
        }
        assert_eq!(
            Frequency::from_hours(7).unwrap_err().to_string(),
            "a check interval of 7 hours is not a frequency (6, 12 or 24)"
        );
        assert!("1h".parse::<Frequency>().is_err());
        assert!(serde_json::from_str::<Frequency>("\"weekly\"").is_err());
    }
}
