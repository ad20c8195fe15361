//! Shared by the notifier's test binaries: the notifier in-process against the real PostgreSQL, Redis, RabbitMQ and the
//! SMTP sink (run `scripts/ensure-smtp-sink.sh` first): SMTP on 127.0.0.1:1025,
//! its HTTP API on 127.0.0.1:8025.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::net::TcpListener;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricewatch_bus::{Bus, BusConfig, CancellationToken, Topology};
use pricewatch_domain::messages::{Message, SendNotification};
use pricewatch_notifier::Settings;
use pricewatch_storage::schema::{notifications, price_history, products, users, watches};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
pub const SINK_API: &str = "http://127.0.0.1:8025/api/email";

// ---------------------------------------------------------------------------
// A database per test.

pub fn admin_url() -> String {
    pricewatch_test_support::admin_url()
}

pub async fn create_test_database() -> String {
    pricewatch_test_support::create().await.unwrap()
}

// ---------------------------------------------------------------------------
// The notifier, a publisher, the data.

pub struct TestNotifier {
    pub database_url: String,
    pub bus: Bus,
    pub stop: CancellationToken,
    pub task: Option<JoinHandle<anyhow::Result<()>>>,
    pub probe_port: u16,
}

pub async fn spawn_notifier(extra: &[&str]) -> TestNotifier {
    let database_url = create_test_database().await;
    let id = Uuid::new_v4().simple().to_string();
    let queue_prefix = format!("pwtest.notifier.{}", &id[..12]);
    let mut args = vec![
        "pricewatch-notifier".to_owned(),
        format!("--database-url={database_url}"),
        "--database-pool-size=4".to_owned(),
        "--redis-url=redis://127.0.0.1:6379/0".to_owned(),
        format!("--redis-key-prefix=pwtest-{id}"),
        format!("--amqp-url={AMQP_URL}"),
        format!("--queue-prefix={queue_prefix}"),
        "--smtp-host=127.0.0.1".to_owned(),
        "--smtp-port=1025".to_owned(),
        "--smtp-tls=none".to_owned(),
        "--public-base-url=http://pricewatch.test:8080".to_owned(),
    ];
    for flag in extra {
        let name = flag.split('=').next().unwrap_or(flag);
        args.retain(|a| a.split('=').next() != Some(name));
        args.push((*flag).to_owned());
    }
    let settings = Settings::try_parse_from(args).unwrap();
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let probe_port = probe.local_addr().unwrap().port();
    let stop = CancellationToken::new();
    let task = tokio::spawn(pricewatch_notifier::run_until_stopped(
        settings,
        probe,
        stop.clone().cancelled_owned(),
    ));
    let bus = Bus::connect(
        BusConfig::new(AMQP_URL, Topology::new(&queue_prefix))
            .with_connection_name(format!("pwtest:{queue_prefix}")),
    )
    .await
    .unwrap();
    TestNotifier {
        database_url,
        bus,
        stop,
        task: Some(task),
        probe_port,
    }
}

impl TestNotifier {
    pub async fn conn(&self) -> AsyncPgConnection {
        pricewatch_storage::pool::connect_once(&self.database_url)
            .await
            .unwrap()
    }

    pub async fn publish(&self, notification_id: Uuid) {
        self.bus
            .publish(&Message::SendNotificationV1(SendNotification {
                notification_id,
                attempt: 0,
            }))
            .await
            .unwrap();
    }

    pub async fn publish_attempt(&self, notification_id: Uuid, attempt: u32) {
        self.bus
            .publish(&Message::SendNotificationV1(SendNotification {
                notification_id,
                attempt,
            }))
            .await
            .unwrap();
    }

    pub async fn dead_letters(&self) -> u32 {
        let dlq = &self.bus.topology().send_notification.dead_letter_queue;
        self.bus
            .queue_depths()
            .await
            .unwrap()
            .into_iter()
            .find(|d| &d.queue == dlq)
            .map_or(0, |d| d.messages)
    }

    pub async fn metrics(&self) -> String {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        client
            .get(format!("http://127.0.0.1:{}/metrics", self.probe_port))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn row(&self, id: Uuid) -> (String, i32, Option<String>, bool) {
        let mut conn = self.conn().await;
        let (status, attempts, last_error, sent_at) = notifications::table
            .find(id)
            .select((
                notifications::status,
                notifications::attempts,
                notifications::last_error,
                notifications::sent_at,
            ))
            .first::<(
                String,
                i32,
                Option<String>,
                Option<chrono::DateTime<chrono::Utc>>,
            )>(&mut conn)
            .await
            .unwrap();
        (status, attempts, last_error, sent_at.is_some())
    }

    /// Stops the notifier; it must exit by itself, gracefully, within 30 s.
    pub async fn stop_notifier(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let result = tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("the notifier stops within 30 s")
                .expect("the notifier task did not panic");
            result.expect("the notifier stops cleanly");
        }
    }

    /// Stops the notifier and deletes its queues and database.
    pub async fn shut_down(mut self) {
        self.stop_notifier().await;
        let channel = self.bus.open_channel().await.unwrap();
        let _ = pricewatch_bus::topology::delete(&channel, self.bus.topology()).await;
        self.bus.close().await;
        // The database goes too (FORCE: the test's own connections may be open).
        if let Some(name) = self.database_url.rsplit('/').next() {
            let mut admin = pricewatch_storage::pool::connect_once(&admin_url())
                .await
                .unwrap();
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await;
        }
    }
}

pub struct Seeded {
    pub email: String,
    pub title: String,
    pub user_id: Uuid,
    pub watch_id: Uuid,
    pub product_id: Uuid,
}

pub fn dec(raw: &str) -> Decimal {
    Decimal::from_str(raw).unwrap()
}

/// A user with a unique email, a product, a watch (target 20.00 EUR).
pub async fn seed(conn: &mut AsyncPgConnection) -> Seeded {
    let user_id = Uuid::new_v4();
    let product_id = Uuid::new_v4();
    let watch_id = Uuid::new_v4();
    let email = format!("bob-{}@example.test", Uuid::new_v4().simple());
    let title = format!(
        "Kettle <Pro> & Co {}",
        &Uuid::new_v4().simple().to_string()[..8]
    );
    diesel::insert_into(users::table)
        .values((
            users::id.eq(user_id),
            users::email.eq(&email),
            users::password_hash.eq("not-a-hash"),
        ))
        .execute(conn)
        .await
        .unwrap();
    diesel::insert_into(products::table)
        .values((
            products::id.eq(product_id),
            products::url.eq(format!(
                "http://127.0.0.1:8090/products/kettle-{product_id}?a=1&b=2"
            )),
            products::host.eq("127.0.0.1"),
            products::title.eq(&title),
            products::last_price.eq(dec("19.99")),
            products::currency.eq("EUR"),
        ))
        .execute(conn)
        .await
        .unwrap();
    diesel::insert_into(watches::table)
        .values((
            watches::id.eq(watch_id),
            watches::user_id.eq(user_id),
            watches::product_id.eq(product_id),
            watches::target_price.eq(dec("20.00")),
            watches::frequency_hours.eq(24),
        ))
        .execute(conn)
        .await
        .unwrap();
    Seeded {
        email,
        title,
        user_id,
        watch_id,
        product_id,
    }
}

/// A price point and the pending notification it caused: 24.50 → `new_price` EUR.
pub async fn pending_notification(
    conn: &mut AsyncPgConnection,
    s: &Seeded,
    new_price: &str,
) -> Uuid {
    let price_id: i64 = diesel::insert_into(price_history::table)
        .values((
            price_history::product_id.eq(s.product_id),
            price_history::job_id.eq(Uuid::new_v4()),
            price_history::amount.eq(dec(new_price)),
            price_history::currency.eq("EUR"),
        ))
        .returning(price_history::id)
        .get_result(conn)
        .await
        .unwrap();
    let id = Uuid::new_v4();
    diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(id),
            notifications::watch_id.eq(s.watch_id),
            notifications::user_id.eq(s.user_id),
            notifications::product_id.eq(s.product_id),
            notifications::price_history_id.eq(price_id),
            notifications::old_price.eq(Some(dec("24.50"))),
            notifications::new_price.eq(dec(new_price)),
            notifications::currency.eq("EUR"),
            notifications::target_price.eq(dec("20.00")),
            notifications::published_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .unwrap();
    id
}

// ---------------------------------------------------------------------------
// The SMTP sink.

pub async fn emails_to(address: &str) -> Vec<Value> {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let body: Value = client
        .get(url::Url::parse_with_params(SINK_API, [("to.address", address)]).unwrap())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    body.as_array().cloned().unwrap_or_default()
}

/// Waits up to `within` for at least `count` emails to `address`.
pub async fn wait_for_emails(address: &str, count: usize, within: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let emails = emails_to(address).await;
        if emails.len() >= count || tokio::time::Instant::now() >= deadline {
            return emails;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn wait_for_status(n: &TestNotifier, id: Uuid, status: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (current, ..) = n.row(id).await;
        if current == status {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "notification {id} is {current}, expected {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The whole message as the sink received it (RFC 5322).
pub async fn source(email: &Value) -> Vec<u8> {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    client
        .get(format!("{SINK_API}/{}/source", field(email, "id")))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

/// Readings of the seeded product, `(days ago, amount)`, before its alert.
pub async fn readings(conn: &mut AsyncPgConnection, s: &Seeded, readings: &[(i64, &str)]) {
    for (days_ago, amount) in readings {
        diesel::insert_into(price_history::table)
            .values((
                price_history::product_id.eq(s.product_id),
                price_history::job_id.eq(Uuid::new_v4()),
                price_history::amount.eq(dec(amount)),
                price_history::currency.eq("EUR"),
                price_history::observed_at
                    .eq(chrono::Utc::now() - chrono::Duration::days(*days_ago)),
            ))
            .execute(conn)
            .await
            .unwrap();
    }
}

/// The watch's one-click unsubscribe token.
pub async fn unsubscribe_token(conn: &mut AsyncPgConnection, s: &Seeded) -> String {
    watches::table
        .find(s.watch_id)
        .select(watches::unsubscribe_token)
        .first(conn)
        .await
        .unwrap()
}

pub fn field<'a>(email: &'a Value, name: &str) -> &'a str {
    email.get(name).and_then(Value::as_str).unwrap_or_default()
}

// ---------------------------------------------------------------------------
