//! The notifier: consumes `SendNotification` jobs and emails the alert (lettre, SMTP).

pub mod email;
pub mod job;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use pricewatch_bus::CancellationToken;
use pricewatch_ops::dependencies::Dependencies;
use pricewatch_ops::service::ServiceBase;
use pricewatch_ops::settings::ServiceSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

pub const SERVICE: &str = "notifier";

#[derive(Debug, Clone, Parser)]
#[command(name = "pricewatch-notifier", version, about = "PriceWatch notifier")]
pub struct Settings {
    /// Address of this service's health probe.
    #[arg(long, env = "NOTIFIER_HEALTH_BIND", default_value = "127.0.0.1:8003")]
    pub health_bind: SocketAddr,
    #[arg(long, env = "SMTP_HOST", default_value = "127.0.0.1")]
    pub smtp_host: String,
    #[arg(long, env = "SMTP_PORT", default_value_t = 1025)]
    pub smtp_port: u16,
    #[arg(long, env = "SMTP_USERNAME", default_value = "")]
    pub smtp_username: String,
    #[arg(
        long,
        env = "SMTP_PASSWORD",
        default_value = "",
        hide_default_value = true,
        hide_env_values = true
    )]
    pub smtp_password: secrecy::SecretString,
    /// Sender of alert emails, e.g. "PriceWatch <alerts@example.com>".
    #[arg(
        long,
        env = "SMTP_FROM",
        default_value = "PriceWatch <alerts@pricewatch.local>"
    )]
    pub smtp_from: String,
    /// none, starttls or tls.
    #[arg(long, env = "SMTP_TLS", value_enum, default_value = "none")]
    pub smtp_tls: SmtpTls,
    /// Most alert emails one user gets per hour.
    #[arg(long, env = "EMAILS_PER_USER_PER_HOUR", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub emails_per_user_per_hour: u32,
    /// Notification jobs handled at once (the consumer's prefetch).
    #[arg(long, env = "NOTIFIER_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Where links in emails point.
    #[arg(long, env = "PUBLIC_BASE_URL", default_value = "http://localhost:8080")]
    pub public_base_url: url::Url,
    #[command(flatten)]
    pub common: ServiceSettings,
}

impl pricewatch_ops::start::ServiceBinary for Settings {
    const BINARY: &'static str = "pricewatch-notifier";
    const SERVICE: &'static str = SERVICE;
    fn common(&self) -> &ServiceSettings {
        &self.common
    }
}

/// Runs until SIGTERM/SIGINT.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let probe = TcpListener::bind(settings.health_bind).with_context(|| {
        format!(
            "cannot listen on {} (NOTIFIER_HEALTH_BIND)",
            settings.health_bind
        )
    })?;
    run_with_listener(settings, probe).await
}

/// Longest wait for in-flight emails after a stop was asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run_with_listener(settings: Settings, probe: TcpListener) -> anyhow::Result<()> {
    run_until_stopped(settings, probe, std::future::pending()).await
}

/// Runs until SIGTERM/SIGINT or until `shutdown` resolves (tests), then
/// stops gracefully.
pub async fn run_until_stopped(
    settings: Settings,
    probe: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mailer = email::Mailer::from_settings(&settings)?;
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
    tracing::info!(probe_port = base.probe_port(), "notifier started");
    let notifier = Arc::new(job::Notifier {
        db: db.clone(),
        bus: bus.clone(),
        mailer,
        emails_per_user_per_hour: settings.emails_per_user_per_hour,
    });
    let stop = CancellationToken::new();
    let mut consumer = {
        let (bus, stop) = (bus.clone(), stop.clone());
        let queue = bus.topology().send_notification.clone();
        let prefetch = settings.concurrency;
        tokio::spawn(async move {
            bus.consume(&queue, prefetch, stop, move |delivery| {
                let notifier = notifier.clone();
                async move { notifier.handle(delivery).await }
            })
            .await
        })
    };
    let mut signalled = base.shutdown.clone();
    let result = tokio::select! {
        () = async {
            tokio::select! {
                () = signalled.wait() => {}
                () = shutdown => {}
            }
        } => {
            tracing::info!("notifier stopping: no new jobs, finishing the ones in flight");
            stop.cancel();
            match tokio::time::timeout(DRAIN_TIMEOUT, &mut consumer).await {
                Ok(joined) => consumer_result(joined),
                Err(_) => {
                    consumer.abort();
                    tracing::warn!("in-flight jobs did not finish in time; their messages will be redelivered");
                    Ok(())
                }
            }
        }
        joined = &mut consumer => {
            let ended = consumer_result(joined);
            ended.and(Err(anyhow::anyhow!("the notification consumer stopped")))
        }
    };
    bus.close().await;
    base.finish().await;
    tracing::info!("notifier stopped");
    result
}

fn consumer_result(
    joined: Result<Result<(), pricewatch_bus::BusError>, tokio::task::JoinError>,
) -> anyhow::Result<()> {
    match joined {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(anyhow::Error::from(e).context("consuming notification jobs failed")),
        Err(e) => Err(anyhow::anyhow!("the notification consumer crashed: {e}")),
    }
}
