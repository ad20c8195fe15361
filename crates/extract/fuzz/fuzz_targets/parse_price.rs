#![no_main]
//! Any text and hint: `parse_price` must return, never panic, and any amount it
//! returns must be non-negative.

use libfuzzer_sys::fuzz_target;
use pricewatch_extract::price::parse_price;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (price, hint) = match text.split_once('\u{1f}') {
        Some((p, h)) => (p, Some(h)),
        None => (text.as_ref(), None),
    };
    let parsed = parse_price(price, hint);
    if let Some(amount) = parsed.amount {
        assert!(!amount.is_sign_negative(), "negative amount from {price:?}");
    }
});
