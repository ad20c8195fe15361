//! The Atom feed of a user's alerts: valid Atom (checked with feedparser from
//! PyPI), updated after an alert, per tag, and ended by rotating its token.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of, spawn_app};

/// An alert for the watch, as the scraper-worker records one.
async fn alert(app: &TestApp, watch_id: &str, new_price: &str) {
    app.sql(&format!(
        "WITH w AS (SELECT id, user_id, product_id, target_price FROM watches WHERE id = '{watch_id}'),
              p AS (INSERT INTO price_history (product_id, job_id, amount, currency)
                    SELECT product_id, gen_random_uuid(), {new_price}, 'EUR' FROM w RETURNING id)
         INSERT INTO notifications (id, watch_id, user_id, product_id, price_history_id,
                                    old_price, new_price, currency, target_price)
         SELECT gen_random_uuid(), w.id, w.user_id, w.product_id, p.id, 250, {new_price}, 'EUR', w.target_price
         FROM w, p"
    ))
    .await;
    app.sql(&format!(
        "UPDATE products SET title = 'Espresso <Deluxe> & \"Co\"' WHERE id = (SELECT product_id FROM watches WHERE id = '{watch_id}')"
    ))
    .await;
}

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs scripts/check-feed.py (feedparser) on the feed text.
fn check_with_feedparser(xml: &str, entries: usize, title_part: &str) {
    let root = repo_root();
    let python = Command::new(root.join("scripts/ensure-feedparser.sh"))
        .output()
        .expect("scripts/ensure-feedparser.sh");
    assert!(
        python.status.success(),
        "cannot install feedparser: {}",
        String::from_utf8_lossy(&python.stderr)
    );
    let python = String::from_utf8(python.stdout).unwrap();
    let file = std::env::temp_dir().join(format!("pw-feed-{}.xml", uuid::Uuid::new_v4()));
    std::fs::write(&file, xml).unwrap();
    let out = Command::new(python.trim())
        .arg(root.join("scripts/check-feed.py"))
        .arg(&file)
        .arg(entries.to_string())
        .arg(title_part)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}{}\n{xml}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn feed(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path, None).await;
    let status = r.status().as_u16();
    if status == 200 {
        assert_eq!(
            r.headers()["content-type"],
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    (status, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_is_valid_atom_updates_after_an_alert_and_rotates() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let r = app
        .post_json(
            "/api/v1/watches",
            &json!({"url": "https://shop.example.com/p/espresso", "target_price": "200", "frequency": "24h", "tags": ["kitchen"]}),
            Some(&token),
        )
        .await;
    let kitchen: Value = r.json().await.unwrap();
    let garden = app
        .create_watch(&token, "https://shop.example.com/p/hose")
        .await;

    // No feed before a token is made; a read-only API token cannot make one.
    let r = app.get("/api/v1/feed/token", Some(&token)).await;
    assert_eq!(r.status(), 404);
    let (_, read) = app.api_token(&token, &["read"]).await;
    let r = app
        .post_json("/api/v1/feed/token", &json!({}), Some(&read))
        .await;
    assert_eq!(r.status(), 403);

    let r = app
        .post_json("/api/v1/feed/token", &json!({}), Some(&token))
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let feed_token = created["token"].as_str().unwrap().to_owned();
    assert!(feed_token.starts_with("pwf_"), "{feed_token}");
    let path = created["path"].as_str().unwrap().to_owned();
    assert_eq!(path, format!("/feeds/{feed_token}.atom"));
    assert!(created["url"].as_str().unwrap().ends_with(&path));
    let info: Value = app
        .get("/api/v1/feed/token", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["prefix"], created["prefix"]);
    assert!(info.get("token").is_none());

    // Empty, then one alert, then two.
    let (status, xml) = feed(&app, &path).await;
    assert_eq!(status, 200);
    check_with_feedparser(&xml, 0, "");
    alert(&app, kitchen["id"].as_str().unwrap(), "189.90").await;
    let (_, xml) = feed(&app, &path).await;
    check_with_feedparser(&xml, 1, "189.90 EUR");
    assert!(
        xml.contains("Espresso &lt;Deluxe&gt; &amp; &quot;Co&quot;: 189.90 EUR"),
        "{xml}"
    );
    assert!(xml.contains("href=\"https://shop.example.com/p/espresso\""));
    alert(&app, garden["id"].as_str().unwrap(), "42.00").await;
    let (_, xml) = feed(&app, &path).await;
    check_with_feedparser(&xml, 2, "42.00 EUR");

    // Per tag.
    let (_, xml) = feed(&app, &format!("{path}?tag=kitchen")).await;
    check_with_feedparser(&xml, 1, "189.90 EUR");
    assert!(xml.contains("<title>PriceWatch alerts: kitchen</title>"));
    let (_, xml) = feed(&app, &format!("{path}?tag=garden")).await;
    check_with_feedparser(&xml, 0, "");
    let (status, _) = feed(&app, &format!("{path}?tag=a%20b")).await;
    assert_eq!(status, 422);

    // Rotating ends the old URL at once; the new one works.
    let rotated: Value = app
        .post_json("/api/v1/feed/token", &json!({}), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let (status, _) = feed(&app, &path).await;
    assert_eq!(status, 404);
    let new_path = rotated["path"].as_str().unwrap();
    let (status, xml) = feed(&app, new_path).await;
    assert_eq!(status, 200);
    check_with_feedparser(&xml, 2, "42.00 EUR");

    // The feed token is no API token, and an API token opens no feed.
    let new_token = rotated["token"].as_str().unwrap();
    let (status, _, _) = error_of(app.get("/api/v1/watches", Some(new_token)).await).await;
    assert_eq!(status, 401);
    let (status, _) = feed(
        &app,
        "/feeds/pw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.atom",
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = feed(&app, "/feeds/nothing.atom").await;
    assert_eq!(status, 404);

    // Deleting turns the feed off.
    let r = app.delete("/api/v1/feed/token", Some(&token)).await;
    assert_eq!(r.status(), 204);
    let (status, _) = feed(&app, new_path).await;
    assert_eq!(status, 404);
    let r = app.delete("/api/v1/feed/token", Some(&token)).await;
    assert_eq!(r.status(), 404);
}
