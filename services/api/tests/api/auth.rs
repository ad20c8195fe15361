use serde_json::{Value, json};

use crate::helpers::{error_of, spawn_app, spawn_app_with};

#[tokio::test]
async fn register_login_me_round_trip_with_stable_shapes() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "  Alice@Example.com ", "password": "correct horse 9"}),
            None,
        )
        .await;
    assert_eq!(r.status(), 201);
    let user: Value = r.json().await.unwrap();
    assert_eq!(user["email"], "alice@example.com");
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    insta::assert_json_snapshot!("registered_user", user, {".id" => "[uuid]", ".created_at" => "[time]"});

    let r = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "alice@example.com", "password": "correct horse 9"}),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let token: Value = r.json().await.unwrap();
    insta::assert_json_snapshot!("token", token, {".access_token" => "[jwt]"});

    let me: Value = app
        .get("/api/v1/me", token["access_token"].as_str())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_read_the_same() {
    let app = spawn_app().await;
    let (email, _) = app.user().await;
    let wrong = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": "not the password 1"}),
            None,
        )
        .await;
    let unknown = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "nobody@example.com", "password": "whatever 123"}),
            None,
        )
        .await;
    let (s1, _, b1) = error_of(wrong).await;
    let (s2, _, b2) = error_of(unknown).await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2);
    assert!(!b1.to_string().contains(&email));
}

#[tokio::test]
async fn bad_registrations_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": "correct horse 9"}),
            422,
            "email",
        ),
        (
            json!({"email": "bob@example.com", "password": "short"}),
            422,
            "password",
        ),
        (
            json!({"email": "bob@example.com", "password": "onlyletters"}),
            422,
            "password",
        ),
        (json!({"email": "bob@example.com"}), 422, "password"),
        (
            json!({"email": 42, "password": "correct horse 9"}),
            422,
            "email",
        ),
    ];
    for (body, status, field) in cases {
        let r = app.post_json("/api/v1/auth/register", &body, None).await;
        let (s, code, b) = error_of(r).await;
        assert_eq!(
            (s, code.as_str()),
            (status, "validation_failed"),
            "{body} -> {b}"
        );
        assert_eq!(b["field"], field, "{body} -> {b}");
    }
    let (_, _) = app.user().await;
    let body = json!({"email": "dup@example.com", "password": "correct horse 9"});
    assert_eq!(
        app.post_json("/api/v1/auth/register", &body, None)
            .await
            .status(),
        201
    );
    let (s, code, _) = error_of(app.post_json("/api/v1/auth/register", &body, None).await).await;
    assert_eq!((s, code.as_str()), (409, "email_taken"));
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let app = spawn_app().await;
    let (s, code, _) = error_of(app.get("/api/v1/me", None).await).await;
    assert_eq!((s, code.as_str()), (401, "unauthorized"));
    let (s, _, _) = error_of(app.get("/api/v1/me", Some("garbage.token.here")).await).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn login_brute_force_is_rate_limited() {
    let app = spawn_app_with(&["--auth-rate-limit-per-minute=3"]).await;
    let body = json!({"email": "victim@example.com", "password": "guess guess 1"});
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            app.post_json("/api/v1/auth/login", &body, None)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..3], &[401, 401, 401], "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    let r = app.post_json("/api/v1/auth/login", &body, None).await;
    assert!(r.headers().get("retry-after").is_some());
}
