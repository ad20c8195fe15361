use pricewatch_ops::settings::DatabaseSettings;
use secrecy::ExposeSecret;

pub async fn run(database: &DatabaseSettings) -> anyhow::Result<()> {
    let applied =
        pricewatch_storage::migrate::run_pending(database.database_url.expose_secret()).await?;
    if applied.is_empty() {
        println!("database is up to date");
    } else {
        for version in applied {
            println!("applied {version}");
        }
    }
    Ok(())
}
