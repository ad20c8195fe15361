//! The one browser and its bounded tabs: renders wait for a tab, the browser
//! is started on demand, replaced after `recycle_after` renders or above its
//! memory limit, and restarted when it dies.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use crate::chromium::{Chromium, LaunchSettings};
use crate::proxy::ProxyStats;
use crate::render::{self, RenderError, RenderRequest, Rendered};

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub launch: LaunchSettings,
    /// Renders at once (tabs).
    pub tabs: usize,
    /// The browser is replaced after this many renders.
    pub recycle_after: u64,
    /// ... or when its processes use more than this much memory.
    pub max_memory_bytes: u64,
}

pub struct Renderer {
    settings: PoolSettings,
    tabs: Semaphore,
    current: Mutex<Option<Arc<Chromium>>>,
    proxy: Arc<ProxyStats>,
}

impl Renderer {
    pub fn new(settings: PoolSettings, proxy: Arc<ProxyStats>) -> Renderer {
        Renderer {
            tabs: Semaphore::new(settings.tabs.max(1)),
            settings,
            current: Mutex::new(None),
            proxy,
        }
    }

    /// The running browser, started (or restarted, or replaced when worn out)
    /// as needed.
    pub async fn browser(&self) -> anyhow::Result<Arc<Chromium>> {
        let mut current = self.current.lock().await;
        if let Some(chromium) = current.as_ref() {
            if !chromium.is_alive() {
                tracing::warn!(
                    pgid = chromium.process_group(),
                    "Chromium died: starting another"
                );
                metrics::counter!("pricewatch_renderer_browser_restarts_total", "reason" => "died")
                    .increment(1);
            } else if let Some(reason) = self.worn_out(chromium) {
                tracing::info!(
                    pgid = chromium.process_group(),
                    renders = chromium.renders(),
                    reason,
                    "replacing Chromium"
                );
                metrics::counter!("pricewatch_renderer_browser_restarts_total", "reason" => reason)
                    .increment(1);
            } else {
                return Ok(Arc::clone(chromium));
            }
        }
        // The old browser goes when the last render using it ends.
        *current = None;
        let chromium = Arc::new(Chromium::launch(&self.settings.launch).await?);
        *current = Some(Arc::clone(&chromium));
        Ok(chromium)
    }

    fn worn_out(&self, chromium: &Chromium) -> Option<&'static str> {
        if chromium.renders() >= self.settings.recycle_after {
            return Some("recycle");
        }
        let memory = chromium.memory_bytes();
        metrics::gauge!("pricewatch_renderer_browser_memory_bytes").set(memory as f64);
        (memory > self.settings.max_memory_bytes).then_some("memory")
    }

    /// Renders one page within the request's deadline (waiting for a tab
    /// counts).
    pub async fn render(
        &self,
        request: &RenderRequest,
        timeout: Duration,
    ) -> Result<Rendered, RenderError> {
        let started = std::time::Instant::now();
        let timed_out = || RenderError::Timeout(timeout.as_millis());
        let _tab = tokio::time::timeout_at(request.deadline, self.tabs.acquire())
            .await
            .map_err(|_| timed_out())?
            .map_err(|_| RenderError::Browser("the renderer is stopping".to_owned()))?;
        let chromium = tokio::time::timeout_at(request.deadline, self.browser())
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| RenderError::Browser(format!("{e:#}")))?;
        chromium.count_render();
        let result = match render::render(&chromium, request).await {
            Err(RenderError::Timeout(_)) => Err(timed_out()),
            Err(RenderError::Navigation(error)) => {
                let host = request.url.host_str().unwrap_or_default();
                if self.proxy.refused_host(host)
                    || error.contains("ERR_TUNNEL_CONNECTION_FAILED") && self.proxy.refused() > 0
                {
                    Err(RenderError::BlockedByPolicy(error))
                } else {
                    Err(RenderError::Navigation(error))
                }
            }
            other => other,
        };
        let label = match &result {
            Ok(_) => "ok",
            Err(RenderError::BlockedByPolicy(_)) => "blocked",
            Err(RenderError::Timeout(_) | RenderError::SelectorMissing(_)) => "timeout",
            Err(RenderError::Navigation(_)) => "navigation_error",
            Err(RenderError::TooLarge(_)) => "too_large",
            Err(RenderError::InvalidSelector(_)) => "invalid",
            Err(RenderError::Browser(_)) => "browser_error",
        };
        metrics::counter!("pricewatch_renderer_renders_total", "outcome" => label).increment(1);
        metrics::histogram!("pricewatch_renderer_render_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        result
    }

    /// Readiness: the browser runs (it is started if it does not).
    pub async fn ready(&self) -> Result<serde_json::Value, String> {
        let chromium = self.browser().await.map_err(|e| format!("{e:#}"))?;
        Ok(serde_json::json!({
            "renders": chromium.renders(),
            "memory_bytes": chromium.memory_bytes(),
            "tabs": self.settings.tabs,
            "proxy_refusals": self.proxy.refused(),
        }))
    }

    /// Keeps a browser running: restarts a dead one without waiting for a render.
    pub async fn keep_alive(self: Arc<Self>, mut shutdown: pricewatch_ops::shutdown::Shutdown) {
        let mut wake = tokio::time::interval(Duration::from_secs(2));
        wake.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.wait() => return,
                _ = wake.tick() => {}
            }
            if let Err(error) = self.browser().await {
                tracing::warn!("Chromium does not start: {error:#}");
            }
        }
    }

    /// Kills the browser (every process of its group) and waits for it.
    pub async fn stop(&self) {
        let chromium = self.current.lock().await.take();
        if let Some(chromium) = chromium {
            match Arc::try_unwrap(chromium) {
                Ok(chromium) => chromium.stop().await,
                Err(shared) => crate::chromium::kill_group(shared.process_group()),
            }
        }
    }
}

/// A render's deadline from its timeout.
pub fn deadline(timeout: Duration) -> Instant {
    Instant::now() + timeout
}
