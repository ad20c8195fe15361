use std::str::FromStr;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use crate::support::{get_json, get_text, raw_client, spawn_shop, spawn_shop_with};

#[tokio::test]
async fn each_demo_product_states_its_price_in_its_own_markup() {
    let shop = spawn_shop().await;
    let cases: [(&str, &[&str]); 5] = [
        (
            "trail-running-shoes",
            &[
                "<meta property=\"product:price:amount\" content=\"129.95\">",
                "<meta property=\"og:price:currency\" content=\"EUR\">",
            ],
        ),
        (
            "gaming-laptop",
            &["<span class=\"price\">1.299,99 €</span>"],
        ),
        (
            "electric-kettle",
            &[
                "itemprop=\"price\" content=\"39.99\"",
                "itemprop=\"priceCurrency\" content=\"GBP\"",
                "£39.99",
            ],
        ),
        (
            "mechanical-keyboard",
            &[
                "application/ld+json",
                "\"price\":\"89.90\"",
                "https://schema.org/OutOfStock",
                "Out of stock",
            ],
        ),
        ("ultrawide-monitor", &["$1,049.00"]),
    ];
    for (slug, needles) in cases {
        let (status, html) = get_text(&shop, &format!("/products/{slug}")).await;
        assert_eq!(status, 200, "{slug}");
        for needle in needles {
            assert!(html.contains(needle), "{slug} lacks {needle}:\n{html}");
        }
    }
}

#[tokio::test]
async fn a_json_ld_page_carries_a_parseable_product_offer() {
    let shop = spawn_shop().await;
    let current = get_json(&shop, "/products/espresso-machine/price").await;
    let (_, html) = get_text(&shop, "/products/espresso-machine").await;
    let start = html.find("<script type=\"application/ld+json\">").unwrap();
    let json = &html[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    let ld: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(ld["@type"], "Product");
    assert_eq!(ld["offers"]["@type"], "Offer");
    assert_eq!(ld["offers"]["priceCurrency"], "EUR");
    assert_eq!(ld["offers"]["availability"], "https://schema.org/InStock");
    // The drifting price may move between the two requests, but only within its range.
    let price = Decimal::from_str(ld["offers"]["price"].as_str().unwrap()).unwrap();
    assert!(
        (Decimal::from(200)..Decimal::from(290)).contains(&price),
        "{price} vs {current}"
    );
}

#[tokio::test]
async fn unknown_products_are_404() {
    let shop = spawn_shop_with(|s| s.products = 10).await;
    assert_eq!(get_text(&shop, "/products/no-such-thing").await.0, 404);
    assert_eq!(get_text(&shop, "/products/item-000011").await.0, 404);
    assert_eq!(get_text(&shop, "/products/item-10").await.0, 404);
    assert_eq!(get_text(&shop, "/nowhere").await.0, 404);
}

#[tokio::test]
async fn generated_items_show_the_price_the_listing_gives() {
    let shop = spawn_shop_with(|s| s.products = 100_000).await;
    for slug in [
        "item-000001",
        "item-000002",
        "item-000003",
        "item-000004",
        "item-100000",
    ] {
        let listed = get_json(&shop, &format!("/products/{slug}/price")).await;
        let (status, html) = get_text(&shop, &format!("/products/{slug}")).await;
        assert_eq!(status, 200);
        let price = listed["price"].as_str().unwrap();
        let german = price.replace('.', ",");
        assert!(
            html.contains(&format!("\"{price}\"")) || html.contains(&german),
            "{slug} page lacks {price}:\n{html}"
        );
        let again = get_json(&shop, &format!("/products/{slug}/price")).await;
        assert_eq!(listed, again, "generated prices are stable");
    }
}

#[tokio::test]
async fn drifting_products_change_price_by_themselves() {
    let shop = spawn_shop_with(|s| s.drift_step_secs = 1).await;
    let first = get_json(&shop, "/products/noise-cancelling-headphones/price").await;
    let still = get_json(&shop, "/products/trail-running-shoes/price").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = get_json(&shop, "/products/noise-cancelling-headphones/price").await;
        if now["price"] != first["price"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the price never moved from {first}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let price = first["price"].as_str().unwrap();
    assert!(
        price
            .split_once('.')
            .is_none_or(|(_, cents)| cents.len() <= 2),
        "{price}"
    );
    assert_eq!(
        get_json(&shop, "/products/trail-running-shoes/price").await,
        still,
        "non-drifting products keep their price"
    );
}

#[tokio::test]
async fn product_pages_are_served_concurrently() {
    let shop = spawn_shop_with(|s| {
        s.products = 1000;
        s.workers = 2;
    })
    .await;
    let client = raw_client();
    let requests = (1..=200).map(|n| {
        let url = shop.url(&format!("/products/item-{:06}", n % 1000 + 1));
        let client = client.clone();
        async move { client.get(url).send().await.map(|r| r.status().as_u16()) }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| matches!(s, Ok(200))),
        "{statuses:?}"
    );
}
