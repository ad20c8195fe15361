use proptest::prelude::*;

use super::*;

fn parse(raw: &str) -> Channel {
    Channel::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
}

fn part(raw: &str) -> &'static str {
    match Channel::parse(raw) {
        Ok(c) => panic!("{raw} parsed as {c:?}"),
        Err(e) => e.part,
    }
}

fn host(name: &str) -> HostPort {
    HostPort {
        host: Host::parse(name).unwrap(),
        port: None,
    }
}

const KEY30: &str = "azGDORePK8gMaC0QOYAMyEEuzJnyUi";
const TOK30: &str = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG";

#[test]
fn every_scheme_parses_into_its_kind() {
    let cases = [
        ("mailto://alice@example.com", ChannelKind::Email),
        ("mailto:alice@example.com", ChannelKind::Email),
        ("ntfy://prices", ChannelKind::Ntfy),
        ("ntfys://ntfy.example.com/prices", ChannelKind::Ntfy),
        ("gotify://gotify.example.com/AbC.d-1", ChannelKind::Gotify),
        (
            "gotifys://gotify.example.com:8443/sub/AbC",
            ChannelKind::Gotify,
        ),
        ("tgram://123456789:AAE-x_y/-1001234", ChannelKind::Telegram),
        ("discord://1234567890/tok-EN_x", ChannelKind::Discord),
        (
            "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnl/#deals",
            ChannelKind::Slack,
        ),
        (&format!("pover://{KEY30}@{TOK30}"), ChannelKind::Pushover),
        (
            "matrixs://bot:pw@matrix.example.org/#deals:example.org",
            ChannelKind::Matrix,
        ),
        (
            "matrix://syt_token@matrix.example.org/!abc:example.org",
            ChannelKind::Matrix,
        ),
        ("json://hooks.example.com/pricewatch", ChannelKind::Webhook),
        (
            "jsons://u:p@hooks.example.com:8443/a/b?x=1",
            ChannelKind::Webhook,
        ),
    ];
    for (raw, kind) in cases {
        assert_eq!(parse(raw).kind(), kind, "{raw}");
        assert_eq!(ChannelKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn ntfy_topics_servers_and_logins() {
    assert_eq!(
        parse("ntfy://prices"),
        Channel::Ntfy(Ntfy {
            secure: false,
            server: None,
            auth: None,
            topics: vec!["prices".into()],
            priority: None,
            tags: vec![],
        })
    );
    let Channel::Ntfy(n) =
        parse("ntfys://me:s%3Acret@NTFY.example.com:8080/a/b?priority=HIGH&tags=moneybag,%2B1")
    else {
        panic!()
    };
    assert!(n.secure);
    assert_eq!(n.server.unwrap().to_string(), "ntfy.example.com:8080");
    assert_eq!(n.topics, ["a", "b"]);
    assert_eq!(n.priority, Some(4));
    assert_eq!(n.tags, ["moneybag", "+1"]);
    assert_eq!(
        n.auth,
        Some(NtfyAuth::Basic(Login {
            user: "me".into(),
            password: Secret::new("s:cret")
        }))
    );
    let Channel::Ntfy(n) = parse("ntfy://tk_abc123@ntfy.sh/t") else {
        panic!()
    };
    assert_eq!(n.auth, Some(NtfyAuth::Token(Secret::new("tk_abc123"))));
    assert_eq!(part("ntfy://bob@ntfy.sh/t"), "password");
    assert_eq!(part("ntfy://me:pw@topic"), "user");
    assert_eq!(part("ntfy://bad.topic"), "topic");
    assert_eq!(part("ntfy://h.example/"), "topic");
    assert_eq!(
        part(&format!("ntfy://h.example/{}", "t".repeat(65))),
        "topic"
    );
    assert_eq!(part("ntfy://t?priority=7"), "priority");
    assert_eq!(part("ntfy://t?tags=a,,b"), "tags");
    assert_eq!(part("ntfy://t?title=x"), "query");
    assert_eq!(part("ntfy://10.1.2.3/t"), "host");
    assert_eq!(part("ntfy://[::1]:80/t"), "host");
    assert_eq!(part("ntfy://h.example:99999/t"), "port");
}

#[test]
fn gotify_takes_the_last_segment_as_token() {
    assert_eq!(
        parse("gotifys://push.example.com:8443/gotify/AbC.d-1?priority=high"),
        Channel::Gotify(Gotify {
            secure: true,
            server: HostPort {
                host: Host::parse("push.example.com").unwrap(),
                port: Some(8443)
            },
            path: vec!["gotify".into()],
            token: Secret::new("AbC.d-1"),
            priority: Some(8),
        })
    );
    assert_eq!(part("gotify://push.example.com"), "token");
    assert_eq!(part("gotify://push.example.com/a%20b"), "token");
    assert_eq!(part("gotify://push.example.com/t?priority=11"), "priority");
    assert_eq!(part("gotify://u:p@push.example.com/t"), "user");
    assert_eq!(part("gotify://192.168.1.2/t"), "host");
}

#[test]
fn telegram_discord_slack_pushover() {
    assert_eq!(
        parse("tgram://bot123456789:AAE-x_y/-1001234/@deals_channel"),
        Channel::Telegram(Telegram {
            bot_token: Secret::new("123456789:AAE-x_y"),
            chats: vec!["-1001234".into(), "@deals_channel".into()],
        })
    );
    assert_eq!(part("tgram://123456789/-100"), "token");
    assert_eq!(part("tgram://abc:def/-100"), "token");
    assert_eq!(part("tgram://123:abc"), "chat");
    assert_eq!(part("tgram://123:abc/@ab"), "chat");
    assert_eq!(part("tgram://123:abc/1/2/3/4/5/6/7/8/9/10/11"), "chat");
    assert_eq!(
        parse("discord://PriceBot@1234567890/tok-EN_x"),
        Channel::Discord(Discord {
            botname: Some("PriceBot".into()),
            webhook_id: "1234567890".into(),
            webhook_token: Secret::new("tok-EN_x"),
        })
    );
    assert_eq!(part("discord://abc/tok"), "webhook_id");
    assert_eq!(part("discord://123"), "token");
    assert_eq!(part("discord://123/tok/extra"), "token");
    assert_eq!(part("discord://a:b@123/tok"), "password");
    assert_eq!(
        parse("slack://Bot@T1/B2/C3/#deals/@alice"),
        Channel::Slack(Slack {
            botname: Some("Bot".into()),
            token_a: "T1".into(),
            token_b: "B2".into(),
            token_c: Secret::new("C3"),
            channels: vec!["#deals".into(), "@alice".into()],
        })
    );
    assert_eq!(part("slack://T1/B2"), "token");
    assert_eq!(part("slack://T1/B-2/C3"), "token");
    assert_eq!(part("slack://T1/B2/C3/deals"), "channel");
    assert_eq!(
        parse(&format!("pover://{KEY30}@{TOK30}/phone?priority=high")),
        Channel::Pushover(Pushover {
            user_key: Secret::new(KEY30),
            app_token: Secret::new(TOK30),
            devices: vec!["phone".into()],
            priority: Some(1),
        })
    );
    assert_eq!(part(&format!("pover://{TOK30}")), "user_key");
    assert_eq!(part(&format!("pover://short@{TOK30}")), "user_key");
    assert_eq!(part(&format!("pover://{KEY30}@short")), "token");
    assert_eq!(
        part(&format!("pover://{KEY30}@{TOK30}?priority=3")),
        "priority"
    );
}

#[test]
fn matrix_rooms_and_logins() {
    let Channel::Matrix(m) =
        parse("matrix://bot:pw@matrix.example.org:8008/deals/#news/!Abc:example.org")
    else {
        panic!()
    };
    assert!(!m.secure);
    assert_eq!(
        m.rooms,
        [
            "#deals:matrix.example.org",
            "#news:matrix.example.org",
            "!Abc:example.org"
        ]
    );
    assert_eq!(
        m.auth,
        MatrixAuth::Login(Login {
            user: "bot".into(),
            password: Secret::new("pw")
        })
    );
    assert_eq!(part("matrix://matrix.example.org/#r"), "user");
    assert_eq!(part("matrix://tok@matrix.example.org"), "room");
    assert_eq!(part("matrix://to%20k@matrix.example.org/#r"), "token");
    assert_eq!(part("matrix://tok@matrix.example.org/!noserver"), "room");
    assert_eq!(part("matrix://tok@172.16.0.1/#r"), "host");
}

#[test]
fn webhooks_and_email() {
    assert_eq!(
        parse("jsons://me:p%2Fw@Hooks.Example.com:8443/in/price%20watch?a=1&b=x%20y"),
        Channel::Webhook(Webhook {
            secure: true,
            server: HostPort {
                host: Host::parse("hooks.example.com").unwrap(),
                port: Some(8443)
            },
            path: vec!["in".into(), "price watch".into()],
            query: vec![("a".into(), "1".into()), ("b".into(), "x y".into())],
            user: Some("me".into()),
            password: Some(Secret::new("p/w")),
        })
    );
    assert_eq!(part("json://hooks.example.com/?+X-Header=1"), "query");
    assert_eq!(part("json://169.254.169.254/latest"), "host");
    assert_eq!(part("json://[fe80::1]/"), "host");
    assert_eq!(part("json://metadata.localhost/"), "host");
    assert_eq!(part("json://"), "host");
    assert!(Channel::parse_with("json://127.0.0.1:9000/hook", true).is_ok());
    assert!(Channel::parse_with("json://localhost:9000/hook", true).is_ok());
    assert!(Channel::parse_with("json://10.0.0.1:9000/hook", true).is_err());

    assert_eq!(
        parse("mailto://Alice+deals@Example.COM"),
        Channel::Email(EmailChannel {
            to: Email::parse("alice+deals@example.com").unwrap()
        })
    );
    assert_eq!(part("mailto://alice:pw@example.com"), "password");
    assert_eq!(part("mailto://example.com"), "user");
    assert_eq!(part("mailto://alice@example"), "address");
    assert_eq!(part("mailto://alice@example.com/x"), "path");
    assert_eq!(part("mailto://alice@example.com?subject=x"), "query");
}

#[test]
fn unknown_and_malformed_urls_name_their_part() {
    assert_eq!(part("https://example.com/hook"), "scheme");
    assert_eq!(part("apprise://x"), "scheme");
    assert_eq!(part("just text"), "url");
    assert_eq!(part(""), "url");
    assert_eq!(part("ntfy:prices"), "scheme");
    let err = Channel::parse("irc://x").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("scheme: unknown scheme \"irc\""),
        "{err}"
    );
}

#[test]
fn redaction_hides_every_secret() {
    let urls = [
        "ntfys://me:hunter2hunter2hunter2@ntfy.example.com/t",
        "ntfy://tk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@ntfy.example.com/t",
        "gotify://push.example.com/AbCdEfGhIjKlMnOpQr",
        "tgram://123456789:AAE-very-secret-key-0001/-100",
        "discord://1234567890/discord-token-secret-zzzz",
        "slack://T1/B2/slacksecretslacksecret9",
        &format!("pover://{KEY30}@{TOK30}"),
        "matrixs://bot:matrix-password-long@m.example.org/!a:b.org",
        "matrixs://syt_matrix_access_token_long@m.example.org/!a:b.org",
        "jsons://me:webhook-basic-password@hooks.example.com/h",
    ];
    for raw in urls {
        let channel = parse(raw);
        let shown = channel.redacted();
        assert!(!channel.secrets().is_empty(), "{raw}");
        for secret in channel.secrets() {
            let value = secret.expose();
            let key = value.split_once(':').map_or(value, |(_, k)| k);
            assert!(!shown.contains(key), "{shown} shows {value}");
        }
        assert!(shown.contains("***"), "{shown}");
        assert!(
            !format!("{channel:?}").contains(TOK30),
            "Debug shows secrets"
        );
        assert_eq!(Channel::parse(&channel.render()).unwrap(), channel);
    }
    assert_eq!(
        parse("tgram://123456789:AAE-very-secret-key-0001/-100").redacted(),
        "tgram://123456789:***0001/-100"
    );
    assert_eq!(Secret::new("short").redacted(), "***");
}

#[test]
fn endpoints_are_the_hosts_users_chose() {
    assert_eq!(parse("ntfy://prices").endpoint(), None);
    assert_eq!(parse("tgram://1:a/2").endpoint(), None);
    let e = parse("gotifys://push.example.com:8443/gotify/AbC")
        .endpoint()
        .unwrap();
    assert_eq!(e.base_url(), "https://push.example.com:8443/gotify");
    let e = parse("json://hooks.example.com/a%20b/c")
        .endpoint()
        .unwrap();
    assert_eq!(e.base_url(), "http://hooks.example.com/a%20b/c");
    assert_eq!(e.server, host("hooks.example.com"));
    let e = parse("ntfy://[2606:4700::1]:8080/t").endpoint().unwrap();
    assert_eq!(e.base_url(), "http://[2606:4700::1]:8080");
}

#[test]
fn names_are_bounded() {
    assert_eq!(validate_name("  Phone  ").unwrap(), "Phone");
    assert_eq!(validate_name("").unwrap_err().part, "name");
    assert_eq!(validate_name("a\u{7}").unwrap_err().part, "name");
    assert!(validate_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
    assert!(validate_name(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
}

// ---- round trip ----

fn label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,8}[a-z0-9]"
}

fn host_port() -> impl Strategy<Value = HostPort> {
    let name = (proptest::collection::vec(label(), 1..3), "[a-z]{2,5}")
        .prop_map(|(labels, tld)| Host::Domain(format!("{}.{tld}", labels.join("."))));
    let v4 = (1u8..=9, any::<u8>(), any::<u8>(), 1u8..=254)
        .prop_map(|(a, b, c, d)| Host::Ipv4(std::net::Ipv4Addr::new(a + 10, b, c, d)))
        .prop_filter("public", |h| match h {
            Host::Ipv4(ip) => crate::address::forbidden_reason((*ip).into()).is_none(),
            _ => true,
        });
    let v6 = any::<[u16; 4]>().prop_map(|[a, b, c, d]| {
        Host::Ipv6(std::net::Ipv6Addr::new(0x2606, 0x4700, a, b, c, d, 0, 1))
    });
    (prop_oneof![name, v4, v6], proptest::option::of(1u16..))
        .prop_map(|(host, port)| HostPort { host, port })
}

fn text() -> impl Strategy<Value = String> {
    // Anything printable, the characters URLs give meaning to included.
    "[a-zA-Z0-9 /?#@:%&=+!._~é-]{1,20}"
}

fn secret(pattern: &'static str) -> impl Strategy<Value = Secret> {
    proptest::string::string_regex(pattern)
        .unwrap()
        .prop_map(Secret::new)
}

fn login() -> impl Strategy<Value = Login> {
    (text(), secret("[a-zA-Z0-9 /?#@:%&=+!._~é-]{1,20}"))
        .prop_map(|(user, password)| Login { user, password })
}

fn few(pattern: &'static str) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        proptest::string::string_regex(pattern).unwrap(),
        1..=MAX_TARGETS,
    )
}

fn channel() -> impl Strategy<Value = Channel> {
    let email = "[a-z0-9._+-]{1,20}@[a-z]{1,10}\\.[a-z]{2,5}".prop_map(|a| {
        Channel::Email(EmailChannel {
            to: Email::parse(&a).unwrap(),
        })
    });
    let ntfy_auth = proptest::option::of(prop_oneof![
        login().prop_map(NtfyAuth::Basic),
        secret("tk_[a-zA-Z0-9]{1,30}").prop_map(NtfyAuth::Token),
    ]);
    let ntfy_self = (
        any::<bool>(),
        host_port(),
        ntfy_auth,
        few("[a-zA-Z0-9_-]{1,64}"),
        proptest::option::of(1u8..=5),
        proptest::collection::vec("[a-zA-Z0-9_+-]{1,32}", 0..4),
    )
        .prop_map(|(secure, server, auth, topics, priority, tags)| {
            Channel::Ntfy(Ntfy {
                secure,
                server: Some(server),
                auth,
                topics,
                priority,
                tags,
            })
        });
    let ntfy_cloud = (
        any::<bool>(),
        "[a-zA-Z0-9_-]{1,64}",
        proptest::option::of(1u8..=5),
    )
        .prop_map(|(secure, topic, priority)| {
            Channel::Ntfy(Ntfy {
                secure,
                server: None,
                auth: None,
                topics: vec![topic],
                priority,
                tags: vec![],
            })
        });
    let gotify = (
        any::<bool>(),
        host_port(),
        proptest::collection::vec(text(), 0..3),
        secret("[a-zA-Z0-9._-]{1,40}"),
        proptest::option::of(0u8..=10),
    )
        .prop_map(|(secure, server, path, token, priority)| {
            Channel::Gotify(Gotify {
                secure,
                server,
                path,
                token,
                priority,
            })
        });
    let telegram = (
        secret("[0-9]{1,12}:[a-zA-Z0-9_-]{1,40}"),
        few("-?[0-9]{1,15}|@[a-z][a-z0-9_]{4,20}"),
    )
        .prop_map(|(bot_token, chats)| Channel::Telegram(Telegram { bot_token, chats }));
    let discord = (
        proptest::option::of(text()),
        "[0-9]{1,20}",
        secret("[a-zA-Z0-9_-]{1,68}"),
    )
        .prop_map(|(botname, webhook_id, webhook_token)| {
            Channel::Discord(Discord {
                botname,
                webhook_id,
                webhook_token,
            })
        });
    let slack = (
        proptest::option::of(text()),
        "[A-Z0-9]{1,12}",
        "[A-Z0-9]{1,12}",
        secret("[a-zA-Z0-9]{1,24}"),
        proptest::collection::vec("[#@][a-z0-9._-]{1,20}", 0..3),
    )
        .prop_map(|(botname, token_a, token_b, token_c, channels)| {
            Channel::Slack(Slack {
                botname,
                token_a,
                token_b,
                token_c,
                channels,
            })
        });
    let pushover = (
        secret("[a-zA-Z0-9]{30}"),
        secret("[a-zA-Z0-9]{30}"),
        proptest::collection::vec("[a-zA-Z0-9_-]{1,25}", 0..3),
        proptest::option::of(-2i8..=2),
    )
        .prop_map(|(user_key, app_token, devices, priority)| {
            Channel::Pushover(Pushover {
                user_key,
                app_token,
                devices,
                priority,
            })
        });
    let matrix = (
        any::<bool>(),
        host_port(),
        prop_oneof![
            login().prop_map(MatrixAuth::Login),
            secret("[a-zA-Z0-9_.~+/=-]{1,60}").prop_map(MatrixAuth::AccessToken),
        ],
        few("[#!][a-zA-Z0-9_.=-]{1,20}:[a-z]{1,10}\\.[a-z]{2,4}"),
    )
        .prop_map(|(secure, server, auth, rooms)| {
            Channel::Matrix(Matrix {
                secure,
                server,
                auth,
                rooms,
            })
        });
    let webhook = (
        any::<bool>(),
        host_port(),
        proptest::collection::vec(text(), 0..4),
        proptest::collection::vec(
            ("[a-z0-9_.][a-z0-9_.-]{0,8}", "[a-zA-Z0-9 &=?/+%]{0,10}"),
            0..4,
        ),
        proptest::option::of((
            text(),
            proptest::option::of(secret("[a-zA-Z0-9 /?#@:%&=+!._~é-]{1,20}")),
        )),
    )
        .prop_filter("distinct query keys", |(_, _, _, query, _)| {
            query
                .iter()
                .enumerate()
                .all(|(i, (k, _))| query[..i].iter().all(|(k2, _)| k2 != k))
        })
        .prop_map(|(secure, server, path, query, login)| {
            let (user, password) = match login {
                Some((user, password)) => (Some(user), password),
                None => (None, None),
            };
            Channel::Webhook(Webhook {
                secure,
                server,
                path,
                query,
                user,
                password,
            })
        });
    prop_oneof![
        email, ntfy_self, ntfy_cloud, gotify, telegram, discord, slack, pushover, matrix, webhook
    ]
}

proptest! {
    #[test]
    fn parse_of_render_round_trips(channel in channel()) {
        let rendered = channel.render();
        let parsed = Channel::parse(&rendered);
        prop_assert_eq!(parsed.as_ref(), Ok(&channel), "{}", rendered);
        // The redacted form never shows a secret of eight characters or more.
        let shown = channel.redacted();
        for secret in channel.secrets() {
            let value = secret.expose();
            if value.len() >= 8 && !value.contains(':') {
                prop_assert!(!shown.contains(value), "{} shows {}", shown, value);
            }
        }
    }

    #[test]
    fn parsing_never_panics(raw in "\\PC{0,80}", scheme in prop::sample::select(SCHEMES.to_vec())) {
        let _ = Channel::parse(&raw);
        let _ = Channel::parse(&format!("{scheme}://{raw}"));
    }
}
