//! The notifier: consumes `SendNotification` jobs and emails the alert (lettre,
//! SMTP), and delivers alerts to users' channels (`deliver`).

pub mod chart;
pub mod deliver;
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
use pricewatch_ops::smtp::SmtpSettings;

pub const SERVICE: &str = "notifier";

#[derive(Debug, Clone, Parser)]
#[command(name = "pricewatch-notifier", version, about = "PriceWatch notifier")]
pub struct Settings {
    /// Address of this service's health probe.
    #[arg(long, env = "NOTIFIER_HEALTH_BIND", default_value = "127.0.0.1:8003")]
    pub health_bind: SocketAddr,
    /// The SMTP relay for alert emails (the api's too).
    #[command(flatten)]
    pub smtp: SmtpSettings,
    /// Most alert emails one user gets per hour.
    #[arg(long, env = "EMAILS_PER_USER_PER_HOUR", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub emails_per_user_per_hour: u32,
    /// Notification jobs handled at once (the consumer's prefetch).
    #[arg(long, env = "NOTIFIER_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Where links in emails point.
    #[arg(long, env = "PUBLIC_BASE_URL", default_value = "http://localhost:8080")]
    pub public_base_url: url::Url,
    /// The key that opens channels' sealed URLs: 32 bytes in base64, the
    /// api's. Empty: channel deliveries wait until it is set.
    #[arg(long, env = "CHANNEL_SECRET_KEY", default_value = "", hide_default_value = true, hide_env_values = true, value_parser = pricewatch_storage::sealed::parse_channel_key)]
    pub channel_secret_key: pricewatch_storage::sealed::ChannelKeySetting,
    /// Channel deliveries in flight at once.
    #[arg(long, env = "DELIVERY_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub delivery_concurrency: u16,
    /// Longest time one delivery (all its requests) may take.
    #[arg(long, env = "DELIVERY_TIMEOUT_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub delivery_timeout_seconds: u64,
    /// Attempts of one delivery before it is given up ('failed', with the reason).
    #[arg(long, env = "DELIVERY_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub delivery_max_attempts: u32,
    /// Wait after a delivery's first failure, doubled after each next one.
    #[arg(long, env = "DELIVERY_RETRY_BASE_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub delivery_retry_base_seconds: u64,
    /// Most deliveries to one channel in any minute; more wait their turn.
    #[arg(long, env = "DELIVERIES_PER_CHANNEL_PER_MINUTE", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub deliveries_per_channel_per_minute: u32,
    /// A delivery claimed longer ago than this by a notifier that died is
    /// taken over; more than DELIVERY_TIMEOUT_SECONDS + 30.
    #[arg(long, env = "DELIVERY_STALE_CLAIM_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(2..=86_400))]
    pub delivery_stale_claim_seconds: u64,
    /// How often the notifier looks for due deliveries when it found none.
    #[arg(long, env = "DELIVERY_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub delivery_poll_ms: u64,
    /// The ntfy server of `ntfy://topic` channels.
    #[arg(long, env = "NTFY_DEFAULT_URL", default_value = "https://ntfy.sh")]
    pub ntfy_default_url: url::Url,
    /// The Telegram Bot API.
    #[arg(
        long,
        env = "TELEGRAM_API_URL",
        default_value = "https://api.telegram.org"
    )]
    pub telegram_api_url: url::Url,
    /// Discord (webhooks are under /api/webhooks).
    #[arg(long, env = "DISCORD_API_URL", default_value = "https://discord.com")]
    pub discord_api_url: url::Url,
    /// Slack's incoming webhooks (under /services).
    #[arg(
        long,
        env = "SLACK_WEBHOOK_URL",
        default_value = "https://hooks.slack.com"
    )]
    pub slack_webhook_url: url::Url,
    /// The Pushover API.
    #[arg(
        long,
        env = "PUSHOVER_API_URL",
        default_value = "https://api.pushover.net"
    )]
    pub pushover_api_url: url::Url,
    /// Dev/test only: channels may reach loopback addresses. Private ranges stay refused.
    #[arg(long, env = "ALLOW_LOOPBACK_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_loopback_targets: bool,
    #[command(flatten)]
    pub common: ServiceSettings,
}

impl pricewatch_ops::start::ServiceBinary for Settings {
    const BINARY: &'static str = "pricewatch-notifier";
    const SERVICE: &'static str = SERVICE;
    fn common(&self) -> &ServiceSettings {
        &self.common
    }

    /// A claim must outlive the longest delivery by a margin, or a delivery
    /// still in flight would be claimed, and sent, a second time.
    fn check(&self) -> Result<(), String> {
        let least = self
            .delivery_timeout_seconds
            .saturating_add(STALE_CLAIM_MARGIN_SECONDS);
        if self.delivery_stale_claim_seconds <= least {
            return Err(format!(
                "DELIVERY_STALE_CLAIM_SECONDS ({}) must be more than DELIVERY_TIMEOUT_SECONDS ({}) + {STALE_CLAIM_MARGIN_SECONDS}, so that a delivery in flight is never claimed twice",
                self.delivery_stale_claim_seconds, self.delivery_timeout_seconds
            ));
        }
        Ok(())
    }
}

/// How much longer than `DELIVERY_TIMEOUT_SECONDS` a claim must last.
pub const STALE_CLAIM_MARGIN_SECONDS: u64 = 30;

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
    pricewatch_ops::start::ServiceBinary::check(&settings).map_err(anyhow::Error::msg)?;
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
    let deliverer = Arc::new(deliverer(&settings, db.clone(), mailer.clone())?);
    let (stop_deliveries, deliveries_stopped) = pricewatch_ops::shutdown::channel();
    let mut delivery_loop = tokio::spawn(Arc::clone(&deliverer).run(deliveries_stopped));
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
            stop_deliveries.trigger();
            if tokio::time::timeout(DRAIN_TIMEOUT, &mut delivery_loop).await.is_err() {
                delivery_loop.abort();
                tracing::warn!("deliveries in flight did not finish in time; they will be taken over");
            }
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
    stop_deliveries.trigger();
    delivery_loop.abort();
    bus.close().await;
    base.finish().await;
    tracing::info!("notifier stopped");
    result
}

fn deliverer(
    settings: &Settings,
    db: pricewatch_storage::DbPool,
    mailer: email::Mailer,
) -> anyhow::Result<deliver::Deliverer> {
    let timeout = Duration::from_secs(settings.delivery_timeout_seconds);
    let client = pricewatch_egress::GuardedClient::builder(pricewatch_egress::EgressSettings {
        connect_timeout: timeout.min(Duration::from_secs(5)),
        // A backstop: the delivery's own timeout (around all its requests) ends it first.
        timeout: timeout + Duration::from_secs(5),
        max_redirects: 3,
        allow_loopback: settings.allow_loopback_targets,
        user_agent: concat!("PriceWatch/", env!("CARGO_PKG_VERSION")).to_owned(),
    })
    .build()
    .context("cannot build the HTTP client for deliveries")?;
    if settings.channel_secret_key.0.is_none() {
        tracing::warn!("CHANNEL_SECRET_KEY is not set: channel deliveries wait until it is");
    }
    Ok(deliver::Deliverer {
        db,
        key: settings.channel_secret_key.0.clone(),
        services: deliver::services::Services {
            client,
            urls: deliver::services::ServiceUrls {
                ntfy: settings.ntfy_default_url.clone(),
                telegram: settings.telegram_api_url.clone(),
                discord: settings.discord_api_url.clone(),
                slack: settings.slack_webhook_url.clone(),
                pushover: settings.pushover_api_url.clone(),
            },
        },
        mailer,
        public_base_url: settings.public_base_url.clone(),
        settings: deliver::DeliverySettings {
            concurrency: usize::from(settings.delivery_concurrency),
            timeout,
            max_attempts: settings.delivery_max_attempts,
            retry_base: Duration::from_secs(settings.delivery_retry_base_seconds),
            per_channel_per_minute: settings.deliveries_per_channel_per_minute,
            stale_claim: Duration::from_secs(settings.delivery_stale_claim_seconds),
            poll: Duration::from_millis(settings.delivery_poll_ms),
            allow_loopback: settings.allow_loopback_targets,
        },
    })
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
