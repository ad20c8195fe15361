#[tokio::main]
async fn main() -> std::process::ExitCode {
    pricewatch_cli::run(pricewatch_ops::settings::parse_or_exit("pricewatch")).await
}
