#[tokio::main]
async fn main() -> std::process::ExitCode {
    pricewatch_ops::start::main(pricewatch_renderer::run).await
}
