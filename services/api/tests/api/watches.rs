use serde_json::{Value, json};

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn create_list_get_update_delete_a_watch() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": "https://Shop.Example.com/p/espresso?utm_source=mail#top", "target_price": "249.00", "frequency": "12h"}),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 201);
    let watch: Value = r.json().await.unwrap();
    insta::assert_json_snapshot!("created_watch", watch, {
        ".id" => "[uuid]", ".product.id" => "[uuid]",
        ".created_at" => "[time]", ".updated_at" => "[time]",
        ".product.created_at" => "[time]", ".product.next_check_at" => "[time]",
    });
    assert_eq!(
        watch["product"]["url"],
        "https://shop.example.com/p/espresso"
    );
    let id = watch["id"].as_str().unwrap();

    let list: Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    assert_eq!(
        (list["page"].as_i64(), list["per_page"].as_i64()),
        (Some(1), Some(20))
    );

    let r = app
        .client
        .patch(app.url(&format!("/api/v1/watches/{id}")))
        .bearer_auth(&token)
        .json(&json!({"target_price": 199.5, "frequency": "6h", "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["target_price"], "199.50");
    assert_eq!(updated["frequency"], "6h");
    assert_eq!(updated["active"], false);

    let got: Value = app
        .get(&format!("/api/v1/watches/{id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["frequency"], "6h");

    let r = app
        .post_json(
            &format!("/api/v1/watches/{id}/check"),
            &json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 202);

    let r = app
        .client
        .delete(app.url(&format!("/api/v1/watches/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.get(&format!("/api/v1/watches/{id}"), Some(&token))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn another_user_cannot_see_or_change_my_watch() {
    let app = spawn_app().await;
    let (_, alice) = app.user().await;
    let (_, bob) = app.user().await;
    let watch = app
        .create_watch(&alice, "https://shop.example.com/p/1")
        .await;
    let id = watch["id"].as_str().unwrap();
    let product = watch["product"]["id"].as_str().unwrap();

    let (s, code, _) = error_of(app.get(&format!("/api/v1/watches/{id}"), Some(&bob)).await).await;
    assert_eq!((s, code.as_str()), (404, "not_found"));
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/watches/{id}")))
        .bearer_auth(&bob)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/watches/{id}")))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.get(&format!("/api/v1/products/{product}"), Some(&bob))
            .await
            .status(),
        404
    );
    let list: Value = app
        .get("/api/v1/watches", Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    // Alice's watch is untouched.
    let mine: Value = app
        .get(&format!("/api/v1/watches/{id}"), Some(&alice))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["active"], true);
}

#[tokio::test]
async fn two_users_watching_one_page_share_the_product() {
    let app = spawn_app().await;
    let (_, alice) = app.user().await;
    let (_, bob) = app.user().await;
    let a = app
        .create_watch(&alice, "https://shop.example.com/p/shared")
        .await;
    let b = app
        .create_watch(&bob, "https://SHOP.example.com/p/shared#x")
        .await;
    assert_eq!(a["product"]["id"], b["product"]["id"]);
    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": "https://shop.example.com/p/shared", "target_price": "1", "frequency": "6h"}),
            Some(&alice),
        )
        .await;
    let (s, code, _) = error_of(r).await;
    assert_eq!((s, code.as_str()), (409, "watch_exists"));
}

#[tokio::test]
async fn bad_watches_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let ok_url = "https://shop.example.com/p/1";
    let long_url = format!("https://shop.example.com/{}", "a".repeat(3000));
    let cases = [
        (
            json!({"url": ok_url, "target_price": "10", "frequency": "1h"}),
            "frequency",
        ),
        (
            json!({"url": ok_url, "target_price": "-5", "frequency": "6h"}),
            "target_price",
        ),
        (
            json!({"url": ok_url, "target_price": 0, "frequency": "6h"}),
            "target_price",
        ),
        (
            json!({"url": ok_url, "target_price": "1e30", "frequency": "6h"}),
            "target_price",
        ),
        (
            json!({"url": ok_url, "target_price": "ten", "frequency": "6h"}),
            "target_price",
        ),
        (
            json!({"url": ok_url, "target_price": [1], "frequency": "6h"}),
            "target_price",
        ),
        (
            json!({"url": "ftp://shop.example.com/a", "target_price": "10", "frequency": "6h"}),
            "url",
        ),
        (
            json!({"url": "javascript:alert(1)", "target_price": "10", "frequency": "6h"}),
            "url",
        ),
        (
            json!({"url": long_url, "target_price": "10", "frequency": "6h"}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data", "target_price": "10", "frequency": "6h"}),
            "url",
        ),
        (
            json!({"url": "http://127.0.0.1:8090/products/a", "target_price": "10", "frequency": "6h"}),
            "url",
        ),
        (
            json!({"url": "http://[::ffff:127.0.0.1]/", "target_price": "10", "frequency": "6h"}),
            "url",
        ),
        (
            json!({"url": "http://2130706433/", "target_price": "10", "frequency": "6h"}),
            "url",
        ),
        (
            json!({"url": ok_url, "target_price": "10", "frequency": "6h", "surprise": true}),
            "surprise",
        ),
        (json!({"target_price": "10", "frequency": "6h"}), "url"),
    ];
    for (body, field) in cases {
        let r = app.post_json("/api/v1/watches", &body, Some(&token)).await;
        let (s, code, b) = error_of(r).await;
        assert_eq!(
            (s, code.as_str()),
            (422, "validation_failed"),
            "{body} -> {b}"
        );
        assert_eq!(b["field"], field, "{body} -> {b}");
    }
    let list: Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing was created by bad input");
}

#[tokio::test]
async fn pagination_pages_and_refuses_absurd_sizes() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    for i in 0..5 {
        app.create_watch(&token, &format!("https://shop.example.com/p/{i}"))
            .await;
    }
    let page: Value = app
        .get("/api/v1/watches?page=2&per_page=2", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 5);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let last: Value = app
        .get("/api/v1/watches?page=3&per_page=2", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    for bad in ["per_page=500", "per_page=0", "page=0", "page=abc"] {
        let (s, _, b) = error_of(
            app.get(&format!("/api/v1/watches?{bad}"), Some(&token))
                .await,
        )
        .await;
        assert_eq!(s, 422, "{bad} -> {b}");
    }
}
