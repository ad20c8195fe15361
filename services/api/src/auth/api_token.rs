//! Personal API tokens: `pw_` and 43 random letters and digits (256 bits),
//! shown once, stored as their SHA-256. The prefix lets secret scanners find a
//! leaked one; [`PREFIX_CHARS`] characters are kept to tell tokens apart.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Every personal API token starts with this.
pub const TOKEN_PREFIX: &str = "pw_";
/// Every feed token starts with this.
pub const FEED_TOKEN_PREFIX: &str = "pwf_";
/// Random characters after the prefix: 43 of 62 symbols, just over 256 bits.
const RANDOM_CHARS: usize = 43;
/// Characters of a token kept for display (`pw_` and 6 more).
pub const PREFIX_CHARS: usize = 9;

/// A new random token with `prefix` (`pw_` or `pwf_`).
pub fn generate(prefix: &str) -> String {
    let random: String = rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(RANDOM_CHARS)
        .map(char::from)
        .collect();
    format!("{prefix}{random}")
}

/// True when `token` has the shape of a token with `prefix`: checked before
/// any database read, so junk costs nothing.
pub fn well_formed(token: &str, prefix: &str) -> bool {
    token.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// What is stored and looked up: the SHA-256 of the token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The part of a token shown in lists.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(PREFIX_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_recognisable() {
        let a = generate(TOKEN_PREFIX);
        let b = generate(TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("pw_") && a.len() == 46, "{a}");
        assert!(well_formed(&a, TOKEN_PREFIX));
        assert!(!well_formed(&a, FEED_TOKEN_PREFIX));
        assert!(!well_formed("pw_short", TOKEN_PREFIX));
        assert!(!well_formed(&format!("{a}!"), TOKEN_PREFIX));
        assert_eq!(hash(&a).len(), 32);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(display_prefix(&a), a[..9]);
        assert!(well_formed(&generate(FEED_TOKEN_PREFIX), FEED_TOKEN_PREFIX));
    }
}
