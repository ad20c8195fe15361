//! What every background service does around its real work: metrics, the
//! heartbeat, the probe server, and a clean stop on SIGTERM.

use std::net::TcpListener;
use std::time::Duration;

use anyhow::Context;

use crate::health::ReadyChecks;
use crate::heartbeat::{self, Heartbeat};
use crate::shutdown::{Shutdown, ShutdownTrigger};

pub struct ServiceBase {
    pub shutdown: Shutdown,
    trigger: ShutdownTrigger,
    probe: actix_web::dev::ServerHandle,
    probe_port: u16,
}

impl ServiceBase {
    /// Starts metrics, heartbeats and the probe server; SIGTERM/SIGINT trigger the stop.
    pub fn start(
        service: &'static str,
        probe: TcpListener,
        redis: deadpool_redis::Pool,
        key_prefix: String,
        checks: ReadyChecks,
    ) -> anyhow::Result<Self> {
        crate::metrics::install(service);
        let probe_port = probe.local_addr()?.port();
        let server = crate::health::serve_probe(probe, service, checks)
            .context("cannot start the health probe server")?;
        let handle = server.handle();
        tokio::spawn(server);
        let (trigger, shutdown) = crate::shutdown::channel();
        let on_signal = trigger.subscribe();
        let signal_trigger = ShutdownSignal(trigger.subscribe_sender());
        tokio::spawn(async move {
            crate::shutdown::signal().await;
            signal_trigger.fire();
        });
        drop(on_signal);
        tokio::spawn(heartbeat::run(
            redis,
            key_prefix,
            Heartbeat::new(service),
            trigger.subscribe(),
        ));
        Ok(ServiceBase {
            shutdown,
            trigger,
            probe: handle,
            probe_port,
        })
    }

    pub fn probe_port(&self) -> u16 {
        self.probe_port
    }

    /// Asks every task to stop (tests; signals do the same).
    pub fn trigger(&self) -> ShutdownTrigger {
        ShutdownTrigger::from_sender(self.trigger.subscribe_sender())
    }

    /// Stops the probe server last, after the work has drained.
    pub async fn finish(self) {
        self.trigger.trigger();
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.probe.stop(true).await;
    }
}

struct ShutdownSignal(tokio::sync::watch::Sender<bool>);

impl ShutdownSignal {
    fn fire(&self) {
        let _ = self.0.send(true);
    }
}
