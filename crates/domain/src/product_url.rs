//! A product page URL as users give it, validated and normalised so that two users
//! watching the same page share one product row.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::address::forbidden_host_name;
pub use crate::address::{check_address, forbidden_reason};

pub const MAX_URL_LEN: usize = 2048;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidUrl {
    #[error("the URL is empty")]
    Empty,
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("the URL could not be parsed: {0}")]
    Malformed(String),
    #[error("only http and https URLs can be watched, not {0:?}")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("the URL must not carry a user name or password")]
    Credentials,
    #[error("the address {0} is not allowed: {1}")]
    ForbiddenAddress(IpAddr, &'static str),
    #[error("the host {0} is not allowed: {1}")]
    ForbiddenHost(String, &'static str),
    #[error("the URL must not contain control characters")]
    ControlCharacter,
}

/// A validated, normalised http(s) URL: lower-case host, no fragment, no default
/// port, no tracking parameters (`utm_*`, `gclid`, `fbclid`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductUrl(Url);

impl ProductUrl {
    /// Parses and normalises; refuses literal IP hosts that are never a shop
    /// (loopback, private…) unless `allow_loopback` and the address is loopback.
    pub fn parse_with(raw: &str, allow_loopback: bool) -> Result<Self, InvalidUrl> {
        // A control character is refused, never dropped or percent-encoded: what
        // is stored must be what the user sees.
        if raw.chars().any(char::is_control) {
            return Err(InvalidUrl::ControlCharacter);
        }
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(InvalidUrl::Empty);
        }
        if raw.len() > MAX_URL_LEN {
            return Err(InvalidUrl::TooLong);
        }
        let mut url = Url::parse(raw).map_err(|e| InvalidUrl::Malformed(e.to_string()))?;
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(InvalidUrl::Scheme(other.to_owned())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidUrl::Credentials);
        }
        let ip = match url.host() {
            None => return Err(InvalidUrl::NoHost),
            Some(Host::Domain("")) => return Err(InvalidUrl::NoHost),
            Some(Host::Domain(name)) => {
                if let Some(reason) = forbidden_host_name(name)
                    && !(allow_loopback && reason == crate::address::LOOPBACK)
                {
                    return Err(InvalidUrl::ForbiddenHost(name.to_owned(), reason));
                }
                None
            }
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        };
        if let Some(ip) = ip {
            check_address(ip, allow_loopback)
                .map_err(|reason| InvalidUrl::ForbiddenAddress(ip, reason))?;
        }
        url.set_fragment(None);
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else if url.query_pairs().count() != kept.len() {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        // The limit holds for what is stored: percent-encoding can triple a length.
        if url.as_str().len() > MAX_URL_LEN {
            return Err(InvalidUrl::TooLong);
        }
        Ok(ProductUrl(url))
    }

    /// Strict parse for production: no private or loopback literal addresses.
    pub fn parse(raw: &str) -> Result<Self, InvalidUrl> {
        Self::parse_with(raw, false)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }
}

fn is_tracking_param(key: &str) -> bool {
    key.starts_with("utm_") || matches!(key, "gclid" | "fbclid" | "msclkid" | "mc_eid")
}

impl TryFrom<String> for ProductUrl {
    type Error = InvalidUrl;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        // Messages carry URLs the api already checked; loopback may be the dev shop.
        ProductUrl::parse_with(&value, true)
    }
}

impl From<ProductUrl> for String {
    fn from(value: ProductUrl) -> Self {
        value.0.into()
    }
}

impl fmt::Display for ProductUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_host_fragment_port_and_tracking() {
        let u = ProductUrl::parse("HTTPS://Shop.Example.COM:443/p/1?utm_source=x&id=7#reviews")
            .unwrap();
        assert_eq!(u.as_str(), "https://shop.example.com/p/1?id=7");
        let u = ProductUrl::parse("http://shop.example.com/p?utm_medium=a").unwrap();
        assert_eq!(u.as_str(), "http://shop.example.com/p");
    }

    #[test]
    fn refuses_what_is_not_a_web_page() {
        assert_eq!(ProductUrl::parse(""), Err(InvalidUrl::Empty));
        assert!(matches!(
            ProductUrl::parse("ftp://x.com/a"),
            Err(InvalidUrl::Scheme(_))
        ));
        assert!(matches!(
            ProductUrl::parse("javascript:alert(1)"),
            Err(InvalidUrl::Scheme(_))
        ));
        assert!(matches!(
            ProductUrl::parse("not a url"),
            Err(InvalidUrl::Malformed(_))
        ));
        assert_eq!(
            ProductUrl::parse("http://u:p@x.com/"),
            Err(InvalidUrl::Credentials)
        );
        let long = format!("https://x.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(ProductUrl::parse(&long), Err(InvalidUrl::TooLong));
    }

    #[test]
    fn refuses_internal_addresses_in_every_spelling() {
        for raw in [
            "http://127.0.0.1/",
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://017700000001/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://224.0.0.1/",
        ] {
            assert!(
                matches!(
                    ProductUrl::parse(raw),
                    Err(InvalidUrl::ForbiddenAddress(..))
                ),
                "{raw} must be refused"
            );
        }
        assert!(ProductUrl::parse("http://8.8.8.8/").is_ok());
    }

    #[test]
    fn refuses_names_and_embeddings_of_this_machine() {
        for raw in [
            "http://localhost/",
            "http://LOCALHOST./",
            "http://localhost.localdomain/",
            "http://foo.localhost/",
            "http://\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}/",
            "http://[2002:7f00:1::]/",
            "http://[::ffff:0:127.0.0.1]/",
            "http://[fec0::1]/",
        ] {
            assert!(
                matches!(
                    ProductUrl::parse(raw),
                    Err(InvalidUrl::ForbiddenAddress(..) | InvalidUrl::ForbiddenHost(..))
                ),
                "{raw} must be refused: {:?}",
                ProductUrl::parse(raw)
            );
        }
        assert!(ProductUrl::parse_with("http://localhost:8090/p", true).is_ok());
    }

    #[test]
    fn refuses_control_characters_and_long_encodings() {
        for raw in [
            "http://x.com/p\u{0}x",
            "http://x.com/p\r\nx",
            "http://x.com/\u{85}",
            "http://x.com/a\n",
        ] {
            assert_eq!(
                ProductUrl::parse(raw),
                Err(InvalidUrl::ControlCharacter),
                "{raw:?}"
            );
        }
        // 1,000 characters typed, 3,000 once percent-encoded.
        let typed = format!("https://x.com/{}", "\u{e9}".repeat(1000));
        assert!(typed.chars().count() < MAX_URL_LEN);
        assert_eq!(ProductUrl::parse(&typed), Err(InvalidUrl::TooLong));
    }

    #[test]
    fn loopback_only_with_the_dev_setting() {
        assert!(ProductUrl::parse_with("http://127.0.0.1:8090/products/a", true).is_ok());
        assert!(ProductUrl::parse_with("http://10.0.0.1/", true).is_err());
    }
}
