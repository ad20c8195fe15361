#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod errors;
mod health;
mod helpers;
mod outage;
mod products;
mod watches;
