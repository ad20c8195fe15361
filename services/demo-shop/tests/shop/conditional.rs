use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use serde_json::json;

use crate::support::{post_price, raw_client, spawn_shop};

const PAGE: &str = "/products/gaming-laptop";

#[tokio::test]
async fn an_unchanged_page_answers_304_to_its_etag_and_date() {
    let shop = spawn_shop().await;
    let client = raw_client();
    let first = client.get(shop.url(PAGE)).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()[ETAG].clone();
    let last_modified = first.headers()[LAST_MODIFIED].clone();

    let by_etag = client
        .get(shop.url(PAGE))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(by_etag.status(), 304);
    assert_eq!(by_etag.headers()[ETAG], etag);
    assert!(by_etag.bytes().await.unwrap().is_empty());

    let by_date = client
        .get(shop.url(PAGE))
        .header(IF_MODIFIED_SINCE, last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(by_date.status(), 304);

    let other_etag = client
        .get(shop.url(PAGE))
        .header(IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other_etag.status(), 200);
}

#[tokio::test]
async fn a_price_change_changes_the_etag_and_the_date() {
    let shop = spawn_shop().await;
    let client = raw_client();
    let before = client.get(shop.url(PAGE)).send().await.unwrap();
    let mut etag = before.headers()[ETAG].clone();
    let mut last_modified = before.headers()[LAST_MODIFIED].clone();

    // Twice within the same second: both changes must still be visible.
    for amount in ["999.00", "998.00"] {
        let (status, _) = post_price(&shop, "gaming-laptop", json!({"amount": amount})).await;
        assert_eq!(status, 200);
        let by_etag = client
            .get(shop.url(PAGE))
            .header(IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(by_etag.status(), 200);
        assert_ne!(by_etag.headers()[ETAG], etag);
        let by_date = client
            .get(shop.url(PAGE))
            .header(IF_MODIFIED_SINCE, last_modified.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(by_date.status(), 200, "after setting {amount}");
        let new_etag = by_date.headers()[ETAG].clone();
        let new_last_modified = by_date.headers()[LAST_MODIFIED].clone();
        assert!(
            by_date
                .text()
                .await
                .unwrap()
                .contains(&amount.replace('.', ","))
        );
        (etag, last_modified) = (new_etag, new_last_modified);
    }

    let unchanged = client
        .get(shop.url(PAGE))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
}
