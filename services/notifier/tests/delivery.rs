//! Channel deliveries against loopback fakes of each service: the exact
//! requests, retries with the same webhook id, Retry-After, receivers that
//! hang, fail or redirect inward, dead letters with their reason, and the
//! address policy. Needs PostgreSQL, Redis, RabbitMQ and the SMTP sink.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricewatch_domain::channel::Channel;
use pricewatch_storage::models::{ChannelRow, Delivery};
use pricewatch_storage::queries::{channel_tests, channels, deliveries};
use pricewatch_storage::schema::{deliveries as deliveries_table, notifications};
use pricewatch_storage::sealed::{ChannelKey, ChannelSecrets};
use pricewatch_test_support::fake_http::{Fake, Reply, Request};
use serde_json::json;
use support::{Seeded, TestNotifier, pending_notification, seed, spawn_notifier};
use uuid::Uuid;

const KEY: [u8; 32] = [9; 32];
/// A webhook signing secret: `whsec_` and 24 bytes in base64.
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn key_flag() -> String {
    format!("--channel-secret-key={}", STANDARD.encode(KEY))
}

/// Every fixed service pointed at `fake`, loopback allowed, quick retries.
fn flags(fake: &Fake, extra: &[&str]) -> Vec<String> {
    let base = fake.base();
    let mut flags = vec![
        key_flag(),
        "--allow-loopback-targets=true".to_owned(),
        "--delivery-poll-ms=50".to_owned(),
        "--delivery-retry-base-seconds=1".to_owned(),
        "--delivery-timeout-seconds=3".to_owned(),
        "--delivery-max-attempts=3".to_owned(),
        format!("--ntfy-default-url={base}"),
        format!("--telegram-api-url={base}"),
        format!("--discord-api-url={base}"),
        format!("--slack-webhook-url={base}"),
        format!("--pushover-api-url={base}"),
    ];
    flags.extend(extra.iter().map(|f| (*f).to_owned()));
    flags
}

async fn start(flags: &[String]) -> TestNotifier {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    spawn_notifier(&flags).await
}

/// A channel of the user, sealed as the api seals it.
async fn add_channel(conn: &mut AsyncPgConnection, user_id: Uuid, url: &str) -> Uuid {
    let channel = Channel::parse_with(url, true).unwrap();
    let id = Uuid::new_v4();
    let signing_secret = matches!(channel, Channel::Webhook(_)).then(|| WHSEC.to_owned());
    let sealed = ChannelKey::from_bytes(KEY).seal(
        id,
        &ChannelSecrets {
            url: channel.render(),
            signing_secret,
        },
    );
    let now = chrono::Utc::now();
    channels::insert(
        conn,
        &ChannelRow {
            id,
            user_id,
            kind: channel.kind().as_str().to_owned(),
            name: format!("{} channel", channel.kind()),
            redacted_url: channel.redacted(),
            sealed,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap();
    id
}

/// A 'delivering' alert (24.50 → 19.99 EUR) with one delivery per channel.
async fn alert(
    conn: &mut AsyncPgConnection,
    s: &Seeded,
    channel_ids: &[Uuid],
) -> (Uuid, Vec<Uuid>) {
    let id = pending_notification(conn, s, "19.99").await;
    diesel::update(notifications::table.find(id))
        .set(notifications::status.eq("delivering"))
        .execute(conn)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for &channel_id in channel_ids {
        let delivery_id = Uuid::new_v4();
        diesel::insert_into(deliveries_table::table)
            .values((
                deliveries_table::id.eq(delivery_id),
                deliveries_table::notification_id.eq(id),
                deliveries_table::channel_id.eq(channel_id),
            ))
            .execute(conn)
            .await
            .unwrap();
        ids.push(delivery_id);
    }
    (id, ids)
}

async fn delivery(n: &TestNotifier, id: Uuid) -> Delivery {
    let mut conn = n.conn().await;
    deliveries_table::table
        .find(id)
        .select(Delivery::as_select())
        .first(&mut conn)
        .await
        .unwrap()
}

/// Waits until the delivery is `status` (and returns it).
async fn wait_delivery(n: &TestNotifier, id: Uuid, status: &str, within: Duration) -> Delivery {
    let deadline = Instant::now() + within;
    loop {
        let row = delivery(n, id).await;
        if row.status == status {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "delivery {id} is {} ({:?}), expected {status}",
            row.status,
            row.last_error
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn verify(request: &Request) {
    standardwebhooks::Webhook::new(WHSEC)
        .unwrap()
        .verify(&request.body, &request.headers)
        .expect("the signature verifies");
}

#[tokio::test]
async fn every_kind_gets_the_request_its_service_expects() {
    let fake = Fake::start().await;
    let n = start(&flags(&fake, &[])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let port = fake.port;
    // A mailto:// channel sends only to the account's own address.
    let mail_to = s.email.clone();
    let urls = [
        format!("ntfy://tk_abcdefghijklmnop@127.0.0.1:{port}/deals?priority=high&tags=moneybag"),
        "ntfy://cloudtopic".to_owned(),
        format!("gotify://127.0.0.1:{port}/AbCdEf.123?priority=8"),
        "tgram://123456789:AAE-secretkey_x/-1001234567890".to_owned(),
        "discord://PriceBot@112233445566/webhook-token_xyz".to_owned(),
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#deals".to_owned(),
        "pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi?priority=high"
            .to_owned(),
        format!("matrix://syt_accesstoken@127.0.0.1:{port}/!roomid:example.org"),
        format!("json://127.0.0.1:{port}/hooks/pw?source=pricewatch"),
        format!("mailto://{mail_to}"),
    ];
    let mut ids = Vec::new();
    for url in &urls {
        ids.push(add_channel(&mut conn, s.user_id, url).await);
    }
    let (notification, deliveries) = alert(&mut conn, &s, &ids).await;
    for &id in &deliveries {
        wait_delivery(&n, id, "sent", Duration::from_secs(20)).await;
    }
    support::wait_for_status(&n, notification, "sent", Duration::from_secs(5)).await;
    let rows = deliveries::for_notification(&mut conn, notification)
        .await
        .unwrap();
    assert_eq!(rows.len(), urls.len());
    assert!(
        rows.iter()
            .all(|d| d.status == "sent" && d.attempts == 1 && d.sent_at.is_some())
    );

    // ntfy, self-hosted: JSON publish to the root, bearer token.
    let ntfy: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/" && r.json()["topic"] == "deals")
        .collect();
    assert_eq!(ntfy.len(), 1);
    assert_eq!(ntfy[0].method, "POST");
    assert_eq!(
        ntfy[0].header("authorization"),
        "Bearer tk_abcdefghijklmnop"
    );
    let body = ntfy[0].json();
    assert_eq!(body["priority"], 4);
    assert_eq!(body["tags"], serde_json::json!(["moneybag"]));
    assert!(body["title"].as_str().unwrap().contains(&s.title));
    assert!(body["message"].as_str().unwrap().contains("19.99 EUR"));
    assert!(body["message"].as_str().unwrap().contains("24.50 EUR"));
    // ntfy://topic goes to the default server, without credentials.
    let cloud: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/" && r.json()["topic"] == "cloudtopic")
        .collect();
    assert_eq!(cloud.len(), 1);
    assert_eq!(cloud[0].header("authorization"), "");

    // Gotify: POST /message?token=, JSON title/message/priority.
    let gotify = fake.to("/message");
    assert_eq!(gotify.len(), 1);
    assert_eq!(gotify[0].method, "POST");
    assert_eq!(
        gotify[0].query(),
        vec![("token".to_owned(), "AbCdEf.123".to_owned())]
    );
    assert_eq!(gotify[0].json()["priority"], 8);
    assert!(
        gotify[0].json()["message"]
            .as_str()
            .unwrap()
            .contains("19.99 EUR")
    );

    // Telegram: POST /bot<token>/sendMessage, chat_id, text, parse_mode.
    let telegram = fake.to("/bot123456789:AAE-secretkey_x/sendMessage");
    assert_eq!(telegram.len(), 1);
    assert_eq!(telegram[0].method, "POST");
    assert!(
        telegram[0]
            .header("content-type")
            .starts_with("application/json")
    );
    let body = telegram[0].json();
    assert_eq!(body["chat_id"], "-1001234567890");
    assert_eq!(body["parse_mode"], "HTML");
    assert!(body["text"].as_str().unwrap().contains("<b>19.99 EUR</b>"));
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("&lt;Pro&gt; &amp; Co"),
        "escaped: {body}"
    );

    // Discord: POST /api/webhooks/<id>/<token>, content and embeds.
    let discord = fake.to("/api/webhooks/112233445566/webhook-token_xyz");
    assert_eq!(discord.len(), 1);
    let body = discord[0].json();
    assert_eq!(body["username"], "PriceBot");
    assert!(
        body["content"]
            .as_str()
            .unwrap()
            .starts_with("Price drop: ")
    );
    assert!(
        body["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("19.99 EUR")
    );
    assert_eq!(
        body["embeds"][0]["url"].as_str().unwrap(),
        format!(
            "http://127.0.0.1:8090/products/kettle-{}?a=1&b=2",
            s.product_id
        )
    );

    // Slack: POST /services/T/B/X, text and blocks, the channel named.
    let slack = fake.to("/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ");
    assert_eq!(slack.len(), 1);
    let body = slack[0].json();
    assert_eq!(body["channel"], "#deals");
    assert!(body["text"].as_str().unwrap().contains("19.99 EUR"));
    assert_eq!(body["blocks"][0]["type"], "section");
    assert_eq!(body["blocks"][0]["text"]["type"], "mrkdwn");

    // Pushover: POST /1/messages.json, form token/user/message/title.
    let pushover = fake.to("/1/messages.json");
    assert_eq!(pushover.len(), 1);
    assert_eq!(
        pushover[0].header("content-type"),
        "application/x-www-form-urlencoded"
    );
    let form = pushover[0].form();
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("token"), "azGDORePK8gMaC0QOYAMyEEuzJnyUi");
    assert_eq!(get("user"), "uQiRzpo4DXghDmr9QzzfQu27cmVRsG");
    assert_eq!(get("priority"), "1");
    assert!(get("message").contains("19.99 EUR"));
    assert!(get("title").contains(&s.title));

    // Matrix: PUT /_matrix/client/v3/rooms/<room>/send/m.room.message/<delivery id>.
    let matrix_delivery = deliveries[7];
    let matrix = fake.to("/_matrix/client/v3/rooms/");
    assert_eq!(matrix.len(), 1);
    assert_eq!(matrix[0].method, "PUT");
    assert_eq!(
        matrix[0].path(),
        format!(
            "/_matrix/client/v3/rooms/!roomid:example.org/send/m.room.message/{matrix_delivery}"
        )
    );
    assert_eq!(matrix[0].header("authorization"), "Bearer syt_accesstoken");
    assert_eq!(matrix[0].json()["msgtype"], "m.text");
    assert_eq!(matrix[0].json()["format"], "org.matrix.custom.html");

    // Webhook: signed JSON with the prices, product, watch and rules.
    let hook = fake.to("/hooks/pw");
    assert_eq!(hook.len(), 1);
    assert_eq!(hook[0].method, "POST");
    assert_eq!(
        hook[0].query(),
        vec![("source".to_owned(), "pricewatch".to_owned())]
    );
    assert_eq!(hook[0].header("webhook-id"), deliveries[8].to_string());
    verify(&hook[0]);
    let body = hook[0].json();
    assert_eq!(body["type"], "price.alert");
    assert_eq!(body["data"]["old_price"], "24.50");
    assert_eq!(body["data"]["new_price"], "19.99");
    assert_eq!(body["data"]["currency"], "EUR");
    assert_eq!(body["data"]["rules"], serde_json::json!(["below_target"]));
    assert_eq!(body["data"]["watch_id"], s.watch_id.to_string());
    assert_eq!(body["data"]["product"]["title"], s.title);

    // Email: through the SMTP relay.
    let emails = support::wait_for_emails(&mail_to, 1, Duration::from_secs(5)).await;
    assert_eq!(emails.len(), 1);
    assert!(support::field(&emails[0], "subject").contains("€19.99"));
    drop(conn);
    n.shut_down().await;
}

#[tokio::test]
async fn webhook_retries_keep_their_id_and_wait_as_asked() {
    let fake = Fake::start().await;
    fake.script([
        Reply::Status(429, vec![("Retry-After", "3".into())], "slow down".into()),
        Reply::Status(503, vec![], String::new()),
    ]);
    let n = start(&flags(&fake, &["--delivery-max-attempts=5"])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let hook = add_channel(
        &mut conn,
        s.user_id,
        &format!("json://127.0.0.1:{}/h", fake.port),
    )
    .await;
    let (notification, ids) = alert(&mut conn, &s, &[hook]).await;
    let sent = wait_delivery(&n, ids[0], "sent", Duration::from_secs(20)).await;
    assert_eq!(sent.attempts, 3);
    let requests = fake.to("/h");
    assert_eq!(requests.len(), 3, "429, 503, then accepted");
    for request in &requests {
        assert_eq!(
            request.header("webhook-id"),
            ids[0].to_string(),
            "the same id on every retry"
        );
        verify(request);
    }
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_secs(3),
        "Retry-After: 3 honoured, waited {waited:?}"
    );
    support::wait_for_status(&n, notification, "sent", Duration::from_secs(5)).await;
    drop(conn);
    n.shut_down().await;
}

#[tokio::test]
async fn a_channel_past_its_rate_limit_waits_without_using_an_attempt() {
    let fake = Fake::start().await;
    let n = start(&flags(&fake, &["--deliveries-per-channel-per-minute=1"])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let hook = add_channel(
        &mut conn,
        s.user_id,
        &format!("json://127.0.0.1:{}/h", fake.port),
    )
    .await;
    let (_, first) = alert(&mut conn, &s, &[hook]).await;
    wait_delivery(&n, first[0], "sent", Duration::from_secs(20)).await;
    let (_, second) = alert(&mut conn, &s, &[hook]).await;
    // Claimed, found over the limit, put back until the minute is over.
    let deadline = Instant::now() + Duration::from_secs(20);
    let waiting = loop {
        let row = delivery(&n, second[0]).await;
        if row.status == "pending"
            && row.next_attempt_at > chrono::Utc::now() + chrono::Duration::seconds(30)
        {
            break row;
        }
        assert!(Instant::now() < deadline, "not postponed: {row:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(waiting.attempts, 0, "waiting for the limit uses no attempt");
    assert_eq!(waiting.claimed_at, None);
    assert_eq!(waiting.last_error, None);
    assert_eq!(fake.to("/h").len(), 1, "one request in the minute");
    drop(conn);
    n.shut_down().await;
}

#[tokio::test]
async fn a_bad_receiver_fails_only_its_own_delivery() {
    let good = Fake::start().await;
    let hanging = Fake::answering(Reply::Hang).await;
    let failing = Fake::answering(Reply::Status(500, vec![], "oops".into())).await;
    let inward = Fake::answering(Reply::Status(
        302,
        vec![("Location", "http://10.0.0.1/admin".into())],
        String::new(),
    ))
    .await;
    let gone = Fake::answering(Reply::Status(404, vec![], "no such hook".into())).await;
    let n = start(&flags(
        &good,
        &["--delivery-max-attempts=2", "--delivery-timeout-seconds=2"],
    ))
    .await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let mut channels = Vec::new();
    for fake in [&good, &hanging, &failing, &inward, &gone] {
        channels.push(
            add_channel(
                &mut conn,
                s.user_id,
                &format!("json://127.0.0.1:{}/h", fake.port),
            )
            .await,
        );
    }
    let started = Instant::now();
    let (notification, ids) = alert(&mut conn, &s, &channels).await;
    wait_delivery(&n, ids[0], "sent", Duration::from_secs(10)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "not held up by the hanging receiver"
    );
    let redirected = wait_delivery(&n, ids[3], "failed", Duration::from_secs(10)).await;
    assert_eq!(redirected.attempts, 1, "a refused address is not retried");
    assert_eq!(
        redirected.last_error.as_deref(),
        Some("refused: address 10.0.0.1 is a private network address")
    );
    let not_found = wait_delivery(&n, ids[4], "failed", Duration::from_secs(10)).await;
    assert_eq!(
        not_found.last_error.as_deref(),
        Some("HTTP 404: no such hook")
    );
    let failed = wait_delivery(&n, ids[2], "failed", Duration::from_secs(15)).await;
    assert_eq!(failed.attempts, 2);
    assert_eq!(
        failed.last_error.as_deref(),
        Some("gave up after 2 attempts: HTTP 500: oops")
    );
    let hung = wait_delivery(&n, ids[1], "failed", Duration::from_secs(15)).await;
    assert_eq!(
        hung.last_error.as_deref(),
        Some("gave up after 2 attempts: timed out after 2 s")
    );
    assert_eq!(failing.to("/h").len(), 2);
    assert!(
        inward.to("/h").len() == 1,
        "the redirect itself is not followed inward"
    );
    support::wait_for_status(&n, notification, "sent", Duration::from_secs(5)).await;
    drop(conn);
    n.shut_down().await;
}

#[tokio::test]
async fn every_failed_delivery_fails_the_alert() {
    let gone = Fake::answering(Reply::Status(410, vec![], String::new())).await;
    let n = start(&flags(&gone, &[])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let hook = add_channel(
        &mut conn,
        s.user_id,
        &format!("json://127.0.0.1:{}/h", gone.port),
    )
    .await;
    let (notification, ids) = alert(&mut conn, &s, &[hook]).await;
    let failed = wait_delivery(&n, ids[0], "failed", Duration::from_secs(10)).await;
    assert_eq!(failed.last_error.as_deref(), Some("HTTP 410"));
    support::wait_for_status(&n, notification, "failed", Duration::from_secs(5)).await;
    drop(conn);
    n.shut_down().await;
}

#[tokio::test]
async fn a_claim_left_by_a_killed_notifier_is_taken_over() {
    let fake = Fake::start().await;
    let n = start(&flags(&fake, &["--delivery-stale-claim-seconds=34"])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let hook = add_channel(
        &mut conn,
        s.user_id,
        &format!("json://127.0.0.1:{}/h", fake.port),
    )
    .await;
    let (_, ids) = alert(&mut conn, &s, &[]).await;
    assert!(ids.is_empty());
    // A notifier killed with -9 mid-send leaves its claim behind.
    let (notification, ids) = {
        let id = Uuid::new_v4();
        let n_id = pending_notification(&mut conn, &s, "18.00").await;
        diesel::update(notifications::table.find(n_id))
            .set(notifications::status.eq("delivering"))
            .execute(&mut conn)
            .await
            .unwrap();
        diesel::insert_into(deliveries_table::table)
            .values((
                deliveries_table::id.eq(id),
                deliveries_table::notification_id.eq(n_id),
                deliveries_table::channel_id.eq(hook),
                deliveries_table::status.eq("sending"),
                deliveries_table::attempts.eq(1),
                deliveries_table::claimed_at.eq(chrono::Utc::now()),
            ))
            .execute(&mut conn)
            .await
            .unwrap();
        (n_id, vec![id])
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        delivery(&n, ids[0]).await.status,
        "sending",
        "a fresh claim is left alone"
    );
    // 34 s later (more than the 3 s delivery timeout + 30) the claim is stale.
    diesel::update(deliveries_table::table.find(ids[0]))
        .set(deliveries_table::claimed_at.eq(chrono::Utc::now() - chrono::Duration::seconds(35)))
        .execute(&mut conn)
        .await
        .unwrap();
    let sent = wait_delivery(&n, ids[0], "sent", Duration::from_secs(10)).await;
    assert_eq!(sent.attempts, 2);
    assert_eq!(fake.to("/h").len(), 1);
    support::wait_for_status(&n, notification, "sent", Duration::from_secs(5)).await;
    drop(conn);
    n.shut_down().await;
}

#[tokio::test]
async fn without_loopback_allowed_a_loopback_webhook_is_refused() {
    let fake = Fake::start().await;
    let n = start(&flags(&fake, &["--allow-loopback-targets=false"])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let hook = add_channel(
        &mut conn,
        s.user_id,
        &format!("json://127.0.0.1:{}/h", fake.port),
    )
    .await;
    let (_, ids) = alert(&mut conn, &s, &[hook]).await;
    let refused = wait_delivery(&n, ids[0], "failed", Duration::from_secs(10)).await;
    assert!(
        refused.last_error.as_deref().unwrap().contains("loopback"),
        "{:?}",
        refused.last_error
    );
    assert!(fake.requests().is_empty(), "nothing reached the receiver");
    drop(conn);
    n.shut_down().await;
}

/// The guard itself (not the URL parser) refuses a name that resolves to loopback.
#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_by_the_guard() {
    use pricewatch_egress::{AddressResolver, EgressSettings, GuardedClient, ResolveFuture};
    use pricewatch_notifier::deliver::message::AlertMessage;
    use pricewatch_notifier::deliver::services::{
        Failure, ServiceUrls, Services, Target, TargetsDone,
    };

    struct ToLoopback;
    impl AddressResolver for ToLoopback {
        fn resolve<'a>(&'a self, _host: &'a str) -> ResolveFuture<'a> {
            Box::pin(async { Ok(vec!["127.0.0.1".parse().unwrap()]) })
        }
    }
    let fake = Fake::start().await;
    let client = GuardedClient::builder(EgressSettings {
        allow_loopback: false,
        ..EgressSettings::default()
    })
    .resolver(Arc::new(ToLoopback))
    .build()
    .unwrap();
    let base = url::Url::parse(&fake.base()).unwrap();
    let services = Services {
        client,
        urls: ServiceUrls {
            ntfy: base.clone(),
            telegram: base.clone(),
            discord: base.clone(),
            slack: base.clone(),
            pushover: base,
        },
    };
    let channel = Channel::parse(&format!("json://hooks.example.com:{}/h", fake.port)).unwrap();
    let message = AlertMessage {
        title: "t".into(),
        text: "x".into(),
        html: "x".into(),
        product_url: "https://shop.example/p".into(),
        event: serde_json::json!({}),
    };
    let target = Target {
        delivery_id: Uuid::new_v4(),
        channel: &channel,
        signing_secret: Some(WHSEC),
        done: &TargetsDone::default(),
    };
    let failure = services.send(&target, &message).await.unwrap_err();
    assert_eq!(
        failure,
        Failure::Permanent("refused: address 127.0.0.1 is a loopback address".into())
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn without_the_channel_key_deliveries_wait() {
    let fake = Fake::start().await;
    let n = start(&flags(&fake, &["--channel-secret-key="])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let hook = add_channel(
        &mut conn,
        s.user_id,
        &format!("json://127.0.0.1:{}/h", fake.port),
    )
    .await;
    let (notification, ids) = alert(&mut conn, &s, &[hook]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = delivery(&n, ids[0]).await;
    assert_eq!((waiting.status.as_str(), waiting.attempts), ("pending", 0));
    assert!(fake.requests().is_empty());
    assert_eq!(n.row(notification).await.0, "delivering");
    drop(conn);
    n.shut_down().await;
}

/// Waits until the channel test is `status` (and returns it).
async fn wait_test(
    n: &TestNotifier,
    channel_id: Uuid,
    status: &str,
    within: Duration,
) -> pricewatch_storage::models::ChannelTest {
    let deadline = Instant::now() + within;
    loop {
        let mut conn = n.conn().await;
        let row = channel_tests::latest(&mut conn, channel_id)
            .await
            .unwrap()
            .unwrap();
        if row.status == status {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "the test of {channel_id} is {} ({:?}), expected {status}",
            row.status,
            row.last_error
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_requested_test_sends_the_test_message_once() {
    let fake = Fake::start().await;
    let receiver = Fake::start().await;
    receiver.script([Reply::Status(503, vec![], String::new())]);
    let n = start(&flags(&fake, &[])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let mail_to = s.email.clone();
    let hook = add_channel(
        &mut conn,
        s.user_id,
        &format!("json://127.0.0.1:{}/t", receiver.port),
    )
    .await;
    let telegram = add_channel(&mut conn, s.user_id, "tgram://123456789:AAE-secretkey_x/42").await;
    let mail = add_channel(&mut conn, s.user_id, &format!("mailto://{mail_to}")).await;
    let test = channel_tests::request(&mut conn, hook).await.unwrap();
    // Asking again while it waits gives the same test.
    assert_eq!(
        channel_tests::request(&mut conn, hook).await.unwrap().id,
        test.id
    );
    channel_tests::request(&mut conn, telegram).await.unwrap();
    channel_tests::request(&mut conn, mail).await.unwrap();

    // The webhook answered 503 first: retried with the same id, then sent.
    let sent = wait_test(&n, hook, "sent", Duration::from_secs(20)).await;
    assert_eq!(sent.id, test.id);
    assert_eq!(sent.attempts, 2);
    assert!(sent.sent_at.is_some() && sent.last_error.is_none());
    let requests = receiver.to("/t");
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.header("webhook-id"), test.id.to_string());
        verify(request);
        let event = request.json();
        assert_eq!(event["type"], "channel.test");
        assert_eq!(
            event["data"]["message"],
            "PriceWatch test message: this channel works"
        );
    }

    wait_test(&n, telegram, "sent", Duration::from_secs(10)).await;
    let messages = fake.to("/bot123456789:AAE-secretkey_x/sendMessage");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].json()["chat_id"], "42");
    assert!(
        messages[0].json()["text"]
            .as_str()
            .unwrap()
            .contains("PriceWatch test message: this channel works")
    );

    wait_test(&n, mail, "sent", Duration::from_secs(10)).await;
    let emails = support::wait_for_emails(&mail_to, 1, Duration::from_secs(5)).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(support::field(&emails[0], "subject"), "PriceWatch test");

    // A finished test makes room for a new one.
    let again = channel_tests::request(&mut conn, hook).await.unwrap();
    assert_ne!(again.id, test.id);
    assert_eq!(again.status, "pending");
    drop(conn);
    n.shut_down().await;
}

#[test]
fn a_stale_claim_shorter_than_a_delivery_stops_the_notifier() {
    // Every other setting is valid, so only the check can stop it (before
    // it connects to anything).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pricewatch-notifier"))
        .env_clear()
        .env("DELIVERY_STALE_CLAIM_SECONDS", "45")
        .env("DELIVERY_TIMEOUT_SECONDS", "15")
        .env("DATABASE_URL", "postgres://127.0.0.1:1/none")
        .env("REDIS_URL", "redis://127.0.0.1:1/0")
        .env("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/%2f")
        .env("NOTIFIER_HEALTH_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(
            "DELIVERY_STALE_CLAIM_SECONDS (45) must be more than DELIVERY_TIMEOUT_SECONDS (15) + 30"
        ),
        "{stderr}"
    );
}

#[test]
fn the_stale_claim_check_allows_a_long_enough_claim() {
    use clap::Parser;
    use pricewatch_ops::start::ServiceBinary;
    let parse = |stale: &str, timeout: &str| {
        pricewatch_notifier::Settings::try_parse_from([
            "pricewatch-notifier",
            "--database-url=postgres://127.0.0.1:1/none",
            "--redis-url=redis://127.0.0.1:1/0",
            "--amqp-url=amqp://guest:guest@127.0.0.1:1/%2f",
            &format!("--delivery-stale-claim-seconds={stale}"),
            &format!("--delivery-timeout-seconds={timeout}"),
        ])
        .unwrap()
    };
    assert!(parse("46", "15").check().is_ok());
    assert!(parse("45", "15").check().is_err());
    assert!(parse("300", "15").check().is_ok(), "the defaults pass");
}

#[tokio::test]
async fn a_retry_sends_only_to_the_targets_not_reached() {
    let fake = Fake::start().await;
    // Chat 1 accepts; chat 2 is rate limited once.
    fake.script([
        Reply::ok(),
        Reply::Status(
            429,
            vec![("Retry-After", "1".into())],
            "Too Many Requests".into(),
        ),
    ]);
    let n = start(&flags(&fake, &[])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let telegram = add_channel(
        &mut conn,
        s.user_id,
        "tgram://123456789:AAE-secretkey_x/111/222",
    )
    .await;
    let (notification, ids) = alert(&mut conn, &s, &[telegram]).await;
    let sent = wait_delivery(&n, ids[0], "sent", Duration::from_secs(20)).await;
    assert_eq!(sent.attempts, 2);
    let to_chat = |chat: &str| {
        fake.to("/bot123456789:AAE-secretkey_x/sendMessage")
            .into_iter()
            .filter(|r| r.json()["chat_id"] == chat)
            .count()
    };
    assert_eq!(to_chat("111"), 1, "chat 1 got the alert once");
    assert_eq!(to_chat("222"), 2, "chat 2: 429, then accepted");
    support::wait_for_status(&n, notification, "sent", Duration::from_secs(5)).await;
    drop(conn);
    n.shut_down().await;
}

#[tokio::test]
async fn a_mailto_to_another_address_is_never_sent() {
    let fake = Fake::start().await;
    let n = start(&flags(&fake, &[])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    // Written past the api (which refuses it): the notifier refuses it too.
    let stranger = format!("stranger-{}@example.test", Uuid::new_v4().simple());
    let mail = add_channel(&mut conn, s.user_id, &format!("mailto://{stranger}")).await;
    let (_, ids) = alert(&mut conn, &s, &[mail]).await;
    let failed = wait_delivery(&n, ids[0], "failed", Duration::from_secs(10)).await;
    assert_eq!(failed.attempts, 1);
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap()
            .contains("may only send to your account's own email address"),
        "{:?}",
        failed.last_error
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(support::emails_to(&stranger).await.is_empty());
    drop(conn);
    n.shut_down().await;
}

// ---------------------------------------------------------------------------
// The same channels sent by Apprise, the library whose URLs channels use.

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Apprise version `scripts/ensure-apprise.sh` installs.
fn apprise_version() -> String {
    let script = std::fs::read_to_string(repo_root().join("scripts/ensure-apprise.sh")).unwrap();
    script
        .lines()
        .find_map(|line| line.strip_prefix("APPRISE_VERSION="))
        .expect("scripts/ensure-apprise.sh has an APPRISE_VERSION= line")
        .trim()
        .to_owned()
}

/// The python that has Apprise: `APPRISE_PYTHON`, else the venv of
/// `scripts/ensure-apprise.sh`. Without it the comparison fails (it is not
/// skipped), saying how to install it.
fn apprise_python() -> PathBuf {
    let want = apprise_version();
    let python = std::env::var_os("APPRISE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/apprise/bin/python"));
    let found = match std::process::Command::new(&python)
        .args(["-c", "import apprise; print(apprise.__version__)"])
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        found,
        want,
        "Apprise {want} is needed at {} to compare the notifier's requests with Apprise's. \
         Install it with scripts/ensure-apprise.sh (a venv in .tools/apprise, \
         `pip install apprise=={want}`; `make test` runs it), or set APPRISE_PYTHON \
         to a python that has apprise=={want}",
        python.display()
    );
    python
}

/// Sends `title` and `body` to `url` with Apprise: no configuration files,
/// no attachments, no plugin paths, no proxy, memory-only storage, so that
/// it contacts nothing but the URL's own host.
const APPRISE_SEND: &str = r#"
import logging, sys
import apprise
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
url, title, body = sys.argv[1:4]
a = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
if not a.add(url):
    sys.exit("Apprise does not take the URL " + url)
sys.exit(0 if a.notify(title=title, body=body) else 1)
"#;

/// Runs Apprise once (60 s at most) off the runtime's thread, so the fake
/// keeps answering.
async fn apprise_send(python: &Path, url: &str, title: &str, body: &str) {
    let home = std::env::temp_dir().join(format!("pw-apprise-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&home).unwrap();
    let mut command = std::process::Command::new(python);
    command
        .args(["-c", APPRISE_SEND, url, title, body])
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", &home)
        .env("LANG", "C.UTF-8")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let url = url.to_owned();
    let (status, log) = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() >= deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status,
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        status.success(),
        "Apprise failed ({status}) on {url}:\n{log}"
    );
}

/// A path with its %-escapes decoded (Apprise escapes `!` and `:` of a
/// Matrix room id, the notifier does not: the same path to a server).
fn decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// The names of a JSON object's fields.
fn keys(body: &serde_json::Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// The one request of `fake` that `pick` selects.
fn one(fake: &Fake, what: &str, pick: impl Fn(&Request) -> bool) -> Request {
    let found: Vec<_> = fake.requests().into_iter().filter(|r| pick(r)).collect();
    assert_eq!(found.len(), 1, "{what}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// For each self-hosted kind, the notifier's request and Apprise's for the
/// same URL agree on what the real server relies on: method, path, where
/// the credentials go, content type, and which fields carry the title, the
/// text and the priority. Where PriceWatch differs on purpose (the signed
/// webhook), the difference is asserted as docs/channels.md states it.
/// Telegram, Discord, Slack and Pushover are not compared: Apprise sends
/// them to fixed public hosts only.
#[tokio::test]
async fn self_hosted_kinds_match_what_apprise_sends() {
    let python = apprise_python();
    let ours = Fake::start().await;
    let theirs = Fake::start().await;
    let n = start(&flags(&ours, &[])).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let urls = |port: u16| {
        [
            format!(
                "ntfy://tk_abcdefghijklmnop@127.0.0.1:{port}/deals?priority=high&tags=moneybag"
            ),
            format!("ntfy://alice:s3cret@127.0.0.1:{port}/pricealerts"),
            format!("gotify://127.0.0.1:{port}/AbCdEf.123?priority=8"),
            format!("gotify://127.0.0.1:{port}/gotify/GhIjKl.456"),
            format!("matrix://syt_accesstoken@127.0.0.1:{port}/!roomid:example.org"),
            format!("json://alice:s3cret@127.0.0.1:{port}/hooks/pw?source=pricewatch"),
        ]
    };
    let mut ids = Vec::new();
    for url in urls(ours.port) {
        ids.push(add_channel(&mut conn, s.user_id, &url).await);
    }
    let (_, deliveries) = alert(&mut conn, &s, &ids).await;
    for &id in &deliveries {
        wait_delivery(&n, id, "sent", Duration::from_secs(20)).await;
    }
    drop(conn);
    n.shut_down().await;

    // Apprise gets the title and text the notifier sent, word for word.
    let ntfy = one(&ours, "our ntfy (token)", |r| r.json()["topic"] == "deals");
    let title = ntfy.json()["title"].as_str().unwrap().to_owned();
    let text = ntfy.json()["message"].as_str().unwrap().to_owned();
    assert!(title.contains(&s.title) && text.contains("19.99 EUR"));
    let mut apprise_urls = urls(theirs.port).to_vec();
    // Apprise passes on only the query parameters written `-key=value`.
    apprise_urls.push(format!(
        "json://alice:s3cret@127.0.0.1:{}/hooks/dash?-source=pricewatch",
        theirs.port
    ));
    for url in &apprise_urls {
        apprise_send(&python, url, &title, &text).await;
    }

    // ntfy: both publish JSON to the server's root, one message per topic,
    // with the same credentials, topic, title and message. PriceWatch puts
    // the priority (as its number) and the tags in the JSON; Apprise in
    // X-Priority and X-Tags headers, which ntfy reads the same way.
    for (topic, auth) in [
        ("deals", "Bearer tk_abcdefghijklmnop"),
        ("pricealerts", "Basic YWxpY2U6czNjcmV0"),
    ] {
        let pick = |r: &Request| r.path() == "/" && r.json()["topic"] == topic;
        let (a, b) = (one(&ours, topic, pick), one(&theirs, topic, pick));
        assert_eq!((a.method.as_str(), b.method.as_str()), ("POST", "POST"));
        assert_eq!((a.target.as_str(), b.target.as_str()), ("/", "/"));
        assert_eq!(a.header("authorization"), auth);
        assert_eq!(b.header("authorization"), auth);
        assert_eq!(a.header("content-type"), "application/json");
        assert_eq!(b.header("content-type"), "application/json");
        let (ja, jb) = (a.json(), b.json());
        for field in ["topic", "title", "message"] {
            assert_eq!(ja[field], jb[field], "ntfy {topic}: {field}");
        }
        assert_eq!(keys(&jb), ["message", "title", "topic"]);
        if topic == "deals" {
            assert_eq!(
                keys(&ja),
                ["click", "message", "priority", "tags", "title", "topic"]
            );
            assert_eq!(
                (ja["priority"].clone(), b.header("x-priority")),
                (json!(4), "high")
            );
            assert_eq!(
                (ja["tags"].clone(), b.header("x-tags")),
                (json!(["moneybag"]), "moneybag")
            );
        } else {
            assert_eq!(keys(&ja), ["click", "message", "title", "topic"]);
            assert_eq!(b.header("x-priority"), "");
        }
    }

    // Gotify: both POST {prefix}/message with JSON title, message, priority.
    // The app token: PriceWatch in the `token` query parameter, Apprise in
    // the X-Gotify-Key header; the Gotify server takes either.
    for (prefix, token, priority) in [("", "AbCdEf.123", Some(8)), ("/gotify", "GhIjKl.456", None)]
    {
        let path = format!("{prefix}/message");
        let pick = |r: &Request| r.path() == path;
        let (a, b) = (one(&ours, &path, pick), one(&theirs, &path, pick));
        assert_eq!((a.method.as_str(), b.method.as_str()), ("POST", "POST"));
        assert_eq!(a.query(), [("token".to_owned(), token.to_owned())]);
        assert_eq!(
            (a.header("x-gotify-key"), b.header("x-gotify-key")),
            ("", token)
        );
        assert!(b.query().is_empty());
        assert_eq!(a.header("content-type"), "application/json");
        assert_eq!(b.header("content-type"), "application/json");
        let (ja, jb) = (a.json(), b.json());
        assert_eq!(
            (ja["title"].as_str(), ja["message"].as_str()),
            (Some(title.as_str()), Some(text.as_str()))
        );
        assert_eq!(
            (jb["title"].as_str(), jb["message"].as_str()),
            (Some(title.as_str()), Some(text.as_str()))
        );
        match priority {
            Some(p) => {
                assert_eq!(keys(&ja), ["message", "priority", "title"]);
                assert_eq!(
                    (ja["priority"].clone(), jb["priority"].clone()),
                    (json!(p), json!(p))
                );
            }
            // Unset: PriceWatch leaves it to the application's default,
            // Apprise sends Gotify's usual 5.
            None => {
                assert_eq!(keys(&ja), ["message", "title"]);
                assert_eq!(jb["priority"], 5);
            }
        }
        assert_eq!(keys(&jb), ["message", "priority", "title"]);
    }

    // Matrix (access token): both PUT an m.text m.room.message event to the
    // room with the token as a bearer, title and text in `body`. The
    // transaction id: the delivery's id for PriceWatch (a retry is the same
    // transaction), a fresh one for Apprise. Apprise first asks who the token
    // is and joins the room; PriceWatch does neither: the account must have
    // joined the room already.
    let send = "/_matrix/client/v3/rooms/!roomid:example.org/send/m.room.message/";
    let pick = |r: &Request| decoded(r.path()).starts_with(send);
    let (a, b) = (
        one(&ours, "our matrix send", pick),
        one(&theirs, "Apprise's matrix send", pick),
    );
    assert_eq!((a.method.as_str(), b.method.as_str()), ("PUT", "PUT"));
    assert_eq!(decoded(a.path()), format!("{send}{}", deliveries[4]));
    assert!(decoded(b.path()).len() > send.len());
    for r in [&a, &b] {
        assert_eq!(r.header("authorization"), "Bearer syt_accesstoken");
        assert_eq!(r.header("content-type"), "application/json");
        let body = r.json();
        assert_eq!(body["msgtype"], "m.text");
        let plain = body["body"].as_str().unwrap();
        assert!(
            plain.contains(&title) && plain.contains(text.lines().next().unwrap()),
            "{plain}"
        );
    }
    assert_eq!(
        keys(&a.json()),
        ["body", "format", "formatted_body", "msgtype"]
    );
    assert_eq!(keys(&b.json()), ["body", "msgtype"]);
    let ours_matrix: Vec<_> = ours
        .to("/_matrix/")
        .into_iter()
        .map(|r| (r.method, decoded(&r.target)))
        .collect();
    assert_eq!(ours_matrix.len(), 1, "{ours_matrix:?}");
    let theirs_matrix: Vec<_> = theirs
        .to("/_matrix/")
        .into_iter()
        .map(|r| (r.method, decoded(&r.target)))
        .collect();
    assert_eq!(
        theirs_matrix[..2],
        [
            (
                "GET".to_owned(),
                "/_matrix/client/v3/account/whoami".to_owned()
            ),
            (
                "POST".to_owned(),
                "/_matrix/client/v3/join/!roomid:example.org".to_owned()
            ),
        ],
        "{theirs_matrix:?}"
    );
    assert_eq!(theirs_matrix.len(), 3, "{theirs_matrix:?}");

    // json://: the same method, path, Basic credentials and content type.
    // The body differs on purpose: PriceWatch sends its own event, signed
    // per Standard Webhooks; Apprise an unsigned {version, title, message,
    // attachments, type}. PriceWatch passes the URL's query on as is;
    // Apprise drops it and passes on only `-key=value` parameters.
    let a = one(&ours, "our webhook", |r| r.path() == "/hooks/pw");
    let b = one(&theirs, "Apprise's webhook", |r| r.path() == "/hooks/pw");
    let dash = one(&theirs, "Apprise's webhook, -key", |r| {
        r.path() == "/hooks/dash"
    });
    for r in [&a, &b, &dash] {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("authorization"), "Basic YWxpY2U6czNjcmV0");
        assert_eq!(r.header("content-type"), "application/json");
    }
    let source = vec![("source".to_owned(), "pricewatch".to_owned())];
    assert_eq!(a.query(), source);
    assert!(
        b.query().is_empty(),
        "Apprise drops a plain query: {}",
        b.target
    );
    assert_eq!(dash.query(), source);
    verify(&a);
    assert_eq!(keys(&a.json()), ["data", "timestamp", "type"]);
    assert_eq!(a.json()["type"], "price.alert");
    assert_eq!(
        keys(&b.json()),
        ["attachments", "message", "title", "type", "version"]
    );
    assert_eq!(
        (b.json()["title"].as_str(), b.json()["message"].as_str()),
        (Some(title.as_str()), Some(text.as_str()))
    );
    for header in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        assert!(!a.header(header).is_empty(), "ours has {header}");
        assert_eq!(b.header(header), "", "Apprise's has no {header}");
    }

    // Apprise sent nothing else (and nothing anywhere else: it had only
    // loopback URLs, no configuration and no attachments).
    assert_eq!(
        theirs.requests().len(),
        2 + 2 + 3 + 2,
        "{:#?}",
        theirs.requests()
    );
}
