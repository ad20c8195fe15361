use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::support::{get_json, get_text, spawn_shop, spawn_shop_with};

fn by_slug<'a>(list: &'a [Value], slug: &str) -> &'a Value {
    list.iter()
        .find(|p| p["slug"] == slug)
        .unwrap_or_else(|| panic!("{slug} is listed"))
}

#[tokio::test]
async fn json_listing_names_every_demo_product_with_price_currency_and_url() {
    let shop = spawn_shop().await;
    let list = get_json(&shop, "/?format=json").await;
    let list = list.as_array().unwrap();
    assert!(list.len() >= 7, "{list:?}");
    for product in list {
        let slug = product["slug"].as_str().unwrap();
        assert_eq!(product["url"], shop.url(&format!("/products/{slug}")));
        let price = Decimal::from_str(product["price"].as_str().unwrap()).unwrap();
        assert!(price > Decimal::ZERO);
        assert_eq!(product["currency"].as_str().unwrap().len(), 3);
        assert!(!product["title"].as_str().unwrap().is_empty());
    }
    let markups: Vec<&str> = list.iter().filter_map(|p| p["markup"].as_str()).collect();
    for markup in ["json-ld", "microdata", "meta", "plain-text"] {
        assert!(
            markups.contains(&markup),
            "{markup} missing from {markups:?}"
        );
    }
    assert_eq!(by_slug(list, "electric-kettle")["currency"], "GBP");
    assert_eq!(by_slug(list, "gaming-laptop")["price"], "1299.99");
    assert_eq!(by_slug(list, "mechanical-keyboard")["in_stock"], false);
    assert_eq!(by_slug(list, "trail-running-shoes")["in_stock"], true);
}

#[tokio::test]
async fn html_listing_links_every_product() {
    let shop = spawn_shop().await;
    let (status, html) = get_text(&shop, "/").await;
    assert_eq!(status, 200);
    for slug in pricewatch_demo_shop::catalog::Catalog::fixed_slugs() {
        assert!(
            html.contains(&format!("href=\"/products/{slug}\"")),
            "{slug}"
        );
    }
    assert!(html.contains("1.299,99 €"));
}

#[tokio::test]
async fn generated_products_follow_the_demo_products_and_page_with_offset_and_limit() {
    let shop = spawn_shop_with(|s| s.products = 5000).await;
    let all = get_json(&shop, "/?format=json").await;
    let all = all.as_array().unwrap();
    let fixed = pricewatch_demo_shop::catalog::Catalog::fixed_slugs().count();
    assert_eq!(all.len(), fixed + 5000);
    assert_eq!(all[fixed]["slug"], "item-000001");
    assert_eq!(all.last().unwrap()["slug"], "item-005000");

    let page = get_json(
        &shop,
        &format!("/?format=json&offset={}&limit=3", fixed + 1),
    )
    .await;
    let slugs: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["item-000002", "item-000003", "item-000004"]);
    assert_eq!(page[0], all[fixed + 1], "the same product reads the same");

    let past_the_end = get_json(&shop, "/?format=json&offset=999999").await;
    assert_eq!(past_the_end, serde_json::json!([]));
}

#[tokio::test]
async fn a_malformed_listing_query_is_a_400() {
    let shop = spawn_shop().await;
    assert_eq!(get_text(&shop, "/?format=xml").await.0, 400);
    assert_eq!(get_text(&shop, "/?limit=-1").await.0, 400);
}
