//! `GET /products/{slug}` — the product page, with `ETag` and `Last-Modified`,
//! answering conditional requests with 304 while the offer is unchanged.

use std::time::SystemTime;

use actix_web::http::header::{
    self, CacheControl, CacheDirective, ContentType, ETag, EntityTag, HttpDate, IfModifiedSince,
    IfNoneMatch, LastModified,
};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use super::not_found_page;
use crate::Shop;
use crate::page::product_page;

pub async fn show(
    req: HttpRequest,
    slug: web::Path<String>,
    shop: web::Data<Shop>,
) -> HttpResponse {
    let Some(product) = shop.catalog().find(&slug) else {
        return not_found_page().await;
    };
    let offer = shop.offer(&product);
    let etag = EntityTag::new_strong(offer.etag());
    let last_modified = offer.modified_at();
    let unchanged = is_unchanged(&req, &etag, last_modified);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(ETag(etag))
        .insert_header(LastModified(HttpDate::from(last_modified)))
        .insert_header(CacheControl(vec![CacheDirective::NoCache]));
    if unchanged {
        return response.finish();
    }
    response
        .content_type(ContentType::html())
        .body(product_page(&product, &offer))
}

/// RFC 9110 §13.2.2: `If-None-Match` wins; `If-Modified-Since` is only used without it.
fn is_unchanged(req: &HttpRequest, etag: &EntityTag, last_modified: SystemTime) -> bool {
    if req.headers().contains_key(header::IF_NONE_MATCH) {
        return match req.get_header::<IfNoneMatch>() {
            Some(IfNoneMatch::Any) => true,
            Some(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(etag)),
            None => false,
        };
    }
    match req.get_header::<IfModifiedSince>() {
        Some(IfModifiedSince(since)) => SystemTime::from(since) >= last_modified,
        None => false,
    }
}
