//! The web app in a real browser (Chromium through chromedriver): the api,
//! the scheduler, the scraper-worker and the demo shop run in-process on
//! their own database, Redis key prefix and queue prefix. A user registers,
//! adds a demo-shop product with the keyboard only, sees its first price
//! arrive without reloading, opens its page and sets a target; the shop
//! lowers the price, "check now" brings the alert to the alerts page and a
//! new point to the chart. No page logs a console error.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages); without them the
//! test says so and passes, unless `PRICEWATCH_BROWSER_TESTS=1` requires them.
//! `PRICEWATCH_SCREENSHOTS=1` also writes docs/screenshots/*.png (desktop and
//! phone, light and dark).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use pricewatch_bus::CancellationToken;
use serde_json::json;
use uuid::Uuid;

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser(port: u16, dark: bool, width: u32, height: u32) -> Client {
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        // Nothing leaves loopback: no sync, no updates, no metrics.
        "--disable-background-networking".to_owned(),
        "--no-first-run".to_owned(),
        format!("--window-size={width},{height}"),
        "--lang=en-IE".to_owned(),
    ];
    if dark {
        args.push("--force-dark-mode".to_owned());
        args.push("--blink-settings=preferredColorScheme=0".to_owned());
    }
    let mut caps = serde_json::Map::new();
    // The browser's console (errors included) for `console_errors`.
    caps.insert("goog:loggingPrefs".to_owned(), json!({"browser": "ALL"}));
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({"args": args, "prefs": {"intl.accept_languages": "en-IE,en"}}),
    );
    // Both rustls providers are in the build: choose one (chromedriver is plain http).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut last = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return c,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("cannot start Chromium through chromedriver: {last:?}");
}

async fn fill(c: &Client, css: &str, text: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// chromedriver's log command: the browser console since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (reqwest::Method, Option<String>) {
        (
            reqwest::Method::POST,
            Some(r#"{"type":"browser"}"#.to_owned()),
        )
    }
}

/// Fails on any console error (a script error, a refused resource, a CSP
/// violation, a failed request) logged since the last call.
async fn assert_no_console_errors(c: &Client, after: &str) {
    let log = c.issue_cmd(BrowserLog).await.unwrap();
    let errors: Vec<&serde_json::Value> = log
        .as_array()
        .expect("the browser log is a list")
        .iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .collect();
    assert!(
        errors.is_empty(),
        "console errors after {after}: {errors:#?}"
    );
}

/// Presses a key in whatever has the focus, as a person would.
async fn press(c: &Client, key: Key) {
    let value: char = key.into();
    c.perform_actions(
        KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value }),
    )
    .await
    .unwrap();
}

/// Types `text` into whatever has the focus, key by key.
async fn type_text(c: &Client, text: &str) {
    let mut keys = KeyActions::new("keyboard".to_owned());
    for value in text.chars() {
        keys = keys
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
    }
    c.perform_actions(keys).await.unwrap();
}

/// Presses Tab until the focus is on `css` (at most 60 times).
async fn tab_to(c: &Client, css: &str) {
    for _ in 0..60 {
        press(c, Key::Tab).await;
        let there = c
            .execute(
                "return document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .unwrap();
        if there == json!(true) {
            return;
        }
    }
    panic!("Tab never reaches {css}");
}

/// The number of points of the chart's price line (`M`/`H`/`V`/`L` steps).
async fn chart_points(c: &Client) -> usize {
    let d = c
        .find(Locator::Css("svg.chart path.line"))
        .await
        .unwrap()
        .attr("d")
        .await
        .unwrap()
        .unwrap_or_default();
    d.chars().filter(char::is_ascii_alphabetic).count()
}

async fn shot(c: &Client, name: &str) {
    if std::env::var("PRICEWATCH_SCREENSHOTS").as_deref() != Ok("1") {
        return;
    }
    let png = c.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_adds_a_demo_shop_product_and_sees_its_price_arrive() {
    let required = std::env::var("PRICEWATCH_BROWSER_TESTS").as_deref() == Ok("1");
    let (Some(driver), Some(_)) = (
        find_program(&["chromedriver"]),
        find_program(&["chromium", "chromium-browser", "google-chrome"]),
    ) else {
        assert!(!required, "chromium and chromium-driver are not installed");
        eprintln!("skipped: install chromium and chromium-driver to run the browser test");
        return;
    };

    // The system: shop, scheduler, worker, api.
    let database_url = pricewatch_test_support::create().await.unwrap();
    let redis_prefix = support::unique_prefix();
    let queue_prefix = support::unique_prefix();
    let shop = pricewatch_demo_shop::spawn(&pricewatch_demo_shop::Settings {
        workers: 2,
        ..pricewatch_demo_shop::Settings::ephemeral()
    })
    .unwrap();
    let common = support::service_args(&database_url, &redis_prefix, &queue_prefix);
    let stop = CancellationToken::new();
    support::spawn_scheduler(&common, &stop);
    support::spawn_worker(&common, &["--respect-robots-txt=false"], &stop);
    let base = support::spawn_api(&common, &[]).await;

    let port = free_port();
    let _driver = Driver(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let c = browser(port, false, 1280, 900).await;

    // Register.
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));
    shot(&c, "login-desktop-light").await;
    c.find(Locator::LinkText("Create an account"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let email = format!("browser-{}@example.com", Uuid::new_v4().simple());
    fill(&c, "#email", &email).await;
    fill(&c, "#password", "correct horse 9").await;
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath("//h1[text()='My watches']"))
        .await
        .unwrap();
    assert!(c.source().await.unwrap().contains("No watches yet"));

    assert_no_console_errors(&c, "sign-in, register and the empty list").await;

    // Add a demo-shop product with the keyboard only; its first price
    // appears without a reload.
    tab_to(&c, "details.add summary").await;
    press(&c, Key::Enter).await;
    tab_to(&c, "#url").await;
    type_text(&c, &shop.url("/products/espresso-machine")).await;
    tab_to(&c, "#target_price").await;
    type_text(&c, "199,00").await;
    // Enter in a field sends its form.
    press(&c, Key::Enter).await;
    let price = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(".price"))
        .await
        .unwrap();
    let first = price.text().await.unwrap();
    c.execute("window.__sameDocument = true;", vec![])
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let shown = loop {
        let text = c
            .find(Locator::Css(".price"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains('€') {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no price after 30 s (first showed {first:?})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let same_document = c
        .execute("return window.__sameDocument === true;", vec![])
        .await
        .unwrap();
    assert_eq!(
        same_document,
        json!(true),
        "the price came without a reload"
    );
    assert!(shown.starts_with('€'), "{shown}");
    c.goto(&format!("{base}/")).await.unwrap();
    shot(&c, "watches-desktop-light").await;

    // The product page; set a target.
    c.find(Locator::Css(".watch h2 a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("svg.chart, .card p"))
        .await
        .unwrap();
    assert_no_console_errors(&c, "the list and the product page").await;
    fill(&c, "#target_price", "200").await;
    c.find(Locator::XPath("//button[text()='Save']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath("//p[@class='notice' and text()='Saved.']"))
        .await
        .unwrap();
    let page = c.source().await.unwrap();
    assert!(page.contains("€200.00"), "the new target shows");
    shot(&c, "product-desktop-light").await;

    // The shop lowers the price below the target; "check now" finds it.
    let points = chart_points(&c).await;
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(shop.url("/products/espresso-machine/price"))
        .header("content-type", "application/json")
        .body(r#"{"amount": "180.00"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "setting the shop's price");
    c.find(Locator::XPath("//button[text()='Check now']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(
            "//p[@class='notice' and starts-with(text(), 'A check is on its way')]",
        ))
        .await
        .unwrap();
    let product_url = c.current_url().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        c.goto(product_url.as_str()).await.unwrap();
        if c.source().await.unwrap().contains("€180.00") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lower price never reached the product page"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        chart_points(&c).await > points,
        "the chart has a point for the new price"
    );
    let chart = c
        .find(Locator::Css("svg.chart"))
        .await
        .unwrap()
        .html(false)
        .await
        .unwrap();
    assert!(
        chart.contains("€180.00"),
        "the chart's scale reaches the new price"
    );
    c.find(Locator::Css("header nav a[href='/alerts']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let row = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("table tbody tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains("Barista Pro Espresso Machine"), "{row}");
    assert!(row.contains("€180.00") && row.contains("€200.00"), "{row}");
    assert_no_console_errors(&c, "check now, the product page and the alerts").await;
    c.goto(product_url.as_str()).await.unwrap();

    // The page is usable from the keyboard: the first Tab reaches the skip link.
    let active = c
        .execute(
            "document.activeElement.blur(); return document.querySelector('.skip').textContent;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(active, json!("Skip to the content"));
    let url = c.current_url().await.unwrap().to_string();
    let cookies = c.get_all_cookies().await.unwrap();
    assert_no_console_errors(&c, "the product page").await;
    c.close().await.unwrap();

    // The same pages in dark mode and on a phone.
    if std::env::var("PRICEWATCH_SCREENSHOTS").as_deref() == Ok("1") {
        for (dark, width, height, suffix) in [
            (true, 1280, 900, "desktop-dark"),
            (false, 390, 844, "phone-light"),
            (true, 390, 844, "phone-dark"),
        ] {
            let c = browser(port, dark, width, height).await;
            c.goto(&format!("{base}/login")).await.unwrap();
            shot(&c, &format!("login-{suffix}")).await;
            for cookie in &cookies {
                c.add_cookie(cookie.clone()).await.unwrap();
            }
            c.goto(&format!("{base}/")).await.unwrap();
            shot(&c, &format!("watches-{suffix}")).await;
            c.goto(&url).await.unwrap();
            shot(&c, &format!("product-{suffix}")).await;
            assert_no_console_errors(&c, &format!("the {suffix} pages")).await;
            c.close().await.unwrap();
        }
    }

    stop.cancel();
    shop.stop().await.unwrap();
}
