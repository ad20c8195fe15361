//! One `SendNotification` job: claim the notification row, send the email,
//! record the result, and tell the bus what to do with the message.
//!
//! Exactly-once, as far as SMTP allows: the claim (pending → sending) commits
//! before the SMTP conversation, and `sent` is final, so a redelivered or
//! duplicated message finds the row 'sent' (or 'sending') and sends nothing.
//! A notifier killed mid-send leaves the row 'sending'; once that claim is
//! older than `STALE_CLAIM` another delivery takes it over. An SMTP server
//! keeps an email once the final "." of DATA reaches it, even if the client
//! dies before reading the "250" (RFC 1047): so the moment that "." is
//! written is recorded on the row (`handed_over_at`, in parallel with the
//! server's answer), and a taken-over row that has it is recorded 'sent'
//! instead of being sent again. What is left is the few microseconds between
//! writing the "." and that UPDATE reaching PostgreSQL: a kill exactly there
//! is the one way to a duplicate; there is none to a lost email.

use std::task::Poll;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use pricewatch_bus::{Bus, Delivery, Outcome};
use pricewatch_domain::messages::{Message, SendNotification};
use pricewatch_storage::queries::notifications::{self, Claim};
use pricewatch_storage::{AsyncPgConnection, DbPool};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::chart::History;
use crate::email::{Mailer, SendError};

/// A 'sending' claim older than this belongs to a notifier that died.
pub const STALE_CLAIM: Duration = Duration::from_secs(90);
/// Longest wait before a job whose row another sender holds is looked at again.
const IN_FLIGHT_RECHECK: Duration = Duration::from_secs(30);
/// Longest wait before a capped email is looked at again.
const MAX_CAP_DELAY: Duration = Duration::from_secs(3600);

pub const JOB: &str = "send_notification";

#[derive(Clone)]
pub struct Notifier {
    pub db: DbPool,
    pub bus: Bus,
    pub mailer: Mailer,
    pub emails_per_user_per_hour: u32,
}

/// How a job ended, for logs and the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobResult {
    Sent,
    /// Already sent, or the row is gone: nothing to do.
    Skipped,
    /// Over the user's hourly cap, or another sender holds the claim: later.
    Deferred,
    /// A temporary SMTP failure: retried later.
    Retry,
    /// Given up: the row is 'failed', the message dead-letters.
    Failed,
}

impl JobResult {
    fn label(self) -> &'static str {
        match self {
            JobResult::Sent => "sent",
            JobResult::Skipped => "skipped",
            JobResult::Deferred => "deferred",
            JobResult::Retry => "retry",
            JobResult::Failed => "failed",
        }
    }
}

impl Notifier {
    /// The bus handler.
    pub async fn handle(&self, delivery: Delivery) -> anyhow::Result<Outcome> {
        let started = Instant::now();
        let attempt = delivery.attempt();
        let result = match &delivery.message {
            Message::SendNotificationV1(job) => self.process(job, attempt).await,
            other => {
                tracing::warn!(?other, "not a notification job, dead-lettering it");
                Ok((JobResult::Failed, Outcome::Reject))
            }
        };
        let label = match &result {
            Ok((r, _)) => r.label(),
            Err(_) => "error",
        };
        metrics::counter!("pricewatch_jobs_total", "job" => JOB, "outcome" => label).increment(1);
        metrics::histogram!("pricewatch_job_duration_seconds", "job" => JOB)
            .record(started.elapsed().as_secs_f64());
        result.map(|(_, outcome)| outcome)
    }

    async fn process(
        &self,
        job: &SendNotification,
        attempt: u32,
    ) -> anyhow::Result<(JobResult, Outcome)> {
        let id = job.notification_id;
        let mut conn = self.db.get().await.context("no database connection")?;
        let stale = chrono::Duration::from_std(STALE_CLAIM).unwrap_or(chrono::Duration::MAX);
        let claim = notifications::claim_for_sending(
            &mut conn,
            id,
            i64::from(self.emails_per_user_per_hour),
            stale,
        )
        .await
        .context("cannot claim the notification")?;
        match claim {
            Claim::Claimed { attempts } => {
                tracing::debug!(notification_id = %id, attempts, "claimed");
            }
            Claim::Missing => {
                tracing::warn!(notification_id = %id, "notification not found (deleted?), dropping the job");
                return Ok((JobResult::Skipped, Outcome::Ack));
            }
            Claim::AlreadySent => {
                tracing::info!(notification_id = %id, "already sent, not sending again");
                return Ok((JobResult::Skipped, Outcome::Ack));
            }
            Claim::HandedOver { at } => {
                tracing::warn!(notification_id = %id, handed_over_at = %at, "the sender that died had handed this email to the SMTP server: recorded as sent, not sending again");
                metrics::counter!("pricewatch_emails_total", "outcome" => "sent").increment(1);
                return Ok((JobResult::Skipped, Outcome::Ack));
            }
            Claim::InFlight { since } => {
                // Look again soon (a job whose sender died comes back here at
                // once): in short steps, so a dead sender's claim is taken over
                // shortly after it goes stale, without using up attempts.
                let delay = until(since + stale).clamp(Duration::from_secs(1), IN_FLIGHT_RECHECK);
                tracing::info!(notification_id = %id, ?delay, "another sender holds the claim, checking later");
                return self.defer(&mut conn, job, delay).await;
            }
            Claim::CapReached { until: free_at } => {
                let delay = until(free_at).clamp(Duration::from_secs(1), MAX_CAP_DELAY);
                tracing::info!(notification_id = %id, ?delay, cap = self.emails_per_user_per_hour, "user's hourly email cap reached, deferring");
                return self.defer(&mut conn, job, delay).await;
            }
        }
        let Some(details) = notifications::email_details(&mut conn, id)
            .await
            .context("cannot load the notification")?
        else {
            return Ok((JobResult::Skipped, Outcome::Ack));
        };
        let history = History::for_email(&mut conn, &details).await;
        let (sent, conn) = match self.mailer.compose(&details, history.as_ref()) {
            Ok(message) => {
                // The connection stays with this job during the SMTP
                // conversation: recording the hand-over must not wait for the pool.
                let (handed_over, signal) = oneshot::channel();
                let record_hand_over = async {
                    if signal.await.is_ok()
                        && let Err(e) = notifications::mark_handed_over(&mut conn, id).await
                    {
                        tracing::warn!(notification_id = %id, error = %e, "cannot record that the email was handed over");
                    }
                };
                // The SMTP exchange's future is large (lettre's TLS state): on the heap.
                let send = Box::pin(self.mailer.send(&message, handed_over));
                let sent = send_then_record(send, record_hand_over).await;
                (sent, conn)
            }
            Err(e) => (Err(e), conn),
        };
        drop(conn);

        match sent {
            Ok(()) => {
                self.record_sent(id, None).await?;
                metrics::counter!("pricewatch_emails_total", "outcome" => "sent").increment(1);
                tracing::info!(notification_id = %id, attempt, "alert email sent");
                Ok((JobResult::Sent, Outcome::Ack))
            }
            Err(SendError::Unconfirmed(e)) => {
                // Sending again would most likely be a second email.
                let note = redact(&SendError::Unconfirmed(e).to_string(), &details.email);
                self.record_sent(id, Some(&note)).await?;
                metrics::counter!("pricewatch_emails_total", "outcome" => "unconfirmed")
                    .increment(1);
                tracing::warn!(notification_id = %id, attempt, reason = %note, "alert email handed over without a confirmation: recorded as sent, not sending again");
                Ok((JobResult::Sent, Outcome::Ack))
            }
            Err(error) => {
                let max = self.bus.topology().max_attempts;
                let give_up = matches!(error, SendError::Permanent(_)) || attempt >= max;
                // SMTP answers may quote the address: it never reaches the logs.
                let reason = redact(&error.to_string(), &details.email);
                let mut conn = self.db.get().await.context("no database connection")?;
                notifications::release_after_failure(&mut conn, id, &reason, give_up)
                    .await
                    .context("cannot record the failure")?;
                if give_up {
                    metrics::counter!("pricewatch_emails_total", "outcome" => "failed")
                        .increment(1);
                    // A failed job is an error: it reaches Sentry (as an event, scrubbed).
                    tracing::error!(notification_id = %id, attempt, error = %reason, "alert email failed for good");
                    Ok((JobResult::Failed, Outcome::Reject))
                } else {
                    let delay = self.backoff(attempt);
                    tracing::warn!(notification_id = %id, attempt, ?delay, error = %reason, "alert email failed, retrying later");
                    Ok((JobResult::Retry, Outcome::Retry { delay }))
                }
            }
        }
    }

    /// The server accepted the email: record it, trying hard, since a row left
    /// 'sending' would be sent again once its claim goes stale.
    async fn record_sent(&self, id: Uuid, note: Option<&str>) -> anyhow::Result<()> {
        let mut pause = Duration::from_millis(200);
        let mut last_error = None;
        for _ in 0..8 {
            let result = match self.db.get().await {
                Ok(mut conn) => notifications::mark_sent(&mut conn, id, note)
                    .await
                    .map_err(anyhow::Error::from),
                Err(e) => Err(anyhow::Error::from(e)),
            };
            match result {
                Ok(true) => return Ok(()),
                Ok(false) => {
                    tracing::warn!(notification_id = %id, "sent, but the row was no longer 'sending'");
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(notification_id = %id, error = %e, "cannot mark the notification sent yet");
                    last_error = Some(e);
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
        Err(last_error
            .unwrap_or_else(|| anyhow::anyhow!("cannot mark sent"))
            .context("email sent but not recorded"))
    }

    /// Puts the job back for later without using up one of its attempts
    /// (waiting for the cap or for another sender is not a failure): the retry copy carries the same
    /// attempt number, then this delivery is acked.
    async fn defer(
        &self,
        conn: &mut AsyncPgConnection,
        job: &SendNotification,
        delay: Duration,
    ) -> anyhow::Result<(JobResult, Outcome)> {
        let same = Message::SendNotificationV1(SendNotification {
            notification_id: job.notification_id,
            // publish_retry adds one.
            attempt: job.attempt.saturating_sub(1),
        });
        match self.bus.publish_retry(&same, delay).await {
            Ok(_) => {
                // The outbox relay takes an unfinished notification without a
                // recent publish for one whose message was lost.
                if let Err(error) =
                    notifications::mark_republished(conn, &[job.notification_id]).await
                {
                    tracing::debug!(%error, "deferred job's publish time not recorded");
                }
                Ok((JobResult::Deferred, Outcome::Ack))
            }
            Err(error) => {
                tracing::warn!(%error, "cannot schedule the deferred job, retrying it the usual way");
                Ok((JobResult::Deferred, Outcome::Retry { delay }))
            }
        }
    }

    /// 5 s, 30 s, 300 s… : the topology's retry delays by attempt.
    fn backoff(&self, attempt: u32) -> Duration {
        let delays = &self.bus.topology().send_notification.retry_queues;
        let index = usize::try_from(attempt).unwrap_or(usize::MAX);
        delays
            .get(index)
            .or_else(|| delays.last())
            .map_or(Duration::from_secs(5), |r| r.delay)
    }
}

/// Runs both futures to completion, always polling `send` first: the poll in
/// which `send` writes the final "." (and fires the signal) goes straight on
/// to `record`, which then puts its UPDATE on the wire in the same poll — no
/// other task, no timer in between, so the window where a kill leaves an
/// email at the server but no mark on the row is a few microseconds of CPU.
async fn send_then_record<S, R>(send: S, record: R) -> S::Output
where
    S: Future,
    R: Future<Output = ()>,
{
    let mut send = std::pin::pin!(send);
    let mut record = std::pin::pin!(record);
    let mut sent = None;
    let mut recorded = false;
    std::future::poll_fn(|cx| {
        if sent.is_none()
            && let Poll::Ready(result) = send.as_mut().poll(cx)
        {
            sent = Some(result);
        }
        if !recorded && record.as_mut().poll(cx).is_ready() {
            recorded = true;
        }
        if recorded && let Some(result) = sent.take() {
            return Poll::Ready(result);
        }
        Poll::Pending
    })
    .await
}

fn until(at: chrono::DateTime<Utc>) -> Duration {
    (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)
}

/// `text` with every occurrence of `secret` (ASCII case-insensitive) replaced.
fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let haystack = text.to_ascii_lowercase();
    let needle = secret.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    // ASCII lowercasing keeps byte offsets, so they index `text` as well.
    for (start, _) in haystack.match_indices(&needle) {
        if start < rest {
            continue;
        }
        out.push_str(text.get(rest..start).unwrap_or_default());
        out.push_str("<recipient>");
        rest = start + needle.len();
    }
    out.push_str(text.get(rest..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn the_recipient_is_redacted_from_errors() {
        assert_eq!(
            redact(
                "550 <Bob@Example.test>: no such user bob@example.test",
                "bob@example.test"
            ),
            "550 <<recipient>>: no such user <recipient>"
        );
        assert_eq!(redact("timed out", "bob@example.test"), "timed out");
    }
}
