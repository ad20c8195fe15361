//! A local stand-in for Sentry's ingest endpoint, for tests and local checks:
//! it accepts HTTP requests on 127.0.0.1, keeps their bodies (envelopes) and
//! answers 200. Point `SENTRY_DSN` at `http://<key>@127.0.0.1:<port>/<project>`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct SentryCapture {
    pub port: u16,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl SentryCapture {
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
        let store = bodies.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    while let Ok(n) = socket.read(&mut chunk).await {
                        if n == 0 || buf.len() > 16 * 1024 * 1024 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let Some(split) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= split + 4 + len {
                            let body = String::from_utf8_lossy(&buf[split + 4..]).to_string();
                            if let Ok(mut b) = store.lock() {
                                b.push(body);
                            }
                            let _ = socket
                                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                                .await;
                            return;
                        }
                    }
                });
            }
        });
        Ok(SentryCapture { port, bodies })
    }

    pub fn dsn(&self) -> String {
        format!(
            "http://0123456789abcdef0123456789abcdef@127.0.0.1:{}/42",
            self.port
        )
    }

    /// Everything received so far, joined.
    pub fn received(&self) -> String {
        self.bodies.lock().map(|b| b.join("\n")).unwrap_or_default()
    }

    /// Flushes the process's Sentry client, then waits (bounded) for an event
    /// whose text contains `needle`; returns all that was received.
    pub async fn wait_for_event(&self, needle: &str, within: Duration) -> String {
        if let Some(client) = sentry::Hub::main().client() {
            client.flush(Some(Duration::from_secs(5)));
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let text = self.received();
            if (text.contains("\"type\":\"event\"") && text.contains(needle))
                || tokio::time::Instant::now() > deadline
            {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
