//! Personal API tokens: shown once, scoped, revoked and expired at once.

use serde_json::{Value, json};

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn a_token_is_shown_once_and_listed_without_it() {
    let app = spawn_app().await;
    let (_, session) = app.user().await;
    let r = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "cron job", "scopes": ["read"], "expires_at": "2999-01-01T00:00:00Z"}),
            Some(&session),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("pw_") && token.len() >= 40, "{token}");
    assert_eq!(created["scopes"], json!(["read"]));
    assert_eq!(created["name"], "cron job");
    assert_eq!(created["prefix"].as_str().unwrap(), &token[..9]);
    assert_eq!(created["expires_at"], "2999-01-01T00:00:00Z");
    assert!(created["last_used_at"].is_null());

    // The token works, and its use is recorded.
    let r = app.get("/api/v1/watches", Some(token)).await;
    assert_eq!(r.status(), 200);

    let r = app.get("/api/v1/tokens", Some(&session)).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains(token), "the list shows the token: {text}");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let item = &list["items"][0];
    assert_eq!(item["id"], created["id"]);
    assert_eq!(item["prefix"], created["prefix"]);
    assert!(item["last_used_at"].is_string(), "{item}");
    assert!(item.get("token").is_none());

    // Only its hash is stored.
    let stored = app
        .sql(&format!(
            "SELECT 1 FROM api_tokens WHERE encode(token_hash, 'escape') LIKE '%{}%'",
            &token[3..]
        ))
        .await;
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_read_token_reads_and_cannot_write() {
    let app = spawn_app().await;
    let (_, session) = app.user().await;
    let watch = app
        .create_watch(&session, "https://shop.example.com/p/read-only")
        .await;
    let id = watch["id"].as_str().unwrap();
    let product = watch["product"]["id"].as_str().unwrap();
    let (token_id, read) = app.api_token(&session, &["read"]).await;

    for path in [
        "/api/v1/watches".to_owned(),
        format!("/api/v1/watches/{id}"),
        format!("/api/v1/products/{product}"),
        format!("/api/v1/products/{product}/prices"),
        "/api/v1/notifications".to_owned(),
        "/api/v1/me".to_owned(),
        "/api/v1/tokens".to_owned(),
    ] {
        let r = app.get(&path, Some(&read)).await;
        assert_eq!(r.status(), 200, "GET {path}");
    }
    let list: Value = app
        .get("/api/v1/watches", Some(&read))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], id);

    let body =
        json!({"url": "https://shop.example.com/p/other", "target_price": "5", "frequency": "24h"});
    let (status, code, _) =
        error_of(app.post_json("/api/v1/watches", &body, Some(&read)).await).await;
    assert_eq!((status, code.as_str()), (403, "forbidden"));
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/watches/{id}")))
        .bearer_auth(&read)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .delete(&format!("/api/v1/watches/{id}"), Some(&read))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_json(
            &format!("/api/v1/watches/{id}/check"),
            &json!({}),
            Some(&read),
        )
        .await;
    assert_eq!(r.status(), 403);
    // A read token cannot mint itself a write token, nor revoke tokens.
    let r = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "escalate", "scopes": ["write"]}),
            Some(&read),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .delete(&format!("/api/v1/tokens/{token_id}"), Some(&read))
        .await;
    assert_eq!(r.status(), 403);
    // The watch is untouched.
    let got: Value = app
        .get(&format!("/api/v1/watches/{id}"), Some(&read))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["active"], true);

    // A write token writes, but makes and revokes no tokens: a leaked one
    // cannot mint successors that outlive its revocation.
    let (write_id, write) = app.api_token(&session, &["write"]).await;
    let r = app.post_json("/api/v1/watches", &body, Some(&write)).await;
    assert_eq!(r.status(), 201);
    let r = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "successor", "scopes": ["write"]}),
            Some(&write),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .delete(&format!("/api/v1/tokens/{write_id}"), Some(&write))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_json("/api/v1/feed/token", &json!({}), Some(&write))
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once_even_for_cached_reads() {
    let app = spawn_app().await;
    let (_, session) = app.user().await;
    let watch = app
        .create_watch(&session, "https://shop.example.com/p/revoked")
        .await;
    let product = watch["product"]["id"].as_str().unwrap();
    let (id, token) = app.api_token(&session, &["read", "write"]).await;
    let path = format!("/api/v1/products/{product}");
    let first = app.get(&path, Some(&token)).await;
    assert_eq!(first.status(), 200);
    let second = app.get(&path, Some(&token)).await;
    assert_eq!(second.headers()["x-cache"], "hit");

    let r = app
        .delete(&format!("/api/v1/tokens/{id}"), Some(&session))
        .await;
    assert_eq!(r.status(), 204);
    let (status, code, _) = error_of(app.get(&path, Some(&token)).await).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    let r = app.get("/api/v1/watches", Some(&token)).await;
    assert_eq!(r.status(), 401);
    let r = app
        .delete(&format!("/api/v1/tokens/{id}"), Some(&session))
        .await;
    assert_eq!(r.status(), 404);
    let list: Value = app
        .get("/api/v1/tokens", Some(&session))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn an_expired_or_foreign_or_forged_token_is_refused() {
    let app = spawn_app().await;
    let (_, session) = app.user().await;
    let (id, token) = app.api_token(&session, &["read"]).await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    app.sql(&format!(
        "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = '{id}'"
    ))
    .await;
    let (status, _, body) = error_of(app.get("/api/v1/me", Some(&token)).await).await;
    assert_eq!(status, 401);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    // Someone else cannot revoke my token.
    let (_, other) = app.user().await;
    let (mine, _) = app.api_token(&session, &["read"]).await;
    let r = app
        .delete(&format!("/api/v1/tokens/{mine}"), Some(&other))
        .await;
    assert_eq!(r.status(), 404);

    // Lookalikes never reach a user.
    let forged = format!("pw_{}", "A".repeat(43));
    for bad in [forged.as_str(), "pw_", "pw_short", "pw_!!!!"] {
        let r = app.get("/api/v1/me", Some(bad)).await;
        assert_eq!(r.status(), 401, "{bad}");
    }
    // A past expiry, an unknown scope or an empty name is refused.
    for (body, field) in [
        (
            json!({"name": "x", "scopes": ["read"], "expires_at": "2000-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (json!({"name": "x", "scopes": ["admin"]}), "scopes"),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": " ", "scopes": ["read"]}), "name"),
    ] {
        let (status, _, err) =
            error_of(app.post_json("/api/v1/tokens", &body, Some(&session)).await).await;
        assert_eq!(
            (status, err["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_declares_api_tokens() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let scheme = &doc["components"]["securitySchemes"]["api_token"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    let security = &doc["paths"]["/api/v1/watches"]["get"]["security"];
    assert!(
        security
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.get("api_token").is_some()),
        "{security}"
    );
    assert!(doc["paths"]["/api/v1/tokens"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/tokens/{id}"]["delete"].is_object());
}
