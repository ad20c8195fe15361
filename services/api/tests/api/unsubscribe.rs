//! One-click unsubscribe from an alert email (RFC 8058): `POST
//! /unsubscribe/{token}` pauses the watch with no session and no CSRF token,
//! `GET` shows a confirmation page and changes nothing, a bad token is a 404.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use pricewatch_storage::schema::watches;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

/// The watch's token and whether it is active.
async fn watch_row(app: &TestApp, id: Uuid) -> (String, bool) {
    let mut conn = pricewatch_storage::pool::connect_once(&app.database_url)
        .await
        .unwrap();
    watches::table
        .find(id)
        .select((watches::unsubscribe_token, watches::active))
        .first(&mut conn)
        .await
        .unwrap()
}

async fn a_watch(app: &TestApp) -> (Uuid, String) {
    let (_, session) = app.user().await;
    let watch = app
        .create_watch(&session, "https://shop.example.com/p/kettle")
        .await;
    let id: Uuid = watch["id"].as_str().unwrap().parse().unwrap();
    let (token, active) = watch_row(app, id).await;
    assert!(active);
    assert!(token.starts_with("pwu_") && token.len() == 68, "{token}");
    (id, token)
}

fn one_click(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_shows_a_form_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, token) = a_watch(&app).await;
    let r = app
        .client
        .get(app.url(&format!("/unsubscribe/{token}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "<form method=\"post\" action=\"/unsubscribe/{token}\">"
        )),
        "{page}"
    );
    assert!(page.contains("name=\"List-Unsubscribe\" value=\"One-Click\""));
    // Twice, as a mail scanner and the reader would: still active.
    app.get(&format!("/unsubscribe/{token}"), None).await;
    assert!(watch_row(&app, id).await.1, "a GET never pauses the watch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_click_post_pauses_the_watch() {
    let app = spawn_app().await;
    let (id, token) = a_watch(&app).await;
    let path = format!("/unsubscribe/{token}");
    // No session cookie, no CSRF token, no Origin: the mail provider's request.
    let r = one_click(&app, &path).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(!watch_row(&app, id).await.1, "the watch is paused");
    // Again (a client that retries): still 200, still paused.
    let r = one_click(&app, &path).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(!watch_row(&app, id).await.1);
    // The page's own button posts the same body from a browser.
    let r = app
        .client
        .post(app.url(&path))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("paused"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_a_404_and_pauses_nothing() {
    let app = spawn_app().await;
    let (id, token) = a_watch(&app).await;
    let forged = format!("pwu_{}", "0".repeat(64));
    let truncated = &token[..token.len() - 1];
    for bad in [forged.as_str(), truncated, "pwu_x", "nothing"] {
        let r = one_click(&app, &format!("/unsubscribe/{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{bad}");
        let r = app.get(&format!("/unsubscribe/{bad}"), None).await;
        assert_eq!(r.status(), 404, "{bad}");
    }
    assert!(watch_row(&app, id).await.1, "nothing was paused");
    // A deleted watch's link stops working.
    app.sql(&format!("DELETE FROM watches WHERE id = '{id}'"))
        .await;
    let r = one_click(&app, &format!("/unsubscribe/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
