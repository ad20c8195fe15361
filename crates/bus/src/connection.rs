//! The supervised connection: one task owns the AMQP connection, notices when it
//! is gone (error events, connection and channel status, failures callers
//! report), and reconnects with capped, jittered exponential backoff, declaring
//! the topology again each time. lapin's own recovery stays off: it misses broker
//! restarts.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use lapin::{
    Channel, Connection, ConnectionProperties, Event, options::ConfirmSelectOptions,
    options::QueueDeclareOptions, types::FieldTable,
};
use rand::Rng;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::{
    error::{BusError, deadline},
    topology::{self, Topology},
};

/// How often the supervisor looks at the connection and channel status, in case
/// no error event was emitted (a broker-initiated close emits none).
const HEALTH_POLL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone)]
pub struct BusConfig {
    /// `amqp://user:pass@host:5672/%2f`; add `?heartbeat=10` to notice a dead peer
    /// sooner than the broker's default 60 s. Never logged.
    pub amqp_url: String,
    pub topology: Topology,
    /// Shown by `rabbitmqctl list_connections client_properties`.
    pub connection_name: String,
    /// Bound on every broker round trip: connecting, declaring, one publish or
    /// confirm, an ack, a queue-depth query.
    pub operation_timeout: Duration,
    /// Publisher confirms `publish_many` keeps in flight.
    pub confirm_window: usize,
    pub reconnect_min_delay: Duration,
    pub reconnect_max_delay: Duration,
}

impl BusConfig {
    pub fn new(amqp_url: impl Into<String>, topology: Topology) -> Self {
        Self {
            connection_name: format!("pricewatch:{}", topology.prefix),
            amqp_url: amqp_url.into(),
            topology,
            operation_timeout: Duration::from_secs(10),
            confirm_window: 1024,
            reconnect_min_delay: Duration::from_millis(200),
            reconnect_max_delay: Duration::from_secs(15),
        }
    }

    pub fn with_connection_name(mut self, name: impl Into<String>) -> Self {
        self.connection_name = name.into();
        self
    }
}

/// One established connection with its confirm-mode publishing channel.
pub(crate) struct Link {
    pub(crate) generation: u64,
    pub(crate) connection: Connection,
    pub(crate) publisher: Channel,
    /// Held while handing publishes to `publisher` (see `publisher::send`).
    pub(crate) send_lock: tokio::sync::Mutex<()>,
}

impl Link {
    pub(crate) fn is_healthy(&self) -> bool {
        self.connection.status().connected() && self.publisher.status().connected()
    }
}

#[derive(Clone)]
pub(crate) enum LinkState {
    Connecting,
    Up(Arc<Link>),
    Closed,
}

pub(crate) struct Shared {
    pub(crate) config: BusConfig,
    pub(crate) state: watch::Sender<LinkState>,
    /// Wakes the supervisor to re-check the link after a caller saw it fail.
    suspect: Notify,
    stop: CancellationToken,
    connections: AtomicU64,
}

/// Handle to the supervised RabbitMQ connection. Cheap to clone; every clone
/// shares the connection. Publishing lives in `publisher`, consuming in `consumer`.
#[derive(Clone)]
pub struct Bus {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("connection_name", &self.shared.config.connection_name)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    pub queue: String,
    /// Ready messages (not counting those delivered and not yet acked).
    pub messages: u32,
    pub consumers: u32,
}

impl Bus {
    /// Starts the supervisor and returns at once; the connection comes up in the
    /// background (see [`Bus::wait_connected`]). Must be called inside a Tokio runtime.
    pub fn start(config: BusConfig) -> Self {
        let (state, _) = watch::channel(LinkState::Connecting);
        let shared = Arc::new(Shared {
            config,
            state,
            suspect: Notify::new(),
            stop: CancellationToken::new(),
            connections: AtomicU64::new(0),
        });
        tokio::spawn(supervise(shared.clone()));
        Self { shared }
    }

    /// Starts the bus and waits until it is connected and the topology declared.
    pub async fn connect(config: BusConfig) -> Result<Self, BusError> {
        let wait = config.operation_timeout;
        let bus = Self::start(config);
        bus.wait_connected(wait).await?;
        Ok(bus)
    }

    pub fn topology(&self) -> &Topology {
        &self.shared.config.topology
    }

    pub fn config(&self) -> &BusConfig {
        &self.shared.config
    }

    /// For readiness probes: a connection is up, the topology declared, and the
    /// publishing channel open.
    pub fn is_connected(&self) -> bool {
        match &*self.shared.state.borrow() {
            LinkState::Up(link) => link.is_healthy(),
            LinkState::Connecting | LinkState::Closed => false,
        }
    }

    /// How many connections have been established so far (1 + reconnections).
    pub fn connection_count(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    pub async fn wait_connected(&self, timeout: Duration) -> Result<(), BusError> {
        self.link(timeout).await.map(drop)
    }

    /// The current link, waiting up to `timeout` for one.
    pub(crate) async fn link(&self, timeout: Duration) -> Result<Arc<Link>, BusError> {
        let mut state = self.shared.state.subscribe();
        let wait = state.wait_for(|s| match s {
            LinkState::Up(link) => link.is_healthy(),
            LinkState::Closed => true,
            LinkState::Connecting => false,
        });
        let found = match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(state)) => state.clone(),
            Ok(Err(_)) => LinkState::Closed,
            Err(_) => return Err(BusError::NotConnected(timeout)),
        };
        match found {
            LinkState::Up(link) => Ok(link),
            LinkState::Closed | LinkState::Connecting => Err(BusError::Closed),
        }
    }

    /// Tells the supervisor that an operation on this link failed; it re-checks
    /// the link at once instead of at its next poll.
    pub(crate) fn report_failure(&self) {
        self.shared.suspect.notify_one();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.shared.stop.is_cancelled()
    }

    /// Opens a channel on the current connection, for operations that may close it
    /// (passive declares) or administrative work (tests deleting their queues).
    pub async fn open_channel(&self) -> Result<Channel, BusError> {
        let timeout = self.shared.config.operation_timeout;
        let link = self.link(timeout).await?;
        deadline("channel.open", timeout, link.connection.create_channel())
            .await
            .inspect_err(|_| self.report_failure())
    }

    /// Message and consumer counts of every queue in the topology, by passive
    /// declaration (no management plugin needed).
    pub async fn queue_depths(&self) -> Result<Vec<QueueDepth>, BusError> {
        self.depths_of(self.topology().queue_names()).await
    }

    /// Messages waiting in one queue (a passive declaration).
    pub async fn queue_depth(&self, name: &str) -> Result<u32, BusError> {
        let depths = self.depths_of(std::iter::once(name)).await?;
        Ok(depths.first().map_or(0, |d| d.messages))
    }

    async fn depths_of<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<QueueDepth>, BusError> {
        let timeout = self.shared.config.operation_timeout;
        let channel = self.open_channel().await?;
        let mut depths = Vec::new();
        for name in names {
            let options = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            let queue = deadline(
                "queue.declare(passive)",
                timeout,
                channel.queue_declare(name.into(), options, FieldTable::default()),
            )
            .await?;
            depths.push(QueueDepth {
                queue: name.to_owned(),
                messages: queue.message_count(),
                consumers: queue.consumer_count(),
            });
        }
        let _ = deadline("channel.close", timeout, channel.close(200, "OK".into())).await;
        Ok(depths)
    }

    /// Closes the connection and stops reconnecting. Stop consumers first (their
    /// shutdown token) so that their in-flight work gets acked.
    pub async fn close(&self) {
        self.shared.stop.cancel();
        let mut state = self.shared.state.subscribe();
        let _ = tokio::time::timeout(
            self.shared.config.operation_timeout,
            state.wait_for(|s| matches!(s, LinkState::Closed)),
        )
        .await;
    }
}

async fn supervise(shared: Arc<Shared>) {
    let config = &shared.config;
    let mut failures: u32 = 0;
    loop {
        if shared.stop.is_cancelled() {
            break;
        }
        let generation = shared.connections.load(Ordering::Relaxed) + 1;
        let established = tokio::select! {
            () = shared.stop.cancelled() => break,
            link = establish(config, generation) => link,
        };
        match established {
            Ok(link) => {
                failures = 0;
                shared.connections.store(generation, Ordering::Relaxed);
                let link = Arc::new(link);
                info!(
                    connection = %config.connection_name,
                    generation,
                    "connected to RabbitMQ, topology declared"
                );
                shared.state.send_replace(LinkState::Up(link.clone()));
                watch_link(&shared, &link).await;
                shared.state.send_replace(LinkState::Connecting);
                // Closing it ends the consumers still on it, so they move to the next one.
                if link.connection.status().connected() {
                    let _ = deadline(
                        "connection.close",
                        config.operation_timeout,
                        link.connection.close(320, "reconnecting".into()),
                    )
                    .await;
                }
                if shared.stop.is_cancelled() {
                    break;
                }
                warn!(connection = %config.connection_name, "lost the RabbitMQ connection, reconnecting");
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                warn!(
                    connection = %config.connection_name,
                    %error,
                    failures,
                    "could not connect to RabbitMQ"
                );
            }
        }
        let delay = backoff(config, failures);
        debug!(?delay, "waiting before reconnecting");
        tokio::select! {
            () = shared.stop.cancelled() => break,
            () = tokio::time::sleep(delay) => {}
        }
    }
    shared.state.send_replace(LinkState::Closed);
    debug!(connection = %config.connection_name, "bus supervisor stopped");
}

async fn establish(config: &BusConfig, generation: u64) -> Result<Link, BusError> {
    let timeout = config.operation_timeout;
    let properties = ConnectionProperties::default()
        .with_connection_name(config.connection_name.as_str().into());
    let connection = deadline(
        "connect",
        timeout,
        Connection::connect(&config.amqp_url, properties),
    )
    .await?;
    let channel = deadline("channel.open", timeout, connection.create_channel()).await?;
    deadline(
        "declare topology",
        timeout,
        topology::declare(&channel, &config.topology),
    )
    .await?;
    deadline(
        "confirm.select",
        timeout,
        channel.confirm_select(ConfirmSelectOptions::default()),
    )
    .await?;
    Ok(Link {
        generation,
        connection,
        publisher: channel,
        send_lock: tokio::sync::Mutex::new(()),
    })
}

/// Returns when the link is gone, or when the bus is closing.
async fn watch_link(shared: &Shared, link: &Link) {
    let mut events = link.connection.events_listener();
    let mut poll = tokio::time::interval(HEALTH_POLL);
    loop {
        tokio::select! {
            () = shared.stop.cancelled() => return,
            event = events.next() => match event {
                Some(Event::Error(error)) => {
                    warn!(%error, "RabbitMQ connection error");
                    return;
                }
                Some(Event::ConnectionBlocked(reason)) => warn!(%reason, "RabbitMQ blocked publishing"),
                Some(Event::ConnectionUnblocked) => info!("RabbitMQ unblocked publishing"),
                Some(_) => {}
                None => return,
            },
            () = shared.suspect.notified() => {}
            _ = poll.tick() => {}
        }
        if !link.is_healthy() {
            return;
        }
    }
}

/// Full-jitter exponential backoff: a random delay up to min(max, min·2^failures).
fn backoff(config: &BusConfig, failures: u32) -> Duration {
    let ceiling = config
        .reconnect_min_delay
        .saturating_mul(2u32.saturating_pow(failures.min(16)))
        .min(config.reconnect_max_delay);
    let floor = config.reconnect_min_delay.min(ceiling);
    rand::rng().random_range(floor..=ceiling)
}
