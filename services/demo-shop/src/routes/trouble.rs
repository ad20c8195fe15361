//! `/trouble/*` — pages that misbehave in the ways real shops do, for the
//! scraper's tests. Bodies that are large or slow are streamed, never held.

use std::time::Duration;

use actix_web::body::SizedStream;
use actix_web::http::header::{self, ContentType, HeaderValue};
use actix_web::http::{StatusCode, header::CONTENT_ENCODING};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use bytes::Bytes;
use futures_util::{StreamExt, stream};

use super::{ShopError, html, query_param};
use crate::Shop;
use crate::page::{document, fixture_product_page};

type Reply = Result<HttpResponse, ShopError>;

fn status_from(code: u16) -> Result<StatusCode, ShopError> {
    StatusCode::from_u16(code)
        .ok()
        .filter(|status| (200..=599).contains(&status.as_u16()))
        .ok_or_else(|| ShopError::bad_query(format!("status {code} is not between 200 and 599")))
}

fn status_page(status: StatusCode) -> String {
    let reason = status.canonical_reason().unwrap_or("Status");
    let code = status.as_u16();
    document(reason, "", &format!("<h1>{code} {reason}</h1>\n"))
}

pub async fn not_found() -> HttpResponse {
    html(StatusCode::NOT_FOUND, status_page(StatusCode::NOT_FOUND))
}

pub async fn server_error() -> HttpResponse {
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    html(status, status_page(status))
}

/// `/trouble/status/{code}?retry_after=SECS`, e.g. 429 or 503 with `Retry-After`.
pub async fn status(req: HttpRequest, code: web::Path<u16>) -> Reply {
    let status = status_from(*code)?;
    let retry_after = query_param::<u64>(&req, "retry_after")?;
    let mut response = HttpResponse::build(status);
    with_retry_after(&mut response, retry_after);
    Ok(response
        .content_type(ContentType::html())
        .body(status_page(status)))
}

fn with_retry_after(response: &mut HttpResponseBuilder, seconds: Option<u64>) {
    if let Some(seconds) = seconds {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
}

/// `/trouble/flaky?fail=N&key=K&retry_after=SECS`: the first N requests for K
/// get 503, later ones the product page.
pub async fn flaky(req: HttpRequest, shop: web::Data<Shop>) -> Reply {
    let fail = query_param::<u32>(&req, "fail")?.unwrap_or(2);
    let key = query_param::<String>(&req, "key")?.unwrap_or_default();
    let retry_after = query_param::<u64>(&req, "retry_after")?;
    if shop.flaky_attempt(&key) < fail {
        let status = StatusCode::SERVICE_UNAVAILABLE;
        let mut response = HttpResponse::build(status);
        with_retry_after(&mut response, retry_after);
        return Ok(response
            .content_type(ContentType::html())
            .body(status_page(status)));
    }
    Ok(html(
        StatusCode::OK,
        fixture_product_page("Flaky Gadget", 1999),
    ))
}

/// `/trouble/slow?ms=30000`: the product page, after a delay (at most 10 min).
pub async fn slow(req: HttpRequest) -> Reply {
    let ms = query_param::<u64>(&req, "ms")?
        .unwrap_or(30_000)
        .min(600_000);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(html(
        StatusCode::OK,
        fixture_product_page("Slow Gadget", 1000),
    ))
}

const DRIP_HEAD: &str = "<!doctype html>\n<html><head><title>Drip</title></head><body>\n";
const DRIP_TAIL: &str = "\n</body></html>\n";

/// `/trouble/drip?interval_ms=1000&bytes=600`: the head at once, then one byte
/// per interval, so only a total (not a read) timeout stops it.
pub async fn drip(req: HttpRequest) -> Reply {
    let interval = query_param::<u64>(&req, "interval_ms")?
        .unwrap_or(1000)
        .max(1);
    let bytes = query_param::<u32>(&req, "bytes")?
        .unwrap_or(600)
        .min(1_000_000);
    let interval = Duration::from_millis(interval);
    let drops = stream::unfold(bytes, move |left| async move {
        if left == 0 {
            return None;
        }
        tokio::time::sleep(interval).await;
        Some((Bytes::from_static(b" "), left - 1))
    });
    let body = stream::once(async { Bytes::from_static(DRIP_HEAD.as_bytes()) })
        .chain(drops)
        .chain(stream::once(async {
            Bytes::from_static(DRIP_TAIL.as_bytes())
        }))
        .map(Ok::<_, std::io::Error>);
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .streaming(body))
}

const FILLER_LEN: usize = 64 * 1024;
static FILLER: [u8; FILLER_LEN] = filler();

const fn filler() -> [u8; FILLER_LEN] {
    let pattern = b"lorem ipsum dolor sit amet, consectetur adipiscing elit ";
    let mut out = [0u8; FILLER_LEN];
    let mut i = 0;
    while i < FILLER_LEN {
        out[i] = pattern[i % pattern.len()];
        i += 1;
    }
    out
}

const HUGE_HEAD: &str = "<!doctype html>\n<html><head><title>Huge</title></head><body><p>";
const HUGE_TAIL: &str = "</p></body></html>\n";

/// `/trouble/huge?mb=50&chunked=false`: an HTML body of `mb` MiB, with a
/// `Content-Length` unless `chunked=true`.
pub async fn huge(req: HttpRequest) -> Reply {
    let mb = query_param::<u64>(&req, "mb")?.unwrap_or(50).min(4096);
    let chunked = query_param::<bool>(&req, "chunked")?.unwrap_or(false);
    let total = (mb * 1024 * 1024).max(HUGE_HEAD.len() as u64 + HUGE_TAIL.len() as u64);
    let filler_total = total - HUGE_HEAD.len() as u64 - HUGE_TAIL.len() as u64;
    let chunk = FILLER_LEN as u64;
    let pieces = (0..filler_total.div_ceil(chunk)).map(move |i| {
        let len = (filler_total - i * chunk).min(chunk);
        Bytes::from_static(&FILLER[..usize::try_from(len).unwrap_or(FILLER_LEN)])
    });
    let body = std::iter::once(Bytes::from_static(HUGE_HEAD.as_bytes()))
        .chain(pieces)
        .chain(std::iter::once(Bytes::from_static(HUGE_TAIL.as_bytes())))
        .map(Ok::<_, std::io::Error>);
    let body = stream::iter(body);
    let mut response = HttpResponse::Ok();
    response.content_type(ContentType::html());
    Ok(if chunked {
        response.streaming(body)
    } else {
        response.body(SizedStream::new(total, body))
    })
}

/// `/trouble/gzip-bomb?mb=1024`: `Content-Encoding: gzip`, about 1 MiB on the
/// wire, `mb` MiB (default 1 GiB) once inflated.
pub async fn gzip_bomb(req: HttpRequest, shop: web::Data<Shop>) -> Reply {
    let mb = query_param::<u32>(&req, "mb")?
        .unwrap_or(1024)
        .clamp(1, 16_384);
    let bomb = shop.gzip_bomb();
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((CONTENT_ENCODING, "gzip"))
        .body(SizedStream::new(bomb.body_len(mb), bomb.body(mb))))
}

/// A 1×1 transparent PNG.
const PNG: [u8; 68] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// Binary bytes with a price-like text inside, to tempt a careless extractor.
const OCTETS: &[u8] =
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00<span class=\"price\">12.34 EUR</span>\x00\xff\xfe";

/// `/trouble/not-html?type=png|octet`: an image or an octet stream.
pub async fn not_html(req: HttpRequest) -> Reply {
    match query_param::<String>(&req, "type")?.as_deref() {
        None | Some("png") => Ok(HttpResponse::Ok().content_type("image/png").body(&PNG[..])),
        Some("octet") => Ok(HttpResponse::Ok()
            .content_type(ContentType::octet_stream())
            .body(OCTETS)),
        Some(kind) => Err(ShopError::bad_query(format!(
            "unknown type {kind:?}: use png or octet"
        ))),
    }
}

fn redirect_to(status: StatusCode, location: &str) -> Reply {
    let location = HeaderValue::from_str(location)
        .map_err(|_| ShopError::bad_query("`to` is not a valid Location header value"))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::LOCATION, location))
        .finish())
}

/// `/trouble/redirect?to=URL&status=302`: redirects anywhere (SSRF tests).
pub async fn redirect(req: HttpRequest) -> Reply {
    let to = query_param::<String>(&req, "to")?
        .ok_or_else(|| ShopError::bad_query("`to` is required"))?;
    let status = status_from(query_param::<u16>(&req, "status")?.unwrap_or(302))?;
    if !status.is_redirection() {
        return Err(ShopError::bad_query("`status` must be a 3xx code"));
    }
    redirect_to(status, &to)
}

/// Redirects to itself.
pub async fn redirect_loop() -> Reply {
    redirect_to(StatusCode::FOUND, "/trouble/redirect-loop")
}

/// `/trouble/redirect-chain?hops=N`: N redirects, then a product page.
pub async fn redirect_chain(req: HttpRequest) -> Reply {
    let hops = query_param::<u32>(&req, "hops")?.unwrap_or(100);
    if hops == 0 {
        return Ok(html(
            StatusCode::OK,
            fixture_product_page("Chained Gadget", 1500),
        ));
    }
    let next = format!("/trouble/redirect-chain?hops={}", hops - 1);
    redirect_to(StatusCode::FOUND, &next)
}

/// A product page that states no price at all.
pub async fn no_price() -> HttpResponse {
    let body = "<article class=\"product\">\n<h1>Mystery Gadget</h1>\n\
        <p class=\"stock\">Price on request. Call our sales team.</p>\n</article>\n";
    html(StatusCode::OK, document("Mystery Gadget", "", body))
}

/// `/trouble/captcha?status=200`: a bot wall instead of the product.
pub async fn captcha(req: HttpRequest) -> Reply {
    let status = status_from(query_param::<u16>(&req, "status")?.unwrap_or(200))?;
    let body = "<h1>Are you a robot?</h1>\n\
        <p>To continue, please confirm that you are a human. Enter the characters you see below.</p>\n\
        <form action=\"/trouble/captcha\" method=\"post\"><div class=\"g-recaptcha\" data-sitekey=\"demo\"></div>\n\
        <input name=\"captcha\"><button>Continue</button></form>\n";
    Ok(html(status, document("Are you a robot?", "", body)))
}
