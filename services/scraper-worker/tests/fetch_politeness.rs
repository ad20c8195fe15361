//! Per-domain politeness against the real Redis (`REDIS_URL`, default 127.0.0.1:6379).
//! Two `Politeness` values on one pool stand for two worker instances; each test has its
//! own key prefix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use deadpool_redis::{Config, Runtime};
use pricewatch_scraper_worker::fetch::{Politeness, PolitenessError, PolitenessSettings};
use tokio::time::Instant;

fn workers(settings: PolitenessSettings) -> (Politeness, Politeness) {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let pool = Config::from_url(url)
        .create_pool(Some(Runtime::Tokio1))
        .unwrap();
    let settings = PolitenessSettings {
        key_prefix: format!("test-politeness-{:016x}", rand::random::<u64>()),
        ..settings
    };
    (
        Politeness::new(pool.clone(), settings.clone()),
        Politeness::new(pool, settings),
    )
}

fn settings(min_interval_ms: u64, max_concurrent: u32) -> PolitenessSettings {
    PolitenessSettings {
        min_interval: Duration::from_millis(min_interval_ms),
        max_concurrent,
        poll_interval: Duration::from_millis(20),
        ..PolitenessSettings::default()
    }
}

const LONG: Duration = Duration::from_secs(5);

#[tokio::test]
async fn requests_to_a_domain_are_spaced_across_workers() {
    let (a, b) = workers(settings(300, 10));
    let mut starts = Vec::new();
    for worker in [&a, &b, &a, &b] {
        let permit = worker.acquire("shop.test", LONG).await.unwrap();
        starts.push(Instant::now());
        permit.release().await.unwrap();
    }
    for pair in starts.windows(2) {
        let gap = pair[1] - pair[0];
        // Redis's clock decides; allow a little for the round trip.
        assert!(gap >= Duration::from_millis(280), "gap {gap:?}");
    }
    // Another domain is not held back.
    let started = Instant::now();
    a.acquire("other.test", LONG)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn at_most_n_requests_in_flight_per_domain() {
    let (a, b) = workers(settings(0, 2));
    let first = a.acquire("shop.test", LONG).await.unwrap();
    let _second = b.acquire("shop.test", LONG).await.unwrap();
    let waited = Instant::now();
    let third = a.acquire("shop.test", Duration::from_millis(300)).await;
    assert!(
        matches!(third, Err(PolitenessError::Timeout { .. })),
        "third slot granted"
    );
    assert!(
        waited.elapsed() >= Duration::from_millis(250),
        "it did wait for a slot"
    );
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.release().await.unwrap();
    });
    let third = b.acquire("shop.test", LONG).await.unwrap();
    releaser.await.unwrap();
    third.release().await.unwrap();
}

#[tokio::test]
async fn a_killed_workers_slot_comes_back_when_its_lease_expires() {
    let (a, b) = workers(PolitenessSettings {
        lease_ttl: Duration::from_millis(500),
        ..settings(0, 1)
    });
    // A killed worker never releases: forget the permit so that no drop runs.
    std::mem::forget(a.acquire("shop.test", LONG).await.unwrap());
    let started = Instant::now();
    let permit = b
        .acquire("shop.test", Duration::from_secs(3))
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(350),
        "slot free too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(2),
        "slot never came back: {waited:?}"
    );
    permit.release().await.unwrap();
}

#[tokio::test]
async fn a_dropped_permit_is_released_in_the_background() {
    let (a, _) = workers(settings(0, 1));
    drop(a.acquire("shop.test", LONG).await.unwrap());
    let started = Instant::now();
    a.acquire("shop.test", LONG)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_wait_longer_than_the_bound_fails_at_once() {
    let (a, b) = workers(settings(5_000, 10));
    a.acquire("shop.test", LONG)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    let started = Instant::now();
    let error = b
        .acquire("shop.test", Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(matches!(error, PolitenessError::Timeout { .. }), "{error}");
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "no point waiting 500 ms for a 5 s turn"
    );
}

#[tokio::test]
async fn an_unreachable_store_is_an_error_not_a_hang() {
    // A closed local port stands for a dead Redis.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pool = Config::from_url(format!("redis://127.0.0.1:{port}"))
        .create_pool(Some(Runtime::Tokio1))
        .unwrap();
    let politeness = Politeness::new(pool, settings(0, 1));
    let started = Instant::now();
    let error = politeness.acquire("shop.test", LONG).await.unwrap_err();
    assert!(matches!(error, PolitenessError::Redis(_)), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
