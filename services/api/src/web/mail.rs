//! The password reset email, sent over the SMTP relay that the notifier uses
//! (the same `SMTP_*` settings), with lettre's transport and a timeout.

use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use pricewatch_ops::smtp::SmtpSettings;

use crate::settings::Settings;

/// Each SMTP command's timeout; the whole send is bounded by three of them.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

fn transport(smtp: &SmtpSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.smtp_host)
        .port(smtp.smtp_port)
        .timeout(Some(SMTP_TIMEOUT))
        .tls(smtp.tls()?);
    if let Some(credentials) = smtp.credentials() {
        builder = builder.credentials(credentials);
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
    let to: Mailbox = to.parse().context("invalid recipient address")?;
    let message = lettre::Message::builder()
        .from(settings.smtp.smtp_from.clone())
        .to(to)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .context("cannot build the email")?;
    let transport = transport(&settings.smtp)?;
    tokio::time::timeout(SMTP_TIMEOUT * 3, transport.send(message))
        .await
        .context("the SMTP relay did not answer in time")?
        .context("the SMTP relay refused the email")?;
    Ok(())
}
