//! PriceWatch domain: the small vocabulary every service shares — money and
//! currencies, check frequencies and their schedules, product URLs and the
//! address policy, message contracts. Pure code: no I/O, no async runtime.

pub mod account;
pub mod address;
pub mod alert;
pub mod channel;
pub mod frequency;
pub mod messages;
pub mod money;
pub mod money_format;
pub mod product_url;
pub mod reading;
pub mod tag;

pub use frequency::Frequency;
pub use money::{Currency, Money};
pub use product_url::ProductUrl;
