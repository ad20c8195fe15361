#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Sentry for real: the DSN points at a local HTTP server that captures envelopes;
//! a server error in the api must arrive there, tagged, with no email, password
//! or token inside. (Its own test binary: the Sentry client is process-global.)

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Accepts HTTP requests, keeps their bodies, answers 200.
async fn capture_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
    let store = bodies.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(split) = text.find("\r\n\r\n") {
                        let len = text[..split]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= split + 4 + len {
                            store
                                .lock()
                                .unwrap()
                                .push(String::from_utf8_lossy(&buf[split + 4..]).to_string());
                            let _ = socket
                                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                                .await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (port, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_reach_sentry_tagged_and_without_pii() {
    let (port, bodies) = capture_server().await;
    let dsn = format!("http://0123456789abcdef0123456789abcdef@127.0.0.1:{port}/42");
    let secret = "test-secret-key-for-the-test-suite-only-0123456789";
    // The database is unreachable: every request that needs it is a 503.
    let app = helpers::spawn_app_with(&[
        "--database-url=postgres://postgres@127.0.0.1:9/nowhere",
        &format!("--sentry-dsn={dsn}"),
        "--sentry-environment=test-env",
        "--sentry-traces-sample-rate=0",
    ])
    .await;
    let settings = pricewatch_api::Settings::try_parse_from([
        "x",
        "--database-url=postgres://x@127.0.0.1/x",
        "--redis-url=redis://127.0.0.1",
        "--amqp-url=amqp://127.0.0.1",
        &format!("--secret-key={secret}"),
        &format!("--sentry-dsn={dsn}"),
        "--sentry-environment=test-env",
    ])
    .unwrap();
    let _guard = pricewatch_ops::telemetry::init("api", &settings.log, &settings.sentry).unwrap();

    let token = pricewatch_api::auth::token::TokenKeys::new(secret.as_bytes(), 600)
        .issue(uuid::Uuid::new_v4())
        .unwrap();
    let r = app
        .client
        .get(app.url("/api/v1/me?email=secret-person@example.com"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let r = app
        .post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"email": "secret-person@example.com", "password": "hunter2hunter2"}),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 503);

    if let Some(client) = sentry::Hub::main().client() {
        client.flush(Some(Duration::from_secs(5)));
    }
    let mut captured = String::new();
    for _ in 0..20 {
        captured = bodies.lock().unwrap().join("\n");
        if captured.contains("\"type\":\"event\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        captured.contains("\"type\":\"event\""),
        "no event captured: {captured}"
    );
    assert!(
        captured.contains("test-env"),
        "environment missing: {captured}"
    );
    assert!(
        captured.contains("\"service\":\"api\""),
        "service tag missing: {captured}"
    );
    assert!(captured.contains("api@"), "release missing: {captured}");
    for secret_bit in ["secret-person", "hunter2", token.as_str(), secret] {
        assert!(
            !captured.contains(secret_bit),
            "{secret_bit:?} leaked into Sentry: {captured}"
        );
    }
}
