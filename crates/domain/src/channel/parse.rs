//! Each service's URL format: from the split-up URL to a typed [`Channel`],
//! with a clear error naming the part at fault.

#[allow(clippy::wildcard_imports)]
use super::*;

fn no_user(raw: &RawUrl, service: &str) -> Result<(), InvalidChannel> {
    if raw.user.is_some() {
        return Err(InvalidChannel::new(
            "user",
            format!("{service} takes no user name"),
        ));
    }
    Ok(())
}

fn no_path(raw: &RawUrl, service: &str) -> Result<(), InvalidChannel> {
    if !raw.path.is_empty() {
        return Err(InvalidChannel::new(
            "path",
            format!("{service} takes no path"),
        ));
    }
    Ok(())
}

fn word(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

fn targets(
    part: &'static str,
    what: &str,
    items: Vec<String>,
    check: impl Fn(&str) -> bool,
    rule: &str,
) -> Result<Vec<String>, InvalidChannel> {
    if items.len() > MAX_TARGETS {
        return Err(InvalidChannel::new(
            part,
            format!("at most {MAX_TARGETS} {what}s"),
        ));
    }
    for item in &items {
        if !check(item) {
            return Err(InvalidChannel::new(
                part,
                format!("the {what} {item:?} is not valid: {rule}"),
            ));
        }
    }
    Ok(items)
}

pub(super) fn parse_email(mut raw: RawUrl) -> Result<Channel, InvalidChannel> {
    if raw.password.is_some() {
        return Err(InvalidChannel::new(
            "password",
            "PriceWatch sends email through its own mail server: give only the address, \
             mailto://name@example.com",
        ));
    }
    no_path(&raw, "mailto")?;
    raw.query.finish("mailto")?;
    let user = raw.user.take().ok_or_else(|| {
        InvalidChannel::new("user", "give the address, mailto://name@example.com")
    })?;
    let to = Email::parse(&format!("{user}@{}", raw.authority))
        .map_err(|e| InvalidChannel::new("address", e.to_string()))?;
    Ok(Channel::Email(EmailChannel { to }))
}

const NTFY_TOPIC_RULE: &str = "1 to 64 letters, digits, - or _";

fn ntfy_topic(t: &str) -> bool {
    t.len() <= 64 && word(t, b"-_")
}

pub(super) fn ntfy_priority_name(p: u8) -> Option<&'static str> {
    ["min", "low", "default", "high", "max"]
        .get(usize::from(p).checked_sub(1)?)
        .copied()
}

pub(super) fn parse_ntfy(mut raw: RawUrl, allow_loopback: bool) -> Result<Channel, InvalidChannel> {
    let secure = raw.scheme == "ntfys";
    let (server, topics) = if raw.path.is_empty() {
        // ntfy://topic: the public server.
        if raw.user.is_some() {
            return Err(InvalidChannel::new(
                "user",
                "to log in to ntfy.sh, name the host: ntfy://user:password@ntfy.sh/topic",
            ));
        }
        (None, vec![std::mem::take(&mut raw.authority)])
    } else {
        let (host, port) = host_port(&raw.authority, allow_loopback)?;
        (Some(HostPort { host, port }), std::mem::take(&mut raw.path))
    };
    let topics = targets("topic", "topic", topics, ntfy_topic, NTFY_TOPIC_RULE)?;
    let auth = match (raw.user.take(), raw.password.take()) {
        (None, _) => None,
        (Some(user), Some(password)) => Some(NtfyAuth::Basic(Login {
            user,
            password: Secret(password),
        })),
        (Some(token), None) if token.starts_with("tk_") && word(&token, b"_") => {
            Some(NtfyAuth::Token(Secret(token)))
        }
        (Some(_), None) => {
            return Err(InvalidChannel::new(
                "password",
                "give user:password@, or an access token tk_…@",
            ));
        }
    };
    let priority = match raw.query.take("priority") {
        None => None,
        Some(p) => Some(
            match p.to_ascii_lowercase().as_str() {
                "1" | "min" => Some(1),
                "2" | "low" => Some(2),
                "3" | "default" => Some(3),
                "4" | "high" => Some(4),
                "5" | "max" | "urgent" => Some(5),
                _ => None,
            }
            .ok_or_else(|| {
                InvalidChannel::new(
                    "priority",
                    "priority is min, low, default, high or max (or 1 to 5)",
                )
            })?,
        ),
    };
    let tags = match raw.query.take("tags") {
        None => Vec::new(),
        Some(tags) => targets(
            "tags",
            "tag",
            tags.split(',').map(str::to_owned).collect(),
            |t| t.len() <= 32 && word(t, b"-_+"),
            "1 to 32 letters, digits, -, _ or +",
        )?,
    };
    raw.query.finish("ntfy")?;
    Ok(Channel::Ntfy(Ntfy {
        secure,
        server,
        auth,
        topics,
        priority,
        tags,
    }))
}

fn gotify_token(t: &str) -> bool {
    t.len() <= 128 && word(t, b"-_.")
}

pub(super) fn parse_gotify(
    mut raw: RawUrl,
    allow_loopback: bool,
) -> Result<Channel, InvalidChannel> {
    no_user(&raw, "gotify")?;
    let (host, port) = host_port(&raw.authority, allow_loopback)?;
    let token = raw.path.pop().ok_or_else(|| {
        InvalidChannel::new("token", "give the application token: gotify://host/token")
    })?;
    if !gotify_token(&token) {
        return Err(InvalidChannel::new(
            "token",
            "the application token is letters, digits, -, _ and .",
        ));
    }
    let priority = match raw.query.take("priority") {
        None => None,
        Some(p) => Some(
            match p.to_ascii_lowercase().as_str() {
                "low" => Some(1),
                "moderate" => Some(3),
                "normal" => Some(5),
                "high" => Some(8),
                "emergency" => Some(10),
                n => n.parse::<u8>().ok().filter(|n| *n <= 10),
            }
            .ok_or_else(|| {
                InvalidChannel::new(
                    "priority",
                    "priority is 0 to 10, or low, moderate, normal, high, emergency",
                )
            })?,
        ),
    };
    raw.query.finish("gotify")?;
    Ok(Channel::Gotify(Gotify {
        secure: raw.scheme == "gotifys",
        server: HostPort { host, port },
        path: raw.path,
        token: Secret(token),
        priority,
    }))
}

fn telegram_chat(c: &str) -> bool {
    let numeric = c.strip_prefix('-').unwrap_or(c);
    let numeric_ok =
        !numeric.is_empty() && numeric.len() <= 20 && numeric.bytes().all(|b| b.is_ascii_digit());
    let name_ok = c.strip_prefix('@').is_some_and(|name| {
        (5..=32).contains(&name.len())
            && name.starts_with(|ch: char| ch.is_ascii_alphabetic())
            && word(name, b"_")
    });
    numeric_ok || name_ok
}

pub(super) fn parse_telegram(raw: RawUrl) -> Result<Channel, InvalidChannel> {
    no_user(&raw, "tgram")?;
    raw.query.finish("tgram")?;
    // Apprise also accepts the token as it appears in the API's paths: bot123:ABC.
    let token = raw
        .authority
        .strip_prefix("bot")
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(&raw.authority);
    let valid = token.split_once(':').is_some_and(|(bot, key)| {
        !bot.is_empty()
            && bot.len() <= 20
            && bot.bytes().all(|b| b.is_ascii_digit())
            && key.len() <= 128
            && word(key, b"-_")
    });
    if !valid {
        return Err(InvalidChannel::new(
            "token",
            "the bot token is the bot's number, a colon and its key: 123456789:AAE…",
        ));
    }
    if raw.path.is_empty() {
        return Err(InvalidChannel::new(
            "chat",
            "give at least one chat id: tgram://bot-token/chat-id",
        ));
    }
    let chats = targets(
        "chat",
        "chat",
        raw.path,
        telegram_chat,
        "a chat id is a number (-100… for groups) or @channelname",
    )?;
    Ok(Channel::Telegram(Telegram {
        bot_token: Secret(token.to_owned()),
        chats,
    }))
}

fn botname(
    user: Option<String>,
    password: Option<String>,
) -> Result<Option<String>, InvalidChannel> {
    if password.is_some() {
        return Err(InvalidChannel::new(
            "password",
            "only a bot name may stand before the @",
        ));
    }
    match user {
        Some(name) if name.chars().count() > 80 => Err(InvalidChannel::new(
            "user",
            "the bot name is at most 80 characters",
        )),
        other => Ok(other),
    }
}

pub(super) fn parse_discord(mut raw: RawUrl) -> Result<Channel, InvalidChannel> {
    raw.query.finish("discord")?;
    let botname = botname(raw.user.take(), raw.password.take())?;
    let id = raw.authority;
    if id.is_empty() || id.len() > 24 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidChannel::new(
            "webhook_id",
            "the webhook id is the number in the webhook's URL",
        ));
    }
    let [token] = <[String; 1]>::try_from(raw.path).map_err(|_| {
        InvalidChannel::new(
            "token",
            "give the webhook's id and token: discord://webhook-id/webhook-token",
        )
    })?;
    if token.len() > 128 || !word(&token, b"-_") {
        return Err(InvalidChannel::new(
            "token",
            "the webhook token is letters, digits, - and _",
        ));
    }
    Ok(Channel::Discord(Discord {
        botname,
        webhook_id: id,
        webhook_token: Secret(token),
    }))
}

fn slack_channel(c: &str) -> bool {
    let name = c.strip_prefix('#').or_else(|| c.strip_prefix('@'));
    name.is_some_and(|n| n.len() <= 80 && word(n, b"-_."))
}

pub(super) fn parse_slack(mut raw: RawUrl) -> Result<Channel, InvalidChannel> {
    raw.query.finish("slack")?;
    let botname = botname(raw.user.take(), raw.password.take())?;
    let token_rule = "the webhook's three tokens are letters and digits: slack://T…/B…/…";
    let mut path = raw.path.into_iter();
    let (Some(token_b), Some(token_c)) = (path.next(), path.next()) else {
        return Err(InvalidChannel::new("token", token_rule));
    };
    for token in [&raw.authority, &token_b, &token_c] {
        if token.len() > 64 || !word(token, b"") {
            return Err(InvalidChannel::new("token", token_rule));
        }
    }
    let channels = targets(
        "channel",
        "channel",
        path.collect(),
        slack_channel,
        "a channel is #name or @user",
    )?;
    Ok(Channel::Slack(Slack {
        botname,
        token_a: raw.authority,
        token_b,
        token_c: Secret(token_c),
        channels,
    }))
}

pub(super) fn pushover_priority_name(p: i8) -> Option<&'static str> {
    match p {
        -2 => Some("lowest"),
        -1 => Some("low"),
        0 => Some("normal"),
        1 => Some("high"),
        2 => Some("emergency"),
        _ => None,
    }
}

pub(super) fn parse_pushover(mut raw: RawUrl) -> Result<Channel, InvalidChannel> {
    let key_ok = |k: &str| k.len() == 30 && word(k, b"");
    let user_key = raw
        .user
        .take()
        .ok_or_else(|| InvalidChannel::new("user_key", "give pover://user-key@app-token"))?;
    if raw.password.is_some() {
        return Err(InvalidChannel::new(
            "password",
            "give pover://user-key@app-token",
        ));
    }
    if !key_ok(&user_key) {
        return Err(InvalidChannel::new(
            "user_key",
            "the user key is 30 letters and digits",
        ));
    }
    if !key_ok(&raw.authority) {
        return Err(InvalidChannel::new(
            "token",
            "the application token is 30 letters and digits",
        ));
    }
    let devices = targets(
        "device",
        "device",
        raw.path,
        |d| d.len() <= 25 && word(d, b"-_"),
        "1 to 25 letters, digits, - or _",
    )?;
    let priority = match raw.query.take("priority") {
        None => None,
        Some(p) => Some(
            match p.to_ascii_lowercase().as_str() {
                "-2" | "lowest" => Some(-2),
                "-1" | "low" => Some(-1),
                "0" | "normal" => Some(0),
                "1" | "high" => Some(1),
                "2" | "emergency" => Some(2),
                _ => None,
            }
            .ok_or_else(|| {
                InvalidChannel::new(
                    "priority",
                    "priority is lowest, low, normal, high or emergency (or -2 to 2)",
                )
            })?,
        ),
    };
    raw.query.finish("pover")?;
    Ok(Channel::Pushover(Pushover {
        user_key: Secret(user_key),
        app_token: Secret(raw.authority),
        devices,
        priority,
    }))
}

pub(super) fn parse_matrix(
    mut raw: RawUrl,
    allow_loopback: bool,
) -> Result<Channel, InvalidChannel> {
    raw.query.finish("matrix")?;
    let (host, port) = host_port(&raw.authority, allow_loopback)?;
    let auth = match (raw.user.take(), raw.password.take()) {
        (Some(user), Some(password)) => MatrixAuth::Login(Login {
            user,
            password: Secret(password),
        }),
        (Some(token), None) if token.len() <= 512 && word(&token, b"-_.~+/=") => {
            MatrixAuth::AccessToken(Secret(token))
        }
        (Some(_), None) => {
            return Err(InvalidChannel::new(
                "token",
                "the access token is letters, digits and -_.~+/=",
            ));
        }
        (None, _) => {
            return Err(InvalidChannel::new(
                "user",
                "give user:password@ or an access token before the host",
            ));
        }
    };
    if raw.path.is_empty() {
        return Err(InvalidChannel::new(
            "room",
            "give at least one room: matrix://user:password@host/#room:server",
        ));
    }
    // A bare alias belongs to the server named in the URL, as in Apprise.
    let rooms = raw
        .path
        .into_iter()
        .map(|room| {
            if room.starts_with(['#', '!']) && room.contains(':') {
                room
            } else if let Some(alias) = room.strip_prefix('#') {
                format!("#{alias}:{host}")
            } else if room.starts_with('!') {
                room
            } else {
                format!("#{room}:{host}")
            }
        })
        .collect();
    let rooms = targets(
        "room",
        "room",
        rooms,
        |r| {
            r.split_once(':').is_some_and(|(local, server)| {
                local.len() > 1
                    && local.len() <= 255
                    && (local.starts_with('#') || local.starts_with('!'))
                    && word(&local[1..], b"-_.=")
                    && !server.is_empty()
                    && server.len() <= 255
                    && word(server, b"-.:[]")
            })
        },
        "a room is #alias:server or !id:server",
    )?;
    Ok(Channel::Matrix(Matrix {
        secure: raw.scheme == "matrixs",
        server: HostPort { host, port },
        auth,
        rooms,
    }))
}

pub(super) fn parse_webhook(raw: RawUrl, allow_loopback: bool) -> Result<Channel, InvalidChannel> {
    let (host, port) = host_port(&raw.authority, allow_loopback)?;
    let query = raw.query.rest();
    if query.len() > 20 {
        return Err(InvalidChannel::new("query", "at most 20 parameters"));
    }
    Ok(Channel::Webhook(Webhook {
        secure: raw.scheme == "jsons",
        server: HostPort { host, port },
        path: raw.path,
        query,
        user: raw.user,
        password: raw.password.map(Secret),
    }))
}
