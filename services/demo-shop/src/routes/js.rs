//! `/js/*` — the shop as a script-built application: the same catalogue, but
//! each page is an empty shell whose script fetches the offer from
//! `/products/{slug}/price` after a short delay and only then shows it. Plain
//! HTTP sees no price; a browser does.
//!
//! `/js/trouble/{kind}` are such pages whose scripts reach for a private
//! address (`image`, `fetch`, `redirect`, `websocket`): a renderer must refuse
//! them before any connection is made. Each page notes what happened in
//! `#outcome` and adds `#done` when its attempt is over (a redirect leaves
//! the page instead).

use actix_web::http::StatusCode;
use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{HttpResponse, web};

use super::{html, not_found_page};
use crate::Shop;
use crate::page::{document, escape};

/// How long the application waits before it asks for the offer.
pub const PRICE_DELAY_MS: u64 = 150;

/// The private addresses the trouble pages reach for. Nothing listens there,
/// and nothing may ever try.
pub const PRIVATE_HOST: &str = "10.0.0.1";
pub const METADATA_HOST: &str = "169.254.169.254";

pub async fn product_shell(slug: web::Path<String>, shop: web::Data<Shop>) -> HttpResponse {
    if shop.catalog().find(&slug).is_none() {
        return not_found_page().await;
    }
    let body = format!(
        "<div id=\"root\" data-slug=\"{}\"></div>\n\
         <noscript>You need to enable JavaScript to run this shop.</noscript>\n\
         <script src=\"/js/app.js\"></script>\n",
        escape(&slug)
    );
    html(StatusCode::OK, document("Loading…", "", &body))
}

pub async fn app_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType(mime_js()))
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .body(APP_JS.replace("{delay}", &PRICE_DELAY_MS.to_string()))
}

pub async fn trouble(kind: web::Path<String>) -> HttpResponse {
    let attempt = match kind.as_str() {
        "image" => format!(
            "var loaded = false;\n\
             var img = new Image();\n\
             img.onload = function () {{ loaded = true; note('loaded'); }};\n\
             img.src = 'http://{PRIVATE_HOST}/pixel.png';\n\
             document.body.appendChild(img);\n\
             setTimeout(function () {{ if (!loaded) {{ note('refused'); }} }}, 1000);\n"
        ),
        "fetch" => format!(
            "fetch('http://{METADATA_HOST}/latest/meta-data/')\n\
             .then(function (r) {{ note('reached ' + r.status); }})\n\
             .catch(function () {{ note('refused'); }});\n"
        ),
        "redirect" => format!("window.location.href = 'http://{PRIVATE_HOST}/admin';\n"),
        "websocket" => format!(
            "try {{\n\
               var ws = new WebSocket('ws://{PRIVATE_HOST}:8080/socket');\n\
               ws.onopen = function () {{ note('open'); }};\n\
               ws.onerror = function () {{ note('refused'); }};\n\
             }} catch (e) {{ note('refused'); }}\n"
        ),
        _ => return not_found_page().await,
    };
    let body = format!(
        "<h1>Trouble: {kind}</h1>\n<p id=\"outcome\">pending</p>\n<script>\n\
         function note(outcome) {{\n\
           document.getElementById('outcome').textContent = outcome;\n\
           var done = document.createElement('p'); done.id = 'done';\n\
           document.body.appendChild(done);\n\
         }}\n{attempt}</script>\n",
        kind = escape(&kind)
    );
    html(StatusCode::OK, document("Trouble", "", &body))
}

fn mime_js() -> actix_web::mime::Mime {
    "text/javascript; charset=utf-8"
        .parse()
        .unwrap_or(actix_web::mime::APPLICATION_JAVASCRIPT)
}

/// The application: after a delay, the offer as JSON-LD and as visible text.
const APP_JS: &str = r#"(function () {
  var root = document.getElementById('root');
  var slug = root.getAttribute('data-slug');
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  setTimeout(function () {
    fetch('/products/' + encodeURIComponent(slug) + '/price')
      .then(function (r) { return r.json(); })
      .then(function (offer) {
        document.title = offer.title + ' – PriceWatch Demo Shop';
        var ld = document.createElement('script');
        ld.type = 'application/ld+json';
        ld.textContent = JSON.stringify({
          '@context': 'https://schema.org', '@type': 'Product', name: offer.title,
          offers: {'@type': 'Offer', price: offer.price, priceCurrency: offer.currency,
                   availability: 'https://schema.org/' + (offer.in_stock ? 'InStock' : 'OutOfStock')}
        });
        document.head.appendChild(ld);
        root.innerHTML = '<h1>' + esc(offer.title) + '</h1>' +
          '<p class="price">' + esc(offer.price) + ' ' + esc(offer.currency) + '</p>' +
          '<p class="stock">' + (offer.in_stock ? 'In stock' : 'Out of stock') + '</p>';
      });
  }, {delay});
})();
"#;
