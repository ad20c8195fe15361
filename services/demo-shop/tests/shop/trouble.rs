use std::io::Read;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER};

use crate::support::{following_client, get_text, raw_client, spawn_shop};

#[tokio::test]
async fn error_statuses() {
    let shop = spawn_shop().await;
    assert_eq!(get_text(&shop, "/trouble/404").await.0, 404);
    assert_eq!(get_text(&shop, "/trouble/500").await.0, 500);
    let limited = raw_client()
        .get(shop.url("/trouble/status/429?retry_after=3"))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()[RETRY_AFTER], "3");
    assert_eq!(get_text(&shop, "/trouble/status/503").await.0, 503);
    assert_eq!(get_text(&shop, "/trouble/status/42").await.0, 400);
}

#[tokio::test]
async fn flaky_fails_a_given_number_of_times_per_key() {
    let shop = spawn_shop().await;
    let path = "/trouble/flaky?fail=2&key=a";
    assert_eq!(get_text(&shop, path).await.0, 503);
    assert_eq!(get_text(&shop, path).await.0, 503);
    let (status, html) = get_text(&shop, path).await;
    assert_eq!(status, 200);
    assert!(html.contains("\"price\":\"19.99\""));
    assert_eq!(get_text(&shop, "/trouble/flaky?fail=1&key=b").await.0, 503);
}

#[tokio::test]
async fn slow_outlasts_a_short_timeout() {
    let shop = spawn_shop().await;
    let started = Instant::now();
    let (status, html) = get_text(&shop, "/trouble/slow?ms=300").await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(html.contains("\"price\":\"10.00\""));

    let impatient = raw_client()
        .get(shop.url("/trouble/slow"))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(impatient.is_err_and(|e| e.is_timeout()));
}

#[tokio::test]
async fn drip_sends_the_head_at_once_and_then_a_byte_at_a_time() {
    let shop = spawn_shop().await;
    let response = raw_client()
        .get(shop.url("/trouble/drip?interval_ms=300&bytes=5"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut chunks = response.bytes_stream();
    let head = chunks.next().await.unwrap().unwrap();
    let head_arrived = Instant::now();
    assert!(head.starts_with(b"<!doctype html>"));
    let mut rest = 0;
    while let Some(chunk) = chunks.next().await {
        rest += chunk.unwrap().len();
    }
    assert!(rest >= 5);
    // Five pauses of 300 ms come after the head, not before it.
    assert!(head_arrived.elapsed() >= Duration::from_millis(900));
}

async fn body_len(response: reqwest::Response) -> u64 {
    let mut chunks = response.bytes_stream();
    let mut total = 0u64;
    while let Some(chunk) = chunks.next().await {
        total += u64::try_from(chunk.unwrap().len()).unwrap();
    }
    total
}

#[tokio::test]
async fn huge_streams_fifty_megabytes_with_or_without_a_length() {
    let shop = spawn_shop().await;
    let sized = raw_client()
        .get(shop.url("/trouble/huge"))
        .send()
        .await
        .unwrap();
    assert_eq!(sized.headers()[CONTENT_LENGTH], "52428800");
    assert!(
        sized.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(body_len(sized).await, 50 * 1024 * 1024);

    let chunked = raw_client()
        .get(shop.url("/trouble/huge?mb=3&chunked=true"))
        .send()
        .await
        .unwrap();
    assert!(chunked.headers().get(CONTENT_LENGTH).is_none());
    assert_eq!(body_len(chunked).await, 3 * 1024 * 1024);
}

#[tokio::test]
async fn the_gzip_bomb_is_small_on_the_wire_and_inflates_past_a_gigabyte() {
    let shop = spawn_shop().await;
    let response = raw_client()
        .get(shop.url("/trouble/gzip-bomb"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
    let body = response.bytes().await.unwrap();
    assert!(
        body.len() < 4 * 1024 * 1024,
        "{} bytes on the wire",
        body.len()
    );

    let mut decoder = flate2::read::GzDecoder::new(&body[..]);
    let mut buffer = vec![0u8; 1 << 20];
    let mut inflated = 0u64;
    loop {
        // The trailer's CRC and length are checked on the last read.
        let n = decoder.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        inflated += u64::try_from(n).unwrap();
    }
    assert!(inflated > 1_000_000_000, "{inflated}");
}

#[tokio::test]
async fn an_inflating_client_sees_zeros_until_it_gives_up() {
    let shop = spawn_shop().await;
    // reqwest's own gzip support, as the scraper would use it.
    let response = following_client()
        .get(shop.url("/trouble/gzip-bomb"))
        .send()
        .await
        .unwrap();
    let mut chunks = response.bytes_stream();
    let mut seen = 0usize;
    while seen < 20 * 1024 * 1024 {
        let chunk = chunks.next().await.unwrap().unwrap();
        assert!(chunk.iter().all(|b| *b == 0));
        seen += chunk.len();
    }
}

#[tokio::test]
async fn not_html_is_an_image_or_an_octet_stream() {
    let shop = spawn_shop().await;
    let png = raw_client()
        .get(shop.url("/trouble/not-html"))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()[CONTENT_TYPE], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    let octets = raw_client()
        .get(shop.url("/trouble/not-html?type=octet"))
        .send()
        .await
        .unwrap();
    assert_eq!(octets.headers()[CONTENT_TYPE], "application/octet-stream");
}

#[tokio::test]
async fn redirects_go_anywhere_they_are_told() {
    let shop = spawn_shop().await;
    let client = raw_client();
    let to_metadata = client
        .get(shop.url("/trouble/redirect?to=http://169.254.169.254/latest/meta-data/"))
        .send()
        .await
        .unwrap();
    assert_eq!(to_metadata.status(), 302);
    assert_eq!(
        to_metadata.headers()[LOCATION],
        "http://169.254.169.254/latest/meta-data/"
    );
    let temporary = client
        .get(shop.url("/trouble/redirect?to=http%3A%2F%2F10.0.0.1%2F%3Fa%3D1&status=307"))
        .send()
        .await
        .unwrap();
    assert_eq!(temporary.status(), 307);
    assert_eq!(temporary.headers()[LOCATION], "http://10.0.0.1/?a=1");
    assert_eq!(get_text(&shop, "/trouble/redirect").await.0, 400);
    assert_eq!(
        get_text(&shop, "/trouble/redirect?to=/x&status=200")
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn redirect_loops_and_chains() {
    let shop = spawn_shop().await;
    let looping = raw_client()
        .get(shop.url("/trouble/redirect-loop"))
        .send()
        .await
        .unwrap();
    assert_eq!(looping.status(), 302);
    assert_eq!(looping.headers()[LOCATION], "/trouble/redirect-loop");
    let following = following_client();
    assert!(
        following
            .get(shop.url("/trouble/redirect-loop"))
            .send()
            .await
            .is_err_and(|e| e.is_redirect())
    );
    let chain = following
        .get(shop.url("/trouble/redirect-chain?hops=3"))
        .send()
        .await
        .unwrap();
    assert_eq!(chain.status(), 200);
    assert_eq!(
        chain.url().as_str(),
        shop.url("/trouble/redirect-chain?hops=0")
    );
    assert!(chain.text().await.unwrap().contains("\"price\":\"15.00\""));
    assert!(
        following
            .get(shop.url("/trouble/redirect-chain"))
            .send()
            .await
            .is_err_and(|e| e.is_redirect())
    );
}

#[tokio::test]
async fn pages_without_a_product_price() {
    let shop = spawn_shop().await;
    let (status, no_price) = get_text(&shop, "/trouble/no-price").await;
    assert_eq!(status, 200);
    assert!(no_price.contains("Mystery Gadget"));
    assert!(!no_price.contains("price\""));
    assert!(!no_price.contains('€'));

    let (status, captcha) = get_text(&shop, "/trouble/captcha").await;
    assert_eq!(status, 200);
    assert!(captcha.contains("Are you a robot?"));
    assert_eq!(get_text(&shop, "/trouble/captcha?status=403").await.0, 403);
}
