//! The password reset email, sent over the SMTP relay that the notifier uses
//! (the same `SMTP_*` settings), with lettre's transport and a timeout.

use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::settings::{Settings, SmtpTls};

/// Each SMTP command's timeout; the whole send is bounded by three of them.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

fn transport(settings: &Settings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let host = settings.smtp_host.clone();
    let tls = || {
        TlsParameters::new(host.clone())
            .with_context(|| format!("invalid SMTP_HOST {host:?} for TLS"))
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.smtp_host)
        .port(settings.smtp_port)
        .timeout(Some(SMTP_TIMEOUT));
    builder = match settings.smtp_tls {
        SmtpTls::None => builder.tls(Tls::None),
        SmtpTls::Starttls => builder.tls(Tls::Required(tls()?)),
        SmtpTls::Tls => builder.tls(Tls::Wrapper(tls()?)),
    };
    if !settings.smtp_username.is_empty() {
        builder = builder.credentials(Credentials::new(
            settings.smtp_username.clone(),
            settings.smtp_password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}

/// Sends the reset link to `to`.
pub async fn send_reset_link(
    settings: &Settings,
    to: &str,
    subject: &str,
    body: String,
) -> anyhow::Result<()> {
    let from: Mailbox = settings
        .smtp_from
        .parse()
        .with_context(|| format!("invalid SMTP_FROM {:?}", settings.smtp_from))?;
    let to: Mailbox = to.parse().context("invalid recipient address")?;
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .context("cannot build the email")?;
    let transport = transport(settings)?;
    tokio::time::timeout(SMTP_TIMEOUT * 3, transport.send(message))
        .await
        .context("the SMTP relay did not answer in time")?
        .context("the SMTP relay refused the email")?;
    Ok(())
}
