//! Fetching product pages from the open web without letting a user-supplied URL reach
//! inside our network.
//!
//! The job handler's order of calls:
//! 1. `Politeness::acquire(host, max_wait)` — a turn on the domain, shared by all workers;
//! 2. `Fetcher::fetch(url, &validators)` — robots.txt, SSRF guard on every hop, limits;
//! 3. on a transient error, `RetryPolicy::next_delay(attempt, &error)` says when to try again.

mod body;
mod error;
mod fetcher;
pub mod politeness;
pub mod retry;
pub mod robots;

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

pub use error::FetchError;
pub use fetcher::{BuildError, Fetcher};
pub use politeness::{DomainPermit, Politeness, PolitenessError, PolitenessSettings};
pub use pricewatch_egress::{AddressResolver, ConnectGate, ResolveFuture, SystemResolver};
pub use retry::{Backoff, RetryPolicy, backoff};

/// How pages are fetched. `Default` is the production setting (loopback refused).
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// For each TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// For the whole fetch: robots.txt, every redirect hop and the body, however slowly it drips.
    pub total_timeout: Duration,
    /// After decompression.
    pub max_body_bytes: usize,
    pub max_redirects: u32,
    /// Its product token (`PriceWatch` in `PriceWatch/0.1 (+url)`) selects the robots.txt group.
    pub user_agent: String,
    /// Dev/test only: lets the worker fetch the local demo shop. Private ranges stay refused.
    pub allow_loopback: bool,
    pub respect_robots: bool,
    /// Exact socket addresses let through the address check whatever their range (tests:
    /// a local server standing in for a public site). Empty in production.
    pub allowed_addrs: Vec<SocketAddr>,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(20),
            max_body_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            user_agent: concat!(
                "PriceWatch/",
                env!("CARGO_PKG_VERSION"),
                " (self-hosted price tracker)"
            )
            .to_owned(),
            allow_loopback: false,
            respect_robots: true,
            allowed_addrs: Vec::new(),
        }
    }
}

/// What the previous fetch of the page returned, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    Fetched(Page),
    /// 304: the page has not changed since the validators were issued.
    NotModified {
        final_url: Url,
    },
}

/// An HTML page, ready for the extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// After redirects: relative links and JSON-LD URLs resolve against it.
    pub final_url: Url,
    pub status: u16,
    /// Decompressed, at most `max_body_bytes`.
    pub body: Vec<u8>,
    /// The `charset` parameter of Content-Type, lower-cased; `None` leaves it to `<meta>` sniffing.
    pub charset: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Page {
    pub fn validators(&self) -> Validators {
        Validators {
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
        }
    }
}
