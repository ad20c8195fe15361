//! Notification channels: one URL each, secrets sealed and masked, the
//! address policy on their hosts, ownership, the cap, "send a test".

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{TestApp, channel_key, error_of, spawn_app, spawn_app_with};

const KEY30: &str = "abcdefghijklmnopqrstuvwxyz0123";
const TOK30: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ9876";

async fn add(app: &TestApp, token: &str, url: &str, name: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/channels",
        &json!({"url": url, "name": name}),
        Some(token),
    )
    .await
}

async fn created(app: &TestApp, token: &str, url: &str, name: &str) -> Value {
    let r = add(app, token, url, name).await;
    assert_eq!(r.status(), 201, "{url}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// The sealed column of a channel, as stored.
async fn sealed(app: &TestApp, id: &str) -> Vec<u8> {
    let mut conn = pricewatch_storage::pool::connect_once(&app.database_url)
        .await
        .unwrap();
    let row = pricewatch_storage::queries::channels::find(&mut conn, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    row.sealed
}

#[tokio::test]
async fn every_kind_of_channel_is_added_with_its_secrets_masked() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let mailto = format!("mailto://{email}");
    // (url, kind, secret that must never be shown)
    let cases = [
        (mailto.as_str(), "email", None),
        ("ntfy://prices", "ntfy", None),
        (
            "ntfys://me:ntfy-password-0001@ntfy.example.com/deals",
            "ntfy",
            Some("ntfy-password-0001"),
        ),
        (
            "gotifys://push.example.com/AbCdEfGhIjKlMnOpQr",
            "gotify",
            Some("AbCdEfGhIjKlMnOpQr"),
        ),
        (
            "tgram://123456789:AAE-very-secret-key-0001/-1001234567890",
            "telegram",
            Some("AAE-very-secret-key-0001"),
        ),
        (
            "discord://1234567890/discord-token-secret-zzzz",
            "discord",
            Some("discord-token-secret-zzzz"),
        ),
        (
            "slack://T1ABC/B2DEF/slacksecretslacksecret9/#deals",
            "slack",
            Some("slacksecretslacksecret9"),
        ),
        (&format!("pover://{KEY30}@{TOK30}"), "pushover", Some(TOK30)),
        (
            "matrixs://bot:matrix-password-long@matrix.example.org/#deals",
            "matrix",
            Some("matrix-password-long"),
        ),
        (
            "jsons://me:webhook-basic-password@93.184.215.14/hook?src=pw",
            "webhook",
            Some("webhook-basic-password"),
        ),
    ];
    let mut ids = Vec::new();
    for (url, kind, secret) in &cases {
        let body = created(&app, &token, url, &format!("my {kind}")).await;
        assert_eq!(body["kind"], *kind, "{body}");
        assert_eq!(body["name"], format!("my {kind}"));
        assert!(body["created_at"].is_string());
        let shown = body["url"].as_str().unwrap();
        if let Some(secret) = secret {
            assert!(!shown.contains(secret), "{shown} shows {secret}");
            assert!(shown.contains("***"), "{shown}");
            let stored = sealed(&app, body["id"].as_str().unwrap()).await;
            assert!(
                !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{kind}: the secret is stored in clear"
            );
        }
        assert_eq!(
            body.get("signing_secret").is_some(),
            *kind == "webhook",
            "{body}"
        );
        ids.push(body["id"].as_str().unwrap().to_owned());
    }

    let r = app.get("/api/v1/channels", Some(&token)).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    let listed: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids, "oldest first");
    for (_, _, secret) in &cases {
        if let Some(secret) = secret {
            assert!(!text.contains(secret), "the list shows {secret}");
        }
    }
    assert!(!text.contains("whsec_"), "the list shows a signing secret");
    assert!(
        text.contains("tgram://123456789:***0001/-1001234567890"),
        "{text}"
    );
}

#[tokio::test]
async fn a_webhook_signing_secret_is_shown_once_and_sealed_with_the_url() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let body = created(&app, &token, "jsons://hooks.example.com/pricewatch", "hook").await;
    let secret = body["signing_secret"].as_str().unwrap().to_owned();
    let raw = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .unwrap();
    assert!(bytes.len() >= 24, "{} random bytes", bytes.len());
    let id = body["id"].as_str().unwrap();

    let r = app
        .get(&format!("/api/v1/channels/{id}"), Some(&token))
        .await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains("signing_secret") && !text.contains(raw),
        "{text}"
    );

    let opened = channel_key()
        .open(id.parse().unwrap(), &sealed(&app, id).await)
        .unwrap();
    assert_eq!(opened.signing_secret.as_deref(), Some(secret.as_str()));
    assert_eq!(opened.url, "jsons://hooks.example.com/pricewatch");

    // A new URL of the same webhook keeps the secret its receiver checks.
    let r = app
        .patch_json(
            &format!("/api/v1/channels/{id}"),
            &json!({"url": "jsons://hooks.example.com/v2"}),
            &token,
        )
        .await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains("whsec_"), "{text}");
    let opened = channel_key()
        .open(id.parse().unwrap(), &sealed(&app, id).await)
        .unwrap();
    assert_eq!(opened.signing_secret.as_deref(), Some(secret.as_str()));
    assert_eq!(opened.url, "jsons://hooks.example.com/v2");

    let other = created(&app, &token, "jsons://hooks.example.com/other", "other").await;
    assert_ne!(other["signing_secret"], body["signing_secret"]);
}

#[tokio::test]
async fn bad_urls_and_names_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let long = format!("jsons://hooks.example.com/{}", "a".repeat(2100));
    let bad_urls = [
        "not a url",
        "",
        "irc://x",
        "https://hooks.example.com/hook",
        "ntfy:prices",
        "tgram://123456789/-100",
        "mailto://alice:pw@example.com",
        "json://hooks.example.com/?+X-Header=1",
        "json://10.0.0.5/hook",
        "json://169.254.169.254/latest",
        "gotify://[fe80::1]/token",
        "json://127.0.0.1:9000/hook",
        "json://localhost:9000/hook",
        "matrixs://tok@metadata.localhost/#room",
        "ntfys://ntfy.private.test/topic",
        "jsons://hooks.private.test/hook",
        "gotify://loopback.test/token",
        "json://missing.test/hook",
        long.as_str(),
    ];
    for url in bad_urls {
        let (status, code, body) = error_of(add(&app, &token, url, "x").await).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "validation_failed"),
            "{url}: {body}"
        );
        assert_eq!(body["field"], "url", "{url}: {body}");
    }
    // A mailto:// channel sends only to the account's own address: no open relay.
    let (status, code, body) =
        error_of(add(&app, &token, "mailto://someone-else@example.com", "x").await).await;
    assert_eq!(
        (status, code.as_str()),
        (422, "validation_failed"),
        "{body}"
    );
    assert_eq!(body["field"], "url", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("only send to your account's own email address"),
        "{body}"
    );
    let (_, _, body) = error_of(add(&app, &token, "json://10.0.0.5/hook", "x").await).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("private network"),
        "{body}"
    );
    let (_, _, body) = error_of(add(&app, &token, "jsons://hooks.private.test/h", "x").await).await;
    assert!(
        body["message"].as_str().unwrap().contains("10.1.2.3"),
        "{body}"
    );
    for name in ["", "   ", &"n".repeat(101), "bell\u{7}"] {
        let (status, _, body) = error_of(add(&app, &token, "ntfy://prices", name).await).await;
        assert_eq!(status, 422, "{name:?}: {body}");
        assert_eq!(body["field"], "name", "{body}");
    }
    let r = app.get("/api/v1/channels", Some(&token)).await;
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["items"], json!([]), "nothing was added");
}

#[tokio::test]
async fn loopback_hosts_pass_only_where_watch_urls_may_use_loopback() {
    let app = spawn_app_with(&["--allow-loopback-targets=true"]).await;
    let (_, token) = app.user().await;
    created(&app, &token, "json://127.0.0.1:9000/hook", "local").await;
    created(&app, &token, "gotify://loopback.test/token", "local gotify").await;
    let (status, _, body) = error_of(add(&app, &token, "json://10.0.0.5/hook", "x").await).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("url")));
}

#[tokio::test]
async fn another_users_channel_is_not_found() {
    let app = spawn_app().await;
    let (_, alice) = app.user().await;
    let (_, bob) = app.user().await;
    let channel = created(&app, &alice, "ntfy://prices", "phone").await;
    let path = format!("/api/v1/channels/{}", channel["id"].as_str().unwrap());
    assert_eq!(app.get(&path, Some(&bob)).await.status(), 404);
    let r = app.patch_json(&path, &json!({"name": "mine"}), &bob).await;
    assert_eq!(r.status(), 404);
    assert_eq!(app.delete(&path, Some(&bob)).await.status(), 404);
    let r = app
        .post_json(&format!("{path}/test"), &json!({}), Some(&bob))
        .await;
    assert_eq!(r.status(), 404);
    let list: Value = app
        .get("/api/v1/channels", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    let r = app.get(&path, Some(&alice)).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["name"], "phone", "untouched");
    let r = app.get("/api/v1/channels/not-a-uuid", Some(&alice)).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_channel_is_renamed_and_its_url_replaced() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let channel = created(
        &app,
        &token,
        "tgram://123456789:AAE-very-secret-key-0001/-100",
        "phone",
    )
    .await;
    let path = format!("/api/v1/channels/{}", channel["id"].as_str().unwrap());
    let r = app
        .patch_json(&path, &json!({"name": " Work phone "}), &token)
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["name"], "Work phone");
    assert_eq!(body["url"], channel["url"]);

    let r = app
        .patch_json(
            &path,
            &json!({"url": "tgram://123456789:AAE-other-secret-key-0002/-200"}),
            &token,
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["url"], "tgram://123456789:***0002/-200");
    assert_eq!(body["name"], "Work phone");
    let opened = channel_key()
        .open(
            channel["id"].as_str().unwrap().parse().unwrap(),
            &sealed(&app, channel["id"].as_str().unwrap()).await,
        )
        .unwrap();
    assert_eq!(
        opened.url,
        "tgram://123456789:AAE-other-secret-key-0002/-200"
    );

    for (patch, field) in [
        (json!({"url": "ntfy://prices"}), "url"),
        (json!({"url": "json://10.0.0.1/h"}), "url"),
        (json!({"name": ""}), "name"),
        (json!({"name": "n".repeat(101)}), "name"),
    ] {
        let (status, _, body) = error_of(app.patch_json(&path, &patch, &token).await).await;
        assert_eq!(status, 422, "{patch}: {body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let r = app.get(&path, Some(&token)).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["url"], "tgram://123456789:***0002/-200", "unchanged");
}

#[tokio::test]
async fn the_channel_cap_holds() {
    let app = spawn_app_with(&["--max-channels-per-user=2"]).await;
    let (_, token) = app.user().await;
    created(&app, &token, "ntfy://one", "one").await;
    created(&app, &token, "ntfy://two", "two").await;
    let (status, code, _) = error_of(add(&app, &token, "ntfy://three", "three").await).await;
    assert_eq!((status, code.as_str()), (409, "channel_limit_reached"));
    let (_, other) = app.user().await;
    created(&app, &other, "ntfy://three", "three").await;
}

#[tokio::test]
async fn channels_need_the_channel_key() {
    let app = spawn_app_with(&["--channel-secret-key="]).await;
    let (_, token) = app.user().await;
    let (status, code, _) = error_of(add(&app, &token, "ntfy://prices", "phone").await).await;
    assert_eq!((status, code.as_str()), (503, "service_unavailable"));
}

#[tokio::test]
async fn a_test_message_is_queued_once_at_a_time() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let channel = created(&app, &token, "ntfy://prices", "phone").await;
    let id = channel["id"].as_str().unwrap();
    let path = format!("/api/v1/channels/{id}/test");
    let r = app.post_json(&path, &json!({}), Some(&token)).await;
    assert_eq!(r.status(), 202);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["status"], "pending");
    assert_eq!(first["channel_id"], id);
    assert_eq!(first["attempts"], 0);
    let again: Value = app
        .post_json(&path, &json!({}), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], first["id"], "one pending test at a time");
    // Once sent, the next request queues a new test.
    app.sql(&format!(
        "UPDATE channel_tests SET status = 'sent', sent_at = now() WHERE channel_id = '{id}'"
    ))
    .await;
    let third: Value = app
        .post_json(&path, &json!({}), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(third["id"], first["id"]);
    assert_eq!(
        app.sql(&format!(
            "SELECT 1 FROM channel_tests WHERE channel_id = '{id}' AND status = 'pending'"
        ))
        .await,
        1
    );
}

/// PostgreSQL plans a statement run often enough on one connection
/// generically, without its parameters: the ON CONFLICT of a new test must
/// still find its partial unique index then (one pooled connection, so every
/// request reuses the same prepared statement).
#[tokio::test]
async fn asking_for_a_test_again_and_again_keeps_answering() {
    let app = spawn_app_with(&["--database-pool-size=1"]).await;
    let (_, token) = app.user().await;
    let channel = created(&app, &token, "ntfy://prices", "phone").await;
    let path = format!("/api/v1/channels/{}/test", channel["id"].as_str().unwrap());
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..12 {
        let r = app.post_json(&path, &json!({}), Some(&token)).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        let test: Value = r.json().await.unwrap();
        ids.insert(test["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "one pending test at a time");
}

#[tokio::test]
async fn the_openapi_document_describes_channels_and_alerting() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/api/v1/channels", &["get", "post"][..]),
        ("/api/v1/channels/{id}", &["get", "patch", "delete"][..]),
        ("/api/v1/channels/{id}/test", &["post"][..]),
    ] {
        for method in methods {
            let op = &paths[path][method];
            assert!(op.is_object(), "{method} {path} missing");
            assert!(
                op["responses"]["401"].is_object(),
                "{method} {path}: no 401"
            );
            assert!(op["security"].is_array(), "{method} {path}: no security");
        }
    }
    assert!(paths["/api/v1/channels"]["post"]["responses"]["422"].is_object());
    assert!(paths["/api/v1/channels/{id}/test"]["post"]["responses"]["202"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["CreatedChannel"]["allOf"].is_array()
            || schemas["CreatedChannel"]["properties"]["signing_secret"].is_object(),
        "{}",
        schemas["CreatedChannel"]
    );
    assert!(
        schemas["ChannelResponse"]["properties"]
            .get("signing_secret")
            .is_none()
    );
    for field in ["rules", "channel_ids", "cooldown_minutes"] {
        assert!(
            schemas["WatchResponse"]["properties"][field].is_object(),
            "{field}"
        );
        assert!(
            schemas["CreateWatch"]["properties"][field].is_object(),
            "{field}"
        );
        assert!(
            schemas["UpdateWatch"]["properties"][field].is_object(),
            "{field}"
        );
    }
    assert!(
        schemas["RuleSchema"]["oneOf"].is_array(),
        "{}",
        schemas["RuleSchema"]
    );
    assert!(schemas["NotificationResponse"]["properties"]["deliveries"].is_object());
    assert!(schemas["DeliveryResponse"]["properties"]["status"].is_object());
}
