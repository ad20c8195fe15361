use pricewatch_scraper_worker::{Settings, run};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let settings: Settings = pricewatch_ops::settings::parse_or_exit("pricewatch-scraper-worker");
    let _telemetry = match pricewatch_ops::telemetry::init(
        "scraper-worker",
        &settings.common.log,
        &settings.common.sentry,
    ) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("pricewatch-scraper-worker: configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("pricewatch-scraper-worker stopped: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
