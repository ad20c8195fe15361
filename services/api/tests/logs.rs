//! The api's own logs never hold a token: not a personal API token sent in
//! the header, not the feed token that is part of a feed URL's path. (Its own
//! test binary: it installs the process's tracing subscriber.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let app = helpers::spawn_app().await;
    let (_, session) = app.user().await;
    let (_, api_token) = app.api_token(&session, &["read", "write"]).await;
    assert_eq!(
        app.get("/api/v1/watches", Some(&api_token)).await.status(),
        200
    );
    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": "https://shop.example.com/p/1", "target_price": "1", "frequency": "24h"}),
            Some(&api_token),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = app
        .post_json("/api/v1/feed/token", &json!({}), Some(&session))
        .await
        .json()
        .await
        .unwrap();
    let feed_token = created["token"].as_str().unwrap().to_owned();
    let path = created["path"].as_str().unwrap();
    assert_eq!(app.get(path, None).await.status(), 200);
    // Refused ones too.
    let wrong = format!("pw_{}", "Q".repeat(43));
    assert_eq!(app.get("/api/v1/me", Some(&wrong)).await.status(), 401);
    let wrong_feed = format!("/feeds/pwf_{}.atom", "Q".repeat(43));
    assert_eq!(app.get(&wrong_feed, None).await.status(), 404);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("request done"), "no request logs: {logs}");
    assert!(logs.contains("/feeds/[token].atom"), "{logs}");
    for secret in [&api_token[3..], &feed_token[4..], &session, &"Q".repeat(43)] {
        assert!(!logs.contains(secret), "{secret} is in the logs:\n{logs}");
    }
}
