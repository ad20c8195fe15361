//! The renderer: loads product pages that shops build with JavaScript in a
//! headless Chromium and hands back the rendered HTML (`POST /render`, on an
//! internal port). Every request of the browser goes through a forward proxy
//! that applies the SSRF address policy, and Chromium runs in a process group
//! that never outlives the service.

pub mod api;
pub mod chromium;
pub mod pool;
pub mod proxy;
pub mod render;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use clap::Parser;
use pricewatch_ops::health::{CheckFuture, ReadyChecks};
use pricewatch_ops::service::ServiceBase;
use pricewatch_ops::settings::ServiceSettings;

pub use pool::Renderer;

pub const SERVICE: &str = "renderer";

#[derive(Debug, Clone, Parser)]
#[command(name = "pricewatch-renderer", version, about = "PriceWatch renderer")]
pub struct Settings {
    /// Address of this service's health probe.
    #[arg(long, env = "RENDERER_HEALTH_BIND", default_value = "127.0.0.1:8004")]
    pub health_bind: SocketAddr,
    /// Address of the internal render API (`POST /render`); never expose it.
    #[arg(long, env = "RENDERER_BIND", default_value = "127.0.0.1:8005")]
    pub bind: SocketAddr,
    /// The Chromium executable.
    #[arg(long, env = "RENDERER_CHROMIUM", default_value = "/usr/bin/chromium")]
    pub chromium: PathBuf,
    /// Pages rendered at once (tabs of the one browser).
    #[arg(long, env = "RENDERER_TABS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub tabs: u16,
    /// The browser is replaced after this many renders.
    #[arg(long, env = "RENDERER_RECYCLE_AFTER", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub recycle_after: u64,
    /// The browser is replaced when its processes use more memory than this
    /// (MiB, proportional set size: shared pages counted once).
    #[arg(long, env = "RENDERER_MAX_MEMORY_MB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(64..=65_536))]
    pub max_memory_mb: u64,
    /// Default and longest time for one render, in seconds.
    #[arg(long, env = "RENDERER_TIMEOUT_SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub timeout_seconds: u64,
    /// Dev/test only: let the browser reach loopback addresses (the demo shop).
    #[arg(long, env = "ALLOW_LOOPBACK_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_loopback_targets: bool,
    /// The only ports the browser may reach on a public host (comma-separated).
    /// With ALLOW_LOOPBACK_TARGETS, loopback hosts may use any port.
    #[arg(long, env = "RENDERER_ALLOWED_PORTS", default_value = "80,443", value_delimiter = ',', value_parser = clap::value_parser!(u16).range(1..))]
    pub allowed_ports: Vec<u16>,
    /// The largest rendered HTML handed back, in bytes (5 MiB); a page whose
    /// DOM is larger fails with 413 `too_large`.
    #[arg(long, env = "RENDERER_MAX_HTML_BYTES", default_value_t = 5 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..=268_435_456))]
    pub max_html_bytes: u64,
    #[command(flatten)]
    pub common: ServiceSettings,
}

impl pricewatch_ops::start::ServiceBinary for Settings {
    const BINARY: &'static str = "pricewatch-renderer";
    const SERVICE: &'static str = SERVICE;
    fn common(&self) -> &ServiceSettings {
        &self.common
    }
}

/// Runs until SIGTERM/SIGINT.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let probe = TcpListener::bind(settings.health_bind).with_context(|| {
        format!(
            "cannot listen on {} (RENDERER_HEALTH_BIND)",
            settings.health_bind
        )
    })?;
    let api = TcpListener::bind(settings.bind)
        .with_context(|| format!("cannot listen on {} (RENDERER_BIND)", settings.bind))?;
    run_until_stopped(settings, probe, api, std::future::pending(), None).await
}

/// Runs until SIGTERM/SIGINT or until `stop` resolves (tests), then stops
/// gracefully: no new renders, the ones in flight finish, Chromium is killed.
/// `gate` sees every address the proxy dials (tests).
pub async fn run_until_stopped(
    settings: Settings,
    probe: TcpListener,
    api: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
    gate: Option<Arc<dyn proxy::ConnectGate>>,
) -> anyhow::Result<()> {
    let redis = pricewatch_ops::redis::connect_pool(&settings.common.redis.redis_url, 2)?;
    let policy = proxy::Policy {
        allow_loopback: settings.allow_loopback_targets,
        allowed_ports: settings.allowed_ports.clone(),
        resolve_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(10),
        gate,
    };
    if settings.allow_loopback_targets {
        tracing::warn!("ALLOW_LOOPBACK_TARGETS is on: loopback pages are rendered (dev/test only)");
    }
    let proxy_listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot open the browser's proxy port")?;
    let proxy = proxy::Proxy::start(proxy_listener, policy.clone())?;
    let renderer = Arc::new(Renderer::new(
        pool::PoolSettings {
            launch: chromium::LaunchSettings {
                executable: settings.chromium.clone(),
                proxy: proxy.addr,
                profile_root: std::env::temp_dir(),
                launch_timeout: Duration::from_secs(30),
                command_timeout: Duration::from_secs(settings.timeout_seconds + 10),
            },
            tabs: usize::from(settings.tabs),
            recycle_after: settings.recycle_after,
            max_memory_bytes: settings.max_memory_mb.saturating_mul(1024 * 1024),
        },
        Arc::clone(&proxy.stats),
    ));
    let checks = ready_checks(redis.clone(), Arc::clone(&renderer));
    let base = ServiceBase::start(
        SERVICE,
        probe,
        redis,
        settings.common.redis.redis_key_prefix.clone(),
        checks,
    )?;
    let api_port = api.local_addr()?.port();
    let state = web::Data::new(api::ApiState {
        renderer: Arc::clone(&renderer),
        policy,
        max_timeout: Duration::from_secs(settings.timeout_seconds),
        max_html_bytes: usize::try_from(settings.max_html_bytes).unwrap_or(usize::MAX),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(64 * 1024))
            .configure(api::configure)
    })
    .workers(usize::from(settings.tabs).clamp(1, 4))
    .disable_signals()
    .shutdown_timeout(settings.timeout_seconds + 5)
    .listen(api)
    .context("cannot serve the render API")?
    .run();
    let server_handle = server.handle();
    let server_task = tokio::spawn(server);
    tracing::info!(
        probe_port = base.probe_port(),
        api_port,
        proxy = %proxy.addr,
        "renderer started"
    );
    let trigger = base.trigger();
    let stopper = tokio::spawn(async move {
        stop.await;
        trigger.trigger();
    });
    let keeper = tokio::spawn(Arc::clone(&renderer).keep_alive(base.shutdown.clone()));
    let mut shutdown = base.shutdown.clone();
    shutdown.wait().await;
    tracing::info!("renderer stopping: finishing the renders in flight");
    server_handle.stop(true).await;
    let _ = server_task.await;
    keeper.abort();
    renderer.stop().await;
    stopper.abort();
    drop(proxy);
    base.finish().await;
    Ok(())
}

fn ready_checks(redis: deadpool_redis::Pool, renderer: Arc<Renderer>) -> ReadyChecks {
    Arc::new(move || {
        let (redis, renderer) = (redis.clone(), Arc::clone(&renderer));
        vec![
            (
                "redis",
                Box::pin(async move { pricewatch_ops::redis::ping(&redis).await }) as CheckFuture,
            ),
            ("browser", Box::pin(async move { renderer.ready().await })),
        ]
    })
}
