//! The address policy for a host a user names by DNS name when adding a
//! channel (a webhook, a self-hosted ntfy, Gotify or Matrix server): the
//! egress crate's guard resolves it once, within [`RESOLVE_TIMEOUT`], and
//! checks every address with `pricewatch_domain::address::check_address`
//! (literal addresses were already checked by the channel parser). Whatever
//! connects later checks again at each connection.

use std::sync::Arc;
use std::time::Duration;

use pricewatch_domain::channel::Endpoint;
use pricewatch_egress::AddressResolver;
use pricewatch_egress::guard::{Guard, PinTable};
use url::{Host, Url};

pub use pricewatch_egress::{ResolveFuture, SystemResolver};

/// How long a name may take to resolve.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a named host was refused, in the channel parser's `part: message` form.
pub async fn check_endpoint(
    resolver: &Arc<dyn AddressResolver>,
    endpoint: &Endpoint,
    allow_loopback: bool,
) -> Result<(), String> {
    if !matches!(endpoint.server.host, Host::Domain(_)) {
        return Ok(());
    }
    let url = Url::parse(&endpoint.base_url()).map_err(|e| format!("host: {e}"))?;
    // Nothing connects here: the pins the guard keeps for a connection go unused.
    let pins = Arc::new(PinTable::new(Duration::ZERO, None));
    Guard::new(
        Arc::clone(resolver),
        allow_loopback,
        Vec::new(),
        RESOLVE_TIMEOUT,
        pins,
    )
    .check(&url)
    .await
    .map_err(|e| format!("host: {e}"))
}
