//! Money is a decimal amount with an ISO 4217 currency. Never a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An ISO 4217 alphabetic code such as `EUR`: three ASCII upper-case letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a currency is a three-letter ISO 4217 code such as EUR, got {0:?}")]
pub struct InvalidCurrency(pub String);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");
    pub const GBP: Currency = Currency(*b"GBP");

    /// Accepts `eur`, `EUR`, ` EUR `; refuses anything that is not three ASCII letters.
    pub fn parse(code: &str) -> Result<Self, InvalidCurrency> {
        let trimmed = code.trim();
        let bytes = trimmed.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(InvalidCurrency(code.to_owned()));
        }
        let mut out = [0u8; 3];
        for (slot, byte) in out.iter_mut().zip(bytes) {
            *slot = byte.to_ascii_uppercase();
        }
        Ok(Currency(out))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl FromStr for Currency {
    type Err = InvalidCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Currency::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The largest price PriceWatch accepts: anything above is a parsing accident.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidAmount {
    #[error("a price must be greater than zero")]
    NotPositive,
    #[error("a price must be at most 1000000000")]
    TooLarge,
    #[error("a price has at most 4 decimal places")]
    TooPrecise,
}

/// Checks that an amount is a plausible price: positive, bounded, at most 4 decimals.
pub fn validate_amount(amount: Decimal) -> Result<Decimal, InvalidAmount> {
    if amount <= Decimal::ZERO {
        return Err(InvalidAmount::NotPositive);
    }
    if amount > MAX_AMOUNT {
        return Err(InvalidAmount::TooLarge);
    }
    if amount.normalize().scale() > 4 {
        return Err(InvalidAmount::TooPrecise);
    }
    Ok(amount)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// The price range a chart shows for prices from `lowest` to `highest`: a
/// tenth of the spread added above and below (for a flat line, a tenth of the
/// price, at least 1), never below zero. The web page's chart and the alert
/// email's chart share it, so both frame a history the same way.
pub fn chart_range(lowest: Decimal, highest: Decimal) -> (Decimal, Decimal) {
    let (lo, hi) = (lowest.min(highest), lowest.max(highest));
    let pad = if hi > lo {
        (hi - lo) / Decimal::TEN
    } else {
        (hi / Decimal::TEN).max(Decimal::ONE)
    };
    ((lo - pad).max(Decimal::ZERO), hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn a_chart_frames_its_prices_with_room_and_never_below_zero() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(chart_range(d("100"), d("200")), (d("90"), d("210")));
        assert_eq!(chart_range(d("200"), d("100")), (d("90"), d("210")));
        // A flat line: a tenth of the price, at least 1.
        assert_eq!(chart_range(d("50"), d("50")), (d("45"), d("55")));
        assert_eq!(chart_range(d("0.50"), d("0.50")), (d("0"), d("1.50")));
        assert_eq!(chart_range(d("1"), d("101")), (d("0"), d("111")));
    }

    #[test]
    fn currency_codes_are_normalised_and_checked() {
        assert_eq!(Currency::parse(" eur ").unwrap(), Currency::EUR);
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("€").is_err());
        assert!(Currency::parse("E1R").is_err());
    }

    #[test]
    fn amounts_must_be_plausible_prices() {
        let ok = Decimal::from_str("19.99").unwrap();
        assert_eq!(validate_amount(ok), Ok(ok));
        assert_eq!(
            validate_amount(Decimal::ZERO),
            Err(InvalidAmount::NotPositive)
        );
        assert_eq!(
            validate_amount(Decimal::from(-5)),
            Err(InvalidAmount::NotPositive)
        );
        assert_eq!(
            validate_amount(Decimal::from_str("1000000000.01").unwrap()),
            Err(InvalidAmount::TooLarge)
        );
        assert_eq!(
            validate_amount(Decimal::from_str("1.00001").unwrap()),
            Err(InvalidAmount::TooPrecise)
        );
        assert!(validate_amount(Decimal::from_str("1.2300000").unwrap()).is_ok());
    }

    #[test]
    fn money_serialises_amount_as_string() {
        let m = Money::new(Decimal::from_str("1299.90").unwrap(), Currency::EUR);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"1299.90","currency":"EUR"}"#
        );
    }
}
