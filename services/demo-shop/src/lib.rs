//! The PriceWatch demo shop: a small local web shop whose product pages the
//! scraper fetches in development, tests and benchmarks instead of the internet.
//!
//! * `GET /` lists the products (HTML, or `?format=json`: an array of
//!   `{slug, title, price, currency, in_stock, markup, url}`; `?offset=&limit=`).
//! * `GET /products/{slug}` is a product page (JSON-LD, microdata, meta tags or
//!   plain text) with `ETag`/`Last-Modified`, answering 304 to conditional requests.
//! * `GET|POST|DELETE /products/{slug}/price` reads, sets (`{"amount": "12.34",
//!   "currency": "GBP", "in_stock": false}`) or restores a product's offer.
//! * `GET /js/products/{slug}` is the same product as a script-built page: an
//!   empty shell whose script fetches the offer after a short delay.
//! * `/trouble/*`, `/js/trouble/*`, `/robots.txt` and `/private/*` misbehave
//!   for the scraper's and the renderer's tests.
//! * `GET /_stats` counts requests per path; `POST /_reset` starts over.

pub mod catalog;
mod gzip_bomb;
mod page;
mod routes;
mod shop;

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

pub use shop::{Offer, Shop, unix_now};

/// Settings of the demo shop, from flags or environment variables.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "pricewatch-demo-shop", version, about)]
pub struct Settings {
    /// Address to listen on (loopback by default).
    #[arg(
        long,
        env = "DEMO_SHOP_BIND",
        value_name = "DEMO_SHOP_BIND",
        default_value = "127.0.0.1:8090"
    )]
    pub bind: SocketAddr,
    /// Number of generated `item-NNNNNN` products beside the demo products.
    #[arg(
        long,
        env = "DEMO_SHOP_PRODUCTS",
        value_name = "DEMO_SHOP_PRODUCTS",
        default_value_t = 0
    )]
    pub products: u32,
    /// Seconds between two price moves of the drifting demo products.
    #[arg(long, env = "DEMO_SHOP_DRIFT_STEP_SECS", value_name = "DEMO_SHOP_DRIFT_STEP_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub drift_step_secs: u64,
    /// HTTP worker threads.
    #[arg(long, env = "DEMO_SHOP_WORKERS", value_name = "DEMO_SHOP_WORKERS", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
}

impl Settings {
    /// Parses flags and environment; a bad setting prints one line naming it
    /// (value names are the environment variables) and exits with status 2.
    pub fn parse_or_exit() -> Settings {
        use clap::Parser;
        use clap::error::ErrorKind;
        match Settings::try_parse() {
            Ok(settings) => settings,
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
                ) =>
            {
                err.exit()
            }
            Err(err) => {
                let message = err.to_string();
                let first = message.lines().next().unwrap_or_default();
                eprintln!("pricewatch-demo-shop: configuration {first}");
                std::process::exit(2);
            }
        }
    }

    /// Defaults on an ephemeral loopback port, ignoring the environment: for tests.
    pub fn ephemeral() -> Settings {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            products: 0,
            drift_step_secs: 5,
            workers: 1,
        }
    }
}

/// Serves `shop` on `listener` until the server stops (SIGINT/SIGTERM).
pub async fn run(listener: TcpListener, shop: Shop) -> anyhow::Result<()> {
    server(listener, shop)?
        .await
        .context("demo shop server failed")
}

/// Binds `settings.bind` and serves until SIGINT/SIGTERM: what the binary runs.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let listener = TcpListener::bind(settings.bind)
        .with_context(|| format!("cannot listen on DEMO_SHOP_BIND={}", settings.bind))?;
    let shop = Shop::new(&settings)?;
    tracing::info!(
        address = %listener.local_addr()?,
        generated_products = settings.products,
        "demo shop listening"
    );
    run(listener, shop).await
}

/// A shop running in the background of the current tokio runtime.
pub struct SpawnedShop {
    pub addr: SocketAddr,
    pub shop: Shop,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl SpawnedShop {
    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server, dropping open connections.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.handle.stop(false).await;
        self.task.await??;
        Ok(())
    }
}

/// Starts a shop on `settings.bind` (port 0 picks a free port) in the background.
pub fn spawn(settings: &Settings) -> anyhow::Result<SpawnedShop> {
    let listener = TcpListener::bind(settings.bind)
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let addr = listener.local_addr()?;
    let shop = Shop::new(settings)?;
    let server = server(listener, shop.clone())?;
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(SpawnedShop {
        addr,
        shop,
        handle,
        task,
    })
}

fn server(listener: TcpListener, shop: Shop) -> anyhow::Result<Server> {
    let workers = usize::from(shop.workers());
    let data = web::Data::new(shop);
    let server = HttpServer::new(move || {
        let counted = data.clone();
        App::new()
            .app_data(data.clone())
            .wrap_fn(move |req, service| {
                if !routes::is_admin_path(req.path()) {
                    counted.record_hit(req.path());
                }
                service.call(req)
            })
            .configure(routes::configure)
    })
    .workers(workers)
    // Drip and slow responses would otherwise hold a shutdown for 30 s.
    .shutdown_timeout(2)
    .listen(listener)
    .context("cannot serve on the listener")?
    .run();
    Ok(server)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn settings_come_from_flags() {
        let settings = Settings::try_parse_from([
            "demo-shop",
            "--bind=127.0.0.1:0",
            "--products=100000",
            "--drift-step-secs=1",
            "--workers=1",
        ])
        .unwrap();
        assert_eq!(settings.products, 100_000);
        assert_eq!(settings.bind.port(), 0);
        let zero_step = ["demo-shop", "--drift-step-secs=0"];
        assert!(Settings::try_parse_from(zero_step).is_err());
    }
}
