//! Imports: per-line outcomes, dry runs, idempotence, bounds, spread checks.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of, spawn_app, spawn_app_with};

pub async fn import(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/imports{query}")))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn report(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: String,
) -> Value {
    let r = import(app, token, query, content_type, body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub async fn count(app: &TestApp, query: &str) -> i64 {
    let mut conn = pricewatch_storage::pool::connect_once(&app.database_url)
        .await
        .unwrap();
    diesel::sql_query(query)
        .get_result::<Count>(&mut conn)
        .await
        .unwrap()
        .n
}

#[tokio::test]
async fn a_text_list_imports_line_by_line_and_never_twice() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let body = "# from my old tracker\n\
                https://shop.example.com/p/1 19.99\n\
                https://shop.example.com/p/2\n\
                \n\
                https://shop.example.com/p/1?utm_source=x 5\n\
                http://192.168.1.1/admin 5\n"
        .to_owned();

    let dry = report(&app, &token, "?dry_run=true", "text/plain", body.clone()).await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["format"], "text");
    let outcomes: Vec<(u64, &str)> = dry["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["line"].as_u64().unwrap(), o["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (2, "would_create"),
            (3, "refused"),
            (5, "duplicate"),
            (6, "refused")
        ]
    );
    assert_eq!(dry["outcomes"][1]["code"], "missing_target_price");
    assert_eq!(dry["outcomes"][2]["duplicate_of"], 2);
    assert_eq!(dry["outcomes"][3]["code"], "private_address");
    assert_eq!(dry["summary"]["would_create"], 1);
    // A dry run writes nothing.
    let list: Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM products").await, 0);

    // A default target price completes the bare line.
    let done = report(
        &app,
        &token,
        "?target_price=50&frequency=12h",
        "text/plain",
        body.clone(),
    )
    .await;
    assert_eq!(
        done["summary"],
        json!({"entries": 4, "created": 2, "would_create": 0, "exists": 0, "duplicate": 1, "refused": 1})
    );
    let created = &done["outcomes"][0];
    assert_eq!(created["url"], "https://shop.example.com/p/1");
    let id = created["watch_id"].as_str().unwrap();
    let watch: Value = app
        .get(&format!("/api/v1/watches/{id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (watch["target_price"].as_str(), watch["frequency"].as_str()),
        (Some("19.99"), Some("12h"))
    );
    let second: Value = app
        .get(
            &format!(
                "/api/v1/watches/{}",
                done["outcomes"][1]["watch_id"].as_str().unwrap()
            ),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["target_price"], "50.00");

    // Again: nothing twice.
    let again = report(&app, &token, "?target_price=50", "text/plain", body).await;
    assert_eq!(again["summary"]["created"], 0);
    assert_eq!(again["summary"]["exists"], 2);
    assert_eq!(again["outcomes"][0]["watch_id"], created["watch_id"]);
    let list: Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn a_csv_file_with_frequencies_and_tags() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let body = "url,target_price,frequency,tags\r\n\
                https://shop.example.com/p/a,10,6h,kitchen;sale\r\n\
                \"https://shop.example.com/p/b?x=1,2\",\"7.50\",,garden\r\n\
                https://shop.example.com/p/c,10,7h,\r\n\
                https://shop.example.com/p/d,10,24h,bad tag!\r\n"
        .to_owned();
    let r = report(&app, &token, "", "text/csv; charset=utf-8", body).await;
    assert_eq!(r["format"], "csv");
    let o = r["outcomes"].as_array().unwrap();
    assert_eq!(o[0]["outcome"], "created");
    assert_eq!(o[1]["outcome"], "created");
    assert_eq!(o[1]["url"], "https://shop.example.com/p/b?x=1,2");
    assert_eq!(
        (o[2]["code"].as_str(), o[2]["line"].as_u64()),
        (Some("bad_frequency"), Some(4))
    );
    assert_eq!(o[3]["code"], "bad_tags");
    let kitchen: Value = app
        .get("/api/v1/watches?tag=kitchen", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kitchen["total"], 1);
    assert_eq!(kitchen["items"][0]["frequency"], "6h");
    assert_eq!(kitchen["items"][0]["tags"], json!(["kitchen", "sale"]));
}

/// The fetch mode of each of the user's watches, by URL.
async fn fetch_modes(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let list: Value = app
        .get("/api/v1/watches", Some(token))
        .await
        .json()
        .await
        .unwrap();
    let mut modes: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["product"]["url"].as_str().unwrap().to_owned(),
                w["fetch_mode"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    modes.sort();
    modes
}

#[tokio::test]
async fn csv_and_json_entries_choose_their_fetch_mode() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let body = "url,target_price,fetch_mode\n\
                https://shop.example.com/app/1,10,browser\n\
                https://shop.example.com/app/2,10,HTTP\n\
                https://shop.example.com/app/3,10,\n\
                https://shop.example.com/app/4,10,chrome\n"
        .to_owned();
    let r = report(&app, &token, "", "text/csv", body).await;
    let o = r["outcomes"].as_array().unwrap();
    let outcomes: Vec<&str> = o.iter().map(|o| o["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["created", "created", "created", "refused"]);
    assert_eq!(
        (o[3]["code"].as_str(), o[3]["line"].as_u64()),
        (Some("bad_fetch_mode"), Some(5))
    );
    assert!(
        o[3]["reason"].as_str().unwrap().contains("chrome"),
        "{}",
        o[3]
    );

    let body = json!({"format": "pricewatch-export", "version": 1, "watches": [
        {"url": "https://shop.example.com/app/5", "target_price": "10", "fetch_mode": "browser"},
        {"url": "https://shop.example.com/app/6", "target_price": "10", "fetch_mode": 1},
        {"url": "https://shop.example.com/app/7", "target_price": "10", "fetch_mode": "sometimes"},
    ]})
    .to_string();
    let r = report(&app, &token, "", "application/json", body).await;
    let codes: Vec<(&str, Option<&str>)> = r["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["outcome"].as_str().unwrap(), o["code"].as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("created", None),
            ("refused", Some("bad_line")),
            ("refused", Some("bad_fetch_mode"))
        ]
    );

    let modes = fetch_modes(&app, &token).await;
    let modes: Vec<(&str, &str)> = modes
        .iter()
        .map(|(u, m)| (u.as_str(), m.as_str()))
        .collect();
    assert_eq!(
        modes,
        [
            ("https://shop.example.com/app/1", "browser"),
            ("https://shop.example.com/app/2", "http"),
            ("https://shop.example.com/app/3", "auto"),
            ("https://shop.example.com/app/5", "browser"),
        ]
    );
}

#[tokio::test]
async fn bounds_scopes_and_limits() {
    let app = spawn_app_with(&["--max-watches-per-user=2"]).await;
    let (_, token) = app.user().await;
    let body = (1..=3)
        .map(|i| format!("https://shop.example.com/p/{i} 9\n"))
        .collect::<String>();
    let r = report(&app, &token, "", "text/plain", body).await;
    let codes: Vec<&str> = r["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["created", "created", "refused"]);
    assert_eq!(r["outcomes"][2]["code"], "watch_limit_reached");

    let (_, read) = app.api_token(&token, &["read"]).await;
    let r = import(
        &app,
        &read,
        "?dry_run=true",
        "text/plain",
        "https://shop.example.com/p/9 1\n".into(),
    )
    .await;
    assert_eq!(r.status(), 403);

    let big = format!("https://shop.example.com/p/{} 1\n", "x".repeat(1024 * 1024));
    let (status, code, _) = error_of(import(&app, &token, "", "text/plain", big).await).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
    let many = "https://a.example/ 1\n".repeat(10_001);
    let (status, _, _) = error_of(import(&app, &token, "", "text/plain", many).await).await;
    assert_eq!(status, 422);
    let (status, _, _) =
        error_of(import(&app, &token, "", "text/plain", "\n# nothing\n".into()).await).await;
    assert_eq!(status, 422);
    let (status, _, _) = error_of(import(&app, &token, "", "image/png", "x".into()).await).await;
    assert_eq!(status, 400);
    let (status, _, body) = error_of(
        import(
            &app,
            &token,
            "?target_price=abc",
            "text/plain",
            "https://a.example/\n".into(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("target_price"))
    );
    let (status, _, _) =
        error_of(import(&app, &token, "", "application/json", "{".into()).await).await;
    assert_eq!(status, 400);
}

/// 5,000 lines holding every kind of bad line: each gets its own outcome,
/// a second run creates nothing, and the first checks are spread out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_lines_every_kind_of_bad_line() {
    let app = spawn_app_with(&["--max-watches-per-user=10000"]).await;
    let (_, token) = app.user().await;
    let mut body = String::new();
    let mut expected: Vec<(usize, &str, Option<&str>)> = Vec::new();
    let hosts = [
        "shop-a.example.com",
        "shop-b.example.com",
        "shop-c.example.net",
    ];
    let mut valid = 0;
    let mut push =
        |body: &mut String, text: String, outcome: Option<(&'static str, Option<&'static str>)>| {
            let line = body.lines().count() + 1;
            body.push_str(&text);
            body.push('\n');
            if let Some((o, code)) = outcome {
                expected.push((line, o, code));
            }
        };
    let mut i = 0;
    let mut lines = 0;
    while lines < 5_000 {
        lines += 1;
        i += 1;
        let host = hosts[i % hosts.len()];
        match i % 16 {
            0 => push(
                &mut body,
                format!("ftp://{host}/p/{i} 5"),
                Some(("refused", Some("bad_url"))),
            ),
            1 => push(
                &mut body,
                "http:// 5".to_owned(),
                Some(("refused", Some("bad_url"))),
            ),
            2 => push(
                &mut body,
                format!("http://10.0.{}.1/p 5", i % 250),
                Some(("refused", Some("private_address"))),
            ),
            3 => push(
                &mut body,
                "http://localhost:8080/x 5".to_owned(),
                Some(("refused", Some("private_address"))),
            ),
            4 => push(
                &mut body,
                format!("https://{host}/p/{i} abc"),
                Some(("refused", Some("bad_price"))),
            ),
            5 => push(
                &mut body,
                format!("https://{host}/p/{i} -3"),
                Some(("refused", Some("bad_price"))),
            ),
            6 => push(
                &mut body,
                format!("https://{host}/p/{i}"),
                Some(("refused", Some("missing_target_price"))),
            ),
            7 => push(
                &mut body,
                format!("https://{host}/p/{i} 1 2"),
                Some(("refused", Some("bad_line"))),
            ),
            // A few over-long lines (the whole body stays under 1 MiB).
            8 if i % 160 == 8 => push(
                &mut body,
                format!("https://{host}/p/{}", "y".repeat(5000)),
                Some(("refused", Some("line_too_long"))),
            ),
            8 => push(
                &mut body,
                format!("https://{host}/p/{i} 0"),
                Some(("refused", Some("bad_price"))),
            ),
            9 => push(&mut body, "# a comment".to_owned(), None),
            10 => push(&mut body, String::new(), None),
            // The same product as a line created a round earlier (15 ≡ 0 mod 3:
            // the same shop), written differently.
            11 if i > 16 => push(
                &mut body,
                format!("HTTPS://{}/p/{}#top 9.99", host.to_uppercase(), i - 15),
                Some(("duplicate", None)),
            ),
            _ => {
                valid += 1;
                push(
                    &mut body,
                    format!("https://{host}/p/{i}?utm_source=old 12.50"),
                    Some(("created", None)),
                );
            }
        }
    }
    let started = std::time::Instant::now();
    let first = report(&app, &token, "", "text/plain", body.clone()).await;
    eprintln!("5,000-line import: {:?}", started.elapsed());
    let outcomes = first["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), expected.len());
    for (o, (line, outcome, code)) in outcomes.iter().zip(&expected) {
        assert_eq!(o["line"].as_u64().unwrap() as usize, *line, "{o}");
        let got = (o["outcome"].as_str().unwrap(), o["code"].as_str());
        assert_eq!(got, (*outcome, *code), "line {line}: {o}");
    }
    let created = first["summary"]["created"].as_u64().unwrap() as usize;
    assert_eq!(created, valid);
    for kind in ["duplicate", "refused"] {
        assert!(
            expected.iter().filter(|e| e.1 == kind).count() > 100,
            "{kind}"
        );
    }
    let watches = count(&app, "SELECT count(*) AS n FROM watches").await;
    assert_eq!(watches as usize, created);

    // The first checks are spread: per shop, at once for the first, then
    // evenly within the hour; never two of one shop at the same moment.
    let due_now = count(
        &app,
        "SELECT count(*) AS n FROM products WHERE next_check_at < (SELECT min(next_check_at) FROM products) + interval '2 seconds'",
    )
    .await;
    assert_eq!(due_now, hosts.len() as i64);
    let late = count(
        &app,
        "SELECT count(*) AS n FROM products WHERE next_check_at > (SELECT min(next_check_at) FROM products) + interval '1 hour'",
    )
    .await;
    assert_eq!(late, 0);
    let crowded = count(
        &app,
        "SELECT count(*) AS n FROM (SELECT host, next_check_at - lag(next_check_at) OVER (PARTITION BY host ORDER BY next_check_at) AS gap FROM products) g WHERE gap < interval '1 second'",
    )
    .await;
    assert_eq!(crowded, 0);

    // A second run creates nothing.
    let second = report(&app, &token, "", "text/plain", body).await;
    assert_eq!(second["summary"]["created"], 0);
    assert_eq!(
        second["summary"]["exists"].as_u64().unwrap() as usize,
        created
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM watches").await as usize,
        created
    );
}
