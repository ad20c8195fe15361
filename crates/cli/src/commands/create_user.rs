use std::io::BufRead;

use anyhow::Context;
use pricewatch_domain::account::{self, Email};
use pricewatch_ops::settings::DatabaseSettings;
use pricewatch_storage::models::User;
use pricewatch_storage::queries::{is_unique_violation, users};
use secrecy::ExposeSecret;

pub async fn run(database: &DatabaseSettings, email: &str, if_missing: bool) -> anyhow::Result<()> {
    let email = Email::parse(email)
        .map_err(|e| anyhow::anyhow!("invalid email: {e}"))?
        .into_inner();
    let password = match std::env::var("PRICEWATCH_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    account::check_password(&password)?;
    let password_hash = tokio::task::spawn_blocking(move || account::hash_password(&password))
        .await
        .context("hashing task failed")??;
    let mut conn =
        pricewatch_storage::pool::connect_once(database.database_url.expose_secret()).await?;
    let user = User {
        id: uuid::Uuid::new_v4(),
        email: email.clone(),
        password_hash,
        created_at: chrono::Utc::now(),
    };
    match users::insert(&mut conn, &user).await {
        Ok(u) => {
            println!("created user {} ({})", u.email, u.id);
            Ok(())
        }
        Err(e) if is_unique_violation(&e) && if_missing => {
            println!("user {email} already exists");
            Ok(())
        }
        Err(e) if is_unique_violation(&e) => anyhow::bail!("user {email} already exists"),
        Err(e) => Err(e.into()),
    }
}
