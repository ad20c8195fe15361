mod auth;
mod errors;
mod health;
mod helpers;
mod products;
mod watches;
