//! The scheduler: finds due products and publishes `CheckPrice` jobs. Only one
//! replica is active at a time (a lease); the others wait as standbys.

pub mod lease;
pub mod tick;

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use pricewatch_bus::Bus;
use pricewatch_ops::dependencies::Dependencies;
use pricewatch_ops::service::ServiceBase;
use pricewatch_ops::settings::ServiceSettings;

pub const SERVICE: &str = "scheduler";

/// How long the lease outlives its holder's last renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(15);
/// The active scheduler renews its lease, and a standby polls it, at least this often.
const LEASE_POLL: Duration = Duration::from_secs(5);

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
    #[arg(long, env = "SCHEDULER_BATCH_SIZE", default_value_t = 5000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub batch_size: i64,
    /// Checks are spread over this many seconds.
    #[arg(long, env = "SCHEDULER_JITTER_SECONDS", default_value_t = 300)]
    pub jitter_seconds: u64,
    /// Publish no more while the check queue holds this many jobs (0: no
    /// limit): after downtime the backlog goes out at the workers' pace, not
    /// all at once.
    #[arg(long, env = "SCHEDULER_MAX_QUEUE_DEPTH", default_value_t = 100_000)]
    pub max_queue_depth: u32,
    #[command(flatten)]
    pub common: ServiceSettings,
}

impl pricewatch_ops::start::ServiceBinary for Settings {
    const BINARY: &'static str = "pricewatch-scheduler";
    const SERVICE: &'static str = SERVICE;
    fn common(&self) -> &ServiceSettings {
        &self.common
    }
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
    run_until_stopped(settings, probe, std::future::pending()).await
}

/// Runs until SIGTERM/SIGINT or until `stop` resolves (tests), then stops
/// gracefully.
pub async fn run_until_stopped(
    settings: Settings,
    probe: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let deps = Dependencies::connect(SERVICE, &settings.common, 4)?;
    let checks = deps.ready_checks();
    let Dependencies { db, redis, bus } = deps;
    let base = ServiceBase::start(
        SERVICE,
        probe,
        redis.clone(),
        settings.common.redis.redis_key_prefix.clone(),
        checks,
    )?;
    tracing::info!(probe_port = base.probe_port(), "scheduler started");
    let depths = tokio::spawn(export_queue_depths(bus.clone(), base.shutdown.clone()));
    let trigger = base.trigger();
    let stopper = tokio::spawn(async move {
        stop.await;
        trigger.trigger();
    });
    let scheduler = tick::Scheduler {
        db,
        bus: bus.clone(),
        batch_size: settings.batch_size,
        jitter_seconds: settings.jitter_seconds,
        max_queue_depth: settings.max_queue_depth,
    };
    let holder = format!(
        "{}-{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "scheduler".to_owned()),
        uuid::Uuid::new_v4().simple()
    );
    let mut lease = lease::Lease::new(
        redis,
        &settings.common.redis.redis_key_prefix,
        holder,
        LEASE_TTL,
    );
    run_loop(
        &scheduler,
        &mut lease,
        base.shutdown.clone(),
        Duration::from_secs(settings.tick_seconds),
    )
    .await;
    tracing::info!("scheduler stopping");
    lease.release().await;
    stopper.abort();
    depths.abort();
    bus.close().await;
    base.finish().await;
    Ok(())
}

/// Until shutdown: keeps the lease (or polls it as a standby) and, while active,
/// publishes due checks every `tick`.
async fn run_loop(
    scheduler: &tick::Scheduler,
    lease: &mut lease::Lease,
    mut shutdown: pricewatch_ops::shutdown::Shutdown,
    tick: Duration,
) {
    let mut wake = tokio::time::interval(tick.min(LEASE_POLL));
    wake.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_run: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            () = shutdown.wait() => return,
            _ = wake.tick() => {}
        }
        let was_active = lease.is_held();
        if !lease.acquire_or_renew().await {
            continue;
        }
        // A newly active scheduler runs at once; then once per tick.
        let due = !was_active || last_run.is_none_or(|at| at.elapsed() >= tick);
        if !due {
            continue;
        }
        last_run = Some(tokio::time::Instant::now());
        let started = std::time::Instant::now();
        match scheduler.tick(lease, &shutdown).await {
            Ok(jobs) => {
                if jobs > 0 {
                    tracing::info!(jobs, "check jobs published");
                }
                metrics::counter!("pricewatch_scheduler_ticks_total", "outcome" => "ok")
                    .increment(1);
            }
            Err(error) => {
                tracing::warn!("scheduler tick failed: {error:#}");
                metrics::counter!("pricewatch_scheduler_ticks_total", "outcome" => "error")
                    .increment(1);
            }
        }
        metrics::histogram!("pricewatch_scheduler_tick_duration_seconds")
            .record(started.elapsed().as_secs_f64());
    }
}

/// Every replica exports the depth and consumers of each queue
/// (`pricewatch_queue_depth`, `pricewatch_queue_consumers`); alerts take the max by queue.
async fn export_queue_depths(bus: Bus, mut shutdown: pricewatch_ops::shutdown::Shutdown) {
    let mut wake = tokio::time::interval(Duration::from_secs(15));
    wake.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.wait() => return,
            _ = wake.tick() => {}
        }
        if !bus.is_connected() {
            continue;
        }
        match bus.queue_depths().await {
            Ok(depths) => {
                for depth in depths {
                    metrics::gauge!("pricewatch_queue_depth", "queue" => depth.queue.clone())
                        .set(f64::from(depth.messages));
                    metrics::gauge!("pricewatch_queue_consumers", "queue" => depth.queue)
                        .set(f64::from(depth.consumers));
                }
            }
            Err(error) => tracing::debug!(%error, "queue depths not read"),
        }
    }
}
