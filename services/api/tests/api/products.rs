use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn product_and_empty_history_are_readable_by_its_watcher() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let watch = app
        .create_watch(&token, "https://shop.example.com/p/kettle")
        .await;
    let id = watch["product"]["id"].as_str().unwrap();

    let r = app
        .get(&format!("/api/v1/products/{id}"), Some(&token))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-cache"], "miss");
    let product: Value = r.json().await.unwrap();
    assert_eq!(product["last_check"]["status"], "pending");
    assert!(product["last_price"].is_null());
    let again = app
        .get(&format!("/api/v1/products/{id}"), Some(&token))
        .await;
    assert_eq!(again.headers()["x-cache"], "hit");
    assert!(product["next_check_at"].is_string());
    // The user pauses their only watch: their next read shows it at once (no
    // next check any more), not the cached body of a moment ago.
    let r = app
        .client
        .patch(app.url(&format!(
            "/api/v1/watches/{}",
            watch["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .json(&serde_json::json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .get(&format!("/api/v1/products/{id}"), Some(&token))
        .await;
    assert_eq!(r.headers()["x-cache"], "miss");
    let paused: Value = r.json().await.unwrap();
    assert!(paused["next_check_at"].is_null(), "{paused}");

    let history: Value = app
        .get(&format!("/api/v1/products/{id}/prices"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["total"], 0);
    assert_eq!(history["items"], Value::Array(vec![]));

    let r = app
        .get(
            &format!(
                "/api/v1/products/{id}/prices?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"
            ),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .get(
            &format!("/api/v1/products/{id}/prices?from=yesterday"),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 422);

    let notes: Value = app
        .get("/api/v1/notifications", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(notes["total"], 0);
}
