#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod errors;
mod export;
mod feed;
mod fetch_mode;
mod hardening;
mod health;
mod helpers;
mod import;
mod limits;
mod outage;
mod products;
mod tags;
mod tokens;
mod watches;
