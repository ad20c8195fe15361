//! `/products/{slug}/price` — read (GET), set (POST) or restore (DELETE) the
//! offer of a product. POST takes `{"amount": "12.34", "in_stock": false,
//! "currency": "GBP"}`, every field optional but at least one present.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{ShopError, base_url};
use crate::Shop;
use crate::catalog::{Currency, Product};
use crate::shop::{OfferChange, ProductSummary};

pub async fn show(
    req: HttpRequest,
    slug: web::Path<String>,
    shop: web::Data<Shop>,
) -> Result<HttpResponse, ShopError> {
    let product = find(&shop, &slug)?;
    Ok(summary(&req, &shop, &product))
}

pub async fn set(
    req: HttpRequest,
    slug: web::Path<String>,
    shop: web::Data<Shop>,
    body: Bytes,
) -> Result<HttpResponse, ShopError> {
    let product = find(&shop, &slug)?;
    let change = parse_change(&body)?;
    let offer = shop.change_offer(&product, change);
    tracing::info!(slug = %product.slug, amount = %offer.amount, currency = %offer.currency,
        in_stock = offer.in_stock, "price set");
    Ok(HttpResponse::Ok().json(ProductSummary::new(&product, &offer, &base_url(&req))))
}

pub async fn restore(
    req: HttpRequest,
    slug: web::Path<String>,
    shop: web::Data<Shop>,
) -> Result<HttpResponse, ShopError> {
    let product = find(&shop, &slug)?;
    shop.restore(&product);
    Ok(summary(&req, &shop, &product))
}

fn find(shop: &Shop, slug: &str) -> Result<Product, ShopError> {
    shop.catalog()
        .find(slug)
        .ok_or_else(|| ShopError::not_found(format!("no product with slug {slug:?}")))
}

fn summary(req: &HttpRequest, shop: &Shop, product: &Product) -> HttpResponse {
    let offer = shop.offer(product);
    HttpResponse::Ok().json(ProductSummary::new(product, &offer, &base_url(req)))
}

fn unprocessable(message: impl Into<String>) -> ShopError {
    ShopError::invalid_price(message)
}

fn parse_change(body: &[u8]) -> Result<OfferChange, ShopError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ShopError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(fields) = value else {
        return Err(unprocessable("the body must be a JSON object"));
    };
    let amount = match fields.get("amount") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(parse_amount(text)?),
        // Accepted for convenience; the shortest decimal form of the number is used.
        Some(Value::Number(number)) => Some(parse_amount(&number.to_string())?),
        Some(_) => return Err(unprocessable("`amount` must be a string like \"12.34\"")),
    };
    let currency = match fields.get("currency") {
        None | Some(Value::Null) => None,
        Some(Value::String(code)) => Some(Currency::parse(code).ok_or_else(|| {
            unprocessable(format!(
                "`currency` must be a three-letter code like \"EUR\", not {code:?}"
            ))
        })?),
        Some(_) => return Err(unprocessable("`currency` must be a string like \"EUR\"")),
    };
    let in_stock = match fields.get("in_stock") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(in_stock)) => Some(*in_stock),
        Some(_) => return Err(unprocessable("`in_stock` must be true or false")),
    };
    if amount.is_none() && currency.is_none() && in_stock.is_none() {
        return Err(unprocessable(
            "nothing to change: give `amount`, `currency` or `in_stock`",
        ));
    }
    Ok(OfferChange {
        amount,
        currency,
        in_stock,
    })
}

/// A positive amount with at most nine integer digits and two decimals.
fn parse_amount(text: &str) -> Result<Decimal, ShopError> {
    let bad = || {
        unprocessable(format!(
            "`amount` must be a positive decimal with at most 2 decimal places, like \"12.34\", not {text:?}"
        ))
    };
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let well_formed = (1..=9).contains(&int.len())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(text.contains('.') && frac.is_empty());
    if !well_formed {
        return Err(bad());
    }
    let amount = Decimal::from_str(text).map_err(|_| bad())?;
    if amount <= Decimal::ZERO {
        return Err(unprocessable("`amount` must be greater than zero"));
    }
    Ok(amount.round_dp(2))
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;

    use super::*;

    #[test]
    fn amounts() {
        let ok = |s: &str| parse_amount(s).map(|d| d.to_string()).ok();
        assert_eq!(ok("12.34"), Some("12.34".into()));
        assert_eq!(ok("7"), Some("7".into()));
        assert_eq!(ok("0.5"), Some("0.5".into()));
        assert_eq!(ok("999999999.99"), Some("999999999.99".into()));
        for bad in [
            "",
            "0",
            "0.00",
            "-1",
            "+1",
            "1.",
            ".5",
            "1.234",
            "1,5",
            "1e3",
            "1_000",
            " 1",
            "NaN",
            "1000000000",
            "12.34€",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn changes() {
        assert!(parse_change(b"{\"amount\": \"1.50\"}").is_ok());
        assert!(parse_change(b"{\"amount\": 1.5}").is_ok());
        assert!(parse_change(b"{\"in_stock\": false}").is_ok());
        let status = |body: &[u8]| parse_change(body).err().map(|e| e.status_code().as_u16());
        assert_eq!(status(b"{"), Some(400));
        assert_eq!(status(b"[]"), Some(422));
        assert_eq!(status(b"{}"), Some(422));
        assert_eq!(status(b"{\"amount\": true}"), Some(422));
        assert_eq!(status(b"{\"amount\": 1e400}"), Some(400));
        assert_eq!(status(b"{\"amount\": -3}"), Some(422));
        assert_eq!(status(b"{\"currency\": \"EURO\"}"), Some(422));
        assert_eq!(status(b"{\"in_stock\": \"no\"}"), Some(422));
    }
}
