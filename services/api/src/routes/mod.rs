//! Every route of the api, in one table, and the OpenAPI document built from them.

pub mod auth;
pub mod health;
pub mod me;
pub mod notifications;
pub mod products;
pub mod watches;

use actix_web::web;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "PriceWatch API", description = "Track product prices and get an email when they drop to your target."),
    paths(
        auth::register, auth::login, me::me,
        watches::create::create, watches::list::list, watches::get::get,
        watches::update::update, watches::delete::delete, watches::check::check_now,
        products::get, products::prices,
        notifications::list,
        health::basic, health::live, health::ready, health::detailed,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and access tokens"),
        (name = "watches", description = "Products you watch and their targets"),
        (name = "products", description = "Product pages and their price history"),
        (name = "notifications", description = "Price-drop alerts"),
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
                    .build(),
            ),
        );
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/auth/register", web::post().to(auth::register))
            .route("/auth/login", web::post().to(auth::login))
            .route("/me", web::get().to(me::me))
            .route("/watches", web::post().to(watches::create::create))
            .route("/watches", web::get().to(watches::list::list))
            .route("/watches/{id}", web::get().to(watches::get::get))
            .route("/watches/{id}", web::patch().to(watches::update::update))
            .route("/watches/{id}", web::delete().to(watches::delete::delete))
            .route(
                "/watches/{id}/check",
                web::post().to(watches::check::check_now),
            )
            .route("/products/{id}", web::get().to(products::get))
            .route("/products/{id}/prices", web::get().to(products::prices))
            .route("/notifications", web::get().to(notifications::list)),
    )
    .route("/health", web::get().to(health::basic))
    .route("/health/", web::get().to(health::basic))
    .route("/health/live", web::get().to(health::live))
    .route("/health/ready", web::get().to(health::ready))
    .route("/health/detailed", web::get().to(health::detailed))
    .route(
        "/metrics",
        web::get().to(pricewatch_ops::metrics::metrics_endpoint),
    );
}
