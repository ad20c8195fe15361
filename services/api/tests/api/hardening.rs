//! What a hostile client tried, and what it must get now.

use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of, spawn_app, spawn_app_with};

async fn delete_user(app: &TestApp, email: &str) {
    let mut conn = pricewatch_storage::pool::connect_once(&app.database_url)
        .await
        .unwrap();
    diesel::sql_query(format!("DELETE FROM users WHERE email = '{email}'"))
        .execute(&mut conn)
        .await
        .unwrap();
}

fn watch_body(url: &str) -> Value {
    json!({"url": url, "target_price": "99.90", "frequency": "24h"})
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": password}),
        None,
    )
    .await
}

#[tokio::test]
async fn a_deleted_accounts_token_stops_working_and_never_makes_a_500() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    app.create_watch(&token, "https://shop.example.com/p/1")
        .await;
    delete_user(&app, &email).await;

    let r = app
        .post_json(
            "/api/v1/watches",
            &watch_body("https://shop.example.com/p/2"),
            Some(&token),
        )
        .await;
    let (status, code, _) = error_of(r).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));

    // Reads stop within the account cache's freshness.
    let started = Instant::now();
    loop {
        let status = app.get("/api/v1/watches", Some(&token)).await.status();
        assert!(status == 200 || status == 401, "{status}");
        if status == 401 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the token of a deleted account still reads"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_password_change_ends_the_tokens_issued_before_it() {
    let app = spawn_app().await;
    let (email, old_token) = app.user().await;
    let r = app
        .post_json(
            "/api/v1/me/password",
            &json!({"current_password": "wrong horse 9", "new_password": "a new horse 10"}),
            Some(&old_token),
        )
        .await;
    let (status, _, body) = error_of(r).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("current_password"))
    );

    let r = app
        .post_json(
            "/api/v1/me/password",
            &json!({"current_password": "correct horse 9", "new_password": "a new horse 10"}),
            Some(&old_token),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let new_token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(app.get("/api/v1/me", Some(&old_token)).await.status(), 401);
    assert_eq!(app.get("/api/v1/me", Some(&new_token)).await.status(), 200);
    assert_eq!(login(&app, &email, "correct horse 9").await.status(), 401);
    assert_eq!(login(&app, &email, "a new horse 10").await.status(), 200);
}

#[tokio::test]
async fn urls_that_reach_this_machine_or_hide_characters_are_refused() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let long_typed = format!("https://shop.example.com/{}", "\u{e9}".repeat(1000));
    for url in [
        long_typed.as_str(),
        "http://localhost/",
        "http://LOCALHOST./",
        "http://localhost.localdomain/",
        "http://foo.localhost/",
        "http://\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}/",
        "http://[2002:7f00:1::]/",
        "http://[::ffff:0:127.0.0.1]/",
        "http://[fec0::1]/",
        "http://[64:ff9b::10.0.0.1]/",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
        "https://shop.example.com/p\u{0}x",
        "https://shop.example.com/p\r\nx",
        "https://shop.example.com/p\u{85}x",
    ] {
        let r = app
            .post_json("/api/v1/watches", &watch_body(url), Some(&token))
            .await;
        let (status, _, body) = error_of(r).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("url")),
            "{url:?}: {body}"
        );
    }
    let list: Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing was stored");
}

#[tokio::test]
async fn look_alike_and_invisible_emails_are_the_same_account_or_refused() {
    let app = spawn_app().await;
    let register = |email: &'static str| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/register",
                &json!({"email": email, "password": "correct horse 9"}),
                None,
            )
            .await
        }
    };
    assert_eq!(register("alice@example.com").await.status(), 201);
    for same in [
        "alice\u{200b}@example.com",
        "\u{ff41}lice@example.com",
        "ALICE@EXAMPLE.COM",
    ] {
        let (status, code, _) = error_of(register(same).await).await;
        assert_eq!((status, code.as_str()), (409, "email_taken"), "{same:?}");
    }
    for bad in [
        "\u{430}lice@example.com",
        "AL\u{130}CE@example.com",
        "<script>@example.com",
    ] {
        let (status, _, body) = error_of(register(bad).await).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("email")),
            "{bad:?}"
        );
    }
    // The invisible form logs in to the one account.
    assert_eq!(
        login(&app, "alice\u{200b}@example.com", "correct horse 9")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn loose_json_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    for (body, field) in [
        (
            r#"{"url": "https://a.example.com/p", "url": "https://b.example.com/p", "target_price": "1", "frequency": "24h"}"#,
            "url",
        ),
        (
            r#"{"url": "https://a.example.com/p", "target_price": "1_000", "frequency": "24h"}"#,
            "target_price",
        ),
        (
            r#"{"url": "https://a.example.com/p", "target_price": 1e400, "frequency": "24h"}"#,
            "target_price",
        ),
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/watches"))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, _, error) = error_of(r).await;
        assert_eq!(
            (status, error["field"].as_str()),
            (422, Some(field)),
            "{body}: {error}"
        );
    }
}

#[tokio::test]
async fn every_query_error_names_its_parameter_in_words() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let watch = app
        .create_watch(&token, "https://shop.example.com/p/1")
        .await;
    let product = watch["product"]["id"].as_str().unwrap();
    let twenty_digits = "9".repeat(20);
    for (path, field) in [
        ("/api/v1/watches?per_page=1e9".to_owned(), "per_page"),
        ("/api/v1/watches?per_page=".to_owned(), "per_page"),
        ("/api/v1/watches?page=abc".to_owned(), "page"),
        (format!("/api/v1/watches?page={twenty_digits}"), "page"),
        ("/api/v1/notifications?per_page=x".to_owned(), "per_page"),
        (
            format!("/api/v1/products/{product}/prices?from=notadate"),
            "from",
        ),
    ] {
        let (status, _, body) = error_of(app.get(&path, Some(&token)).await).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some(field)),
            "{path}: {body}"
        );
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{field} must be")),
            "{message}"
        );
    }
}

#[tokio::test]
async fn answers_that_carry_tokens_are_never_cached() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let r = login(&app, &email, "correct horse 9").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn unsupported_methods_are_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/v1/watches", "GET, POST"),
        (reqwest::Method::PUT, "/api/v1/auth/login", "POST"),
        (reqwest::Method::POST, "/health/live", "GET"),
    ] {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        let (status, code, _) = error_of(r).await;
        assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
    }
}

#[tokio::test]
async fn a_refused_cors_preflight_answers_in_the_json_error_shape() {
    let app = spawn_app().await;
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/watches"))
        .header("Origin", "https://evil.example.net")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let (status, code, _) = error_of(r).await;
    assert_eq!((status, code.as_str()), (400, "cors_refused"));
}

#[tokio::test]
async fn detailed_health_is_for_internal_addresses_or_the_token() {
    let app = spawn_app_with(&[
        "--trusted-proxies=127.0.0.1/32",
        "--health-detailed-token=operators-only-token-0123456789",
    ])
    .await;
    let from = |ip: &'static str, token: Option<&'static str>| {
        let app = &app;
        async move {
            let mut req = app
                .client
                .get(app.url("/health/detailed"))
                .header("X-Forwarded-For", ip);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.unwrap()
        }
    };
    let (status, code, body) = error_of(from("203.0.113.7", None).await).await;
    assert_eq!((status, code.as_str()), (403, "forbidden"));
    assert!(body.get("components").is_none());
    let (status, _, _) = error_of(from("203.0.113.7", Some("a-wrong-token")).await).await;
    assert_eq!(status, 403);
    let ok = from("203.0.113.7", Some("operators-only-token-0123456789")).await;
    assert!(ok.status() == 200 || ok.status() == 503, "{}", ok.status());
    assert!(ok.json::<Value>().await.unwrap()["components"].is_object());
    let internal = from("10.1.2.3", None).await;
    assert!(internal.json::<Value>().await.unwrap()["components"].is_object());
    // The public probes stay public.
    assert_eq!(app.get("/health/live", None).await.status(), 200);
}

#[tokio::test]
async fn the_api_starts_one_worker_per_usable_cpu_by_default() {
    use clap::Parser;
    let parse = |extra: &[&str]| {
        let mut args = vec![
            "pricewatch-api",
            "--secret-key=test-secret-key-for-the-test-suite-only-0123456789",
            "--database-url=postgres://postgres@127.0.0.1/unused",
            "--redis-url=redis://127.0.0.1:6379/0",
            "--amqp-url=amqp://guest:guest@127.0.0.1:5672/%2f",
        ];
        args.extend_from_slice(extra);
        pricewatch_api::Settings::try_parse_from(args).unwrap()
    };
    // available_parallelism follows the CPU affinity and the cgroup quota.
    let cpus = std::thread::available_parallelism().unwrap().get();
    assert_eq!(parse(&[]).worker_count(), cpus);
    assert_eq!(parse(&["--workers="]).worker_count(), cpus);
    assert_eq!(parse(&["--workers=3"]).worker_count(), 3);
}
