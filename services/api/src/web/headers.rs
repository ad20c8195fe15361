//! The security headers of every page: a Content-Security-Policy that runs
//! only this origin's scripts (no inline script anywhere), forbids framing and
//! sends forms only here; no caching of pages (they are one user's data).

use actix_web::HttpResponseBuilder;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;

/// Product images come from the shops' own sites, hence `img-src https: http:`.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data: https: http:; connect-src 'self'; form-action 'self'; \
base-uri 'none'; frame-ancestors 'none'";

pub fn page_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// The same headers on a response built by hand (error pages).
pub fn apply_page_headers(res: &mut HttpResponseBuilder) {
    res.insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
}
