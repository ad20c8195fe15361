//! Outbound HTTP to addresses users choose (product pages, webhooks, self-hosted
//! notification servers), behind the SSRF address policy of
//! `pricewatch_domain::address`:
//!
//! - [`guard`]: resolve a host, check every address, pin the checked ones (the
//!   scraper-worker follows redirects by hand with it);
//! - [`GuardedClient`]: a reqwest client built with timeouts, no proxy, a resolver
//!   that checks what it resolves, and a redirect policy that checks each hop;
//! - [`parse_retry_after`]: the `Retry-After` header in both its forms.

mod client;
pub mod guard;
mod retry_after;

pub use client::{
    EgressError, EgressSettings, GuardedClient, GuardedClientBuilder, innermost, read_limited,
};
pub use guard::{AddressResolver, ConnectGate, GuardError, ResolveFuture, SystemResolver};
pub use retry_after::{parse_retry_after, retry_after_of};
