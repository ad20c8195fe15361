//! The probe server each background service runs on its own port:
//! `/health/live` (never touches a dependency), `/health/ready` (its own
//! dependencies, 200 or 503) and `/metrics`.

use std::future::Future;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Serialize;
use serde_json::json;

/// How long any single dependency check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// One named dependency check: `Ok(details)` or `Err(reason)`.
pub type CheckFuture = Pin<Box<dyn Future<Output = Result<serde_json::Value, String>> + Send>>;
pub type ReadyChecks = Arc<dyn Fn() -> Vec<(&'static str, CheckFuture)> + Send + Sync>;

#[derive(Debug, Serialize)]
pub struct ReadyReport {
    pub status: &'static str,
    pub service: &'static str,
    pub version: &'static str,
    pub checks: serde_json::Map<String, serde_json::Value>,
}

/// Runs the checks concurrently, each bounded by [`CHECK_TIMEOUT`].
pub async fn run_checks(
    service: &'static str,
    checks: Vec<(&'static str, CheckFuture)>,
) -> ReadyReport {
    let names: Vec<&'static str> = checks.iter().map(|(n, _)| *n).collect();
    let results =
        futures_util::future::join_all(checks.into_iter().map(|(_, fut)| bounded(fut))).await;
    let mut ready = true;
    let mut map = serde_json::Map::new();
    for (name, result) in names.into_iter().zip(results) {
        let value = match result {
            Ok(details) => json!({"status": "healthy", "details": details}),
            Err(error) => {
                ready = false;
                json!({"status": "unhealthy", "error": error})
            }
        };
        map.insert(name.to_owned(), value);
    }
    ReadyReport {
        status: if ready { "ready" } else { "not_ready" },
        service,
        version: crate::VERSION,
        checks: map,
    }
}

/// A check future bounded by [`CHECK_TIMEOUT`].
pub async fn bounded<F>(fut: F) -> Result<serde_json::Value, String>
where
    F: Future<Output = Result<serde_json::Value, String>>,
{
    match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
    }
}

struct ProbeState {
    service: &'static str,
    checks: ReadyChecks,
}

async fn live(state: web::Data<ProbeState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "alive",
        "service": state.service,
        "version": crate::VERSION,
    }))
}

async fn ready(state: web::Data<ProbeState>) -> HttpResponse {
    let report = run_checks(state.service, (state.checks)()).await;
    if report.status == "ready" {
        HttpResponse::Ok().json(report)
    } else {
        HttpResponse::ServiceUnavailable().json(report)
    }
}

/// Starts the probe server on an already-bound listener (port 0 in tests).
pub fn serve_probe(
    listener: TcpListener,
    service: &'static str,
    checks: ReadyChecks,
) -> std::io::Result<Server> {
    let state = web::Data::new(ProbeState { service, checks });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(actix_web::middleware::from_fn(crate::metrics::track_http))
            .route("/health/live", web::get().to(live))
            .route("/health/ready", web::get().to(ready))
            .route("/metrics", web::get().to(crate::metrics::metrics_endpoint))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok(server)
}
