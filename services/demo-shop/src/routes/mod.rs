//! All routes of the shop, wired in one table.

mod error;
pub mod js;
mod listing;
mod price;
mod product;
mod robots;
mod stats;
mod trouble;

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};

pub use error::ShopError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(listing::list))
        .route("/products/{slug}", web::get().to(product::show))
        .service(
            web::resource("/products/{slug}/price")
                .route(web::get().to(price::show))
                .route(web::post().to(price::set))
                .route(web::delete().to(price::restore)),
        )
        .route("/js/app.js", web::get().to(js::app_script))
        .route("/js/products/{slug}", web::get().to(js::product_shell))
        .route("/js/trouble/{kind}", web::get().to(js::trouble))
        .route("/robots.txt", web::get().to(robots::robots_txt))
        .route("/private/{tail:.*}", web::get().to(robots::private_page))
        .service(
            web::scope("/trouble")
                .route("/404", web::get().to(trouble::not_found))
                .route("/500", web::get().to(trouble::server_error))
                .route("/status/{code}", web::get().to(trouble::status))
                .route("/flaky", web::get().to(trouble::flaky))
                .route("/slow", web::get().to(trouble::slow))
                .route("/drip", web::get().to(trouble::drip))
                .route("/huge", web::get().to(trouble::huge))
                .route("/gzip-bomb", web::get().to(trouble::gzip_bomb))
                .route("/not-html", web::get().to(trouble::not_html))
                .route("/redirect", web::get().to(trouble::redirect))
                .route("/redirect-loop", web::get().to(trouble::redirect_loop))
                .route("/redirect-chain", web::get().to(trouble::redirect_chain))
                .route("/no-price", web::get().to(trouble::no_price))
                .route("/captcha", web::get().to(trouble::captcha)),
        )
        .service(
            web::resource("/_stats")
                .route(web::get().to(stats::show))
                .route(web::delete().to(stats::clear)),
        )
        .route("/_reset", web::post().to(stats::reset))
        .default_service(web::to(not_found_page));
}

/// Whether a request path is shop administration, which is not counted.
pub fn is_admin_path(path: &str) -> bool {
    path.starts_with("/_")
}

pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(body)
}

/// `http://host:port` as the client addressed the shop, for absolute URLs.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

pub async fn not_found_page() -> HttpResponse {
    html(
        StatusCode::NOT_FOUND,
        crate::page::document(
            "Page not found",
            "",
            "<h1>Page not found</h1>\n<p>Sorry, this page does not exist.</p>\n",
        ),
    )
}

/// Reads an optional query parameter; a malformed one is a 400.
pub fn query_param<T: std::str::FromStr>(
    req: &HttpRequest,
    name: &str,
) -> Result<Option<T>, ShopError> {
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ShopError::bad_query(e.to_string()))?;
    match query.iter().find(|(key, _)| key == name) {
        None => Ok(None),
        Some((_, value)) => value.parse().map(Some).map_err(|_| {
            ShopError::bad_query(format!("query parameter `{name}` is malformed: {value:?}"))
        }),
    }
}
