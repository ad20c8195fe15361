//! The api's settings, from flags or environment variables.

use std::net::SocketAddr;

use clap::Parser;
use pricewatch_ops::settings::ServiceSettings;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone, Parser)]
#[command(name = "pricewatch-api", version, about = "PriceWatch REST api")]
pub struct Settings {
    /// Address the api listens on.
    #[arg(long, env = "API_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// HTTP worker threads.
    #[arg(long, env = "API_WORKERS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: u16,
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
    /// Login/register attempts per IP per minute.
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
}
