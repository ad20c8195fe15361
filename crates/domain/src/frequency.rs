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
#[error("frequency must be one of 6h, 12h, 24h, got {0:?}")]
pub struct InvalidFrequency(pub String);

impl Frequency {
    pub const ALL: [Frequency; 3] = [
        Frequency::Every6Hours,
        Frequency::Every12Hours,
        Frequency::Every24Hours,
    ];

    pub fn hours(self) -> i64 {
        match self {
            Frequency::Every6Hours => 6,
            Frequency::Every12Hours => 12,
            Frequency::Every24Hours => 24,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Every6Hours => "6h",
            Frequency::Every12Hours => "12h",
            Frequency::Every24Hours => "24h",
        }
    }

    /// The stored form: the interval in hours.
    pub fn from_hours(hours: i32) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| i64::from(hours) == f.hours())
    }

    /// The seed's named schedules: `check-prices-6h`, `check-prices-12h`, `check-prices-24h`.
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
            .ok_or_else(|| InvalidFrequency(s.to_owned()))
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
            let hours = i32::try_from(f.hours()).unwrap();
            assert_eq!(Frequency::from_hours(hours), Some(f));
        }
        assert!("1h".parse::<Frequency>().is_err());
        assert!(serde_json::from_str::<Frequency>("\"weekly\"").is_err());
    }
}
