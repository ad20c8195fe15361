//! A product page URL as users give it, validated and normalised so that two users
//! watching the same page share one product row.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use url::{Host, Url};

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
            Some(Host::Domain(_)) => None,
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        };
        if let Some(ip) = ip {
            check_address(ip, allow_loopback)?;
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

/// Why an address must never be fetched, or `None` when it is a public unicast address.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

/// `Ok` when the address may be fetched; loopback is allowed only when asked.
pub fn check_address(ip: IpAddr, allow_loopback: bool) -> Result<(), InvalidUrl> {
    match forbidden_reason(ip) {
        Some("loopback") if allow_loopback => Ok(()),
        Some(reason) => Err(InvalidUrl::ForbiddenAddress(ip, reason)),
        None => Ok(()),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_private() {
        Some("private network")
    } else if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        Some("cloud metadata")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT")
    } else if ip.is_multicast() || a >= 240 || ip.is_broadcast() {
        Some("multicast or reserved")
    } else if (a == 192 && b == 0 && c == 0) || (a == 198 && (b == 18 || b == 19)) {
        Some("reserved")
    } else if ip.is_documentation() {
        Some("documentation range")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_multicast() {
        Some("multicast or reserved")
    } else if (first & 0xfe00) == 0xfc00 {
        Some("unique local")
    } else if (first & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        Some("cloud metadata")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("documentation range")
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        // NAT64 can smuggle a private IPv4 address.
        let s = ip.segments();
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        let embedded = Ipv4Addr::new(a, b, c, d);
        forbidden_v4(embedded)
    } else if ip.segments()[..6] == [0, 0, 0, 0, 0, 0] {
        Some("IPv4-compatible (deprecated)")
    } else {
        None
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
    fn loopback_only_with_the_dev_setting() {
        assert!(ProductUrl::parse_with("http://127.0.0.1:8090/products/a", true).is_ok());
        assert!(ProductUrl::parse_with("http://10.0.0.1/", true).is_err());
    }
}
