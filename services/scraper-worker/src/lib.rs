//! The scraper-worker: consumes `CheckPrice` jobs, fetches the page through the
//! SSRF guard, extracts the price and records it with its alerts in one transaction.

pub mod check;
pub mod fetch;
pub mod outbox;
pub mod render;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use pricewatch_bus::Bus;
use pricewatch_ops::dependencies::Dependencies;
use pricewatch_ops::service::ServiceBase;
use pricewatch_ops::settings::ServiceSettings;
use pricewatch_storage::queries::checks::AlertLimits;

pub const SERVICE: &str = "scraper-worker";

#[derive(Debug, Clone, Parser)]
#[command(
    name = "pricewatch-scraper-worker",
    version,
    about = "PriceWatch scraper-worker"
)]
pub struct Settings {
    /// Address of this service's health probe.
    #[arg(
        long,
        env = "SCRAPER_WORKER_HEALTH_BIND",
        default_value = "127.0.0.1:8001"
    )]
    pub health_bind: SocketAddr,
    /// Checks in flight in this instance.
    #[arg(long, env = "SCRAPER_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    #[arg(long, env = "FETCH_CONNECT_TIMEOUT_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub fetch_connect_timeout_seconds: u64,
    #[arg(long, env = "FETCH_TIMEOUT_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub fetch_timeout_seconds: u64,
    /// Largest page body accepted, after decompression.
    #[arg(long, env = "FETCH_MAX_BODY_BYTES", default_value_t = 5_242_880, value_parser = clap::value_parser!(u64).range(1024..=104_857_600))]
    pub fetch_max_body_bytes: u64,
    #[arg(long, env = "FETCH_MAX_REDIRECTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub fetch_max_redirects: u32,
    #[arg(
        long,
        env = "FETCH_USER_AGENT",
        default_value = "PriceWatchBot/0.1 (+https://github.com/pricewatch/pricewatch)"
    )]
    pub fetch_user_agent: String,
    /// Minimum gap between two requests to one domain, in milliseconds.
    #[arg(long, env = "DOMAIN_MIN_INTERVAL_MS", default_value_t = 1000)]
    pub domain_min_interval_ms: u64,
    /// Requests in flight per domain, across all workers.
    #[arg(long, env = "DOMAIN_MAX_CONCURRENCY", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub domain_max_concurrency: u32,
    /// Longest wait for a turn on a busy domain; then the check is postponed (handed
    /// back to the scheduler for 30-60 s) without counting as a failure.
    #[arg(long, env = "POLITENESS_MAX_WAIT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub politeness_max_wait_seconds: u64,
    #[arg(long, env = "RESPECT_ROBOTS_TXT", default_value_t = true, action = clap::ArgAction::Set)]
    pub respect_robots_txt: bool,
    /// A drop larger than this share of the last price is confirmed by a second fetch.
    #[arg(long, env = "SUSPICIOUS_DROP_RATIO", default_value = "0.5")]
    pub suspicious_drop_ratio: rust_decimal::Decimal,
    /// Most alerts one user gets in any 24 hours; beyond it alerts wait (their
    /// rules stay ready) until the window frees a slot.
    #[arg(long, env = "ALERTS_PER_USER_PER_DAY", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub alerts_per_user_per_day: u32,
    /// The renderer service for pages built by scripts, e.g.
    /// http://127.0.0.1:8005; empty: pages are only fetched over HTTP.
    #[arg(long, env = "RENDERER_URL", default_value = "", value_parser = parse_renderer_url)]
    pub renderer_url: RendererUrl,
    /// Dev/test only: allow fetching loopback addresses (the demo shop).
    #[arg(long, env = "ALLOW_LOOPBACK_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_loopback_targets: bool,
    #[command(flatten)]
    pub common: ServiceSettings,
}

/// `RENDERER_URL`: an http(s) URL, or empty for none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RendererUrl(pub Option<url::Url>);

fn parse_renderer_url(raw: &str) -> Result<RendererUrl, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(RendererUrl(None));
    }
    match url::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(RendererUrl(Some(url))),
        _ => Err(format!(
            "{raw:?} is not an http(s) URL like http://127.0.0.1:8005"
        )),
    }
}

impl pricewatch_ops::start::ServiceBinary for Settings {
    const BINARY: &'static str = "pricewatch-scraper-worker";
    const SERVICE: &'static str = SERVICE;
    fn common(&self) -> &ServiceSettings {
        &self.common
    }
}

/// Runs until SIGTERM/SIGINT.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let probe = TcpListener::bind(settings.health_bind).with_context(|| {
        format!(
            "cannot listen on {} (SCRAPER_WORKER_HEALTH_BIND)",
            settings.health_bind
        )
    })?;
    run_with_listener(settings, probe).await
}

pub async fn run_with_listener(settings: Settings, probe: TcpListener) -> anyhow::Result<()> {
    run_until_stopped(settings, probe, std::future::pending()).await
}

/// Runs until SIGTERM/SIGINT or until `stop` resolves (tests), then stops
/// gracefully.
pub async fn run_until_stopped(
    settings: Settings,
    probe: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Politeness polls Redis while jobs wait for a turn on their domain.
    let redis_pool_size = usize::from(settings.concurrency).clamp(4, 64);
    let deps = Dependencies::connect(SERVICE, &settings.common, redis_pool_size)?;
    let checks = deps.ready_checks();
    let Dependencies { db, redis, bus } = deps;
    let base = ServiceBase::start(
        SERVICE,
        probe,
        redis.clone(),
        settings.common.redis.redis_key_prefix.clone(),
        checks,
    )?;
    tracing::info!(probe_port = base.probe_port(), "scraper-worker started");
    let trigger = base.trigger();
    let stopper = tokio::spawn(async move {
        stop.await;
        trigger.trigger();
    });
    let cancel = pricewatch_bus::CancellationToken::new();
    let checker = Arc::new(checker(&settings, db, redis, bus.clone(), cancel.clone())?);
    let relay = tokio::spawn(outbox::run(Arc::clone(&checker), base.shutdown.clone()));
    let cancel_on_shutdown = {
        let (cancel, mut shutdown) = (cancel.clone(), base.shutdown.clone());
        tokio::spawn(async move {
            shutdown.wait().await;
            cancel.cancel();
        })
    };
    let queue = bus.topology().check_price.clone();
    let handler = Arc::clone(&checker);
    // Returns once shutdown is asked for and every job in flight is settled.
    let consumed = bus
        .consume(&queue, settings.concurrency, cancel, move |delivery| {
            let checker = Arc::clone(&handler);
            async move { checker.handle(delivery).await }
        })
        .await;
    if let Err(error) = &consumed {
        tracing::error!(%error, "consuming check jobs stopped");
    }
    tracing::info!("scraper-worker stopping");
    base.trigger().trigger();
    if let Err(error) = relay.await {
        tracing::warn!(%error, "outbox relay task failed");
    }
    cancel_on_shutdown.abort();
    stopper.abort();
    bus.close().await;
    base.finish().await;
    consumed.map_err(anyhow::Error::from)
}

fn checker(
    settings: &Settings,
    db: pricewatch_storage::DbPool,
    redis: deadpool_redis::Pool,
    bus: Bus,
    stopping: pricewatch_bus::CancellationToken,
) -> anyhow::Result<check::Checker> {
    let fetch_settings = fetch::FetchSettings {
        connect_timeout: Duration::from_secs(settings.fetch_connect_timeout_seconds),
        total_timeout: Duration::from_secs(settings.fetch_timeout_seconds),
        max_body_bytes: usize::try_from(settings.fetch_max_body_bytes).unwrap_or(usize::MAX),
        max_redirects: settings.fetch_max_redirects,
        user_agent: settings.fetch_user_agent.clone(),
        allow_loopback: settings.allow_loopback_targets,
        respect_robots: settings.respect_robots_txt,
        allowed_addrs: Vec::new(),
    };
    if settings.allow_loopback_targets {
        tracing::warn!("ALLOW_LOOPBACK_TARGETS is on: loopback pages are fetched (dev/test only)");
    }
    let fetcher = fetch::Fetcher::new(fetch_settings, Arc::new(fetch::SystemResolver))?;
    let politeness = fetch::Politeness::new(
        redis,
        fetch::PolitenessSettings {
            key_prefix: settings.common.redis.redis_key_prefix.clone(),
            min_interval: Duration::from_millis(settings.domain_min_interval_ms),
            max_concurrent: settings.domain_max_concurrency,
            // Longer than any fetch, so a live fetch never loses its slot.
            lease_ttl: Duration::from_secs(settings.fetch_timeout_seconds + 30),
            ..fetch::PolitenessSettings::default()
        },
    )
    .stop_waiting_on(stopping);
    let max_job_attempts = bus.topology().max_attempts;
    let renderer = match &settings.renderer_url.0 {
        Some(base) => Some(render::RendererClient::new(
            base,
            Duration::from_secs(settings.fetch_timeout_seconds),
        )?),
        None => None,
    };
    Ok(check::Checker {
        db,
        bus,
        fetcher: Arc::new(fetcher),
        politeness,
        retry: fetch::RetryPolicy::default(),
        politeness_wait: Duration::from_secs(settings.politeness_max_wait_seconds),
        suspicious_drop_ratio: settings.suspicious_drop_ratio,
        max_job_attempts,
        alert_limits: AlertLimits {
            per_user_per_day: settings.alerts_per_user_per_day,
        },
        renderer,
    })
}
