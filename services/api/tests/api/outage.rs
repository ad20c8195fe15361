//! Dependency outages seen through /health/*: each dependency is reached through a
//! TCP proxy that this test can take down and bring back, so the shared servers
//! keep running for the other tests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{TestApp, create_test_database, spawn_app_with};

struct OutageProxy {
    port: u16,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl OutageProxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = OutageProxy {
            port,
            target,
            tasks: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let tasks = self.tasks.clone();
        let target = self.target;
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut upstream) = TcpStream::connect(target).await {
                        let _ = copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Drops every proxied connection and refuses new ones.
    fn go_down(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn come_back(&self) {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], self.port)))
            .unwrap();
        self.serve(socket.listen(64).unwrap());
    }
}

/// A stand-in probe server for a background service (always ready).
fn fake_probe(service: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let checks: pricewatch_ops::health::ReadyChecks = Arc::new(Vec::new);
    let server = pricewatch_ops::health::serve_probe(listener, service, checks).unwrap();
    tokio::spawn(server);
    port
}

async fn detailed(app: &TestApp) -> (Value, Duration) {
    let started = Instant::now();
    let body = app
        .get("/health/detailed", None)
        .await
        .json()
        .await
        .unwrap();
    (body, started.elapsed())
}

async fn eventually_healthy(app: &TestApp, component: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (body, _) = detailed(app).await;
        if body["components"][component]["status"] == "healthy" || Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_degrade_detailed_health_and_recover_without_restarts() {
    let redis = OutageProxy::start("127.0.0.1:6379".parse().unwrap()).await;
    let rabbit = OutageProxy::start("127.0.0.1:5672".parse().unwrap()).await;
    let postgres = OutageProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let worker_probe = fake_probe("scraper-worker");
    let worker = OutageProxy::start(SocketAddr::from(([127, 0, 0, 1], worker_probe))).await;
    let renderer_probe = fake_probe("renderer");
    let renderer = OutageProxy::start(SocketAddr::from(([127, 0, 0, 1], renderer_probe))).await;
    let db_url = create_test_database().await;
    let db_name = db_url.rsplit('/').next().unwrap().to_owned();
    let args = [
        format!(
            "--database-url=postgres://postgres@127.0.0.1:{}/{db_name}",
            postgres.port
        ),
        format!("--redis-url=redis://127.0.0.1:{}/0", redis.port),
        format!(
            "--amqp-url=amqp://guest:guest@127.0.0.1:{}/%2f",
            rabbit.port
        ),
        format!(
            "--scraper-worker-health-url=http://127.0.0.1:{}",
            worker.port
        ),
        format!(
            "--scheduler-health-url=http://127.0.0.1:{}",
            fake_probe("scheduler")
        ),
        format!(
            "--notifier-health-url=http://127.0.0.1:{}",
            fake_probe("notifier")
        ),
        format!("--renderer-health-url=http://127.0.0.1:{}", renderer.port),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let app = spawn_app_with(&args).await;

    let (body, _) = detailed(&app).await;
    assert_eq!(body["status"], "healthy", "{body}");
    // The documented shape, pinned: what monitoring scripts parse.
    insta::assert_json_snapshot!("health_detailed_healthy", body, {
        ".timestamp" => "[time]",
        ".version" => "[version]",
        ".components.database.version" => "[version]",
        ".components.redis.version" => "[version]",
        ".components.redis.connected_clients" => "[count]",
        ".components.redis.used_memory_human" => "[memory]",
        ".components.redis.uptime_in_seconds" => "[seconds]",
        ".components.rabbitmq.queues" => "[queues]",
        ".components.*.probe" => "[probe]",
    });

    let outages: [(&str, &OutageProxy, bool); 5] = [
        ("redis", &redis, true),
        ("rabbitmq", &rabbit, true),
        ("database", &postgres, true),
        ("scraper_worker", &worker, false),
        // Only pages built by scripts need it: the system is degraded.
        ("renderer", &renderer, false),
    ];
    for (component, proxy, the_api_needs_it) in outages {
        proxy.go_down();
        let (body, took) = detailed(&app).await;
        assert!(
            took < Duration::from_secs(3),
            "{component} down: answered in {took:?}"
        );
        assert_eq!(body["status"], "degraded", "{component} down: {body}");
        let c = &body["components"][component];
        assert_eq!(c["status"], "unhealthy", "{component} down: {body}");
        assert!(
            !c["error"].as_str().unwrap_or_default().is_empty(),
            "{component}: {c}"
        );
        assert_eq!(app.get("/health/live", None).await.status(), 200);
        let ready = app.get("/health/ready", None).await.status().as_u16();
        assert_eq!(
            ready,
            if the_api_needs_it { 503 } else { 200 },
            "{component} down"
        );

        proxy.come_back();
        let body = eventually_healthy(&app, component, Duration::from_secs(10)).await;
        assert_eq!(
            body["components"][component]["status"], "healthy",
            "{component} back: {body}"
        );
        assert_eq!(body["status"], "healthy", "{component} back: {body}");
    }
}
