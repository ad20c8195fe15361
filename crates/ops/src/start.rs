//! The one start-up shape of every service binary: settings → telemetry → the
//! service's `run`, which connects its dependencies and serves until stopped.
//! A bad setting exits with 2 and one line naming it; a failure at run time
//! exits with 1 and is logged (and sent to Sentry).

use std::process::ExitCode;

use crate::settings::{ServiceSettings, parse_or_exit};

/// The settings of a service binary: its names and the groups start-up reads.
pub trait ServiceBinary: clap::Parser {
    /// The binary, in messages: `pricewatch-scheduler`.
    const BINARY: &'static str;
    /// The service, in logs, metrics and Sentry: `scheduler`.
    const SERVICE: &'static str;
    /// What every service connects to and reports with.
    fn common(&self) -> &ServiceSettings;
    /// Checks across settings that clap cannot express; `Err`: one line
    /// naming the settings.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Parses the settings, starts telemetry and awaits `run` with them.
pub async fn main<S, F, Fut>(run: F) -> ExitCode
where
    S: ServiceBinary,
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let settings: S = parse_or_exit(S::BINARY);
    if let Err(e) = settings.check() {
        eprintln!("{}: configuration error: {e}", S::BINARY);
        return ExitCode::from(2);
    }
    let common = settings.common();
    let _telemetry = match crate::telemetry::init(S::SERVICE, &common.log, &common.sentry) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("{}: configuration error: {e}", S::BINARY);
            return ExitCode::from(2);
        }
    };
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{} stopped: {e:#}", S::BINARY);
            ExitCode::FAILURE
        }
    }
}
