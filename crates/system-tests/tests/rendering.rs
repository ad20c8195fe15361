//! Pages built by scripts, end to end: the scheduler, the scraper-worker and
//! the renderer (with Debian's Chromium) run in-process against the demo
//! shop. An `auto` watch on `/js/products/{slug}` records the same price as
//! `/products/{slug}`, fetched with the browser; the shop's trouble pages
//! never get the browser to a private address; a renderer that is down makes
//! the check fail as retryable while plain pages are still checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use pricewatch_bus::CancellationToken;
use pricewatch_renderer::proxy::ConnectGate;
use pricewatch_storage::models::Product;
use pricewatch_storage::queries::products;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

/// Every address the renderer's proxy dials; anything off loopback is
/// refused, so no packet of these tests leaves the machine.
#[derive(Default)]
struct Dials(Mutex<Vec<SocketAddr>>);

impl ConnectGate for Dials {
    fn admit(&self, addr: SocketAddr) -> bool {
        self.0.lock().unwrap().push(addr);
        addr.ip().is_loopback()
    }
}

struct Renderer {
    api: SocketAddr,
    probe: SocketAddr,
    dials: Arc<Dials>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

fn common_args(database_url: &str, prefix: &str) -> Vec<String> {
    support::service_args(database_url, prefix, prefix)
}

fn start_renderer(database_url: &str, prefix: &str) -> Renderer {
    let settings = pricewatch_renderer::Settings::try_parse_from(
        [
            "pricewatch-renderer",
            "--allow-loopback-targets=true",
            "--tabs=2",
            "--timeout-seconds=30",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain(common_args(database_url, prefix)),
    )
    .unwrap();
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = TcpListener::bind("127.0.0.1:0").unwrap();
    let (probe_addr, api_addr) = (probe.local_addr().unwrap(), api.local_addr().unwrap());
    let dials = Arc::new(Dials::default());
    let stop = CancellationToken::new();
    let task = {
        let stop = stop.clone();
        tokio::spawn(pricewatch_renderer::run_until_stopped(
            settings,
            probe,
            api,
            async move { stop.cancelled().await },
            Some(Arc::clone(&dials) as Arc<dyn ConnectGate>),
        ))
    };
    Renderer {
        api: api_addr,
        probe: probe_addr,
        dials,
        stop,
        task,
    }
}

struct Pipeline {
    database_url: String,
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The scheduler and a worker that asks `renderer_url` for script-built pages.
fn start_pipeline(database_url: &str, prefix: &str, renderer_url: &str) -> Pipeline {
    let common = common_args(database_url, prefix);
    let stop = CancellationToken::new();
    let renderer = format!("--renderer-url={renderer_url}");
    let tasks = vec![
        support::spawn_scheduler(&common, &stop),
        support::spawn_worker(&common, &["--fetch-timeout-seconds=15", &renderer], &stop),
    ];
    Pipeline {
        database_url: database_url.to_owned(),
        stop,
        tasks,
    }
}

impl Pipeline {
    async fn stop(self) {
        self.stop.cancel();
        for task in self.tasks {
            support::joined(task, "the service", Duration::from_secs(30)).await;
        }
    }

    async fn product(&self, id: Uuid) -> Product {
        let mut conn = pricewatch_storage::pool::connect_once(&self.database_url)
            .await
            .unwrap();
        products::find(&mut conn, id).await.unwrap().unwrap()
    }

    /// Waits until the product's check has a status other than `pending`.
    async fn checked(&self, id: Uuid) -> Product {
        for _ in 0..600 {
            let product = self.product(id).await;
            if product.check_status != "pending" {
                return product;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("product {id} was never checked");
    }
}

async fn insert_watch(database_url: &str, url: &str, fetch_mode: &str) -> Uuid {
    support::insert_watch(database_url, url, Decimal::new(1, 0), fetch_mode)
        .await
        .0
}

async fn wait_ready(probe: SocketAddr) {
    for _ in 0..240 {
        if let Ok(r) = reqwest::get(format!("http://{probe}/health/ready")).await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the renderer never became ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_auto_watch_on_a_script_built_page_records_the_plain_pages_price_with_the_browser() {
    let database_url = pricewatch_test_support::create().await.unwrap();
    let prefix = support::unique_prefix();
    let shop = pricewatch_demo_shop::spawn(&pricewatch_demo_shop::Settings {
        workers: 2,
        ..pricewatch_demo_shop::Settings::ephemeral()
    })
    .unwrap();
    let renderer = start_renderer(&database_url, &prefix);
    wait_ready(renderer.probe).await;
    let pipeline = start_pipeline(&database_url, &prefix, &format!("http://{}", renderer.api));

    let listing: Value = reqwest::get(shop.url("/?format=json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A product whose price does not drift: the plain and the script-built
    // page, checked moments apart, show the same price.
    let slug = "trail-running-shoes".to_owned();
    assert!(
        listing
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["slug"] == slug.as_str()),
        "{slug} is in the shop"
    );
    let plain = insert_watch(
        &database_url,
        &shop.url(&format!("/products/{slug}")),
        "auto",
    )
    .await;
    let js = insert_watch(
        &database_url,
        &shop.url(&format!("/js/products/{slug}")),
        "auto",
    )
    .await;
    let http_only = insert_watch(
        &database_url,
        &shop.url(&format!("/js/products/{slug}?via=http")),
        "http",
    )
    .await;

    let plain = pipeline.checked(plain).await;
    let js = pipeline.checked(js).await;
    assert_eq!(plain.check_status, "ok", "{:?}", plain.check_error);
    assert_eq!(js.check_status, "ok", "{:?}", js.check_error);
    assert_eq!(js.last_price, plain.last_price);
    assert_eq!(js.currency, plain.currency);
    assert_eq!(js.fetched_with.as_deref(), Some("browser"));
    assert!(
        js.needs_browser,
        "the product remembers that it needs the browser"
    );
    assert_eq!(plain.fetched_with.as_deref(), Some("http"));
    assert!(!plain.needs_browser);

    // An `http` watch never renders: the shell has no price.
    let http_only = pipeline.checked(http_only).await;
    assert_eq!(
        http_only.check_status, "no_price",
        "{:?}",
        http_only.check_error
    );
    assert_eq!(http_only.fetched_with.as_deref(), Some("http"));

    // The trouble pages: each private request is refused before any dial.
    let client = reqwest::Client::new();
    for kind in ["image", "fetch", "websocket"] {
        let response: Value = client
            .post(format!("http://{}/render", renderer.api))
            .json(&json!({"url": shop.url(&format!("/js/trouble/{kind}")), "wait_for": "#done"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let html = response["html"].as_str().unwrap_or_default();
        assert!(
            html.contains(r#"<p id="outcome">refused</p>"#),
            "{kind}: {response}"
        );
    }
    let response = client
        .post(format!("http://{}/render", renderer.api))
        .json(&json!({"url": shop.url("/js/trouble/redirect")}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("blocked_by_policy")),
        "{body}"
    );
    let dials = renderer.dials.0.lock().unwrap().clone();
    assert!(!dials.is_empty());
    for addr in dials {
        assert_eq!(addr, shop.addr, "the browser's proxy dialled {addr}");
    }

    pipeline.stop().await;
    renderer.stop.cancel();
    renderer.task.await.unwrap().unwrap();
    shop.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_renderer_down_browser_checks_are_retried_and_plain_ones_go_on() {
    let database_url = pricewatch_test_support::create().await.unwrap();
    let prefix = support::unique_prefix();
    let shop = pricewatch_demo_shop::spawn(&pricewatch_demo_shop::Settings::ephemeral()).unwrap();
    // Nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let pipeline = start_pipeline(&database_url, &prefix, &down);
    let listing: Value = reqwest::get(shop.url("/?format=json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slug = listing[0]["slug"].as_str().unwrap().to_owned();
    let plain = insert_watch(
        &database_url,
        &shop.url(&format!("/products/{slug}")),
        "auto",
    )
    .await;
    let browser = insert_watch(
        &database_url,
        &shop.url(&format!("/products/{slug}?view=app")),
        "browser",
    )
    .await;

    let plain = pipeline.checked(plain).await;
    assert_eq!(plain.check_status, "ok", "{:?}", plain.check_error);
    // The browser check was tried, and is being retried: no final failure, no price.
    let mut tried = pipeline.product(browser).await;
    for _ in 0..150 {
        if tried.fetched_with.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        tried = pipeline.product(browser).await;
    }
    let browser = tried;
    assert_eq!(browser.check_status, "pending", "{:?}", browser.check_error);
    assert_eq!(browser.last_price, None);
    assert_eq!(browser.fetched_with.as_deref(), Some("browser"));
    pipeline.stop().await;
    shop.stop().await.unwrap();
}
