//! A reqwest client that only reaches addresses the SSRF policy allows, on every
//! hop: names are resolved and checked inside the client's own resolver (so it
//! connects to exactly the addresses it checked), literal IP hosts are checked
//! before the request and on each redirect.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pricewatch_domain::address::check_address;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Method, RequestBuilder, Response, redirect};
use url::{Host, Url};

use crate::guard::{AddressResolver, ConnectGate, GuardError};

/// How a guarded client connects.
#[derive(Debug, Clone)]
pub struct EgressSettings {
    /// For each TCP (and TLS) connection, and for each name resolution.
    pub connect_timeout: Duration,
    /// For a whole request: every redirect hop and the response body.
    pub timeout: Duration,
    /// Redirects followed; each hop is checked again. 0: none followed.
    pub max_redirects: usize,
    /// Development only (`ALLOW_LOOPBACK_TARGETS`): loopback addresses pass.
    /// Private and every other internal range stay refused.
    pub allow_loopback: bool,
    pub user_agent: String,
}

impl Default for EgressSettings {
    fn default() -> Self {
        EgressSettings {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_redirects: 3,
            allow_loopback: false,
            user_agent: concat!("PriceWatch/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Why a guarded request did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    #[error(transparent)]
    Refused(#[from] GuardError),
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    #[error("timed out")]
    Timeout,
    #[error("could not connect to {host}: {detail}")]
    Connect { host: String, detail: String },
    #[error("connection failed: {0}")]
    Transport(String),
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
}

impl EgressError {
    /// Worth trying again later: the network or the receiver may recover.
    /// A refused address or a redirect loop never will.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EgressError::Timeout
                | EgressError::Connect { .. }
                | EgressError::Transport(_)
                | EgressError::Refused(GuardError::Resolve { .. })
        )
    }
}

#[derive(Debug, thiserror::Error)]
#[error("more than {0} redirects")]
struct RedirectLimit(usize);

/// Builds a [`GuardedClient`].
pub struct GuardedClientBuilder {
    settings: EgressSettings,
    resolver: Arc<dyn AddressResolver>,
    gate: Option<Arc<dyn ConnectGate>>,
}

impl GuardedClientBuilder {
    /// Resolves names with `resolver` (tests: a map, never DNS).
    pub fn resolver(mut self, resolver: Arc<dyn AddressResolver>) -> Self {
        self.resolver = resolver;
        self
    }

    /// A last look at every destination before it is dialled (tests).
    pub fn gate(mut self, gate: Arc<dyn ConnectGate>) -> Self {
        self.gate = Some(gate);
        self
    }

    pub fn build(self) -> Result<GuardedClient, reqwest::Error> {
        let policy = AddressPolicy {
            allow_loopback: self.settings.allow_loopback,
            gate: self.gate,
        };
        let resolver = CheckingResolver {
            resolver: self.resolver,
            policy: policy.clone(),
            timeout: self.settings.connect_timeout,
        };
        let max_redirects = self.settings.max_redirects;
        let hop_policy = policy.clone();
        let redirects = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                return attempt.error(RedirectLimit(max_redirects));
            }
            match hop_policy.check_literal(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(self.settings.user_agent.as_str())
            .connect_timeout(self.settings.connect_timeout)
            .timeout(self.settings.timeout)
            .redirect(redirects)
            // A proxy would resolve names itself, out of the guard's sight.
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(4)
            .build()?;
        Ok(GuardedClient { client, policy })
    }
}

/// A reqwest client behind the SSRF guard. Cheap to clone (one connection pool).
#[derive(Clone)]
pub struct GuardedClient {
    client: reqwest::Client,
    policy: AddressPolicy,
}

impl GuardedClient {
    /// The system resolver, no gate.
    pub fn builder(settings: EgressSettings) -> GuardedClientBuilder {
        GuardedClientBuilder {
            settings,
            resolver: Arc::new(crate::guard::SystemResolver),
            gate: None,
        }
    }

    /// A request to `url`, refused at once when its scheme is not http(s) or its
    /// host is a literal address the policy forbids. Names are checked when the
    /// client resolves them.
    pub fn request(&self, method: Method, url: Url) -> Result<RequestBuilder, EgressError> {
        self.policy.check_literal(&url)?;
        Ok(self.client.request(method, url))
    }

    /// Sends a request made by [`GuardedClient::request`]; an answer of any status is `Ok`.
    pub async fn send(&self, request: RequestBuilder) -> Result<Response, EgressError> {
        request.send().await.map_err(|e| classify(&e))
    }
}

/// Reads a response body, at most `limit` bytes (more is an error).
pub async fn read_limited(response: &mut Response, limit: usize) -> Result<Vec<u8>, EgressError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(EgressError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Clone)]
struct AddressPolicy {
    allow_loopback: bool,
    gate: Option<Arc<dyn ConnectGate>>,
}

impl AddressPolicy {
    fn check_ip(&self, ip: IpAddr) -> Result<(), GuardError> {
        check_address(ip, self.allow_loopback)
            .map_err(|reason| GuardError::ForbiddenAddress { addr: ip, reason })
    }

    fn admit(&self, host: &str, addrs: &[IpAddr]) -> Result<(), GuardError> {
        match &self.gate {
            Some(gate) if !gate.admit(host, addrs) => Err(GuardError::Unchecked(host.to_owned())),
            _ => Ok(()),
        }
    }

    /// Scheme, host, and a literal IP host: the client dials those without asking a resolver.
    fn check_literal(&self, url: &Url) -> Result<(), GuardError> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(GuardError::Scheme(other.to_owned())),
        }
        let ip = match url.host() {
            None => return Err(GuardError::InvalidUrl("the URL has no host".into())),
            Some(Host::Domain(_)) => return Ok(()),
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        };
        self.check_ip(ip)?;
        self.admit(url.host_str().unwrap_or_default(), &[ip])
    }
}

/// The resolver handed to reqwest: resolves, checks every address, and gives the
/// client exactly the checked ones (one DNS answer, no second lookup to rebind).
struct CheckingResolver {
    resolver: Arc<dyn AddressResolver>,
    policy: AddressPolicy,
    timeout: Duration,
}

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let resolver = Arc::clone(&self.resolver);
        let policy = self.policy.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            let failed = |detail: &str| GuardError::Resolve {
                host: host.clone(),
                detail: detail.to_owned(),
            };
            let mut addrs = tokio::time::timeout(timeout, resolver.resolve(&host))
                .await
                .map_err(|_| failed("timed out"))?
                .map_err(|e| failed(&e.to_string()))?;
            addrs.sort_unstable();
            addrs.dedup();
            if addrs.is_empty() {
                return Err(failed("no address").into());
            }
            for &ip in &addrs {
                policy.check_ip(ip)?;
            }
            policy.admit(&host, &addrs)?;
            // Port 0: reqwest substitutes the URL's port.
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

fn classify(error: &reqwest::Error) -> EgressError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(refused) = current.downcast_ref::<GuardError>() {
            return EgressError::Refused(refused.clone());
        }
        if let Some(RedirectLimit(limit)) = current.downcast_ref::<RedirectLimit>() {
            return EgressError::TooManyRedirects(*limit);
        }
        cause = current.source();
    }
    if error.is_timeout() {
        return EgressError::Timeout;
    }
    let host = error
        .url()
        .and_then(Url::host_str)
        .unwrap_or_default()
        .to_owned();
    if error.is_connect() {
        EgressError::Connect {
            host,
            detail: innermost(error),
        }
    } else {
        EgressError::Transport(innermost(error))
    }
}

/// The message of the deepest cause: reqwest's own wording says little.
pub fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
