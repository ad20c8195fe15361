//! The forward proxy every request of the browser goes through: `CONNECT
//! host:port` for https (and websockets), absolute-URI requests for plain
//! http. It resolves the host, applies the address policy of
//! `pricewatch_domain::address` (the one the scraper-worker applies) to every
//! address, and connects to exactly the addresses it checked, so a page's
//! script, image, redirect or websocket cannot reach inside our network.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pricewatch_domain::address::{Reason, check_address};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// Largest request head the proxy reads.
const MAX_HEAD_BYTES: usize = 32 * 1024;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// The refusals kept for [`ProxyStats::refusals`].
const KEPT_REFUSALS: usize = 64;
/// The header on the proxy's own refusal of a plain-http request.
pub const REFUSED_HEADER: &str = "x-pricewatch-refused";

/// A last look at every address right before the proxy dials it, after the
/// address policy passed it. Production needs none; tests install one that
/// records every dial and fails on a refused address.
pub trait ConnectGate: Send + Sync {
    fn admit(&self, addr: SocketAddr) -> bool;
}

/// Where the proxy may connect.
#[derive(Clone)]
pub struct Policy {
    /// Dev/test only: the local demo shop. Private ranges stay refused.
    pub allow_loopback: bool,
    /// The only ports the browser may reach on a public host (80 and 443 by
    /// default). With `allow_loopback`, a loopback host may be reached on any
    /// port (the local demo shop listens on its own).
    pub allowed_ports: Vec<u16>,
    pub resolve_timeout: Duration,
    pub connect_timeout: Duration,
    pub gate: Option<Arc<dyn ConnectGate>>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("allow_loopback", &self.allow_loopback)
            .field("allowed_ports", &self.allowed_ports)
            .field("gate", &self.gate.is_some())
            .finish_non_exhaustive()
    }
}

/// Why the proxy did not connect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{host} resolves to {addr}, a {reason} address")]
    Forbidden {
        host: String,
        addr: IpAddr,
        reason: Reason,
    },
    #[error("{host}:{port} is not an allowed port")]
    Port { host: String, port: u16 },
    #[error("cannot resolve {host}: {detail}")]
    Resolve { host: String, detail: String },
    #[error("{host} is unreachable")]
    Unreachable { host: String },
    #[error("{host} serves the browser itself, not the page")]
    BrowserService { host: String },
}

/// Hosts of the browser's own services (sign-in, component and extension
/// updates, safe browsing, optimisation hints). Chromium may still call them
/// in the background despite its flags; they are refused before any DNS
/// lookup, so no such request ever leaves the machine. No shop's page needs
/// them to show its price.
const BROWSER_SERVICE_HOSTS: &[&str] = &[
    "accounts.google.com",
    "android.clients.google.com",
    "clients1.google.com",
    "clients2.google.com",
    "clientservices.googleapis.com",
    "content-autofill.googleapis.com",
    "edgedl.me.gvt1.com",
    "optimizationguide-pa.googleapis.com",
    "redirector.gvt1.com",
    "safebrowsing.googleapis.com",
    "safebrowsingohttpgateway.googleapis.com",
    "update.googleapis.com",
];

/// Whether `host` (without brackets or a trailing dot) is one of
/// [`BROWSER_SERVICE_HOSTS`].
fn is_browser_service(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    BROWSER_SERVICE_HOSTS
        .iter()
        .any(|known| host.eq_ignore_ascii_case(known))
}

impl Refusal {
    /// A refusal by the address policy, as opposed to a failure to connect.
    pub fn is_policy(&self) -> bool {
        matches!(self, Refusal::Forbidden { .. } | Refusal::Port { .. })
    }

    /// The reason sent in the refusal header.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Forbidden { reason, .. } => reason,
            Refusal::Port { .. } => "port",
            _ => "refused",
        }
    }
}

/// What the proxy did, for readiness, metrics and tests.
#[derive(Debug, Default)]
pub struct ProxyStats {
    connected: AtomicU64,
    refused: AtomicU64,
    recent: Mutex<VecDeque<Refusal>>,
}

impl ProxyStats {
    pub fn connected(&self) -> u64 {
        self.connected.load(Ordering::Relaxed)
    }
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
    /// The latest policy refusals, oldest first.
    pub fn refusals(&self) -> Vec<Refusal> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent.iter().cloned().collect()
    }
    /// Whether a recent policy refusal names this host.
    pub fn refused_host(&self, host: &str) -> bool {
        self.refusals().iter().any(|r| match r {
            Refusal::Forbidden { host: h, .. } | Refusal::Port { host: h, .. } => h == host,
            _ => false,
        })
    }
    fn record_refusal(&self, refusal: &Refusal) {
        if !refusal.is_policy() {
            return;
        }
        self.refused.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("pricewatch_renderer_proxy_refused_total").increment(1);
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        if recent.len() >= KEPT_REFUSALS {
            recent.pop_front();
        }
        recent.push_back(refusal.clone());
    }
}

impl Policy {
    /// Resolves `host` and checks every address; all must pass.
    pub async fn check_host(&self, host: &str) -> Result<Vec<IpAddr>, Refusal> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) if is_browser_service(bare) => {
                return Err(Refusal::BrowserService {
                    host: host.to_owned(),
                });
            }
            Err(_) => {
                let failed = |detail: String| Refusal::Resolve {
                    host: host.to_owned(),
                    detail,
                };
                let found =
                    tokio::time::timeout(self.resolve_timeout, tokio::net::lookup_host((bare, 0)))
                        .await
                        .map_err(|_| failed("timed out".to_owned()))?
                        .map_err(|e| failed(e.to_string()))?;
                let mut addrs: Vec<IpAddr> = found.map(|a| a.ip()).collect();
                addrs.sort_unstable();
                addrs.dedup();
                if addrs.is_empty() {
                    return Err(failed("no address".to_owned()));
                }
                addrs
            }
        };
        for &addr in &addrs {
            check_address(addr, self.allow_loopback).map_err(|reason| Refusal::Forbidden {
                host: host.to_owned(),
                addr,
                reason,
            })?;
        }
        Ok(addrs)
    }

    /// Whether `port` may be reached on `addrs` (already checked): one of
    /// the allowed ports, or any port of a loopback host when loopback is
    /// allowed.
    pub fn port_allowed(&self, addrs: &[IpAddr], port: u16) -> bool {
        self.allowed_ports.contains(&port)
            || (self.allow_loopback
                && !addrs.is_empty()
                && addrs.iter().all(|a| a.to_canonical().is_loopback()))
    }

    /// Checks `host` and `port` as [`Policy::check_host`] and
    /// [`Policy::port_allowed`] do.
    pub async fn check_target(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, Refusal> {
        let addrs = self.check_host(host).await?;
        if !self.port_allowed(&addrs, port) {
            return Err(Refusal::Port {
                host: host.to_owned(),
                port,
            });
        }
        Ok(addrs)
    }

    /// Connects to one of the checked addresses of `host`.
    async fn dial(&self, host: &str, port: u16) -> Result<TcpStream, Refusal> {
        let addrs = self.check_target(host, port).await?;
        for ip in addrs {
            let addr = SocketAddr::new(ip, port);
            if let Some(gate) = &self.gate
                && !gate.admit(addr)
            {
                continue;
            }
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(error)) => tracing::debug!(%addr, %error, "proxy connect failed"),
                Err(_) => tracing::debug!(%addr, "proxy connect timed out"),
            }
        }
        Err(Refusal::Unreachable {
            host: host.to_owned(),
        })
    }
}

/// The running proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    pub stats: Arc<ProxyStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Starts serving on `listener` (loopback, port 0) in the background.
    pub fn start(listener: TcpListener, policy: Policy) -> std::io::Result<Proxy> {
        let addr = listener.local_addr()?;
        let stats = Arc::new(ProxyStats::default());
        let policy = Arc::new(policy);
        let task = {
            let stats = Arc::clone(&stats);
            tokio::spawn(async move {
                loop {
                    let (client, peer) = match listener.accept().await {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            tracing::warn!(%error, "proxy accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    if !peer.ip().is_loopback() {
                        continue;
                    }
                    let (policy, stats) = (Arc::clone(&policy), Arc::clone(&stats));
                    tokio::spawn(async move {
                        if let Err(error) = serve(client, &policy, &stats).await {
                            tracing::debug!(%error, "proxy connection ended");
                        }
                    });
                }
            })
        };
        Ok(Proxy { addr, stats, task })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One client connection: one CONNECT tunnel, or one plain-http request
/// (sent upstream with `Connection: close`, so the browser never reuses the
/// connection for another host).
async fn serve(mut client: TcpStream, policy: &Policy, stats: &ProxyStats) -> std::io::Result<()> {
    let Ok(read) = tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut client)).await else {
        return Ok(());
    };
    let Some((head, rest)) = read? else {
        return respond(&mut client, "400 Bad Request", None, "bad request head").await;
    };
    let Some(request) = Request::parse(&head) else {
        return respond(&mut client, "400 Bad Request", None, "bad request").await;
    };
    let (host, port) = (request.host.clone(), request.port);
    let mut upstream = match policy.dial(&host, port).await {
        Ok(stream) => stream,
        Err(refusal) => {
            stats.record_refusal(&refusal);
            tracing::info!(%refusal, "proxy refused a request of the browser");
            return if refusal.is_policy() {
                respond(
                    &mut client,
                    "403 Forbidden",
                    Some(refusal.reason()),
                    &format!("refused by the address policy: {refusal}"),
                )
                .await
            } else {
                respond(&mut client, "502 Bad Gateway", None, &refusal.to_string()).await
            };
        }
    };
    stats.connected.fetch_add(1, Ordering::Relaxed);
    if request.tunnel {
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
    } else {
        upstream.write_all(request.origin_head.as_bytes()).await?;
    }
    if !rest.is_empty() {
        upstream.write_all(&rest).await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn respond(
    client: &mut TcpStream,
    status: &str,
    refused: Option<&str>,
    body: &str,
) -> std::io::Result<()> {
    let refused = refused
        .map(|reason| format!("{REFUSED_HEADER}: {reason}\r\n"))
        .unwrap_or_default();
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\n{refused}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(answer.as_bytes()).await?;
    client.shutdown().await
}

/// Reads up to the end of the request head; returns the head and the bytes
/// read past it, or `None` for a head too large or cut short.
async fn read_head(client: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0_u8; 4096];
    loop {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok(String::from_utf8(buf).ok().map(|head| (head, rest)));
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Ok(None);
        }
    }
}

/// A request to the proxy, parsed just enough to route it.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    tunnel: bool,
    host: String,
    port: u16,
    /// For plain http: the head to send upstream.
    origin_head: String,
}

impl Request {
    fn parse(head: &str) -> Option<Request> {
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let (method, target, version) = (first.next()?, first.next()?, first.next()?);
        if first.next().is_some() || !version.starts_with("HTTP/1.") {
            return None;
        }
        if method.eq_ignore_ascii_case("CONNECT") {
            let url = Url::parse(&format!("http://{target}/")).ok()?;
            // `port()` is None for the scheme's default (80), which a
            // CONNECT may name too.
            let (_, digits) = target.rsplit_once(':')?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let port = url.port_or_known_default()?;
            return Some(Request {
                tunnel: true,
                host: url.host_str()?.to_owned(),
                port,
                origin_head: String::new(),
            });
        }
        let url = Url::parse(target).ok()?;
        if url.scheme() != "http" || !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        let mut origin_head = format!("{method} {path} {version}\r\n");
        for line in lines.filter(|l| !l.is_empty()) {
            let name = line.split(':').next().unwrap_or_default().trim();
            let hop = ["connection", "keep-alive", "te", "upgrade"];
            if name.to_ascii_lowercase().starts_with("proxy-")
                || hop.iter().any(|h| name.eq_ignore_ascii_case(h))
            {
                continue;
            }
            origin_head.push_str(line);
            origin_head.push_str("\r\n");
        }
        origin_head.push_str("Connection: close\r\n\r\n");
        Some(Request {
            tunnel: false,
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default()?,
            origin_head,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_and_absolute_requests_are_routed() {
        let connect =
            Request::parse("CONNECT shop.test:443 HTTP/1.1\r\nHost: shop.test:443\r\n").unwrap();
        assert!(connect.tunnel);
        assert_eq!((connect.host.as_str(), connect.port), ("shop.test", 443));
        let default_port = Request::parse("CONNECT shop.test:80 HTTP/1.1\r\n").unwrap();
        assert_eq!(
            (default_port.host.as_str(), default_port.port),
            ("shop.test", 80)
        );
        let v6 = Request::parse("CONNECT [::1]:8443 HTTP/1.1\r\n").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("[::1]", 8443));

        let get = Request::parse(
            "GET http://10.0.0.1/a?b=1 HTTP/1.1\r\nHost: 10.0.0.1\r\nProxy-Connection: keep-alive\r\nAccept: */*\r\n",
        )
        .unwrap();
        assert!(!get.tunnel);
        assert_eq!((get.host.as_str(), get.port), ("10.0.0.1", 80));
        assert_eq!(
            get.origin_head,
            "GET /a?b=1 HTTP/1.1\r\nHost: 10.0.0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn other_requests_are_refused() {
        assert_eq!(Request::parse("GET / HTTP/1.1\r\n"), None);
        assert_eq!(Request::parse("GET file:///etc/passwd HTTP/1.1\r\n"), None);
        assert_eq!(Request::parse("GET ftp://x/ HTTP/1.1\r\n"), None);
        assert_eq!(Request::parse("CONNECT nohost HTTP/1.1\r\n"), None);
        assert_eq!(Request::parse("CONNECT [::1] HTTP/1.1\r\n"), None);
    }

    #[tokio::test]
    async fn the_browsers_own_services_are_refused_without_a_lookup() {
        let policy = Policy {
            allow_loopback: false,
            allowed_ports: vec![80, 443],
            resolve_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            gate: None,
        };
        for host in [
            "accounts.google.com",
            "Update.GoogleAPIs.com.",
            "clients2.google.com",
        ] {
            let refusal = policy.check_host(host).await.unwrap_err();
            assert!(
                matches!(refusal, Refusal::BrowserService { .. }),
                "{host}: {refusal}"
            );
            assert!(!refusal.is_policy(), "not counted as the page's refusal");
        }
        // Any other name is looked up and judged by its addresses, as ever
        // (`localhost` from the hosts file, loopback refused here).
        let refusal = policy.check_host("localhost").await.unwrap_err();
        assert!(matches!(refusal, Refusal::Forbidden { .. }), "{refusal}");
    }

    #[tokio::test]
    async fn private_hosts_fail_the_policy_before_any_dial() {
        let policy = Policy {
            allow_loopback: true,
            allowed_ports: vec![80, 443],
            resolve_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            gate: None,
        };
        for host in [
            "10.0.0.1",
            "169.254.169.254",
            "[::ffff:10.0.0.1]",
            "[fd00::1]",
        ] {
            let refusal = policy.check_host(host).await.unwrap_err();
            assert!(refusal.is_policy(), "{host}: {refusal}");
        }
        assert!(policy.check_host("127.0.0.1").await.is_ok());
        let strict = Policy {
            allow_loopback: false,
            ..policy
        };
        assert!(strict.check_host("127.0.0.1").await.is_err());
        assert!(strict.check_host("localhost").await.is_err());
    }

    /// Records every address the proxy would dial, and dials none.
    #[derive(Default)]
    struct Dials(Mutex<Vec<SocketAddr>>);

    impl ConnectGate for Dials {
        fn admit(&self, addr: SocketAddr) -> bool {
            self.0.lock().unwrap().push(addr);
            addr.ip().is_loopback()
        }
    }

    async fn ask(proxy: SocketAddr, head: &str) -> String {
        let mut client = TcpStream::connect(proxy).await.unwrap();
        client.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0_u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut answer))
            .await
            .unwrap()
            .unwrap();
        String::from_utf8_lossy(&answer[..n]).into_owned()
    }

    fn proxy_with(allow_loopback: bool, dials: &Arc<Dials>) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let policy = Policy {
            allow_loopback,
            allowed_ports: vec![80, 443],
            resolve_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            gate: Some(Arc::clone(dials) as Arc<dyn ConnectGate>),
        };
        Proxy::start(TcpListener::from_std(listener).unwrap(), policy).unwrap()
    }

    #[tokio::test]
    async fn other_ports_of_public_hosts_are_refused_before_any_dial() {
        let dials = Arc::new(Dials::default());
        let proxy = proxy_with(false, &dials);
        // A public address: refused for its port, so
        // nothing is ever sent to it (the gate lets no public dial through).
        for head in [
            "CONNECT 93.184.215.14:22 HTTP/1.1\r\n\r\n",
            "CONNECT 93.184.215.14:6379 HTTP/1.1\r\n\r\n",
            "GET http://93.184.215.14:8080/ HTTP/1.1\r\nHost: 93.184.215.14:8080\r\n\r\n",
        ] {
            let answer = ask(proxy.addr, head).await;
            assert!(answer.starts_with("HTTP/1.1 403"), "{head}: {answer}");
            assert!(
                answer.contains(&format!("{REFUSED_HEADER}: port")),
                "{answer}"
            );
        }
        assert!(
            dials.0.lock().unwrap().is_empty(),
            "a refused port was dialled"
        );
        assert!(proxy.stats.refused_host("93.184.215.14"));
        assert_eq!(proxy.stats.refused(), 3);
        // 80 and 443 pass the policy (the dial itself is stopped by the gate).
        for head in [
            "CONNECT 93.184.215.14:443 HTTP/1.1\r\n\r\n",
            "CONNECT 93.184.215.14:80 HTTP/1.1\r\n\r\n",
            "GET http://93.184.215.14/ HTTP/1.1\r\nHost: 93.184.215.14\r\n\r\n",
        ] {
            let answer = ask(proxy.addr, head).await;
            assert!(answer.starts_with("HTTP/1.1 502"), "{head}: {answer}");
        }
        let dialled: Vec<u16> = dials.0.lock().unwrap().iter().map(|a| a.port()).collect();
        assert_eq!(dialled, vec![443, 80, 80]);
    }

    #[tokio::test]
    async fn loopback_hosts_use_any_port_only_when_loopback_is_allowed() {
        let shop = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = shop.local_addr().unwrap().port();
        let head = format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n");

        let dials = Arc::new(Dials::default());
        let proxy = proxy_with(true, &dials);
        let answer = ask(proxy.addr, &head).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert_eq!(dials.0.lock().unwrap().len(), 1);

        let strict_dials = Arc::new(Dials::default());
        let strict = proxy_with(false, &strict_dials);
        let answer = ask(strict.addr, &head).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        assert!(strict_dials.0.lock().unwrap().is_empty());
    }
}
