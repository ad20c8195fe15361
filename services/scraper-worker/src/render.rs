//! Pages that shops build with JavaScript: telling them apart, and asking the
//! renderer service (`POST {RENDERER_URL}/render`) for the page once its
//! scripts ran. The renderer applies the same address policy to every request
//! of the browser.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::fetch::Page;

/// The renderer's client.
#[derive(Debug, Clone)]
pub struct RendererClient {
    client: reqwest::Client,
    endpoint: Url,
    timeout: Duration,
}

/// Why the renderer gave no page.
#[derive(Debug, thiserror::Error)]
pub enum RenderFailure {
    /// The page (or its redirect) is on an address the policy refuses.
    #[error("the renderer refused the page: {0}")]
    Refused(String),
    /// Down, busy, timed out: worth another try later.
    #[error("the renderer failed: {0}")]
    Unavailable(String),
}

#[derive(Debug, Deserialize)]
struct Rendered {
    final_url: String,
    status: u16,
    html: String,
}

#[derive(Debug, Deserialize)]
struct RenderErrorBody {
    error: String,
    message: String,
}

impl RendererClient {
    /// `base` is `RENDERER_URL`, e.g. `http://127.0.0.1:8005`; `timeout` is
    /// the render's own limit (the HTTP call gets a little more).
    pub fn new(base: &Url, timeout: Duration) -> anyhow::Result<RendererClient> {
        let endpoint = base.join("render")?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(timeout + Duration::from_secs(10))
            .build()?;
        Ok(RendererClient {
            client,
            endpoint,
            timeout,
        })
    }

    /// The page at `url` as the browser sees it once its scripts ran (and
    /// `wait_for` appeared, when given).
    pub async fn render(&self, url: &Url, wait_for: Option<&str>) -> Result<Page, RenderFailure> {
        let timeout_ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
        let response = self
            .client
            .post(self.endpoint.clone())
            .json(&serde_json::json!({
                "url": url.as_str(),
                "wait_for": wait_for,
                "timeout_ms": timeout_ms,
            }))
            .send()
            .await
            .map_err(|e| RenderFailure::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_success() {
            let rendered: Rendered = response
                .json()
                .await
                .map_err(|e| RenderFailure::Unavailable(e.without_url().to_string()))?;
            let final_url = Url::parse(&rendered.final_url).unwrap_or_else(|_| url.clone());
            return Ok(Page {
                final_url,
                status: rendered.status,
                body: rendered.html.into_bytes(),
                charset: Some("utf-8".to_owned()),
                etag: None,
                last_modified: None,
            });
        }
        let body: Option<RenderErrorBody> = response.json().await.ok();
        let message = body.as_ref().map_or_else(
            || format!("HTTP {status}"),
            |b| format!("{} ({})", b.message, b.error),
        );
        match body.as_ref().map(|b| b.error.as_str()) {
            // A page too large to hand back stays too large: no retry.
            Some("blocked_by_policy" | "validation_failed" | "too_large") => {
                Err(RenderFailure::Refused(message))
            }
            _ => Err(RenderFailure::Unavailable(message)),
        }
    }
}

/// Whether a page without a price looks built by scripts in the browser: an
/// application shell whose content arrives later. Such a page is worth
/// rendering; a plain page without a price is not.
pub fn looks_script_built(body: &[u8]) -> bool {
    let head = body.get(..body.len().min(512 * 1024)).unwrap_or(body);
    let html = String::from_utf8_lossy(head).to_ascii_lowercase();
    let markers = [
        "__next_data__",
        "__nuxt__",
        "ng-version=",
        "data-reactroot",
        "id=\"root\"></div>",
        "id='root'></div>",
        "id=\"app\"></div>",
        "id='app'></div>",
        "id=\"__next\"></div>",
        "id=\"__nuxt\"></div>",
    ];
    if markers.iter().any(|m| html.contains(m)) {
        return true;
    }
    let noscript_warning = html.contains("<noscript")
        && (html.contains("enable javascript") || html.contains("javascript is required"));
    noscript_warning || (html.contains("<script") && visible_text_len(&html) < 200)
}

/// The length of the text outside tags, scripts and styles (a rough count).
fn visible_text_len(html: &str) -> usize {
    let mut count = 0;
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        count += rest
            .get(..open)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count();
        let tail = rest.get(open..).unwrap_or_default();
        let skip_to = ["<script", "<style"]
            .iter()
            .find(|t| tail.starts_with(**t))
            .and_then(|t| {
                let close = if *t == "<script" {
                    "</script>"
                } else {
                    "</style>"
                };
                tail.find(close).map(|i| i + close.len())
            })
            .or_else(|| tail.find('>').map(|i| i + 1));
        match skip_to {
            Some(i) => rest = tail.get(i..).unwrap_or_default(),
            None => return count,
        }
    }
    count + rest.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_shells_are_told_from_plain_pages() {
        let shells = [
            r#"<html><body><div id="root"></div><script src="/app.js"></script></body></html>"#,
            r#"<html><body><div id="app"></div></body></html>"#,
            r#"<script id="__NEXT_DATA__" type="application/json">{}</script>"#,
            r#"<app-root ng-version="17.0.0"></app-root>"#,
            r#"<body><noscript>You need to enable JavaScript to run this app.</noscript></body>"#,
        ];
        for page in shells {
            assert!(looks_script_built(page.as_bytes()), "{page}");
        }
        let long_text = "word ".repeat(100);
        let plain = [
            format!(
                "<html><body><h1>Kettle</h1><p>{long_text}</p><script>track()</script></body></html>"
            ),
            "<html><body><h1>Out of stock</h1><p>Sorry.</p></body></html>".to_owned(),
        ];
        for page in plain {
            assert!(!looks_script_built(page.as_bytes()), "{page}");
        }
    }
}
