//! One request (or a few) per channel kind, shaped as each service's public
//! API expects. Every request goes through the guarded client.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use pricewatch_domain::channel::{
    Channel, Discord, Gotify, Matrix, MatrixAuth, Ntfy, NtfyAuth, Pushover, Slack, Telegram,
    Webhook,
};
use pricewatch_egress::{EgressError, GuardedClient, read_limited, retry_after_of};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use url::Url;
use uuid::Uuid;

use super::message::{AlertMessage, transaction_id};

/// Largest answer read from a receiver (Matrix's JSON; an error's first words).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How much of an error answer is kept as the reason.
const REASON_CHARS: usize = 200;

/// The fixed public services' API base URLs (settings: tests point them at
/// loopback fakes).
#[derive(Debug, Clone)]
pub struct ServiceUrls {
    pub ntfy: Url,
    pub telegram: Url,
    pub discord: Url,
    pub slack: Url,
    pub pushover: Url,
}

/// Why a delivery did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Trying again later may work; `after`: the wait the receiver asked for.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// It never will (refused address, 4xx, a channel that does not open).
    Permanent(String),
}

impl Failure {
    pub fn reason(&self) -> &str {
        match self {
            Failure::Retry { reason, .. } | Failure::Permanent(reason) => reason,
        }
    }
}

impl From<EgressError> for Failure {
    fn from(error: EgressError) -> Self {
        if error.is_transient() {
            Failure::Retry {
                reason: error.to_string(),
                after: None,
            }
        } else {
            Failure::Permanent(error.to_string())
        }
    }
}

/// Sends alerts to the HTTP channel kinds.
#[derive(Clone)]
pub struct Services {
    pub client: GuardedClient,
    pub urls: ServiceUrls,
}

/// What one delivery needs besides the message.
pub struct Target<'a> {
    pub delivery_id: Uuid,
    pub channel: &'a Channel,
    /// A webhook's `whsec_…` secret.
    pub signing_secret: Option<&'a str>,
    /// The channel's targets (topics, chats, rooms) already reached.
    pub done: &'a TargetsDone,
}

/// Indices of a channel's targets reached, by earlier attempts and this one:
/// kept outside the send, so that a send cut short by the timeout still
/// tells which targets it reached.
#[derive(Debug, Default)]
pub struct TargetsDone(std::sync::Mutex<Vec<i32>>);

impl TargetsDone {
    pub fn new(done: Vec<i32>) -> Self {
        Self(std::sync::Mutex::new(done))
    }

    fn contains(&self, index: usize) -> bool {
        let Ok(index) = i32::try_from(index) else {
            return false;
        };
        self.0.lock().is_ok_and(|done| done.contains(&index))
    }

    fn insert(&self, index: usize) {
        if let (Ok(index), Ok(mut done)) = (i32::try_from(index), self.0.lock())
            && !done.contains(&index)
        {
            done.push(index);
        }
    }

    pub fn to_vec(&self) -> Vec<i32> {
        self.0.lock().map(|done| done.clone()).unwrap_or_default()
    }
}

impl Services {
    pub async fn send(&self, target: &Target<'_>, message: &AlertMessage) -> Result<(), Failure> {
        match target.channel {
            Channel::Ntfy(n) => self.ntfy(n, target.done, message).await,
            Channel::Gotify(g) => self.gotify(g, message).await,
            Channel::Telegram(t) => self.telegram(t, target.done, message).await,
            Channel::Discord(d) => self.discord(d, message).await,
            Channel::Slack(s) => self.slack(s, message).await,
            Channel::Pushover(p) => self.pushover(p, message).await,
            Channel::Matrix(m) => {
                self.matrix(m, target.delivery_id, target.done, message)
                    .await
            }
            Channel::Webhook(w) => {
                let secret = target.signing_secret.ok_or_else(|| {
                    Failure::Permanent("the webhook has no signing secret".to_owned())
                })?;
                self.webhook(w, target.delivery_id, secret, message).await
            }
            Channel::Email(_) => Err(Failure::Permanent(
                "an email channel is not sent over HTTP".to_owned(),
            )),
        }
    }

    fn request(&self, method: Method, url: Url) -> Result<RequestBuilder, Failure> {
        Ok(self.client.request(method, url)?)
    }

    /// Sends; `Ok` with the answer on 2xx, else the failure its status means.
    async fn exchange(&self, request: RequestBuilder) -> Result<reqwest::Response, Failure> {
        let mut response = self.client.send(request).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let after = retry_after_of(&response);
        let answer = read_limited(&mut response, MAX_ANSWER_BYTES)
            .await
            .map(|body| {
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(REASON_CHARS)
                    .collect::<String>()
            })
            .unwrap_or_default();
        let answer = one_line(&answer);
        let reason = if answer.is_empty() {
            format!("HTTP {}", status.as_u16())
        } else {
            format!("HTTP {}: {answer}", status.as_u16())
        };
        if retryable(status) {
            Err(Failure::Retry { reason, after })
        } else {
            Err(Failure::Permanent(reason))
        }
    }

    async fn exchange_json(&self, request: RequestBuilder) -> Result<Value, Failure> {
        let mut response = self.exchange(request).await?;
        let body = read_limited(&mut response, MAX_ANSWER_BYTES).await?;
        serde_json::from_slice(&body)
            .map_err(|e| Failure::Permanent(format!("the answer is not JSON: {e}")))
    }

    /// ntfy's JSON publishing: POST to the server's root, one message per topic.
    async fn ntfy(&self, n: &Ntfy, done: &TargetsDone, m: &AlertMessage) -> Result<(), Failure> {
        let base = match &n.server {
            Some(server) => parse_base(&format!(
                "{}://{server}",
                if n.secure { "https" } else { "http" }
            ))?,
            None => self.urls.ntfy.clone(),
        };
        for (index, topic) in n.topics.iter().enumerate() {
            if done.contains(index) {
                continue;
            }
            let mut body = json!({
                "topic": topic,
                "title": m.title,
                "message": m.text,
                "click": m.product_url,
            });
            if let Some(priority) = n.priority {
                body["priority"] = json!(priority);
            }
            if !n.tags.is_empty() {
                body["tags"] = json!(n.tags);
            }
            let mut request = self.request(Method::POST, base.clone())?.json(&body);
            request = match &n.auth {
                Some(NtfyAuth::Basic(login)) => {
                    request.basic_auth(&login.user, Some(login.password.expose()))
                }
                Some(NtfyAuth::Token(token)) => request.bearer_auth(token.expose()),
                None => request,
            };
            self.exchange(request).await?;
            done.insert(index);
        }
        Ok(())
    }

    /// Gotify: POST /message?token=<app token> with title, message, priority.
    async fn gotify(&self, g: &Gotify, m: &AlertMessage) -> Result<(), Failure> {
        let base = Channel::Gotify(g.clone())
            .endpoint()
            .map(|e| e.base_url())
            .ok_or_else(|| Failure::Permanent("no Gotify server".to_owned()))?;
        let mut url = with_segments(&parse_base(&base)?, &["message"]);
        url.query_pairs_mut().append_pair("token", g.token.expose());
        let mut body = json!({"title": m.title, "message": m.text});
        if let Some(priority) = g.priority {
            body["priority"] = json!(priority);
        }
        self.exchange(self.request(Method::POST, url)?.json(&body))
            .await
            .map(drop)
    }

    /// Telegram Bot API: POST /bot<token>/sendMessage, one per chat.
    async fn telegram(
        &self,
        t: &Telegram,
        done: &TargetsDone,
        m: &AlertMessage,
    ) -> Result<(), Failure> {
        let method = format!("bot{}", t.bot_token.expose());
        let url = with_segments(&self.urls.telegram, &[&method, "sendMessage"]);
        for (index, chat) in t.chats.iter().enumerate() {
            if done.contains(index) {
                continue;
            }
            let body = json!({
                "chat_id": chat,
                "text": m.html,
                "parse_mode": "HTML",
            });
            self.exchange(self.request(Method::POST, url.clone())?.json(&body))
                .await?;
            done.insert(index);
        }
        Ok(())
    }

    /// A Discord webhook: POST /api/webhooks/<id>/<token> with content and an embed.
    async fn discord(&self, d: &Discord, m: &AlertMessage) -> Result<(), Failure> {
        let url = with_segments(
            &self.urls.discord,
            &["api", "webhooks", &d.webhook_id, d.webhook_token.expose()],
        );
        let mut body = json!({
            "content": m.title,
            "embeds": [{
                "title": m.title,
                "description": m.text,
                "url": web_link(&m.product_url),
            }],
            "allowed_mentions": {"parse": []},
        });
        if let Some(name) = &d.botname {
            body["username"] = json!(name);
        }
        self.exchange(self.request(Method::POST, url)?.json(&body))
            .await
            .map(drop)
    }

    /// A Slack incoming webhook: POST /services/T/B/X with text and blocks,
    /// once per named channel (none: the webhook's own).
    async fn slack(&self, s: &Slack, m: &AlertMessage) -> Result<(), Failure> {
        let url = with_segments(
            &self.urls.slack,
            &["services", &s.token_a, &s.token_b, s.token_c.expose()],
        );
        let text = format!("*{}*\n{}", slack_escape(&m.title), slack_escape(&m.text));
        let channels: Vec<Option<&String>> = if s.channels.is_empty() {
            vec![None]
        } else {
            s.channels.iter().map(Some).collect()
        };
        for channel in channels {
            let mut body = json!({
                "text": text,
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            });
            if let Some(channel) = channel {
                body["channel"] = json!(channel);
            }
            if let Some(name) = &s.botname {
                body["username"] = json!(name);
            }
            self.exchange(self.request(Method::POST, url.clone())?.json(&body))
                .await?;
        }
        Ok(())
    }

    /// Pushover: POST /1/messages.json, form-encoded.
    async fn pushover(&self, p: &Pushover, m: &AlertMessage) -> Result<(), Failure> {
        let url = with_segments(&self.urls.pushover, &["1", "messages.json"]);
        let mut form: Vec<(&str, String)> = vec![
            ("token", p.app_token.expose().to_owned()),
            ("user", p.user_key.expose().to_owned()),
            ("title", m.title.clone()),
            ("message", m.text.clone()),
        ];
        if let Some(link) = web_link(&m.product_url) {
            form.push(("url", link.to_owned()));
            form.push(("url_title", "See the product".to_owned()));
        }
        if !p.devices.is_empty() {
            form.push(("device", p.devices.join(",")));
        }
        if let Some(priority) = p.priority {
            form.push(("priority", priority.to_string()));
            if priority == 2 {
                // Emergency priority requires how often and how long to repeat.
                form.push(("retry", "60".to_owned()));
                form.push(("expire", "3600".to_owned()));
            }
        }
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| Failure::Permanent(format!("cannot encode the form: {e}")))?;
        let request = self
            .request(Method::POST, url)?
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        self.exchange(request).await.map(drop)
    }

    /// Matrix client-server API: PUT /rooms/<room>/send/m.room.message/<txnId>.
    async fn matrix(
        &self,
        mx: &Matrix,
        id: Uuid,
        done: &TargetsDone,
        m: &AlertMessage,
    ) -> Result<(), Failure> {
        let base = parse_base(&format!(
            "{}://{}",
            if mx.secure { "https" } else { "http" },
            mx.server
        ))?;
        let client_api = ["_matrix", "client", "v3"];
        let token = match &mx.auth {
            MatrixAuth::AccessToken(token) => token.expose().to_owned(),
            MatrixAuth::Login(login) => {
                let url = with_segments(&base, &[&client_api[..], &["login"]].concat());
                let body = json!({
                    "type": "m.login.password",
                    "identifier": {"type": "m.id.user", "user": login.user},
                    "password": login.password.expose(),
                    "initial_device_display_name": "PriceWatch",
                });
                let answer = self
                    .exchange_json(self.request(Method::POST, url)?.json(&body))
                    .await?;
                answer["access_token"]
                    .as_str()
                    .ok_or_else(|| Failure::Permanent("the login gave no access token".to_owned()))?
                    .to_owned()
            }
        };
        for (index, room) in mx.rooms.iter().enumerate() {
            if done.contains(index) {
                continue;
            }
            let room_id = if room.starts_with('#') {
                let url = with_segments(
                    &base,
                    &[&client_api[..], &["directory", "room", room]].concat(),
                );
                let answer = self
                    .exchange_json(self.request(Method::GET, url)?.bearer_auth(&token))
                    .await?;
                answer["room_id"]
                    .as_str()
                    .ok_or_else(|| Failure::Permanent(format!("the room {room} has no id")))?
                    .to_owned()
            } else {
                room.clone()
            };
            let txn = transaction_id(id, index);
            let url = with_segments(
                &base,
                &[
                    &client_api[..],
                    &["rooms", &room_id, "send", "m.room.message", &txn],
                ]
                .concat(),
            );
            let body = json!({
                "msgtype": "m.text",
                "body": format!("{}\n{}", m.title, m.text),
                "format": "org.matrix.custom.html",
                "formatted_body": m.html,
            });
            self.exchange(
                self.request(Method::PUT, url)?
                    .bearer_auth(&token)
                    .json(&body),
            )
            .await?;
            done.insert(index);
        }
        Ok(())
    }

    /// A webhook: the event as JSON, signed per Standard Webhooks.
    async fn webhook(
        &self,
        w: &Webhook,
        id: Uuid,
        secret: &str,
        m: &AlertMessage,
    ) -> Result<(), Failure> {
        let base = Channel::Webhook(w.clone())
            .endpoint()
            .map(|e| e.base_url())
            .ok_or_else(|| Failure::Permanent("no webhook address".to_owned()))?;
        let mut url = parse_base(&base)?;
        if !w.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(w.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        let body = m.event.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let webhook_id = id.to_string();
        let signature = sign(secret, &webhook_id, timestamp, &body)?;
        let mut request = self
            .request(Method::POST, url)?
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body);
        if let Some(user) = &w.user {
            request = request.basic_auth(user, w.password.as_ref().map(|p| p.expose()));
        }
        self.exchange(request).await.map(drop)
    }
}

/// `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), the key being
/// the bytes of the `whsec_` secret's base64.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, Failure> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|_| Failure::Permanent("the webhook's signing secret is malformed".to_owned()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|_| Failure::Permanent("the webhook's signing secret is malformed".to_owned()))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// 408, 425, 429 and server errors but 501 and 505: the receiver may recover.
fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429)
        || (status.is_server_error() && !matches!(status.as_u16(), 501 | 505))
}

fn parse_base(raw: &str) -> Result<Url, Failure> {
    Url::parse(raw).map_err(|e| Failure::Permanent(format!("invalid address {raw}: {e}")))
}

/// `base` with `segments` appended, each %-encoded as one segment.
fn with_segments(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

fn web_link(url: &str) -> Option<&str> {
    Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|_| url)
}

/// Slack's mrkdwn control characters.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn one_line(text: &str) -> String {
    text.split(char::is_control)
        .filter(|s| !s.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn segments_are_encoded_one_by_one() {
        let base = Url::parse("https://matrix.example").unwrap();
        let url = with_segments(&base, &["rooms", "!abc:matrix.example", "send"]);
        assert_eq!(
            url.as_str(),
            "https://matrix.example/rooms/!abc:matrix.example/send"
        );
        let url = with_segments(&base, &["directory", "room", "#deals:matrix.example"]);
        assert_eq!(
            url.as_str(),
            "https://matrix.example/directory/room/%23deals:matrix.example"
        );
    }
}
