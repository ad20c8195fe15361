//! The internal HTTP API: `POST /render`. Only the scraper-worker calls it;
//! it is never exposed through the gateway.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::pool::{Renderer, deadline};
use crate::proxy::Policy;
use crate::render::{RenderError, RenderRequest};

/// Longest URL accepted, as for a watch.
const MAX_URL_CHARS: usize = 2048;
/// Longest `wait_for` selector, as for a watch's selector.
const MAX_SELECTOR_CHARS: usize = 500;
/// Shortest `timeout_ms` accepted.
const MIN_TIMEOUT_MS: u64 = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderBody {
    pub url: String,
    #[serde(default)]
    pub wait_for: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

pub struct ApiState {
    pub renderer: Arc<Renderer>,
    pub policy: Policy,
    /// Default and largest timeout of a render.
    pub max_timeout: Duration,
    /// The largest HTML a render hands back.
    pub max_html_bytes: usize,
}

fn error(status: actix_web::http::StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"error": code, "message": message}))
}

/// A field of the request that is not acceptable: 422 naming it.
#[derive(Debug)]
pub struct Invalid {
    field: &'static str,
    message: String,
}

fn invalid(field: &'static str, message: &str) -> Invalid {
    Invalid {
        field,
        message: message.to_owned(),
    }
}

impl Invalid {
    fn response(&self) -> HttpResponse {
        HttpResponse::UnprocessableEntity().json(json!({
            "error": "validation_failed",
            "message": format!("{}: {}", self.field, self.message),
            "field": self.field,
        }))
    }
}

/// Checks the body: the URL (http(s), no credentials, at most 2048
/// characters), the selector and the timeout.
fn validate(
    body: RenderBody,
    max_timeout: Duration,
) -> Result<(Url, Option<String>, Duration), Invalid> {
    if body.url.chars().count() > MAX_URL_CHARS {
        return Err(invalid("url", "longer than 2048 characters"));
    }
    let url = Url::parse(body.url.trim()).map_err(|e| invalid("url", &e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("url", "only http and https URLs are rendered"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("url", "credentials in the URL are not accepted"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("url", "the URL has no host"));
    }
    let wait_for = match body.wait_for.map(|s| s.trim().to_owned()) {
        Some(s) if s.is_empty() => None,
        Some(s) if s.chars().count() > MAX_SELECTOR_CHARS => {
            return Err(invalid("wait_for", "longer than 500 characters"));
        }
        other => other,
    };
    let max_ms = u64::try_from(max_timeout.as_millis()).unwrap_or(u64::MAX);
    let timeout = match body.timeout_ms {
        None => max_timeout,
        Some(ms) if (MIN_TIMEOUT_MS..=max_ms).contains(&ms) => Duration::from_millis(ms),
        Some(_) => {
            return Err(invalid(
                "timeout_ms",
                &format!("must be between {MIN_TIMEOUT_MS} and {max_ms}"),
            ));
        }
    };
    Ok((url, wait_for, timeout))
}

pub async fn render(state: web::Data<ApiState>, body: web::Bytes) -> HttpResponse {
    use actix_web::http::StatusCode;
    let body: RenderBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return invalid("body", &e.to_string()).response(),
    };
    let (url, wait_for, timeout) = match validate(body, state.max_timeout) {
        Ok(valid) => valid,
        Err(invalid) => return invalid.response(),
    };
    // The first request is checked here, for a clear answer; every request
    // of the page, this one included, is checked again by the proxy.
    if let Err(refusal) = state
        .policy
        .check_target(
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default(),
        )
        .await
    {
        return if refusal.is_policy() {
            error(
                StatusCode::FORBIDDEN,
                "blocked_by_policy",
                &refusal.to_string(),
            )
        } else {
            error(
                StatusCode::BAD_GATEWAY,
                "navigation_failed",
                &refusal.to_string(),
            )
        };
    }
    let request = RenderRequest {
        url,
        wait_for,
        deadline: deadline(timeout),
        max_html_bytes: state.max_html_bytes,
    };
    match state.renderer.render(&request, timeout).await {
        Ok(rendered) => HttpResponse::Ok().json(rendered),
        Err(e @ RenderError::BlockedByPolicy(_)) => {
            error(StatusCode::FORBIDDEN, "blocked_by_policy", &e.to_string())
        }
        Err(e @ (RenderError::Timeout(_) | RenderError::SelectorMissing(_))) => {
            error(StatusCode::GATEWAY_TIMEOUT, "timeout", &e.to_string())
        }
        Err(e @ RenderError::InvalidSelector(_)) => invalid("wait_for", &e.to_string()).response(),
        Err(e @ RenderError::TooLarge(_)) => {
            error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", &e.to_string())
        }
        Err(e @ RenderError::Navigation(_)) => {
            error(StatusCode::BAD_GATEWAY, "navigation_failed", &e.to_string())
        }
        Err(e @ RenderError::Browser(_)) => {
            tracing::warn!(error = %e, "render failed in the browser");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "browser_error",
                &e.to_string(),
            )
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/render", web::post().to(render));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(url: &str, timeout_ms: Option<u64>) -> RenderBody {
        RenderBody {
            url: url.to_owned(),
            wait_for: None,
            timeout_ms,
        }
    }

    #[test]
    fn bad_requests_name_their_field() {
        let max = Duration::from_secs(20);
        for (b, field) in [
            (body("file:///etc/passwd", None), "url"),
            (body("javascript:alert(1)", None), "url"),
            (body("http://user:pw@shop.test/", None), "url"),
            (body("not a url", None), "url"),
            (body("https://shop.test/", Some(5)), "timeout_ms"),
            (body("https://shop.test/", Some(60_000)), "timeout_ms"),
        ] {
            let invalid = validate(b, max).unwrap_err();
            assert_eq!(invalid.field, field);
            assert_eq!(invalid.response().status(), 422);
        }
        let (url, wait_for, timeout) =
            validate(body("https://shop.test/p", Some(1500)), max).unwrap();
        assert_eq!(url.as_str(), "https://shop.test/p");
        assert_eq!((wait_for, timeout), (None, Duration::from_millis(1500)));
    }
}
