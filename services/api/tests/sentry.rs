#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Sentry for real: the DSN points at a local HTTP server that captures envelopes;
//! a server error in the api must arrive there, tagged, with no email, password
//! or token inside. (Its own test binary: the Sentry client is process-global.)

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::Duration;

use clap::Parser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_reach_sentry_tagged_and_without_pii() {
    let capture = pricewatch_ops::sentry_capture::SentryCapture::start()
        .await
        .unwrap();
    let dsn = capture.dsn();
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
    let _guard =
        pricewatch_ops::telemetry::init("api", &settings.common.log, &settings.common.sentry)
            .unwrap();

    let token = pricewatch_api::auth::token::TokenKeys::new(secret.as_bytes(), 600)
        .issue(uuid::Uuid::new_v4(), 0)
        .unwrap();
    let r = app
        .client
        .get(app.url("/api/v1/me?email=secret-person@example.com"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    // A personal API token, in the header and in the query; a feed token in the path.
    let api_token = format!("pw_{}", "k7".repeat(21) + "Q");
    let r = app
        .client
        .get(app.url(&format!("/api/v1/watches?token={api_token}")))
        .bearer_auth(&api_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let feed_token = format!("pwf_{}", "z9".repeat(21) + "Q");
    let r = app.get(&format!("/feeds/{feed_token}.atom"), None).await;
    assert_eq!(r.status(), 503);
    let r = app
        .post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"email": "secret-person@example.com", "password": "hunter2hunter2"}),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 503);

    let captured = capture
        .wait_for_event("test-env", Duration::from_secs(5))
        .await;
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
    for secret_bit in [
        "secret-person",
        "hunter2",
        token.as_str(),
        secret,
        &api_token[3..],
        &feed_token[4..],
    ] {
        assert!(
            !captured.contains(secret_bit),
            "{secret_bit:?} leaked into Sentry: {captured}"
        );
    }
}
