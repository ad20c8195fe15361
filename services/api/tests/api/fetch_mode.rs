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

#[tokio::test]
async fn patch_changes_the_fetch_mode_and_the_product_follows() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let watch = app
        .create_watch(&token, "https://shop.example.com/app/blender")
        .await;
    assert_eq!(watch["fetch_mode"], "auto");
    let path = format!("/api/v1/watches/{}", watch["id"].as_str().unwrap());

    let r = app
        .patch_json(&path, &json!({"fetch_mode": "Browser"}), &token)
        .await;
    assert_eq!(r.status(), 200);
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["fetch_mode"], "browser");
    assert_eq!(changed["product"]["fetch_mode"], "browser");
    // The rest of the watch stays as it was.
    assert_eq!(changed["target_price"], watch["target_price"]);
    assert_eq!(changed["frequency"], watch["frequency"]);

    let shown: Value = app.get(&path, Some(&token)).await.json().await.unwrap();
    assert_eq!(shown["fetch_mode"], "browser");
    assert_eq!(shown["product"]["fetch_mode"], "browser");

    // Another field alone leaves the mode alone; `http` then wins back the product.
    let r = app
        .patch_json(&path, &json!({"frequency": "6h"}), &token)
        .await;
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["fetch_mode"], "browser");
    let r = app
        .patch_json(&path, &json!({"fetch_mode": "http"}), &token)
        .await;
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["fetch_mode"], "http");
    assert_eq!(changed["product"]["fetch_mode"], "http");
}

#[tokio::test]
async fn patch_refuses_an_unknown_fetch_mode_naming_the_field() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let watch = app
        .create_watch(&token, "https://shop.example.com/app/toaster")
        .await;
    let path = format!("/api/v1/watches/{}", watch["id"].as_str().unwrap());
    for bad in [json!("chrome"), json!(""), json!(3)] {
        let r = app
            .patch_json(
                &path,
                &json!({"fetch_mode": bad, "target_price": "1"}),
                &token,
            )
            .await;
        let (status, code, body) = error_of(r).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "validation_failed"),
            "{bad}: {body}"
        );
        assert_eq!(body["field"], "fetch_mode", "{bad}: {body}");
    }
    // Nothing of the refused requests was applied.
    let shown: Value = app.get(&path, Some(&token)).await.json().await.unwrap();
    assert_eq!(shown["fetch_mode"], "auto");
    assert_eq!(shown["target_price"], watch["target_price"]);
}

#[tokio::test]
async fn the_openapi_document_offers_fetch_mode_wherever_a_watch_is_set() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for schema in ["CreateWatch", "UpdateWatch"] {
        let field = &doc["components"]["schemas"][schema]["properties"]["fetch_mode"];
        assert!(
            field["description"]
                .as_str()
                .is_some_and(|d| d.contains("`browser`")),
            "{schema}: {field}"
        );
    }
    let patch = &doc["paths"]["/api/v1/watches/{id}"]["patch"]["responses"]["422"]["description"];
    assert!(
        patch.as_str().is_some_and(|d| d.contains("`fetch_mode`")),
        "{patch}"
    );
}
