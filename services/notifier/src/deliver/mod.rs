//! Delivery to a user's channels: a loop that claims due `deliveries` rows
//! (`FOR UPDATE SKIP LOCKED`), opens each channel's sealed URL, sends, and
//! records the outcome: sent; retried later with exponential backoff (longer
//! when the receiver answers 429 with `Retry-After`); or failed with its
//! reason after `max_attempts` (the dead letter). When every delivery of an
//! alert is finished, the alert is 'sent' (one or more went out) or 'failed'.
//!
//! A claim is recorded before anything is sent, and a 'sending' row older
//! than `stale_claim` is claimed again, so a notifier killed at any moment
//! loses nothing; the one window for a duplicate is between the receiver's
//! answer and the `UPDATE … 'sent'`. Each delivery runs in its own task
//! under a total timeout, at most `concurrency` at once, so a receiver that
//! hangs or fails only delays its own.

pub mod message;
pub mod services;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use diesel_async::AsyncConnection;
use pricewatch_domain::channel::Channel;
use pricewatch_ops::shutdown::Shutdown;
use pricewatch_storage::DbPool;
use pricewatch_storage::queries::deliveries::{self, Claimed};
use pricewatch_storage::queries::outbox::{self, Outbox};
use pricewatch_storage::queries::{channel_tests, channels, notifications, users};
use pricewatch_storage::sealed::ChannelKey;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::chart::History;
use crate::email::{Mailer, SendError};
use message::AlertMessage;
use services::{Failure, Services, Target, TargetsDone};

/// How the loop delivers.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub concurrency: usize,
    /// For one whole delivery (every request it makes).
    pub timeout: Duration,
    pub max_attempts: u32,
    /// The wait after the first failure; doubled after each next one.
    pub retry_base: Duration,
    pub per_channel_per_minute: u32,
    /// A 'sending' claim older than this belonged to a notifier that died.
    pub stale_claim: Duration,
    /// How often to look for due deliveries when there were none.
    pub poll: Duration,
    pub allow_loopback: bool,
}

/// The longest wait between two attempts, and the longest `Retry-After` honoured.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(6 * 3600);

/// Everything a delivery task needs.
pub struct Deliverer {
    pub db: DbPool,
    pub key: Option<ChannelKey>,
    pub services: Services,
    pub mailer: Mailer,
    pub public_base_url: url::Url,
    pub settings: DeliverySettings,
}

/// One claimed row to send: an alert's delivery, or a channel's test
/// message (same send path, its own table, no alert behind it).
#[derive(Debug, Clone)]
pub enum Job {
    Delivery(Claimed),
    Test(channel_tests::Claimed),
}

impl Job {
    fn id(&self) -> uuid::Uuid {
        match self {
            Job::Delivery(d) => d.id,
            Job::Test(t) => t.id,
        }
    }

    fn channel_id(&self) -> uuid::Uuid {
        match self {
            Job::Delivery(d) => d.channel_id,
            Job::Test(t) => t.channel_id,
        }
    }

    fn attempts(&self) -> i32 {
        match self {
            Job::Delivery(d) => d.attempts,
            Job::Test(t) => t.attempts,
        }
    }

    fn targets_done(&self) -> &[i32] {
        match self {
            Job::Delivery(d) => &d.targets_done,
            Job::Test(t) => &t.targets_done,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Job::Delivery(_) => "delivery",
            Job::Test(_) => "test",
        }
    }

    /// The table the row is in.
    fn outbox(&self) -> Outbox {
        match self {
            Job::Delivery(_) => Outbox::Deliveries,
            Job::Test(_) => Outbox::ChannelTests,
        }
    }
}

/// How one delivery ended, for the log and the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Retry,
    Failed,
    Postponed,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retry => "retry",
            Outcome::Failed => "failed",
            Outcome::Postponed => "postponed",
        }
    }
}

impl Deliverer {
    /// Claims and sends until `shutdown`, then lets the deliveries in flight finish.
    pub async fn run(self: Arc<Self>, mut shutdown: Shutdown) {
        let permits = Arc::new(Semaphore::new(self.settings.concurrency));
        let mut tasks = JoinSet::new();
        let stale =
            chrono::Duration::from_std(self.settings.stale_claim).unwrap_or(chrono::Duration::MAX);
        loop {
            while tasks.try_join_next().is_some() {}
            // Without the key no channel opens: the deliveries wait, unclaimed.
            let free = if self.key.is_some() {
                permits.available_permits()
            } else {
                0
            };
            let claimed = if free == 0 {
                Vec::new()
            } else {
                match self.claim(free, stale).await {
                    Ok(claimed) => claimed,
                    Err(error) => {
                        tracing::warn!(error = %format!("{error:#}"), "cannot claim deliveries");
                        Vec::new()
                    }
                }
            };
            let idle = claimed.is_empty();
            for delivery in claimed {
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    break;
                };
                let this = Arc::clone(&self);
                tasks.spawn(async move {
                    this.deliver(delivery).await;
                    drop(permit);
                });
            }
            if idle {
                tokio::select! {
                    () = shutdown.wait() => break,
                    () = tokio::time::sleep(self.settings.poll) => {}
                    Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                }
            } else if shutdown.is_triggered() {
                break;
            }
        }
        while tasks.join_next().await.is_some() {}
        tracing::info!("delivery loop stopped");
    }

    /// Due deliveries first, then due channel tests with the room left.
    async fn claim(&self, limit: usize, stale: chrono::Duration) -> anyhow::Result<Vec<Job>> {
        let mut conn = self.db.get().await.context("no database connection")?;
        let max = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut jobs: Vec<Job> = deliveries::claim_due(&mut conn, max, stale)
            .await?
            .into_iter()
            .map(Job::Delivery)
            .collect();
        let left = i64::try_from(limit.saturating_sub(jobs.len())).unwrap_or(i64::MAX);
        if left > 0 {
            jobs.extend(
                channel_tests::claim_due(&mut conn, left, stale)
                    .await?
                    .into_iter()
                    .map(Job::Test),
            );
        }
        Ok(jobs)
    }

    /// One claimed delivery, from the channel to the recorded outcome.
    async fn deliver(&self, delivery: Job) {
        let id = delivery.id();
        let result = self.attempt(&delivery).await;
        let recorded = match result {
            Ok(outcome) => {
                if matches!(delivery, Job::Delivery(_)) {
                    metrics::counter!("pricewatch_deliveries_total", "outcome" => outcome.label())
                        .increment(1);
                }
                Ok(())
            }
            Err(error) => Err(error),
        };
        if let Err(error) = recorded {
            // The claim goes stale and the delivery is taken again later.
            tracing::warn!(delivery_id = %id, job = delivery.label(), error = %format!("{error:#}"), "delivery not recorded");
        }
    }

    async fn attempt(&self, delivery: &Job) -> anyhow::Result<Outcome> {
        let id = delivery.id();
        let job = delivery.label();
        let mut conn = self.db.get().await.context("no database connection")?;
        let Some(row) = channels::find(&mut conn, delivery.channel_id()).await? else {
            return Ok(Outcome::Failed);
        };
        if let Some(wait) = self.over_rate(&mut conn, delivery.channel_id()).await? {
            outbox::postpone(&mut conn, delivery.outbox(), id, Utc::now() + wait).await?;
            tracing::info!(delivery_id = %id, job, channel_id = %row.id, ?wait, "channel's rate limit reached, postponed");
            return Ok(Outcome::Postponed);
        }
        let details = match delivery {
            Job::Delivery(d) => Some(
                notifications::email_details(&mut conn, d.notification_id)
                    .await?
                    .context("the notification is gone")?,
            ),
            Job::Test(_) => None,
        };
        let account_email = users::find(&mut conn, row.user_id)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        drop(conn);
        // Defence in depth: the api refuses a mailto:// to another address.
        let opened = self.open(&row).and_then(|(channel, secret)| {
            channel
                .check_recipient(&account_email)
                .map_err(|e| Failure::Permanent(e.to_owned()))?;
            Ok((channel, secret))
        });
        let done = TargetsDone::new(delivery.targets_done().to_vec());
        let sent = match &opened {
            Ok((channel, secret)) => {
                let message = match &details {
                    Some(details) => AlertMessage::new(details, &self.public_base_url, Utc::now()),
                    None => AlertMessage::test(id, &self.public_base_url, Utc::now()),
                };
                let send = self.send(
                    id,
                    channel,
                    secret.as_deref(),
                    &done,
                    &message,
                    details.as_ref(),
                );
                match tokio::time::timeout(self.settings.timeout, send).await {
                    Ok(result) => result,
                    Err(_) => Err(Failure::Retry {
                        reason: format!("timed out after {} s", self.settings.timeout.as_secs()),
                        after: None,
                    }),
                }
            }
            Err(failure) => Err(failure.clone()),
        };
        let secrets: Vec<String> = opened
            .as_ref()
            .map(|(c, s)| {
                // An SMTP answer may quote the recipient: it never reaches the logs.
                let recipient = match c {
                    Channel::Email(e) => Some(e.to.as_str().to_owned()),
                    _ => None,
                };
                c.secrets()
                    .iter()
                    .map(|x| x.expose().to_owned())
                    .chain(s.clone())
                    .chain(recipient)
                    .collect()
            })
            .unwrap_or_default();
        let mut conn = self.db.get().await.context("no database connection")?;
        let attempts = u32::try_from(delivery.attempts()).unwrap_or(u32::MAX);
        // The outcome, and the alert's status when this was its last open
        // delivery, commit together: a notifier killed between the two would
        // leave the alert 'delivering' for good, with no delivery left to
        // finish it.
        let (outcome, finished) = conn
            .transaction(async |conn| {
                if let Job::Delivery(d) = delivery {
                    // Deliveries of one alert record their outcomes in turn,
                    // so the last to finish sees all the others'.
                    deliveries::lock_notification(conn, d.notification_id).await?;
                }
                let outcome = match sent {
                    Ok(()) => {
                        outbox::mark_sent(conn, delivery.outbox(), id).await?;
                        tracing::info!(delivery_id = %id, job, channel_id = %row.id, kind = %row.kind, attempts, "delivered");
                        Outcome::Sent
                    }
                    Err(failure) => {
                        let reason = redact(failure.reason(), &secrets);
                        let give_up = matches!(failure, Failure::Permanent(_))
                            || attempts >= self.settings.max_attempts;
                        if give_up {
                            let reason = if matches!(failure, Failure::Retry { .. }) {
                                format!("gave up after {attempts} attempts: {reason}")
                            } else {
                                reason
                            };
                            outbox::mark_failed(conn, delivery.outbox(), id, &reason).await?;
                            tracing::error!(delivery_id = %id, job, channel_id = %row.id, kind = %row.kind, attempts, %reason, "delivery failed for good");
                            Outcome::Failed
                        } else {
                            let after = match &failure {
                                Failure::Retry { after, .. } => *after,
                                Failure::Permanent(_) => None,
                            };
                            let wait = retry_delay(self.settings.retry_base, attempts, after);
                            let at =
                                Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                            let done = done.to_vec();
                            outbox::retry_at(conn, delivery.outbox(), id, &reason, at, &done)
                                .await?;
                            tracing::warn!(delivery_id = %id, job, channel_id = %row.id, kind = %row.kind, attempts, ?wait, %reason, "delivery failed, retrying later");
                            Outcome::Retry
                        }
                    }
                };
                let finished = match delivery {
                    Job::Delivery(d) if matches!(outcome, Outcome::Sent | Outcome::Failed) => {
                        deliveries::finish_notification(conn, d.notification_id)
                            .await?
                            .map(|status| (d.notification_id, status))
                    }
                    _ => None,
                };
                diesel::QueryResult::Ok((outcome, finished))
            })
            .await?;
        if let Some((notification_id, status)) = finished {
            tracing::info!(%notification_id, %status, "every delivery finished");
        }
        Ok(outcome)
    }

    /// The channel's URL and signing secret, opened and parsed.
    fn open(
        &self,
        row: &pricewatch_storage::models::ChannelRow,
    ) -> Result<(Channel, Option<String>), Failure> {
        let key = self.key.as_ref().ok_or_else(|| Failure::Retry {
            reason: "CHANNEL_SECRET_KEY is not set: channels cannot be opened".to_owned(),
            after: None,
        })?;
        let secrets = key
            .open(row.id, &row.sealed)
            .map_err(|e| Failure::Permanent(format!("the channel does not open: {e}")))?;
        let channel = Channel::parse_with(&secrets.url, self.settings.allow_loopback)
            .map_err(|e| Failure::Permanent(format!("the channel's URL is not valid: {e}")))?;
        Ok((channel, secrets.signing_secret))
    }

    async fn send(
        &self,
        id: uuid::Uuid,
        channel: &Channel,
        signing_secret: Option<&str>,
        done: &TargetsDone,
        message: &AlertMessage,
        // `None`: a channel's test message.
        details: Option<&pricewatch_storage::queries::notifications::EmailDetails>,
    ) -> Result<(), Failure> {
        if let Channel::Email(email) = channel {
            let composed = match details {
                Some(details) => {
                    let mut details = details.clone();
                    details.email = email.to.as_str().to_owned();
                    let history = match self.db.get().await {
                        Ok(mut conn) => History::for_email(&mut conn, &details).await,
                        Err(error) => {
                            tracing::warn!(%error, "no database connection: the email goes without its chart");
                            None
                        }
                    };
                    self.mailer.compose(&details, history.as_ref())
                }
                None => self.mailer.compose_test(email.to.as_str(), id),
            }
            .map_err(|e| Failure::Permanent(e.to_string()))?;
            let (handed_over, _signal) = tokio::sync::oneshot::channel();
            return match Box::pin(self.mailer.send(&composed, handed_over)).await {
                // Past the final "." the server most likely kept it.
                Ok(()) | Err(SendError::Unconfirmed(_)) => Ok(()),
                Err(SendError::Permanent(e)) => {
                    Err(Failure::Permanent(format!("SMTP refused the email: {e}")))
                }
                Err(SendError::Transient(e)) => Err(Failure::Retry {
                    reason: format!("temporary SMTP failure: {e}"),
                    after: None,
                }),
            };
        }
        let target = Target {
            delivery_id: id,
            channel,
            signing_secret,
            done,
        };
        self.services.send(&target, message).await
    }

    /// `Some(wait)` when the channel had its share of deliveries in the past minute.
    async fn over_rate(
        &self,
        conn: &mut pricewatch_storage::AsyncPgConnection,
        channel_id: uuid::Uuid,
    ) -> anyhow::Result<Option<Duration>> {
        let window = chrono::Duration::minutes(1);
        let (count, oldest) = deliveries::sent_since(conn, channel_id, Utc::now() - window).await?;
        if count < i64::from(self.settings.per_channel_per_minute) {
            return Ok(None);
        }
        let free_at = oldest.map_or_else(Utc::now, |t| t + window);
        let wait = (free_at - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .max(Duration::from_secs(1));
        Ok(Some(wait))
    }
}

/// `base · 2^(attempt-1)`, at most [`MAX_RETRY_DELAY`], and never shorter
/// than what the receiver asked for (up to the same bound).
pub fn retry_delay(base: Duration, attempt: u32, asked: Option<Duration>) -> Duration {
    let factor = 2u32
        .checked_pow(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let backoff = base.saturating_mul(factor).min(MAX_RETRY_DELAY);
    asked.map_or(backoff, |asked| backoff.max(asked.min(MAX_RETRY_DELAY)))
}

/// `text` with each secret replaced by `***`.
fn redact(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 4)
        .fold(text.to_owned(), |out, secret| {
            out.replace(secret.as_str(), "***")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_delay(base, 1, None), Duration::from_secs(30));
        assert_eq!(retry_delay(base, 3, None), Duration::from_secs(120));
        assert_eq!(retry_delay(base, 40, None), MAX_RETRY_DELAY);
        assert_eq!(
            retry_delay(base, 1, Some(Duration::from_secs(90))),
            Duration::from_secs(90)
        );
        assert_eq!(
            retry_delay(base, 1, Some(Duration::from_secs(10 * 86_400))),
            MAX_RETRY_DELAY
        );
    }

    #[test]
    fn secrets_leave_the_reason() {
        assert_eq!(
            redact(
                "POST /bot123:abcdef/sendMessage failed",
                &["123:abcdef".to_owned()]
            ),
            "POST /bot***/sendMessage failed"
        );
    }
}
