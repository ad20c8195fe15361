pub mod add_watch;
pub mod create_user;
pub mod extract;
pub mod migrate;
pub mod parse_price;
