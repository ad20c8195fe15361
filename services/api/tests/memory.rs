//! The api's memory stays flat when nothing scrapes `/metrics`. Its own test
//! binary, so that no other test's allocations move the process's RSS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::Duration;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Requests through the api, then the latency samples of a long unscraped run
/// (each request records one; recording them directly stands in for ~1.5 M
/// requests without a minute of load).
async fn round(app: &helpers::TestApp) {
    let requests = (0..200).map(|_| app.get("/health/live", None));
    for r in futures_util::future::join_all(requests).await {
        assert_eq!(r.status(), 200);
    }
    for i in 0..1_500_000u32 {
        metrics::histogram!("http_request_duration_seconds", "route" => "/health/live", "status" => "200")
            .record(f64::from(i % 100) / 1000.0);
    }
    // Past one upkeep: the samples are folded into buckets and freed.
    tokio::time::sleep(pricewatch_ops::metrics::UPKEEP_EVERY + Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_flat_without_scrapes() {
    let app = helpers::spawn_app().await;
    round(&app).await;
    let first = rss_kib();
    for _ in 0..3 {
        round(&app).await;
    }
    let grown = rss_kib().saturating_sub(first);
    // Unfolded, 4.5 M more samples would hold at least 36 MB.
    assert!(
        grown < 12 * 1024,
        "RSS grew by {grown} KiB without a scrape"
    );
}
