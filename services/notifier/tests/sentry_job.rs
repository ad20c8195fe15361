//! A failed job reaches Sentry: the DSN points at a local capture server; an alert
//! that fails for good must arrive there as an event tagged with the service,
//! without the recipient's email. (Its own binary: the Sentry client is global.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use clap::Parser;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use pricewatch_storage::schema::users;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_for_good_is_an_event_in_sentry_without_pii() {
    let capture = pricewatch_ops::sentry_capture::SentryCapture::start()
        .await
        .unwrap();
    let settings = pricewatch_notifier::Settings::try_parse_from([
        "x",
        "--database-url=postgres://x@127.0.0.1/x",
        "--redis-url=redis://127.0.0.1",
        "--amqp-url=amqp://127.0.0.1",
        &format!("--sentry-dsn={}", capture.dsn()),
        "--sentry-environment=job-test-env",
    ])
    .unwrap();
    let _guard =
        pricewatch_ops::telemetry::init("notifier", &settings.common.log, &settings.common.sentry)
            .unwrap();

    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    // An address no SMTP server takes: the job fails for good.
    let bad = format!("broken address {}@example.test", s.user_id.simple());
    diesel::update(users::table.find(s.user_id))
        .set(users::email.eq(&bad))
        .execute(&mut conn)
        .await
        .unwrap();
    let id = pending_notification(&mut conn, &s, "19.99").await;
    n.publish(id).await;
    wait_for_status(&n, id, "failed", Duration::from_secs(20)).await;

    let captured = capture
        .wait_for_event("alert email failed for good", Duration::from_secs(10))
        .await;
    assert!(
        captured.contains("alert email failed for good"),
        "no event: {captured}"
    );
    assert!(captured.contains("job-test-env"), "{captured}");
    assert!(captured.contains("\"service\":\"notifier\""), "{captured}");
    assert!(
        captured.contains(&id.to_string()),
        "the event names the notification: {captured}"
    );
    assert!(
        !captured.contains(&s.user_id.simple().to_string()),
        "the address leaked: {captured}"
    );
    n.shut_down().await;
}
