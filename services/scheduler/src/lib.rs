//! The scheduler: finds due products and publishes `CheckPrice` jobs. Only one
//! replica is active at a time (a lease); the others wait as standbys.

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

pub const SERVICE: &str = "scheduler";

#[derive(Debug, Clone, Parser)]
#[command(name = "pricewatch-scheduler", version, about = "PriceWatch scheduler")]
pub struct Settings {
    /// Address of this service's health probe.
    #[arg(long, env = "SCHEDULER_HEALTH_BIND", default_value = "127.0.0.1:8002")]
    pub health_bind: SocketAddr,
    /// Seconds between looks for due products.
    #[arg(long, env = "SCHEDULER_TICK_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub tick_seconds: u64,
    /// Products claimed per batch.
    #[arg(long, env = "SCHEDULER_BATCH_SIZE", default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub batch_size: i64,
    /// Checks are spread over this many seconds.
    #[arg(long, env = "SCHEDULER_JITTER_SECONDS", default_value_t = 300)]
    pub jitter_seconds: u64,
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
            "cannot listen on {} (SCHEDULER_HEALTH_BIND)",
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
    tracing::info!(probe_port = base.probe_port(), "scheduler started");
    let mut shutdown = base.shutdown.clone();
    shutdown.wait().await;
    tracing::info!("scheduler stopping");
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
