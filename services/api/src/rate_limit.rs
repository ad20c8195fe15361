//! Abuse limits in Redis: a sliding window per client address for the auth
//! endpoints, a slow-down per account after failed logins (never a lock-out:
//! nobody can shut another person out by typing wrong passwords), and a
//! once-per-interval gate ("check now").
//!
//! Keys never hold what they limit in plain text: the scope (an address, an
//! email) is an HMAC-SHA256 under `SECRET_KEY`. When Redis is down a limit is
//! skipped with a warning rather than locking everybody out; nginx still
//! limits per IP in front.

use std::net::IpAddr;
use std::time::Duration;

use actix_web::HttpRequest;
use deadpool_redis::redis;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::state::AppState;

/// A limit refused the request: try again in `retry_after` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests; retry in {retry_after} s")]
pub struct RateLimited {
    pub retry_after: u64,
}

/// The window of the per-address and per-account limits.
pub const WINDOW: Duration = Duration::from_secs(60);

/// The longest a login is held back for its account's failures.
pub const MAX_LOGIN_DELAY: Duration = Duration::from_secs(5);

/// Records a hit unless `limit` hits already fall within the last `window`
/// (an exact sliding log: no boundary lets a double burst through). Returns
/// `None` when admitted, else how long until the oldest hit leaves the window.
const SLIDING_WINDOW: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return -1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1])
";

/// One hit at `now_ms` against `key`: `Ok(None)` admitted, `Ok(Some(wait))` refused.
/// Public so that tests can drive it with their own clock.
pub async fn sliding_window(
    redis: &deadpool_redis::Pool,
    key: &str,
    limit: u32,
    window: Duration,
    now_ms: i64,
) -> anyhow::Result<Option<Duration>> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let key = key.to_owned();
    let member = format!("{now_ms}-{}", uuid::Uuid::new_v4().simple());
    let wait_ms: i64 = pricewatch_ops::redis::run(redis, |mut c| async move {
        redis::Script::new(SLIDING_WINDOW)
            .key(&key)
            .arg(now_ms)
            .arg(window_ms)
            .arg(limit)
            .arg(&member)
            .invoke_async(&mut c)
            .await
    })
    .await?;
    Ok(u64::try_from(wait_ms).ok().map(Duration::from_millis))
}

/// The Redis key for `scope` (e.g. `login:ip`, `198.51.100.8`): the value is
/// hashed, so Redis never holds an address or an email in plain text.
pub fn key_for(state: &AppState, scope: &str, value: &str) -> String {
    let digest = Hmac::<Sha256>::new_from_slice(state.settings.secret_bytes()).map(|mut mac| {
        mac.update(scope.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes()
    });
    let hex: String = match digest {
        Ok(bytes) => bytes.iter().take(16).map(|b| format!("{b:02x}")).collect(),
        // HMAC takes a key of any length: this arm is never taken.
        Err(_) => "unkeyed".to_owned(),
    };
    state.redis_key(&format!("rl:{scope}:{hex}"))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Counts one attempt of `value` in `scope`; 429 with `Retry-After` past `limit`
/// in the last minute.
pub async fn check(
    state: &AppState,
    scope: &str,
    value: &str,
    limit: u32,
) -> Result<(), RateLimited> {
    let key = key_for(state, scope, value);
    match sliding_window(&state.redis, &key, limit, WINDOW, now_ms()).await {
        Ok(None) => Ok(()),
        Ok(Some(wait)) => Err(RateLimited {
            retry_after: wait.as_secs().max(1),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "rate limit skipped: Redis unavailable");
            Ok(())
        }
    }
}

/// Refuses (429) a second pass through `scope` within `interval_seconds`.
pub async fn once_per(
    state: &AppState,
    scope: &str,
    interval_seconds: u32,
) -> Result<(), RateLimited> {
    if interval_seconds == 0 {
        return Ok(());
    }
    let key = state.redis_key(&format!("gate:{scope}"));
    let result = pricewatch_ops::redis::run(&state.redis, |mut c| {
        let key = key.clone();
        async move {
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("NX")
                .arg("EX")
                .arg(interval_seconds)
                .query_async(&mut c)
                .await?;
            if set.is_some() {
                return Ok(None);
            }
            let ttl: i64 = redis::cmd("TTL").arg(&key).query_async(&mut c).await?;
            Ok(Some(ttl))
        }
    })
    .await;
    match result {
        Ok(None) => Ok(()),
        Ok(Some(ttl)) => Err(RateLimited {
            retry_after: u64::try_from(ttl).unwrap_or(1).max(1),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "check-now gate skipped: Redis unavailable");
            Ok(())
        }
    }
}

/// How long to hold back a login for `email`: nothing until `free` failures
/// fell in the last minute, then one second per further failure, at most
/// [`MAX_LOGIN_DELAY`]. The right password waits too (or the wait would tell
/// it apart) but always gets in.
pub async fn login_delay(state: &AppState, email: &str, free: u32) -> Duration {
    let key = key_for(state, "login:fail", email);
    let since = now_ms() - i64::try_from(WINDOW.as_millis()).unwrap_or(i64::MAX);
    let count = pricewatch_ops::redis::run(&state.redis, |mut c| {
        let key = key.clone();
        async move {
            redis::cmd("ZCOUNT")
                .arg(&key)
                .arg(since)
                .arg("+inf")
                .query_async::<u32>(&mut c)
                .await
        }
    })
    .await
    .unwrap_or(0);
    let excess = count.saturating_sub(free);
    Duration::from_secs(u64::from(excess)).min(MAX_LOGIN_DELAY)
}

/// Remembers a failed login for `email` (for [`login_delay`]).
pub async fn record_login_failure(state: &AppState, email: &str) {
    let key = key_for(state, "login:fail", email);
    let now = now_ms();
    let window_ms = i64::try_from(WINDOW.as_millis()).unwrap_or(i64::MAX);
    let member = format!("{now}-{}", uuid::Uuid::new_v4().simple());
    let result = pricewatch_ops::redis::run(&state.redis, |mut c| {
        let key = key.clone();
        let member = member.clone();
        async move {
            redis::pipe()
                .atomic()
                .cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(now - window_ms)
                .ignore()
                .zadd(&key, &member, now)
                .ignore()
                .pexpire(&key, window_ms)
                .ignore()
                .query_async::<()>(&mut c)
                .await
        }
    })
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "login failure not recorded: Redis unavailable");
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy
/// (`TRUSTED_PROXIES`); then the right-most `X-Forwarded-For` entry that is
/// not itself a trusted proxy. Whatever else a client sends is ignored.
pub fn client_ip(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !state.settings.is_trusted_proxy(peer) {
        return Some(peer);
    }
    let forwarded: Vec<Option<IpAddr>> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|item| item.trim().parse::<IpAddr>().ok())
        .collect();
    let mut client = peer;
    // Right to left: each entry was added by the hop after it; stop at the
    // first one no trusted proxy vouches for.
    for ip in forwarded.into_iter().rev() {
        let Some(ip) = ip else { break };
        client = ip;
        if !state.settings.is_trusted_proxy(ip) {
            break;
        }
    }
    Some(client)
}

/// [`client_ip`] as text, `unknown` when there is no peer (never in practice).
pub fn client_key(req: &HttpRequest, state: &AppState) -> String {
    client_ip(req, state).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}
