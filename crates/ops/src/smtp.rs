//! The SMTP relay: one group of settings for every binary that sends email
//! (the notifier's alerts, the api's password reset links), and what both
//! build from it.

use anyhow::Context;
use clap::{Args, ValueEnum};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use secrecy::{ExposeSecret, SecretString};

/// How to talk to the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Args)]
pub struct SmtpSettings {
    /// The SMTP relay that PriceWatch's emails go through.
    #[arg(long, env = "SMTP_HOST", default_value = "127.0.0.1")]
    pub smtp_host: String,
    #[arg(long, env = "SMTP_PORT", default_value_t = 1025)]
    pub smtp_port: u16,
    /// Empty: no authentication.
    #[arg(long, env = "SMTP_USERNAME", default_value = "")]
    pub smtp_username: String,
    #[arg(
        long,
        env = "SMTP_PASSWORD",
        default_value = "",
        hide_default_value = true,
        hide_env_values = true
    )]
    pub smtp_password: SecretString,
    /// Sender of alert and password reset emails, e.g. "PriceWatch <alerts@example.com>".
    #[arg(
        long,
        env = "SMTP_FROM",
        default_value = "PriceWatch <alerts@pricewatch.local>"
    )]
    pub smtp_from: Mailbox,
    /// none, starttls or tls.
    #[arg(long, env = "SMTP_TLS", value_enum, default_value = "none")]
    pub smtp_tls: SmtpTls,
}

impl SmtpSettings {
    /// lettre's TLS mode for `SMTP_TLS`: STARTTLS is required, never
    /// opportunistic, so a relay that drops it gets no email in the clear.
    pub fn tls(&self) -> anyhow::Result<Tls> {
        let parameters = || {
            TlsParameters::new(self.smtp_host.clone())
                .with_context(|| format!("invalid SMTP_HOST {:?} for TLS", self.smtp_host))
        };
        Ok(match self.smtp_tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(parameters()?),
            SmtpTls::Tls => Tls::Wrapper(parameters()?),
        })
    }

    /// The login, when `SMTP_USERNAME` is set.
    pub fn credentials(&self) -> Option<Credentials> {
        (!self.smtp_username.is_empty()).then(|| {
            Credentials::new(
                self.smtp_username.clone(),
                self.smtp_password.expose_secret().to_owned(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Binary {
        #[command(flatten)]
        smtp: SmtpSettings,
    }

    #[test]
    fn a_bad_sender_stops_the_binary_naming_the_setting() {
        let err = Binary::try_parse_from(["x", "--smtp-from=not an address"]).unwrap_err();
        assert!(err.to_string().contains("SMTP_FROM"), "{err}");
        let ok = Binary::try_parse_from(["x", "--smtp-tls=starttls", "--smtp-host=mail.example"])
            .unwrap();
        assert_eq!(
            ok.smtp.smtp_from.email.to_string(),
            "alerts@pricewatch.local"
        );
        assert!(matches!(ok.smtp.tls().unwrap(), Tls::Required(_)));
        assert!(ok.smtp.credentials().is_none());
    }
}
