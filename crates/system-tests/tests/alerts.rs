//! Alert rules and a webhook channel end to end: the api, the scheduler, the
//! scraper-worker and the notifier run in-process on their own database, Redis
//! key prefix and queue prefix, against the demo shop and a loopback webhook
//! receiver. A user adds a `json://` channel and a watch with a `percent_drop`
//! and a `back_in_stock` rule through the api; the shop changes the offer and
//! "check now" checks it. Each event brings exactly one signed request (the
//! signature checked with the `standardwebhooks` crate, an implementation
//! independent of ours), and a check that changes nothing brings none.
//!
//! That a receiver answering 500 or hanging holds up no other channel is
//! `a_bad_receiver_fails_only_its_own_delivery` in services/notifier/tests/delivery.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricewatch_bus::CancellationToken;
use pricewatch_storage::schema::{deliveries, notifications, price_history, products};
use pricewatch_test_support::fake_http::{Fake, Request};
use serde_json::{Value, json};
use support::eventually;
use uuid::Uuid;

const SLUG: &str = "trail-running-shoes";

/// The user's side: the api with a bearer token.
struct User {
    api: String,
    token: String,
    http: reqwest::Client,
}

impl User {
    async fn register(api: &str) -> User {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let email = format!("alerts-{}@example.com", Uuid::new_v4().simple());
        let credentials = json!({"email": email, "password": "correct horse 9"});
        for (path, status) in [("register", 201), ("login", 200)] {
            let r = http
                .post(format!("{api}/api/v1/auth/{path}"))
                .json(&credentials)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), status, "{path}: {}", r.text().await.unwrap());
            if path == "login" {
                let body: Value = r.json().await.unwrap();
                return User {
                    api: api.to_owned(),
                    token: body["access_token"].as_str().unwrap().to_owned(),
                    http,
                };
            }
        }
        unreachable!()
    }

    async fn post(&self, path: &str, body: &Value, status: u16) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}: {}", r.text().await.unwrap());
        r.json().await.unwrap()
    }
}

/// What the test reads from the database: checks recorded, deliveries written.
struct Observed {
    database_url: String,
    product_id: Uuid,
}

impl Observed {
    async fn conn(&self) -> AsyncPgConnection {
        pricewatch_storage::pool::connect_once(&self.database_url)
            .await
            .unwrap()
    }

    async fn price_points(&self) -> i64 {
        price_history::table
            .filter(price_history::product_id.eq(self.product_id))
            .count()
            .get_result(&mut self.conn().await)
            .await
            .unwrap()
    }

    /// The product's stock state and when it was last checked.
    async fn product(&self) -> (Option<bool>, Option<chrono::DateTime<chrono::Utc>>) {
        products::table
            .find(self.product_id)
            .select((products::in_stock, products::last_checked_at))
            .first(&mut self.conn().await)
            .await
            .unwrap()
    }

    /// Every delivery of the product's alerts: (id, status), oldest first.
    async fn deliveries(&self) -> Vec<(Uuid, String)> {
        deliveries::table
            .inner_join(notifications::table)
            .filter(notifications::product_id.eq(self.product_id))
            .order(deliveries::created_at)
            .select((deliveries::id, deliveries::status))
            .load(&mut self.conn().await)
            .await
            .unwrap()
    }

    async fn wait_for_points(&self, n: i64) {
        eventually(
            Duration::from_secs(30),
            &format!("{n} price points"),
            || async { (self.price_points().await >= n).then_some(()) },
        )
        .await;
        assert_eq!(self.price_points().await, n);
    }
}

/// Waits until the receiver has had `n` requests, then a moment longer, and
/// returns them all.
async fn requests(receiver: &Fake, n: usize) -> Vec<Request> {
    eventually(
        Duration::from_secs(30),
        &format!("{n} webhook requests"),
        || async { (receiver.requests().len() >= n).then_some(()) },
    )
    .await;
    // Twenty of the notifier's polls: time for a duplicate to show.
    tokio::time::sleep(Duration::from_secs(1)).await;
    receiver.requests()
}

/// The request is the signed webhook of delivery `delivery_id`; returns its body.
fn verified(request: &Request, secret: &str, delivery_id: Uuid) -> Value {
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/hook");
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(
        request.header("webhook-id"),
        delivery_id.to_string(),
        "the delivery's id"
    );
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&request.body, &request.headers)
        .expect("the signature verifies with the standardwebhooks crate");
    request.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_gets_one_signed_request_per_drop_and_per_return_to_stock() {
    let database_url = pricewatch_test_support::create().await.unwrap();
    let redis_prefix = support::unique_prefix();
    let queue_prefix = support::unique_prefix();
    let shop = pricewatch_demo_shop::spawn(&pricewatch_demo_shop::Settings {
        workers: 2,
        ..pricewatch_demo_shop::Settings::ephemeral()
    })
    .unwrap();
    let common = support::service_args(&database_url, &redis_prefix, &queue_prefix);
    let stop = CancellationToken::new();
    let services = [
        ("the scheduler", support::spawn_scheduler(&common, &stop)),
        ("the worker", support::spawn_worker(&common, &[], &stop)),
        ("the notifier", support::spawn_notifier(&common, &[], &stop)),
    ];
    let api = support::spawn_api(&common, &["--check-now-min-interval-seconds=0"]).await;
    let receiver = Fake::start().await;

    // The user adds the webhook and the watch through the api.
    let user = User::register(&api).await;
    let channel = user
        .post(
            "/api/v1/channels",
            &json!({"url": format!("json://127.0.0.1:{}/hook", receiver.port), "name": "hook"}),
            201,
        )
        .await;
    let secret = channel["signing_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{channel}");
    let rules = json!([{"kind": "percent_drop", "percent": "10"}, {"kind": "back_in_stock"}]);
    let watch = user
        .post(
            "/api/v1/watches",
            &json!({
                "url": shop.url(&format!("/products/{SLUG}")),
                "target_price": "1.00",
                "frequency": "24h",
                "rules": rules,
                "channel_ids": [channel["id"]],
            }),
            201,
        )
        .await;
    assert_eq!(watch["rules"], rules);
    let check_now = format!("/api/v1/watches/{}/check", watch["id"].as_str().unwrap());
    let product_id: Uuid = watch["product"]["id"].as_str().unwrap().parse().unwrap();
    let seen = Observed {
        database_url: database_url.clone(),
        product_id,
    };

    // The first reading, €129.95 in stock, is the reference: nothing to send.
    seen.wait_for_points(1).await;
    assert_eq!(seen.product().await.0, Some(true));
    assert_eq!(seen.deliveries().await, []);

    // 10 % off (116.95 is 10.004 % below 129.95): one request.
    support::set_offer(&shop, SLUG, json!({"amount": "116.95"})).await;
    user.post(&check_now, &json!({}), 202).await;
    seen.wait_for_points(2).await;
    let got = requests(&receiver, 1).await;
    assert_eq!(got.len(), 1, "one request for one drop");
    let delivered = seen.deliveries().await;
    assert_eq!(delivered.len(), 1);
    let event = verified(&got[0], &secret, delivered[0].0);
    assert_eq!(event["type"], "price.alert");
    let data = &event["data"];
    assert_eq!(data["old_price"], "129.95");
    assert_eq!(data["new_price"], "116.95");
    assert_eq!(data["currency"], "EUR");
    assert_eq!(data["rules"], json!(["percent_drop"]));
    assert_eq!(data["product"]["id"], product_id.to_string());
    assert_eq!(data["watch_id"], watch["id"]);
    eventually(
        Duration::from_secs(10),
        "the delivery recorded sent",
        || async { (seen.deliveries().await[0].1 == "sent").then_some(()) },
    )
    .await;

    // The same price again, checked twice: the page unchanged (a 304), then
    // read in full (its validators forgotten) so that the rules run on it.
    let (_, checked_at) = seen.product().await;
    user.post(&check_now, &json!({}), 202).await;
    eventually(Duration::from_secs(30), "a further check", || async {
        (seen.product().await.1 > checked_at).then_some(())
    })
    .await;
    diesel::update(products::table.find(product_id))
        .set((
            products::etag.eq(None::<String>),
            products::last_modified.eq(None::<String>),
        ))
        .execute(&mut seen.conn().await)
        .await
        .unwrap();
    user.post(&check_now, &json!({}), 202).await;
    seen.wait_for_points(3).await;
    assert_eq!(
        seen.deliveries().await.len(),
        1,
        "no alert at the same price"
    );
    assert_eq!(requests(&receiver, 1).await.len(), 1, "no second request");

    // Out of stock: the rule arms, nothing is sent.
    support::set_offer(&shop, SLUG, json!({"in_stock": false})).await;
    user.post(&check_now, &json!({}), 202).await;
    seen.wait_for_points(4).await;
    assert_eq!(seen.product().await.0, Some(false));
    assert_eq!(seen.deliveries().await.len(), 1);
    assert_eq!(
        requests(&receiver, 1).await.len(),
        1,
        "out of stock sends nothing"
    );

    // Back in stock: one request.
    support::set_offer(&shop, SLUG, json!({"in_stock": true})).await;
    user.post(&check_now, &json!({}), 202).await;
    seen.wait_for_points(5).await;
    let got = requests(&receiver, 2).await;
    assert_eq!(got.len(), 2, "one request for the return to stock");
    let delivered = seen.deliveries().await;
    assert_eq!(delivered.len(), 2);
    let event = verified(&got[1], &secret, delivered[1].0);
    assert_eq!(event["data"]["rules"], json!(["back_in_stock"]));
    assert_eq!(event["data"]["new_price"], "116.95");

    stop.cancel();
    for (what, task) in services {
        support::joined(task, what, Duration::from_secs(30)).await;
    }
    shop.stop().await.unwrap();
    support::delete_queues(&queue_prefix).await;
}
