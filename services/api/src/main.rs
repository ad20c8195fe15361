#[actix_web::main]
async fn main() -> std::process::ExitCode {
    pricewatch_ops::start::main(pricewatch_api::run).await
}
