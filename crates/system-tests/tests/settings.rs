//! The settings every binary accepts, read from clap's own definitions (no
//! `--help` text is parsed): `.env.example` must document each one. With
//! `PRICEWATCH_SETTINGS_JSON=PATH`, the list is also written there as JSON
//! (`{"api": ["API_BIND", …], …}`) for the deployment-file checker
//! (`scripts/check-settings.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use clap::CommandFactory;

/// Read outside clap, by tracing's `EnvFilter`.
const RUNTIME_ENV: &[&str] = &["RUST_LOG"];

fn env_names(command: &clap::Command) -> BTreeSet<String> {
    command
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .chain(RUNTIME_ENV.iter().map(|name| (*name).to_owned()))
        .collect()
}

/// Service name (as in docker-compose.prod.yml) → the settings its binary reads.
fn accepted() -> BTreeMap<&'static str, BTreeSet<String>> {
    let cli = pricewatch_cli::Cli::command();
    let migrate = cli
        .find_subcommand("migrate")
        .expect("the CLI has a migrate command");
    BTreeMap::from([
        ("api", env_names(&pricewatch_api::Settings::command())),
        (
            "scraper-worker",
            env_names(&pricewatch_scraper_worker::Settings::command()),
        ),
        (
            "scheduler",
            env_names(&pricewatch_scheduler::Settings::command()),
        ),
        (
            "notifier",
            env_names(&pricewatch_notifier::Settings::command()),
        ),
        (
            "renderer",
            env_names(&pricewatch_renderer::Settings::command()),
        ),
        ("migrate", env_names(migrate)),
        (
            "demo-shop",
            env_names(&pricewatch_demo_shop::Settings::command()),
        ),
    ])
}

#[test]
fn every_setting_is_documented_in_env_example() {
    let accepted = accepted();
    for (service, names) in &accepted {
        // Each service reads at least its database (the demo shop its
        // address): an empty list means the definitions were not found.
        let anchor = if *service == "demo-shop" {
            "DEMO_SHOP_BIND"
        } else {
            "DATABASE_URL"
        };
        assert!(names.contains(anchor), "{service}: {names:?}");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    let documented: BTreeSet<&str> = example
        .lines()
        .filter_map(|line| line.trim_start_matches("# ").split_once('='))
        .map(|(name, _)| name.trim())
        .collect();
    let missing: Vec<String> = accepted
        .iter()
        .flat_map(|(service, names)| {
            names
                .iter()
                .filter(|name| !documented.contains(name.as_str()))
                .map(move |name| format!("{name} ({service})"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        ".env.example does not document: {}",
        missing.join(", ")
    );
    if let Ok(path) = std::env::var("PRICEWATCH_SETTINGS_JSON") {
        std::fs::write(&path, serde_json::to_string_pretty(&accepted).unwrap()).unwrap();
    }
}
