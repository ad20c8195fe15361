//! RabbitMQ for PriceWatch: the topology (names from one prefix, quorum work
//! queues with dead-letter queues, delivery limits and delayed-retry queues),
//! confirmed publishing, and supervised consuming that survives broker restarts.
//!
//! ```no_run
//! # async fn run() -> Result<(), pricewatch_bus::BusError> {
//! use pricewatch_bus::{Bus, BusConfig, Outcome, Topology};
//! use tokio_util::sync::CancellationToken;
//!
//! let bus = Bus::connect(BusConfig::new("amqp://127.0.0.1:5672/%2f", Topology::new("pricewatch"))).await?;
//! let queue = bus.topology().check_price.clone();
//! let shutdown = CancellationToken::new();
//! bus.consume(&queue, 16, shutdown, |job| async move {
//!     tracing::info!(attempt = job.attempt(), "checking");
//!     Ok(Outcome::Ack)
//! })
//! .await
//! # }
//! ```

pub mod connection;
pub mod consumer;
pub mod error;
pub mod inspect;
pub mod publisher;
pub mod topology;

pub use connection::{Bus, BusConfig, QueueDepth};
pub use consumer::{Delivery, Outcome};
pub use error::BusError;
pub use tokio_util::sync::CancellationToken;
pub use topology::Topology;
