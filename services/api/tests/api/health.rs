use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn basic_and_live_answer() {
    let app = spawn_app().await;
    let basic: Value = app.get("/health/", None).await.json().await.unwrap();
    assert_eq!(basic["status"], "healthy");
    assert_eq!(basic["service"], "pricewatch-api");
    assert_eq!(app.get("/health/live", None).await.status(), 200);
    // Under a loaded test machine a check may time out once; a ready service settles.
    let mut status = 0;
    for _ in 0..5 {
        status = app.get("/health/ready", None).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(
        status, 200,
        "PostgreSQL, Redis and RabbitMQ run during the tests"
    );
}

#[tokio::test]
async fn detailed_reports_components_and_degrades_when_services_are_missing() {
    let app = spawn_app().await;
    let started = Instant::now();
    let body: Value = app
        .get("/health/detailed", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    let c = &body["components"];
    assert_eq!(c["database"]["status"], "healthy", "{body}");
    assert!(
        c["database"]["version"]
            .as_str()
            .unwrap()
            .starts_with("PostgreSQL")
    );
    assert!(c["database"]["tables"].as_i64().unwrap() >= 6);
    assert_eq!(c["redis"]["status"], "healthy");
    assert!(c["redis"]["used_memory_human"].is_string());
    assert_eq!(c["rabbitmq"]["status"], "healthy", "{body}");
    // The test points the service probes at a closed port.
    assert_eq!(c["scraper_worker"]["status"], "unhealthy");
    assert!(
        c["scraper_worker"]["error"]
            .as_str()
            .unwrap()
            .contains("probe")
    );
    assert_eq!(body["status"], "degraded");
    assert!(body["timestamp"].is_string());
}

#[tokio::test]
async fn metrics_are_exposed() {
    let app = spawn_app().await;
    let _ = app.get("/health/", None).await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("process_resident_memory_bytes"));
    assert!(text.contains("pricewatch_db_pool_connections{"), "{text}");
}
