//! argon2id password hashing, run off the async executor.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use crate::error::ApiError;

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password is at least 8 characters, at most 128, with a letter and a non-letter.
pub fn check_strength(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(ApiError::validation(
            "password",
            format!("password must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(ApiError::validation(
            "password",
            format!("password must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_other = password.chars().any(|c| !c.is_alphabetic());
    if !has_letter || !has_other {
        return Err(ApiError::validation(
            "password",
            "password must mix letters with digits or symbols",
        ));
    }
    Ok(())
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    actix_web::web::block(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing task failed: {e}")))?
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing failed: {e}")))
}

/// Verifies against a stored hash; with no hash (unknown user) it still spends
/// the same work, so response times do not reveal which emails exist.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    actix_web::web::block(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = match PasswordHash::new(&stored) {
            Ok(p) => p,
            Err(_) => return false,
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && known
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("verify task failed: {e}")))
}

/// argon2id hash of a random string nobody knows, made once per process.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(uuid::Uuid::new_v4().as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short1").is_err());
        assert!(check_strength("onlyletters").is_err());
        assert!(check_strength("1234567890").is_err());
        assert!(check_strength(&"a1".repeat(65)).is_err());
        assert!(check_strength("correct horse 9").is_ok());
    }
}
