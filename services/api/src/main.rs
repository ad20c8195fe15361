use pricewatch_api::{Application, Settings};

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let settings: Settings = pricewatch_ops::settings::parse_or_exit("pricewatch-api");
    let _telemetry = match pricewatch_ops::telemetry::init("api", &settings.log, &settings.sentry) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("pricewatch-api: configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let bind = settings.bind;
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("pricewatch-api failed to start: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(%bind, "pricewatch-api listening");
    match app.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("pricewatch-api stopped with an error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
