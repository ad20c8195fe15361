//! The three connections every background service holds — the PostgreSQL pool,
//! the Redis pool and the supervised RabbitMQ bus — made the same way everywhere,
//! with the readiness checks and pool metrics that go with them.

use std::sync::Arc;

use pricewatch_bus::{Bus, BusConfig, Topology};
use pricewatch_storage::{DbPool, PoolSettings};
use secrecy::ExposeSecret;

use crate::health::{CheckFuture, ReadyChecks};
use crate::settings::ServiceSettings;

#[derive(Clone)]
pub struct Dependencies {
    pub db: DbPool,
    pub redis: deadpool_redis::Pool,
    pub bus: Bus,
}

impl Dependencies {
    /// Builds the pools (lazily connected, so a dependency that is down now is
    /// only reported by readiness) and starts the bus supervisor.
    pub fn connect(
        service: &'static str,
        settings: &ServiceSettings,
        redis_pool_size: usize,
    ) -> anyhow::Result<Self> {
        let ServiceSettings {
            database,
            redis,
            amqp,
            ..
        } = settings;
        let db = pricewatch_storage::connect_pool(
            database.database_url.expose_secret(),
            &PoolSettings {
                max_size: usize::from(database.database_pool_size),
                ..PoolSettings::default()
            },
        )?;
        {
            let db = db.clone();
            crate::metrics::on_scrape(move || pricewatch_storage::pool::record_pool_metrics(&db));
        }
        let redis = crate::redis::connect_pool(&redis.redis_url, redis_pool_size)?;
        let bus = Bus::start(
            BusConfig::new(
                amqp.amqp_url.expose_secret().to_owned(),
                Topology::new(&amqp.queue_prefix),
            )
            .with_connection_name(service),
        );
        Ok(Dependencies { db, redis, bus })
    }

    /// Readiness: PostgreSQL answers, Redis answers, the bus is connected.
    pub fn ready_checks(&self) -> ReadyChecks {
        let deps = self.clone();
        Arc::new(move || {
            let (db, redis, bus) = (deps.db.clone(), deps.redis.clone(), deps.bus.clone());
            vec![
                (
                    "database",
                    Box::pin(async move { pricewatch_storage::pool::ping(&db).await })
                        as CheckFuture,
                ),
                (
                    "redis",
                    Box::pin(async move { crate::redis::ping(&redis).await }),
                ),
                ("rabbitmq", Box::pin(async move { bus_ready(&bus) })),
            ]
        })
    }
}

fn bus_ready(bus: &Bus) -> Result<serde_json::Value, String> {
    if bus.is_connected() {
        Ok(serde_json::json!({"connected": true}))
    } else {
        Err("not connected to RabbitMQ (reconnecting)".to_owned())
    }
}
