//! The notifier in-process against the real PostgreSQL, Redis, RabbitMQ and the
//! SMTP sink (helpers in `support/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use mail_parser::{MessageParser, MimeHeaders};
use pricewatch_storage::schema::{notifications, users};
use support::*;
use uuid::Uuid;

#[tokio::test]
async fn a_notification_is_emailed_exactly_once() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish(id).await;
    let emails = wait_for_emails(&s.email, 1, Duration::from_secs(20)).await;
    assert_eq!(emails.len(), 1, "one email arrives");
    let email = &emails[0];
    let subject = field(email, "subject");
    // Nothing saved: English, money the English way, the time in UTC.
    assert_eq!(subject, format!("Price drop: {} is now €19.99", s.title));
    let text = field(email, "text");
    assert!(text.contains(&s.title), "text has the title: {text}");
    assert!(
        text.contains("Previous price: €24.50") && text.contains("New price: €19.99"),
        "{text}"
    );
    assert!(
        text.contains("Your target: €20.00"),
        "text has the target: {text}"
    );
    assert!(text.contains(" (UTC)"), "the time says UTC: {text}");
    assert!(text.contains(&format!("kettle-{}", s.product_id)), "{text}");
    assert!(
        text.contains(&format!(
            "PATCH http://pricewatch.test:8080/api/v1/watches/{}",
            s.watch_id
        )),
        "text says how to stop alerts: {text}"
    );
    let html = field(email, "html");
    let escaped = s
        .title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        html.contains(&escaped),
        "html has the escaped title: {html}"
    );
    assert!(!html.contains("<Pro>"), "the title is escaped in html");
    assert!(html.contains("€24.50") && html.contains("€19.99"), "{html}");
    // One-click unsubscribe (RFC 8058), in the headers and in both parts.
    let token = unsubscribe_token(&mut conn, &s).await;
    let link = format!("http://pricewatch.test:8080/unsubscribe/{token}");
    let raw = source(email).await;
    let message = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        message.header_raw("List-Unsubscribe").map(str::trim),
        Some(format!("<{link}>").as_str())
    );
    assert_eq!(
        message.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(text.contains(&link), "{text}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    // One reading: no chart to draw, the email goes without it.
    assert!(
        !message
            .parts
            .iter()
            .any(|p| p.is_content_type("image", "png")),
        "no image with a single reading"
    );
    assert!(!text.contains("Last 90 days") && !html.contains("cid:"));
    wait_for_status(&n, id, "sent", Duration::from_secs(5)).await;

    // The same message again (a redelivery, a duplicate publish): no second email.
    n.publish(id).await;
    n.publish(id).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(emails_to(&s.email).await.len(), 1, "never a second email");
    let (status, attempts, last_error, sent) = n.row(id).await;
    assert_eq!(status, "sent");
    assert_eq!(attempts, 1);
    assert_eq!(last_error, None);
    assert!(sent);

    let metrics = n.metrics().await;
    assert!(
        metrics.contains("pricewatch_emails_total{") && metrics.contains("outcome=\"sent\""),
        "{metrics}"
    );
    assert!(metrics.contains("job=\"send_notification\""), "{metrics}");
    assert!(
        metrics.contains("pricewatch_job_duration_seconds"),
        "{metrics}"
    );

    n.shut_down().await;
}

#[tokio::test]
async fn the_email_shows_the_price_history_as_an_inline_chart() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    // 120 days ago is before the chart's window: it sets where the line starts.
    readings(
        &mut conn,
        &s,
        &[(120, "26.00"), (60, "24.50"), (20, "18.50"), (5, "24.50")],
    )
    .await;
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish(id).await;
    let emails = wait_for_emails(&s.email, 1, Duration::from_secs(20)).await;
    assert_eq!(emails.len(), 1);
    let raw = source(&emails[0]).await;
    let message = MessageParser::default().parse(&raw).unwrap();

    // multipart/alternative of the text and a multipart/related of the HTML and the PNG.
    let root = message.root_part();
    assert!(root.is_content_type("multipart", "alternative"));
    let related: Vec<_> = message
        .parts
        .iter()
        .filter(|p| p.is_content_type("multipart", "related"))
        .collect();
    assert_eq!(related.len(), 1, "one multipart/related");
    let inside: Vec<_> = related[0]
        .sub_parts()
        .unwrap()
        .iter()
        .map(|&i| &message.parts[i as usize])
        .collect();
    assert!(inside[0].is_content_type("text", "html"));
    let image = inside[1];
    assert!(image.is_content_type("image", "png"));
    assert!(image.content_disposition().unwrap().is_inline());
    let cid = image.content_id().unwrap().trim_matches(['<', '>']);
    let png = image.contents();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (600, 200));

    let html = message.body_html(0).unwrap();
    assert!(html.contains(&format!("src=\"cid:{cid}\"")), "{html}");
    // The text alternative: the period's figures, the line before the window included.
    let words = "Last 90 days: lowest €18.50, highest €26.00, latest €19.99.";
    let text = message.body_text(0).unwrap();
    assert!(text.contains(words), "{text}");
    assert!(html.contains(words), "{html}");
    assert!(message.header_raw("List-Unsubscribe").is_some());
    wait_for_status(&n, id, "sent", Duration::from_secs(5)).await;
    n.shut_down().await;
}

#[tokio::test]
async fn a_french_user_gets_the_alert_in_french_with_their_own_time() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    diesel::update(users::table.find(s.user_id))
        .set((
            users::language.eq("fr"),
            users::time_zone.eq("America/New_York"),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    let id = pending_notification(&mut conn, &s, "19.99").await;
    // A winter evening: 22:30 UTC is 17:30 in New York.
    diesel::update(notifications::table.find(id))
        .set(
            notifications::created_at.eq(chrono::DateTime::parse_from_rfc3339(
                "2026-12-04T22:30:00Z",
            )
            .unwrap()
            .with_timezone(&chrono::Utc)),
        )
        .execute(&mut conn)
        .await
        .unwrap();

    n.publish(id).await;
    let emails = wait_for_emails(&s.email, 1, Duration::from_secs(20)).await;
    assert_eq!(emails.len(), 1);
    let raw = source(&emails[0]).await;
    let message = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        message.subject().unwrap(),
        format!("Baisse de prix : {} est à 19,99\u{a0}€", s.title)
    );
    let text = message.body_text(0).unwrap();
    for line in [
        "Bonne nouvelle : ",
        "Prix précédent : 24,50\u{a0}€",
        "Nouveau prix : 19,99\u{a0}€",
        "Votre prix cible : 20,00\u{a0}€",
        "Relevé : 4 déc. 2026, 17:30 (America/New_York)",
        "Pour arrêter ces alertes, mettez le suivi en pause : http://pricewatch.test:8080/unsubscribe/",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(
        !text.contains("Price drop") && !text.contains("22:30"),
        "{text}"
    );
    let html = message.body_html(0).unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Arrêter ces alertes</a>"), "{html}");
    assert!(
        html.contains("4 déc. 2026, 17:30 (America/New_York)"),
        "{html}"
    );
    assert_eq!(
        message.header_raw("Content-Language").map(str::trim),
        Some("fr")
    );
    wait_for_status(&n, id, "sent", Duration::from_secs(5)).await;
    n.shut_down().await;
}

#[tokio::test]
async fn the_hourly_cap_defers_without_dropping() {
    let n = spawn_notifier(&["--emails-per-user-per-hour=1"]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let first = pending_notification(&mut conn, &s, "19.99").await;
    let second = pending_notification(&mut conn, &s, "18.50").await;

    n.publish(first).await;
    n.publish(second).await;
    let emails = wait_for_emails(&s.email, 1, Duration::from_secs(20)).await;
    assert_eq!(emails.len(), 1);
    // Give the other one time to be handled (and deferred).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        emails_to(&s.email).await.len(),
        1,
        "one email within the hour"
    );
    let statuses = [n.row(first).await.0, n.row(second).await.0];
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, ["pending", "sent"], "the other waits, not dropped");
    // Its job waits in a retry queue, on the same attempt.
    let retry_queues: Vec<String> = n
        .bus
        .topology()
        .send_notification
        .retry_queues
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let waiting: u32 = n
        .bus
        .queue_depths()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| retry_queues.contains(&d.queue))
        .map(|d| d.messages)
        .sum();
    assert_eq!(waiting, 1, "the deferred job is kept for later");
    assert_eq!(n.dead_letters().await, 0);

    n.shut_down().await;
}

#[tokio::test]
async fn an_smtp_outage_leaves_the_row_pending_for_a_retry() {
    // Nothing listens on port 9: connection refused, a transient failure.
    let n = spawn_notifier(&["--smtp-port=9"]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish(id).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, attempts, last_error, sent) = n.row(id).await;
        if attempts >= 1 && status == "pending" {
            assert!(
                last_error.is_some_and(|e| !e.is_empty()),
                "the reason is kept"
            );
            assert!(!sent);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{status} {attempts}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(emails_to(&s.email).await.is_empty());

    n.shut_down().await;
}

async fn set_status(n: &TestNotifier, id: Uuid, status: &str, claimed_minutes_ago: i64) {
    let mut conn = n.conn().await;
    diesel::update(notifications::table.find(id))
        .set((
            notifications::status.eq(status),
            notifications::sent_at
                .eq(chrono::Utc::now() - chrono::Duration::minutes(claimed_minutes_ago)),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_claim_is_taken_over_and_a_fresh_one_is_respected() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    // A notifier died mid-send ten minutes ago: the row is sent now.
    let stale = seed(&mut conn).await;
    let stale_id = pending_notification(&mut conn, &stale, "19.99").await;
    set_status(&n, stale_id, "sending", 10).await;
    // Another sender claimed this one a moment ago: it is left alone.
    let busy = seed(&mut conn).await;
    let busy_id = pending_notification(&mut conn, &busy, "19.99").await;
    set_status(&n, busy_id, "sending", 0).await;

    n.publish(stale_id).await;
    n.publish(busy_id).await;
    assert_eq!(
        wait_for_emails(&stale.email, 1, Duration::from_secs(20))
            .await
            .len(),
        1
    );
    wait_for_status(&n, stale_id, "sent", Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(emails_to(&busy.email).await.is_empty());
    assert_eq!(n.row(busy_id).await.0, "sending");

    n.shut_down().await;
}

#[tokio::test]
async fn a_dead_senders_handed_over_email_is_recorded_sent_not_sent_again() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    // A notifier died ten minutes ago right after writing the final "." of
    // DATA: the SMTP server has the email.
    let s = seed(&mut conn).await;
    let id = pending_notification(&mut conn, &s, "19.99").await;
    set_status(&n, id, "sending", 10).await;
    diesel::update(notifications::table.find(id))
        .set(notifications::handed_over_at.eq(chrono::Utc::now() - chrono::Duration::minutes(10)))
        .execute(&mut conn)
        .await
        .unwrap();

    n.publish(id).await;
    wait_for_status(&n, id, "sent", Duration::from_secs(20)).await;
    let (_, attempts, last_error, sent) = n.row(id).await;
    assert!(sent);
    assert_eq!(attempts, 0, "not claimed for a new attempt");
    assert!(
        last_error.is_some_and(|e| e.contains("not sent again")),
        "the row says why"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(emails_to(&s.email).await.is_empty(), "no second email");

    n.shut_down().await;
}

/// An SMTP server that takes the whole email, final "." included, and then
/// drops the connection without answering.
async fn smtp_server_that_never_answers_the_data() -> (u16, tokio::sync::mpsc::Receiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                let mut message = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            tx.send(message).await.unwrap();
                            return; // hangs up without a "250"
                        }
                        message.push_str(&line);
                        message.push('\n');
                        continue;
                    }
                    let reply: &[u8] =
                        match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                            "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => return,
                            _ => b"250 ok\r\n",
                        };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn an_email_the_server_received_but_never_confirmed_is_not_sent_twice() {
    let (port, mut received) = smtp_server_that_never_answers_the_data().await;
    let n = spawn_notifier(&[&format!("--smtp-port={port}")]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish(id).await;
    let message = tokio::time::timeout(Duration::from_secs(20), received.recv())
        .await
        .expect("the server gets the email")
        .unwrap();
    assert!(message.contains(&format!("notification-{id}")), "{message}");
    wait_for_status(&n, id, "sent", Duration::from_secs(20)).await;
    let (_, attempts, last_error, _) = n.row(id).await;
    assert_eq!(attempts, 1);
    let last_error = last_error.unwrap_or_default();
    assert!(
        last_error.contains("did not confirm") && !last_error.contains(&s.email),
        "the row says what happened, without the address: {last_error}"
    );
    // Not tried again: the server would have kept a second copy.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(received.try_recv().is_err(), "sent only once");

    n.shut_down().await;
}

#[tokio::test]
async fn an_unusable_address_fails_the_notification_for_good() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    diesel::update(users::table.find(s.user_id))
        .set(users::email.eq("not an address"))
        .execute(&mut conn)
        .await
        .unwrap();
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish(id).await;
    wait_for_status(&n, id, "failed", Duration::from_secs(20)).await;
    let (_, attempts, last_error, sent) = n.row(id).await;
    assert_eq!(attempts, 1);
    assert!(
        last_error
            .as_deref()
            .is_some_and(|e| e.contains("invalid recipient")),
        "{last_error:?}"
    );
    assert!(!sent);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while n.dead_letters().await < 1 {
        assert!(tokio::time::Instant::now() < deadline, "dead-lettered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    n.shut_down().await;
}

#[tokio::test]
async fn the_last_attempt_marks_the_row_failed_and_dead_letters() {
    // SMTP down, and the job is on its last attempt.
    let n = spawn_notifier(&["--smtp-port=9"]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let id = pending_notification(&mut conn, &s, "19.99").await;

    n.publish_attempt(id, n.bus.topology().max_attempts).await;
    wait_for_status(&n, id, "failed", Duration::from_secs(20)).await;
    let (_, _, last_error, _) = n.row(id).await;
    assert!(
        last_error
            .as_deref()
            .is_some_and(|e| e.contains("temporary SMTP failure")),
        "{last_error:?}"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while n.dead_letters().await < 1 {
        assert!(tokio::time::Instant::now() < deadline, "dead-lettered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    n.shut_down().await;
}

#[tokio::test]
async fn a_stop_finishes_in_flight_emails_and_leaves_nothing_half_done() {
    let n = spawn_notifier(&[]).await;
    let mut conn = n.conn().await;
    let s = seed(&mut conn).await;
    let mut ids = Vec::new();
    for price in ["19.99", "19.50", "19.00"] {
        ids.push(pending_notification(&mut conn, &s, price).await);
    }
    for id in &ids {
        n.publish(*id).await;
    }
    // Stop as soon as the first email is on its way.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut any_claimed = false;
        for id in &ids {
            any_claimed |= n.row(*id).await.1 > 0;
        }
        if any_claimed {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "nothing claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut n = n;
    n.stop_notifier().await;

    let mut conn = n.conn().await;
    let statuses: Vec<String> = notifications::table
        .filter(notifications::id.eq_any(&ids))
        .select(notifications::status)
        .load(&mut conn)
        .await
        .unwrap();
    assert!(
        statuses.iter().all(|s| s == "sent" || s == "pending"),
        "{statuses:?}"
    );
    let sent = statuses.iter().filter(|s| *s == "sent").count();
    assert!(sent >= 1, "the in-flight email was finished");
    assert_eq!(emails_to(&s.email).await.len(), sent);
    drop(conn);
    n.shut_down().await;
}
