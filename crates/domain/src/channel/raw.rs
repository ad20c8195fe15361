//! The generic shape every channel URL shares, split without interpreting it:
//! `scheme://[user[:password]@]authority[/segment…][?key=value&…]`.
//!
//! The authority is left raw because its meaning differs per service (a host
//! and port, a Telegram bot token with its colon, an ntfy topic). A `#` is an
//! ordinary character (Slack channels and Matrix rooms start with one), never
//! a fragment. User, password and path segments are percent-decoded; empty
//! segments are dropped.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use url::Host;

use super::InvalidChannel;
use crate::address::{LOOPBACK, check_address, forbidden_host_name};

/// The longest channel URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// A channel URL split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawUrl {
    /// Lower-cased.
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Between the user information and the first `/` or `?`; not decoded.
    pub authority: String,
    pub path: Vec<String>,
    pub query: Query,
}

/// The query's parameters: keys lower-cased, each at most once. Each service
/// takes the ones it knows; any left over is an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Query(Vec<(String, String)>);

impl Query {
    pub fn take(&mut self, key: &str) -> Option<String> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    /// The parameters nobody took, in their order (a webhook passes them on).
    pub fn rest(self) -> Vec<(String, String)> {
        self.0
    }

    /// Fails on the first parameter that `service` does not know.
    pub fn finish(self, service: &str) -> Result<(), InvalidChannel> {
        match self.0.into_iter().next() {
            None => Ok(()),
            Some((key, _)) => Err(InvalidChannel::new(
                "query",
                format!("{service} has no parameter {key:?}"),
            )),
        }
    }
}

pub(super) fn split(raw: &str) -> Result<RawUrl, InvalidChannel> {
    if raw.chars().any(char::is_control) {
        return Err(InvalidChannel::new(
            "url",
            "the URL must not contain control characters",
        ));
    }
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(InvalidChannel::new("url", "the URL is empty"));
    }
    if raw.len() > MAX_URL_LEN {
        return Err(InvalidChannel::new(
            "url",
            format!("the URL is longer than {MAX_URL_LEN} characters"),
        ));
    }
    if raw.contains(char::is_whitespace) {
        return Err(InvalidChannel::new(
            "url",
            "the URL must not contain spaces (write them as %20)",
        ));
    }
    let (scheme, rest) = raw
        .split_once(':')
        .ok_or_else(|| InvalidChannel::new("scheme", "the URL needs a scheme, such as ntfy://"))?;
    let scheme = scheme.to_ascii_lowercase();
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !valid_scheme {
        return Err(InvalidChannel::new(
            "scheme",
            "the URL needs a scheme, such as ntfy://",
        ));
    }
    // `mailto:someone@example.com` is the usual form of an email address.
    let rest = match rest.strip_prefix("//") {
        Some(rest) => rest,
        None if scheme == "mailto" => rest,
        None => {
            return Err(InvalidChannel::new(
                "scheme",
                format!("expected {scheme}:// at the start"),
            ));
        }
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.split_once('/') {
        Some((authority, path)) => (authority, path),
        None => (before_query, ""),
    };
    let (userinfo, authority) = match authority.rsplit_once('@') {
        Some((userinfo, authority)) => (Some(userinfo), authority),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(info) => {
            let (user, password) = match info.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (info, None),
            };
            let user = decode("user", user)?;
            if user.is_empty() {
                return Err(InvalidChannel::new("user", "the user before @ is empty"));
            }
            let password = password.map(|p| decode("password", p)).transpose()?;
            if password.as_deref() == Some("") {
                return Err(InvalidChannel::new("password", "the password is empty"));
            }
            (Some(user), password)
        }
    };
    let path = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| decode("path", segment))
        .collect::<Result<Vec<_>, _>>()?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        if key.starts_with(['+', '-', ':']) {
            return Err(InvalidChannel::new(
                "query",
                format!("{key:?}: custom headers and payload fields (+, -, :) are not supported"),
            ));
        }
        let key = decode_form("query", key)?.to_ascii_lowercase();
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        {
            return Err(InvalidChannel::new(
                "query",
                format!("{key:?} is not a parameter name (letters, digits, _, . and -)"),
            ));
        }
        let value = decode_form("query", value)?;
        if pairs.iter().any(|(k, _)| *k == key) {
            return Err(InvalidChannel::new(
                "query",
                format!("the parameter {key:?} is given twice"),
            ));
        }
        pairs.push((key, value));
    }
    Ok(RawUrl {
        scheme,
        user,
        password,
        authority: authority.to_owned(),
        path,
        query: Query(pairs),
    })
}

/// A query key or value: `+` is a space, as in forms.
fn decode_form(part: &'static str, raw: &str) -> Result<String, InvalidChannel> {
    decode(part, &raw.replace('+', " "))
}

fn decode(part: &'static str, raw: &str) -> Result<String, InvalidChannel> {
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| InvalidChannel::new(part, "the %-encoding is not valid UTF-8"))?;
    if decoded.chars().any(char::is_control) {
        return Err(InvalidChannel::new(
            part,
            "must not contain control characters",
        ));
    }
    Ok(decoded.into_owned())
}

/// A host and an optional port from a raw authority: a DNS name, an IPv4
/// address or a bracketed IPv6 address. Literal addresses and `localhost`
/// names pass the address policy (loopback only when `allow_loopback`).
pub(super) fn host_port(
    authority: &str,
    allow_loopback: bool,
) -> Result<(Host<String>, Option<u16>), InvalidChannel> {
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (_, after) = inner
            .split_once(']')
            .ok_or_else(|| InvalidChannel::new("host", "an IPv6 address lacks its ]"))?;
        let host_len = authority.len() - after.len();
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| {
                InvalidChannel::new("port", "a port follows the host after a colon")
            })?),
        };
        (&authority[..host_len], port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(InvalidChannel::new("host", "the URL has no host"));
    }
    let port = port.map(parse_port).transpose()?;
    let host = Host::parse(host)
        .map_err(|e| InvalidChannel::new("host", format!("{host:?} is not a host name: {e}")))?;
    let refusal = match &host {
        Host::Domain(name) => forbidden_host_name(name),
        Host::Ipv4(ip) => check_address((*ip).into(), allow_loopback).err(),
        Host::Ipv6(ip) => check_address((*ip).into(), allow_loopback).err(),
    };
    match refusal {
        Some(LOOPBACK) if allow_loopback => {}
        Some(reason) => {
            return Err(InvalidChannel::new(
                "host",
                format!("{host} is not allowed: {reason}"),
            ));
        }
        None => {}
    }
    Ok((host, port))
}

fn parse_port(port: &str) -> Result<u16, InvalidChannel> {
    let bad = || InvalidChannel::new("port", format!("{port:?} is not a port (1 to 65535)"));
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad()),
        Ok(port) => Ok(port),
    }
}

/// What a user name or password keeps as is when rendered.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'+');

/// What a path segment keeps as is when rendered (`#`, `!`, `:` and `@` for
/// channels and rooms).
const SEGMENT: &AsciiSet = &USERINFO
    .remove(b'#')
    .remove(b'!')
    .remove(b':')
    .remove(b'@')
    .remove(b'=')
    .remove(b',');

pub(super) fn encode_userinfo(value: &str) -> String {
    utf8_percent_encode(value, USERINFO).to_string()
}

pub(super) fn encode_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

pub(super) fn encode_query(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut out = url::form_urlencoded::Serializer::new(String::from("?"));
    out.extend_pairs(pairs);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_without_interpreting_the_authority() {
        let raw =
            split("NTFY://me:p%40ss@host.example:8080/a/%2Fb//c?Priority=high&tags=x,y").unwrap();
        assert_eq!(raw.scheme, "ntfy");
        assert_eq!(raw.user.as_deref(), Some("me"));
        assert_eq!(raw.password.as_deref(), Some("p@ss"));
        assert_eq!(raw.authority, "host.example:8080");
        assert_eq!(raw.path, ["a", "/b", "c"]);
        assert_eq!(
            raw.query.rest(),
            [
                ("priority".into(), "high".into()),
                ("tags".into(), "x,y".into())
            ]
        );
        let raw = split("tgram://123:ABC/-100#x").unwrap();
        assert_eq!(raw.authority, "123:ABC");
        assert_eq!(raw.path, ["-100#x"]);
        assert_eq!(split("mailto:a@b.example").unwrap().authority, "b.example");
    }

    #[test]
    fn names_the_part_that_is_wrong() {
        let part = |raw: &str| split(raw).unwrap_err().part;
        assert_eq!(part(""), "url");
        assert_eq!(part("ntfy://a\nb"), "url");
        assert_eq!(part("ntfy://a b"), "url");
        assert_eq!(part("no scheme"), "url");
        assert_eq!(part("nothing"), "scheme");
        assert_eq!(part("ntfy:topic"), "scheme");
        assert_eq!(part("1tp://x"), "scheme");
        assert_eq!(part("ntfy://@h/t"), "user");
        assert_eq!(part("ntfy://u:@h/t"), "password");
        assert_eq!(part("ntfy://h/%ff"), "path");
        assert_eq!(part("ntfy://h/t?a=1&A=2"), "query");
        assert_eq!(part("json://h/t?+X-Header=1"), "query");
        assert_eq!(part("json://h/t?-x=1"), "query");
        assert_eq!(part("json://h/t?a%20b=1"), "query");
        assert_eq!(part("json://h/t?=1"), "query");
        assert_eq!(
            part(&format!("json://h/{}", "a".repeat(MAX_URL_LEN))),
            "url"
        );
    }

    #[test]
    fn hosts_pass_the_address_policy() {
        let part = |raw: &str| host_port(raw, false).unwrap_err().part;
        assert_eq!(part("10.0.0.1"), "host");
        assert_eq!(part("169.254.169.254"), "host");
        assert_eq!(part("[::ffff:127.0.0.1]"), "host");
        assert_eq!(part("[fd00::1]:80"), "host");
        assert_eq!(part("localhost"), "host");
        assert_eq!(part("a.localhost."), "host");
        assert_eq!(part("0x7f.1"), "host");
        assert_eq!(part("exa mple"), "host");
        assert_eq!(part(""), "host");
        assert_eq!(part("h:0"), "port");
        assert_eq!(part("h:65536"), "port");
        assert_eq!(part("h:+80"), "port");
        assert_eq!(part("[::1"), "host");
        assert!(host_port("127.0.0.1:9", true).is_ok());
        assert!(host_port("localhost", true).is_ok());
        assert!(host_port("10.0.0.1", true).is_err());
        let (host, port) = host_port("[2606:4700::1]:8443", false).unwrap();
        assert_eq!(
            (host.to_string().as_str(), port),
            ("[2606:4700::1]", Some(8443))
        );
        let (host, port) = host_port("NTFY.Example.COM", false).unwrap();
        assert_eq!(
            (host.to_string().as_str(), port),
            ("ntfy.example.com", None)
        );
    }
}
