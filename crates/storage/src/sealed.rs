//! Sealing a channel's secrets at rest: its whole URL and, for a webhook,
//! the signing secret, encrypted with ChaCha20-Poly1305 under
//! `CHANNEL_SECRET_KEY` before they reach the `channels` table.
//!
//! A sealed value is: version byte `1`, the first 4 bytes of the key's
//! SHA-256 (so a value sealed under another key is reported as such), a
//! random 96-bit nonce, then the ciphertext with its 16-byte tag. The
//! channel's id is the associated data: a sealed value copied onto another
//! row does not open.
//!
//! Its own key rather than one derived from `SECRET_KEY`: the notifier
//! needs to open channels but must not be able to sign api tokens, and
//! rotating `SECRET_KEY` (which logs everybody out) must not destroy every
//! channel.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const AAD_PREFIX: &[u8] = b"pricewatch.channel.v1:";

/// A channel's secret parts, as sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelSecrets {
    /// The channel's whole URL, secrets included.
    pub url: String,
    /// A webhook's `whsec_…` signing secret.
    pub signing_secret: Option<String>,
}

impl fmt::Debug for ChannelSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChannelSecrets(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value was made with another CHANNEL_SECRET_KEY")]
    OtherKey,
    #[error("the sealed value does not open (altered, or not this channel's)")]
    Rejected,
}

/// The key that seals channels: 32 bytes.
#[derive(Clone)]
pub struct ChannelKey {
    cipher: ChaCha20Poly1305,
    id: [u8; KEY_ID_LEN],
}

impl fmt::Debug for ChannelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChannelKey(***)")
    }
}

impl ChannelKey {
    pub fn from_bytes(bytes: [u8; 32]) -> ChannelKey {
        let digest = Sha256::digest(bytes);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        ChannelKey {
            cipher: ChaCha20Poly1305::new(&Key::from(bytes)),
            id,
        }
    }

    /// The key as `CHANNEL_SECRET_KEY` gives it: 32 bytes in standard base64
    /// (`openssl rand -base64 32`).
    pub fn from_base64(raw: &str) -> Result<ChannelKey, String> {
        let bytes = STANDARD
            .decode(raw.trim())
            .map_err(|_| "must be base64 (openssl rand -base64 32)".to_owned())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            format!(
                "must be 32 bytes in base64 (openssl rand -base64 32), not {}",
                b.len()
            )
        })?;
        Ok(ChannelKey::from_bytes(bytes))
    }

    /// Seals a channel's secrets for the row `channel_id`.
    pub fn seal(&self, channel_id: Uuid, secrets: &ChannelSecrets) -> Vec<u8> {
        let plain = serde_json::json!({
            "url": secrets.url,
            "signing_secret": secrets.signing_secret,
        })
        .to_string();
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = aad(channel_id);
        // Encryption only fails for plaintexts beyond 256 GiB.
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`ChannelKey::seal`] made for `channel_id`.
    pub fn open(&self, channel_id: Uuid, sealed: &[u8]) -> Result<ChannelSecrets, OpenError> {
        let header = 1 + KEY_ID_LEN + NONCE_LEN;
        if sealed.len() < header + 16 || sealed[0] != VERSION {
            return Err(OpenError::Malformed);
        }
        if sealed[1..=KEY_ID_LEN] != self.id {
            return Err(OpenError::OtherKey);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1 + KEY_ID_LEN..header]
            .try_into()
            .map_err(|_| OpenError::Malformed)?;
        let nonce = Nonce::from(nonce);
        let aad = aad(channel_id);
        let plain = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed[header..],
                    aad: &aad,
                },
            )
            .map_err(|_| OpenError::Rejected)?;
        let value: serde_json::Value =
            serde_json::from_slice(&plain).map_err(|_| OpenError::Malformed)?;
        let url = value["url"]
            .as_str()
            .ok_or(OpenError::Malformed)?
            .to_owned();
        let signing_secret = value["signing_secret"].as_str().map(str::to_owned);
        Ok(ChannelSecrets {
            url,
            signing_secret,
        })
    }
}

fn aad(channel_id: Uuid) -> Vec<u8> {
    let mut aad = AAD_PREFIX.to_vec();
    aad.extend_from_slice(channel_id.as_bytes());
    aad
}

/// `CHANNEL_SECRET_KEY` as a setting: empty means "not configured" (no
/// channel can be added or delivered).
#[derive(Debug, Clone, Default)]
pub struct ChannelKeySetting(pub Option<ChannelKey>);

/// clap's value parser for `CHANNEL_SECRET_KEY`.
pub fn parse_channel_key(raw: &str) -> Result<ChannelKeySetting, String> {
    if raw.trim().is_empty() {
        return Ok(ChannelKeySetting(None));
    }
    ChannelKey::from_base64(raw).map(|key| ChannelKeySetting(Some(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> ChannelSecrets {
        ChannelSecrets {
            url: "tgram://123:secret/-100".into(),
            signing_secret: Some("whsec_abc".into()),
        }
    }

    #[test]
    fn sealed_secrets_open_only_for_their_channel_and_key() {
        let key = ChannelKey::from_bytes([7; 32]);
        let id = Uuid::new_v4();
        let sealed = key.seal(id, &secrets());
        assert!(!sealed.windows(6).any(|w| w == b"secret"), "not in clear");
        assert_eq!(key.open(id, &sealed), Ok(secrets()));
        assert_ne!(key.seal(id, &secrets()), sealed, "a fresh nonce each time");
        assert_eq!(key.open(Uuid::new_v4(), &sealed), Err(OpenError::Rejected));
        let other = ChannelKey::from_bytes([8; 32]);
        assert_eq!(other.open(id, &sealed), Err(OpenError::OtherKey));
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(key.open(id, &altered), Err(OpenError::Rejected));
        assert_eq!(key.open(id, &sealed[..10]), Err(OpenError::Malformed));
        let plain = ChannelSecrets {
            signing_secret: None,
            ..secrets()
        };
        assert_eq!(key.open(id, &key.seal(id, &plain)), Ok(plain));
    }

    #[test]
    fn the_setting_is_32_bytes_of_base64_or_empty() {
        assert!(parse_channel_key("").unwrap().0.is_none());
        let raw = STANDARD.encode([1u8; 32]);
        assert!(parse_channel_key(&raw).unwrap().0.is_some());
        assert!(parse_channel_key("not base64!").is_err());
        assert!(
            parse_channel_key(&STANDARD.encode([1u8; 16]))
                .unwrap_err()
                .contains("not 16")
        );
        assert_eq!(
            format!("{:?}", parse_channel_key(&raw).unwrap()),
            "ChannelKeySetting(Some(ChannelKey(***)))"
        );
    }
}
