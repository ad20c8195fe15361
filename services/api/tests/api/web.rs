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
    let out = regex_lite_uuid(&out);
    // Test users are user-<32 hex>@example.com.
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find("user-") {
        result.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        if after.len() >= 32 && after[..32].bytes().all(|b| b.is_ascii_hexdigit()) {
            result.push_str("user-[id]");
            rest = &after[32..];
        } else {
            result.push_str("user-");
            rest = after;
        }
    }
    result.push_str(rest);
    result
}

/// Dates, times and the chart (drawn against the clock) to placeholders.
pub fn redact_times(html: &str) -> String {
    let mut out = html.to_owned();
    if let (Some(start), Some(end)) = (out.find("<svg class=\"chart\""), out.find("</svg>")) {
        out.replace_range(start..end + "</svg>".len(), "[chart]");
    }
    while let Some(start) = out.find("<time datetime=") {
        let Some(len) = out[start..].find("</time>") else {
            break;
        };
        out.replace_range(start..start + len + "</time>".len(), "<time>[when]</time>");
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut result = String::new();
    for line in out.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let mut i = 0;
        let mut kept = Vec::new();
        while i < words.len() {
            let is_day = |w: &str| {
                let d = w.trim_start_matches(|c: char| !c.is_ascii_digit());
                !d.is_empty() && d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit())
            };
            if i + 2 < words.len()
                && is_day(words[i])
                && MONTHS.contains(&words[i + 1])
                && words[i + 2].len() >= 4
                && words[i + 2][..4].bytes().all(|b| b.is_ascii_digit())
            {
                let prefix: String = words[i]
                    .chars()
                    .take_while(|c| !c.is_ascii_digit())
                    .collect();
                let suffix = &words[i + 2][4..];
                kept.push(format!("{prefix}[date]{suffix}"));
                i += 3;
                // A time after the date: "16:31".
                if i < words.len() && words[i].len() >= 5 && words[i].as_bytes()[2] == b':' {
                    let rest = &words[i][5..];
                    kept.push(format!("[time]{rest}"));
                    i += 1;
                }
                continue;
            }
            kept.push(words[i].to_owned());
            i += 1;
        }
        result.push_str(&kept.join(" "));
        result.push('\n');
    }
    // Relative times: "(in 22 h)".
    for unit in [" h)", " min)", " days)", " day)"] {
        while let Some(at) = result.find(unit) {
            let open = result[..at].rfind('(').unwrap_or(at);
            result.replace_range(open..at + unit.len(), "([relative])");
        }
    }
    result
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

/// A product with a title, a price history (a drop, out of stock, back) and
/// a watch of the user on it; returns (watch id, product id).
async fn watched_product_with_history(app: &TestApp, token: &str) -> (String, String) {
    let watch = app
        .create_watch(token, "https://shop.example.com/p/kettle")
        .await;
    let watch_id = watch["id"].as_str().unwrap().to_owned();
    let product_id = watch["product"]["id"].as_str().unwrap().to_owned();
    app.sql(&format!(
        "UPDATE products SET title = 'Kettle 1.7 l', last_price = 89.90, currency = 'EUR', \
         in_stock = true, check_status = 'ok', extraction_method = 'json_ld', \
         last_checked_at = now() - interval '1 hour', check_interval_hours = 24, \
         next_check_at = now() + interval '23 hours' WHERE id = '{product_id}'"
    ))
    .await;
    app.sql(&format!(
        "INSERT INTO price_history (product_id, job_id, amount, currency, in_stock, observed_at) VALUES \
         ('{product_id}', gen_random_uuid(), 129.00, 'EUR', true, now() - interval '20 days'), \
         ('{product_id}', gen_random_uuid(), 119.00, 'EUR', false, now() - interval '10 days'), \
         ('{product_id}', gen_random_uuid(), 89.90, 'EUR', true, now() - interval '1 hour')"
    ))
    .await;
    (watch_id, product_id)
}

#[tokio::test]
async fn the_list_shows_each_watch_in_detail_and_filters() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let (_, product_id) = watched_product_with_history(&app, &token).await;
    app.create_watch(&token, "https://other.example.org/item/7")
        .await;
    let cookie = sign_in(&app, &email, "correct horse 9").await;

    let list = get_page(&app, "/", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("href=\"/products/{product_id}\">Kettle 1.7 l</a>")));
    assert!(list.contains("shop.example.com") && list.contains("other.example.org"));
    assert!(list.contains("€89.90"), "current price");
    assert!(list.contains("Lowest €89.90"), "lowest seen");
    assert!(list.contains("class=\"sparkline\""), "sparkline");
    assert!(list.contains("Price read"), "last check in words");
    assert!(list.contains("next check in 22 h") || list.contains("next check in 23 h"));
    // The never-checked product polls its price fragment.
    assert!(list.contains("hx-trigger=\"every 2s\""));
    assert!(list.contains("2 watches"));

    // Only one shop; only watches at or below target (99.90 > 89.90).
    let one = get_page(&app, "/?shop=other.example.org", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(one.contains("1 watch") && !one.contains("Kettle"));
    let below = get_page(&app, "/?below=1", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(below.contains("Kettle") && !below.contains("other.example.org/item"));
    let paused = get_page(&app, "/?state=paused", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(paused.contains("No watch matches these filters."));

    // French, from Accept-Language: words and money change.
    let fr = app
        .client
        .get(app.url("/"))
        .header(header::ACCEPT_LANGUAGE, "fr-FR,fr;q=0.9")
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fr.contains("<html lang=\"fr\">") && fr.contains("Mes suivis"));
    assert!(fr.contains("89,90\u{a0}€"), "French money");
}

#[tokio::test]
async fn an_empty_list_says_what_to_do_and_a_bad_url_is_explained() {
    let app = spawn_app().await;
    let (email, _) = app.user().await;
    let cookie = sign_in(&app, &email, "correct horse 9").await;
    let list = get_page(&app, "/", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("No watches yet"));
    insta::assert_snapshot!("empty_list", redact(&list));

    let csrf = csrf_of(&list);
    let r = post_form(
        &app,
        "/watches",
        &[
            ("url", "http://10.0.0.1/admin"),
            ("target_price", "19,99"),
            ("frequency", "12h"),
            ("csrf_token", &csrf),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"url-error\""), "{page}");
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"url-error\""));
    assert!(
        page.contains("value=\"19,99\""),
        "the form keeps what was typed"
    );

    let r = post_form(
        &app,
        "/watches",
        &[
            ("url", "https://shop.example.com/p/1"),
            ("target_price", "cheap"),
            ("frequency", "12h"),
            ("csrf_token", &csrf),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("id=\"target_price-error\"")
    );

    // A French decimal comma is a price; the watch is added, paused.
    let r = post_form(
        &app,
        "/watches",
        &[
            ("url", "https://shop.example.com/p/1"),
            ("target_price", "19,99"),
            ("frequency", "12h"),
            ("paused", "1"),
            ("csrf_token", &csrf),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 303);
    let list = get_page(&app, "/", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    // No price read yet, so no currency: the target as typed.
    assert!(list.contains("Target 19.99"), "{list}");
    assert!(list.contains("next check Paused"));
}

#[tokio::test]
async fn the_product_page_draws_the_history_and_its_forms_work() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let (watch_id, product_id) = watched_product_with_history(&app, &token).await;
    let cookie = sign_in(&app, &email, "correct horse 9").await;

    let page = get_page(&app, &format!("/products/{product_id}"), Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg class=\"chart\""));
    assert!(page.contains("class=\"target\""), "target line");
    assert!(page.contains("class=\"stock-out\"") && page.contains("class=\"stock-in\""));
    assert!(
        page.contains("structured data (JSON-LD)"),
        "where the price was found"
    );
    assert!(page.contains("<dd>€89.90</dd>") && page.contains("<dd>€129.00</dd>"));
    assert!(
        page.contains("<dd>€112.63</dd>"),
        "average of 129, 119 and 89.90"
    );
    insta::assert_snapshot!("product_page", redact_times(&redact(&page)));

    // 7 days: only the last reading; the line starts at the level before.
    let week = get_page(
        &app,
        &format!("/products/{product_id}?range=7d"),
        Some(&cookie),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(week.contains("<dt>Readings</dt><dd>1</dd>"));

    let csrf = csrf_of(&page);
    // A bad target: the error next to the field.
    let r = post_form(
        &app,
        &format!("/watches/{watch_id}/edit"),
        &[
            ("target_price", "-5"),
            ("frequency", "24h"),
            ("css_selector", ""),
            ("csrf_token", &csrf),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("id=\"target_price-error\"")
    );
    // A new target is saved.
    let r = post_form(
        &app,
        &format!("/watches/{watch_id}/edit"),
        &[
            ("target_price", "75"),
            ("frequency", "6h"),
            ("css_selector", ""),
            ("csrf_token", &csrf),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 303);
    let watch: serde_json::Value = app
        .get(&format!("/api/v1/watches/{watch_id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(watch["target_price"], "75.00");
    assert_eq!(watch["frequency"], "6h");

    // Pause, check now, delete.
    let r = post_form(
        &app,
        &format!("/watches/{watch_id}/pause"),
        &[("csrf_token", &csrf)],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 303);
    let paused = get_page(
        &app,
        r.headers()[header::LOCATION].to_str().unwrap(),
        Some(&cookie),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(paused.contains("Paused: no checks until you resume it."));
    assert!(paused.contains("/resume\""));
    let r = post_form(
        &app,
        &format!("/watches/{watch_id}/check"),
        &[("csrf_token", &csrf)],
        Some(&cookie),
    )
    .await;
    assert!(
        r.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("done=checking")
    );
    // One "check now" a product per interval, whichever side asks: the API
    // is refused after the page, and the page says a check is on its way.
    let r = app
        .post_json(
            &format!("/api/v1/watches/{watch_id}/check"),
            &serde_json::json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    let r = post_form(
        &app,
        &format!("/watches/{watch_id}/check"),
        &[("csrf_token", &csrf)],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("done=too-soon")
    );
    // Without the session's token nothing is deleted.
    let r = post_form(
        &app,
        &format!("/watches/{watch_id}/delete"),
        &[("csrf_token", "forged")],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = post_form(
        &app,
        &format!("/watches/{watch_id}/delete"),
        &[("csrf_token", &csrf)],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = get_page(&app, &format!("/products/{product_id}"), Some(&cookie)).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Page not found"));
}

/// The watch's `fetch_mode` and its product's, as the REST API shows them.
async fn fetch_modes_of(app: &TestApp, token: &str, watch_id: &str) -> (String, String) {
    let watch: serde_json::Value = app
        .get(&format!("/api/v1/watches/{watch_id}"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    (
        watch["fetch_mode"].as_str().unwrap().to_owned(),
        watch["product"]["fetch_mode"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_forms_choose_how_the_page_is_fetched() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let (watch_id, product_id) = watched_product_with_history(&app, &token).await;
    let cookie = sign_in(&app, &email, "correct horse 9").await;
    let page = get_page(&app, &format!("/products/{product_id}"), Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<option value=\"auto\" selected>"),
        "the edit form shows the watch's mode"
    );
    let csrf = csrf_of(&page);
    let edit = |mode: &'static str| {
        let app = &app;
        let cookie = &cookie;
        let csrf = &csrf;
        let path = format!("/watches/{watch_id}/edit");
        async move {
            post_form(
                app,
                &path,
                &[
                    ("target_price", "75"),
                    ("frequency", "24h"),
                    ("css_selector", ""),
                    ("fetch_mode", mode),
                    ("csrf_token", csrf),
                ],
                Some(cookie),
            )
            .await
        }
    };

    let r = edit("browser").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        fetch_modes_of(&app, &token, &watch_id).await,
        ("browser".to_owned(), "browser".to_owned())
    );
    let page = get_page(&app, &format!("/products/{product_id}"), Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<option value=\"browser\" selected>"));

    // An unknown mode: the message next to the field, nothing saved, the
    // choice kept in the form.
    let r = edit("chrome").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"fetch_mode-error\""), "{page}");
    assert!(page.contains("is not a fetch mode"), "{page}");
    assert_eq!(
        fetch_modes_of(&app, &token, &watch_id).await,
        ("browser".to_owned(), "browser".to_owned())
    );

    // The add form chooses it too.
    let r = post_form(
        &app,
        "/watches",
        &[
            ("url", "https://shop.example.com/app/mixer"),
            ("target_price", "20"),
            ("frequency", "24h"),
            ("fetch_mode", "http"),
            ("csrf_token", &csrf),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 303);
    let list: serde_json::Value = app
        .get("/api/v1/watches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let added = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["product"]["url"] == "https://shop.example.com/app/mixer")
        .expect("the added watch");
    assert_eq!(added["fetch_mode"], "http");
    let r = post_form(
        &app,
        "/watches",
        &[
            ("url", "https://shop.example.com/app/grinder"),
            ("target_price", "20"),
            ("frequency", "24h"),
            ("fetch_mode", "sometimes"),
            ("csrf_token", &csrf),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"fetch_mode-error\""));
}

#[tokio::test]
async fn the_price_fragment_stops_polling_once_a_price_is_in() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let watch = app
        .create_watch(&token, "https://shop.example.com/p/new")
        .await;
    let id = watch["id"].as_str().unwrap();
    let product_id = watch["product"]["id"].as_str().unwrap();
    let cookie = sign_in(&app, &email, "correct horse 9").await;
    let path = format!("/watches/{id}/price");
    let first = get_page(&app, &path, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("hx-trigger=\"every 2s\"") && first.contains("Checking…"));
    app.sql(&format!(
        "UPDATE products SET last_price = 42.50, currency = 'EUR', check_status = 'ok' \
         WHERE id = '{product_id}'"
    ))
    .await;
    let then = get_page(&app, &path, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        then.contains("€42.50") && !then.contains("hx-trigger"),
        "{then}"
    );
}

#[tokio::test]
async fn pages_are_friendly_when_nothing_is_there() {
    let app = spawn_app().await;
    let r = get_page(&app, "/no/such/page", None).await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("Page not found"));
    assert!(!page.contains("Sign out"), "{page}");
    // A signed-in reader keeps their header, and their saved language.
    let (email, token) = app.user().await;
    let cookie = sign_in(&app, &email, "correct horse 9").await;
    let r = get_page(&app, "/no/such/page", Some(&cookie)).await;
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("Page not found"), "{page}");
    assert!(page.contains(&email) && page.contains("Sign out"), "{page}");
    let r = app
        .patch_json("/api/v1/me", &json!({"language": "fr"}), &token)
        .await;
    assert_eq!(r.status(), 200);
    let page = get_page(&app, "/no/such/page", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Page introuvable"), "{page}");
    let r = app
        .patch_json("/api/v1/me", &json!({"language": null}), &token)
        .await;
    assert_eq!(r.status(), 200);
    // A page's malformed id too.
    let r = get_page(&app, "/products/not-an-id", Some(&cookie)).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Page not found"));
    // The REST API keeps its JSON.
    let r = app.get("/api/v1/nothing", None).await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("json")
    );
}

#[tokio::test]
async fn static_files_are_cached_for_a_year_and_small() {
    let app = spawn_app().await;
    let page = get_page(&app, "/login", None).await.text().await.unwrap();
    let mut total_gzip = 0;
    for name in ["htmx", "app"] {
        for ext in ["js", "css"] {
            let needle = format!("/static/{name}.");
            for at in page.match_indices(&needle).map(|(i, _)| i) {
                let href = &page[at..at + page[at..].find('"').unwrap()];
                if !href.ends_with(ext) {
                    continue;
                }
                let r = app.get(href, None).await;
                assert_eq!(r.status(), 200, "{href}");
                assert_eq!(
                    r.headers()[header::CACHE_CONTROL],
                    "public, max-age=31536000, immutable"
                );
                let body = r.bytes().await.unwrap();
                let mut gz =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                std::io::Write::write_all(&mut gz, &body).unwrap();
                total_gzip += gz.finish().unwrap().len();
            }
        }
    }
    assert!(
        total_gzip > 10_000,
        "htmx, app.js and app.css were all fetched"
    );
    assert!(
        total_gzip <= 60 * 1024,
        "page JS+CSS is {total_gzip} bytes gzipped"
    );
    assert_eq!(
        app.get("/static/app.0000000000.css", None).await.status(),
        404
    );
}

/// The text of a quoted-printable body: soft line breaks joined, `=XX` decoded.
pub fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// A one-connection-at-a-time SMTP server on loopback that keeps each
/// message's DATA (the exchange lettre needs, nothing more).
pub async fn fake_smtp() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 localhost ESMTP\r\n").await.unwrap();
            let mut data: Option<String> = None;
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(body) = data.as_mut() {
                    if line == "." {
                        tx.send(std::mem::take(body)).unwrap();
                        data = None;
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        body.push_str(&line);
                        body.push('\n');
                    }
                    continue;
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let answer: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 localhost\r\n",
                    "DATA" => {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 OK\r\n",
                };
                write.write_all(answer).await.unwrap();
            }
        }
    });
    (port, rx)
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_by_the_emailed_link() {
    let (port, mut mails) = fake_smtp().await;
    let app = crate::helpers::spawn_app_with(&[
        "--smtp-host=127.0.0.1",
        &format!("--smtp-port={port}"),
        "--public-base-url=https://prices.example.com",
    ])
    .await;
    let (email, token) = app.user().await;
    let old_session = sign_in(&app, &email, "correct horse 9").await;

    let form = get_page(&app, "/forgot-password", None)
        .await
        .text()
        .await
        .unwrap();
    // An unknown email reads exactly like a known one.
    let unknown = post_form(
        &app,
        "/forgot-password",
        &[
            ("email", "nobody@example.com"),
            ("csrf_token", &csrf_of(&form)),
        ],
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    let known = post_form(
        &app,
        "/forgot-password",
        &[("email", &email), ("csrf_token", &csrf_of(&form))],
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(known.contains("a link to reset its password is on its way"));
    assert_eq!(redact(&unknown), redact(&known));

    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), mails.recv())
        .await
        .expect("the reset email arrives")
        .unwrap();
    assert!(mail.contains(&format!("To: {email}")), "{mail}");
    let mail = quoted_printable(&mail);
    let at = mail
        .find("https://prices.example.com/reset-password?token=")
        .expect("a link to PUBLIC_BASE_URL");
    let link = mail[at..].split_whitespace().next().unwrap().to_owned();
    let reset_token = link.split("token=").nth(1).unwrap().to_owned();
    // Only the hash is stored.
    assert_eq!(
        app.sql(&format!(
            "SELECT 1 FROM password_resets WHERE token_hash = convert_to('{reset_token}', 'UTF8')"
        ))
        .await,
        0
    );

    let path = format!("/reset-password?token={reset_token}");
    let page = get_page(&app, &path, None).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    // A weak password does not use the link up.
    let r = post_form(
        &app,
        "/reset-password",
        &[
            ("token", &reset_token),
            ("password", "short"),
            ("csrf_token", &csrf_of(&page)),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = post_form(
        &app,
        "/reset-password",
        &[
            ("token", &reset_token),
            ("password", "brand new horse 7"),
            ("csrf_token", &csrf_of(&page)),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/login?reset=1");

    // The link is used up; the old session and access token are over.
    assert_eq!(get_page(&app, &path, None).await.status(), 404);
    assert_eq!(get_page(&app, "/", Some(&old_session)).await.status(), 303);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 401);
    sign_in(&app, &email, "brand new horse 7").await;
}

#[tokio::test]
async fn changing_the_password_in_settings_ends_the_other_sessions() {
    let app = spawn_app().await;
    let (email, token) = app.user().await;
    let here = sign_in(&app, &email, "correct horse 9").await;
    let elsewhere = sign_in(&app, &email, "correct horse 9").await;
    let settings = get_page(&app, "/settings", Some(&here))
        .await
        .text()
        .await
        .unwrap();
    let r = post_form(
        &app,
        "/settings/password",
        &[
            ("current_password", "wrong password 1"),
            ("new_password", "brand new horse 7"),
            ("csrf_token", &csrf_of(&settings)),
        ],
        Some(&here),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("id=\"current_password-error\"")
    );
    let r = post_form(
        &app,
        "/settings/password",
        &[
            ("current_password", "correct horse 9"),
            ("new_password", "brand new horse 7"),
            ("csrf_token", &csrf_of(&settings)),
        ],
        Some(&here),
    )
    .await;
    assert_eq!(r.status(), 303);
    let fresh = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(get_page(&app, "/", Some(&elsewhere)).await.status(), 303);
    assert_eq!(get_page(&app, "/", Some(&here)).await.status(), 303);
    assert_eq!(get_page(&app, "/", Some(&fresh)).await.status(), 200);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 401);
}

/// Asks for a reset link for `email` through the form.
async fn ask_for_reset(app: &TestApp, email: &str) -> String {
    let form = get_page(app, "/forgot-password", None)
        .await
        .text()
        .await
        .unwrap();
    let r = post_form(
        app,
        "/forgot-password",
        &[("email", email), ("csrf_token", &csrf_of(&form))],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The token of the reset link in a mailed message.
fn reset_token_in(mail: &str) -> String {
    let mail = quoted_printable(mail);
    let at = mail
        .find("https://prices.example.com/reset-password?token=")
        .expect("a link to PUBLIC_BASE_URL");
    let link = mail[at..].split_whitespace().next().unwrap();
    link.split("token=").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn a_password_change_ends_the_reset_links_mailed_before() {
    let (port, mut mails) = fake_smtp().await;
    let app = crate::helpers::spawn_app_with(&[
        "--smtp-host=127.0.0.1",
        &format!("--smtp-port={port}"),
        "--public-base-url=https://prices.example.com",
    ])
    .await;
    let (email, token) = app.user().await;
    ask_for_reset(&app, &email).await;
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), mails.recv())
        .await
        .expect("the reset email arrives")
        .unwrap();
    let path = format!("/reset-password?token={}", reset_token_in(&mail));
    assert_eq!(get_page(&app, &path, None).await.status(), 200);

    // The owner remembers the password and changes it through the API.
    let r = app
        .post_json(
            "/api/v1/me/password",
            &json!({
                "current_password": "correct horse 9",
                "new_password": "brand new horse 7",
            }),
            Some(&token),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Whoever finds the old email later cannot use it.
    assert_eq!(get_page(&app, &path, None).await.status(), 404);
    assert_eq!(
        app.sql("SELECT 1 FROM password_resets").await,
        0,
        "no reset link is left"
    );
    sign_in(&app, &email, "brand new horse 7").await;
}

#[tokio::test]
async fn a_second_reset_request_within_the_minute_sends_no_second_email() {
    let (port, mut mails) = fake_smtp().await;
    let app = crate::helpers::spawn_app_with(&[
        "--smtp-host=127.0.0.1",
        &format!("--smtp-port={port}"),
        "--public-base-url=https://prices.example.com",
    ])
    .await;
    let (email, _) = app.user().await;
    let first = ask_for_reset(&app, &email).await;
    // The same answer: the limit tells nothing either.
    let second = ask_for_reset(&app, &email.to_uppercase()).await;
    assert_eq!(redact(&first), redact(&second));
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), mails.recv())
        .await
        .expect("the first reset email arrives")
        .unwrap();
    assert!(mail.contains(&format!("To: {email}")), "{mail}");
    assert!(
        tokio::time::timeout(std::time::Duration::from_secs(3), mails.recv())
            .await
            .is_err(),
        "a second email went out"
    );
    assert_eq!(app.sql("SELECT 1 FROM password_resets").await, 1);
}
