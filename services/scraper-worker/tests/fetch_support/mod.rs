//! Test doubles for the fetcher: a raw-HTTP server on 127.0.0.1, a resolver that never
//! touches DNS, and a gate that keeps the client on loopback.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pricewatch_scraper_worker::fetch::{
    AddressResolver, ConnectGate, FetchError, FetchOutcome, FetchSettings, Fetcher, Page,
    ResolveFuture, Validators,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Short limits so that the bad-page tests run in about a second.
pub fn settings() -> FetchSettings {
    FetchSettings {
        connect_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(1),
        max_body_bytes: 1024 * 1024,
        max_redirects: 3,
        user_agent: "PriceWatch/test (+tests)".into(),
        allow_loopback: false,
        respect_robots: false,
        allowed_addrs: Vec::new(),
    }
}

// ---- Resolver and gate ----------------------------------------------------------------------

/// Host name -> answers, the last one repeating. Unknown names fail, as NXDOMAIN would.
#[derive(Default)]
pub struct MapResolver {
    answers: Mutex<HashMap<String, VecDeque<Vec<IpAddr>>>>,
    calls: AtomicUsize,
}

impl MapResolver {
    pub fn answer(&self, host: &str, addrs: &[IpAddr]) {
        self.answer_in_turn(host, &[addrs]);
    }

    pub fn answer_in_turn(&self, host: &str, answers: &[&[IpAddr]]) {
        let answers = answers.iter().map(|a| a.to_vec()).collect();
        self.answers
            .lock()
            .unwrap()
            .insert(host.to_owned(), answers);
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl AddressResolver for MapResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> ResolveFuture<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut answers = self.answers.lock().unwrap();
        let answer = answers.get_mut(host).and_then(|queue| {
            if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            }
        });
        Box::pin(async move {
            answer.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "unknown test host"))
        })
    }
}

/// Lets the client dial loopback only; anything else is blocked and remembered.
#[derive(Default)]
pub struct LoopbackGate {
    violations: Mutex<Vec<(String, Vec<IpAddr>)>>,
}

impl LoopbackGate {
    pub fn take_violations(&self) -> Vec<(String, Vec<IpAddr>)> {
        std::mem::take(&mut *self.violations.lock().unwrap())
    }
}

impl ConnectGate for LoopbackGate {
    fn admit(&self, host: &str, addrs: &[IpAddr]) -> bool {
        let on_loopback = addrs.iter().all(|ip| ip.to_canonical().is_loopback());
        if !on_loopback {
            self.violations
                .lock()
                .unwrap()
                .push((host.to_owned(), addrs.to_vec()));
        }
        on_loopback
    }
}

// ---- Harness ----------------------------------------------------------------------------------

/// A fetcher wired to a `MapResolver` and a `LoopbackGate`. Dropping it fails the test if
/// the gate ever had to block a destination off loopback.
pub struct Harness {
    pub fetcher: Fetcher,
    pub resolver: Arc<MapResolver>,
    pub gate: Arc<LoopbackGate>,
}

impl Harness {
    pub fn new(settings: FetchSettings, names: &[(&str, &[&str])]) -> Self {
        let resolver = Arc::new(MapResolver::default());
        for (host, addrs) in names {
            let addrs: Vec<IpAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
            resolver.answer(host, &addrs);
        }
        let gate = Arc::new(LoopbackGate::default());
        let fetcher = Fetcher::with_gate(
            settings,
            Arc::clone(&resolver) as Arc<dyn AddressResolver>,
            Some(Arc::clone(&gate) as Arc<dyn ConnectGate>),
        )
        .unwrap();
        Harness {
            fetcher,
            resolver,
            gate,
        }
    }

    /// `public.test` resolves to `site`, let through by its exact socket address only:
    /// loopback stays refused, so the site plays a public shop with production rules.
    pub fn public_site(site: &TestServer, names: &[(&str, &[&str])]) -> Self {
        Self::for_site(site, names, false)
    }

    pub fn public_site_with_robots(site: &TestServer) -> Self {
        Self::for_site(site, &[], true)
    }

    fn for_site(site: &TestServer, names: &[(&str, &[&str])], robots: bool) -> Self {
        let mut settings = settings();
        settings.allowed_addrs = vec![site.addr];
        settings.respect_robots = robots;
        let harness = Harness::new(settings, names);
        harness.resolver.answer("public.test", &[site.addr.ip()]);
        harness
    }

    pub async fn fetch(&self, url: &str) -> Result<FetchOutcome, FetchError> {
        let url = url
            .parse()
            .map_err(|e| FetchError::InvalidUrl(format!("{e}")))?;
        self.fetcher.fetch(&url, &Validators::default()).await
    }

    pub async fn page(&self, url: &str) -> Page {
        match self.fetch(url).await {
            Ok(FetchOutcome::Fetched(page)) => page,
            other => panic!("{url}: expected a page, got {other:?}"),
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let violations = self.gate.take_violations();
            assert!(
                violations.is_empty(),
                "the client was about to dial off loopback: {violations:?}"
            );
        }
    }
}

// ---- Server -----------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Answer after a pause.
    Delay(Duration, Box<Reply>),
    /// An HTML page's headers at once, then `chunk` every `every`, `times` times.
    Drip {
        chunk: Vec<u8>,
        every: Duration,
        times: usize,
    },
    /// `total` bytes of zeros as HTML, streamed, optionally gzip-compressed on the wire.
    Stream {
        total: usize,
        content_length: bool,
        gzip: bool,
    },
}

impl Reply {
    pub fn full(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let headers = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        Reply::Full {
            status,
            headers,
            body: body.to_vec(),
        }
    }
}

pub fn html(body: &str) -> Reply {
    Reply::full(
        200,
        &[("Content-Type", "text/html; charset=utf-8")],
        body.as_bytes(),
    )
}

pub fn status(code: u16) -> Reply {
    Reply::full(
        code,
        &[("Content-Type", "text/html")],
        format!("<h1>{code}</h1>").as_bytes(),
    )
}

pub fn redirect(location: &str) -> Reply {
    Reply::full(302, &[("Location", location)], b"")
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// One request per connection (`Connection: close`), so connections count dials.
pub struct TestServer {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
    sent: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(handler);
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let (connections, requests, sent) =
                (connections.clone(), requests.clone(), sent.clone());
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (handler, requests, sent) =
                        (handler.clone(), requests.clone(), sent.clone());
                    tokio::spawn(serve(stream, handler, requests, sent));
                }
            }
        });
        TestServer {
            addr,
            connections,
            requests,
            sent,
            task,
        }
    }

    /// `http://public.test:PORT/path`
    pub fn url(&self, path: &str) -> String {
        self.url_as("public.test", path)
    }

    pub fn url_as(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.addr.port())
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn body_bytes_sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: Handler,
    requests: Arc<Mutex<Vec<Request>>>,
    sent: Arc<AtomicUsize>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    requests.lock().unwrap().push(request.clone());
    let mut reply = handler(&request);
    while let Reply::Delay(pause, inner) = reply {
        tokio::time::sleep(pause).await;
        reply = *inner;
    }
    // Write errors mean the client hung up, which several tests provoke on purpose.
    let _ = write_reply(&mut stream, reply, &sent).await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Request { path, headers })
}

async fn write_reply(stream: &mut TcpStream, reply: Reply, sent: &AtomicUsize) -> io::Result<()> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Test\r\nConnection: close\r\nContent-Length: {}\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Reply::Delay(..) => unreachable!("unwrapped by serve"),
        Reply::Drip {
            chunk,
            every,
            times,
        } => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n",
                )
                .await?;
            for _ in 0..times {
                stream.write_all(&chunk).await?;
                stream.flush().await?;
                tokio::time::sleep(every).await;
            }
        }
        Reply::Stream {
            total,
            content_length,
            gzip,
        } => {
            let body = if gzip { Some(gzip_zeros(total)) } else { None };
            let mut head =
                String::from("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\n");
            if gzip {
                head.push_str("Content-Encoding: gzip\r\n");
            }
            if content_length {
                let len = body.as_ref().map_or(total, Vec::len);
                head.push_str(&format!("Content-Length: {len}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            match body {
                Some(body) => {
                    stream.write_all(&body).await?;
                    sent.fetch_add(body.len(), Ordering::SeqCst);
                }
                None => {
                    let zeros = vec![0u8; 64 * 1024];
                    let mut left = total;
                    while left > 0 {
                        let n = left.min(zeros.len());
                        stream.write_all(&zeros[..n]).await?;
                        sent.fetch_add(n, Ordering::SeqCst);
                        left -= n;
                    }
                }
            }
        }
    }
    stream.shutdown().await
}

/// `total` zeros, gzip-compressed: about a thousandth of the size.
fn gzip_zeros(total: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    let mut left = total;
    while left > 0 {
        let n = left.min(zeros.len());
        encoder.write_all(&zeros[..n]).unwrap();
        left -= n;
    }
    encoder.finish().unwrap()
}
