//! The web app: the sign-in contract, the watch list, the product page, and
//! their rendered HTML (snapshots with the per-run values redacted).

use reqwest::header;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// The value of the hidden `csrf_token` input of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a csrf_token input");
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Posts a form (urlencoded), with a session cookie when given.
pub async fn post_form(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap());
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.send().await.unwrap()
}

pub async fn get_page(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(path))
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, "en-IE,en;q=0.8");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.send().await.unwrap()
}

/// Signs in through the form; returns the `Cookie` header value of the session.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let page = get_page(app, "/login", None).await.text().await.unwrap();
    let r = post_form(
        app,
        "/login",
        &[
            ("email", email),
            ("password", password),
            ("csrf_token", &csrf_of(&page)),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let set = r
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    set.split(';').next().unwrap().to_owned()
}

/// Replaces what changes from run to run (tokens, ids, times, asset hashes).
pub fn redact(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    for line in html.lines() {
        let mut l = line.to_owned();
        if let Some(at) = l.find("name=\"csrf_token\" value=\"") {
            let start = at + "name=\"csrf_token\" value=\"".len();
            if let Some(end) = l[start..].find('"') {
                l.replace_range(start..start + end, "[csrf]");
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    regex_lite_uuid(&out)
}

/// UUIDs to `[uuid]` without a regex crate: 8-4-4-4-12 hex groups.
fn regex_lite_uuid(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let is_uuid = |s: &[u8]| {
        s.len() >= 36
            && s[..36].iter().enumerate().all(|(k, b)| {
                if [8, 13, 18, 23].contains(&k) {
                    *b == b'-'
                } else {
                    b.is_ascii_hexdigit()
                }
            })
    };
    while i < bytes.len() {
        if is_uuid(&bytes[i..]) {
            out.push_str("[uuid]");
            i += 36;
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    // Asset names carry a content hash: app.0123456789.css → app.[hash].css
    let mut parts = out.split("/static/");
    let mut result = parts.next().unwrap_or("").to_owned();
    for part in parts {
        let mut pieces = part.splitn(3, '.');
        let stem = pieces.next().unwrap_or("");
        let _hash = pieces.next();
        let rest = pieces.next().unwrap_or("");
        result.push_str(&format!("/static/{stem}.[hash].{rest}"));
    }
    result
}

#[tokio::test]
async fn the_sign_in_contract_holds() {
    let app = spawn_app().await;
    // No session: the home page sends to the sign-in page.
    let r = get_page(&app, "/", None).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/login");

    // The sign-in form: email, password and a hidden CSRF token.
    let r = get_page(&app, "/login", None).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"name="email""#) && page.contains(r#"name="password""#));
    assert!(page.contains(r#"type="hidden" name="csrf_token""#));
    assert!(!page.contains("<script>"), "no inline script");
    insta::assert_snapshot!("login_page", redact(&page));

    // A user with one watch whose product has a title.
    let (email, token) = app.user().await;
    let watch = app
        .create_watch(&token, "https://shop.example.com/p/espresso")
        .await;
    let product_id = watch["product"]["id"].as_str().unwrap();
    app.sql(&format!(
        "UPDATE products SET title = 'Espresso Machine Deluxe', last_price = 1149, \
         currency = 'EUR', check_status = 'ok' WHERE id = '{product_id}'"
    ))
    .await;

    // A wrong password: the form again, with the error next to the field.
    let r = post_form(
        &app,
        "/login",
        &[
            ("email", &email),
            ("password", "not the password 1"),
            ("csrf_token", &csrf_of(&page)),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Wrong email or password."));

    // Without a valid CSRF token: refused.
    let r = post_form(
        &app,
        "/login",
        &[
            ("email", &email),
            ("password", "correct horse 9"),
            ("csrf_token", "1.bad"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 403);

    // The right password: 303 and an HttpOnly, SameSite=Lax session cookie.
    let r = post_form(
        &app,
        "/login",
        &[
            ("email", &email),
            ("password", "correct horse 9"),
            ("csrf_token", &csrf_of(&page)),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 303);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set.starts_with("pw_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "http PUBLIC_BASE_URL: no Secure flag"
    );
    let cookie = set.split(';').next().unwrap().to_owned();

    // The list shows the watch by its product's title and price.
    let r = get_page(&app, "/", Some(&cookie)).await;
    assert_eq!(r.status(), 200);
    let list = r.text().await.unwrap();
    assert!(list.contains("Espresso Machine Deluxe"), "{list}");
    assert!(list.contains("€1,149.00"), "en-IE money: {list}");

    // Sign out ends the session.
    let r = post_form(
        &app,
        "/logout",
        &[("csrf_token", &csrf_of(&list))],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = get_page(&app, "/", Some(&cookie)).await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn a_session_ends_when_the_password_changes_through_the_api() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let cookie = sign_in(&app, &email, "correct horse 9").await;
    assert_eq!(get_page(&app, "/", Some(&cookie)).await.status(), 200);
    let r = app
        .post_json(
            "/api/v1/me/password",
            &json!({"current_password": "correct horse 9", "new_password": "a new horse 10"}),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(get_page(&app, "/", Some(&cookie)).await.status(), 303);
}

#[tokio::test]
async fn a_form_from_another_site_is_refused() {
    let app = spawn_app().await;
    let (email, _) = app.user().await;
    let page = get_page(&app, "/login", None).await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example")
        .body(
            serde_urlencoded::to_string([
                ("email", email.as_str()),
                ("password", "correct horse 9"),
                ("csrf_token", &csrf_of(&page)),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get(header::SET_COOKIE).is_none());
}
