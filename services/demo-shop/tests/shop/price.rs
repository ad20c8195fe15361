use serde_json::json;

use crate::support::{get_json, get_text, post_price, raw_client, spawn_shop, spawn_shop_with};

#[tokio::test]
async fn setting_a_price_shows_on_the_page_and_in_the_listing() {
    let shop = spawn_shop().await;
    let (status, body) = post_price(&shop, "electric-kettle", json!({"amount": "12.34"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["price"], "12.34");
    assert_eq!(body["currency"], "GBP");
    assert_eq!(body["url"], shop.url("/products/electric-kettle"));
    let (_, html) = get_text(&shop, "/products/electric-kettle").await;
    assert!(html.contains("content=\"12.34\""), "{html}");
    assert!(html.contains("£12.34"));
    let list = get_json(&shop, "/?format=json").await;
    let kettle = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "electric-kettle")
        .unwrap();
    assert_eq!(kettle["price"], "12.34");
}

#[tokio::test]
async fn stock_and_currency_can_change_too() {
    let shop = spawn_shop().await;
    let (status, body) = post_price(
        &shop,
        "trail-running-shoes",
        json!({"amount": "99.5", "in_stock": false, "currency": "usd"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["price"], "99.5");
    assert_eq!(body["currency"], "USD");
    assert_eq!(body["in_stock"], false);
    let (_, html) = get_text(&shop, "/products/trail-running-shoes").await;
    assert!(html.contains("<meta property=\"product:price:amount\" content=\"99.50\">"));
    assert!(html.contains("<meta property=\"product:price:currency\" content=\"USD\">"));
    assert!(html.contains("content=\"out of stock\""));

    let (status, body) = post_price(&shop, "trail-running-shoes", json!({"in_stock": true})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["price"].as_str(), body["in_stock"].as_bool()),
        (Some("99.5"), Some(true))
    );
}

#[tokio::test]
async fn a_set_price_stops_the_drift_until_deleted() {
    let shop = spawn_shop_with(|s| s.drift_step_secs = 1).await;
    let (status, _) = post_price(&shop, "espresso-machine", json!({"amount": "100.00"})).await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let now = get_json(&shop, "/products/espresso-machine/price").await;
    assert_eq!(now["price"], "100.00");

    let restored = raw_client()
        .delete(shop.url("/products/espresso-machine/price"))
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200);
    let restored: serde_json::Value = restored.json().await.unwrap();
    assert_ne!(restored["price"], "100.00");
}

#[tokio::test]
async fn generated_items_take_a_price_too() {
    let shop = spawn_shop_with(|s| s.products = 100_000).await;
    let (status, body) = post_price(&shop, "item-054321", json!({"amount": "1.99"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["price"], "1.99");
    let now = get_json(&shop, "/products/item-054321/price").await;
    assert_eq!(now["price"], "1.99");
}

#[tokio::test]
async fn an_unknown_product_is_404() {
    let shop = spawn_shop().await;
    let (status, body) = post_price(&shop, "no-such-thing", json!({"amount": "1.00"})).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn bad_amounts_are_422_and_leave_the_price_alone() {
    let shop = spawn_shop().await;
    let before = get_json(&shop, "/products/gaming-laptop/price").await;
    for body in [
        json!({"amount": "-1.00"}),
        json!({"amount": "0"}),
        json!({"amount": "abc"}),
        json!({"amount": "1.234"}),
        json!({"amount": "1,50"}),
        json!({"amount": "1e9"}),
        json!({"amount": "99999999999"}),
        json!({"amount": ""}),
        json!({"amount": true}),
        json!({"amount": -5}),
        json!({"amount": "1.00", "currency": "EURO"}),
        json!({"amount": "1.00", "in_stock": "yes"}),
        json!({}),
        json!(["1.00"]),
    ] {
        let (status, error) = post_price(&shop, "gaming-laptop", body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error["error"], "invalid_price", "{body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(
        get_json(&shop, "/products/gaming-laptop/price").await,
        before
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let shop = spawn_shop().await;
    for body in ["", "amount=1.00", "{\"amount\": ", "{\"amount\": 1e999}"] {
        let response = raw_client()
            .post(shop.url("/products/gaming-laptop/price"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body:?}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_json");
    }
}
