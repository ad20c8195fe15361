use serde_json::json;

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn malformed_json_is_400_and_oversized_body_is_413() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("Content-Type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let (s, code, _) = error_of(r).await;
    assert_eq!((s, code.as_str()), (400, "bad_request"));

    let huge = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(200_000)
    );
    let r = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let (s, code, _) = error_of(r).await;
    assert_eq!((s, code.as_str()), (413, "payload_too_large"));
}

#[tokio::test]
async fn unknown_routes_are_404_json() {
    let app = spawn_app().await;
    let (s, code, _) = error_of(app.get("/api/v1/nothing-here", None).await).await;
    assert_eq!((s, code.as_str()), (404, "not_found"));
    let (_, token) = app.user().await;
    let (s, _, _) = error_of(app.get("/api/v1/watches/not-a-uuid", Some(&token)).await).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/health/"))
        .header("X-Request-ID", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app.get("/health/", None).await;
    let generated = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36);
    // Junk ids are replaced, not reflected.
    let r = app
        .client
        .get(app.url("/health/"))
        .header("X-Request-ID", "<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "<script>");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app().await;
    let allowed = app
        .client
        .get(app.url("/health/"))
        .header("Origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let other = app
        .client
        .get(app.url("/health/"))
        .header("Origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn openapi_document_and_docs_page_are_served() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for path in [
        "/api/v1/watches",
        "/api/v1/auth/login",
        "/api/v1/products/{id}/prices",
        "/health/detailed",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger"));
    let _ = json!({});
}
