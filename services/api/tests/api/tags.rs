//! Tags on watches: set, list, filter, and pause / resume / delete a whole tag.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of, spawn_app};

async fn watch(app: &TestApp, token: &str, url: &str, tags: Value) -> Value {
    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": url, "target_price": "10", "frequency": "24h", "tags": tags}),
            Some(token),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn listed(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/watches{query}"), Some(token))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn watches_carry_tags_and_are_listed_by_tag() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let a = watch(
        &app,
        &token,
        "https://shop.example.com/p/a",
        json!(["Kitchen", "sale", "kitchen"]),
    )
    .await;
    assert_eq!(a["tags"], json!(["kitchen", "sale"]));
    watch(
        &app,
        &token,
        "https://shop.example.com/p/b",
        json!(["kitchen"]),
    )
    .await;
    let c = watch(&app, &token, "https://shop.example.com/p/c", json!([])).await;
    assert_eq!(c["tags"], json!([]));

    let kitchen = listed(&app, &token, "?tag=kitchen").await;
    assert_eq!(kitchen["total"], 2);
    let sale = listed(&app, &token, "?tag=SALE").await;
    assert_eq!(sale["total"], 1);
    assert_eq!(sale["items"][0]["id"], a["id"]);
    assert_eq!(listed(&app, &token, "?tag=none").await["total"], 0);
    assert_eq!(listed(&app, &token, "").await["total"], 3);

    // Tags are replaced by PATCH.
    let id = c["id"].as_str().unwrap();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/watches/{id}")))
        .bearer_auth(&token)
        .json(&json!({"tags": ["sale"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["tags"], json!(["sale"]));

    let tags: Value = app
        .get("/api/v1/tags", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tags["items"],
        json!([
            {"tag": "kitchen", "watches": 2, "active": 2},
            {"tag": "sale", "watches": 2, "active": 2},
        ])
    );

    // Another user sees none of it.
    let (_, other) = app.user().await;
    assert_eq!(listed(&app, &other, "?tag=kitchen").await["total"], 0);
    let tags: Value = app
        .get("/api/v1/tags", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tags["items"], json!([]));

    // Bad tags are refused, naming the field.
    for bad in [json!(["a b"]), json!([""]), json!(["x".repeat(41)])] {
        let (status, _, body) = error_of(
            app.post_json(
                "/api/v1/watches",
                &json!({"url": "https://shop.example.com/p/z", "target_price": "1", "frequency": "24h", "tags": bad}),
                Some(&token),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("tags")),
            "{body}"
        );
    }
    let (status, _, body) =
        error_of(app.get("/api/v1/watches?tag=a%20b", Some(&token)).await).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("tag")));
}

#[tokio::test]
async fn pause_resume_and_delete_a_whole_tag() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let (_, other) = app.user().await;
    for i in 0..3 {
        watch(
            &app,
            &token,
            &format!("https://shop.example.com/p/k{i}"),
            json!(["kitchen"]),
        )
        .await;
    }
    let keep = watch(
        &app,
        &token,
        "https://shop.example.com/p/garden",
        json!(["garden"]),
    )
    .await;
    // Someone else's watch of the same tag is never touched.
    let theirs = watch(
        &app,
        &other,
        "https://shop.example.com/p/k0",
        json!(["kitchen"]),
    )
    .await;

    let r = app
        .post_json("/api/v1/tags/kitchen/pause", &json!({}), Some(&token))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"tag": "kitchen", "changed": 3})
    );
    let kitchen = listed(&app, &token, "?tag=kitchen").await;
    assert!(
        kitchen["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["active"] == false)
    );
    // A product no active watch needs is no longer scheduled (k0 is also
    // watched, actively, by the other user).
    let k2 = kitchen["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["product"]["url"].as_str().unwrap().ends_with("/k2"))
        .unwrap();
    let product = k2["product"]["id"].as_str().unwrap();
    let r: Value = app
        .get(&format!("/api/v1/products/{product}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(r["next_check_at"].is_null(), "{r}");
    assert!(theirs["product"]["next_check_at"].is_string());
    // Pausing again changes nothing.
    let again: Value = app
        .post_json("/api/v1/tags/kitchen/pause", &json!({}), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["changed"], 0);
    let tags: Value = app
        .get("/api/v1/tags", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tags["items"][1],
        json!({"tag": "kitchen", "watches": 3, "active": 0})
    );

    let resumed: Value = app
        .post_json("/api/v1/tags/Kitchen/resume", &json!({}), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resumed["changed"], 3);
    assert!(
        listed(&app, &token, "?tag=kitchen").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["active"] == true)
    );

    // A read-only token cannot act on a tag.
    let (_, read) = app.api_token(&token, &["read"]).await;
    let r = app
        .post_json("/api/v1/tags/kitchen/pause", &json!({}), Some(&read))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .delete("/api/v1/tags/kitchen/watches", Some(&read))
        .await;
    assert_eq!(r.status(), 403);

    let r = app
        .delete("/api/v1/tags/kitchen/watches", Some(&token))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["changed"], 3);
    let all = listed(&app, &token, "").await;
    assert_eq!(all["total"], 1);
    assert_eq!(all["items"][0]["id"], keep["id"]);
    // The other user's watch is still there, still active.
    let theirs_now = listed(&app, &other, "?tag=kitchen").await;
    assert_eq!(theirs_now["total"], 1);
    assert_eq!(theirs_now["items"][0]["active"], true);

    let (status, _, body) = error_of(
        app.post_json("/api/v1/tags/a%20b/pause", &json!({}), Some(&token))
            .await,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("tag")));
}
