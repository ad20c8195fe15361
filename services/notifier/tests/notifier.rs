//! The notifier in-process against the real PostgreSQL, Redis, RabbitMQ and the
//! SMTP sink (run `scripts/ensure-smtp-sink.sh` first): SMTP on 127.0.0.1:1025,
//! its HTTP API on 127.0.0.1:8025.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const SINK_API: &str = "http://127.0.0.1:8025/api/email";

// ---------------------------------------------------------------------------
// A database per test.

fn admin_url() -> String {
    pricewatch_storage::test_db::admin_url()
}

async fn create_test_database() -> String {
    pricewatch_storage::test_db::create().await.unwrap()
}

// ---------------------------------------------------------------------------
// The notifier, a publisher, the data.

struct TestNotifier {
    database_url: String,
    bus: Bus,
    stop: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    probe_port: u16,
}

async fn spawn_notifier(extra: &[&str]) -> TestNotifier {
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
        stop.clone(),
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
    async fn conn(&self) -> AsyncPgConnection {
        pricewatch_storage::pool::connect_once(&self.database_url)
            .await
            .unwrap()
    }

    async fn publish(&self, notification_id: Uuid) {
        self.bus
            .publish(&Message::SendNotificationV1(SendNotification {
                notification_id,
                attempt: 0,
            }))
            .await
            .unwrap();
    }

    async fn publish_attempt(&self, notification_id: Uuid, attempt: u32) {
        self.bus
            .publish(&Message::SendNotificationV1(SendNotification {
                notification_id,
                attempt,
            }))
            .await
            .unwrap();
    }

    async fn dead_letters(&self) -> u32 {
        let dlq = &self.bus.topology().send_notification.dead_letter_queue;
        self.bus
            .queue_depths()
            .await
            .unwrap()
            .into_iter()
            .find(|d| &d.queue == dlq)
            .map_or(0, |d| d.messages)
    }

    async fn metrics(&self) -> String {
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

    async fn row(&self, id: Uuid) -> (String, i32, Option<String>, bool) {
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
    async fn stop_notifier(&mut self) {
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
    async fn shut_down(mut self) {
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

struct Seeded {
    email: String,
    title: String,
    user_id: Uuid,
    watch_id: Uuid,
    product_id: Uuid,
}

fn dec(raw: &str) -> Decimal {
    Decimal::from_str(raw).unwrap()
}

/// A user with a unique email, a product, a watch (target 20.00 EUR).
async fn seed(conn: &mut AsyncPgConnection) -> Seeded {
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
async fn pending_notification(conn: &mut AsyncPgConnection, s: &Seeded, new_price: &str) -> Uuid {
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

async fn emails_to(address: &str) -> Vec<Value> {
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
async fn wait_for_emails(address: &str, count: usize, within: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let emails = emails_to(address).await;
        if emails.len() >= count || tokio::time::Instant::now() >= deadline {
            return emails;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_for_status(n: &TestNotifier, id: Uuid, status: &str, within: Duration) {
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

fn field<'a>(email: &'a Value, name: &str) -> &'a str {
    email.get(name).and_then(Value::as_str).unwrap_or_default()
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_notification_is_emailed_exactly_once() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish(id).await;
    let emails = wait_for_emails(&s.email, 1, Duration::from_secs(20)).await;
    assert_eq!(emails.len(), 1, "one email arrives");
    let email = &emails[0];
    let subject = field(email, "subject");
    assert_eq!(subject, format!("Price drop: {} is now 19.99 EUR", s.title));
    let text = field(email, "text");
    assert!(text.contains(&s.title), "text has the title: {text}");
    assert!(
        text.contains("24.50 EUR") && text.contains("19.99 EUR"),
        "{text}"
    );
    assert!(text.contains("20.00 EUR"), "text has the target: {text}");
    assert!(text.contains(&format!("kettle-{}", s.product_id)), "{text}");
    assert!(
        text.contains(&format!(
            "PATCH http://pricewatch.test:8080/api/v1/watches/{}",
            s.watch_id
        )),
        "text says how to stop alerts: {text}"
    );
    let html = field(email, "html");
    let escaped = s
        .title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        html.contains(&escaped),
        "html has the escaped title: {html}"
    );
    assert!(!html.contains("<Pro>"), "the title is escaped in html");
    assert!(
        html.contains("24.50 EUR") && html.contains("19.99 EUR"),
        "{html}"
    );
    wait_for_status(&n, id, "sent", Duration::from_secs(5)).await;

    // The same message again (a redelivery, a duplicate publish): no second email.
    n.publish(id).await;
    n.publish(id).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(emails_to(&s.email).await.len(), 1, "never a second email");
    let (status, attempts, last_error, sent) = n.row(id).await;
    assert_eq!(status, "sent");
    assert_eq!(attempts, 1);
    assert_eq!(last_error, None);
    assert!(sent);

    let metrics = n.metrics().await;
    assert!(
        metrics.contains("pricewatch_emails_total{") && metrics.contains("outcome=\"sent\""),
        "{metrics}"
    );
    assert!(metrics.contains("job=\"send_notification\""), "{metrics}");
    assert!(
        metrics.contains("pricewatch_job_duration_seconds"),
        "{metrics}"
    );

    n.shut_down().await;
}

#[tokio::test]
async fn the_hourly_cap_defers_without_dropping() {
    let n = spawn_notifier(&["--emails-per-user-per-hour=1"]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let first = pending_notification(&mut conn, &s, "19.99").await;
    let second = pending_notification(&mut conn, &s, "18.50").await;

    n.publish(first).await;
    n.publish(second).await;
    let emails = wait_for_emails(&s.email, 1, Duration::from_secs(20)).await;
    assert_eq!(emails.len(), 1);
    // Give the other one time to be handled (and deferred).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        emails_to(&s.email).await.len(),
        1,
        "one email within the hour"
    );
    let statuses = [n.row(first).await.0, n.row(second).await.0];
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, ["pending", "sent"], "the other waits, not dropped");
    // Its job waits in a retry queue, on the same attempt.
    let retry_queues: Vec<String> = n
        .bus
        .topology()
        .send_notification
        .retry_queues
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let waiting: u32 = n
        .bus
        .queue_depths()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| retry_queues.contains(&d.queue))
        .map(|d| d.messages)
        .sum();
    assert_eq!(waiting, 1, "the deferred job is kept for later");
    assert_eq!(n.dead_letters().await, 0);

    n.shut_down().await;
}

#[tokio::test]
async fn an_smtp_outage_leaves_the_row_pending_for_a_retry() {
    // Nothing listens on port 9: connection refused, a transient failure.
    let n = spawn_notifier(&["--smtp-port=9"]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish(id).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, attempts, last_error, sent) = n.row(id).await;
        if attempts >= 1 && status == "pending" {
            assert!(
                last_error.is_some_and(|e| !e.is_empty()),
                "the reason is kept"
            );
            assert!(!sent);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{status} {attempts}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(emails_to(&s.email).await.is_empty());

    n.shut_down().await;
}

async fn set_status(n: &TestNotifier, id: Uuid, status: &str, claimed_minutes_ago: i64) {
    let mut conn = n.conn().await;
    diesel::update(notifications::table.find(id))
        .set((
            notifications::status.eq(status),
            notifications::sent_at
                .eq(chrono::Utc::now() - chrono::Duration::minutes(claimed_minutes_ago)),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_claim_is_taken_over_and_a_fresh_one_is_respected() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    // A notifier died mid-send ten minutes ago: the row is sent now.
    let stale = seed(&mut conn).await;
    let stale_id = pending_notification(&mut conn, &stale, "19.99").await;
    set_status(&n, stale_id, "sending", 10).await;
    // Another sender claimed this one a moment ago: it is left alone.
    let busy = seed(&mut conn).await;
    let busy_id = pending_notification(&mut conn, &busy, "19.99").await;
    set_status(&n, busy_id, "sending", 0).await;

    n.publish(stale_id).await;
    n.publish(busy_id).await;
    assert_eq!(
        wait_for_emails(&stale.email, 1, Duration::from_secs(20))
            .await
            .len(),
        1
    );
    wait_for_status(&n, stale_id, "sent", Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(emails_to(&busy.email).await.is_empty());
    assert_eq!(n.row(busy_id).await.0, "sending");

    n.shut_down().await;
}

#[tokio::test]
async fn an_unusable_address_fails_the_notification_for_good() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    diesel::update(users::table.find(s.user_id))
        .set(users::email.eq("not an address"))
        .execute(&mut conn)
        .await
        .unwrap();
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish(id).await;
    wait_for_status(&n, id, "failed", Duration::from_secs(20)).await;
    let (_, attempts, last_error, sent) = n.row(id).await;
    assert_eq!(attempts, 1);
    assert!(
        last_error
            .as_deref()
            .is_some_and(|e| e.contains("invalid recipient")),
        "{last_error:?}"
    );
    assert!(!sent);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while n.dead_letters().await < 1 {
        assert!(tokio::time::Instant::now() < deadline, "dead-lettered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    n.shut_down().await;
}

#[tokio::test]
async fn the_last_attempt_marks_the_row_failed_and_dead_letters() {
    // SMTP down, and the job is on its last attempt.
    let n = spawn_notifier(&["--smtp-port=9"]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish_attempt(id, n.bus.topology().max_attempts).await;
    wait_for_status(&n, id, "failed", Duration::from_secs(20)).await;
    let (_, _, last_error, _) = n.row(id).await;
    assert!(
        last_error
            .as_deref()
            .is_some_and(|e| e.contains("temporary SMTP failure")),
        "{last_error:?}"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while n.dead_letters().await < 1 {
        assert!(tokio::time::Instant::now() < deadline, "dead-lettered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    n.shut_down().await;
}

#[tokio::test]
async fn a_stop_finishes_in_flight_emails_and_leaves_nothing_half_done() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let mut ids = Vec::new();
    for price in ["19.99", "19.50", "19.00"] {
        ids.push(pending_notification(&mut conn, &s, price).await);
    }
    for id in &ids {
        n.publish(*id).await;
    }
    // Stop as soon as the first email is on its way.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut any_claimed = false;
        for id in &ids {
            any_claimed |= n.row(*id).await.1 > 0;
        }
        if any_claimed {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "nothing claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut n = n;
    n.stop_notifier().await;

    let mut conn = n.conn().await;
    let statuses: Vec<String> = notifications::table
        .filter(notifications::id.eq_any(&ids))
        .select(notifications::status)
        .load(&mut conn)
        .await
        .unwrap();
    assert!(
        statuses.iter().all(|s| s == "sent" || s == "pending"),
        "{statuses:?}"
    );
    let sent = statuses.iter().filter(|s| *s == "sent").count();
    assert!(sent >= 1, "the in-flight email was finished");
    assert_eq!(emails_to(&s.email).await.len(), sent);
    drop(conn);
    n.shut_down().await;
}
