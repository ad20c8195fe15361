//! The fetcher against a tiny raw-HTTP server on 127.0.0.1.
//!
//! Network rule: nothing here may send a packet off loopback, even if the guard is
//! broken. Every host name goes through `MapResolver` (never DNS), and every fetcher has
//! a `LoopbackGate` that sees each destination before the client could dial it: it blocks
//! anything off loopback and records it, and every test fails if it recorded anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fetch_support/mod.rs"]
mod support;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use pricewatch_scraper_worker::fetch::{FetchError, FetchOutcome, Validators};
use support::{Harness, Reply, TestServer, html, redirect, status};

// ---- SSRF -------------------------------------------------------------------------------

/// Every spelling of an internal address is refused before any connection: the loopback
/// listener behind the loopback spellings never sees one, and the gate never sees the others.
#[tokio::test]
async fn internal_addresses_are_refused_before_any_connection() {
    let trap = TestServer::start(|_| html("<p>secret</p>")).await;
    let port = trap.addr.port();
    let h = Harness::new(
        support::settings(),
        &[
            ("localhost", &["127.0.0.1", "::1"]),
            ("loopback.test", &["127.0.0.1"]),
            ("metadata.test", &["169.254.169.254"]),
            ("mixed.test", &["93.184.216.34", "10.0.0.1"]),
        ],
    );
    let cases: &[(String, &str)] = &[
        (format!("http://127.0.0.1:{port}/"), "127.0.0.1"),
        (format!("http://localhost:{port}/"), "127.0.0.1"),
        ("http://10.0.0.1/".into(), "10.0.0.1"),
        ("http://172.16.0.1/".into(), "172.16.0.1"),
        ("http://192.168.1.1/".into(), "192.168.1.1"),
        (
            "http://169.254.169.254/latest/meta-data/".into(),
            "169.254.169.254",
        ),
        (format!("http://[::1]:{port}/"), "::1"),
        (
            format!("http://[::ffff:127.0.0.1]:{port}/"),
            "::ffff:127.0.0.1",
        ),
        (format!("http://0.0.0.0:{port}/"), "0.0.0.0"),
        (format!("http://2130706433:{port}/"), "127.0.0.1"),
        (format!("http://0x7f000001:{port}/"), "127.0.0.1"),
        (format!("http://017700000001:{port}/"), "127.0.0.1"),
        (format!("http://loopback.test:{port}/"), "127.0.0.1"),
        ("http://metadata.test/".into(), "169.254.169.254"),
        // One bad address among good ones is enough to refuse the host.
        ("http://mixed.test/".into(), "10.0.0.1"),
    ];
    for (url, refused) in cases {
        let error = h.fetch(url).await.expect_err(url);
        let FetchError::ForbiddenAddress { addr, .. } = &error else {
            panic!("{url}: expected a refused address, got {error:?}");
        };
        assert_eq!(*addr, refused.parse::<IpAddr>().unwrap(), "{url}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("refused: address {refused} is ")),
            "{error}"
        );
        assert!(!error.is_transient(), "{url}: a refusal is final");
    }
    assert_eq!(
        trap.connections(),
        0,
        "no connection reached the loopback listener"
    );
    assert_eq!(
        h.fetch("http://169.254.169.254/")
            .await
            .unwrap_err()
            .to_string(),
        "refused: address 169.254.169.254 is a cloud metadata address"
    );
    assert_eq!(
        h.fetch("http://10.0.0.1/").await.unwrap_err().to_string(),
        "refused: address 10.0.0.1 is a private network address"
    );
}

#[tokio::test]
async fn only_http_and_https() {
    let h = Harness::new(support::settings(), &[]);
    for url in [
        "ftp://shop.test/p",
        "file:///etc/passwd",
        "gopher://shop.test/",
    ] {
        let error = h.fetch(url).await.unwrap_err();
        assert!(matches!(error, FetchError::Scheme(_)), "{url}: {error:?}");
    }
    assert_eq!(h.resolver.calls(), 0);
}

/// A public-looking site (a local server allowed by its exact socket address, standing in
/// for a public one) redirects to internal targets: each hop is checked again and refused
/// without a connection, and only the first hop ever reached a server.
#[tokio::test]
async fn a_redirect_to_an_internal_address_is_refused() {
    let other = TestServer::start(|_| html("<p>internal</p>")).await;
    let other_port = other.addr.port();
    let site = TestServer::start(move |req| match req.path.as_str() {
        "/to-private" => redirect("http://10.0.0.1/admin"),
        "/to-metadata" => redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-internal-name" => redirect("http://internal.test/"),
        "/to-loopback" => redirect(&format!("http://127.0.0.1:{other_port}/")),
        "/to-decimal" => redirect(&format!("http://2130706433:{other_port}/")),
        _ => status(404),
    })
    .await;
    let h = Harness::public_site(&site, &[("internal.test", &["10.0.0.1"])]);
    let cases = [
        ("/to-private", "10.0.0.1"),
        ("/to-metadata", "169.254.169.254"),
        ("/to-internal-name", "10.0.0.1"),
        ("/to-loopback", "127.0.0.1"),
        ("/to-decimal", "127.0.0.1"),
    ];
    for (path, refused) in cases {
        let error = h
            .fetch(&site.url_as("public.test", path))
            .await
            .unwrap_err();
        assert!(
            matches!(error, FetchError::ForbiddenAddress { addr, .. } if addr == refused.parse::<IpAddr>().unwrap()),
            "{path}: {error:?}"
        );
    }
    assert_eq!(
        site.requests().len(),
        cases.len(),
        "each first hop was fetched once"
    );
    assert_eq!(
        other.connections(),
        0,
        "the loopback target was never dialled"
    );
}

/// DNS rebinding: the connection goes to the address that was checked, whatever DNS says next.
#[tokio::test]
async fn the_connection_is_pinned_to_the_checked_address() {
    let site = TestServer::start(|_| html("<p>12,99 €</p>")).await;
    let h = Harness::public_site(&site, &[]);
    // First answer: the allowed local "public" address; every later answer: a private one.
    h.resolver.answer_in_turn(
        "rebind.test",
        &[&[site.addr.ip()], &["10.0.0.1".parse().unwrap()]],
    );
    let page = h.page(&site.url_as("rebind.test", "/p")).await;
    assert_eq!(page.body, "<p>12,99 €</p>".as_bytes());
    assert_eq!(
        h.resolver.calls(),
        1,
        "resolved once: the client reused the checked answer"
    );
    let error = h
        .fetch(&site.url_as("rebind.test", "/p"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::ForbiddenAddress { .. }),
        "{error:?}"
    );
    assert_eq!(site.requests().len(), 1);
}

/// The gate is a real safety net: with the guard told to let 10.0.0.1 through, the gate
/// still stops the client from dialling it (literal IP and resolved name alike).
#[tokio::test]
async fn the_gate_stops_what_a_misconfigured_guard_lets_through() {
    let mut settings = support::settings();
    settings.allowed_addrs = vec!["10.0.0.1:80".parse().unwrap()];
    let h = Harness::new(settings, &[("internal.test", &["10.0.0.1"])]);
    for url in ["http://10.0.0.1/", "http://internal.test/"] {
        let error = h.fetch(url).await.unwrap_err();
        assert!(
            matches!(error, FetchError::Unchecked(_)),
            "{url}: {error:?}"
        );
    }
    let blocked = h.gate.take_violations();
    assert_eq!(blocked.len(), 2, "{blocked:?}");
}

#[tokio::test]
async fn loopback_only_with_the_dev_setting() {
    let shop = TestServer::start(|_| html("<p>demo</p>")).await;
    let mut settings = support::settings();
    settings.allow_loopback = true;
    let h = Harness::new(settings, &[("localhost", &["127.0.0.1"])]);
    let page = h
        .page(&format!("http://127.0.0.1:{}/p", shop.addr.port()))
        .await;
    assert_eq!(page.body, b"<p>demo</p>");
    h.page(&format!("http://localhost:{}/p", shop.addr.port()))
        .await;
    let error = h.fetch("http://10.0.0.1/").await.unwrap_err();
    assert!(
        matches!(error, FetchError::ForbiddenAddress { .. }),
        "private stays refused: {error:?}"
    );
}

// ---- Bad pages ----------------------------------------------------------------------------

#[tokio::test]
async fn http_errors_are_reported_with_their_status() {
    let site = TestServer::start(|req| match req.path.as_str() {
        "/404" => status(404),
        "/500" => status(500),
        "/429" => Reply::full(429, &[("Retry-After", "7")], b""),
        _ => status(400),
    })
    .await;
    let h = Harness::public_site(&site, &[]);
    let not_found = h.fetch(&site.url("/404")).await.unwrap_err();
    assert_eq!(not_found.to_string(), "HTTP 404");
    assert!(!not_found.is_transient());
    let server_error = h.fetch(&site.url("/500")).await.unwrap_err();
    assert_eq!(server_error.to_string(), "HTTP 500");
    assert!(server_error.is_transient());
    let limited = h.fetch(&site.url("/429")).await.unwrap_err();
    assert!(limited.is_transient());
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_slow_response_and_a_slow_drip_stop_at_the_total_deadline() {
    let site = TestServer::start(|req| match req.path.as_str() {
        "/slow" => Reply::Delay(Duration::from_secs(10), Box::new(html("late"))),
        // Headers at once, then one byte every 100 ms for half a minute.
        _ => Reply::Drip {
            chunk: b"x".to_vec(),
            every: Duration::from_millis(100),
            times: 300,
        },
    })
    .await;
    let h = Harness::public_site(&site, &[]);
    for path in ["/slow", "/drip"] {
        let started = Instant::now();
        let error = h.fetch(&site.url(path)).await.unwrap_err();
        assert_eq!(error.to_string(), "timed out after 1 s", "{path}");
        assert!(error.is_transient());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_50_mb_page_stops_at_the_limit() {
    const FIFTY_MB: usize = 50 * 1024 * 1024;
    let site = TestServer::start(|req| match req.path.as_str() {
        "/declared" => Reply::Stream {
            total: FIFTY_MB,
            content_length: true,
            gzip: false,
        },
        _ => Reply::Stream {
            total: FIFTY_MB,
            content_length: false,
            gzip: false,
        },
    })
    .await;
    let h = Harness::public_site(&site, &[]);
    let error = h.fetch(&site.url("/declared")).await.unwrap_err();
    assert_eq!(error.to_string(), "page larger than 1 MB");
    let error = h.fetch(&site.url("/undeclared")).await.unwrap_err();
    assert_eq!(error.to_string(), "page larger than 1 MB");
    assert!(!error.is_transient());
    // The reader stopped: the server could not push the 50 MB into a closed connection.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        site.body_bytes_sent() < FIFTY_MB,
        "sent {}",
        site.body_bytes_sent()
    );
}

/// 50 MB of zeros in ~50 KB of gzip: counted after decompression, stopped at the limit.
#[tokio::test]
async fn a_gzip_bomb_stops_at_the_limit_after_decompression() {
    let site = TestServer::start(|_| Reply::Stream {
        total: 50 * 1024 * 1024,
        content_length: true,
        gzip: true,
    })
    .await;
    let h = Harness::public_site(&site, &[]);
    let started = Instant::now();
    let error = h.fetch(&site.url("/bomb")).await.unwrap_err();
    assert_eq!(error.to_string(), "page larger than 1 MB");
    assert!(started.elapsed() < Duration::from_secs(2));
    let request = &site.requests()[0];
    assert!(
        request
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip"))
    );
}

#[tokio::test]
async fn non_html_content_is_refused() {
    let site = TestServer::start(|req| match req.path.as_str() {
        "/pdf" => Reply::full(200, &[("Content-Type", "application/pdf")], b"%PDF-1.7"),
        "/json" => Reply::full(200, &[("Content-Type", "application/json")], b"{}"),
        "/untyped-html" => Reply::full(200, &[], b"<!DOCTYPE html><title>x</title>"),
        "/untyped-binary" => Reply::full(200, &[], b"\x89PNG\r\n"),
        "/xhtml" => Reply::full(
            200,
            &[("Content-Type", "application/xhtml+xml")],
            b"<html/>",
        ),
        _ => status(404),
    })
    .await;
    let h = Harness::public_site(&site, &[]);
    let error = h.fetch(&site.url("/pdf")).await.unwrap_err();
    assert_eq!(error.to_string(), "not an HTML page (application/pdf)");
    assert!(matches!(
        h.fetch(&site.url("/json")).await,
        Err(FetchError::NotHtml(_))
    ));
    assert!(matches!(
        h.fetch(&site.url("/untyped-binary")).await,
        Err(FetchError::NotHtml(_))
    ));
    assert_eq!(h.page(&site.url("/untyped-html")).await.charset, None);
    h.page(&site.url("/xhtml")).await;
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_limit_and_loops_stop() {
    let site = TestServer::start(|req| {
        let path = req.path.as_str();
        if path == "/loop" {
            redirect("/loop")
        } else if let Some(n) = path.strip_prefix("/chain/") {
            match n.parse::<u32>().unwrap() {
                0 => html("<p>end</p>"),
                n => redirect(&format!("/chain/{}", n - 1)),
            }
        } else {
            status(404)
        }
    })
    .await;
    let h = Harness::public_site(&site, &[]);
    let page = h.page(&site.url("/chain/3")).await;
    assert_eq!(page.final_url.path(), "/chain/0");
    let error = h.fetch(&site.url("/chain/4")).await.unwrap_err();
    assert_eq!(error.to_string(), "too many redirects");
    let before = site.requests().len();
    let error = h.fetch(&site.url("/loop")).await.unwrap_err();
    assert!(matches!(error, FetchError::TooManyRedirects { limit: 3 }));
    assert_eq!(
        site.requests().len() - before,
        4,
        "the first request and three redirects"
    );
}

// ---- Success, conditional requests, robots.txt -------------------------------------------

#[tokio::test]
async fn a_page_comes_back_with_charset_and_validators_and_a_304_is_not_modified() {
    let site = TestServer::start(|req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            return Reply::full(304, &[("ETag", "\"v1\"")], b"");
        }
        Reply::full(
            200,
            &[
                ("Content-Type", "text/html; charset=ISO-8859-1"),
                ("ETag", "\"v1\""),
                ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ],
            b"<p>Prix : 12,99 \xe2\x82\xac</p>",
        )
    })
    .await;
    let h = Harness::public_site(&site, &[]);
    let page = h.page(&site.url("/p")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.charset.as_deref(), Some("iso-8859-1"));
    assert_eq!(page.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        page.last_modified.as_deref(),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(page.final_url.as_str(), site.url("/p"));
    let again = h
        .fetcher
        .fetch(&site.url("/p").parse().unwrap(), &page.validators())
        .await
        .unwrap();
    assert!(
        matches!(again, FetchOutcome::NotModified { .. }),
        "{again:?}"
    );
    let sent = &site.requests()[1];
    assert_eq!(
        sent.header("if-modified-since"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    let fresh = h
        .fetcher
        .fetch(&site.url("/p").parse().unwrap(), &Validators::default())
        .await
        .unwrap();
    assert!(matches!(fresh, FetchOutcome::Fetched(_)));
    assert!(
        site.requests()[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("PriceWatch/"))
    );
}

#[tokio::test]
async fn robots_txt_is_respected_and_fetched_once_per_origin() {
    let site = TestServer::start(|req| match req.path.as_str() {
        "/robots.txt" => Reply::full(
            200,
            &[("Content-Type", "text/plain")],
            b"User-agent: *\nDisallow: /\n\nUser-agent: PriceWatch\nDisallow: /private\nAllow: /private/ok\n",
        ),
        _ => html("<p>1 EUR</p>"),
    })
    .await;
    let h = Harness::public_site_with_robots(&site);
    h.page(&site.url("/products/1")).await;
    h.page(&site.url("/private/ok")).await;
    let error = h.fetch(&site.url("/private/x")).await.unwrap_err();
    assert_eq!(error.to_string(), "disallowed by robots.txt");
    assert!(!error.is_transient());
    let paths: Vec<_> = site.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/robots.txt", "/products/1", "/private/ok"],
        "cached; the disallowed page never requested"
    );
}

#[tokio::test]
async fn a_page_for_the_browser_is_asked_of_robots_txt_and_the_guard_first() {
    let site = TestServer::start(|req| match req.path.as_str() {
        "/robots.txt" => Reply::full(
            200,
            &[("Content-Type", "text/plain")],
            b"User-agent: *\nDisallow: /private\n",
        ),
        _ => html("<p>1 EUR</p>"),
    })
    .await;
    let h = Harness::public_site_with_robots(&site);
    let open = site.url("/products/1").parse().unwrap();
    h.fetcher.may_visit(&open).await.unwrap();
    let closed = site.url("/private/1").parse().unwrap();
    let error = h.fetcher.may_visit(&closed).await.unwrap_err();
    assert_eq!(error.to_string(), "disallowed by robots.txt");
    let paths: Vec<_> = site.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/robots.txt"],
        "only robots.txt: the pages are the browser's to fetch"
    );

    let private = "http://10.0.0.1/products/1".parse().unwrap();
    let error = h.fetcher.may_visit(&private).await.unwrap_err();
    assert!(
        matches!(error, FetchError::ForbiddenAddress { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn robots_txt_4xx_allows_all_and_5xx_disallows_all() {
    let missing = TestServer::start(|req| match req.path.as_str() {
        "/robots.txt" => status(404),
        _ => html("<p>ok</p>"),
    })
    .await;
    let h = Harness::public_site_with_robots(&missing);
    h.page(&missing.url("/p")).await;

    let broken = TestServer::start(|req| match req.path.as_str() {
        "/robots.txt" => status(503),
        _ => html("<p>ok</p>"),
    })
    .await;
    let h = Harness::public_site_with_robots(&broken);
    let error = h.fetch(&broken.url("/p")).await.unwrap_err();
    assert!(
        matches!(error, FetchError::RobotsUnreachable(_)),
        "{error:?}"
    );
    assert!(error.is_transient());
    let paths: Vec<_> = broken.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/robots.txt"],
        "the page is not fetched while robots.txt fails"
    );
}

#[tokio::test]
async fn robots_txt_is_fetched_through_the_guard() {
    // The page's origin is allowed; its robots.txt redirects to a private address.
    let site = TestServer::start(|req| match req.path.as_str() {
        "/robots.txt" => redirect("http://10.0.0.1/robots.txt"),
        _ => html("<p>ok</p>"),
    })
    .await;
    let h = Harness::public_site_with_robots(&site);
    let error = h.fetch(&site.url("/p")).await.unwrap_err();
    assert!(
        matches!(&error, FetchError::RobotsUnreachable(why) if why.contains("10.0.0.1")),
        "{error:?}"
    );
    assert_eq!(site.requests().len(), 1);
}

#[tokio::test]
async fn concurrent_fetches_share_one_client() {
    let site = TestServer::start(|_| html("<p>ok</p>")).await;
    let h = Arc::new(Harness::public_site(&site, &[]));
    let fetches = (0..16).map(|i| {
        let h = Arc::clone(&h);
        let url = site.url(&format!("/p/{i}"));
        tokio::spawn(async move { h.page(&url).await })
    });
    for fetch in fetches {
        fetch.await.unwrap();
    }
    assert_eq!(site.requests().len(), 16);
    assert_eq!(site.connections.load(Ordering::SeqCst), 16);
}
