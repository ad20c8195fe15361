//! PostgreSQL access for every PriceWatch service: the diesel schema, models,
//! query functions (each takes `&mut AsyncPgConnection`, so it runs inside or
//! outside a transaction), the connection pool and the embedded migrations.

pub mod migrate;
pub mod models;
pub mod pool;
pub mod prepared;
pub mod queries;
pub mod schema;
pub mod sealed;

pub use diesel_async::AsyncPgConnection;
pub use pool::{DbPool, PoolSettings, connect_pool};
