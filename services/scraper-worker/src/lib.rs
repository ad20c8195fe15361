//! The scraper-worker: consumes `CheckPrice` jobs, fetches the page through the
//! SSRF guard, extracts the price and records it with its alerts in one transaction.

pub mod fetch;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use pricewatch_bus::{Bus, BusConfig, Topology};
use pricewatch_ops::health::{CheckFuture, ReadyChecks};
use pricewatch_ops::service::ServiceBase;
use pricewatch_ops::settings::{
    AmqpSettings, DatabaseSettings, LogSettings, RedisSettings, SentrySettings,
};
use pricewatch_storage::PoolSettings;
use secrecy::ExposeSecret;

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
    #[arg(long, env = "RESPECT_ROBOTS_TXT", default_value_t = true, action = clap::ArgAction::Set)]
    pub respect_robots_txt: bool,
    /// A drop larger than this share of the last price is confirmed by a second fetch.
    #[arg(long, env = "SUSPICIOUS_DROP_RATIO", default_value = "0.5")]
    pub suspicious_drop_ratio: rust_decimal::Decimal,
    /// Dev/test only: allow fetching loopback addresses (the demo shop).
    #[arg(long, env = "ALLOW_LOOPBACK_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_loopback_targets: bool,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub redis: RedisSettings,
    #[command(flatten)]
    pub amqp: AmqpSettings,
    #[command(flatten)]
    pub log: LogSettings,
    #[command(flatten)]
    pub sentry: SentrySettings,
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
    let db = pricewatch_storage::connect_pool(
        settings.database.database_url.expose_secret(),
        &PoolSettings {
            max_size: usize::from(settings.database.database_pool_size),
            ..PoolSettings::default()
        },
    )?;
    let redis = pricewatch_ops::redis::connect_pool(&settings.redis.redis_url, 4)?;
    let bus = Bus::start(
        BusConfig::new(
            settings.amqp.amqp_url.expose_secret().to_owned(),
            Topology::new(&settings.amqp.queue_prefix),
        )
        .with_connection_name(SERVICE),
    );
    let checks: ReadyChecks = {
        let (db, redis, bus) = (db.clone(), redis.clone(), bus.clone());
        Arc::new(move || {
            let (db, redis, bus) = (db.clone(), redis.clone(), bus.clone());
            vec![
                (
                    "database",
                    Box::pin(async move { pricewatch_storage::pool::ping(&db).await })
                        as CheckFuture,
                ),
                (
                    "redis",
                    Box::pin(async move { pricewatch_ops::redis::ping(&redis).await }),
                ),
                ("rabbitmq", Box::pin(async move { bus_ready(&bus) })),
            ]
        })
    };
    let base = ServiceBase::start(
        SERVICE,
        probe,
        redis.clone(),
        settings.redis.redis_key_prefix.clone(),
        checks,
    )?;
    tracing::info!(probe_port = base.probe_port(), "scraper-worker started");
    let mut shutdown = base.shutdown.clone();
    shutdown.wait().await;
    tracing::info!("scraper-worker stopping");
    bus.close().await;
    base.finish().await;
    Ok(())
}

fn bus_ready(bus: &Bus) -> Result<serde_json::Value, String> {
    if bus.is_connected() {
        Ok(serde_json::json!({"connected": true}))
    } else {
        Err("not connected to RabbitMQ (reconnecting)".to_owned())
    }
}
