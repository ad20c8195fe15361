//! Memory stays bounded by the body limit, whatever the page claims to be: alone in its
//! own test binary so that the process's peak RSS belongs to this test only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fetch_support/mod.rs"]
#[allow(dead_code)]
mod support;

use pricewatch_scraper_worker::fetch::FetchError;
use support::{Harness, Reply, TestServer};

/// Peak resident set of this process, in KiB (Linux).
fn peak_rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_200_mb_gzip_bomb_costs_a_few_megabytes_at_most() {
    const UNPACKED: usize = 200 * 1024 * 1024;
    let site = TestServer::start(|_| Reply::Stream {
        total: UNPACKED,
        content_length: false,
        gzip: true,
    })
    .await;
    let mut settings = support::settings();
    settings.max_body_bytes = 5 * 1024 * 1024;
    settings.total_timeout = std::time::Duration::from_secs(30);
    settings.allowed_addrs = vec![site.addr];
    let h = Harness::new(settings, &[]);
    h.resolver.answer("public.test", &[site.addr.ip()]);
    let before = peak_rss_kib();
    let error = h.fetch(&site.url("/bomb")).await.unwrap_err();
    assert!(matches!(error, FetchError::TooLarge { .. }), "{error:?}");
    let grown_mib = (peak_rss_kib() - before) / 1024;
    // The 5 MB body, its growth by doubling, decoder buffers; never the 200 MB.
    assert!(grown_mib < 32, "peak RSS grew by {grown_mib} MiB");
}
