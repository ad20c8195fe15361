//! The fetcher: one reqwest client, pinned to guard-checked addresses, redirects by hand.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    ACCEPT, ETAG, HeaderMap, HeaderName, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use reqwest::{Response, StatusCode, redirect};
use url::Url;

use super::body::{self, Overflow};
use super::robots::{MAX_ROBOTS_BYTES, RobotsCache, RobotsPolicy, RobotsRules, token_of};
use super::{FetchError, FetchOutcome, FetchSettings, Page, Validators};
use pricewatch_egress::guard::{
    AddressResolver, ConnectGate, Guard, NotPinned, PinTable, PinnedResolver,
};
use pricewatch_egress::parse_retry_after;

/// RFC 9309 §2.3.1.2: follow at least five redirects for robots.txt.
const ROBOTS_MAX_REDIRECTS: u32 = 5;
/// Origins whose robots.txt stays cached in one worker.
const ROBOTS_CACHE_ORIGINS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
#[error("could not build the HTTP client: {0}")]
pub struct BuildError(String);

/// Fetches product pages. Cheap to share (`Arc<Fetcher>`): one connection pool for all jobs.
pub struct Fetcher {
    client: reqwest::Client,
    guard: Guard,
    robots: RobotsCache,
    robots_token: String,
    settings: FetchSettings,
}

impl Fetcher {
    pub fn new(
        settings: FetchSettings,
        resolver: Arc<dyn AddressResolver>,
    ) -> Result<Self, BuildError> {
        Self::with_gate(settings, resolver, None)
    }

    /// Like `new`, with a gate that sees every destination before the client dials it.
    pub fn with_gate(
        settings: FetchSettings,
        resolver: Arc<dyn AddressResolver>,
        gate: Option<Arc<dyn ConnectGate>>,
    ) -> Result<Self, BuildError> {
        // A pin must outlive the whole fetch it was made for; the total timeout bounds that.
        let pins = Arc::new(PinTable::new(
            settings.total_timeout + settings.connect_timeout,
            gate,
        ));
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"),
        );
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.as_str())
            .default_headers(headers)
            .connect_timeout(settings.connect_timeout)
            .redirect(redirect::Policy::none())
            // A proxy would resolve names itself, out of the guard's sight.
            .no_proxy()
            .gzip(true)
            .dns_resolver(Arc::new(PinnedResolver(Arc::clone(&pins))))
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|e| BuildError(e.to_string()))?;
        let guard = Guard::new(
            resolver,
            settings.allow_loopback,
            settings.allowed_addrs.clone(),
            settings.connect_timeout,
            pins,
        );
        Ok(Fetcher {
            client,
            guard,
            robots: RobotsCache::new(ROBOTS_CACHE_ORIGINS),
            robots_token: token_of(&settings.user_agent).to_owned(),
            settings,
        })
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// Fetches an HTML page; `validators` from the previous fetch make it conditional.
    pub async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let total = self.settings.total_timeout;
        tokio::time::timeout(total, self.fetch_page(url, validators))
            .await
            .unwrap_or(Err(FetchError::Timeout(total)))
    }

    /// Whether a page may be visited at all, before the browser is asked for
    /// it: its address passes the guard, and its robots.txt allows it when
    /// robots.txt is respected. The HTTP fetch checks the same on every hop.
    pub async fn may_visit(&self, url: &Url) -> Result<(), FetchError> {
        let total = self.settings.total_timeout;
        let check = async {
            self.guard.check(url).await?;
            if self.settings.respect_robots {
                self.robots_allow(url).await?;
            }
            Ok(())
        };
        tokio::time::timeout(total, check)
            .await
            .unwrap_or(Err(FetchError::Timeout(total)))
    }

    async fn fetch_page(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let robots = self.settings.respect_robots;
        let (final_url, mut response) = self
            .follow(url, Some(validators), robots, self.settings.max_redirects)
            .await?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified { final_url });
        }
        if !status.is_success() {
            let retry_after = header(&response, RETRY_AFTER)
                .and_then(|v| parse_retry_after(&v, chrono::Utc::now()));
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after,
            });
        }
        let content_type = body::content_type(&response);
        if let Some((essence, _)) = &content_type
            && !body::is_html_type(essence)
        {
            return Err(FetchError::NotHtml(essence.clone()));
        }
        let etag = header(&response, ETAG);
        let last_modified = header(&response, LAST_MODIFIED);
        let body =
            body::read_limited(&mut response, self.settings.max_body_bytes, Overflow::Fail).await?;
        let charset = match content_type {
            Some((_, charset)) => charset,
            None if body::looks_like_html(&body) => None,
            None => return Err(FetchError::NotHtml("no content type, and not HTML".into())),
        };
        Ok(FetchOutcome::Fetched(Page {
            final_url,
            status: status.as_u16(),
            body,
            charset,
            etag,
            last_modified,
        }))
    }

    /// GETs `start`, following redirects by hand: every hop passes the guard (scheme,
    /// addresses, pinning), robots.txt when asked, and counts against `max_redirects`.
    async fn follow(
        &self,
        start: &Url,
        validators: Option<&Validators>,
        check_robots: bool,
        max_redirects: u32,
    ) -> Result<(Url, Response), FetchError> {
        let mut url = start.clone();
        url.set_fragment(None);
        let mut redirects = 0;
        loop {
            // The guard first: a refused address is reported as such, before any robots.txt request.
            self.guard.check(&url).await?;
            if check_robots {
                self.robots_allow(&url).await?;
            }
            self.guard.admit_literal(&url)?;
            let mut request = self.client.get(url.clone());
            if let Some(validators) = validators {
                request = request.headers(conditional_headers(validators));
            }
            let response = request.send().await.map_err(|e| send_error(&e, &url))?;
            let location = header(&response, LOCATION).filter(|_| {
                response.status().is_redirection() && response.status() != StatusCode::NOT_MODIFIED
            });
            let Some(location) = location else {
                return Ok((url, response));
            };
            redirects += 1;
            if redirects > max_redirects {
                return Err(FetchError::TooManyRedirects {
                    limit: max_redirects,
                });
            }
            url = url
                .join(&location)
                .map_err(|e| FetchError::BadRedirect(format!("{location}: {e}")))?;
            url.set_fragment(None);
        }
    }

    async fn robots_allow(&self, url: &Url) -> Result<(), FetchError> {
        let origin = url.origin().ascii_serialization();
        let policy = self
            .robots
            .get_or_fetch(&origin, || self.fetch_robots(url))
            .await?;
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        policy.check(&path)
    }

    /// RFC 9309 §2.3.1: 2xx parse, 4xx allow all, 5xx/429/no answer disallow all.
    async fn fetch_robots(&self, page: &Url) -> Result<RobotsPolicy, FetchError> {
        let mut robots_url = page.clone();
        robots_url.set_path("/robots.txt");
        robots_url.set_query(None);
        // Half the budget at most, so that the page itself still has time.
        let budget = self.settings.total_timeout / 2;
        let fetched = tokio::time::timeout(budget, async {
            let (_, mut response) =
                Box::pin(self.follow(&robots_url, None, false, ROBOTS_MAX_REDIRECTS)).await?;
            let status = response.status();
            if status.is_success() {
                let text =
                    body::read_limited(&mut response, MAX_ROBOTS_BYTES, Overflow::Truncate).await?;
                let text = String::from_utf8_lossy(&text);
                Ok(RobotsPolicy::Rules(RobotsRules::parse(
                    &text,
                    &self.robots_token,
                )))
            } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                Ok(RobotsPolicy::Unreachable(format!(
                    "HTTP {}",
                    status.as_u16()
                )))
            } else {
                Ok(RobotsPolicy::Rules(RobotsRules::allow_all()))
            }
        })
        .await;
        match fetched {
            Ok(Ok(policy)) => Ok(policy),
            Err(_) => Ok(RobotsPolicy::Unreachable(
                FetchError::Timeout(budget).to_string(),
            )),
            // More than five redirects or a broken one: "unavailable", like a 4xx.
            Ok(Err(FetchError::TooManyRedirects { .. } | FetchError::BadRedirect(_))) => {
                Ok(RobotsPolicy::Rules(RobotsRules::allow_all()))
            }
            Ok(Err(error)) => Ok(RobotsPolicy::Unreachable(error.to_string())),
        }
    }
}

fn conditional_headers(validators: &Validators) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let pairs = [
        (IF_NONE_MATCH, &validators.etag),
        (IF_MODIFIED_SINCE, &validators.last_modified),
    ];
    for (name, value) in pairs {
        if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    headers
}

fn header(response: &Response, name: HeaderName) -> Option<String> {
    let value = response.headers().get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn send_error(error: &reqwest::Error, url: &Url) -> FetchError {
    let host = url.host_str().unwrap_or_default().to_owned();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.downcast_ref::<NotPinned>().is_some() {
            return FetchError::Unchecked(host);
        }
        cause = current.source();
    }
    if error.is_connect() && error.is_timeout() {
        FetchError::Connect {
            host,
            detail: "timed out".into(),
        }
    } else if error.is_connect() {
        FetchError::Connect {
            host,
            detail: body::innermost(error),
        }
    } else {
        FetchError::Transport(body::innermost(error))
    }
}
