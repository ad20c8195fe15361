//! The renderer against a local page server: a script-built page renders with
//! its price, private addresses that a page reaches for are refused by the
//! proxy and never dialled, and a renderer killed with SIGKILL leaves no
//! Chromium behind. Needs Chromium (`/usr/bin/chromium`) and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;
use pricewatch_renderer::proxy::ConnectGate;
use serde_json::{Value, json};

const REDIS_URL: &str = "redis://127.0.0.1:6379";

const JS_PAGE: &str = r#"<!doctype html><html><head><title>Kettle</title></head>
<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>
<script>
setTimeout(function () {
  fetch('/api/price').then(function (r) { return r.json(); }).then(function (d) {
    document.getElementById('root').innerHTML =
      '<h1>Kettle</h1><span class="price">' + d.price + ' ' + d.currency + '</span>';
  });
}, 400);
</script></body></html>"#;

const TROUBLE_PAGE: &str = r#"<!doctype html><html><body>
<img src="http://10.0.0.1/pixel.png">
<ul id="log"></ul>
<script>
function note(what, outcome) {
  var li = document.createElement('li'); li.id = what; li.textContent = outcome;
  document.getElementById('log').appendChild(li);
  if (document.querySelectorAll('#log li').length === 3) {
    var done = document.createElement('p'); done.id = 'done'; document.body.appendChild(done);
  }
}
fetch('http://169.254.169.254/latest/meta-data/')
  .then(function (r) { note('fetch', 'status ' + r.status); })
  .catch(function () { note('fetch', 'failed'); });
fetch('https://10.0.0.1/internal')
  .then(function (r) { note('fetch-tls', 'status ' + r.status); })
  .catch(function () { note('fetch-tls', 'failed'); });
try {
  var ws = new WebSocket('ws://10.0.0.1:8080/socket');
  ws.onopen = function () { note('ws', 'open'); };
  ws.onerror = function () { note('ws', 'failed'); };
} catch (e) { note('ws', 'failed'); }
</script></body></html>"#;

/// A small page whose script builds a DOM of some 400 kB.
const HUGE_PAGE: &str = r#"<!doctype html><html><body><div id="big"></div><script>
document.getElementById('big').textContent = 'x'.repeat(400000);
</script></body></html>"#;

/// The price arrives 300 ms after the page loads.
const LATE_PAGE: &str = r#"<!doctype html><html><body><div id="root"></div><script>
setTimeout(function () {
  document.getElementById('root').innerHTML = '<p class="price">12.50 EUR</p>';
}, 300);
</script></body></html>"#;

/// Its script moves on to the late page at once.
const HOP_PAGE: &str = r#"<!doctype html><html><body><script>
location.href = '/late';
</script></body></html>"#;

fn page(html: &'static str) -> impl Future<Output = HttpResponse> {
    std::future::ready(
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
    )
}

/// A local web site with the pages of these tests.
fn page_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(|| {
        App::new()
            .route("/js", web::get().to(|| page(JS_PAGE)))
            .route(
                "/api/price",
                web::get().to(|| async {
                    HttpResponse::Ok().json(json!({"price": "49.99", "currency": "EUR"}))
                }),
            )
            .route("/trouble", web::get().to(|| page(TROUBLE_PAGE)))
            .route("/huge", web::get().to(|| page(HUGE_PAGE)))
            .route("/late", web::get().to(|| page(LATE_PAGE)))
            .route("/hop", web::get().to(|| page(HOP_PAGE)))
            .route(
                "/redirect",
                web::get().to(|| async {
                    HttpResponse::Found()
                        .insert_header(("location", "http://169.254.169.254/latest/meta-data/"))
                        .finish()
                }),
            )
            .route(
                "/slow",
                web::get().to(|| async {
                    tokio::time::sleep(Duration::from_secs(20)).await;
                    HttpResponse::Ok().body("late")
                }),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    addr
}

/// Records every address the proxy dials; refuses anything off loopback, so
/// no test packet ever leaves this machine.
#[derive(Default)]
struct RecordingGate {
    dialled: Mutex<Vec<SocketAddr>>,
}

impl ConnectGate for RecordingGate {
    fn admit(&self, addr: SocketAddr) -> bool {
        self.dialled.lock().unwrap().push(addr);
        addr.ip().is_loopback()
    }
}

fn settings(extra: &[&str]) -> pricewatch_renderer::Settings {
    let mut args = vec![
        "pricewatch-renderer",
        "--database-url=postgres://pricewatch@127.0.0.1:5432/unused",
        "--amqp-url=amqp://guest:guest@127.0.0.1:5672/%2f",
        "--redis-key-prefix=pwtest-renderer",
        "--allow-loopback-targets=true",
        "--tabs=2",
        "--timeout-seconds=15",
    ];
    args.push("--redis-url");
    args.push(REDIS_URL);
    args.extend_from_slice(extra);
    pricewatch_renderer::Settings::try_parse_from(args).unwrap()
}

struct Running {
    api: SocketAddr,
    probe: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap().unwrap();
    }
}

fn start(gate: Arc<RecordingGate>, extra: &[&str]) -> Running {
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = TcpListener::bind("127.0.0.1:0").unwrap();
    let (probe_addr, api_addr) = (probe.local_addr().unwrap(), api.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(pricewatch_renderer::run_until_stopped(
        settings(extra),
        probe,
        api,
        async move {
            let _ = rx.await;
        },
        Some(gate as Arc<dyn ConnectGate>),
    ));
    Running {
        api: api_addr,
        probe: probe_addr,
        stop: Some(tx),
        task,
    }
}

async fn render(api: SocketAddr, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{api}/render"))
        .json(&body)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn wait_ready(probe: SocketAddr) {
    let client = reqwest::Client::new();
    for _ in 0..120 {
        if let Ok(response) = client
            .get(format!("http://{probe}/health/ready"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            && response.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the renderer never became ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_built_page_renders_with_its_price_and_private_addresses_are_never_dialled() {
    let site = page_server();
    let gate = Arc::new(RecordingGate::default());
    let renderer = start(Arc::clone(&gate), &["--max-html-bytes=200000"]);
    wait_ready(renderer.probe).await;

    // A DOM larger than RENDERER_MAX_HTML_BYTES is refused, not handed back.
    let (status, body) = render(renderer.api, json!({"url": format!("http://{site}/huge")})).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "too_large");
    assert!(body.get("html").is_none());

    let (status, body) = render(renderer.api, json!({"url": format!("http://{site}/js")})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 200);
    assert_eq!(body["final_url"], format!("http://{site}/js"));
    let html = body["html"].as_str().unwrap();
    assert!(
        html.contains(r#"<span class="price">49.99 EUR</span>"#),
        "{html}"
    );

    let (status, body) = render(
        renderer.api,
        json!({"url": format!("http://{site}/trouble"), "wait_for": "#done"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let html = body["html"].as_str().unwrap();
    for what in ["fetch", "fetch-tls", "ws"] {
        let reached = html.contains(&format!(r#"<li id="{what}">status"#))
            || html.contains(&format!(r#"<li id="{what}">open"#));
        assert!(!reached, "{what} reached a private address: {html}");
    }

    // A redirect of the page itself to a private address.
    let (status, body) = render(
        renderer.api,
        json!({"url": format!("http://{site}/redirect")}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "blocked_by_policy");

    // The first URL itself.
    for url in ["http://10.0.0.1/", "https://169.254.169.254/latest/"] {
        let (status, body) = render(renderer.api, json!({"url": url})).await;
        assert_eq!(status, 403, "{url}: {body}");
        assert_eq!(body["error"], "blocked_by_policy");
    }
    let (status, body) = render(renderer.api, json!({"url": "file:///etc/passwd"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "url");

    let dialled = gate.dialled.lock().unwrap().clone();
    assert!(!dialled.is_empty(), "the proxy dialled nothing at all");
    for addr in &dialled {
        assert_eq!(
            addr.ip(),
            site.ip(),
            "the proxy dialled {addr}, which is not the test site"
        );
    }
    let probe = reqwest::get(format!("http://{}/metrics", renderer.probe))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused = probe
        .lines()
        .find(|l| l.starts_with("pricewatch_renderer_proxy_refused_total"))
        .and_then(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    // The fetch, the TLS fetch, the websocket and the redirect at least.
    assert!(refused >= 4.0, "refusals counted: {refused}\n{probe}");
    renderer.stop().await;
}

/// Processes whose command line mentions `marker`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_waits_for_its_selector_and_no_longer() {
    let site = page_server();
    let renderer = start(Arc::new(RecordingGate::default()), &[]);
    wait_ready(renderer.probe).await;

    // The price comes 300 ms after the load: the render waits for it.
    let (status, body) = render(
        renderer.api,
        json!({"url": format!("http://{site}/late"), "wait_for": ".price"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["html"].as_str().unwrap().contains("12.50 EUR"),
        "{body}"
    );

    // A page that moves on by script: the selector is looked for on the next one.
    let (status, body) = render(
        renderer.api,
        json!({"url": format!("http://{site}/hop"), "wait_for": "p.price"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["html"].as_str().unwrap().contains("12.50 EUR"),
        "{body}"
    );

    // A selector that never matches ends at the render's timeout.
    let started = std::time::Instant::now();
    let (status, body) = render(
        renderer.api,
        json!({"url": format!("http://{site}/late"), "wait_for": "#never", "timeout_ms": 2000}),
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["error"], "timeout");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(10),
        "waited {waited:?}"
    );

    // A selector that is not CSS fails at once, naming the field.
    let started = std::time::Instant::now();
    let (status, body) = render(
        renderer.api,
        json!({"url": format!("http://{site}/late"), "wait_for": "p[[", "timeout_ms": 8000}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "wait_for");
    assert!(body["message"].as_str().unwrap().contains("p[["), "{body}");
    assert!(started.elapsed() < Duration::from_secs(6), "{body}");
    renderer.stop().await;
}

fn processes_mentioning(marker: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(marker))
                .unwrap_or(false)
        })
        .filter(|pid| {
            // Zombies are gone already; they only wait for their parent.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| {
                    !s.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('Z')
                })
                .unwrap_or(false)
        })
        .collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_binary(tmp: &std::path::Path, probe: u16, api: u16) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_pricewatch-renderer"))
        .env("TMPDIR", tmp)
        .env("RENDERER_HEALTH_BIND", format!("127.0.0.1:{probe}"))
        .env("RENDERER_BIND", format!("127.0.0.1:{api}"))
        .env("ALLOW_LOOPBACK_TARGETS", "true")
        .env(
            "DATABASE_URL",
            "postgres://pricewatch@127.0.0.1:5432/unused",
        )
        .env("REDIS_URL", REDIS_URL)
        .env("REDIS_KEY_PREFIX", "pwtest-renderer")
        .env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renderer_killed_mid_render_leaves_no_chromium_and_starts_again() {
    let site = page_server();
    let tmp = std::env::temp_dir().join(format!(
        "pw-renderer-kill-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&tmp).unwrap();
    let marker = tmp.display().to_string();
    let (probe, api) = (free_port(), free_port());
    let mut child = spawn_binary(&tmp, probe, api);
    let probe_addr: SocketAddr = format!("127.0.0.1:{probe}").parse().unwrap();
    let api_addr: SocketAddr = format!("127.0.0.1:{api}").parse().unwrap();
    wait_ready(probe_addr).await;
    assert!(
        processes_mentioning(&marker).len() > 1,
        "Chromium is not running under the test's profile directory"
    );

    let slow = tokio::spawn(render(
        api_addr,
        json!({"url": format!("http://{site}/slow")}),
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let mut left = processes_mentioning(&marker);
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = processes_mentioning(&marker);
    }
    assert!(left.is_empty(), "Chromium processes left behind: {left:?}");
    slow.abort();

    let mut child = spawn_binary(&tmp, probe, api);
    wait_ready(probe_addr).await;
    let (status, body) = render(api_addr, json!({"url": format!("http://{site}/js")})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["html"].as_str().unwrap().contains("49.99 EUR"));
    // A graceful stop leaves nothing behind either.
    std::process::Command::new("sh")
        .args(["-c", &format!("kill -s TERM {}", child.id())])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert!(processes_mentioning(&marker).is_empty());
    let _ = std::fs::remove_dir_all(&tmp);
}
