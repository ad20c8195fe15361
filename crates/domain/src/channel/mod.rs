//! Notification channels, given as URLs in the scheme people know from
//! Apprise: `ntfy://topic`, `tgram://bot-token/chat-id`, `json://host/path`…
//! The formats are documented in `docs/channels.md`.
//!
//! [`Channel::parse_with`] turns a URL into a typed [`Channel`]: its kind, its
//! target (a fixed public service, or a host, port and path the user gave),
//! and its secret parts as [`Secret`]s, which [`Channel::secrets`] lists (to
//! encrypt or scrub) and [`Channel::redacted`] masks. [`Channel::render`]
//! writes the canonical URL back: `parse(render(c)) == c`. Literal addresses
//! and `localhost` names pass the address policy at parse time; names are
//! resolved and checked again by whoever connects.

mod parse;
mod raw;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Host;

use crate::account::Email;
use parse::{
    ntfy_priority_name, parse_discord, parse_email, parse_gotify, parse_matrix, parse_ntfy,
    parse_pushover, parse_slack, parse_telegram, parse_webhook, pushover_priority_name,
};
pub use raw::MAX_URL_LEN;
use raw::{RawUrl, encode_query, encode_segment, encode_userinfo, host_port};

/// The longest name a channel may have, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The most targets (topics, chats, rooms, devices, Slack channels) in one URL.
pub const MAX_TARGETS: usize = 10;

/// What is wrong with a channel URL: `part` names the piece at fault
/// (`scheme`, `host`, `port`, `user`, `password`, `path`, `topic`, `token`,
/// `chat`, `room`, `query`, `priority`…), `message` says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct InvalidChannel {
    pub part: &'static str,
    pub message: String,
}

impl InvalidChannel {
    fn new(part: &'static str, message: impl Into<String>) -> Self {
        InvalidChannel {
            part,
            message: message.into(),
        }
    }
}

/// A secret part of a channel: shown only as `***` and its last characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `***` followed by the last four characters when the secret is long
    /// enough (16 or more) for them to give nothing away; `***` otherwise.
    pub fn redacted(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() >= 16 {
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("***{tail}")
        } else {
            "***".to_owned()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The kind of a channel, by its stored and serialised name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Email,
    Ntfy,
    Gotify,
    Telegram,
    Discord,
    Slack,
    Pushover,
    Matrix,
    Webhook,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 9] = [
        ChannelKind::Email,
        ChannelKind::Ntfy,
        ChannelKind::Gotify,
        ChannelKind::Telegram,
        ChannelKind::Discord,
        ChannelKind::Slack,
        ChannelKind::Pushover,
        ChannelKind::Matrix,
        ChannelKind::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Gotify => "gotify",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Discord => "discord",
            ChannelKind::Slack => "slack",
            ChannelKind::Pushover => "pushover",
            ChannelKind::Matrix => "matrix",
            ChannelKind::Webhook => "webhook",
        }
    }

    pub fn parse(name: &str) -> Option<ChannelKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A host the user gave, and its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: Host<String>,
    pub port: Option<u16>,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

/// Where a self-hosted service or a webhook listens: what the SSRF guard
/// checks before each connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub secure: bool,
    pub server: HostPort,
    /// Decoded path segments before the service's own path.
    pub path: Vec<String>,
}

impl Endpoint {
    /// `http(s)://host[:port]/path…`, without a final slash.
    pub fn base_url(&self) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        let mut out = format!("{scheme}://{}", self.server);
        for segment in &self.path {
            out.push('/');
            out.push_str(&encode_segment(segment));
        }
        out
    }
}

/// User name and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub password: Secret,
}

/// Email to one address through PriceWatch's own mail server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChannel {
    pub to: Email,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NtfyAuth {
    Basic(Login),
    /// An access token (`tk_…`), sent as a bearer token.
    Token(Secret),
}

/// ntfy: ntfy.sh (`ntfy://topic`, always over HTTPS) or a server of your own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ntfy {
    /// `ntfys`: HTTPS to a server of your own.
    pub secure: bool,
    /// `None`: ntfy.sh.
    pub server: Option<HostPort>,
    pub auth: Option<NtfyAuth>,
    pub topics: Vec<String>,
    /// 1 (min) to 5 (max).
    pub priority: Option<u8>,
    pub tags: Vec<String>,
}

/// The public ntfy server, for `ntfy://topic`.
pub const NTFY_CLOUD: &str = "https://ntfy.sh";

/// Gotify: `gotify://host[:port][/path]/app-token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gotify {
    pub secure: bool,
    pub server: HostPort,
    pub path: Vec<String>,
    pub token: Secret,
    /// 0 to 10.
    pub priority: Option<u8>,
}

/// Telegram: `tgram://bot-token/chat-id[/chat-id…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telegram {
    pub bot_token: Secret,
    /// Numeric ids (`-100…` for groups and channels) or `@channelname`.
    pub chats: Vec<String>,
}

/// A Discord webhook: `discord://[botname@]webhook-id/webhook-token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discord {
    pub botname: Option<String>,
    pub webhook_id: String,
    pub webhook_token: Secret,
}

/// A Slack incoming webhook: `slack://[botname@]T…/B…/token[/#channel…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slack {
    pub botname: Option<String>,
    pub token_a: String,
    pub token_b: String,
    pub token_c: Secret,
    /// `#channel` or `@user`.
    pub channels: Vec<String>,
}

/// Pushover: `pover://user-key@app-token[/device…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushover {
    pub user_key: Secret,
    pub app_token: Secret,
    pub devices: Vec<String>,
    /// -2 (lowest) to 2 (emergency).
    pub priority: Option<i8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatrixAuth {
    /// Logs in with `m.login.password` for each delivery.
    Login(Login),
    AccessToken(Secret),
}

/// Matrix: `matrix[s]://user:password@host[:port]/#room:server` or
/// `matrix[s]://access-token@host/!roomid:server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub secure: bool,
    pub server: HostPort,
    pub auth: MatrixAuth,
    /// `#alias:server` or `!id:server`.
    pub rooms: Vec<String>,
}

/// A webhook receiving signed JSON: `json[s]://[user:password@]host[:port]/path[?query]`.
/// The signing secret is PriceWatch's, made when the channel is added; it is
/// never part of the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub secure: bool,
    pub server: HostPort,
    pub path: Vec<String>,
    /// Passed on to the receiver as they are.
    pub query: Vec<(String, String)>,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

/// A parsed channel URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Email(EmailChannel),
    Ntfy(Ntfy),
    Gotify(Gotify),
    Telegram(Telegram),
    Discord(Discord),
    Slack(Slack),
    Pushover(Pushover),
    Matrix(Matrix),
    Webhook(Webhook),
}

/// The schemes a channel URL may start with.
pub const SCHEMES: [&str; 13] = [
    "mailto", "ntfy", "ntfys", "gotify", "gotifys", "tgram", "discord", "slack", "pover", "matrix",
    "matrixs", "json", "jsons",
];

impl Channel {
    /// A `mailto://` channel may only send to the account's own address:
    /// otherwise any account of an open instance could mail anyone (an open
    /// relay). Other kinds pass.
    pub fn check_recipient(&self, account_email: &str) -> Result<(), &'static str> {
        let Channel::Email(email) = self else {
            return Ok(());
        };
        match crate::account::Email::parse(account_email) {
            Ok(own) if own == email.to => Ok(()),
            _ => Err(
                "a mailto:// channel may only send to your account's own email address (PriceWatch does not mail other addresses)",
            ),
        }
    }

    /// Parses a channel URL; literal addresses and `localhost` names that the
    /// address policy refuses are errors, loopback only passes with
    /// `allow_loopback` (development).
    pub fn parse_with(raw: &str, allow_loopback: bool) -> Result<Channel, InvalidChannel> {
        let raw = raw::split(raw)?;
        match raw.scheme.as_str() {
            "mailto" => parse_email(raw),
            "ntfy" | "ntfys" => parse_ntfy(raw, allow_loopback),
            "gotify" | "gotifys" => parse_gotify(raw, allow_loopback),
            "tgram" => parse_telegram(raw),
            "discord" => parse_discord(raw),
            "slack" => parse_slack(raw),
            "pover" => parse_pushover(raw),
            "matrix" | "matrixs" => parse_matrix(raw, allow_loopback),
            "json" | "jsons" => parse_webhook(raw, allow_loopback),
            other => Err(InvalidChannel::new(
                "scheme",
                format!(
                    "unknown scheme {other:?}; use mailto, ntfy, ntfys, gotify, gotifys, tgram, \
                     discord, slack, pover, matrix, matrixs, json or jsons"
                ),
            )),
        }
    }

    /// [`Channel::parse_with`] for production: no loopback.
    pub fn parse(raw: &str) -> Result<Channel, InvalidChannel> {
        Self::parse_with(raw, false)
    }

    pub fn kind(&self) -> ChannelKind {
        match self {
            Channel::Email(_) => ChannelKind::Email,
            Channel::Ntfy(_) => ChannelKind::Ntfy,
            Channel::Gotify(_) => ChannelKind::Gotify,
            Channel::Telegram(_) => ChannelKind::Telegram,
            Channel::Discord(_) => ChannelKind::Discord,
            Channel::Slack(_) => ChannelKind::Slack,
            Channel::Pushover(_) => ChannelKind::Pushover,
            Channel::Matrix(_) => ChannelKind::Matrix,
            Channel::Webhook(_) => ChannelKind::Webhook,
        }
    }

    /// The address the user chose, for channels that reach one (a webhook, a
    /// self-hosted ntfy, Gotify or Matrix): every connection to it goes
    /// through the SSRF guard. `None` for the fixed public services.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Channel::Ntfy(n) => n.server.as_ref().map(|server| Endpoint {
                secure: n.secure,
                server: server.clone(),
                path: Vec::new(),
            }),
            Channel::Gotify(g) => Some(Endpoint {
                secure: g.secure,
                server: g.server.clone(),
                path: g.path.clone(),
            }),
            Channel::Matrix(m) => Some(Endpoint {
                secure: m.secure,
                server: m.server.clone(),
                path: Vec::new(),
            }),
            Channel::Webhook(w) => Some(Endpoint {
                secure: w.secure,
                server: w.server.clone(),
                path: w.path.clone(),
            }),
            Channel::Email(_)
            | Channel::Telegram(_)
            | Channel::Discord(_)
            | Channel::Slack(_)
            | Channel::Pushover(_) => None,
        }
    }

    /// Every secret part, to encrypt or to scrub from logs.
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            Channel::Email(_) => Vec::new(),
            Channel::Ntfy(n) => match &n.auth {
                Some(NtfyAuth::Basic(login)) => vec![&login.password],
                Some(NtfyAuth::Token(token)) => vec![token],
                None => Vec::new(),
            },
            Channel::Gotify(g) => vec![&g.token],
            Channel::Telegram(t) => vec![&t.bot_token],
            Channel::Discord(d) => vec![&d.webhook_token],
            Channel::Slack(s) => vec![&s.token_c],
            Channel::Pushover(p) => vec![&p.user_key, &p.app_token],
            Channel::Matrix(m) => match &m.auth {
                MatrixAuth::Login(login) => vec![&login.password],
                MatrixAuth::AccessToken(token) => vec![token],
            },
            Channel::Webhook(w) => w.password.iter().collect(),
        }
    }

    /// The canonical URL, secrets included: `parse(render(c)) == c`.
    pub fn render(&self) -> String {
        self.write(true)
    }

    /// The URL with every secret masked ([`Secret::redacted`]): what users and
    /// logs see.
    pub fn redacted(&self) -> String {
        self.write(false)
    }

    fn write(&self, reveal: bool) -> String {
        let secret = |s: &Secret| {
            if reveal {
                encode_userinfo(&s.0)
            } else {
                s.redacted()
            }
        };
        let segments = |out: &mut String, segments: &[String]| {
            for segment in segments {
                out.push('/');
                out.push_str(&encode_segment(segment));
            }
        };
        match self {
            Channel::Email(e) => {
                let (local, domain) = e.to.as_str().rsplit_once('@').unwrap_or(("", ""));
                format!("mailto://{}@{domain}", encode_userinfo(local))
            }
            Channel::Ntfy(n) => {
                let scheme = if n.secure { "ntfys" } else { "ntfy" };
                let mut out = format!("{scheme}://");
                match &n.auth {
                    Some(NtfyAuth::Basic(login)) => {
                        out.push_str(&format!(
                            "{}:{}@",
                            encode_userinfo(&login.user),
                            secret(&login.password)
                        ));
                    }
                    Some(NtfyAuth::Token(token)) => out.push_str(&format!("{}@", secret(token))),
                    None => {}
                }
                match &n.server {
                    Some(server) => {
                        out.push_str(&server.to_string());
                        segments(&mut out, &n.topics);
                    }
                    None => out.push_str(n.topics.first().map_or("", String::as_str)),
                }
                let priority = n.priority.and_then(ntfy_priority_name);
                let tags = n.tags.join(",");
                let mut query: Vec<(&str, &str)> = Vec::new();
                if let Some(priority) = priority {
                    query.push(("priority", priority));
                }
                if !tags.is_empty() {
                    query.push(("tags", &tags));
                }
                out.push_str(&encode_query(&query));
                out
            }
            Channel::Gotify(g) => {
                let scheme = if g.secure { "gotifys" } else { "gotify" };
                let mut out = format!("{scheme}://{}", g.server);
                segments(&mut out, &g.path);
                out.push('/');
                out.push_str(&secret(&g.token));
                let priority = g.priority.map(|p| p.to_string());
                if let Some(priority) = &priority {
                    out.push_str(&encode_query(&[("priority", priority)]));
                }
                out
            }
            Channel::Telegram(t) => {
                // The bot's number, before the colon, is public; the rest is the secret.
                let token = match t.bot_token.0.split_once(':') {
                    Some((bot, key)) => format!("{bot}:{}", secret(&Secret(key.to_owned()))),
                    None => secret(&t.bot_token),
                };
                let mut out = format!("tgram://{token}");
                segments(&mut out, &t.chats);
                out
            }
            Channel::Discord(d) => {
                let mut out = "discord://".to_owned();
                if let Some(bot) = &d.botname {
                    out.push_str(&format!("{}@", encode_userinfo(bot)));
                }
                out.push_str(&format!("{}/{}", d.webhook_id, secret(&d.webhook_token)));
                out
            }
            Channel::Slack(s) => {
                let mut out = "slack://".to_owned();
                if let Some(bot) = &s.botname {
                    out.push_str(&format!("{}@", encode_userinfo(bot)));
                }
                out.push_str(&format!(
                    "{}/{}/{}",
                    s.token_a,
                    s.token_b,
                    secret(&s.token_c)
                ));
                segments(&mut out, &s.channels);
                out
            }
            Channel::Pushover(p) => {
                let mut out = format!("pover://{}@{}", secret(&p.user_key), secret(&p.app_token));
                segments(&mut out, &p.devices);
                if let Some(name) = p.priority.and_then(pushover_priority_name) {
                    out.push_str(&encode_query(&[("priority", name)]));
                }
                out
            }
            Channel::Matrix(m) => {
                let scheme = if m.secure { "matrixs" } else { "matrix" };
                let auth = match &m.auth {
                    MatrixAuth::Login(login) => format!(
                        "{}:{}",
                        encode_userinfo(&login.user),
                        secret(&login.password)
                    ),
                    MatrixAuth::AccessToken(token) => secret(token),
                };
                let mut out = format!("{scheme}://{auth}@{}", m.server);
                segments(&mut out, &m.rooms);
                out
            }
            Channel::Webhook(w) => {
                let scheme = if w.secure { "jsons" } else { "json" };
                let mut out = format!("{scheme}://");
                if let Some(user) = &w.user {
                    out.push_str(&encode_userinfo(user));
                    if let Some(password) = &w.password {
                        out.push(':');
                        out.push_str(&secret(password));
                    }
                    out.push('@');
                }
                out.push_str(&w.server.to_string());
                segments(&mut out, &w.path);
                let query: Vec<(&str, &str)> = w
                    .query
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                out.push_str(&encode_query(&query));
                out
            }
        }
    }
}

/// Checks a channel's display name: 1 to [`MAX_NAME_CHARS`] characters, no
/// control characters; surrounding spaces are dropped.
pub fn validate_name(name: &str) -> Result<String, InvalidChannel> {
    let name = name.trim();
    if name.is_empty() {
        return Err(InvalidChannel::new("name", "the name is empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(InvalidChannel::new(
            "name",
            format!("the name is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidChannel::new(
            "name",
            "the name must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}
