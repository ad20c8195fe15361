//! One headless Chromium and its DevTools connection.
//!
//! Chromium runs in a process group of its own, led by a small watchdog shell
//! that reads our end of a pipe: when the renderer exits, even killed with
//! SIGKILL, the pipe closes and the watchdog kills the whole group. Dropping a
//! [`Chromium`] kills the group at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use chromiumoxide::Browser;
use chromiumoxide::handler::HandlerConfig;
use futures_util::StreamExt;
use tokio::process::{Child, ChildStdin, Command};

/// The watchdog: starts Chromium in the background, waits for its stdin to
/// close, then kills its own process group (itself and every Chromium process).
const WATCHDOG: &str = r#""$@" </dev/null & while read -r _; do :; done; kill -s KILL 0"#;

/// How Chromium is started.
#[derive(Debug, Clone)]
pub struct LaunchSettings {
    pub executable: PathBuf,
    /// The forward proxy every request goes through.
    pub proxy: std::net::SocketAddr,
    /// Where profile directories are made (one per launch, removed on drop).
    pub profile_root: PathBuf,
    pub launch_timeout: Duration,
    /// Longest wait for one DevTools command.
    pub command_timeout: Duration,
}

/// A running Chromium. Shared by the renders using it; the last one to drop
/// it kills the browser.
pub struct Chromium {
    pub browser: Browser,
    pgid: i32,
    watchdog: Child,
    stdin: Option<ChildStdin>,
    handler: tokio::task::JoinHandle<()>,
    alive: Arc<AtomicBool>,
    renders: AtomicU64,
    profile: PathBuf,
}

impl Chromium {
    /// The arguments Chromium runs with: headless, every request through the
    /// proxy (loopback included), no background traffic of its own, no UDP
    /// that would go around the proxy.
    pub fn args(settings: &LaunchSettings, profile: &Path) -> Vec<String> {
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--disable-breakpad",
            "--disable-crash-reporter",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-quic",
            "--no-pings",
            "--mute-audio",
            "--metrics-recording-only",
            "--password-store=basic",
            "--use-mock-keychain",
            "--blink-settings=imagesEnabled=false",
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            "--webrtc-ip-handling-policy=disable_non_proxied_udp",
            // One renderer process per render, not two or three: each render
            // has a context (and so a process) of its own already, with no
            // cookies or stored data for another site to read; the spare
            // process Chromium keeps warm would belong to the context just
            // disposed.
            "--disable-site-isolation-trials",
            "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,SpareRendererForSitePerProcess",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            // Chromium bypasses a proxy for loopback unless told not to.
            "--proxy-bypass-list=<-loopback>",
        ]
        .map(str::to_owned)
        .to_vec();
        args.push(format!("--proxy-server=http://{}", settings.proxy));
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push("about:blank".to_owned());
        args
    }

    pub async fn launch(settings: &LaunchSettings) -> anyhow::Result<Chromium> {
        let profile = settings.profile_root.join(format!(
            "pricewatch-renderer-{}",
            uuid::Uuid::new_v4().simple()
        ));
        tokio::fs::create_dir_all(&profile)
            .await
            .with_context(|| format!("cannot create {}", profile.display()))?;
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(WATCHDOG)
            .arg("pricewatch-chromium")
            .arg(&settings.executable)
            .args(Self::args(settings, &profile))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0);
        let mut watchdog = command
            .spawn()
            .with_context(|| format!("cannot start {}", settings.executable.display()))?;
        let stdin = watchdog.stdin.take();
        let pgid = watchdog
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .context("the browser's watchdog has no process id")?;
        // From here on, dropping `launching` kills the group and removes the profile.
        let mut launching = Launching {
            pgid,
            profile: profile.clone(),
            armed: true,
        };
        let ws = tokio::time::timeout(
            settings.launch_timeout,
            devtools_address(&profile, &mut watchdog),
        )
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "Chromium did not open DevTools within {} s",
                settings.launch_timeout.as_secs()
            )
        })??;
        let config = HandlerConfig {
            request_timeout: settings.command_timeout,
            viewport: None,
            ..HandlerConfig::default()
        };
        let (browser, mut handler) = Browser::connect_with_config(ws, config)
            .await
            .context("cannot connect to Chromium's DevTools")?;
        let alive = Arc::new(AtomicBool::new(true));
        let handler = {
            let alive = Arc::clone(&alive);
            tokio::spawn(async move {
                while let Some(event) = handler.next().await {
                    if let Err(error) = event {
                        tracing::warn!(%error, "DevTools connection lost");
                        break;
                    }
                }
                alive.store(false, Ordering::SeqCst);
            })
        };
        launching.armed = false;
        tracing::info!(pgid, "Chromium started");
        metrics::counter!("pricewatch_renderer_browser_launches_total").increment(1);
        Ok(Chromium {
            browser,
            pgid,
            watchdog,
            stdin,
            handler,
            alive,
            renders: AtomicU64::new(0),
            profile,
        })
    }

    /// The browser still answers: its DevTools connection is open.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Counts a render; returns the count so far, this one included.
    pub fn count_render(&self) -> u64 {
        self.renders.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// The memory of every process in the browser's group (proportional set
    /// size: shared pages counted once).
    pub fn memory_bytes(&self) -> u64 {
        group_members(self.pgid).map(pss_bytes).sum()
    }

    pub fn process_group(&self) -> i32 {
        self.pgid
    }

    /// Kills the group and waits for the watchdog to be gone.
    pub async fn stop(mut self) {
        kill_group(self.pgid);
        self.stdin.take();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.watchdog.wait()).await;
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.handler.abort();
        self.stdin.take();
        kill_group(self.pgid);
        let _ = std::fs::remove_dir_all(&self.profile);
        tracing::info!(
            pgid = self.pgid,
            renders = self.renders(),
            "Chromium stopped"
        );
    }
}

/// Kills a half-started browser if its launch fails.
struct Launching {
    pgid: i32,
    profile: PathBuf,
    armed: bool,
}

impl Drop for Launching {
    fn drop(&mut self) {
        if self.armed {
            kill_group(self.pgid);
            let _ = std::fs::remove_dir_all(&self.profile);
        }
    }
}

/// Waits for Chromium to write `DevToolsActivePort` into its profile: the
/// port on the first line, the browser's path on the second.
async fn devtools_address(profile: &Path, watchdog: &mut Child) -> anyhow::Result<String> {
    let file = profile.join("DevToolsActivePort");
    loop {
        if let Ok(text) = tokio::fs::read_to_string(&file).await {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next())
                && port.parse::<u16>().is_ok()
                && path.starts_with('/')
            {
                return Ok(format!("ws://127.0.0.1:{port}{path}"));
            }
        }
        if let Some(status) = watchdog.try_wait()? {
            bail!("Chromium exited at start ({status})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends SIGKILL to every process of the group, through the shell's `kill`
/// (no unsafe code here).
pub fn kill_group(pgid: i32) {
    if pgid <= 1 {
        return;
    }
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s KILL -- -{pgid} 2>/dev/null"))
        .stdin(std::process::Stdio::null())
        .status();
}

/// The processes whose process group is `pgid` (from `/proc/*/stat`).
pub fn group_members(pgid: i32) -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(move |pid| process_group_of(*pid) == Some(pgid))
}

fn process_group_of(pid: u32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state, ppid, pgrp.
    let after = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = after.split_whitespace();
    let state = fields.next()?;
    if state == "Z" {
        return None;
    }
    fields.nth(1)?.parse().ok()
}

/// The proportional set size of a process (its private memory plus its share
/// of the pages it shares): summing RSS over Chromium's processes would count
/// the shared pages once per process, two to three times too much.
fn pss_bytes(pid: u32) -> u64 {
    let kib = |text: &str, field: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
    };
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| kib(&text, "Pss:"))
        .or_else(|| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            kib(&status, "VmRSS:")
        })
        .map_or(0, |kib| kib * 1024)
}
