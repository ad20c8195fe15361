//! The address policy for a host a user names by DNS name (a webhook, a
//! self-hosted ntfy, Gotify or Matrix server): resolved once, with a timeout,
//! and every address checked with `pricewatch_domain::address::check_address`
//! (literal addresses were already checked by the channel parser). Whatever
//! connects later checks again at each connection.

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use pricewatch_domain::address::check_address;
use pricewatch_domain::channel::Endpoint;
use url::Host;

/// How long a name may take to resolve.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

pub type Resolving<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// Resolves host names: the system resolver in production, a fixed table in
/// tests (which send nothing beyond loopback).
pub trait HostResolver: Send + Sync {
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a>;
}

/// The system resolver, through tokio's `lookup_host`.
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host, 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// Why a named host was refused, in the channel parser's `part: message` form.
pub async fn check_endpoint(
    resolver: &dyn HostResolver,
    endpoint: &Endpoint,
    allow_loopback: bool,
) -> Result<(), String> {
    let Host::Domain(name) = &endpoint.server.host else {
        return Ok(());
    };
    let addrs = match tokio::time::timeout(RESOLVE_TIMEOUT, resolver.resolve(name)).await {
        Err(_) => {
            return Err(format!(
                "host: {name} did not resolve within {} s",
                RESOLVE_TIMEOUT.as_secs()
            ));
        }
        Ok(Err(_)) => return Err(format!("host: {name} does not resolve")),
        Ok(Ok(addrs)) => addrs,
    };
    if addrs.is_empty() {
        return Err(format!("host: {name} does not resolve"));
    }
    for ip in addrs {
        check_address(ip, allow_loopback).map_err(|reason| {
            format!("host: {name} resolves to {ip}, which is not allowed: {reason}")
        })?;
    }
    Ok(())
}
