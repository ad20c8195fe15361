//! A user's saved language and time zone: through the REST API, through the
//! settings page, following the user to another browser, and in the
//! password reset email.

use reqwest::header;
use serde_json::{Value, json};

use crate::helpers::{error_of, spawn_app, spawn_app_with};
use crate::web::{csrf_of, fake_smtp, get_page, post_form, quoted_printable, sign_in};

async fn me(app: &crate::helpers::TestApp, token: &str) -> Value {
    let r = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn language_and_time_zone_round_trip_through_the_api() {
    let app = spawn_app().await;
    let (_, token) = app.user().await;
    let fresh = me(&app, &token).await;
    assert_eq!(
        (&fresh["language"], &fresh["time_zone"]),
        (&json!(null), &json!(null))
    );

    let r = app
        .patch_json(
            "/api/v1/me",
            &json!({"language": "fr", "time_zone": "Europe/Paris"}),
            &token,
        )
        .await;
    assert_eq!(r.status(), 200);
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["language"], "fr");
    assert_eq!(changed["time_zone"], "Europe/Paris");
    assert_eq!(changed["email"], fresh["email"]);
    assert_eq!(me(&app, &token).await, changed);

    // A field left out stays; null clears it.
    let r = app
        .patch_json("/api/v1/me", &json!({"time_zone": null}), &token)
        .await;
    assert_eq!(r.status(), 200);
    let now = me(&app, &token).await;
    assert_eq!(
        (&now["language"], &now["time_zone"]),
        (&json!("fr"), &json!(null))
    );

    // Refused, naming the field; nothing changes.
    for (body, field) in [
        (json!({"language": "de"}), "language"),
        (json!({"language": "French"}), "language"),
        (json!({"language": "fr-CA"}), "language"),
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"time_zone": ""}), "time_zone"),
        (
            json!({"time_zone": "Europe/Paris", "language": "xx"}),
            "language",
        ),
    ] {
        let (status, code, err) = error_of(app.patch_json("/api/v1/me", &body, &token).await).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "validation_failed"),
            "{body}: {err}"
        );
        assert_eq!(err["field"], field, "{body}: {err}");
        assert!(err["message"].as_str().unwrap().contains(field), "{err}");
    }
    let (status, _, err) = error_of(
        app.patch_json("/api/v1/me", &json!({"language": 5}), &token)
            .await,
    )
    .await;
    assert_eq!((status, &err["field"]), (422, &json!("language")), "{err}");
    let (status, _, _) = error_of(
        app.patch_json("/api/v1/me", &json!({"theme": "dark"}), &token)
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(me(&app, &token).await, now);

    // The OpenAPI document describes the route and the fields.
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(doc["paths"]["/api/v1/me"]["patch"].is_object());
    let user = &doc["components"]["schemas"]["UserResponse"]["properties"];
    let body = &doc["components"]["schemas"]["AccountSettings"]["properties"];
    for field in ["language", "time_zone"] {
        assert_eq!(user[field]["type"], json!(["string", "null"]), "{user}");
        assert_eq!(body[field]["type"], json!(["string", "null"]), "{body}");
    }
    // The values it takes, exactly.
    assert_eq!(body["language"]["enum"], json!(["en", "fr", null]));
    let zones = body["time_zone"]["enum"].as_array().unwrap();
    assert!(zones.contains(&json!("Europe/Paris")) && zones.contains(&json!(null)));
    assert!(!zones.contains(&json!("Mars/Olympus")));
}

/// Saves language and zone through the settings page; returns the answer.
async fn save_preferences(
    app: &crate::helpers::TestApp,
    session: &str,
    lang: &str,
    tz: &str,
) -> reqwest::Response {
    let page = get_page(app, "/settings", Some(session))
        .await
        .text()
        .await
        .unwrap();
    post_form(
        app,
        "/settings/preferences",
        &[("lang", lang), ("tz", tz), ("csrf_token", &csrf_of(&page))],
        Some(session),
    )
    .await
}

#[tokio::test]
async fn saved_settings_follow_the_user_to_another_browser() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let here = sign_in(&app, &email, "correct horse 9").await;
    let r = save_preferences(&app, &here, "fr", "Asia/Tokyo").await;
    assert_eq!(r.status(), 303);
    // This browser keeps them in cookies too, for its signed-out pages.
    let cookies: Vec<String> = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("pw_lang=fr;")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("pw_tz=Asia/Tokyo;")),
        "{cookies:?}"
    );

    // Sign out, then sign in on another browser: no cookies but the session,
    // and a browser that asks for English.
    let list = get_page(&app, "/", Some(&here)).await.text().await.unwrap();
    post_form(
        &app,
        "/logout",
        &[("csrf_token", &csrf_of(&list))],
        Some(&here),
    )
    .await;
    let elsewhere = sign_in(&app, &email, "correct horse 9").await;
    let list = get_page(&app, "/", Some(&elsewhere))
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("<html lang=\"fr\""), "{list}");
    assert!(list.contains("Mes suivis"), "{list}");
    let settings = get_page(&app, "/settings", Some(&elsewhere))
        .await
        .text()
        .await
        .unwrap();
    assert!(settings.contains("value=\"Asia/Tokyo\""), "{settings}");
    assert!(
        settings.contains("<option value=\"fr\" lang=\"fr\" selected>"),
        "{settings}"
    );
    let saved = me(&app, &token).await;
    assert_eq!(
        (&saved["language"], &saved["time_zone"]),
        (&json!("fr"), &json!("Asia/Tokyo"))
    );

    // Back to the browser's choice: the English browser reads English again.
    let r = save_preferences(&app, &elsewhere, "", "").await;
    assert_eq!(r.status(), 303);
    let list = get_page(&app, "/", Some(&elsewhere))
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("<html lang=\"en\""), "{list}");
    let saved = me(&app, &token).await;
    assert_eq!(
        (&saved["language"], &saved["time_zone"]),
        (&json!(null), &json!(null))
    );
}

#[tokio::test]
async fn a_bad_zone_or_language_is_explained_next_to_its_field() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let session = sign_in(&app, &email, "correct horse 9").await;

    let r = save_preferences(&app, &session, "en", "Mars/Olympus").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<p class=\"field-error\" id=\"tz-error\">This is not a time zone name, such as Europe/Paris.</p>"),
        "{page}"
    );
    // What was typed stays in the field, to be corrected.
    assert!(page.contains("value=\"Mars/Olympus\""), "{page}");

    let r = save_preferences(&app, &session, "xx", "UTC").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<p class=\"field-error\" id=\"lang-error\">Choose one of the languages in the list.</p>"),
        "{page}"
    );
    // Nothing was saved.
    let saved = me(&app, &token).await;
    assert_eq!(
        (&saved["language"], &saved["time_zone"]),
        (&json!(null), &json!(null))
    );
}

#[tokio::test]
async fn the_reset_email_speaks_the_saved_language() {
    let (port, mut mails) = fake_smtp().await;
    let app = spawn_app_with(&[
        "--smtp-host=127.0.0.1",
        &format!("--smtp-port={port}"),
        "--public-base-url=https://prices.example.com",
    ])
    .await;
    let (email, token) = app.user().await;
    let r = app
        .patch_json("/api/v1/me", &json!({"language": "fr"}), &token)
        .await;
    assert_eq!(r.status(), 200);

    // Asked for from an English page: the email is in French all the same.
    let form = get_page(&app, "/forgot-password", None)
        .await
        .text()
        .await
        .unwrap();
    let r = post_form(
        &app,
        "/forgot-password",
        &[("email", &email), ("csrf_token", &csrf_of(&form))],
        None,
    )
    .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("a link to reset its password is on its way")
    );
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), mails.recv())
        .await
        .expect("the reset email arrives")
        .unwrap();
    let subject = mail
        .lines()
        .find(|l| l.starts_with("Subject: "))
        .unwrap()
        .to_owned();
    // "Réinitialiser votre mot de passe PriceWatch", RFC 2047-encoded.
    assert!(!subject.contains("Reset your"), "{subject}");
    let body = quoted_printable(&mail);
    assert!(
        body.contains("Choisissez un nouveau mot de passe ici"),
        "{body}"
    );
    assert!(body.contains("https://prices.example.com/reset-password?token="));
    assert!(!body.contains("Someone (hopefully you)"), "{body}");
}
