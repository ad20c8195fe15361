//! Prometheus metrics: one recorder per process, an actix middleware that times
//! every request by route and status, and the `/metrics` text.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

type Gauge = Box<dyn Fn() + Send + Sync>;
static GAUGES: std::sync::Mutex<Vec<Gauge>> = std::sync::Mutex::new(Vec::new());

/// Runs `update` before every scrape: for gauges read from live state (pool use).
pub fn on_scrape(update: impl Fn() + Send + Sync + 'static) {
    if let Ok(mut gauges) = GAUGES.lock() {
        gauges.push(Box::new(update));
    }
}

const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0,
];

/// Installs the process-wide recorder (first call wins) labelled with `service`.
pub fn install(service: &'static str) -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .add_global_label("service", service)
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".into()),
                    DURATION_BUCKETS,
                )
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    spawn_upkeep(handle.clone());
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!("metrics recorder not installed: {e}");
                    None
                }
            }
        })
        .clone()
}

/// How often recorded samples are folded into the histograms. Without it
/// every sample stays in memory until the next scrape: an api nobody scrapes
/// grows by about 16 bytes a request.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("metrics upkeep not started: {e}");
    }
}

fn describe() {
    metrics::describe_counter!("http_requests_total", "HTTP requests by route and status");
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request duration by route and status"
    );
    metrics::describe_gauge!("pricewatch_service_up", "1 while the service runs");
    metrics::gauge!("pricewatch_service_up").set(1.0);
}

/// The Prometheus text of every metric recorded in this process.
pub fn render() -> String {
    if let Ok(gauges) = GAUGES.lock() {
        for update in gauges.iter() {
            update();
        }
    }
    match HANDLE.get() {
        Some(Some(handle)) => {
            handle.run_upkeep();
            let mut text = handle.render();
            text.push_str(&process_metrics());
            text
        }
        _ => process_metrics(),
    }
}

pub async fn metrics_endpoint() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(render())
}

/// Request count and latency by method, route pattern and status.
pub async fn track_http(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let start = Instant::now();
    let method = req.method().to_string();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    Ok(res)
}

/// CPU seconds and resident memory of this process, read from /proc (Linux).
fn process_metrics() -> String {
    let mut out = String::new();
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // Fields after the command name (which may hold spaces) start at ')'.
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| {
                fields
                    .get(i)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            // utime and stime are fields 14 and 15 of stat: 11 and 12 after ')'.
            let cpu_ticks = ticks(11) + ticks(12);
            let seconds = cpu_ticks as f64 / 100.0;
            out.push_str("# TYPE process_cpu_seconds_total counter\n");
            out.push_str(&format!("process_cpu_seconds_total {seconds}\n"));
            let rss_pages = ticks(21);
            out.push_str("# TYPE process_resident_memory_bytes gauge\n");
            out.push_str(&format!(
                "process_resident_memory_bytes {}\n",
                rss_pages.saturating_mul(4096)
            ));
        }
    }
    out
}
