//! `add-watch`: a watch written straight to the database, by the same rules as
//! the api, for seeding (development's demo user) without an access token.

use std::str::FromStr;

use anyhow::Context;
use diesel_async::AsyncConnection;
use pricewatch_domain::account::Email;
use pricewatch_domain::fetch_mode::FetchMode;
use pricewatch_domain::money::validate_amount;
use pricewatch_domain::{Frequency, ProductUrl};
use pricewatch_ops::settings::DatabaseSettings;
use pricewatch_storage::models::Watch;
use pricewatch_storage::queries::{products, users, watches};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;

pub struct NewWatch<'a> {
    pub email: &'a str,
    pub url: &'a str,
    pub target_price: &'a str,
    pub frequency: &'a str,
    /// auto, http or browser.
    pub fetch_mode: &'a str,
    pub allow_loopback: bool,
    pub check_now: bool,
}

pub async fn run(database: &DatabaseSettings, new: &NewWatch<'_>) -> anyhow::Result<()> {
    let email = Email::parse(new.email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
    let url = ProductUrl::parse_with(new.url, new.allow_loopback)
        .map_err(|e| anyhow::anyhow!("--url: {e}"))?;
    let target = Decimal::from_str_exact(new.target_price)
        .map_err(|_| anyhow::anyhow!("--target-price: not a decimal number such as 19.99"))?;
    let target = validate_amount(target).map_err(|e| anyhow::anyhow!("--target-price: {e}"))?;
    let frequency =
        Frequency::from_str(new.frequency).map_err(|e| anyhow::anyhow!("--frequency: {e}"))?;
    let fetch_mode =
        FetchMode::parse(new.fetch_mode).map_err(|e| anyhow::anyhow!("--fetch-mode: {e}"))?;
    let mut conn =
        pricewatch_storage::pool::connect_once(database.database_url.expose_secret()).await?;
    let user = users::find_by_email(&mut conn, email.as_str())
        .await?
        .with_context(|| format!("no user {email}; create it first with create-user"))?;
    let check_now = new.check_now;
    let created = conn
        .transaction::<_, diesel::result::Error, _>(async move |conn| {
            let product = products::get_or_create(conn, url.as_str(), url.host()).await?;
            let now = chrono::Utc::now();
            let created = watches::insert_if_absent(
                conn,
                &Watch {
                    id: uuid::Uuid::new_v4(),
                    user_id: user.id,
                    product_id: product.id,
                    target_price: target,
                    frequency_hours: frequency.stored_hours(),
                    active: true,
                    css_selector: None,
                    armed: true,
                    created_at: now,
                    updated_at: now,
                    tags: Vec::new(),
                    fetch_mode: fetch_mode.as_str().to_owned(),
                },
            )
            .await?
            .is_some();
            products::refresh_schedule(conn, product.id).await?;
            if check_now {
                products::request_check(conn, product.id).await?;
            }
            Ok(created)
        })
        .await;
    match created {
        Ok(true) => println!("watch added: {} for {email}", new.url),
        Ok(false) => println!("{email} already watches {}", new.url),
        Err(e) => return Err(e).context("writing the watch"),
    }
    Ok(())
}
