//! The SSRF guard: decides which addresses a URL may reach, then pins the HTTP client to
//! exactly those addresses so that a second DNS answer cannot swap them (no rebinding).
//!
//! [`Guard`] with [`PinTable`] and [`PinnedResolver`] is for callers that follow
//! redirects by hand and want each refusal before any request (the scraper-worker);
//! [`crate::GuardedClient`] checks inside the HTTP client itself, on every hop.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pricewatch_domain::address::check_address;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why the guard refused a destination. The scraper-worker shows these to users
/// as its fetch errors; the notifier records them on a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("refused: only http and https URLs can be reached, not {0}")]
    Scheme(String),
    #[error("refused: address {addr} is {} {reason} address", article(reason))]
    ForbiddenAddress { addr: IpAddr, reason: &'static str },
    #[error("refused: no checked address for {0}")]
    Unchecked(String),
    #[error("could not resolve {host}: {detail}")]
    Resolve { host: String, detail: String },
}

/// "a private network address", "an unspecified address".
pub fn article(noun: &str) -> &'static str {
    let starts_with_vowel_sound = noun.starts_with(['a', 'e', 'i', 'o', 'I'])
        || (noun.starts_with("un") && !noun.starts_with("uni"));
    if starts_with_vowel_sound { "an" } else { "a" }
}

pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// Turns a host name into addresses. Injected so that tests never touch real DNS.
pub trait AddressResolver: Send + Sync {
    fn resolve<'a>(&'a self, host: &'a str) -> ResolveFuture<'a>;
}

/// The system resolver, through tokio's `lookup_host`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

impl AddressResolver for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host, 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// A last look at every destination just before the HTTP client may dial it: the
/// addresses the pinned resolver yields, and literal IP hosts. `false` stops the request.
/// Production needs none; tests install one that fails on anything off loopback.
pub trait ConnectGate: Send + Sync {
    fn admit(&self, host: &str, addrs: &[IpAddr]) -> bool;
}

pub struct Guard {
    resolver: Arc<dyn AddressResolver>,
    allow_loopback: bool,
    allowed_addrs: Vec<SocketAddr>,
    resolve_timeout: Duration,
    pins: Arc<PinTable>,
}

impl Guard {
    pub fn new(
        resolver: Arc<dyn AddressResolver>,
        allow_loopback: bool,
        allowed_addrs: Vec<SocketAddr>,
        resolve_timeout: Duration,
        pins: Arc<PinTable>,
    ) -> Self {
        Guard {
            resolver,
            allow_loopback,
            allowed_addrs,
            resolve_timeout,
            pins,
        }
    }

    /// Checks scheme and every address the host stands for; on success the host is
    /// pinned to the checked addresses for the connection that follows.
    pub async fn check(&self, url: &Url) -> Result<(), GuardError> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(GuardError::Scheme(other.to_owned())),
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| GuardError::InvalidUrl("no port".into()))?;
        match url.host() {
            None => Err(GuardError::InvalidUrl("the URL has no host".into())),
            Some(Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip), port),
            Some(Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip), port),
            Some(Host::Domain(host)) => {
                let addrs = self.resolve(host).await?;
                for &ip in &addrs {
                    self.check_ip(ip, port)?;
                }
                self.pins.pin(host, addrs);
                Ok(())
            }
        }
    }

    /// Called right before each request is sent. The client dials a literal IP host
    /// without asking any resolver, so the gate looks at it here; names are shown to the
    /// gate by the pinned resolver.
    pub fn admit_literal(&self, url: &Url) -> Result<(), GuardError> {
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        let host = url.host_str().unwrap_or_default();
        if self.pins.admit(host, &[ip]) {
            Ok(())
        } else {
            Err(GuardError::Unchecked(host.to_owned()))
        }
    }

    fn check_ip(&self, ip: IpAddr, port: u16) -> Result<(), GuardError> {
        if self.allowed_addrs.contains(&SocketAddr::new(ip, port)) {
            return Ok(());
        }
        check_address(ip, self.allow_loopback)
            .map_err(|reason| GuardError::ForbiddenAddress { addr: ip, reason })
    }

    async fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, GuardError> {
        let failed = |detail: String| GuardError::Resolve {
            host: host.to_owned(),
            detail,
        };
        let mut addrs = tokio::time::timeout(self.resolve_timeout, self.resolver.resolve(host))
            .await
            .map_err(|_| failed("timed out".into()))?
            .map_err(|e| failed(e.to_string()))?;
        addrs.sort_unstable();
        addrs.dedup();
        if addrs.is_empty() {
            return Err(failed("no address".into()));
        }
        Ok(addrs)
    }
}

/// Host name -> the addresses the guard checked for it, shared with the client's resolver.
pub struct PinTable {
    entries: Mutex<HashMap<String, Pinned>>,
    lifetime: Duration,
    gate: Option<Arc<dyn ConnectGate>>,
}

struct Pinned {
    addrs: Vec<IpAddr>,
    expires: Instant,
}

/// Beyond this many hosts, expired pins are swept on insert.
const SWEEP_ABOVE: usize = 256;

impl PinTable {
    pub fn new(lifetime: Duration, gate: Option<Arc<dyn ConnectGate>>) -> Self {
        PinTable {
            entries: Mutex::new(HashMap::new()),
            lifetime,
            gate,
        }
    }

    fn pin(&self, host: &str, addrs: Vec<IpAddr>) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, pinned| pinned.expires > now);
        }
        // Concurrent fetches of one host overwrite each other's pins: every set was checked.
        entries.insert(
            host.to_owned(),
            Pinned {
                addrs,
                expires: now + self.lifetime,
            },
        );
    }

    fn lookup(&self, host: &str) -> Option<Vec<IpAddr>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(host)
            .filter(|pinned| pinned.expires > Instant::now())
            .map(|pinned| pinned.addrs.clone())
    }

    fn admit(&self, host: &str, addrs: &[IpAddr]) -> bool {
        self.gate
            .as_ref()
            .is_none_or(|gate| gate.admit(host, addrs))
    }
}

/// The resolver handed to reqwest: it never asks DNS, it only returns pinned addresses,
/// and fails closed for a host the guard has not checked.
pub struct PinnedResolver(pub Arc<PinTable>);

/// The error the pinned resolver gives for a host without a fresh, admitted pin.
#[derive(Debug, thiserror::Error)]
#[error("no checked address for {0}")]
pub struct NotPinned(pub String);

impl Resolve for PinnedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let pinned = self
            .0
            .lookup(&host)
            .filter(|addrs| self.0.admit(&host, addrs));
        Box::pin(async move {
            let addrs = pinned.ok_or(NotPinned(host))?;
            // Port 0: reqwest substitutes the URL's port.
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_expire_and_are_per_host() {
        let table = PinTable::new(Duration::from_millis(0), None);
        table.pin("a.test", vec!["1.2.3.4".parse().unwrap()]);
        assert_eq!(table.lookup("a.test"), None, "an expired pin is never used");
        let table = PinTable::new(Duration::from_secs(60), None);
        table.pin("a.test", vec!["1.2.3.4".parse().unwrap()]);
        assert_eq!(
            table.lookup("a.test"),
            Some(vec!["1.2.3.4".parse().unwrap()])
        );
        assert_eq!(table.lookup("b.test"), None);
    }
}
