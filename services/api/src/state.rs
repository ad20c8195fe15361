//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use pricewatch_storage::DbPool;

use crate::auth::token::TokenKeys;
use crate::settings::Settings;

pub struct AppState {
    pub db: DbPool,
    pub redis: deadpool_redis::Pool,
    pub tokens: TokenKeys,
    pub settings: Settings,
    /// Client for the other services' health probes.
    pub http: reqwest::Client,
    /// Resolves the hosts of new channels for the address policy.
    pub resolver: Arc<dyn pricewatch_egress::AddressResolver>,
}

impl AppState {
    pub async fn conn(&self) -> Result<pricewatch_storage::pool::DbConn, crate::error::Fault> {
        Ok(self.db.get().await?)
    }

    pub fn redis_key(&self, parts: &str) -> String {
        format!("{}:{parts}", self.settings.common.redis.redis_key_prefix)
    }

    pub fn product_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.settings.product_cache_ttl_seconds)
    }
}
