//! `pricewatch`: the admin CLI for operators and scripts.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pricewatch_ops::settings::DatabaseSettings;

#[derive(Debug, Parser)]
#[command(name = "pricewatch", version, about = "PriceWatch admin CLI")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Create a user (the password is read from PRICEWATCH_PASSWORD or stdin).
    CreateUser {
        #[command(flatten)]
        database: DatabaseSettings,
        /// The user's email address.
        #[arg(long)]
        email: String,
        /// Succeed without change when the user already exists.
        #[arg(long)]
        if_missing: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = pricewatch_ops::settings::parse_or_exit("pricewatch");
    let result = match cli.command {
        Command::Migrate { database } => commands::migrate::run(&database).await,
        Command::CreateUser {
            database,
            email,
            if_missing,
        } => commands::create_user::run(&database, &email, if_missing).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pricewatch: {e:#}");
            ExitCode::FAILURE
        }
    }
}
