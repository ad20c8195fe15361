//! Why a fetch failed, worded for the user who reads it on the product page.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// A failed fetch. `Display` is the message recorded on the product and shown by the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("refused: only http and https pages can be fetched, not {0}")]
    Scheme(String),
    #[error("refused: address {addr} is {} {reason} address", article(reason))]
    ForbiddenAddress { addr: IpAddr, reason: &'static str },
    #[error("refused: no checked address for {0}")]
    Unchecked(String),
    #[error("could not resolve {host}: {detail}")]
    Resolve { host: String, detail: String },
    #[error("could not connect to {host}: {detail}")]
    Connect { host: String, detail: String },
    #[error("timed out after {}", Seconds(*.0))]
    Timeout(Duration),
    #[error("HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("page larger than {}", Size(*limit))]
    TooLarge { limit: usize },
    #[error("too many redirects")]
    TooManyRedirects { limit: u32 },
    #[error("invalid redirect: {0}")]
    BadRedirect(String),
    #[error("not an HTML page ({0})")]
    NotHtml(String),
    #[error("disallowed by robots.txt")]
    DisallowedByRobots,
    #[error("robots.txt unreachable ({0}); the site is not fetched until it answers")]
    RobotsUnreachable(String),
    #[error("connection failed while reading the page: {0}")]
    Transport(String),
}

impl FetchError {
    /// Worth trying again later: the same request may succeed once the site or the network recovers.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Resolve { .. }
            | FetchError::Connect { .. }
            | FetchError::Timeout(_)
            | FetchError::Transport(_)
            | FetchError::RobotsUnreachable(_) => true,
            FetchError::Status { status, .. } => {
                matches!(status, 408 | 425 | 429)
                    || (*status >= 500 && !matches!(status, 501 | 505))
            }
            _ => false,
        }
    }

    /// The wait the server asked for (`Retry-After` on a 429 or 503), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A stable snake_case code for storage and metrics; the message is `Display`.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl(_) => "invalid_url",
            FetchError::Scheme(_)
            | FetchError::ForbiddenAddress { .. }
            | FetchError::Unchecked(_) => "refused",
            FetchError::Resolve { .. } => "dns_error",
            FetchError::Connect { .. } => "connect_error",
            FetchError::Timeout(_) => "timeout",
            FetchError::Status { .. } => "http_status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::BadRedirect(_) => "bad_redirect",
            FetchError::NotHtml(_) => "not_html",
            FetchError::DisallowedByRobots => "robots_disallowed",
            FetchError::RobotsUnreachable(_) => "robots_unreachable",
            FetchError::Transport(_) => "transport_error",
        }
    }
}

impl From<pricewatch_egress::GuardError> for FetchError {
    fn from(refused: pricewatch_egress::GuardError) -> Self {
        use pricewatch_egress::GuardError;
        match refused {
            GuardError::InvalidUrl(detail) => FetchError::InvalidUrl(detail),
            GuardError::Scheme(scheme) => FetchError::Scheme(scheme),
            GuardError::ForbiddenAddress { addr, reason } => {
                FetchError::ForbiddenAddress { addr, reason }
            }
            GuardError::Unchecked(host) => FetchError::Unchecked(host),
            GuardError::Resolve { host, detail } => FetchError::Resolve { host, detail },
        }
    }
}

fn article(noun: &str) -> &'static str {
    let starts_with_vowel_sound = noun.starts_with(['a', 'e', 'i', 'o', 'I'])
        || (noun.starts_with("un") && !noun.starts_with("uni"));
    if starts_with_vowel_sound { "an" } else { "a" }
}

/// `20 s`, `0.5 s`.
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis.is_multiple_of(1000) {
            write!(f, "{} s", millis / 1000)
        } else {
            write!(f, "{} s", self.0.as_secs_f64())
        }
    }
}

/// `5 MB`, `1.5 MB`, `64 KB`, `100 bytes` (binary units, as people read sizes).
struct Size(usize);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KB: usize = 1024;
        const MB: usize = 1024 * 1024;
        let n = self.0;
        if n >= MB && n.is_multiple_of(MB) {
            write!(f, "{} MB", n / MB)
        } else if n >= MB {
            write!(f, "{}.{} MB", n / MB, (n % MB) * 10 / MB)
        } else if n >= KB && n.is_multiple_of(KB) {
            write!(f, "{} KB", n / KB)
        } else {
            write!(f, "{n} bytes")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_the_user_sees_them() {
        let private = FetchError::ForbiddenAddress {
            addr: "10.0.0.1".parse().unwrap(),
            reason: "private network",
        };
        assert_eq!(
            private.to_string(),
            "refused: address 10.0.0.1 is a private network address"
        );
        let unspecified = FetchError::ForbiddenAddress {
            addr: "0.0.0.0".parse().unwrap(),
            reason: "unspecified",
        };
        assert_eq!(
            unspecified.to_string(),
            "refused: address 0.0.0.0 is an unspecified address"
        );
        let unique = FetchError::ForbiddenAddress {
            addr: "fd00::1".parse().unwrap(),
            reason: "unique local",
        };
        assert_eq!(
            unique.to_string(),
            "refused: address fd00::1 is a unique local address"
        );
        assert_eq!(
            FetchError::Status {
                status: 404,
                retry_after: None
            }
            .to_string(),
            "HTTP 404"
        );
        assert_eq!(
            FetchError::Timeout(Duration::from_secs(20)).to_string(),
            "timed out after 20 s"
        );
        assert_eq!(
            FetchError::Timeout(Duration::from_millis(500)).to_string(),
            "timed out after 0.5 s"
        );
        assert_eq!(
            FetchError::TooLarge {
                limit: 5 * 1024 * 1024
            }
            .to_string(),
            "page larger than 5 MB"
        );
        assert_eq!(
            FetchError::TooLarge { limit: 64 * 1024 }.to_string(),
            "page larger than 64 KB"
        );
        assert_eq!(
            FetchError::TooManyRedirects { limit: 5 }.to_string(),
            "too many redirects"
        );
        assert_eq!(
            FetchError::NotHtml("application/pdf".into()).to_string(),
            "not an HTML page (application/pdf)"
        );
        assert_eq!(
            FetchError::DisallowedByRobots.to_string(),
            "disallowed by robots.txt"
        );
    }

    #[test]
    fn transient_failures_are_the_ones_a_retry_can_fix() {
        let status = |status| FetchError::Status {
            status,
            retry_after: None,
        };
        assert!(status(500).is_transient());
        assert!(status(503).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(501).is_transient());
        assert!(!status(404).is_transient());
        assert!(!status(403).is_transient());
        assert!(FetchError::Timeout(Duration::from_secs(1)).is_transient());
        assert!(!FetchError::DisallowedByRobots.is_transient());
        assert!(!FetchError::TooLarge { limit: 1 }.is_transient());
        let limited = FetchError::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
    }
}
