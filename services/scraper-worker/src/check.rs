//! One `CheckPrice` job: a turn on the domain, a conditional fetch, extraction, then
//! the price and its alerts recorded in one transaction, and the alerts published.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use pricewatch_bus::{Bus, Delivery, Outcome};
use pricewatch_domain::fetch_mode::{FetchMode, FetchedWith};
use pricewatch_domain::messages::{CheckPrice, Message, SendNotification};
use pricewatch_domain::money::Currency;
use pricewatch_domain::reading::{CheckStatus, needs_confirmation};
use pricewatch_extract::{self as extract, ExtractContext, ExtractOutcome};
use pricewatch_storage::DbPool;
use pricewatch_storage::pool::{DbConn, describe_pool_error};
use pricewatch_storage::queries::checks::{
    self, AlertLimits, CheckContext, CheckRecord, Context, Recorded,
};
use rust_decimal::Decimal;
use tracing::Instrument;
use url::Url;
use uuid::Uuid;

use crate::fetch::{
    FetchError, FetchOutcome, Fetcher, Page, Politeness, PolitenessError, RetryPolicy, Validators,
};
use crate::render::{RenderFailure, RendererClient, looks_script_built};

/// The wait before the fetch that confirms a suspicious reading.
pub const CONFIRM_DELAY: Duration = Duration::from_secs(5);
/// A check postponed for a busy domain is due again after this long, plus up to as
/// much again at random (so that a backlog on one site spreads out).
pub const BUSY_DELAY: Duration = Duration::from_secs(30);
/// The wait before trying again when the politeness store (Redis) failed.
pub const STORE_RETRY_DELAY: Duration = Duration::from_secs(5);
/// The wait before trying again when the renderer failed.
pub const RENDER_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Pages up to this size are extracted on the job's own task (well under a
/// millisecond); larger ones on the blocking pool.
const INLINE_EXTRACT_BYTES: usize = 64 * 1024;

/// Everything a job needs; shared by every job of the worker.
pub struct Checker {
    pub db: DbPool,
    pub bus: Bus,
    pub fetcher: Arc<Fetcher>,
    pub politeness: Politeness,
    pub retry: RetryPolicy,
    /// Longest wait for a turn on a domain before the job is retried later.
    pub politeness_wait: Duration,
    /// A drop larger than this share of the last price is confirmed first.
    pub suspicious_drop_ratio: Decimal,
    /// Delayed retries the bus allows a job (its topology's `max_attempts`).
    pub max_job_attempts: u32,
    /// The per-user daily cap on alerts.
    pub alert_limits: AlertLimits,
    /// The renderer for pages built by scripts (`RENDERER_URL`); `None`: HTTP only.
    pub renderer: Option<RendererClient>,
}

/// How one check ended, for metrics and logs: a stored check status, or one
/// of the outcomes that leave the product's status as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckResult {
    Stored(CheckStatus),
    Duplicate,
    Unconfirmed,
    Retry,
    Postponed,
    Gone,
}

impl CheckResult {
    fn label(self) -> &'static str {
        match self {
            CheckResult::Stored(status) => status.as_str(),
            CheckResult::Duplicate => "duplicate",
            CheckResult::Unconfirmed => "unconfirmed",
            CheckResult::Retry => "retry",
            CheckResult::Postponed => "postponed",
            CheckResult::Gone => "gone",
        }
    }
}

impl Checker {
    async fn conn(&self) -> anyhow::Result<DbConn> {
        self.db
            .get()
            .await
            .map_err(|e| anyhow!(describe_pool_error(&e)))
    }

    /// The bus handler: decides the delivery's outcome. An `Err` (the database is
    /// down) makes the bus retry the job later.
    pub async fn handle(&self, delivery: Delivery) -> anyhow::Result<Outcome> {
        let started = Instant::now();
        let result = match &delivery.message {
            Message::CheckPriceV1(job) => {
                let span = tracing::info_span!(
                    "check",
                    job_id = %job.job_id,
                    product_id = %job.product_id,
                    attempt = job.attempt
                );
                self.check(job).instrument(span).await
            }
            other => {
                tracing::warn!(message = ?other, "not a check job: dead-lettered");
                Ok((
                    CheckResult::Stored(CheckStatus::FetchError),
                    Outcome::Reject,
                ))
            }
        };
        metrics::histogram!("pricewatch_job_duration_seconds", "job" => "check_price")
            .record(started.elapsed().as_secs_f64());
        let outcome_label = match &result {
            Ok((_, Outcome::Ack)) => "ack",
            Ok((_, Outcome::Retry { .. })) => "retry",
            Ok((_, Outcome::Reject)) => "reject",
            Err(_) => "error",
        };
        metrics::counter!("pricewatch_jobs_total", "job" => "check_price", "outcome" => outcome_label)
            .increment(1);
        if let Ok((check, _)) = &result {
            metrics::counter!("pricewatch_checks_total", "result" => check.label()).increment(1);
        }
        result.map(|(_, outcome)| outcome)
    }

    async fn check(&self, job: &CheckPrice) -> anyhow::Result<(CheckResult, Outcome)> {
        let context = {
            let mut conn = self.conn().await?;
            checks::check_context(&mut conn, job.product_id, job.job_id).await?
        };
        let context = match context {
            Context::Ready(context) => context,
            Context::Recorded => return Ok((CheckResult::Duplicate, Outcome::Ack)),
            Context::Gone => {
                tracing::info!(product_id = %job.product_id, "product gone: check dropped");
                return Ok((CheckResult::Gone, Outcome::Ack));
            }
        };
        let url = match Url::parse(&context.url) {
            Ok(url) => url,
            Err(e) => {
                return self
                    .fail(&context, CheckStatus::Refused, &format!("invalid URL: {e}"))
                    .await;
            }
        };
        let mode = FetchMode::parse(&context.fetch_mode).unwrap_or_default();
        let browser_first = match mode {
            FetchMode::Browser => true,
            FetchMode::Auto => context.needs_browser && self.renderer.is_some(),
            FetchMode::Http => false,
        };
        if browser_first && self.renderer.is_none() {
            return self
                .fail(
                    &context,
                    CheckStatus::FetchError,
                    "this page is fetched with the browser, and no renderer is configured (RENDERER_URL)",
                )
                .await;
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let permit = match self.politeness.acquire(&host, self.politeness_wait).await {
            Ok(permit) => permit,
            Err(PolitenessError::Timeout { .. }) => {
                // Not the page's fault: hand it back to the scheduler without using
                // up an attempt; the job itself is done.
                let delay = BUSY_DELAY.as_secs_f64() * (1.0 + rand::random::<f64>());
                tracing::debug!(%host, delay, "no turn on the domain: postponed");
                let mut conn = self.conn().await?;
                checks::postpone(&mut conn, context.product_id, delay).await?;
                return Ok((CheckResult::Postponed, Outcome::Ack));
            }
            Err(error) => {
                return self
                    .retry_or_fail(
                        job,
                        &context,
                        STORE_RETRY_DELAY,
                        &format!("could not take a turn on {host}: {error}"),
                    )
                    .await;
            }
        };
        if browser_first {
            // The browser goes where the HTTP fetch would: robots.txt first.
            if let Err(error) = self.fetcher.may_visit(&url).await {
                if let Err(error) = permit.release().await {
                    tracing::debug!(%error, "politeness permit left to expire");
                }
                return self.fetch_failed(job, &context, &error).await;
            }
            let rendered = self.render_page(&url, &context).await;
            if let Err(error) = permit.release().await {
                tracing::debug!(%error, "politeness permit left to expire");
            }
            return match rendered {
                Ok(page) => self.page(job, &context, page, FetchedWith::Browser).await,
                Err(failure) => self.render_failed(job, &context, &failure).await,
            };
        }
        let validators = Validators {
            etag: context.etag.clone(),
            last_modified: context.last_modified.clone(),
        };
        let fetched = self.fetcher.fetch(&url, &validators).await;
        if let Err(error) = permit.release().await {
            tracing::debug!(%error, "politeness permit left to expire");
        }
        match fetched {
            Ok(FetchOutcome::NotModified { .. }) => {
                let mut conn = self.conn().await?;
                checks::record_unchanged(&mut conn, context.product_id).await?;
                checks::record_fetch(&mut conn, context.product_id, "http", None).await?;
                Ok((CheckResult::Stored(CheckStatus::Unchanged), Outcome::Ack))
            }
            Ok(FetchOutcome::Fetched(page)) => {
                self.page(job, &context, page, FetchedWith::Http).await
            }
            Err(error) => self.fetch_failed(job, &context, &error).await,
        }
    }

    async fn fetch_failed(
        &self,
        job: &CheckPrice,
        context: &CheckContext,
        error: &FetchError,
    ) -> anyhow::Result<(CheckResult, Outcome)> {
        let attempt = job.attempt.saturating_add(1);
        if let Some(delay) = self.retry.next_delay(attempt, error)
            && attempt < self.max_job_attempts
        {
            tracing::info!(%error, ?delay, "transient fetch failure: retrying");
            return Ok((CheckResult::Retry, Outcome::Retry { delay }));
        }
        let status = match error {
            FetchError::Scheme(_)
            | FetchError::ForbiddenAddress { .. }
            | FetchError::Unchecked(_)
            | FetchError::InvalidUrl(_)
            | FetchError::DisallowedByRobots => CheckStatus::Refused,
            FetchError::Status { .. } => CheckStatus::HttpError,
            _ => CheckStatus::FetchError,
        };
        self.fail(context, status, &error.to_string()).await
    }

    /// The page rendered by the browser, the watch's selector awaited.
    async fn render_page(&self, url: &Url, context: &CheckContext) -> Result<Page, RenderFailure> {
        let Some(renderer) = &self.renderer else {
            return Err(RenderFailure::Unavailable(
                "no renderer is configured".to_owned(),
            ));
        };
        let started = Instant::now();
        let rendered = renderer.render(url, context.css_selector.as_deref()).await;
        let label = if rendered.is_ok() { "ok" } else { "error" };
        metrics::counter!("pricewatch_renders_total", "outcome" => label).increment(1);
        metrics::histogram!("pricewatch_render_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        rendered
    }

    /// A page the renderer refused is refused; a renderer that failed is
    /// tried again later, like a fetch that failed.
    async fn render_failed(
        &self,
        job: &CheckPrice,
        context: &CheckContext,
        failure: &RenderFailure,
    ) -> anyhow::Result<(CheckResult, Outcome)> {
        {
            let mut conn = self.conn().await?;
            checks::record_fetch(&mut conn, context.product_id, "browser", None).await?;
        }
        match failure {
            RenderFailure::Refused(_) => {
                self.fail(context, CheckStatus::Refused, &failure.to_string())
                    .await
            }
            RenderFailure::Unavailable(_) => {
                tracing::info!(%failure, "render failed: retrying");
                self.retry_or_fail(job, context, RENDER_RETRY_DELAY, &failure.to_string())
                    .await
            }
        }
    }

    /// Reads the page; an `auto` page that has no price and looks built by
    /// scripts is rendered by the browser and read again (and the product
    /// remembers that it needs the browser when that found the price).
    async fn page(
        &self,
        job: &CheckPrice,
        context: &CheckContext,
        page: Page,
        via: FetchedWith,
    ) -> anyhow::Result<(CheckResult, Outcome)> {
        let may_render = via == FetchedWith::Http
            && self.renderer.is_some()
            && FetchMode::parse(&context.fetch_mode).unwrap_or_default() == FetchMode::Auto
            && looks_script_built(&page.body);
        let outcome = self.extract(context, &page).await?;
        let (page, outcome, via, needs_browser) =
            if may_render && matches!(outcome, ExtractOutcome::NoPrice { .. }) {
                tracing::info!("no price in a page built by scripts: rendering it");
                match self.render_page(&page.final_url, context).await {
                    Ok(rendered) => {
                        let outcome = self.extract(context, &rendered).await?;
                        let found = matches!(outcome, ExtractOutcome::Found(_));
                        (
                            rendered,
                            outcome,
                            FetchedWith::Browser,
                            found.then_some(true),
                        )
                    }
                    Err(failure) => return self.render_failed(job, context, &failure).await,
                }
            } else {
                (page, outcome, via, None)
            };
        {
            let mut conn = self.conn().await?;
            checks::record_fetch(&mut conn, context.product_id, via.as_str(), needs_browser)
                .await?;
        }
        self.read(job, context, page, outcome).await
    }

    async fn extract(&self, context: &CheckContext, page: &Page) -> anyhow::Result<ExtractOutcome> {
        let url = page.final_url.to_string();
        let charset = page.charset.clone();
        let selector = context.css_selector.clone();
        let page_size = page.body.len();
        let hint = context
            .currency
            .as_deref()
            .and_then(|c| Currency::parse(c).ok());
        let body = page.body.clone();
        let run = move || {
            extract::extract(
                &body,
                &ExtractContext {
                    url: Some(&url),
                    content_type_charset: charset.as_deref(),
                    selector: selector.as_deref(),
                    currency_hint: hint,
                },
            )
        };
        // Bounded CPU work. A small page takes tens of microseconds: handing it
        // to the blocking pool would cost more than it saves; a large one goes
        // off the async threads.
        if page_size <= INLINE_EXTRACT_BYTES {
            Ok(run())
        } else {
            tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| anyhow!("extraction task failed: {e}"))
        }
    }

    /// Records what the page said: the price (and its alerts), or why not.
    async fn read(
        &self,
        job: &CheckPrice,
        context: &CheckContext,
        page: Page,
        outcome: ExtractOutcome,
    ) -> anyhow::Result<(CheckResult, Outcome)> {
        let found = match outcome {
            ExtractOutcome::Found(found) => found,
            ExtractOutcome::NoPrice { reason, .. } => {
                return self
                    .fail(
                        context,
                        CheckStatus::NoPrice,
                        &format!("no price found: {reason}"),
                    )
                    .await;
            }
            ExtractOutcome::Blocked { reason } => {
                return self
                    .fail(
                        context,
                        CheckStatus::Blocked,
                        &format!("blocked by the site: {reason}"),
                    )
                    .await;
            }
        };
        let Some(currency) = found
            .currency
            .map(|c| c.as_str().to_owned())
            .or_else(|| context.currency.clone())
        else {
            return self
                .fail(
                    context,
                    CheckStatus::NoPrice,
                    &format!(
                        "found the price {} but not its currency",
                        found.amount.normalize()
                    ),
                )
                .await;
        };
        let amount = found.amount;
        if amount <= Decimal::ZERO {
            return self
                .fail(
                    context,
                    CheckStatus::NoPrice,
                    &format!("no valid price found (read {amount})"),
                )
                .await;
        }
        if self.is_suspicious(context, amount) {
            if job.attempt.saturating_add(1) >= self.max_job_attempts {
                return self
                    .fail(
                        context,
                        CheckStatus::FetchError,
                        &format!(
                            "price readings disagree (last {}, now {}); not recorded until confirmed",
                            context.last_price.unwrap_or_default().normalize(),
                            amount.normalize()
                        ),
                    )
                    .await;
            }
            let mut conn = self.conn().await?;
            checks::set_unconfirmed(&mut conn, context.product_id, amount).await?;
            tracing::info!(
                %amount,
                last_price = ?context.last_price,
                "suspicious reading (a big drop or a price flipping back): confirming with a second fetch"
            );
            return Ok((
                CheckResult::Unconfirmed,
                Outcome::Retry {
                    delay: CONFIRM_DELAY,
                },
            ));
        }
        let record = CheckRecord {
            product_id: context.product_id,
            job_id: job.job_id,
            amount,
            currency,
            title: found.title.clone(),
            image_url: found.image.clone(),
            in_stock: found.availability.in_stock(),
            method: found.method.as_str().to_owned(),
            sources_agree: found.sources_agree,
            decision: found.decision.clone(),
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
        };
        let recorded = {
            let mut conn = self.conn().await?;
            checks::record_check(&mut conn, &record, self.alert_limits).await?
        };
        match recorded {
            Recorded::Duplicate => Ok((CheckResult::Duplicate, Outcome::Ack)),
            Recorded::New {
                notifications,
                delivering,
                ..
            } => {
                if !delivering.is_empty() {
                    tracing::info!(
                        count = delivering.len(),
                        "alerts written with their channel deliveries"
                    );
                }
                if !notifications.is_empty() {
                    tracing::info!(count = notifications.len(), "price alerts written");
                    self.publish_notifications(&notifications).await;
                }
                Ok((CheckResult::Stored(CheckStatus::Ok), Outcome::Ack))
            }
        }
    }

    fn is_suspicious(&self, context: &CheckContext, amount: Decimal) -> bool {
        needs_confirmation(
            amount,
            context.last_price,
            context.recent_prices.get(1..).unwrap_or_default(),
            context.unconfirmed_price,
            self.suspicious_drop_ratio,
        )
    }

    /// Publishes the alerts and marks them published; on failure the outbox relay
    /// publishes them later.
    pub async fn publish_notifications(&self, ids: &[Uuid]) {
        if let Err(error) = self.bus.publish_many(notification_jobs(ids)).await {
            tracing::warn!(%error, "alerts not published now; the outbox relay will");
            return;
        }
        let marked = match self.conn().await {
            Ok(mut conn) => checks::mark_published(&mut conn, ids)
                .await
                .map_err(anyhow::Error::from),
            Err(e) => Err(e),
        };
        if let Err(error) = marked {
            tracing::warn!(%error, "alerts published but not marked; the relay publishes them again");
        }
    }

    async fn retry_or_fail(
        &self,
        job: &CheckPrice,
        context: &CheckContext,
        delay: Duration,
        message: &str,
    ) -> anyhow::Result<(CheckResult, Outcome)> {
        if job.attempt.saturating_add(1) < self.max_job_attempts {
            return Ok((CheckResult::Retry, Outcome::Retry { delay }));
        }
        self.fail(context, CheckStatus::FetchError, message).await
    }

    async fn fail(
        &self,
        context: &CheckContext,
        status: CheckStatus,
        message: &str,
    ) -> anyhow::Result<(CheckResult, Outcome)> {
        tracing::info!(status = status.as_str(), message, "check failed");
        let mut conn = self.conn().await?;
        checks::record_failure(&mut conn, context.product_id, status, message).await?;
        Ok((CheckResult::Stored(status), Outcome::Ack))
    }
}

/// The `SendNotification` jobs for these notifications.
pub fn notification_jobs(ids: &[Uuid]) -> impl Iterator<Item = Message> + '_ {
    ids.iter().map(|id| {
        Message::SendNotificationV1(SendNotification {
            notification_id: *id,
            attempt: 0,
        })
    })
}
