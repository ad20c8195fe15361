use pricewatch_demo_shop::{Settings, SpawnedShop, spawn};
use reqwest::redirect::Policy;
use serde_json::Value;

pub async fn spawn_shop() -> SpawnedShop {
    spawn_shop_with(|_| {}).await
}

pub async fn spawn_shop_with(configure: impl FnOnce(&mut Settings)) -> SpawnedShop {
    let mut settings = Settings::ephemeral();
    configure(&mut settings);
    spawn(&settings).expect("demo shop starts")
}

/// A client that neither follows redirects nor inflates gzip, to see the raw answers.
pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(Policy::none())
        .no_gzip()
        .build()
        .unwrap()
}

/// A client as a scraper would use it: follows redirects, inflates gzip.
pub fn following_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub async fn get_text(shop: &SpawnedShop, path: &str) -> (u16, String) {
    let response = raw_client().get(shop.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

pub async fn get_json(shop: &SpawnedShop, path: &str) -> Value {
    let response = raw_client().get(shop.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

pub async fn post_price(shop: &SpawnedShop, slug: &str, body: Value) -> (u16, Value) {
    let response = raw_client()
        .post(shop.url(&format!("/products/{slug}/price")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub async fn hits(shop: &SpawnedShop, path: &str) -> u64 {
    let stats = get_json(shop, &format!("/_stats?path={path}")).await;
    stats["paths"][path].as_u64().unwrap()
}
