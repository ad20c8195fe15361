//! Integration tests of the demo shop's contract, each against its own shop
//! started in-process on an ephemeral loopback port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conditional;
mod listing;
mod price;
mod product;
mod stats;
mod support;
mod trouble;
