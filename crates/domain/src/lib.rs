//! PriceWatch domain: money, URLs, frequencies, message contracts, price parsing and
//! HTML price extraction. Pure code: no I/O, no async runtime.

pub mod extract;
pub mod frequency;
pub mod messages;
pub mod money;
pub mod price;
pub mod product_url;

pub use extract::{ExtractContext, ExtractOutcome, Extraction, extract};
pub use frequency::Frequency;
pub use money::{Currency, Money};
pub use price::{ParsedPrice, PriceHint, parse_price};
pub use product_url::ProductUrl;
