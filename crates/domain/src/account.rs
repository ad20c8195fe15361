//! A user's sign-in identity: the email address as we store and compare it,
//! the password policy, and argon2id password hashing. One set of rules for
//! the api, the web pages and the admin CLI.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// An email address as we store and compare it: NFKC-normalised, without
/// default-ignorable code points (zero-width spaces, joiners, bidi marks),
/// lower-cased, and valid by the HTML standard's grammar for an email address
/// (ASCII local part; the domain is IDNA-mapped, so `bücher.example` is kept as
/// `xn--bcher-kva.example`). Look-alikes that survive the mapping (Cyrillic
/// letters, a dotted capital I) are not ASCII and are refused, never stored as
/// a second account beside the real one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "email must be an address like name@example.com (letters, digits and . _ + - before the @)"
)]
pub struct InvalidEmail;

/// The longest address SMTP carries.
const MAX_EMAIL_LEN: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Email, InvalidEmail> {
        let mapped: String = raw
            .nfkc()
            .filter(|&c| !is_default_ignorable(c))
            .collect::<String>()
            .trim()
            .to_lowercase();
        let (local, domain) = mapped.rsplit_once('@').ok_or(InvalidEmail)?;
        if local.is_empty() || local.len() > 64 || !local.bytes().all(is_local_byte) {
            return Err(InvalidEmail);
        }
        let Ok(url::Host::Domain(domain)) = url::Host::parse(domain) else {
            return Err(InvalidEmail);
        };
        let labels_ok = domain.split('.').count() >= 2
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        if !labels_ok {
            return Err(InvalidEmail);
        }
        let email = format!("{local}@{domain}");
        if email.len() > MAX_EMAIL_LEN {
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

/// The HTML standard's `atext` and `.`: what may stand before the `@`.
fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b)
}

/// Unicode's Default_Ignorable_Code_Point: characters that render as nothing.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x061C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
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
        for same in [
            "alice\u{200b}@example.com",
            "\u{ff41}lice@example.com",
            "\u{2060}ALICE@EXAMPLE.COM\u{feff}",
            "alice@\u{ff45}xample.com",
        ] {
            assert_eq!(
                Email::parse(same).unwrap().as_str(),
                "alice@example.com",
                "{same:?}"
            );
        }
        assert_eq!(
            Email::parse("a@b\u{fc}cher.example").unwrap().as_str(),
            "a@xn--bcher-kva.example"
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
            "<script>@example.com",
            "\u{430}lice@example.com",
            "AL\u{130}CE@example.com",
            "a@127.0.0.1",
            "a@[::1]",
            "a@-x.example.com",
            "a\u{0}b@example.com",
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
