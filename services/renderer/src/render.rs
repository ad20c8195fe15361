//! One render: a fresh incognito browser context, one tab, every request
//! paused for a look (images, fonts and media refused, non-http(s) schemes
//! refused), the page loaded, optionally a CSS selector awaited, then the
//! DOM serialised. The context is disposed whatever happened.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::browser::{
    BrowserContextId, SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
};
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, ContinueRequestParams, EventRequestPaused, FailRequestParams, RequestPattern,
};
use chromiumoxide::cdp::browser_protocol::network::{
    ErrorReason, EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent,
    EventResponseReceived, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use futures_util::StreamExt;
use tokio::time::Instant;
use url::Url;

use crate::chromium::Chromium;
use crate::proxy::REFUSED_HEADER;

/// The page is taken as settled after this long without a request in flight.
pub const NETWORK_QUIET: Duration = Duration::from_millis(500);
/// ... or after this long, when no short timer is pending either: a script
/// that waits a moment before it asks for the price keeps a timer pending.
pub const NETWORK_QUIET_NO_TIMERS: Duration = Duration::from_millis(250);
/// Timers up to this long count as pending work of the page.
const SHORT_TIMER_MS: u32 = 2_000;

/// Counts the page's pending short timers in `window.__pwPendingTimers`,
/// installed before any script of the page runs.
fn timer_tracker() -> String {
    format!(
        r#"(() => {{
  const set = window.setTimeout, clear = window.clearTimeout, pending = new Set();
  Object.defineProperty(window, '__pwPendingTimers', {{ get: () => pending.size }});
  window.setTimeout = function (fn, delay, ...args) {{
    if (typeof fn !== 'function' || Number(delay) > {SHORT_TIMER_MS}) {{
      return set.call(window, fn, delay, ...args);
    }}
    const id = set.call(window, function () {{
      pending.delete(id);
      return fn.apply(this, arguments);
    }}, delay, ...args);
    pending.add(id);
    return id;
  }};
  window.clearTimeout = function (id) {{
    pending.delete(id);
    return clear.call(window, id);
  }};
}})();"#
    )
}
/// The margin kept before the deadline while a selector is awaited, and the
/// pause before asking a replaced document again.
const SELECTOR_POLL: Duration = Duration::from_millis(100);
/// Longest time given to closing the tab and disposing its context.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);

/// What a render returns.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Rendered {
    pub final_url: String,
    /// The HTTP status of the main document.
    pub status: u16,
    /// The DOM, serialised after the scripts ran.
    pub html: String,
}

/// Why a render gave no page.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("blocked by the address policy: {0}")]
    BlockedByPolicy(String),
    #[error("the page did not render within {0} ms")]
    Timeout(u128),
    #[error("the selector {0:?} did not appear within the time given")]
    SelectorMissing(String),
    #[error("{0:?} is not a CSS selector the browser understands")]
    InvalidSelector(String),
    #[error("navigation failed: {0}")]
    Navigation(String),
    #[error("browser error: {0}")]
    Browser(String),
    #[error("the rendered page is larger than {0} bytes")]
    TooLarge(usize),
}

impl From<chromiumoxide::error::CdpError> for RenderError {
    fn from(error: chromiumoxide::error::CdpError) -> Self {
        RenderError::Browser(error.to_string())
    }
}

/// What one render asks for.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub url: Url,
    pub wait_for: Option<String>,
    pub deadline: Instant,
    /// The largest HTML handed back; a larger DOM fails with
    /// [`RenderError::TooLarge`].
    pub max_html_bytes: usize,
}

/// Renders `request` in its own context of `chromium`. The caller bounds the
/// whole call by the deadline; the context is disposed in any case.
pub async fn render(chromium: &Chromium, request: &RenderRequest) -> Result<Rendered, RenderError> {
    let context = chromium
        .browser
        .create_browser_context(CreateBrowserContextParams::default())
        .await?;
    let outcome =
        tokio::time::timeout_at(request.deadline, render_in(chromium, &context, request)).await;
    let cleanup = tokio::time::timeout(
        CLEANUP_TIMEOUT,
        chromium.browser.dispose_browser_context(context),
    )
    .await;
    if !matches!(cleanup, Ok(Ok(()))) {
        tracing::warn!("a browser context was not disposed");
    }
    match outcome {
        Ok(result) => result,
        Err(_) => Err(RenderError::Timeout(0)),
    }
}

async fn render_in(
    chromium: &Chromium,
    context: &BrowserContextId,
    request: &RenderRequest,
) -> Result<Rendered, RenderError> {
    chromium
        .browser
        .execute(SetDownloadBehaviorParams {
            behavior: SetDownloadBehaviorBehavior::Deny,
            browser_context_id: Some(context.clone()),
            download_path: None,
            events_enabled: None,
        })
        .await?;
    let mut target = CreateTargetParams::new("about:blank");
    target.browser_context_id = Some(context.clone());
    let page = chromium.browser.new_page(target).await?;
    let result = load(&page, request).await;
    let _ = tokio::time::timeout(CLEANUP_TIMEOUT, page.close()).await;
    result
}

/// The main document's response, as the network events report it.
#[derive(Debug, Default)]
struct MainResponse {
    status: Option<u16>,
    refused: Option<String>,
}

async fn load(page: &Page, request: &RenderRequest) -> Result<Rendered, RenderError> {
    let screener = screen_requests(page).await?;
    let in_flight = Arc::new(AtomicI64::new(0));
    let watcher = watch_network(page, Arc::clone(&in_flight)).await?;
    let main = Arc::new(std::sync::Mutex::new(MainResponse::default()));
    let responses = watch_main_response(page, Arc::clone(&main)).await?;
    page.evaluate_on_new_document(timer_tracker()).await?;
    // A page whose script navigates to a refused address may leave the first
    // navigation waiting for a load event that never comes: the proxy's
    // refusal of the main document ends the wait at once.
    let result = tokio::select! {
        navigated = page.goto(request.url.as_str()) => match navigated {
            Ok(_) => tokio::select! {
                settled = settle(page, request, &in_flight) => settled,
                () = until_refused(&main) => Ok(()),
            },
            Err(error) => Err(RenderError::Navigation(error.to_string())),
        },
        () = until_refused(&main) => Ok(()),
    };
    screener.abort();
    watcher.abort();
    responses.abort();
    result?;
    let main = {
        let main = main
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        MainResponse {
            status: main.status,
            refused: main.refused.clone(),
        }
    };
    if let Some(reason) = main.refused {
        return Err(RenderError::BlockedByPolicy(reason));
    }
    let final_url = page.url().await?.unwrap_or_else(|| request.url.to_string());
    // Serialised once, in the page, and handed out only when it is not too
    // large (its UTF-16 length never exceeds its UTF-8 size): a huge DOM is
    // never copied out of the page.
    let limit = request.max_html_bytes;
    let script = format!(
        "(() => {{ const d = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : ''; \
         const html = d + (document.documentElement ? document.documentElement.outerHTML : ''); \
         return html.length > {limit} ? false : html; }})()"
    );
    let serde_json::Value::String(html) = page
        .evaluate(script)
        .await?
        .into_value::<serde_json::Value>()
        .map_err(|e| RenderError::Browser(e.to_string()))?
    else {
        return Err(RenderError::TooLarge(limit));
    };
    if html.len() > limit {
        return Err(RenderError::TooLarge(limit));
    }
    Ok(Rendered {
        final_url,
        status: main.status.unwrap_or(200),
        html,
    })
}

/// Whether the page has a short timer pending; `true` when it cannot tell
/// (the longer quiet period then decides).
async fn timers_pending(page: &Page) -> bool {
    match page.evaluate("window.__pwPendingTimers || 0").await {
        Ok(result) => !matches!(result.into_value::<u64>(), Ok(0)),
        Err(_) => true,
    }
}

/// Returns once the proxy has refused the main document.
async fn until_refused(main: &std::sync::Mutex<MainResponse>) {
    loop {
        let refused = main
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .refused
            .is_some();
        if refused {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// After the load event: waits for the selector, or for the network to stay
/// quiet for [`NETWORK_QUIET`], or for [`NETWORK_QUIET_NO_TIMERS`] with no
/// short timer of the page pending.
async fn settle(
    page: &Page,
    request: &RenderRequest,
    in_flight: &AtomicI64,
) -> Result<(), RenderError> {
    if let Some(selector) = &request.wait_for {
        return wait_for_selector(page, selector, request.deadline).await;
    }
    let mut quiet_since = Instant::now();
    loop {
        if in_flight.load(Ordering::SeqCst) > 0 {
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= NETWORK_QUIET
            || (quiet_since.elapsed() >= NETWORK_QUIET_NO_TIMERS && !timers_pending(page).await)
        {
            return Ok(());
        }
        if Instant::now() >= request.deadline {
            // A page that keeps polling is taken as it is.
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits in the page for `selector` to match: a mutation observer answers as
/// soon as the element is there, with no polling over DevTools. A page that
/// navigates meanwhile is asked again; an invalid selector fails at once.
async fn wait_for_selector(
    page: &Page,
    selector: &str,
    deadline: Instant,
) -> Result<(), RenderError> {
    let missing = || RenderError::SelectorMissing(selector.to_owned());
    let quoted = serde_json::to_string(selector).map_err(|_| missing())?;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left <= SELECTOR_POLL {
            return Err(missing());
        }
        let wait_ms = (left - SELECTOR_POLL).as_millis();
        let script = format!(
            r#"new Promise((resolve) => {{
  const check = () => {{ try {{ return document.querySelector({quoted}) !== null ? 1 : 0; }} catch (e) {{ return 2; }} }};
  const first = check();
  if (first !== 0) {{ resolve(first); return; }}
  const observer = new MutationObserver(() => {{
    const now = check();
    if (now !== 0) {{ observer.disconnect(); resolve(now); }}
  }});
  observer.observe(document, {{ childList: true, subtree: true, attributes: true }});
  setTimeout(() => {{ observer.disconnect(); resolve(check()); }}, {wait_ms});
}})"#
        );
        let params = EvaluateParams::builder()
            .expression(script)
            .await_promise(true)
            .return_by_value(true)
            .build()
            .map_err(RenderError::Browser)?;
        match page.evaluate_expression(params).await {
            Ok(result) => match result.into_value::<u8>() {
                Ok(1) => return Ok(()),
                Ok(2) => return Err(RenderError::InvalidSelector(selector.to_owned())),
                // Not there yet: the time given is over, or the page went on.
                _ => {}
            },
            // The document was replaced (a script navigated): ask the next one.
            Err(error) => tracing::debug!(%error, "waiting for the selector again"),
        }
        tokio::time::sleep(SELECTOR_POLL).await;
    }
}

/// Whether the browser may send this request: http(s) only, and no images,
/// fonts or media (a price never needs them).
pub fn admitted(url: &str, resource: &ResourceType) -> bool {
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    let kind_ok = !matches!(
        resource,
        ResourceType::Image | ResourceType::Font | ResourceType::Media
    );
    scheme_ok && kind_ok
}

/// Pauses every request of the page and lets through only the admitted ones.
async fn screen_requests(page: &Page) -> Result<tokio::task::JoinHandle<()>, RenderError> {
    let mut paused = page.event_listener::<EventRequestPaused>().await?;
    page.execute(fetch::EnableParams {
        patterns: Some(vec![RequestPattern {
            url_pattern: Some("*".to_owned()),
            resource_type: None,
            request_stage: None,
        }]),
        handle_auth_requests: None,
    })
    .await?;
    let page = page.clone();
    Ok(tokio::spawn(async move {
        while let Some(event) = paused.next().await {
            let page = page.clone();
            tokio::spawn(async move {
                let id = event.request_id.clone();
                let answer = if admitted(&event.request.url, &event.resource_type) {
                    page.execute(ContinueRequestParams::new(id)).await.map(drop)
                } else {
                    metrics::counter!("pricewatch_renderer_requests_blocked_total").increment(1);
                    page.execute(FailRequestParams::new(id, ErrorReason::BlockedByClient))
                        .await
                        .map(drop)
                };
                if let Err(error) = answer {
                    tracing::debug!(%error, "a paused request was not answered");
                }
            });
        }
    }))
}

/// Counts the page's requests in flight.
async fn watch_network(
    page: &Page,
    in_flight: Arc<AtomicI64>,
) -> Result<tokio::task::JoinHandle<()>, RenderError> {
    let mut sent = page.event_listener::<EventRequestWillBeSent>().await?;
    let mut finished = page.event_listener::<EventLoadingFinished>().await?;
    let mut failed = page.event_listener::<EventLoadingFailed>().await?;
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(event) = sent.next() => {
                    // A redirect reuses its request id: it is still one request.
                    if event.redirect_response.is_none() {
                        in_flight.fetch_add(1, Ordering::SeqCst);
                    }
                }
                Some(_) = finished.next() => { in_flight.fetch_sub(1, Ordering::SeqCst); }
                Some(_) = failed.next() => { in_flight.fetch_sub(1, Ordering::SeqCst); }
                else => return,
            }
        }
    }))
}

/// Remembers the main document's status, and whether the proxy refused it.
async fn watch_main_response(
    page: &Page,
    main: Arc<std::sync::Mutex<MainResponse>>,
) -> Result<tokio::task::JoinHandle<()>, RenderError> {
    let mut responses = page.event_listener::<EventResponseReceived>().await?;
    let main_frame = page.mainframe().await?;
    Ok(tokio::spawn(async move {
        while let Some(event) = responses.next().await {
            let is_main = event.r#type == ResourceType::Document
                && (main_frame.is_none() || event.frame_id == main_frame);
            if !is_main {
                continue;
            }
            let refused = event
                .response
                .headers
                .inner()
                .as_object()
                .and_then(|headers| {
                    headers
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(REFUSED_HEADER))
                })
                .map(|(_, value)| value.as_str().unwrap_or("refused").to_owned());
            let mut main = main
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            main.status = u16::try_from(event.response.status).ok();
            if refused.is_some() {
                main.refused = refused;
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_documents_scripts_and_data_are_admitted() {
        assert!(admitted("https://shop.test/p/1", &ResourceType::Document));
        assert!(admitted("http://shop.test/api/price", &ResourceType::Fetch));
        assert!(!admitted("https://shop.test/p.png", &ResourceType::Image));
        assert!(!admitted("https://shop.test/f.woff2", &ResourceType::Font));
        assert!(!admitted("https://shop.test/v.mp4", &ResourceType::Media));
        assert!(!admitted("file:///etc/passwd", &ResourceType::Document));
        assert!(!admitted("ftp://shop.test/", &ResourceType::Other));
    }
}
