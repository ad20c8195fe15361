//! `pricewatch`: the admin CLI for operators and scripts. The binary is
//! `main.rs`; the command line is defined here so that tests can read it.

pub mod commands;

use clap::{Parser, Subcommand};
use pricewatch_ops::settings::DatabaseSettings;

#[derive(Debug, Parser)]
#[command(name = "pricewatch", version, about = "PriceWatch admin CLI")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Add a watch for an existing user, straight to the database (for seeding).
    AddWatch {
        #[command(flatten)]
        database: DatabaseSettings,
        /// The user's email address.
        #[arg(long)]
        email: String,
        /// The product page.
        #[arg(long)]
        url: String,
        /// Alert at or below this price, e.g. 249.00.
        #[arg(long)]
        target_price: String,
        /// 6h, 12h or 24h.
        #[arg(long, default_value = "24h")]
        frequency: String,
        /// How the page is fetched: auto (a browser only for pages built by
        /// scripts), http or browser.
        #[arg(long, default_value = "auto")]
        fetch_mode: String,
        /// Accept a URL on loopback (the local demo shop).
        #[arg(long)]
        allow_loopback: bool,
        /// Ask the scheduler to check the product now.
        #[arg(long)]
        check_now: bool,
    },
    /// Parse price texts: one per stdin line, one JSON object per output line.
    ParsePrice {
        /// Currency hint for ambiguous signs ($, kr, ¥): an ISO code, a language or a domain.
        #[arg(long)]
        hint: Option<String>,
    },
    /// Extract price, currency, title and stock state from a saved HTML page.
    Extract {
        /// The HTML file.
        file: std::path::PathBuf,
        /// The page's URL (picks the main product, hints the currency).
        #[arg(long)]
        url: Option<String>,
        /// A CSS selector of the price element, as a watch may set it.
        #[arg(long)]
        selector: Option<String>,
        /// Print every candidate price (structured data and visible text), where
        /// it came from, and why one won, instead of the JSON result.
        #[arg(long)]
        explain: bool,
    },
}

/// Runs the parsed command; errors print one line and exit with 1.
pub async fn run(cli: Cli) -> std::process::ExitCode {
    let result = match cli.command {
        Command::Migrate { database } => commands::migrate::run(&database).await,
        Command::CreateUser {
            database,
            email,
            if_missing,
        } => commands::create_user::run(&database, &email, if_missing).await,
        Command::AddWatch {
            database,
            email,
            url,
            target_price,
            frequency,
            fetch_mode,
            allow_loopback,
            check_now,
        } => {
            commands::add_watch::run(
                &database,
                &commands::add_watch::NewWatch {
                    email: &email,
                    url: &url,
                    target_price: &target_price,
                    frequency: &frequency,
                    fetch_mode: &fetch_mode,
                    allow_loopback,
                    check_now,
                },
            )
            .await
        }
        Command::ParsePrice { hint } => commands::parse_price::parse_price(
            std::io::stdin().lock(),
            std::io::stdout().lock(),
            hint.as_deref(),
        ),
        Command::Extract {
            file,
            url,
            selector,
            explain: true,
        } => commands::extract::explain(&file, url.as_deref(), selector.as_deref()).map(|report| {
            print!("{report}");
        }),
        Command::Extract {
            file,
            url,
            selector,
            explain: false,
        } => commands::extract::extract(&file, url.as_deref(), selector.as_deref()).and_then(|v| {
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pricewatch: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
