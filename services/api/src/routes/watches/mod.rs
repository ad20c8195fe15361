//! Watches: a user's interest in one product at a target price.

pub mod alerting;
pub mod check;
pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod update;

use std::str::FromStr;

use pricewatch_domain::fetch_mode::FetchMode;
use pricewatch_domain::money::validate_amount;
use pricewatch_domain::product_url::InvalidUrl;
use pricewatch_domain::{Frequency, ProductUrl};
use rust_decimal::Decimal;

use crate::error::ApiError;

pub const MAX_SELECTOR_CHARS: usize = 500;

/// Digits with at most one decimal point: what a price looks like as text
/// (no `1_000`, no `1,000`, no sign, no exponent).
fn is_plain_decimal(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(text.contains('.') && fraction.is_empty())
}

/// A price given as a JSON string (`"19.99"`) or number (`19.99`).
pub fn parse_price(field: &str, value: &serde_json::Value) -> Result<Decimal, ApiError> {
    let text = match value {
        serde_json::Value::String(s) if is_plain_decimal(s.trim()) => s.trim().to_owned(),
        serde_json::Value::String(_) => {
            return Err(ApiError::validation(
                field,
                format!(
                    "{field} must be a decimal number such as \"19.99\" (digits and one point)"
                ),
            ));
        }
        serde_json::Value::Number(n) => n.to_string(),
        _ => {
            return Err(ApiError::validation(
                field,
                format!("{field} must be a decimal number such as \"19.99\""),
            ));
        }
    };
    let amount = Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| {
            ApiError::validation(
                field,
                format!("{field} must be a decimal number such as \"19.99\""),
            )
        })?;
    validate_amount(amount).map_err(|e| ApiError::validation(field, e))
}

/// A watch's tags, normalised (lower-case, sorted, no duplicates).
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, ApiError> {
    pricewatch_domain::tag::parse_tags(raw).map_err(|e| ApiError::validation("tags", e))
}

pub fn parse_frequency(raw: &str) -> Result<Frequency, ApiError> {
    Frequency::from_str(raw).map_err(|e| ApiError::validation("frequency", e))
}

/// `auto`, `http` or `browser` (any case).
pub fn parse_fetch_mode(raw: &str) -> Result<FetchMode, ApiError> {
    FetchMode::parse(raw).map_err(|e| ApiError::validation("fetch_mode", e))
}

pub fn parse_selector(raw: Option<String>) -> Result<Option<String>, ApiError> {
    match raw.map(|s| s.trim().to_owned()) {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if s.chars().count() > MAX_SELECTOR_CHARS => Err(ApiError::validation(
            "css_selector",
            format!("css_selector must be at most {MAX_SELECTOR_CHARS} characters"),
        )),
        Some(s) if s.chars().any(char::is_control) => Err(ApiError::validation(
            "css_selector",
            "css_selector must not contain control characters",
        )),
        // The extractor's own parser: a selector it cannot use is refused here,
        // not accepted and then silently ignored at every check.
        Some(s) => match pricewatch_extract::Selector::parse(&s) {
            Ok(_) => Ok(Some(s)),
            Err(e) => Err(ApiError::validation(
                "css_selector",
                format!("css_selector is not a selector PriceWatch can use: {e}"),
            )),
        },
    }
}

/// A watch request that passed every rule: what create and import both insert.
#[derive(Debug, Clone)]
pub struct ValidWatch {
    pub url: ProductUrl,
    pub target_price: Decimal,
    pub frequency: Frequency,
    pub css_selector: Option<String>,
    pub tags: Vec<String>,
    pub active: bool,
    /// Rules, channels and cooldown (imports: the defaults).
    pub alerting: alerting::AlertingInput,
    /// How the page is fetched; `auto` unless the request chose.
    pub fetch_mode: FetchMode,
}

/// A new watch as a request gives it (`POST /watches`, the web app's add
/// form, an import entry), before [`validate_new`].
#[derive(Debug, Clone, Copy)]
pub struct NewWatch<'a> {
    pub url: &'a str,
    pub target_price: &'a serde_json::Value,
    pub frequency: &'a str,
    pub css_selector: Option<&'a str>,
    pub tags: &'a [String],
    pub active: bool,
    /// `auto`, `http` or `browser`; absent: `auto`.
    pub fetch_mode: Option<&'a str>,
}

/// Why a watch request was refused: the field, a code for import reports,
/// and the words.
#[derive(Debug, Clone)]
pub struct Refused {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        ApiError::validation(r.field, r.message)
    }
}

fn refused(field: &'static str, code: &'static str, err: ApiError) -> Refused {
    Refused {
        field,
        code,
        message: err.to_string(),
    }
}

/// The one validation of a new watch, for `POST /watches`, the web app's add
/// form and every import entry: URL normalisation and the SSRF address
/// policy, target price, frequency, selector, tags, fetch mode.
pub fn validate_new(allow_loopback: bool, new: &NewWatch<'_>) -> Result<ValidWatch, Refused> {
    let url = ProductUrl::parse_with(new.url, allow_loopback).map_err(|e| Refused {
        field: "url",
        code: match e {
            InvalidUrl::ForbiddenAddress(..) | InvalidUrl::ForbiddenHost(..) => "private_address",
            _ => "bad_url",
        },
        message: e.to_string(),
    })?;
    let target_price = parse_price("target_price", new.target_price)
        .map_err(|e| refused("target_price", "bad_price", e))?;
    let frequency =
        parse_frequency(new.frequency).map_err(|e| refused("frequency", "bad_frequency", e))?;
    let css_selector = parse_selector(new.css_selector.map(str::to_owned))
        .map_err(|e| refused("css_selector", "bad_selector", e))?;
    let tags = parse_tags(new.tags).map_err(|e| refused("tags", "bad_tags", e))?;
    let fetch_mode = match new.fetch_mode {
        None => FetchMode::Auto,
        Some(raw) => {
            parse_fetch_mode(raw).map_err(|e| refused("fetch_mode", "bad_fetch_mode", e))?
        }
    };
    Ok(ValidWatch {
        url,
        target_price,
        frequency,
        css_selector,
        tags,
        active: new.active,
        alerting: alerting::AlertingInput::default(),
        fetch_mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_the_extractor_cannot_use_are_refused() {
        assert_eq!(
            parse_selector(Some(" .price > span ".into())).unwrap(),
            Some(".price > span".to_owned())
        );
        for bad in ["div[", ".price:has(span)", "span[data-price"] {
            let err = parse_selector(Some(bad.into())).unwrap_err();
            assert!(
                matches!(&err, ApiError::Validation { field, .. } if field == "css_selector"),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn prices_from_strings_and_numbers() {
        assert_eq!(
            parse_price("p", &json!("19.99")).unwrap().to_string(),
            "19.99"
        );
        assert_eq!(
            parse_price("p", &json!(19.99)).unwrap().to_string(),
            "19.99"
        );
        assert_eq!(parse_price("p", &json!(5)).unwrap().to_string(), "5");
        for bad in [
            json!("-1"),
            json!(0),
            json!("abc"),
            json!(true),
            json!("1e40"),
            json!("1.123456"),
            json!("1_000"),
            json!("1,000"),
            json!("+5"),
            json!("5."),
            json!(".5"),
        ] {
            assert!(parse_price("p", &bad).is_err(), "{bad}");
        }
    }
}
