//! The api's settings, from flags or environment variables.

use std::net::SocketAddr;

use clap::Parser;
use pricewatch_ops::settings::ServiceSettings;
use pricewatch_ops::smtp::SmtpSettings;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone, Parser)]
#[command(name = "pricewatch-api", version, about = "PriceWatch REST api")]
pub struct Settings {
    /// Address the api listens on.
    #[arg(long, env = "API_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// HTTP worker threads, 1 to 64; unset, empty or 0: one per CPU the process
    /// may use (cgroup limits included).
    #[arg(long, env = "API_WORKERS", value_parser = parse_workers)]
    pub workers: Option<u16>,
    /// Signs access tokens (HS256); at least 32 characters.
    #[arg(long, env = "SECRET_KEY", value_parser = parse_secret_key, hide_env_values = true)]
    pub secret_key: SecretString,
    /// Access token lifetime in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u32).range(60..=604_800))]
    pub access_token_ttl_seconds: u32,
    /// Comma-separated origins allowed by CORS; empty allows none.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        default_value = "",
        value_delimiter = ','
    )]
    pub cors_allowed_origins: Vec<String>,
    /// Apply pending database migrations at start.
    #[arg(long, env = "RUN_MIGRATIONS", default_value_t = false, action = clap::ArgAction::Set)]
    pub run_migrations: bool,
    /// Comma-separated networks of the proxies in front of the api (e.g.
    /// `127.0.0.1/32,10.0.0.0/8`). Only a peer in them is believed about the
    /// client's address (`X-Forwarded-For`); empty believes nobody.
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        default_value = "",
        value_delimiter = ',',
        value_parser = parse_network
    )]
    pub trusted_proxies: Vec<Option<ipnet::IpNet>>,
    /// Serves `/health/detailed` to a request with `Authorization: Bearer <token>`
    /// from anywhere; without it, only clients on loopback or private networks get it.
    #[arg(long, env = "HEALTH_DETAILED_TOKEN", hide_env_values = true)]
    pub health_detailed_token: Option<SecretString>,
    /// Most watches one account may have.
    #[arg(long, env = "MAX_WATCHES_PER_USER", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_watches_per_user: u32,
    /// Most notification channels one account may have.
    #[arg(long, env = "MAX_CHANNELS_PER_USER", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_channels_per_user: u32,
    /// Seals channel URLs and webhook signing secrets at rest: 32 bytes in
    /// base64 (`openssl rand -base64 32`), the notifier's key too. Empty: no
    /// channel can be added.
    #[arg(long, env = "CHANNEL_SECRET_KEY", default_value = "", value_parser = pricewatch_storage::sealed::parse_channel_key, hide_env_values = true, hide_default_value = true)]
    pub channel_secret_key: pricewatch_storage::sealed::ChannelKeySetting,
    /// Seconds between two "check now" requests for the same product.
    #[arg(long, env = "CHECK_NOW_MIN_INTERVAL_SECONDS", default_value_t = 300)]
    pub check_now_min_interval_seconds: u32,
    /// Login/register attempts per client address per minute (a sliding
    /// window); past it a login is refused with 429. Failed logins per account
    /// past it are slowed down, never refused.
    #[arg(long, env = "AUTH_RATE_LIMIT_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub auth_rate_limit_per_minute: u32,
    /// Seconds a product read stays cached in Redis.
    #[arg(long, env = "PRODUCT_CACHE_TTL_SECONDS", default_value_t = 30)]
    pub product_cache_ttl_seconds: u64,
    /// Dev/test only: accept product URLs on loopback (the demo shop).
    #[arg(long, env = "ALLOW_LOOPBACK_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_loopback_targets: bool,
    #[arg(
        long,
        env = "SCRAPER_WORKER_HEALTH_URL",
        default_value = "http://127.0.0.1:8001"
    )]
    pub scraper_worker_health_url: url::Url,
    #[arg(
        long,
        env = "SCHEDULER_HEALTH_URL",
        default_value = "http://127.0.0.1:8002"
    )]
    pub scheduler_health_url: url::Url,
    #[arg(
        long,
        env = "NOTIFIER_HEALTH_URL",
        default_value = "http://127.0.0.1:8003"
    )]
    pub notifier_health_url: url::Url,
    /// The address users open (the gateway): links in password reset emails,
    /// and the web app's session cookie is `Secure` when it is https.
    #[arg(long, env = "PUBLIC_BASE_URL", default_value = "http://localhost:8080")]
    pub public_base_url: url::Url,
    /// The SMTP relay for password reset emails (the notifier's too).
    #[command(flatten)]
    pub smtp: SmtpSettings,
    /// The renderer's probe: a renderer that fails degrades the system, as
    /// only pages built by scripts need it.
    #[arg(
        long,
        env = "RENDERER_HEALTH_URL",
        default_value = "http://127.0.0.1:8004"
    )]
    pub renderer_health_url: url::Url,
    #[command(flatten)]
    pub common: ServiceSettings,
}

impl pricewatch_ops::start::ServiceBinary for Settings {
    const BINARY: &'static str = "pricewatch-api";
    const SERVICE: &'static str = crate::SERVICE;
    fn common(&self) -> &ServiceSettings {
        &self.common
    }
}

fn parse_workers(raw: &str) -> Result<u16, String> {
    match raw.trim() {
        "" => Ok(0),
        n => n.parse::<u16>().ok().filter(|n| *n <= 64).ok_or_else(|| {
            format!("{n:?} is not a number of workers from 1 to 64 (0 or empty: one per CPU)")
        }),
    }
}

/// A network in CIDR form, or a bare address (one host); empty items are skipped.
fn parse_network(raw: &str) -> Result<Option<ipnet::IpNet>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(Some)
        .map_err(|_| format!("{raw:?} is not a network such as 10.0.0.0/8 or an address"))
}

fn parse_secret_key(raw: &str) -> Result<SecretString, String> {
    if raw.chars().count() < 32 {
        return Err("must be at least 32 characters (generate one with: python3 -c \"import secrets; print(secrets.token_urlsafe(64))\")".to_owned());
    }
    Ok(SecretString::from(raw.to_owned()))
}

impl Settings {
    pub fn secret_bytes(&self) -> &[u8] {
        self.secret_key.expose_secret().as_bytes()
    }

    /// `API_WORKERS`, else the CPUs this process may use.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            Some(n) if n > 0 => usize::from(n),
            _ => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        }
    }

    /// Whether users reach the app over https (the session cookie is then `Secure`).
    pub fn public_is_https(&self) -> bool {
        self.public_base_url.scheme() == "https"
    }

    pub fn is_trusted_proxy(&self, ip: std::net::IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .flatten()
            .any(|net| net.contains(&ip))
    }
}
