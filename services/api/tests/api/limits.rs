//! Abuse limits: per client address, per account, per user and per product.

use std::time::{Duration, Instant};

use deadpool_redis::redis;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of, spawn_app_with};

async fn login_from(app: &TestApp, ip: Option<&str>, email: &str, password: &str) -> u16 {
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}));
    if let Some(ip) = ip {
        req = req.header("X-Forwarded-For", ip);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_forged_forwarded_for_does_not_escape_the_login_limit() {
    let app = spawn_app_with(&["--auth-rate-limit-per-minute=3"]).await;
    let (email, _) = app.user().await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(login_from(&app, None, &email, "wrong horse 1").await);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    for forged in ["198.51.100.8, 127.0.0.1", "198.51.100.9"] {
        assert_eq!(
            login_from(&app, Some(forged), &email, "wrong horse 1").await,
            429,
            "X-Forwarded-For from an untrusted peer must be ignored: {forged}"
        );
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    let app = spawn_app_with(&[
        "--auth-rate-limit-per-minute=3",
        "--trusted-proxies=127.0.0.1/32",
    ])
    .await;
    let (email, _) = app.user().await;
    for _ in 0..3 {
        login_from(&app, Some("203.0.113.1"), &email, "wrong horse 1").await;
    }
    assert_eq!(
        login_from(&app, Some("203.0.113.1"), &email, "wrong horse 1").await,
        429
    );
    // A client's own claim left of the proxy's entry is not believed.
    assert_eq!(
        login_from(
            &app,
            Some("198.51.100.8, 203.0.113.1"),
            &email,
            "wrong horse 1"
        )
        .await,
        429
    );
    assert_eq!(
        login_from(&app, Some("203.0.113.2"), &email, "correct horse 9").await,
        200
    );
}

#[tokio::test]
async fn wrong_passwords_from_anyone_never_lock_the_owner_out() {
    let app = spawn_app_with(&[
        "--auth-rate-limit-per-minute=3",
        "--trusted-proxies=127.0.0.1/32",
    ])
    .await;
    let (email, _) = app.user().await;
    // An attacker spread over many addresses: 12 failures on one account.
    for i in 0..12 {
        let ip = format!("198.51.100.{i}");
        assert_eq!(
            login_from(&app, Some(&ip), &email, "wrong horse 1").await,
            401
        );
    }
    let started = Instant::now();
    assert_eq!(
        login_from(&app, Some("203.0.113.50"), &email, "correct horse 9").await,
        200,
        "the owner gets in"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "a login to an attacked account is slowed down"
    );
    assert!(started.elapsed() < Duration::from_secs(8));

    // Redis holds no address or email in plain text.
    let mut conn = redis::Client::open("redis://127.0.0.1:6379/0")
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", app.redis_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(keys.iter().any(|k| k.contains(":rl:")), "{keys:?}");
    let local = email.split('@').next().unwrap();
    for key in &keys {
        assert!(
            !key.contains(local) && !key.contains('@') && !key.contains("198.51.100"),
            "{key}"
        );
    }
}

#[tokio::test]
async fn the_window_slides_so_no_boundary_lets_a_double_burst_through() {
    let pool = pricewatch_ops::redis::connect_pool(
        &secrecy::SecretString::from("redis://127.0.0.1:6379/0"),
        2,
    )
    .unwrap();
    let key = format!("pwtest-{}:rl:window", uuid::Uuid::new_v4().simple());
    let window = Duration::from_secs(60);
    let hit = |at_ms: i64| {
        let pool = pool.clone();
        let key = key.clone();
        async move {
            pricewatch_api::rate_limit::sliding_window(&pool, &key, 10, window, at_ms)
                .await
                .unwrap()
        }
    };
    let base = 1_000_000_000_000;
    // Ten tries late in one minute, then a burst just after the minute turns.
    for i in 0..10 {
        assert_eq!(hit(base + 50_000 + i * 1000).await, None);
    }
    let mut admitted = 0;
    for i in 0..10 {
        if hit(base + 60_100 + i * 10).await.is_none() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 0, "a fixed window would admit 10 more here");
    // The wait is until the oldest try leaves the window.
    let wait = hit(base + 60_100).await.unwrap();
    assert_eq!(wait, Duration::from_millis(49_900));
    assert_eq!(hit(base + 110_001).await, None);
}

#[tokio::test]
async fn an_account_has_a_watch_limit_even_under_concurrent_creates() {
    let app = spawn_app_with(&["--max-watches-per-user=3"]).await;
    let (_, token) = app.user().await;
    let creates = (0..8).map(|i| {
        let app = &app;
        let token = &token;
        async move {
            app.post_json(
                "/api/v1/watches",
                &json!({"url": format!("https://shop.example.com/p/{i}"), "target_price": "10", "frequency": "24h"}),
                Some(token),
            )
            .await
        }
    });
    let responses = futures_util::future::join_all(creates).await;
    let mut created = 0;
    for r in responses {
        match r.status().as_u16() {
            201 => created += 1,
            _ => {
                let (status, code, _) = error_of(r).await;
                assert_eq!((status, code.as_str()), (409, "watch_limit_reached"));
            }
        }
    }
    assert_eq!(created, 3);
    let list: Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 3);
}

#[tokio::test]
async fn check_now_runs_at_most_once_per_interval_per_product() {
    let app = spawn_app_with(&["--check-now-min-interval-seconds=300"]).await;
    let (_, alice) = app.user().await;
    let (_, bob) = app.user().await;
    let url = "https://shop.example.com/p/shared";
    let a = app.create_watch(&alice, url).await;
    let b = app.create_watch(&bob, url).await;
    let check = |watch: &Value, token: &str| {
        let path = format!("/api/v1/watches/{}/check", watch["id"].as_str().unwrap());
        let token = token.to_owned();
        let app = &app;
        async move { app.post_json(&path, &json!({}), Some(&token)).await }
    };
    assert_eq!(check(&a, &alice).await.status(), 202);
    let again = check(&a, &alice).await;
    let retry: u64 = again.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    let (status, code, _) = error_of(again).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    // The same product through another user's watch: still once.
    assert_eq!(check(&b, &bob).await.status(), 429);
}
