//! Shared plumbing of every PriceWatch binary: settings, telemetry (tracing,
//! Sentry), Prometheus metrics, the Redis pool, heartbeats, the health-probe
//! server, graceful shutdown and the start-up every service binary shares.

pub mod dependencies;
pub mod health;
pub mod heartbeat;
pub mod metrics;
pub mod redis;
pub mod sentry_capture;
pub mod service;
pub mod settings;
pub mod shutdown;
pub mod smtp;
pub mod start;
pub mod telemetry;

/// The version every service reports (workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
