//! The web app in a real browser (Chromium through chromedriver): the api,
//! the scheduler, the scraper-worker and the demo shop run in-process on
//! their own database, Redis key prefix and queue prefix. A user registers,
//! adds a demo-shop product with the keyboard only, sees its first price
//! arrive without reloading, opens its page and sets a target; the shop
//! lowers the price, "check now" brings the alert to the alerts page and a
//! new point to the chart. Then a fresh browser visits every page (sign-in,
//! registration, forgotten password, a real reset link, the list, the add
//! form, the product, alerts, settings and the 404 page), on a desktop and on
//! a phone (an emulated 390 px screen). No page logs a console error or is
//! wider than the screen.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages); without them the
//! test says so and passes, unless `PRICEWATCH_BROWSER_TESTS=1` requires them.
//! `PRICEWATCH_SCREENSHOTS=1` also makes that visit in dark mode, and writes
//! each page as docs/screenshots/{page}-{desktop|phone}-{light|dark}.png.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::cookies::Cookie;
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

/// Viewports narrower than this are phones (emulated, touch and all).
const PHONE_MAX_WIDTH: u32 = 600;

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
    let mut options = json!({"args": args, "prefs": {"intl.accept_languages": "en-IE,en"}});
    if width < PHONE_MAX_WIDTH {
        // A window cannot be narrower than 500 px: a phone's viewport is emulated.
        options["mobileEmulation"] =
            json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}});
    }
    caps.insert("goog:chromeOptions".to_owned(), options);
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
    assert_no_console_errors_but(c, after, None).await;
}

/// As [`assert_no_console_errors`], but lets through the one error whose
/// message starts with `expected` (the browser's own line for a page that
/// answers 404 on purpose), and fails if that one is missing.
async fn assert_no_console_errors_but(c: &Client, after: &str, expected: Option<&str>) {
    let log = c.issue_cmd(BrowserLog).await.unwrap();
    let mut errors: Vec<&serde_json::Value> = log
        .as_array()
        .expect("the browser log is a list")
        .iter()
        .filter(|entry| entry["level"] == "SEVERE")
        .collect();
    if let Some(expected) = expected {
        let before = errors.len();
        errors.retain(|entry| {
            !entry["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(expected))
        });
        assert_eq!(
            before - errors.len(),
            1,
            "the browser reports {expected} once after {after}"
        );
    }
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
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    // The PNGs are committed: with Debian's `pngquant` they shrink to about
    // a third, with no difference a reader can see.
    if let Some(pngquant) = find_program(&["pngquant"]) {
        let status = Command::new(pngquant)
            .args(["--quality=80-95", "--strip", "--skip-if-larger", "--force"])
            .args(["--ext", ".png"])
            .arg(&path)
            .status()
            .unwrap();
        // 98 and 99: already as small as it gets; the file stays as it was.
        assert!(
            status.success() || matches!(status.code(), Some(98 | 99)),
            "pngquant {name}: {status}"
        );
    }
}

/// The addresses [`tour`] visits.
struct Pages<'a> {
    base: &'a str,
    /// The product page of the watch the test made.
    product: &'a str,
    /// A valid password reset link of the test's account.
    reset: &'a str,
    /// A demo-shop product nobody watches, typed into the add form.
    another_product: &'a str,
}

/// Opens `url`, waits for `ready` (an element only the intended page has),
/// checks the console and takes the screenshot `{name}-{suffix}`.
async fn visit(c: &Client, url: &str, ready: &str, name: &str, suffix: &str) {
    c.goto(url).await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(ready))
        .await
        .unwrap_or_else(|e| panic!("{name} ({suffix}) has no {ready}: {e}"));
    assert_no_console_errors(c, &format!("the {name} page ({suffix})")).await;
    assert_fits(c, &format!("the {name} page ({suffix})")).await;
    shot(c, &format!("{name}-{suffix}")).await;
}

/// Fails when the page, or one of its tables, is wider than the screen
/// (a reader would have to scroll sideways to see all of it).
async fn assert_fits(c: &Client, page: &str) {
    let wide = c
        .execute(
            "return [document.documentElement, ...document.querySelectorAll('.table-wrap')]
                .filter(e => e.scrollWidth > e.clientWidth + 1)
                .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wide, json!([]), "{page} is wider than the screen");
}

/// Every page of the web app, signed out and then signed in with `cookies`.
async fn tour(c: &Client, p: &Pages<'_>, cookies: &[Cookie<'static>], suffix: &str) {
    let base = p.base;
    visit(
        c,
        &format!("{base}/login"),
        "form[action='/login'] #password",
        "login",
        suffix,
    )
    .await;
    visit(
        c,
        &format!("{base}/register"),
        "form[action='/register'] #password",
        "register",
        suffix,
    )
    .await;
    visit(
        c,
        &format!("{base}/forgot-password"),
        "form[action='/forgot-password'] #email",
        "forgot-password",
        suffix,
    )
    .await;
    // A valid link shows the form; a used or unknown one only a message.
    visit(
        c,
        p.reset,
        "form[action='/reset-password'] #password",
        "reset-password",
        suffix,
    )
    .await;

    for cookie in cookies {
        c.add_cookie(cookie.clone()).await.unwrap();
    }
    visit(c, &format!("{base}/"), ".watch .price", "watches", suffix).await;
    let price = c
        .find(Locator::Css(".watch .price"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        price.starts_with('€'),
        "the list shows the price found: {price}"
    );

    // The add form, open and filled in, above the watch with its price.
    c.find(Locator::Css("details.add summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(c, "#url", p.another_product).await;
    fill(c, "#target_price", "999").await;
    c.execute("document.activeElement.blur();", vec![])
        .await
        .unwrap();
    assert_no_console_errors(c, &format!("the add form ({suffix})")).await;
    assert_fits(c, &format!("the add form ({suffix})")).await;
    shot(c, &format!("add-watch-{suffix}")).await;

    visit(c, p.product, "svg.chart", "product", suffix).await;
    visit(
        c,
        &format!("{base}/alerts"),
        "table tbody tr",
        "alerts",
        suffix,
    )
    .await;
    visit(
        c,
        &format!("{base}/settings"),
        "form[action='/settings/password']",
        "settings",
        suffix,
    )
    .await;

    // The friendly 404: a page, with a way home; the browser reports the
    // status itself, and nothing else.
    let missing = format!("{base}/no-such-page");
    c.goto(&missing).await.unwrap();
    let code = c
        .find(Locator::Css(".error-page .status-code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(code, "404");
    c.find(Locator::Css(".error-page a[href='/']"))
        .await
        .unwrap();
    assert_no_console_errors_but(
        c,
        &format!("the 404 page ({suffix})"),
        Some(&format!(
            "{missing} - Failed to load resource: the server responded with a status of 404"
        )),
    )
    .await;
    assert_fits(c, &format!("the 404 page ({suffix})")).await;
    shot(c, &format!("not-found-{suffix}")).await;
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
    c.find(Locator::LinkText("Create an account"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The test's database is its own: an address as short as a person's
    // keeps the screenshots true to life.
    let email = "ada@example.com".to_owned();
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
    // The product page itself, without the notice of the last form sent.
    let mut url = c.current_url().await.unwrap();
    url.set_query(None);
    let url = url.to_string();
    let cookies = c.get_all_cookies().await.unwrap();
    assert_no_console_errors(&c, "the product page").await;
    c.close().await.unwrap();

    // A reset link as the forgot-password form makes one: a random token
    // of which only the SHA-256 is stored, valid for an hour.
    let reset_token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let mut conn = pricewatch_storage::pool::connect_once(&database_url)
        .await
        .unwrap();
    let made = diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO password_resets (token_hash, user_id, expires_at) \
             SELECT sha256(convert_to($1, 'UTF8')), id, now() + interval '1 hour' \
             FROM users WHERE email = $2",
        )
        .bind::<diesel::sql_types::Text, _>(&reset_token)
        .bind::<diesel::sql_types::Text, _>(&email),
        &mut conn,
    )
    .await
    .unwrap();
    assert_eq!(made, 1, "a reset link for the new account");
    drop(conn);

    // Every page in a fresh browser, on a desktop and on a phone; in dark
    // mode too when screenshots are asked for.
    let pages = Pages {
        base: &base,
        product: &url,
        reset: &format!("{base}/reset-password?token={reset_token}"),
        another_product: &shop.url("/products/gaming-laptop"),
    };
    let variants: &[(bool, u32, u32, &str)] =
        if std::env::var("PRICEWATCH_SCREENSHOTS").as_deref() == Ok("1") {
            &[
                (false, 1280, 900, "desktop-light"),
                (true, 1280, 900, "desktop-dark"),
                (false, 390, 844, "phone-light"),
                (true, 390, 844, "phone-dark"),
            ]
        } else {
            &[
                (false, 1280, 900, "desktop-light"),
                (false, 390, 844, "phone-light"),
            ]
        };
    for &(dark, width, height, suffix) in variants {
        let c = browser(port, dark, width, height).await;
        tour(&c, &pages, &cookies, suffix).await;
        c.close().await.unwrap();
    }

    stop.cancel();
    shop.stop().await.unwrap();
}
