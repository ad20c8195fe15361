//! Every route of the api, in one table, and the OpenAPI document built from them.

pub mod auth;
pub mod channels;
pub mod export;
pub mod feed;
pub mod health;
pub mod imports;
pub mod me;
pub mod notifications;
pub mod products;
pub mod tags;
pub mod tokens;
pub mod watches;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ErrorBody;
use me::AccountSettingsValues;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "PriceWatch API", description = "Track product prices and get an email when they drop to your target."),
    paths(
        auth::register, auth::login, me::me, me::update_settings, me::change_password,
        watches::create::create, watches::list::list, watches::get::get,
        watches::update::update, watches::delete::delete, watches::check::check_now,
        products::get, products::prices,
        notifications::list,
        channels::create::create, channels::list::list, channels::list::get,
        channels::update::update, channels::delete::delete, channels::test::send_test,
        tokens::create, tokens::list, tokens::revoke,
        tags::list, tags::pause, tags::resume, tags::delete_watches,
        imports::import, export::export,
        feed::rotate, feed::show, feed::delete, feed::atom,
        crate::web::pages::unsubscribe::unsubscribe,
        health::basic, health::live, health::ready, health::detailed,
    ),
    modifiers(&BearerAuth, &AccountSettingsValues),
    tags(
        (name = "auth", description = "Accounts and access tokens"),
        (name = "watches", description = "Products you watch and their targets"),
        (name = "products", description = "Product pages and their price history"),
        (name = "notifications", description = "Price-drop alerts"),
        (name = "channels", description = "Where alerts go: ntfy, Telegram, Discord, Slack, Pushover, Gotify, Matrix, email, webhooks"),
        (name = "tokens", description = "Personal API tokens for scripts"),
        (name = "tags", description = "Groups of watches, and actions on a whole group"),
        (name = "import and export", description = "Bring a list of watches in; take watches and price history out"),
        (name = "feed", description = "An Atom feed of your alerts, at a secret URL"),
        (name = "health", description = "Probes for operators"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from POST /api/v1/auth/login."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pw_…")
                    .description(Some(
                        "A personal API token from POST /api/v1/tokens. A token with only \
                         the read scope may send GET requests; other methods need write.",
                    ))
                    .build(),
            ),
        );
        // Every route that takes a login token also takes a personal API token
        // (the `AuthUser` extractor accepts both): declared once, here.
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if let Some(security) = op.security.as_mut().filter(|s| !s.is_empty()) {
                    security.push(SecurityRequirement::new("api_token", Vec::<String>::new()));
                }
            }
        }
    }
}

/// A path and the methods it serves; any other method is a 405 naming them in `Allow`.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        method_not_allowed(&req, allow)
    }))
}

fn method_not_allowed(req: &HttpRequest, allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .json(ErrorBody {
            error: "method_not_allowed".to_owned(),
            message: format!("{} {} is not served; use {allow}", req.method(), req.path()),
            field: None,
        })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            // Every answer is one user's data, some carry tokens: never cached.
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .service(resource("/auth/register", "POST").route(web::post().to(auth::register)))
            .service(resource("/auth/login", "POST").route(web::post().to(auth::login)))
            .service(
                resource("/me", "GET, PATCH")
                    .route(web::get().to(me::me))
                    .route(web::patch().to(me::update_settings)),
            )
            .service(resource("/me/password", "POST").route(web::post().to(me::change_password)))
            .service(
                resource("/watches", "GET, POST")
                    .route(web::post().to(watches::create::create))
                    .route(web::get().to(watches::list::list)),
            )
            .service(
                resource("/watches/{id}", "GET, PATCH, DELETE")
                    .route(web::get().to(watches::get::get))
                    .route(web::patch().to(watches::update::update))
                    .route(web::delete().to(watches::delete::delete)),
            )
            .service(
                resource("/watches/{id}/check", "POST")
                    .route(web::post().to(watches::check::check_now)),
            )
            .service(resource("/products/{id}", "GET").route(web::get().to(products::get)))
            .service(
                resource("/products/{id}/prices", "GET").route(web::get().to(products::prices)),
            )
            .service(resource("/notifications", "GET").route(web::get().to(notifications::list)))
            .service(
                resource("/channels", "GET, POST")
                    .route(web::post().to(channels::create::create))
                    .route(web::get().to(channels::list::list)),
            )
            .service(
                resource("/channels/{id}", "GET, PATCH, DELETE")
                    .route(web::get().to(channels::list::get))
                    .route(web::patch().to(channels::update::update))
                    .route(web::delete().to(channels::delete::delete)),
            )
            .service(
                resource("/channels/{id}/test", "POST")
                    .route(web::post().to(channels::test::send_test)),
            )
            .service(
                resource("/tokens", "GET, POST")
                    .route(web::post().to(tokens::create))
                    .route(web::get().to(tokens::list)),
            )
            .service(resource("/tokens/{id}", "DELETE").route(web::delete().to(tokens::revoke)))
            .service(resource("/tags", "GET").route(web::get().to(tags::list)))
            .service(resource("/tags/{tag}/pause", "POST").route(web::post().to(tags::pause)))
            .service(resource("/tags/{tag}/resume", "POST").route(web::post().to(tags::resume)))
            .service(
                resource("/tags/{tag}/watches", "DELETE")
                    .route(web::delete().to(tags::delete_watches)),
            )
            .service(resource("/imports", "POST").route(web::post().to(imports::import)))
            .service(resource("/export", "GET").route(web::get().to(export::export)))
            .service(
                resource("/feed/token", "GET, POST, DELETE")
                    .route(web::get().to(feed::show))
                    .route(web::post().to(feed::rotate))
                    .route(web::delete().to(feed::delete)),
            ),
    )
    // The token in the path is the credential; never cached either.
    .service(
        resource("/feeds/{feed_token}.atom", "GET")
            .route(web::get().to(feed::atom))
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store"))),
    )
    .service(resource("/health", "GET").route(web::get().to(health::basic)))
    .service(resource("/health/", "GET").route(web::get().to(health::basic)))
    .service(resource("/health/live", "GET").route(web::get().to(health::live)))
    .service(resource("/health/ready", "GET").route(web::get().to(health::ready)))
    .service(
        resource("/health/detailed", "GET")
            .route(web::get().to(health::detailed))
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store"))),
    )
    .service(
        resource("/metrics", "GET").route(web::get().to(pricewatch_ops::metrics::metrics_endpoint)),
    );
}
