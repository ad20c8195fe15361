#![no_main]
//! Any bytes, any context: `extract` must return, never panic.

use libfuzzer_sys::fuzz_target;
use pricewatch_extract::{ExtractContext, extract};

fuzz_target!(|data: &[u8]| {
    // The first byte picks a context so that selectors and charsets are fuzzed too.
    let (ctx, html) = match data.split_first() {
        Some((b, rest)) if b % 4 == 1 => (ExtractContext { selector: Some("div.price > span, #p [data-x^=a]"), ..Default::default() }, rest),
        Some((b, rest)) if b % 4 == 2 => (ExtractContext { content_type_charset: Some("shift_jis"), url: Some("https://shop.example.ca/p?variant=1"), ..Default::default() }, rest),
        Some((b, rest)) if b % 4 == 3 => (ExtractContext { selector: std::str::from_utf8(rest.get(..rest.len().min(40)).unwrap_or(&[])).ok(), ..Default::default() }, rest),
        _ => (ExtractContext::default(), data),
    };
    let outcome = extract(html, &ctx);
    let _ = serde_json::to_string(&outcome);
});
