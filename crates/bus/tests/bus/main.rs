//! Integration tests against the real RabbitMQ (`AMQP_URL`, default
//! amqp://guest:guest@127.0.0.1:5672/%2f), each on its own queue prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod consume;
mod publish;
mod reconnect;
mod support;
