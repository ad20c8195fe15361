//! Short-lived HS256 access tokens signed with `SECRET_KEY`.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
    iss: String,
    /// The user's token version when issued; a password change raises it.
    #[serde(default)]
    ver: i32,
}

/// Who a valid token speaks for, and under which token version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSubject {
    pub user: Uuid,
    pub version: i32,
}

const ISSUER: &str = "pricewatch";

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_seconds: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys([redacted])")
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_seconds: u32) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_seconds: i64::from(ttl_seconds),
        }
    }

    pub fn issue(&self, user: Uuid, version: i32) -> Result<String, ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            iat: now,
            exp: now + self.ttl_seconds,
            iss: ISSUER.to_owned(),
            ver: version,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("token signing failed: {e}")))
    }

    pub fn verify(&self, token: &str) -> Result<TokenSubject, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 5;
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| TokenSubject {
                user: data.claims.sub,
                version: data.claims.ver,
            })
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::Unauthorized("the access token has expired; log in again".to_owned())
                }
                _ => ApiError::Unauthorized("invalid access token".to_owned()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let user = Uuid::new_v4();
        let token = keys.issue(user, 3).unwrap();
        assert_eq!(
            keys.verify(&token).unwrap(),
            TokenSubject { user, version: 3 }
        );
        let other = TokenKeys::new(b"another-secret-another-secret-xx", 60);
        assert!(other.verify(&token).is_err());
        assert!(keys.verify("not.a.token").is_err());
    }
}
