//! Cross-site request forgery defences of the web forms.
//!
//! Every form carries a hidden `csrf_token`. Signed-in forms use the session's
//! own random token (stored in Redis with the session). Forms before signing
//! in (sign in, register, forgot and reset password) carry a token signed with
//! `SECRET_KEY` that expires after [`ANONYMOUS_TTL_SECONDS`]. Every comparison
//! is constant-time. On top of the tokens, a POST whose `Origin` names another
//! site, or that the browser marks `Sec-Fetch-Site: cross-site`, is refused:
//! that also stops a forged sign-in with an attacker's own token.

use actix_web::HttpRequest;
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::error::WebError;
use super::session::SignedIn;
use crate::state::AppState;

pub const ANONYMOUS_TTL_SECONDS: i64 = 2 * 3600;

fn mac(state: &AppState, issued: i64) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.settings.secret_bytes()).ok()?;
    mac.update(b"pricewatch web form\0");
    mac.update(issued.to_string().as_bytes());
    Some(mac.finalize().into_bytes().to_vec())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token for a form shown before signing in.
pub fn anonymous_token(state: &AppState) -> String {
    let issued = Utc::now().timestamp();
    let mac = mac(state, issued).unwrap_or_default();
    format!("{issued}.{}", hex(&mac))
}

fn anonymous_token_ok(state: &AppState, token: &str) -> bool {
    let Some((issued, given)) = token.split_once('.') else {
        return false;
    };
    let Ok(issued) = issued.parse::<i64>() else {
        return false;
    };
    let age = Utc::now().timestamp() - issued;
    if !(0..=ANONYMOUS_TTL_SECONDS).contains(&age) {
        return false;
    }
    let Some(expected) = mac(state, issued) else {
        return false;
    };
    let expected = hex(&expected);
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Refuses a request that a browser says comes from another site.
fn same_origin(req: &HttpRequest) -> Result<(), WebError> {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return Err(WebError::Forbidden);
    }
    if let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) {
        // Host names only: behind the gateway the Host header may lack the
        // port the browser used, and another port of one host is the same site.
        let info = req.connection_info();
        let host = info.host().rsplit_once(':').map_or(info.host(), |(h, p)| {
            if p.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                info.host()
            }
        });
        let origin_host = url::Url::parse(origin)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        if origin_host.as_deref() != Some(host.trim_matches(['[', ']'])) {
            return Err(WebError::Forbidden);
        }
    }
    Ok(())
}

/// Checks a signed-in form: same origin and the session's token.
pub fn check(req: &HttpRequest, session: &SignedIn, given: &str) -> Result<(), WebError> {
    same_origin(req)?;
    if bool::from(session.csrf.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

/// Checks a form shown before signing in: same origin and a signed, fresh token.
pub fn check_anonymous(req: &HttpRequest, state: &AppState, given: &str) -> Result<(), WebError> {
    same_origin(req)?;
    if anonymous_token_ok(state, given) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}
