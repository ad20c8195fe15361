//! What a check reads from a page, in the names every service shares: the
//! method that found the price and the stock state. `as_str` is the stored and
//! serialised name of each; there is no other.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which method found the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Selector,
    JsonLd,
    Microdata,
    Meta,
    Heuristic,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Selector,
        Method::JsonLd,
        Method::Microdata,
        Method::Meta,
        Method::Heuristic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Selector => "selector",
            Method::JsonLd => "json_ld",
            Method::Microdata => "microdata",
            Method::Meta => "meta",
            Method::Heuristic => "heuristic",
        }
    }
}

/// A stored or typed name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
}

impl FromStr for Method {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "extraction method",
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stock state, from schema.org values or visible text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    InStock,
    OutOfStock,
    PreOrder,
    BackOrder,
    LimitedAvailability,
    Discontinued,
    InStoreOnly,
    #[default]
    Unknown,
}

impl Availability {
    /// `https://schema.org/InStock`, `InStock`, `instock`, `in stock`, `oos`…
    pub fn from_schema(value: &str) -> Availability {
        let tail = value.trim().rsplit(['/', ':']).next().unwrap_or("");
        let key: String = tail
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "instock"
            | "onlineonly"
            | "available"
            | "availablefororder"
            | "limitedavailability_" => Availability::InStock,
            "outofstock" | "soldout" | "oos" | "unavailable" => Availability::OutOfStock,
            "preorder" | "presale" => Availability::PreOrder,
            "backorder" | "madetoorder" => Availability::BackOrder,
            "limitedavailability" => Availability::LimitedAvailability,
            "discontinued" => Availability::Discontinued,
            "instoreonly" => Availability::InStoreOnly,
            _ => Availability::Unknown,
        }
    }

    /// What the product's `in_stock` column records: `None` when the state
    /// says nothing certain about buying it now.
    pub fn in_stock(self) -> Option<bool> {
        match self {
            Availability::InStock | Availability::LimitedAvailability => Some(true),
            Availability::OutOfStock | Availability::Discontinued | Availability::InStoreOnly => {
                Some(false)
            }
            Availability::PreOrder | Availability::BackOrder | Availability::Unknown => None,
        }
    }
}

/// The state of a product's last check, as stored in `products.check_status`
/// (the database's `products_check_status` constraint allows exactly these)
/// and shown to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Not checked yet.
    Pending,
    /// A price was read and recorded.
    Ok,
    /// The shop answered 304 Not Modified: the price is the last one.
    Unchanged,
    /// The page was read but holds no price.
    NoPrice,
    /// A bot wall or captcha answered instead of the page.
    Blocked,
    /// The shop answered with an error status (404, 500…).
    HttpError,
    /// The address is not allowed (private network, robots.txt, bad scheme).
    Refused,
    /// The page could not be fetched (DNS, connection, timeout, too large…).
    FetchError,
}

impl CheckStatus {
    pub const ALL: [CheckStatus; 8] = [
        CheckStatus::Pending,
        CheckStatus::Ok,
        CheckStatus::Unchanged,
        CheckStatus::NoPrice,
        CheckStatus::Blocked,
        CheckStatus::HttpError,
        CheckStatus::Refused,
        CheckStatus::FetchError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pending => "pending",
            CheckStatus::Ok => "ok",
            CheckStatus::Unchanged => "unchanged",
            CheckStatus::NoPrice => "no_price",
            CheckStatus::Blocked => "blocked",
            CheckStatus::HttpError => "http_error",
            CheckStatus::Refused => "refused",
            CheckStatus::FetchError => "fetch_error",
        }
    }
}

impl FromStr for CheckStatus {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "check status",
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a new reading must be fetched a second time before it is recorded:
/// a reading not yet seen by a previous fetch (`unconfirmed`) that is either a
/// drop of more than `drop_ratio` below the `last` price, or a price flipping
/// back — different from the last one but equal to one recorded `before` it
/// (A, B, A: a page that alternates between two prices would otherwise alert,
/// re-arm and alert again).
pub fn needs_confirmation(
    amount: Decimal,
    last: Option<Decimal>,
    before: &[Decimal],
    unconfirmed: Option<Decimal>,
    drop_ratio: Decimal,
) -> bool {
    let Some(last) = last else {
        return false;
    };
    if unconfirmed == Some(amount) || amount == last {
        return false;
    }
    let floor = last * (Decimal::ONE - drop_ratio);
    amount < floor || before.contains(&amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_round_trip_and_match_serde() {
        for m in Method::ALL {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert!("jsonld".parse::<Method>().is_err());
    }

    #[test]
    fn check_status_names_round_trip_and_match_serde() {
        for st in CheckStatus::ALL {
            assert_eq!(st.as_str().parse::<CheckStatus>(), Ok(st));
            assert_eq!(serde_json::to_value(st).unwrap(), st.as_str());
        }
        assert!("duplicate".parse::<CheckStatus>().is_err());
    }

    #[test]
    fn schema_org_values_map_to_stock() {
        assert_eq!(
            Availability::from_schema("https://schema.org/OutOfStock").in_stock(),
            Some(false)
        );
        assert_eq!(Availability::from_schema("InStock").in_stock(), Some(true));
        assert_eq!(Availability::from_schema("PreOrder").in_stock(), None);
        assert_eq!(Availability::from_schema("whatever").in_stock(), None);
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_big_drop_or_a_flip_back_needs_a_second_fetch() {
        let half = d("0.5");
        // First reading ever: nothing to compare with.
        assert!(!needs_confirmation(d("1"), None, &[], None, half));
        // A small drop is recorded at once; a drop past the ratio is not.
        assert!(!needs_confirmation(
            d("80"),
            Some(d("100")),
            &[],
            None,
            half
        ));
        assert!(needs_confirmation(d("40"), Some(d("100")), &[], None, half));
        // The same reading seen by the previous fetch is confirmed.
        assert!(!needs_confirmation(
            d("40"),
            Some(d("100")),
            &[],
            Some(d("40")),
            half
        ));
        // A, B, A: back to an earlier price is checked again, even when a rise.
        assert!(needs_confirmation(
            d("90"),
            Some(d("80")),
            &[d("90")],
            None,
            half
        ));
        // An unchanged price never is.
        assert!(!needs_confirmation(
            d("100"),
            Some(d("100")),
            &[d("100")],
            None,
            half
        ));
    }
}
