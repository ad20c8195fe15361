//! Fixed-window rate limits in Redis (brute-force protection of the auth endpoints).
//! When Redis is down the limit is skipped with a warning rather than locking
//! everybody out; nginx still limits per IP in front.

use actix_web::HttpRequest;
use deadpool_redis::redis;

use crate::error::ApiError;
use crate::state::AppState;

const WINDOW_SECONDS: i64 = 60;

/// Counts one attempt for `scope` (e.g. `login:ip:1.2.3.4`); 429 past the limit.
pub async fn check(state: &AppState, scope: &str, limit: u32) -> Result<(), ApiError> {
    let window = chrono::Utc::now().timestamp() / WINDOW_SECONDS;
    let key = state.redis_key(&format!("rl:{scope}:{window}"));
    let result = pricewatch_ops::redis::run(&state.redis, |mut c| async move {
        let (count,): (i64,) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .expire(&key, WINDOW_SECONDS + 1)
            .ignore()
            .query_async(&mut c)
            .await?;
        Ok(count)
    })
    .await;
    match result {
        Ok(count) if count > i64::from(limit) => {
            let elapsed = chrono::Utc::now().timestamp() % WINDOW_SECONDS;
            let retry_after = u64::try_from(WINDOW_SECONDS - elapsed).unwrap_or(1);
            Err(ApiError::RateLimited { retry_after })
        }
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "rate limit skipped: Redis unavailable");
            Ok(())
        }
    }
}

/// The client address as nginx forwards it, else the peer address.
pub fn client_ip(req: &HttpRequest) -> String {
    req.connection_info()
        .realip_remote_addr()
        .unwrap_or("unknown")
        .to_owned()
}
