//! The pages' static files, embedded in the binary (no CDN: the app works
//! offline) and served under a name that carries a hash of their content, so
//! that they can be cached for a year and a new build is fetched at once.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

pub struct Asset {
    /// The name pages link to, e.g. `app.3f2a9c1b.css`.
    pub path: String,
    pub logical: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const FILES: [(&str, &str, &[u8]); 4] = [
    (
        "htmx.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/htmx-2.0.11.min.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../static/icon.svg"),
    ),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(logical, content_type, body)| {
            let digest = Sha256::digest(body);
            let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
            let (stem, ext) = logical.rsplit_once('.').unwrap_or((logical, ""));
            Asset {
                path: format!("/static/{stem}.{hash}.{ext}"),
                logical,
                content_type,
                body,
            }
        })
        .collect()
});

/// The URL of an asset by its logical name (`app.css`).
pub fn url(logical: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.logical == logical)
        .map_or("/static/missing", |a| a.path.as_str())
}

pub async fn serve(name: web::Path<String>) -> HttpResponse {
    let wanted = format!("/static/{}", name.into_inner());
    match ASSETS.iter().find(|a| a.path == wanted) {
        Some(asset) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(asset.body),
        None => HttpResponse::NotFound()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
    }
}

/// Every asset's size, and gzip's, for the size budget test.
pub fn all() -> &'static [Asset] {
    &ASSETS
}
