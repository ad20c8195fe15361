//! One telemetry setup for every binary: `RUST_LOG` filter, text or JSON logs,
//! Sentry (errors as events, warnings as breadcrumbs) with PII scrubbed.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;

use secrecy::ExposeSecret;
use sentry::protocol::Event;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::settings::{LogFormat, LogSettings, SentrySettings};

/// Keeps Sentry flushing until dropped at the end of `main`.
pub struct TelemetryGuard {
    _sentry: Option<sentry::ClientInitGuard>,
}

/// Installs the global subscriber and Sentry. Safe to call twice (tests): the
/// second call keeps the first subscriber.
pub fn init(
    service: &'static str,
    log: &LogSettings,
    sentry_settings: &SentrySettings,
) -> anyhow::Result<TelemetryGuard> {
    let sentry_guard = init_sentry(service, sentry_settings)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt_layer = match log.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer().with_target(false).boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(sentry::integrations::tracing::layer())
        .try_init();
    Ok(TelemetryGuard {
        _sentry: sentry_guard,
    })
}

fn init_sentry(
    service: &'static str,
    settings: &SentrySettings,
) -> anyhow::Result<Option<sentry::ClientInitGuard>> {
    let raw = settings.sentry_dsn.expose_secret().trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let dsn = sentry::types::Dsn::from_str(raw)
        .map_err(|e| anyhow::anyhow!("SENTRY_DSN is not a valid DSN: {e}"))?;
    let mut options =
        sentry::ClientOptions::default().traces_sample_rate(settings.sentry_traces_sample_rate);
    options.dsn = Some(dsn);
    options.release = Some(Cow::Owned(format!("{service}@{}", crate::VERSION)));
    options.environment = Some(Cow::Owned(settings.sentry_environment.clone()));
    options.send_default_pii = false;
    options.before_send = Some(Arc::new(|event| Some(scrub_event(event))));
    let guard = sentry::init(options);
    sentry::configure_scope(|scope| scope.set_tag("service", service));
    Ok(Some(guard))
}

/// Removes what could identify a user or open an account: email addresses,
/// bearer tokens, JWTs and PriceWatch tokens (`pw_…`, `pwf_…`, `pwu_…`), wherever they
/// appear in the event's text, the request URL's path included.
pub fn scrub_event(mut event: Event<'static>) -> Event<'static> {
    if let Some(message) = event.message.take() {
        event.message = Some(scrub_text(&message));
    }
    if let Some(entry) = event.logentry.as_mut() {
        entry.message = scrub_text(&entry.message);
    }
    for exception in event.exception.values.iter_mut() {
        if let Some(value) = exception.value.take() {
            exception.value = Some(scrub_text(&value));
        }
    }
    for crumb in event.breadcrumbs.values.iter_mut() {
        if let Some(message) = crumb.message.take() {
            crumb.message = Some(scrub_text(&message));
        }
        crumb.data.clear();
    }
    event.user = None;
    if let Some(request) = event.request.as_mut() {
        request.cookies = None;
        request.data = None;
        request.query_string = None;
        if let Some(url) = request.url.as_mut() {
            url.set_query(None);
            if let Some(path) = scrub_pricewatch_tokens(url.path()) {
                url.set_path(&path);
            }
        }
        request.headers.retain(|name, _| {
            let n = name.to_ascii_lowercase();
            n != "authorization" && n != "cookie" && n != "x-api-key"
        });
    }
    for value in event.extra.values_mut() {
        if let serde_json::Value::String(s) = value {
            *s = scrub_text(s);
        }
    }
    event
}

/// Replaces emails, bearer tokens, JWT-shaped words and PriceWatch tokens in
/// free text.
pub fn scrub_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut bearer_next = false;
    for (i, word) in text.split_inclusive(char::is_whitespace).enumerate() {
        let trimmed = word.trim_end();
        let tail = &word[trimmed.len()..];
        let core = trimmed.trim_matches(|c: char| "\"'<>(),;[]{}".contains(c));
        let replacement = if bearer_next && !core.is_empty() {
            Some("[token]")
        } else if looks_like_email(core) {
            Some("[email]")
        } else if looks_like_jwt(core) {
            Some("[token]")
        } else {
            None
        };
        bearer_next = i < usize::MAX && core.eq_ignore_ascii_case("bearer");
        match replacement {
            Some(r) => {
                out.push_str(&trimmed.replace(core, r));
                out.push_str(tail);
            }
            None => match scrub_pricewatch_tokens(word) {
                Some(scrubbed) => out.push_str(&scrubbed),
                None => out.push_str(word),
            },
        }
    }
    out
}

fn looks_like_email(word: &str) -> bool {
    match word.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        }
        None => false,
    }
}

/// Prefixes of PriceWatch's own secrets: personal API tokens, feed tokens
/// and the unsubscribe tokens of alert emails.
const TOKEN_PREFIXES: [&str; 3] = ["pw_", "pwf_", "pwu_"];
/// Fewer random characters than this after a prefix is a word, not a token.
const MIN_TOKEN_TAIL: usize = 20;

/// `text` with every PriceWatch token (`pw_…`, `pwf_…`, `pwu_…` followed by at least
/// 20 letters or digits, not inside a longer word) replaced by `[token]`;
/// `None` when there is none.
pub fn scrub_pricewatch_tokens(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let prefix = TOKEN_PREFIXES
            .iter()
            .find(|p| starts_word && bytes[i..].starts_with(p.as_bytes()));
        if let Some(prefix) = prefix {
            let tail_start = i + prefix.len();
            let tail = bytes[tail_start..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if tail >= MIN_TOKEN_TAIL {
                out.push_str(&text[copied..i]);
                out.push_str("[token]");
                i = tail_start + tail;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

fn looks_like_jwt(word: &str) -> bool {
    word.starts_with("eyJ") && word.matches('.').count() == 2 && word.len() > 20
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_emails_and_tokens() {
        let text = "login failed for alice@example.com with Bearer abc.def.ghi, jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
        let s = scrub_text(text);
        assert!(!s.contains("alice@example.com"), "{s}");
        assert!(!s.contains("abc.def.ghi"), "{s}");
        assert!(!s.contains("eyJhbGciOiJIUzI1NiJ9"), "{s}");
        assert!(s.contains("[email]") && s.contains("[token]"), "{s}");
        assert_eq!(scrub_text("price 12.50 EUR"), "price 12.50 EUR");
    }

    #[test]
    fn scrubs_pricewatch_tokens_anywhere() {
        let api = "pw_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv1";
        let feed = "pwf_Zz12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv1";
        for text in [
            format!("token {api} refused"),
            format!("header=\"Bearer {api}\""),
            format!("GET /feeds/{feed}.atom failed"),
            format!("token={api}&x=1"),
            format!("{api},{feed}"),
        ] {
            let s = scrub_text(&text);
            assert!(
                !s.contains(&api[3..]) && !s.contains(&feed[4..]),
                "{text} -> {s}"
            );
            assert!(s.contains("[token]"), "{s}");
        }
        assert_eq!(
            scrub_pricewatch_tokens(&format!("/feeds/{feed}.atom")).unwrap(),
            "/feeds/[token].atom"
        );
        let unsubscribe = format!("pwu_{}", "0a1b".repeat(16));
        assert_eq!(
            scrub_pricewatch_tokens(&format!("/unsubscribe/{unsubscribe}")).unwrap(),
            "/unsubscribe/[token]"
        );
        // Words that merely start alike stay.
        assert_eq!(scrub_text("pw_short and mypw_x"), "pw_short and mypw_x");
        assert_eq!(scrub_pricewatch_tokens("/api/v1/watches"), None);
    }
}
