//! Settings shared by the binaries, parsed by clap from flags or environment
//! variables. A bad or missing setting stops the binary with one line naming it.

use std::time::Duration;

use clap::{Args, Parser, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

/// Parses settings; on error prints one line naming the setting and exits with 2.
pub fn parse_or_exit<T: Parser>(binary: &str) -> T {
    match T::try_parse() {
        Ok(settings) => settings,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) {
                err.exit();
            }
            eprintln!(
                "{binary}: configuration error: {}",
                one_line(&err.to_string())
            );
            std::process::exit(2);
        }
    }
}

fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:")
        })
        .map(|l| l.trim_start_matches("error: "))
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct LogSettings {
    /// Log format: text for people, json for log shippers.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Args)]
pub struct SentrySettings {
    /// Sentry DSN; empty sends nothing.
    #[arg(
        long,
        env = "SENTRY_DSN",
        default_value = "",
        hide_default_value = true
    )]
    pub sentry_dsn: SecretString,
    #[arg(long, env = "SENTRY_ENVIRONMENT", default_value = "development")]
    pub sentry_environment: String,
    /// Share of transactions traced, 0.0–1.0.
    #[arg(long, env = "SENTRY_TRACES_SAMPLE_RATE", default_value = "0.1", value_parser = parse_rate)]
    pub sentry_traces_sample_rate: f32,
    /// Share of traced transactions profiled, 0.0–1.0.
    #[arg(long, env = "SENTRY_PROFILES_SAMPLE_RATE", default_value = "0.1", value_parser = parse_rate)]
    pub sentry_profiles_sample_rate: f32,
}

fn parse_rate(raw: &str) -> Result<f32, String> {
    match raw.trim().parse::<f32>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{raw:?} is not a number between 0.0 and 1.0")),
    }
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// PostgreSQL URL, e.g. postgres://user:password@host:5432/pricewatch
    #[arg(long, env = "DATABASE_URL", value_parser = parse_postgres_url)]
    pub database_url: SecretString,
    /// Connections in this instance's pool.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub database_pool_size: u16,
}

fn parse_postgres_url(raw: &str) -> Result<SecretString, String> {
    let ok = raw.starts_with("postgres://") || raw.starts_with("postgresql://");
    if ok && raw.len() > "postgres://".len() {
        Ok(SecretString::from(raw.to_owned()))
    } else {
        Err("expected postgres://user:password@host:port/database".to_owned())
    }
}

#[derive(Debug, Clone, Args)]
pub struct RedisSettings {
    /// Redis URL, e.g. redis://:password@host:6379/0
    #[arg(long, env = "REDIS_URL", value_parser = parse_redis_url)]
    pub redis_url: SecretString,
    /// Prefix of every Redis key this instance writes.
    #[arg(long, env = "REDIS_KEY_PREFIX", default_value = "pw")]
    pub redis_key_prefix: String,
}

fn parse_redis_url(raw: &str) -> Result<SecretString, String> {
    if raw.starts_with("redis://") || raw.starts_with("rediss://") {
        Ok(SecretString::from(raw.to_owned()))
    } else {
        Err("expected redis://[:password@]host:port/db".to_owned())
    }
}

#[derive(Debug, Clone, Args)]
pub struct AmqpSettings {
    /// RabbitMQ URL, e.g. amqp://user:password@host:5672/%2f
    #[arg(long, env = "AMQP_URL", value_parser = parse_amqp_url)]
    pub amqp_url: SecretString,
    /// Prefix of every exchange and queue name.
    #[arg(long, env = "QUEUE_PREFIX", default_value = "pricewatch")]
    pub queue_prefix: String,
}

fn parse_amqp_url(raw: &str) -> Result<SecretString, String> {
    if raw.starts_with("amqp://") || raw.starts_with("amqps://") {
        Ok(SecretString::from(raw.to_owned()))
    } else {
        Err("expected amqp://user:password@host:5672/vhost".to_owned())
    }
}

/// What every background service connects to and reports with; services flatten it.
#[derive(Debug, Clone, Args)]
pub struct ServiceSettings {
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

/// Parses `5`, `5s`, `250ms`, `2m` into a duration.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (digits, unit) = raw
        .find(|c: char| !c.is_ascii_digit())
        .map_or((raw, "s"), |i| raw.split_at(i));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration like 5s or 250ms"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("{raw:?} is not a duration like 5s or 250ms")),
    }
}

/// Redacts the password of a URL for logs: `postgres://u:***@host/db`.
pub fn redact_url(secret: &SecretString) -> String {
    let raw = secret.expose_secret();
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "<unparseable url>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        db: DatabaseSettings,
    }

    #[test]
    fn bad_settings_are_reported_on_one_line_naming_the_variable() {
        let err = Probe::try_parse_from(["x", "--database-url", "mysql://x"]).unwrap_err();
        let line = one_line(&err.to_string());
        assert!(!line.contains('\n'));
        assert!(line.contains("DATABASE_URL"), "{line}");
    }

    #[test]
    fn urls_are_redacted() {
        let s = SecretString::from("postgres://u:hunter2@db:5432/pw");
        assert_eq!(redact_url(&s), "postgres://u:***@db:5432/pw");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert!(parse_duration("5 parsecs").is_err());
    }
}
