//! A watch's rules, channels and cooldown through the api, and the
//! deliveries of its alerts in the notifications list.

use pricewatch_storage::queries::checks::{AlertLimits, CheckRecord, Recorded, record_check};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_of, spawn_app};

async fn channel(app: &TestApp, token: &str, url: &str, name: &str) -> String {
    let r = app
        .post_json(
            "/api/v1/channels",
            &json!({"url": url, "name": name}),
            Some(token),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = r.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn new_watch(app: &TestApp, token: &str, extra: Value) -> reqwest::Response {
    let mut body = json!({
        "url": format!("https://shop.example.com/p/{}", Uuid::new_v4().simple()),
        "target_price": "100.00",
        "frequency": "24h",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.post_json("/api/v1/watches", &body, Some(token)).await
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn rules_channels_and_cooldown_round_trip() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let phone = channel(&app, &token, "ntfy://prices", "phone").await;
    let hook = channel(&app, &token, "jsons://hooks.example.com/h", "hook").await;
    let rules = json!([
        {"kind": "below_target"},
        {"kind": "percent_drop", "percent": "10"},
        {"kind": "amount_drop", "amount": "5.00"},
        {"kind": "new_low", "days": 0},
        {"kind": "back_in_stock"},
        {"kind": "any_change"}
    ]);
    let r = new_watch(
        &app,
        &token,
        json!({"rules": rules, "channel_ids": [phone, hook, phone], "cooldown_minutes": 60}),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let watch: Value = r.json().await.unwrap();
    assert_eq!(watch["rules"], rules);
    assert_eq!(watch["cooldown_minutes"], 60);
    let ids: Vec<String> = serde_json::from_value(watch["channel_ids"].clone()).unwrap();
    assert_eq!(sorted(ids), sorted(vec![phone.clone(), hook.clone()]));
    let path = format!("/api/v1/watches/{}", watch["id"].as_str().unwrap());
    let got: Value = app.get(&path, Some(&token)).await.json().await.unwrap();
    assert_eq!(got["rules"], rules);
    assert_eq!(got["channel_ids"], watch["channel_ids"]);
    let list: Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["rules"], rules);

    let r = app
        .patch_json(
            &path,
            &json!({"rules": [{"kind": "any_change"}], "channel_ids": [], "cooldown_minutes": 0}),
            &token,
        )
        .await;
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["rules"], json!([{"kind": "any_change"}]));
    assert_eq!(updated["channel_ids"], json!([]));
    assert_eq!(updated["cooldown_minutes"], 0);
    // A PATCH of other fields leaves the alerting as it is.
    let r = app
        .patch_json(&path, &json!({"frequency": "6h"}), &token)
        .await;
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["rules"], json!([{"kind": "any_change"}]));

    // Without rules, a watch has today's single rule.
    let plain: Value = new_watch(&app, &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plain["rules"], json!([{"kind": "below_target"}]));
    assert_eq!(plain["channel_ids"], json!([]));
    assert_eq!(plain["cooldown_minutes"], 0);
    assert_eq!(
        app.sql(&format!(
            "SELECT 1 FROM watches WHERE id = '{}' AND rules IS NULL",
            plain["id"].as_str().unwrap()
        ))
        .await,
        1,
        "stored as no rules"
    );
}

#[tokio::test]
async fn bad_rules_channels_and_cooldowns_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let (_, other) = app.user().await;
    let foreign = channel(&app, &other, "ntfy://theirs", "theirs").await;
    let cases = [
        (json!({"rules": [{"kind": "sometimes"}]}), "rules"),
        (
            json!({"rules": [{"kind": "percent_drop", "percent": "-5"}]}),
            "rules",
        ),
        (
            json!({"rules": [{"kind": "percent_drop", "percent": "0"}]}),
            "rules",
        ),
        (
            json!({"rules": [{"kind": "percent_drop", "percent": "101"}]}),
            "rules",
        ),
        (json!({"rules": [{"kind": "percent_drop"}]}), "rules"),
        (
            json!({"rules": [{"kind": "amount_drop", "amount": "five"}]}),
            "rules",
        ),
        (
            json!({"rules": [{"kind": "amount_drop", "amount": "5,00"}]}),
            "rules",
        ),
        (json!({"rules": [{"kind": "new_low", "days": -1}]}), "rules"),
        (
            json!({"rules": [{"kind": "any_change"}, {"kind": "any_change"}]}),
            "rules",
        ),
        (json!({"rules": []}), "rules"),
        (json!({"rules": {"kind": "any_change"}}), "rules"),
        (json!({"rules": ["below_target"]}), "rules"),
        (json!({"cooldown_minutes": 10081}), "cooldown_minutes"),
        (json!({"cooldown_minutes": -1}), "cooldown_minutes"),
        (json!({"channel_ids": [foreign]}), "channel_ids"),
        (json!({"channel_ids": [Uuid::new_v4()]}), "channel_ids"),
    ];
    for (extra, field) in &cases {
        let (status, _, body) = error_of(new_watch(&app, &token, extra.clone()).await).await;
        assert_eq!(status, 422, "{extra}: {body}");
        assert_eq!(body["field"], *field, "{extra}: {body}");
    }
    let list: Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "no watch was created");

    let watch: Value = new_watch(&app, &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/watches/{}", watch["id"].as_str().unwrap());
    for (extra, field) in &cases {
        let (status, _, body) = error_of(app.patch_json(&path, extra, &token).await).await;
        assert_eq!(status, 422, "PATCH {extra}: {body}");
        assert_eq!(body["field"], *field, "PATCH {extra}: {body}");
    }
    let (_, _, body) = error_of(
        new_watch(
            &app,
            &token,
            json!({"rules": [{"kind": "below_target"}, {"kind": "percent_drop", "percent": "150"}]}),
        )
        .await,
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("rules[1].percent"),
        "{body}"
    );
}

#[tokio::test]
async fn a_deleted_channel_leaves_the_watches_that_named_it() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let phone = channel(&app, &token, "ntfy://prices", "phone").await;
    let hook = channel(&app, &token, "jsons://hooks.example.com/h", "hook").await;
    let watch: Value = new_watch(&app, &token, json!({"channel_ids": [phone, hook]}))
        .await
        .json()
        .await
        .unwrap();
    let r = app
        .delete(&format!("/api/v1/channels/{phone}"), Some(&token))
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .get(&format!("/api/v1/channels/{phone}"), Some(&token))
        .await;
    assert_eq!(r.status(), 404);
    let got: Value = app
        .get(
            &format!("/api/v1/watches/{}", watch["id"].as_str().unwrap()),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["channel_ids"], json!([hook]));
    let r = app
        .delete(&format!("/api/v1/channels/{phone}"), Some(&token))
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn notifications_list_their_deliveries_and_the_rules_that_fired() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let phone = channel(&app, &token, "ntfy://prices", "phone").await;
    let hook = channel(&app, &token, "jsons://hooks.example.com/h", "hook").await;
    let _unused = channel(&app, &token, "ntfy://other", "other").await;
    let watch: Value = new_watch(
        &app,
        &token,
        json!({"rules": [{"kind": "below_target"}, {"kind": "any_change"}], "channel_ids": [phone, hook]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let product_id: Uuid = watch["product"]["id"].as_str().unwrap().parse().unwrap();
    let mut conn = pricewatch_storage::pool::connect_once(&app.database_url)
        .await
        .unwrap();
    let reading = |amount: i64| CheckRecord {
        product_id,
        job_id: Uuid::new_v4(),
        amount: Decimal::new(amount, 0),
        currency: "EUR".into(),
        title: Some("Espresso machine".into()),
        image_url: None,
        in_stock: Some(true),
        method: "json_ld".into(),
        sources_agree: true,
        decision: "structured data and the visible page agree".into(),
        etag: None,
        last_modified: None,
    };
    record_check(&mut conn, &reading(150), AlertLimits::default())
        .await
        .unwrap();
    let recorded = record_check(&mut conn, &reading(90), AlertLimits::default())
        .await
        .unwrap();
    let Recorded::New { delivering, .. } = recorded else {
        panic!("{recorded:?}")
    };
    assert_eq!(delivering.len(), 1);
    app.sql(&format!(
        "UPDATE deliveries SET status = 'failed', attempts = 5, last_error = 'HTTP 500' \
         WHERE channel_id = '{hook}'"
    ))
    .await;

    let r = app.get("/api/v1/notifications", Some(&token)).await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["total"], 1, "{list}");
    let alert = &list["items"][0];
    assert_eq!(alert["rules"], json!(["below_target", "any_change"]));
    assert_eq!(alert["status"], "delivering");
    assert_eq!(alert["new_price"], "90.00");
    assert_eq!(
        alert["deliveries"],
        json!([
            {"channel_id": hook, "kind": "webhook", "name": "hook", "status": "failed",
             "attempts": 5, "last_error": "HTTP 500", "sent_at": null},
            {"channel_id": phone, "kind": "ntfy", "name": "phone", "status": "pending",
             "attempts": 0, "last_error": null, "sent_at": null},
        ])
    );
}
