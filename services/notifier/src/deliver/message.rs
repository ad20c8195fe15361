//! What an alert says on a channel: a title, one short text, the link, and
//! for webhooks the whole event as JSON.

use chrono::{DateTime, Utc};
use pricewatch_storage::queries::notifications::EmailDetails;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::email::{Alert, escape_html, format_amount};

/// One alert, in the words every channel uses.
#[derive(Debug, Clone)]
pub struct AlertMessage {
    pub title: String,
    /// One or two lines, plain text.
    pub text: String,
    /// The same, as simple HTML (Telegram, Matrix).
    pub html: String,
    pub product_url: String,
    /// The event a webhook receives.
    pub event: Value,
}

/// "Price drop", "New lowest price"…: the headline of the rules that fired.
fn headline(rules: &[String]) -> &'static str {
    let has = |kind: &str| rules.iter().any(|r| r == kind);
    if has("back_in_stock") {
        "Back in stock"
    } else if has("new_low") {
        "New lowest price"
    } else if has("any_change")
        && !has("below_target")
        && !has("percent_drop")
        && !has("amount_drop")
    {
        "Price change"
    } else {
        "Price drop"
    }
}

impl AlertMessage {
    pub fn new(details: &EmailDetails, public_base_url: &url::Url, at: DateTime<Utc>) -> Self {
        let alert = Alert::new(details, public_base_url);
        let n = &details.notification;
        let c = &alert.currency;
        let title = format!("{}: {}", headline(&n.rules), alert.title);
        let was = alert
            .old_price
            .as_ref()
            .map(|old| format!(" (was {old} {c})"))
            .unwrap_or_default();
        let text = format!(
            "{} is now {} {c}{was}. Your target: {} {c}.\n{}",
            alert.title, alert.new_price, alert.target_price, alert.product_url
        );
        let was_html = alert
            .old_price
            .as_ref()
            .map(|old| format!(" (was <s>{} {}</s>)", escape_html(old), escape_html(c)))
            .unwrap_or_default();
        let html = format!(
            "<b>{}</b><br>{} is now <b>{} {}</b>{was_html}. Your target: {} {}.<br><a href=\"{}\">See the product</a>",
            escape_html(headline(&n.rules)),
            escape_html(&alert.title),
            escape_html(&alert.new_price),
            escape_html(c),
            escape_html(&alert.target_price),
            escape_html(c),
            escape_html(&alert.product_url),
        );
        let event = json!({
            "type": "price.alert",
            "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "data": {
                "notification_id": n.id,
                "watch_id": n.watch_id,
                "product": {
                    "id": n.product_id,
                    "title": details.product_title,
                    "url": details.product_url,
                },
                "old_price": n.old_price.map(format_amount),
                "new_price": format_amount(n.new_price),
                "target_price": format_amount(n.target_price),
                "currency": n.currency.trim(),
                "rules": n.rules,
                "created_at": n.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }
        });
        AlertMessage {
            title,
            text,
            html,
            product_url: alert.product_url,
            event,
        }
    }
}

/// The fixed words of a channel's test message.
pub const TEST_TEXT: &str = "PriceWatch test message: this channel works";

impl AlertMessage {
    /// The message of a "send a test" of a channel (`id`: the test's id).
    pub fn test(id: Uuid, public_base_url: &url::Url, at: DateTime<Utc>) -> Self {
        let link = public_base_url.to_string();
        AlertMessage {
            title: "PriceWatch test".to_owned(),
            text: TEST_TEXT.to_owned(),
            html: escape_html(TEST_TEXT),
            product_url: link,
            event: json!({
                "type": "channel.test",
                "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "data": {
                    "test_id": id,
                    "message": TEST_TEXT,
                }
            }),
        }
    }
}

/// The transaction id of the `index`-th room of a Matrix delivery: the
/// delivery's id for the first, so a retry is the same transaction.
pub fn transaction_id(delivery_id: Uuid, index: usize) -> String {
    if index == 0 {
        delivery_id.to_string()
    } else {
        format!("{delivery_id}.{index}")
    }
}
