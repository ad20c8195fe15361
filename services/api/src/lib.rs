//! The PriceWatch REST api (actix-web). `main.rs` hands [`run`] to the shared
//! start-up; tests start the same [`Application`] on port 0.

pub mod account;
pub mod auth;
pub mod dto;
pub mod error;
pub mod extract;
pub mod rate_limit;
pub mod request_id;
pub mod resolve;
pub mod routes;
pub mod settings;
pub mod state;
pub mod watch_actions;
pub mod web;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use pricewatch_ops::heartbeat::{self, Heartbeat};
use pricewatch_storage::PoolSettings;
use secrecy::ExposeSecret;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, ErrorBody};
pub use crate::settings::Settings;
use crate::state::AppState;

pub const SERVICE: &str = "api";

/// Serves until SIGTERM/SIGINT: what `main` runs.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind;
    let app = Application::build(settings).await?;
    tracing::info!(%bind, "pricewatch-api listening");
    app.run_until_stopped().await?;
    Ok(())
}

pub struct Application {
    port: u16,
    server: Server,
    shutdown: pricewatch_ops::shutdown::ShutdownTrigger,
}

impl Application {
    /// Connects the pools, optionally migrates, binds and builds the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {} (API_BIND)", settings.bind))?;
        Self::build_with_listener(settings, listener).await
    }

    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        Self::build_with_resolver(settings, listener, Arc::new(resolve::SystemResolver)).await
    }

    /// As [`Application::build_with_listener`], with the resolver that the
    /// address policy of new channels asks (tests give a fixed table).
    pub async fn build_with_resolver(
        settings: Settings,
        listener: TcpListener,
        resolver: Arc<dyn pricewatch_egress::AddressResolver>,
    ) -> anyhow::Result<Self> {
        pricewatch_ops::metrics::install(SERVICE);
        if settings.run_migrations {
            let applied = pricewatch_storage::migrate::run_pending(
                settings.common.database.database_url.expose_secret(),
            )
            .await
            .context("RUN_MIGRATIONS: migrations failed")?;
            tracing::info!(count = applied.len(), "migrations applied");
        }
        let db = pricewatch_storage::connect_pool(
            settings.common.database.database_url.expose_secret(),
            &PoolSettings {
                max_size: usize::from(settings.common.database.database_pool_size),
                ..PoolSettings::default()
            },
        )
        .context("DATABASE_URL: cannot build the pool")?;
        {
            let db = db.clone();
            pricewatch_ops::metrics::on_scrape(move || {
                pricewatch_storage::pool::record_pool_metrics(&db)
            });
        }
        let redis = pricewatch_ops::redis::connect_pool(&settings.common.redis.redis_url, 16)
            .context("REDIS_URL: cannot build the pool")?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .connect_timeout(Duration::from_secs(1))
            .build()
            .context("cannot build the HTTP client")?;
        let (trigger, shutdown) = pricewatch_ops::shutdown::channel();
        tokio::spawn(heartbeat::run(
            redis.clone(),
            settings.common.redis.redis_key_prefix.clone(),
            Heartbeat::new(SERVICE),
            shutdown,
        ));
        let port = listener.local_addr()?.port();
        let workers = settings.worker_count();
        let state = actix_web::web::Data::new(AppState {
            db,
            redis,
            tokens: auth::token::TokenKeys::new(
                settings.secret_bytes(),
                settings.access_token_ttl_seconds,
            ),
            settings,
            http,
            resolver,
        });
        let openapi = routes::ApiDoc::openapi();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(
                    actix_web::web::PathConfig::default().error_handler(|_, req| {
                        // A page's malformed id is the web app's 404 page.
                        if req.path().starts_with("/api/") {
                            ApiError::NotFound("resource").into()
                        } else {
                            crate::web::error::WebError::NotFound.into()
                        }
                    }),
                )
                .app_data(
                    actix_web::web::QueryConfig::default().error_handler(|err, _| {
                        ApiError::validation("query", err.to_string()).into()
                    }),
                )
                .configure(routes::configure)
                .configure(crate::web::configure)
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
                .route("/docs", actix_web::web::get().to(docs_redirect))
                .default_service(actix_web::web::to(not_found))
                .wrap(cors(&state.settings.cors_allowed_origins))
                .wrap(actix_web::middleware::from_fn(cors_refusal_as_json))
                .wrap(actix_web::middleware::from_fn(
                    pricewatch_ops::metrics::track_http,
                ))
                .wrap(sentry_actix::Sentry::new())
                .wrap(actix_web::middleware::from_fn(request_id::assign))
        })
        .workers(workers)
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            shutdown: trigger,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT (actix handles the signals), then drains.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.shutdown.trigger();
        result
    }
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([actix_web::http::header::HeaderName::from_static(
            "x-request-id",
        )])
        .max_age(3600);
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// actix-cors answers a refused preflight in plain text; clients get our JSON shape.
async fn cors_refusal_as_json(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let refusal = res
        .response()
        .error()
        .and_then(|e| e.as_error::<actix_cors::CorsError>())
        .map(ToString::to_string);
    match refusal {
        Some(message) => {
            let status = res.status();
            Ok(
                res.into_response(HttpResponse::build(status).json(ErrorBody {
                    error: "cors_refused".to_owned(),
                    message,
                    field: None,
                })),
            )
        }
        None => Ok(res.map_into_boxed_body()),
    }
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", "/docs/"))
        .finish()
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    // A browser asking for a page gets the web app's 404 page; clients of the
    // REST API (and anything under /api/) keep the JSON shape.
    let wants_html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !req.path().starts_with("/api/") {
        return web::error::not_found_page(&req).await;
    }
    HttpResponse::NotFound().json(ErrorBody {
        error: "not_found".to_owned(),
        message: format!("no route for {} {}", req.method(), req.path()),
        field: None,
    })
}
