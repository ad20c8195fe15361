//! The api's four health endpoints. `/health/detailed` checks every component
//! concurrently, each bounded by a timeout, so it answers within 3 s whatever is down.

use std::time::Duration;

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use pricewatch_ops::health::bounded;
use pricewatch_ops::heartbeat;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const SERVICE: &str = "pricewatch-api";

#[utoipa::path(get, path = "/health/", tag = "health", responses((status = 200, description = "The api answers")))]
pub async fn basic() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "healthy",
        "service": SERVICE,
        "version": pricewatch_ops::VERSION,
    }))
}

#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, description = "The process works")))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({"status": "alive", "service": SERVICE, "version": pricewatch_ops::VERSION}))
}

#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, description = "Database, Redis and RabbitMQ answer"),
    (status = 503, description = "A dependency does not answer"),
))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let (db, redis, amqp) = tokio::join!(
        bounded(check_database(&state)),
        bounded(check_redis(&state)),
        bounded(check_rabbitmq(&state)),
    );
    let mut checks = serde_json::Map::new();
    let mut ok = true;
    for (name, result) in [("database", db), ("redis", redis), ("rabbitmq", amqp)] {
        checks.insert(name.to_owned(), component(result, &mut ok));
    }
    let body = json!({
        "status": if ok { "ready" } else { "not_ready" },
        "service": SERVICE,
        "version": pricewatch_ops::VERSION,
        "checks": checks,
    });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

#[utoipa::path(get, path = "/health/detailed", tag = "health", responses(
    (status = 200, description = "Every component's state; `status` is healthy or degraded"),
))]
pub async fn detailed(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if !may_see_details(&req, &state) {
        return Err(ApiError::Forbidden(
            "the detailed health is for operators: ask from an internal address or with the health token"
                .to_owned(),
        ));
    }
    Ok(Box::pin(detailed_report(&state)).await)
}

/// Clients on loopback or a private network, or anyone with `HEALTH_DETAILED_TOKEN`.
fn may_see_details(req: &HttpRequest, state: &AppState) -> bool {
    if let Some(expected) = &state.settings.health_detailed_token
        && !expected.expose_secret().is_empty()
    {
        let given = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if constant_time_eq(given.as_bytes(), expected.expose_secret().as_bytes()) {
            return true;
        }
    }
    crate::rate_limit::client_ip(req, state).is_some_and(is_internal)
}

fn is_internal(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn detailed_report(state: &AppState) -> HttpResponse {
    let s = &state.settings;
    let (db, redis, amqp, worker, scheduler, notifier, renderer) = tokio::join!(
        bounded(check_database(state)),
        bounded(check_redis(state)),
        bounded(check_rabbitmq(state)),
        bounded(check_service(
            state,
            "scraper-worker",
            &s.scraper_worker_health_url
        )),
        bounded(check_scheduler(state)),
        bounded(check_service(state, "notifier", &s.notifier_health_url)),
        bounded(check_service(state, "renderer", &s.renderer_health_url)),
    );
    let mut ok = true;
    let mut components = serde_json::Map::new();
    for (name, result) in [
        ("database", db),
        ("redis", redis),
        ("rabbitmq", amqp),
        ("scraper_worker", worker),
        ("scheduler", scheduler),
        ("notifier", notifier),
        ("renderer", renderer),
    ] {
        components.insert(name.to_owned(), component(result, &mut ok));
    }
    HttpResponse::Ok().json(json!({
        "status": if ok { "healthy" } else { "degraded" },
        "timestamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "service": SERVICE,
        "version": pricewatch_ops::VERSION,
        "components": components,
    }))
}

fn component(result: Result<Value, String>, ok: &mut bool) -> Value {
    match result {
        Ok(Value::Object(mut details)) => {
            details.insert("status".to_owned(), json!("healthy"));
            // Keep `status` first for people reading the JSON.
            let mut ordered = serde_json::Map::new();
            ordered.insert("status".to_owned(), json!("healthy"));
            ordered.extend(details.into_iter().filter(|(k, _)| k != "status"));
            Value::Object(ordered)
        }
        Ok(_) => json!({"status": "healthy"}),
        Err(error) => {
            *ok = false;
            json!({"status": "unhealthy", "error": error})
        }
    }
}

#[derive(QueryableByName)]
struct DbFacts {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = BigInt)]
    tables: i64,
}

async fn check_database(state: &AppState) -> Result<Value, String> {
    let mut conn = state
        .db
        .get()
        .await
        .map_err(|e| pricewatch_storage::pool::describe_pool_error(&e))?;
    let facts: DbFacts = diesel::sql_query(
        "SELECT version() AS version,
                (SELECT count(*) FROM information_schema.tables
                  WHERE table_schema = current_schema() AND table_type = 'BASE TABLE') AS tables",
    )
    .get_result(&mut conn)
    .await
    .map_err(|e| format!("query failed: {e}"))?;
    let short = facts
        .version
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    Ok(json!({"version": short, "tables": facts.tables}))
}

async fn check_redis(state: &AppState) -> Result<Value, String> {
    let info: String = pricewatch_ops::redis::run(&state.redis, |mut c| async move {
        let _: String = deadpool_redis::redis::cmd("PING")
            .query_async(&mut c)
            .await?;
        deadpool_redis::redis::cmd("INFO").query_async(&mut c).await
    })
    .await
    .map_err(|e| e.to_string())?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_owned())
    };
    let number = |name: &str| field(name).and_then(|v| v.parse::<i64>().ok());
    Ok(json!({
        "version": field("redis_version"),
        "connected_clients": number("connected_clients"),
        "used_memory_human": field("used_memory_human"),
        "uptime_in_seconds": number("uptime_in_seconds"),
    }))
}

async fn check_rabbitmq(state: &AppState) -> Result<Value, String> {
    let topology = pricewatch_bus::Topology::new(&state.settings.common.amqp.queue_prefix);
    let states = pricewatch_bus::inspect::queue_states(
        state.settings.common.amqp.amqp_url.expose_secret(),
        &topology,
        Duration::from_millis(1500),
    )
    .await
    .map_err(|e| format!("cannot connect: {e}"))?;
    let mut depths = serde_json::Map::new();
    let mut dead_letters = 0u64;
    for queue in states {
        let entry = match &queue.depth {
            Some(depth) => {
                if queue.dead_letter {
                    dead_letters += u64::from(depth.messages);
                }
                json!({"messages": depth.messages, "consumers": depth.consumers})
            }
            None => json!({"messages": null, "consumers": null, "note": "not declared yet"}),
        };
        depths.insert(queue.queue, entry);
    }
    Ok(json!({"connection": "open", "queues": depths, "dead_letters": dead_letters}))
}

async fn probe(state: &AppState, base: &url::Url) -> Result<Value, String> {
    let url = base
        .join("/health/ready")
        .map_err(|e| format!("bad probe URL: {e}"))?;
    let response = state
        .http
        .get(url)
        .timeout(Duration::from_millis(1500))
        .send()
        .await
        .map_err(|e| format!("probe unreachable: {}", short_error(&e)))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("probe answered {status}: {body}"))
    }
}

fn short_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection refused".to_owned()
    } else {
        e.to_string()
    }
}

async fn instances(state: &AppState, service: &str) -> Result<Vec<Value>, String> {
    let beats = heartbeat::live_instances(
        &state.redis,
        &state.settings.common.redis.redis_key_prefix,
        service,
    )
    .await
    .map_err(|e| format!("heartbeats unreadable: {e}"))?;
    Ok(beats
        .into_iter()
        .map(|b| json!({"instance_id": b.instance_id, "version": b.version, "started_at": b.started_at}))
        .collect())
}

async fn check_service(state: &AppState, service: &str, base: &url::Url) -> Result<Value, String> {
    let (probe, live) = tokio::join!(probe(state, base), instances(state, service));
    let probe = probe?;
    let live = live.unwrap_or_default();
    Ok(json!({
        "probe": probe.get("checks").cloned().unwrap_or(probe),
        "instances": live.len(),
        "active_instances": live,
    }))
}

async fn check_scheduler(state: &AppState) -> Result<Value, String> {
    let base = &state.settings.scheduler_health_url;
    let (service, schedules) =
        tokio::join!(check_service(state, "scheduler", base), schedules(state));
    let mut service = service?;
    if let Value::Object(map) = &mut service {
        map.insert(
            "scheduled_tasks".to_owned(),
            schedules.unwrap_or_else(|e| json!({"error": e})),
        );
    }
    Ok(service)
}

async fn schedules(state: &AppState) -> Result<Value, String> {
    let mut conn = state
        .db
        .get()
        .await
        .map_err(|e| pricewatch_storage::pool::describe_pool_error(&e))?;
    let rows = pricewatch_storage::queries::schedules::list(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Value::Array(
        rows.into_iter()
            .map(|s| json!({"name": s.name, "last_run_at": s.last_run_at, "next_run_at": s.next_run_at, "last_run_jobs": s.last_run_jobs}))
            .collect(),
    ))
}
