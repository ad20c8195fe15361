//! Notification channels: where a user's alerts go (ntfy, Telegram, a
//! webhook…), each given as one URL (`docs/channels.md`). The URL is parsed
//! by the domain's channel parser, its host put through the address policy,
//! and stored sealed; only the redacted URL is ever shown.

pub mod create;
pub mod delete;
pub mod list;
pub mod test;
pub mod update;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use pricewatch_domain::channel::{Channel, ChannelKind};
use pricewatch_storage::models::{ChannelRow, ChannelTest};
use pricewatch_storage::sealed::ChannelKey;
use rand::RngCore;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// Random bytes of a webhook signing secret (the Standard Webhooks
/// specification asks for 24 to 64).
const SIGNING_SECRET_BYTES: usize = 32;

/// A channel as shown: never its secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelResponse {
    pub id: Uuid,
    /// email, ntfy, gotify, telegram, discord, slack, pushover, matrix or webhook.
    #[schema(example = "telegram")]
    pub kind: String,
    #[schema(example = "My phone")]
    pub name: String,
    /// The URL with every secret masked (`***` and, for long secrets, their last four characters).
    #[schema(example = "tgram://123456789:***0001/-1001234567890")]
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ChannelRow> for ChannelResponse {
    fn from(c: ChannelRow) -> Self {
        ChannelResponse {
            id: c.id,
            kind: c.kind,
            name: c.name,
            url: c.redacted_url,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new channel: the only answer that shows a webhook's signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedChannel {
    #[serde(flatten)]
    pub channel: ChannelResponse,
    /// Webhooks only: the secret that signs each request (Standard Webhooks:
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature`). Shown once:
    /// store it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw4Y7Xm3ZWG2s=")]
    pub signing_secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelResponse>,
}

/// A test message asked for with `POST /channels/{id}/test`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelTestResponse {
    pub id: Uuid,
    pub channel_id: Uuid,
    /// pending, sending, sent or failed.
    #[schema(example = "pending")]
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ChannelTest> for ChannelTestResponse {
    fn from(t: ChannelTest) -> Self {
        ChannelTestResponse {
            id: t.id,
            channel_id: t.channel_id,
            status: t.status,
            attempts: t.attempts,
            last_error: t.last_error,
            sent_at: t.sent_at,
            created_at: t.created_at,
        }
    }
}

/// The key that seals channels, or a 503 when `CHANNEL_SECRET_KEY` is unset.
fn channel_key(state: &AppState) -> Result<&ChannelKey, ApiError> {
    state
        .settings
        .channel_secret_key
        .0
        .as_ref()
        .ok_or(ApiError::Unavailable(
            "notification channels (the server has no CHANNEL_SECRET_KEY)",
        ))
}

/// A channel name: 1 to 100 characters, no control characters.
pub fn parse_name(raw: &str) -> Result<String, ApiError> {
    pricewatch_domain::channel::validate_name(raw).map_err(|e| ApiError::validation("name", e))
}

/// A channel URL that passes the parser and the address policy: its literal
/// addresses (parser) and the addresses its host name resolves to.
/// `ALLOW_LOOPBACK_TARGETS` lets loopback through, as for watch URLs.
pub async fn parse_url(state: &AppState, raw: &str) -> Result<Channel, ApiError> {
    let allow_loopback = state.settings.allow_loopback_targets;
    let channel =
        Channel::parse_with(raw, allow_loopback).map_err(|e| ApiError::validation("url", e))?;
    if let Some(endpoint) = channel.endpoint() {
        crate::resolve::check_endpoint(&state.resolver, &endpoint, allow_loopback)
            .await
            .map_err(|message| ApiError::validation("url", message))?;
    }
    Ok(channel)
}

/// A `mailto://` channel names the account's own address, else a 422
/// naming `url` (no open mail relay).
pub async fn check_recipient(
    conn: &mut pricewatch_storage::AsyncPgConnection,
    user_id: Uuid,
    channel: &Channel,
) -> Result<(), ApiError> {
    if !matches!(channel, Channel::Email(_)) {
        return Ok(());
    }
    let email = pricewatch_storage::queries::users::find(conn, user_id)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    channel
        .check_recipient(&email)
        .map_err(|message| ApiError::validation("url", message))
}

/// A webhook's signing secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_signing_secret() -> String {
    let mut bytes = [0u8; SIGNING_SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// Whether the channel's kind takes a signing secret.
pub fn signs(kind: ChannelKind) -> bool {
    kind == ChannelKind::Webhook
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_secrets_are_whsec_and_base64_of_32_random_bytes() {
        let a = new_signing_secret();
        let b = new_signing_secret();
        assert_ne!(a, b);
        let raw = STANDARD.decode(a.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(raw.len(), SIGNING_SECRET_BYTES);
    }
}
