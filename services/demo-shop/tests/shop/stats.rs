use serde_json::json;

use crate::support::{get_json, get_text, hits, post_price, raw_client, spawn_shop};

#[tokio::test]
async fn requests_are_counted_per_path_without_the_query() {
    let shop = spawn_shop().await;
    for _ in 0..3 {
        get_text(&shop, "/products/gaming-laptop").await;
    }
    get_text(&shop, "/trouble/404?x=1").await;
    get_text(&shop, "/trouble/404?x=2").await;
    assert_eq!(hits(&shop, "/products/gaming-laptop").await, 3);
    assert_eq!(hits(&shop, "/trouble/404").await, 2);
    assert_eq!(hits(&shop, "/private/secret").await, 0);

    let all = get_json(&shop, "/_stats").await;
    assert_eq!(all["total"], 5, "reading the stats is not counted: {all}");
    let trouble = get_json(&shop, "/_stats?prefix=/trouble/").await;
    assert_eq!(trouble["paths"], json!({"/trouble/404": 2}));
}

#[tokio::test]
async fn counters_and_prices_can_be_reset() {
    let shop = spawn_shop().await;
    get_text(&shop, "/products/gaming-laptop").await;
    let cleared = raw_client()
        .delete(shop.url("/_stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert_eq!(get_json(&shop, "/_stats").await["total"], 0);

    post_price(&shop, "gaming-laptop", json!({"amount": "5.00"})).await;
    get_text(&shop, "/products/gaming-laptop").await;
    let reset = raw_client().post(shop.url("/_reset")).send().await.unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(get_json(&shop, "/_stats").await["total"], 0);
    let price = get_json(&shop, "/products/gaming-laptop/price").await;
    assert_eq!(price["price"], "1299.99");
}

#[tokio::test]
async fn robots_txt_disallows_only_private_pages() {
    let shop = spawn_shop().await;
    let (status, robots) = get_text(&shop, "/robots.txt").await;
    assert_eq!(status, 200);
    assert_eq!(robots, "User-agent: *\nDisallow: /private/\nAllow: /\n");
    let (status, html) = get_text(&shop, "/private/prototype").await;
    assert_eq!(status, 200);
    assert!(html.contains("\"price\":\"1.00\""));
    assert_eq!(hits(&shop, "/private/prototype").await, 1);
}
