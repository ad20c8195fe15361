//! A bus on a unique queue prefix per test, deleted when the test ends.

use std::{net::SocketAddr, process::Command, time::Duration};

use chrono::Utc;
use lapin::{
    BasicProperties, Connection, ConnectionProperties,
    message::BasicGetMessage,
    options::{BasicAckOptions, BasicGetOptions, BasicPublishOptions},
};
use pricewatch_bus::{Bus, BusConfig, CancellationToken, Topology, topology};
use pricewatch_domain::messages::{CheckPrice, Message};
use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpSocket, TcpStream},
};
use uuid::Uuid;

pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

pub struct TestBus {
    pub bus: Bus,
}

impl std::ops::Deref for TestBus {
    type Target = Bus;
    fn deref(&self) -> &Bus {
        &self.bus
    }
}

/// Connects a bus whose topology has a fresh prefix; `adjust` tunes it (short
/// retry delays, a low delivery limit).
pub async fn test_bus(name: &str, adjust: impl FnOnce(Topology) -> Topology) -> TestBus {
    test_bus_via(&amqp_url(), name, adjust).await
}

/// Like `test_bus`, connecting through `url` (a proxy).
pub async fn test_bus_via(
    url: &str,
    name: &str,
    adjust: impl FnOnce(Topology) -> Topology,
) -> TestBus {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,pricewatch_bus=info".into()),
        )
        .with_test_writer()
        .try_init();
    let id = Uuid::new_v4().simple().to_string();
    let prefix = format!("pwtest.{name}.{}", &id[..8]);
    let mut config = BusConfig::new(url, adjust(Topology::new(&prefix)))
        .with_connection_name(format!("pwtest:{prefix}"));
    config.reconnect_min_delay = Duration::from_millis(100);
    config.reconnect_max_delay = Duration::from_secs(2);
    let bus = Bus::connect(config).await.expect("bus connects");
    TestBus { bus }
}

impl Drop for TestBus {
    fn drop(&mut self) {
        // Drop cannot await: delete the queues from a thread with its own runtime,
        // so that they go even when the test failed.
        let topology = self.bus.topology().clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
                    .await
                    .expect("cleanup connection");
                let channel = connection.create_channel().await.expect("channel");
                if let Err(error) = topology::delete(&channel, &topology).await {
                    eprintln!("could not delete {}: {error}", topology.prefix);
                }
                let _ = connection.close(200, "OK".into()).await;
            });
        });
        let _ = cleanup.join();
    }
}

pub fn check_price() -> Message {
    Message::CheckPriceV1(CheckPrice {
        job_id: Uuid::new_v4(),
        product_id: Uuid::new_v4(),
        url: "http://127.0.0.1:8090/products/kettle".into(),
        scheduled_for: Utc::now(),
        reason: "test".into(),
        attempt: 0,
    })
}

/// Takes one message off `queue` (acking it), waiting up to `within` for one.
pub async fn take_one(bus: &Bus, queue: &str, within: Duration) -> Option<BasicGetMessage> {
    let channel = bus.open_channel().await.expect("channel");
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = channel
            .basic_get(queue.into(), BasicGetOptions::default())
            .await
            .expect("basic.get");
        if let Some(message) = got {
            message
                .delivery
                .ack(BasicAckOptions::default())
                .await
                .expect("ack");
            return Some(message);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn ready_messages(bus: &Bus, queue: &str) -> u32 {
    bus.queue_depths()
        .await
        .expect("queue depths")
        .into_iter()
        .find(|d| d.queue == queue)
        .map(|d| d.messages)
        .expect("queue is in the topology")
}

/// Publishes raw bytes to a queue through the default exchange, bypassing the bus.
pub async fn publish_raw(bus: &Bus, queue: &str, body: &[u8]) {
    let channel = bus.open_channel().await.expect("channel");
    channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .expect("publish");
}

/// Closes this bus's connection from the broker's side, like an operator or a
/// broker shutting it down would. Only this connection: other tests share the broker.
pub fn close_connection_from_server(connection_name: &str) {
    let listed = Command::new("rabbitmqctl")
        .args(["-q", "list_connections", "pid", "client_properties"])
        .output()
        .expect("rabbitmqctl runs");
    let listing = String::from_utf8_lossy(&listed.stdout);
    let pids: Vec<&str> = listing
        .lines()
        .filter(|line| line.contains(connection_name))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        !pids.is_empty(),
        "connection {connection_name} not found in:\n{listing}"
    );
    for pid in pids {
        let closed = Command::new("rabbitmqctl")
            .args(["-q", "close_connection", pid, "test: forced close"])
            .status()
            .expect("rabbitmqctl runs");
        assert!(
            closed.success(),
            "rabbitmqctl close_connection {pid} failed"
        );
    }
}

/// Waits until `condition` holds, checking every 50 ms, for at most `within`.
pub async fn eventually(within: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    condition()
}

/// A TCP proxy to the broker that can drop every connection and refuse new
/// ones, like a broker that crashed, then come back on the same port: a broker
/// outage for this test only (the real broker is shared with other tests).
pub struct BrokerProxy {
    pub port: u16,
    up: Option<CancellationToken>,
}

impl BrokerProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut proxy = Self { port, up: None };
        proxy.serve(listener);
        proxy
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Resets every proxied connection and stops listening.
    pub fn go_down(&mut self) {
        if let Some(up) = self.up.take() {
            up.cancel();
        }
    }

    pub fn come_back(&mut self) {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("reuseaddr");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], self.port)))
            .expect("rebind the proxy port");
        self.serve(socket.listen(64).expect("listen"));
    }

    fn serve(&mut self, listener: TcpListener) {
        let up = CancellationToken::new();
        self.up = Some(up.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = up.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((mut client, _)) = accepted else {
                    continue;
                };
                let up = up.clone();
                tokio::spawn(async move {
                    let Ok(mut broker) = TcpStream::connect("127.0.0.1:5672").await else {
                        return;
                    };
                    // Going down drops both sockets mid-stream.
                    tokio::select! {
                        () = up.cancelled() => {}
                        _ = copy_bidirectional(&mut client, &mut broker) => {}
                    }
                });
            }
        });
    }
}

impl Drop for BrokerProxy {
    fn drop(&mut self) {
        self.go_down();
    }
}
