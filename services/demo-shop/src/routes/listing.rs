//! `GET /` — every product with its current price, as HTML or (`?format=json`)
//! a JSON array; `?offset=` and `?limit=` page through large catalogs. The body
//! is streamed in chunks so that 100,000 generated products cost little memory.

use std::fmt::Write;

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use futures_util::stream;

use super::{ShopError, base_url, query_param};
use crate::Shop;
use crate::page::{escape, format_price};
use crate::shop::ProductSummary;

const CHUNK: usize = 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Json,
}

pub async fn list(req: HttpRequest, shop: web::Data<Shop>) -> Result<HttpResponse, ShopError> {
    let format = match query_param::<String>(&req, "format")?.as_deref() {
        None | Some("html") => Format::Html,
        Some("json") => Format::Json,
        Some(other) => {
            return Err(ShopError::bad_query(format!(
                "unknown format {other:?}: use html or json"
            )));
        }
    };
    let len = shop.catalog().len();
    let offset = query_param::<usize>(&req, "offset")?.unwrap_or(0).min(len);
    let limit = query_param::<usize>(&req, "limit")?.unwrap_or(usize::MAX);
    let end = offset.saturating_add(limit).min(len);

    let shop = Shop::clone(&shop);
    let base = base_url(&req);
    let chunk_starts = (offset..end).step_by(CHUNK);
    let body = chunk_starts.map(move |start| {
        let chunk_end = start.saturating_add(CHUNK).min(end);
        let text = match format {
            Format::Json => json_chunk(&shop, &base, start, chunk_end, start == offset),
            Format::Html => html_chunk(&shop, start, chunk_end),
        };
        Ok::<_, std::io::Error>(Bytes::from(text))
    });
    let (open, close, content_type) = match format {
        Format::Json => ("[", "]", ContentType::json()),
        Format::Html => (HTML_OPEN, HTML_CLOSE, ContentType::html()),
    };
    let body = std::iter::once(Ok(Bytes::from_static(open.as_bytes())))
        .chain(body)
        .chain(std::iter::once(Ok(Bytes::from_static(close.as_bytes()))));
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .streaming(stream::iter(body)))
}

fn json_chunk(shop: &Shop, base: &str, start: usize, end: usize, first: bool) -> String {
    let mut out = String::with_capacity((end - start) * 200);
    for index in start..end {
        let Some(product) = shop.catalog().get(index) else {
            break;
        };
        let offer = shop.offer(&product);
        if !(first && index == start) {
            out.push(',');
        }
        let summary = ProductSummary::new(&product, &offer, base);
        // Serializing a struct of strings and bools cannot fail.
        out.push_str(&serde_json::to_string(&summary).unwrap_or_default());
    }
    out
}

fn html_chunk(shop: &Shop, start: usize, end: usize) -> String {
    let mut out = String::with_capacity((end - start) * 160);
    for index in start..end {
        let Some(product) = shop.catalog().get(index) else {
            break;
        };
        let offer = shop.offer(&product);
        let price = escape(&format_price(offer.amount, offer.currency, product.style));
        let stock = if offer.in_stock {
            ""
        } else {
            " (out of stock)"
        };
        let _ = writeln!(
            out,
            "<li><a href=\"/products/{}\">{}</a> — {price}{stock}</li>",
            escape(&product.slug),
            escape(&product.title),
        );
    }
    out
}

const HTML_OPEN: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
    <title>PriceWatch Demo Shop</title>\n</head>\n<body>\n<h1>PriceWatch Demo Shop</h1>\n\
    <p>Product list as JSON: <a href=\"/?format=json\">/?format=json</a></p>\n<ul class=\"products\">\n";
const HTML_CLOSE: &str = "</ul>\n</body>\n</html>\n";
