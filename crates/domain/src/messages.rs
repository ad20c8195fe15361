//! Message contracts carried over RabbitMQ. Versioned, tagged JSON: a consumer that
//! meets a version it does not know rejects the message to the dead-letter queue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Check one product page now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckPrice {
    /// Unique per scheduled check; the price point is recorded once per job id.
    pub job_id: Uuid,
    pub product_id: Uuid,
    pub url: String,
    pub scheduled_for: DateTime<Utc>,
    /// Why the check was asked for: a schedule name or `manual`.
    #[serde(default)]
    pub reason: String,
    /// 0 for the first try; retries carry the count.
    #[serde(default)]
    pub attempt: u32,
}

/// Email the owner of a notification (the outbox row holds everything else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendNotification {
    pub notification_id: Uuid,
    #[serde(default)]
    pub attempt: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body")]
pub enum Message {
    #[serde(rename = "check_price.v1")]
    CheckPriceV1(CheckPrice),
    #[serde(rename = "send_notification.v1")]
    SendNotificationV1(SendNotification),
}

impl Message {
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising these plain structs cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_price_round_trips_with_version_tag() {
        let msg = Message::CheckPriceV1(CheckPrice {
            job_id: Uuid::nil(),
            product_id: Uuid::nil(),
            url: "https://shop.example.com/p/1".into(),
            scheduled_for: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            reason: "check-prices-6h".into(),
            attempt: 0,
        });
        let json = String::from_utf8(msg.to_json()).unwrap();
        assert!(
            json.starts_with(r#"{"type":"check_price.v1","body":{"job_id":"#),
            "{json}"
        );
        assert_eq!(Message::from_json(json.as_bytes()).unwrap(), msg);
    }

    #[test]
    fn unknown_versions_are_errors_not_panics() {
        assert!(Message::from_json(br#"{"type":"check_price.v9","body":{}}"#).is_err());
        assert!(Message::from_json(b"\xff\xfe").is_err());
    }
}
