use serde_json::{Value, json};

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn a_watch_says_how_its_page_is_fetched_and_its_product_follows() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": "https://shop.example.com/app/kettle", "target_price": "20",
                    "frequency": "24h", "fetch_mode": "browser"}),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 201);
    let watch: Value = r.json().await.unwrap();
    assert_eq!(watch["fetch_mode"], "browser");
    assert_eq!(watch["product"]["fetch_mode"], "browser");
    assert_eq!(watch["product"]["needs_browser"], false);
    assert_eq!(watch["product"]["last_check"]["fetched_with"], Value::Null);

    // Another user's `http` watch on the same product leaves it to the browser.
    let (_, other) = app.user().await;
    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": "https://shop.example.com/app/kettle", "target_price": "20",
                    "frequency": "24h", "fetch_mode": "http"}),
            Some(&other),
        )
        .await;
    assert_eq!(r.status(), 201);
    let watch: Value = r.json().await.unwrap();
    assert_eq!(watch["fetch_mode"], "http");
    assert_eq!(watch["product"]["fetch_mode"], "browser");

    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": "https://shop.example.com/p/2", "target_price": "20",
                    "frequency": "24h"}),
            Some(&token),
        )
        .await;
    let watch: Value = r.json().await.unwrap();
    assert_eq!(watch["fetch_mode"], "auto");
}

#[tokio::test]
async fn an_unknown_fetch_mode_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": "https://shop.example.com/p/1", "target_price": "20",
                    "frequency": "24h", "fetch_mode": "chrome"}),
            Some(&token),
        )
        .await;
    let (status, code, body) = error_of(r).await;
    assert_eq!(
        (status, code.as_str()),
        (422, "validation_failed"),
        "{body}"
    );
    assert_eq!(body["field"], "fetch_mode", "{body}");
}
