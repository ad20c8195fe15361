//! The alert email: the SMTP transport (lettre) and the message itself:
//! multipart/alternative of the plain text and, with the price chart, a
//! multipart/related of the HTML and the chart's PNG (inline, `cid:`); with
//! the one-click unsubscribe headers of RFC 8058. Its words come from the
//! shared catalogue (`crates/i18n/locales/`, the `email-` messages) in the
//! recipient's saved language, its prices as that language writes money, its
//! time in the recipient's saved zone.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use pricewatch_i18n::{Arg, Lang};
use pricewatch_storage::models::Preferences;
use pricewatch_storage::queries::notifications::EmailDetails;
use rust_decimal::Decimal;
use tokio::sync::oneshot;

use crate::Settings;
use crate::chart::{self, History, PriceChart};

/// Timeout of each SMTP command (connect, greeting, DATA…).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// An idle SMTP connection older than this is closed rather than reused.
const MAX_IDLE: Duration = Duration::from_secs(30);

/// Why an email did not go out, or may not have.
#[derive(Debug)]
pub enum SendError {
    /// Trying again may work (connection refused, timeout, 4xx, TLS trouble).
    Transient(String),
    /// It never will (the server refused the recipient or the message: 5xx).
    Permanent(String),
    /// The whole message, final "." included, reached the server, but no
    /// answer came back (connection lost, timeout). The server has most likely
    /// kept it: sending again would most likely mean a second email.
    Unconfirmed(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Transient(e) => write!(f, "temporary SMTP failure: {e}"),
            SendError::Permanent(e) => write!(f, "SMTP refused the email: {e}"),
            SendError::Unconfirmed(e) => write!(
                f,
                "the SMTP server received the whole email but did not confirm it: {e}"
            ),
        }
    }
}

/// Sends alert emails over SMTP (lettre's connection, our own small pool).
///
/// Why not lettre's `AsyncSmtpTransport`: a notifier killed between the
/// server receiving the final "." of DATA and our `UPDATE … 'sent'` must not
/// send the email again, and that needs to know the moment the "." goes out
/// (see [`Mailer::send`]); the transport does not tell.
#[derive(Clone)]
pub struct Mailer {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Arc<Mutex<Vec<(AsyncSmtpConnection, Instant)>>>,
    max_idle_connections: usize,
    from: Mailbox,
    public_base_url: url::Url,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let smtp = &settings.smtp;
        Ok(Self {
            host: smtp.smtp_host.clone(),
            port: smtp.smtp_port,
            tls: smtp.tls()?,
            credentials: smtp.credentials(),
            hello: ClientId::default(),
            idle: Arc::default(),
            max_idle_connections: usize::from(settings.concurrency),
            from: smtp.smtp_from.clone(),
            public_base_url: settings.public_base_url.clone(),
        })
    }

    /// Writes the email for `details`, with the chart of `history` when it
    /// can be drawn. Fails only on an unusable recipient address (a
    /// permanent failure).
    pub fn compose(
        &self,
        details: &EmailDetails,
        history: Option<&History>,
    ) -> Result<lettre::Message, SendError> {
        let to: Mailbox = details
            .email
            .parse()
            .map_err(|e| SendError::Permanent(format!("invalid recipient address: {e}")))?;
        let chart = history.and_then(|h| chart::draw(h, details.notification.target_price));
        let cid = format!("price-chart-{}@pricewatch", details.notification.id);
        let alert = Alert::new(details, &self.public_base_url)
            .with_chart(chart.as_ref().map(|c| (c, cid.as_str())));
        let html = SinglePart::html(alert.html());
        let body = MultiPart::alternative().singlepart(SinglePart::plain(alert.text()));
        let body = match (chart, ContentType::parse("image/png")) {
            (Some(PriceChart { png, .. }), Ok(png_type)) => body.multipart(
                MultiPart::related()
                    .singlepart(html)
                    .singlepart(Attachment::new_inline(cid).body(png, png_type)),
            ),
            _ => body.singlepart(html),
        };
        lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(alert.subject())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                alert.lang.code().to_owned(),
            ))
            .message_id(Some(format!(
                "<notification-{}@pricewatch>",
                details.notification.id
            )))
            // RFC 8058: mail clients offer "unsubscribe" and POST to the link.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", alert.unsubscribe_url),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .multipart(body)
            .map_err(|e| SendError::Permanent(format!("cannot build the email: {e}")))
    }

    /// Writes a channel's test email to `to` (`id`: the test's id).
    pub fn compose_test(&self, to: &str, id: uuid::Uuid) -> Result<lettre::Message, SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendError::Permanent(format!("invalid recipient address: {e}")))?;
        lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject("PriceWatch test")
            .message_id(Some(format!("<channel-test-{id}@pricewatch>")))
            .body(crate::deliver::message::TEST_TEXT.to_owned())
            .map_err(|e| SendError::Permanent(format!("cannot build the email: {e}")))
    }

    /// Sends one email; `Ok` once the SMTP server has accepted it.
    ///
    /// `handed_over` fires right before the final "." of DATA is written, in
    /// the same poll as that write: from then on the server may keep the
    /// email whatever happens to us. The caller records it (in parallel with
    /// the server's answer) so that, if this process dies before it records
    /// the answer, the email is not sent a second time.
    pub async fn send(
        &self,
        message: &lettre::Message,
        handed_over: oneshot::Sender<()>,
    ) -> Result<(), SendError> {
        let mut handed_over = Some(handed_over);
        let dot_sent = std::sync::atomic::AtomicBool::new(false);
        // Each command has SMTP_TIMEOUT; this bounds the whole conversation.
        let sent = tokio::time::timeout(
            SMTP_TIMEOUT * 3,
            self.send_inner(message, &mut handed_over, &dot_sent),
        )
        .await;
        let result = match sent {
            Err(_) => Err(SendError::Transient(
                "SMTP conversation timed out".to_owned(),
            )),
            Ok(result) => result,
        };
        match result {
            // Past the "." only the server's answer tells: no answer is not a "no".
            Err(SendError::Transient(e)) if dot_sent.load(std::sync::atomic::Ordering::SeqCst) => {
                Err(SendError::Unconfirmed(e))
            }
            other => other,
        }
    }

    async fn send_inner(
        &self,
        message: &lettre::Message,
        handed_over: &mut Option<oneshot::Sender<()>>,
        dot_sent: &std::sync::atomic::AtomicBool,
    ) -> Result<(), SendError> {
        let envelope = message.envelope();
        let body = message.formatted();
        let (mut conn, reused) = self.connection().await?;
        let mut options = Vec::new();
        let non_ascii_address = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii_address {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(SendError::Permanent(
                    "the address is not ASCII and the SMTP server does not support SMTPUTF8"
                        .to_owned(),
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !body.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(SendError::Permanent(
                    "the email is not ASCII and the SMTP server does not support 8BITMIME"
                        .to_owned(),
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mail = Mail::new(envelope.from().cloned(), options);
        let mail = match conn.command(mail.clone()).await {
            Ok(_) => Ok(()),
            // A reused connection the server has closed meanwhile: a fresh one.
            Err(e) if reused && !e.is_permanent() && !e.is_transient() => {
                tracing::debug!(error = %e, "idle SMTP connection gone, opening a new one");
                conn = self.connect().await?;
                conn.command(mail).await.map(|_| ())
            }
            Err(e) => Err(e),
        };
        mail.map_err(|e| classify(&e))?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), vec![]))
                .await
                .map_err(|e| classify(&e))?;
        }
        conn.command(Data).await.map_err(|e| classify(&e))?;
        // lettre writes each part, then asks for the next, then writes the
        // final "." — all in this poll once the part is written: the signal
        // and the "." are microseconds apart.
        let parts = std::iter::once(body.as_slice()).chain(std::iter::from_fn(|| {
            if let Some(tx) = handed_over.take() {
                dot_sent.store(true, std::sync::atomic::Ordering::SeqCst);
                let _ = tx.send(());
            }
            None
        }));
        match conn.message_iter(parts).await {
            Ok(_) => {
                self.put_back(conn);
                Ok(())
            }
            Err(e) => Err(classify(&e)),
        }
    }

    /// An idle connection if one is fresh enough, else a new one; `true` if reused.
    async fn connection(&self) -> Result<(AsyncSmtpConnection, bool), SendError> {
        loop {
            let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            match idle {
                Some((conn, since)) if since.elapsed() < MAX_IDLE && !conn.has_broken() => {
                    return Ok((conn, true));
                }
                // Too old or broken: dropped (closing the socket), try the next.
                Some(_) => {}
                None => return Ok((self.connect().await?, false)),
            }
        }
    }

    fn put_back(&self, conn: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle_connections
        {
            idle.push((conn, Instant::now()));
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let wrapper = match &self.tls {
            Tls::Wrapper(params) => Some(params.clone()),
            Tls::None | Tls::Required(_) | Tls::Opportunistic(_) => None,
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(SMTP_TIMEOUT),
            &self.hello,
            wrapper,
            None,
        )
        .await
        .map_err(|e| classify(&e))?;
        if let Tls::Required(params) | Tls::Opportunistic(params) = &self.tls {
            conn.starttls(params.clone(), &self.hello)
                .await
                .map_err(|e| classify(&e))?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(|e| classify(&e))?;
        }
        Ok(conn)
    }
}

fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    let text = error.to_string();
    // 5xx answers are permanent, except authentication ones (53x): those are our
    // configuration, not this email's fault, and get fixed by an operator.
    let auth = error
        .status()
        .is_some_and(|code| code.to_string().starts_with("53"));
    if error.is_permanent() && !auth {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}

/// The words of one alert, shared by the text and HTML parts, in the
/// recipient's language (English when unset) with times in their zone (UTC,
/// named, when unset).
#[derive(Debug, Clone)]
pub struct Alert {
    pub title: String,
    pub product_url: String,
    /// The amounts as plain numbers (`19.99`), for the channels' messages.
    pub old_price: Option<String>,
    pub new_price: String,
    pub target_price: String,
    pub currency: String,
    pub watch_url: String,
    pub docs_url: String,
    /// The one-click unsubscribe link (it pauses the watch).
    pub unsubscribe_url: String,
    /// The chart's figures and its `Content-ID`, when the email has it.
    pub chart: Option<ChartText>,
    /// The recipient's language.
    pub lang: Lang,
    /// The amounts as the language writes money (`€19.99`, `19,99 €`).
    pub old_money: Option<String>,
    pub new_money: String,
    pub target_money: String,
    /// When the price was seen, in the recipient's zone, the zone named:
    /// `4 déc. 2026, 17:05 (Europe/Paris)`, `4 Dec 2026, 16:05 (UTC)`.
    pub seen: String,
}

/// What the email says of its chart.
#[derive(Debug, Clone)]
pub struct ChartText {
    pub content_id: String,
    /// The figures, as the language writes money.
    pub lowest: String,
    pub highest: String,
    pub latest: String,
}

impl ChartText {
    fn words(&self, lang: Lang) -> String {
        lang.t_args(
            "email-chart",
            &[
                ("days", Arg::Number(chart::WINDOW_DAYS)),
                ("lowest", Arg::Text(&self.lowest)),
                ("highest", Arg::Text(&self.highest)),
                ("latest", Arg::Text(&self.latest)),
            ],
        )
    }
}

/// The recipient's language (English when unset or no longer offered) and
/// zone (UTC when unset).
pub fn audience(preferences: &Preferences) -> (Lang, Tz) {
    let lang = preferences
        .language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(Lang::EN);
    let tz = preferences
        .time_zone
        .as_deref()
        .and_then(pricewatch_i18n::parse_zone)
        .unwrap_or(Tz::UTC);
    (lang, tz)
}

impl Alert {
    pub fn new(details: &EmailDetails, public_base_url: &url::Url) -> Self {
        let n = &details.notification;
        let (lang, tz) = audience(&details.preferences);
        let title = details
            .product_title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map_or_else(|| lang.t("email-untitled"), one_line);
        let base = public_base_url.as_str().trim_end_matches('/');
        let currency = n.currency.trim().to_owned();
        Self {
            title,
            product_url: details.product_url.clone(),
            old_price: n.old_price.map(format_amount),
            new_price: format_amount(n.new_price),
            target_price: format_amount(n.target_price),
            watch_url: format!("{base}/api/v1/watches/{}", n.watch_id),
            docs_url: format!("{base}/docs"),
            unsubscribe_url: format!("{base}/unsubscribe/{}", details.unsubscribe_token),
            chart: None,
            lang,
            old_money: n.old_price.map(|p| lang.money(p, &currency)),
            new_money: lang.money(n.new_price, &currency),
            target_money: lang.money(n.target_price, &currency),
            seen: format!("{} ({})", lang.when(&n.created_at, tz), tz.name()),
            currency,
        }
    }

    /// The alert with the chart drawn for it, under `Content-ID` `cid`.
    pub fn with_chart(mut self, chart: Option<(&PriceChart, &str)>) -> Self {
        let (lang, currency) = (self.lang, self.currency.clone());
        self.chart = chart.map(|(chart, cid)| ChartText {
            content_id: cid.to_owned(),
            lowest: lang.money(chart.summary.lowest, &currency),
            highest: lang.money(chart.summary.highest, &currency),
            latest: lang.money(chart.summary.latest, &currency),
        });
        self
    }

    pub fn subject(&self) -> String {
        self.lang.t_args(
            "email-subject",
            &[
                ("title", Arg::Text(&truncate(&self.title, 120))),
                ("price", Arg::Text(&self.new_money)),
            ],
        )
    }

    /// The labelled figures: previous price (struck through in HTML), new
    /// price (in bold), target, when seen.
    fn rows(&self) -> Vec<(String, &str, &'static str)> {
        let mut rows = Vec::with_capacity(4);
        if let Some(old) = &self.old_money {
            rows.push((self.lang.t("email-previous"), old.as_str(), "s"));
        }
        rows.push((self.lang.t("email-new"), self.new_money.as_str(), "strong"));
        rows.push((self.lang.t("email-target"), self.target_money.as_str(), ""));
        rows.push((self.lang.t("email-seen"), self.seen.as_str(), ""));
        rows
    }

    pub fn text(&self) -> String {
        let lang = self.lang;
        let line = |label: &str, value: &str| {
            lang.t_args(
                "email-line",
                &[("label", Arg::Text(label)), ("value", Arg::Text(value))],
            )
        };
        let mut out = lang.t_args(
            "email-intro",
            &[
                ("title", Arg::Text(&self.title)),
                ("price", Arg::Text(&self.new_money)),
            ],
        );
        out.push_str("\n\n");
        for (label, value, _) in self.rows() {
            out.push_str(&line(&label, value));
            out.push('\n');
        }
        out.push('\n');
        if let Some(chart) = &self.chart {
            out.push_str(&chart.words(lang));
            out.push_str("\n\n");
        }
        out.push_str(&line(&lang.t("email-see-product"), &self.product_url));
        out.push_str("\n\n--\n");
        out.push_str(&lang.t_args(
            "email-footer",
            &[
                ("unsubscribe", Arg::Text(&self.unsubscribe_url)),
                ("watch", Arg::Text(&self.watch_url)),
                ("body", Arg::Text(PAUSE_BODY)),
                ("docs", Arg::Text(&self.docs_url)),
            ],
        ));
        out.push('\n');
        out
    }

    pub fn html(&self) -> String {
        let lang = self.lang;
        let mut rows = String::new();
        for (label, value, tag) in self.rows() {
            let value = escape_html(value);
            let value = if tag.is_empty() {
                value
            } else {
                format!("<{tag}>{value}</{tag}>")
            };
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{value}</td></tr>\n",
                escape_html(&label)
            ));
        }
        let link = if is_web_link(&self.product_url) {
            format!(
                "<p><a href=\"{}\">{}</a></p>",
                escape_html(&self.product_url),
                escape_html(&lang.t("email-see-product"))
            )
        } else {
            format!(
                "<p>{}</p>",
                escape_html(&lang.t_args(
                    "email-line",
                    &[
                        ("label", Arg::Text(&lang.t("email-product"))),
                        ("value", Arg::Text(&self.product_url)),
                    ],
                ))
            )
        };
        let chart = match &self.chart {
            Some(chart) => {
                let words = chart.words(lang);
                let alt = lang.t_args("email-chart-alt", &[("words", Arg::Text(&words))]);
                format!(
                    "<p><img src=\"cid:{}\" width=\"{}\" height=\"{}\" alt=\"{}\"></p>\n<p>{} \
                     <span style=\"color:#16a34a\">{}</span>: {}</p>\n",
                    escape_html(&chart.content_id),
                    chart::WIDTH,
                    chart::HEIGHT,
                    escape_html(&alt),
                    escape_html(&words),
                    escape_html(&lang.t("email-chart-legend")),
                    escape_html(&lang.t("email-chart-legend-target")),
                )
            }
            None => String::new(),
        };
        let intro = lang.t_args(
            "email-intro-html",
            &[
                ("title", Arg::Text(&escape_html(&self.title))),
                ("price", Arg::Text(&escape_html(&self.new_money))),
            ],
        );
        let footer = lang.t_args(
            "email-footer-html",
            &[
                (
                    "unsubscribe",
                    Arg::Text(&escape_html(&self.unsubscribe_url)),
                ),
                ("watch", Arg::Text(&escape_html(&self.watch_url))),
                ("body", Arg::Text(&escape_html(PAUSE_BODY))),
                ("docs", Arg::Text(&escape_html(&self.docs_url))),
            ],
        );
        format!(
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
             <body>\n<p>{intro}</p>\n<table>\n{rows}</table>\n{chart}{link}\n\
             <hr>\n<p style=\"font-size:small;color:#666\">{footer}</p>\n</body></html>\n",
            lang.code(),
            escape_html(&self.subject()),
        )
    }
}

/// The body of the API request that pauses a watch, quoted in the footer.
const PAUSE_BODY: &str = "{\"active\": false}";

/// "19.9900" → "19.99", "20" → "20.00"; more than two significant decimals stay.
pub fn format_amount(amount: Decimal) -> String {
    let normal = amount.normalize();
    if normal.scale() <= 2 {
        format!("{normal:.2}")
    } else {
        normal.to_string()
    }
}

pub fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

fn is_web_link(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Control characters (newlines in a scraped title) become spaces.
fn one_line(raw: &str) -> String {
    raw.split(char::is_control)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn truncate(raw: &str, max_chars: usize) -> String {
    if raw.chars().count() <= max_chars {
        raw.to_owned()
    } else {
        let mut out: String = raw.chars().take(max_chars.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pricewatch_storage::models::Notification;
    use std::str::FromStr;

    fn details(title: Option<&str>) -> EmailDetails {
        EmailDetails {
            notification: Notification {
                id: uuid::Uuid::nil(),
                watch_id: uuid::Uuid::nil(),
                user_id: uuid::Uuid::nil(),
                product_id: uuid::Uuid::nil(),
                price_history_id: 1,
                old_price: Some(Decimal::from_str("24.5000").unwrap()),
                new_price: Decimal::from_str("19.9900").unwrap(),
                currency: "EUR".to_owned(),
                target_price: Decimal::from_str("20").unwrap(),
                status: "sending".to_owned(),
                attempts: 1,
                last_error: None,
                published_at: None,
                sent_at: None,
                created_at: chrono::Utc::now(),
                rules: vec!["below_target".to_owned()],
            },
            email: "bob@example.test".to_owned(),
            product_title: title.map(str::to_owned),
            product_url: "https://shop.example/p?a=1&b=2".to_owned(),
            unsubscribe_token: "pwu_0123abcd".to_owned(),
            preferences: Preferences::default(),
        }
    }

    fn at(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    fn base() -> url::Url {
        url::Url::parse("https://pw.example/").unwrap()
    }

    #[test]
    fn amounts_show_two_decimals() {
        assert_eq!(
            format_amount(Decimal::from_str("19.9900").unwrap()),
            "19.99"
        );
        assert_eq!(format_amount(Decimal::from_str("20").unwrap()), "20.00");
        assert_eq!(
            format_amount(Decimal::from_str("0.1234").unwrap()),
            "0.1234"
        );
    }

    #[test]
    fn subject_and_text_carry_the_prices() {
        let alert = Alert::new(&details(Some("Kettle\n2000 W")), &base());
        assert_eq!(alert.subject(), "Price drop: Kettle 2000 W is now €19.99");
        let text = alert.text();
        assert!(text.contains("Previous price: €24.50"), "{text}");
        assert!(text.contains("New price: €19.99"));
        assert!(text.contains("Your target: €20.00"));
        assert!(text.contains("https://shop.example/p?a=1&b=2"));
        assert!(text.contains("PATCH https://pw.example/api/v1/watches/"));
        assert!(text.contains("https://pw.example/docs"));
    }

    #[test]
    fn html_escapes_the_title_and_link() {
        let alert = Alert::new(&details(Some("<script>x</script> & \"co\"")), &base());
        let html = alert.html();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt; &amp; &quot;co&quot;"));
        assert!(html.contains("href=\"https://shop.example/p?a=1&amp;b=2\""));
        assert!(html.contains("<s>€24.50</s>") && html.contains("<strong>€19.99</strong>"));
    }

    #[test]
    fn the_chart_and_the_unsubscribe_link_are_in_both_parts() {
        let alert = Alert::new(&details(Some("Kettle")), &base());
        assert_eq!(
            alert.unsubscribe_url,
            "https://pw.example/unsubscribe/pwu_0123abcd"
        );
        assert!(
            alert
                .text()
                .contains("pause the watch: https://pw.example/unsubscribe/pwu_0123abcd")
        );
        assert!(!alert.text().contains("Last 90 days") && !alert.html().contains("cid:"));
        let chart = PriceChart {
            png: vec![],
            summary: chart::Summary {
                lowest: Decimal::from_str("18.5").unwrap(),
                highest: Decimal::from_str("24.5").unwrap(),
                latest: Decimal::from_str("19.99").unwrap(),
            },
        };
        let alert = alert.with_chart(Some((&chart, "c1@pricewatch")));
        let words = "Last 90 days: lowest €18.50, highest €24.50, latest €19.99.";
        assert!(alert.text().contains(words), "{}", alert.text());
        let html = alert.html();
        assert!(
            html.contains("<img src=\"cid:c1@pricewatch\" width=\"600\" height=\"200\""),
            "{html}"
        );
        assert!(html.contains(words));
        assert!(html.contains("href=\"https://pw.example/unsubscribe/pwu_0123abcd\""));
    }

    #[test]
    fn a_french_user_reads_french_words_prices_and_their_own_time() {
        let mut d = details(Some("Bouilloire"));
        d.notification.created_at = at("2026-12-04T16:05:00Z");
        d.preferences = Preferences {
            language: Some("fr".into()),
            time_zone: Some("Europe/Paris".into()),
        };
        let alert = Alert::new(&d, &base());
        assert_eq!(
            alert.subject(),
            "Baisse de prix : Bouilloire est à 19,99\u{a0}€"
        );
        let text = alert.text();
        assert!(text.starts_with("Bonne nouvelle : Bouilloire"), "{text}");
        assert!(text.contains("Prix précédent : 24,50\u{a0}€"), "{text}");
        assert!(text.contains("Votre prix cible : 20,00\u{a0}€"), "{text}");
        assert!(
            text.contains("Relevé : 4 déc. 2026, 17:05 (Europe/Paris)"),
            "{text}"
        );
        assert!(
            !text.contains("Price drop") && !text.contains("EUR"),
            "{text}"
        );
        assert!(
            alert
                .html()
                .starts_with("<!DOCTYPE html>\n<html lang=\"fr\">")
        );
        // Nothing saved: English, and the time in UTC, saying so.
        d.preferences = Preferences::default();
        let text = Alert::new(&d, &base()).text();
        assert!(text.contains("Seen: 4 Dec 2026, 16:05 (UTC)"), "{text}");
        // A language no longer offered, a zone no longer known: the same.
        d.preferences = Preferences {
            language: Some("xx".into()),
            time_zone: Some("Mars/Olympus".into()),
        };
        assert_eq!(Alert::new(&d, &base()).text(), text);
    }

    #[test]
    fn missing_title_has_a_fallback() {
        let alert = Alert::new(&details(None), &base());
        assert!(
            alert
                .subject()
                .starts_with("Price drop: Your watched product is now")
        );
    }
}
