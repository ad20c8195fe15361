//! Integration tests of the extraction crate: price strings, page extraction, properties.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod extract_fixtures;
mod held_out_corpus;
mod price_corpus;
mod properties;
mod real_pages;
