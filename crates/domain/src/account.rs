//! A user's sign-in identity: the email address as we store and compare it,
//! the password policy, and argon2id password hashing. One set of rules for
//! the api, the web pages and the admin CLI.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// An email address, trimmed and lower-cased, of a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("email must be an address like name@example.com")]
pub struct InvalidEmail;

impl Email {
    pub fn parse(raw: &str) -> Result<Email, InvalidEmail> {
        let email = raw.trim().to_lowercase();
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidEmail);
        }
        let (local, domain) = email.split_once('@').ok_or(InvalidEmail)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(InvalidEmail);
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a password is refused; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("password must be at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("password must mix letters with digits or symbols")]
    NotMixed,
}

/// A password is at least 8 characters, at most 128, with a letter and a non-letter.
pub fn check_password(password: &str) -> Result<(), WeakPassword> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(WeakPassword::TooShort);
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(WeakPassword::TooLong);
    }
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_other = password.chars().any(|c| !c.is_alphabetic());
    if !has_letter || !has_other {
        return Err(WeakPassword::NotMixed);
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The argon2id hash (PHC string) of a password. CPU-heavy: async callers run
/// it off their executor.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Verifies against a stored hash; with no hash (unknown user) it still spends
/// the same work, so response times do not reveal which emails exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let known = stored.is_some();
    let stored = stored.unwrap_or(&DUMMY_HASH);
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && known
}

/// argon2id hash of a random string nobody knows, made once per process.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(salt.as_str().as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Alice@Example.COM ").unwrap().as_str(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "a b@example.com",
            "a@example",
            "a@@example.com",
            "a@.example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert_eq!(check_password("short1"), Err(WeakPassword::TooShort));
        assert_eq!(check_password("onlyletters"), Err(WeakPassword::NotMixed));
        assert_eq!(check_password("1234567890"), Err(WeakPassword::NotMixed));
        assert_eq!(check_password(&"a1".repeat(65)), Err(WeakPassword::TooLong));
        assert!(check_password("correct horse 9").is_ok());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse 9").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse 9", Some(&hash)));
        assert!(!verify_password("correct horse 8", Some(&hash)));
        assert!(!verify_password("correct horse 9", None));
        assert!(!verify_password("correct horse 9", Some("not a hash")));
    }
}
