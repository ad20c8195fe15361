//! `/robots.txt` allows everything but `/private/`, and `/private/...` serves a
//! product page with a price, so a scraper that ignores robots.txt is caught
//! both by the request counters and by the price it records.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;

use super::html;
use crate::page::fixture_product_page;

pub const ROBOTS_TXT: &str = "User-agent: *\nDisallow: /private/\nAllow: /\n";

pub async fn robots_txt() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .body(ROBOTS_TXT)
}

pub async fn private_page() -> HttpResponse {
    html(
        StatusCode::OK,
        fixture_product_page("Private Prototype", 100),
    )
}
