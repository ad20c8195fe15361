//! Shared by the system tests: where the real PostgreSQL, Redis and RabbitMQ
//! are, the settings every service takes, the scheduler and the
//! scraper-worker in-process, watches written straight to the database, and
//! bounded waits.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::TcpListener;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use pricewatch_bus::{Bus, BusConfig, CancellationToken, Topology};
use pricewatch_storage::models::Watch;
use pricewatch_storage::queries::{products, watches};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

/// A fresh `pwtest-…` prefix for Redis keys or queues, so tests never share one.
pub fn unique_prefix() -> String {
    format!("pwtest-{}", Uuid::new_v4().simple())
}

/// The settings every service takes: its database, Redis and RabbitMQ, with
/// the test's own key and queue prefixes.
pub fn service_args(database_url: &str, redis_prefix: &str, queue_prefix: &str) -> Vec<String> {
    vec![
        format!("--database-url={database_url}"),
        "--database-pool-size=4".to_owned(),
        format!("--redis-url={}", redis_url()),
        format!("--redis-key-prefix={redis_prefix}"),
        format!("--amqp-url={}", amqp_url()),
        format!("--queue-prefix={queue_prefix}"),
    ]
}

/// `defaults` with each `--flag=value` of `extra` replacing the default of
/// the same name (or added), then `common`.
fn args(binary: &str, defaults: &[&str], extra: &[&str], common: &[String]) -> Vec<String> {
    let name = |arg: &str| arg.split('=').next().unwrap_or(arg).to_owned();
    std::iter::once(binary.to_owned())
        .chain(
            defaults
                .iter()
                .filter(|d| !extra.iter().any(|e| name(e) == name(d)))
                .chain(extra)
                .map(|s| (*s).to_owned()),
        )
        .chain(common.iter().cloned())
        .collect()
}

/// The scheduler in-process, ticking every second without jitter, until `stop`.
pub fn spawn_scheduler(
    common: &[String],
    stop: &CancellationToken,
) -> JoinHandle<anyhow::Result<()>> {
    let settings = pricewatch_scheduler::Settings::try_parse_from(args(
        "pricewatch-scheduler",
        &["--tick-seconds=1", "--jitter-seconds=0"],
        &[],
        common,
    ))
    .unwrap();
    let stop = stop.clone();
    tokio::spawn(pricewatch_scheduler::run_until_stopped(
        settings,
        TcpListener::bind("127.0.0.1:0").unwrap(),
        async move { stop.cancelled().await },
    ))
}

/// The scraper-worker in-process until `stop`: loopback allowed (the demo
/// shop), no pause between fetches of one host, 4 checks at once, a 5 s
/// fetch timeout; `extra` `--flag=value` settings replace these.
pub fn spawn_worker(
    common: &[String],
    extra: &[&str],
    stop: &CancellationToken,
) -> JoinHandle<anyhow::Result<()>> {
    let settings = pricewatch_scraper_worker::Settings::try_parse_from(args(
        "pricewatch-scraper-worker",
        &[
            "--concurrency=4",
            "--allow-loopback-targets=true",
            "--domain-min-interval-ms=0",
            "--fetch-timeout-seconds=5",
        ],
        extra,
        common,
    ))
    .unwrap();
    let stop = stop.clone();
    tokio::spawn(pricewatch_scraper_worker::run_until_stopped(
        settings,
        TcpListener::bind("127.0.0.1:0").unwrap(),
        async move { stop.cancelled().await },
    ))
}

/// The `CHANNEL_SECRET_KEY` of the api and the notifier: 32 bytes of 7.
pub const CHANNEL_KEY_BASE64: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// The notifier in-process until `stop`: loopback channels allowed, due
/// deliveries looked for every 50 ms; `extra` settings replace these.
pub fn spawn_notifier(
    common: &[String],
    extra: &[&str],
    stop: &CancellationToken,
) -> JoinHandle<anyhow::Result<()>> {
    let key = format!("--channel-secret-key={CHANNEL_KEY_BASE64}");
    let settings = pricewatch_notifier::Settings::try_parse_from(args(
        "pricewatch-notifier",
        &[
            &key,
            "--allow-loopback-targets=true",
            "--delivery-poll-ms=50",
            "--smtp-host=127.0.0.1",
            "--smtp-port=1025",
        ],
        extra,
        common,
    ))
    .unwrap();
    tokio::spawn(pricewatch_notifier::run_until_stopped(
        settings,
        TcpListener::bind("127.0.0.1:0").unwrap(),
        stop.clone().cancelled_owned(),
    ))
}

/// The api in-process on a free port for the rest of the test (loopback
/// product and channel URLs allowed, channels sealed with
/// [`CHANNEL_KEY_BASE64`]); `extra` settings replace these. Returns its base URL.
pub async fn spawn_api(common: &[String], extra: &[&str]) -> String {
    let key = format!("--channel-secret-key={CHANNEL_KEY_BASE64}");
    let settings = pricewatch_api::Settings::try_parse_from(args(
        "pricewatch-api",
        &[
            "--workers=2",
            "--secret-key=system-test-secret-key-0123456789abcdef",
            "--allow-loopback-targets=true",
            &key,
            "--smtp-host=127.0.0.1",
            "--smtp-port=9",
        ],
        extra,
        common,
    ))
    .unwrap();
    let app = pricewatch_api::Application::build_with_listener(
        settings,
        TcpListener::bind("127.0.0.1:0").unwrap(),
    )
    .await
    .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    base
}

/// Waits for a service task stopped by its token: it must exit cleanly within `bound`.
pub async fn joined(task: JoinHandle<anyhow::Result<()>>, what: &str, bound: Duration) {
    tokio::time::timeout(bound, task)
        .await
        .unwrap_or_else(|_| panic!("{what} stops within {bound:?}"))
        .unwrap()
        .unwrap();
}

/// Deletes the queues of `queue_prefix` (quorum queues hold memory until deleted).
pub async fn delete_queues(queue_prefix: &str) {
    let topology = Topology::new(queue_prefix);
    if let Ok(bus) = Bus::connect(BusConfig::new(amqp_url(), topology.clone())).await {
        if let Ok(channel) = bus.open_channel().await {
            let _ = pricewatch_bus::topology::delete(&channel, &topology).await;
        }
        bus.close().await;
    }
}

/// A new user watching `url` (its product created), due at once; returns
/// the product's and the watch's ids.
pub async fn insert_watch(
    database_url: &str,
    url: &str,
    target: Decimal,
    fetch_mode: &str,
) -> (Uuid, Uuid) {
    let mut conn = pricewatch_storage::pool::connect_once(database_url)
        .await
        .unwrap();
    let user = pricewatch_test_support::insert_user(&mut conn)
        .await
        .unwrap();
    let product = products::get_or_create(&mut conn, url, "127.0.0.1")
        .await
        .unwrap();
    let now = Utc::now();
    let watch = watches::insert(
        &mut conn,
        &Watch {
            id: Uuid::new_v4(),
            user_id: user.id,
            product_id: product.id,
            target_price: target,
            frequency_hours: 24,
            active: true,
            css_selector: None,
            armed: true,
            created_at: now,
            updated_at: now,
            tags: Vec::new(),
            fetch_mode: fetch_mode.to_owned(),
        },
    )
    .await
    .unwrap();
    products::refresh_schedule(&mut conn, product.id)
        .await
        .unwrap();
    (product.id, watch.id)
}

/// Changes a demo-shop product's offer through the shop's admin endpoint,
/// e.g. `{"amount": "12.34"}` or `{"in_stock": false}`.
pub async fn set_offer(shop: &pricewatch_demo_shop::SpawnedShop, slug: &str, offer: Value) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(shop.url(&format!("/products/{slug}/price")))
        .json(&offer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "setting {offer} on {slug}");
}

/// Polls `probe` every 100 ms until it returns `Some`, at most `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
