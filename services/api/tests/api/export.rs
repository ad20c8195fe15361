//! Export: streamed JSON and CSV, and an export imported into a fresh account
//! reproduces the watches and the history.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of, spawn_app};
use crate::import::import;

async fn readings(app: &TestApp, product: &str, n: u32) {
    app.sql(&format!(
        "INSERT INTO price_history (product_id, job_id, amount, currency, in_stock, observed_at)
         SELECT '{product}', gen_random_uuid(), 100 + g / 100.0, 'EUR', g % 2 = 0,
                now() - make_interval(mins => g)
         FROM generate_series(1, {n}) g"
    ))
    .await;
}

async fn export(app: &TestApp, token: &str, query: &str) -> (String, String) {
    let r = app
        .get(&format!("/api/v1/export{query}"), Some(token))
        .await;
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    (content_type, r.text().await.unwrap())
}

/// (url, target, frequency, active, tags, number of prices) of each watch.
fn shape(export: &Value) -> BTreeSet<String> {
    export["watches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{} {} {} {} {} {} {}",
                w["url"],
                w["target_price"],
                w["frequency"],
                w["active"],
                w["tags"],
                w["fetch_mode"],
                w["prices"].as_array().map_or(0, Vec::len)
            )
        })
        .collect()
}

#[tokio::test]
async fn export_then_import_into_a_fresh_account_reproduces_it() {
    let app = spawn_app().await;
    let (_, alice) = app.user().await;
    let mut products = Vec::new();
    for (i, tags) in [json!(["kitchen"]), json!([]), json!(["a", "b"])]
        .into_iter()
        .enumerate()
    {
        let r = app
            .post_json(
                "/api/v1/watches",
                &json!({"url": format!("https://shop.example.com/p/{i}"), "target_price": format!("{}.5", i + 1), "frequency": "12h", "tags": tags}),
                Some(&alice),
            )
            .await;
        assert_eq!(r.status(), 201);
        let w: Value = r.json().await.unwrap();
        products.push((
            w["id"].as_str().unwrap().to_owned(),
            w["product"]["id"].as_str().unwrap().to_owned(),
        ));
    }
    let paused = &products[1].0;
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/watches/{paused}")))
        .bearer_auth(&alice)
        .json(&json!({"active": false, "fetch_mode": "browser"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    readings(&app, &products[0].1, 2_500).await;
    readings(&app, &products[1].1, 3).await;

    // A read token may export.
    let (_, read) = app.api_token(&alice, &["read"]).await;
    let (content_type, text) = export(&app, &read, "?format=json").await;
    assert!(content_type.starts_with("application/json"));
    let exported: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(exported["format"], "pricewatch-export");
    assert_eq!(exported["version"], 1);
    let watches = exported["watches"].as_array().unwrap();
    assert_eq!(watches.len(), 3);
    let counts: Vec<usize> = watches
        .iter()
        .map(|w| w["prices"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [2_500, 3, 0]);
    let first = &watches[0];
    assert_eq!(first["tags"], json!(["kitchen"]));
    assert_eq!(first["target_price"], "1.50");
    assert_eq!(first["fetch_mode"], "auto");
    assert_eq!(watches[1]["fetch_mode"], "browser");
    let times: Vec<&str> = first["prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["observed_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(times, sorted, "readings oldest first");
    assert_eq!(first["prices"][0]["currency"], "EUR");
    assert_eq!(first["prices"][2_499]["amount"], "100.01");

    // Into a fresh account: the same watches and the same history.
    let (_, bob) = app.user().await;
    let r = import(&app, &bob, "", "application/json", text.clone()).await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["summary"]["created"], 3, "{report}");
    let (_, again) = export(&app, &bob, "").await;
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(shape(&again), shape(&exported));
    assert_eq!(shape(&again).len(), 3);

    // CSV: one row per reading, and one for a watch without any.
    let (content_type, csv) = export(&app, &alice, "?format=csv").await;
    assert!(content_type.starts_with("text/csv"));
    let rows: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        rows[0],
        "watch_id,url,title,target_price,frequency,active,tags,observed_at,amount,currency,in_stock"
    );
    assert_eq!(rows.len(), 1 + 2_500 + 3 + 1);
    assert!(
        rows.iter()
            .any(|r| r.contains("https://shop.example.com/p/2,,3.50,12h,true,a b,,,,")),
        "{}",
        rows[rows.len() - 1]
    );

    // Without history; bad parameters.
    let (_, slim) = export(&app, &alice, "?history=false").await;
    let slim: Value = serde_json::from_str(&slim).unwrap();
    assert_eq!(slim["watches"].as_array().unwrap().len(), 3);
    assert!(slim["watches"][0].get("prices").is_none());
    let (_, csv_slim) = export(&app, &alice, "?format=csv&history=false").await;
    assert_eq!(csv_slim.split("\r\n").filter(|l| !l.is_empty()).count(), 4);
    let (status, _, body) =
        error_of(app.get("/api/v1/export?format=xml", Some(&alice)).await).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("format")));
    // Someone else exports only their own (empty) list.
    let (_, carol) = app.user().await;
    let (_, empty) = export(&app, &carol, "").await;
    assert_eq!(
        serde_json::from_str::<Value>(&empty).unwrap()["watches"],
        json!([])
    );
    let (_, empty_csv) = export(&app, &carol, "?format=csv").await;
    assert_eq!(empty_csv.lines().count(), 1);
}

/// A client that reads an export slowly holds no database connection: with
/// a pool of one, other requests still get through meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_export_holds_no_database_connection() {
    let app = crate::helpers::spawn_app_with(&["--database-pool-size=1"]).await;
    let (_, token) = app.user().await;
    let w = app
        .create_watch(&token, "https://shop.example.com/p/long")
        .await;
    readings(&app, w["product"]["id"].as_str().unwrap(), 60_000).await;
    // Headers read, body left unread: the server fills the socket and waits.
    let slow = app.get("/api/v1/export?format=csv", Some(&token)).await;
    assert_eq!(slow.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let r = app.get("/api/v1/watches", Some(&token)).await;
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // And the export completes once read.
    let csv = slow.text().await.unwrap();
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 60_001);
}
