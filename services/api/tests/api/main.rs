mod auth;
mod errors;
mod health;
mod helpers;
mod outage;
mod products;
mod watches;
