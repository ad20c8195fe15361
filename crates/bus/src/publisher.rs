//! Confirmed publishing: persistent JSON messages on the confirm-mode channel of
//! the current connection, routed by the topology.

use std::{
    borrow::Borrow,
    collections::VecDeque,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use futures_util::future::try_join_all;
use lapin::{
    BasicProperties, Confirmation, PublisherConfirm, options::BasicPublishOptions,
    types::ShortString,
};
use pricewatch_domain::messages::Message;
use tokio::time::Instant;
use tracing::warn;
use uuid::Uuid;

use crate::{
    connection::{Bus, Link},
    error::{BusError, deadline},
};

/// Publishes handed to lapin at once (under the channel's send lock) in `publish_many`.
const SEND_CHUNK: usize = 256;

/// Where one message goes: an exchange and a routing key.
#[derive(Clone)]
struct Route<'a> {
    exchange: &'a str,
    routing_key: &'a str,
}

/// One message ready for the wire.
struct Outgoing<'a> {
    route: Route<'a>,
    payload: Vec<u8>,
    properties: BasicProperties,
}

impl<'a> Outgoing<'a> {
    fn new(message: &Message, route: Route<'a>) -> Self {
        Self {
            route,
            payload: message.to_json(),
            properties: properties(message),
        }
    }
}

impl Bus {
    /// Publishes one message and waits for the broker's confirm. If the connection
    /// drops meanwhile it publishes again on the next one, until
    /// `operation_timeout` has passed; consumers are idempotent, so a duplicate
    /// is harmless and a loss is not.
    pub async fn publish(&self, message: &Message) -> Result<(), BusError> {
        let queue = self.topology().queue_for(message);
        let route = Route {
            exchange: &self.topology().jobs_exchange,
            routing_key: &queue.name,
        };
        self.publish_with_retries(message, &route).await
    }

    /// Publishes a retry of `message` (attempt + 1) to the retry queue of its
    /// work queue whose delay is the shortest at least `delay` (else the longest);
    /// it comes back on the work queue when the delay has passed. Returns the
    /// delay used.
    pub async fn publish_retry(
        &self,
        message: &Message,
        delay: Duration,
    ) -> Result<Duration, BusError> {
        let queue = self.topology().queue_for(message);
        let retry = queue
            .retry_queue_for(delay)
            .ok_or_else(|| BusError::NoRetryQueue {
                queue: queue.name.clone(),
            })?;
        let next = with_attempt(message, attempt(message).saturating_add(1));
        let route = Route {
            exchange: "",
            routing_key: &retry.name,
        };
        self.publish_with_retries(&next, &route).await?;
        Ok(retry.delay)
    }

    /// Publishes a batch with up to `confirm_window` confirms in flight, then
    /// waits for the rest. Returns how many were confirmed, or an error if any
    /// was nacked or unroutable or the connection failed (then some may have been
    /// published: publish the batch again; job ids make that safe). Each publish
    /// and each confirm has `operation_timeout`, so a large batch is bounded by
    /// progress, not by a total.
    pub async fn publish_many<I>(&self, messages: I) -> Result<usize, BusError>
    where
        I: IntoIterator,
        I::Item: Borrow<Message>,
    {
        let config = self.config();
        let link = self.link(config.operation_timeout).await?;
        let mut batch = Batch::default();
        let result = self.publish_batch(&link, messages, &mut batch).await;
        if result.as_ref().is_err_and(BusError::is_connection_error) {
            self.report_failure();
        }
        result?;
        batch.into_result()
    }

    async fn publish_batch<I>(
        &self,
        link: &Link,
        messages: I,
        batch: &mut Batch,
    ) -> Result<(), BusError>
    where
        I: IntoIterator,
        I::Item: Borrow<Message>,
    {
        let window = self.config().confirm_window.max(1);
        let chunk_size = window.min(SEND_CHUNK);
        let topology = self.topology();
        let mut pending: VecDeque<PublisherConfirm> = VecDeque::with_capacity(window + chunk_size);
        let mut chunk: Vec<Outgoing<'_>> = Vec::with_capacity(chunk_size);
        let mut messages = messages.into_iter().peekable();
        while messages.peek().is_some() {
            chunk.clear();
            chunk.extend(messages.by_ref().take(chunk_size).map(|message| {
                let message = message.borrow();
                Outgoing::new(
                    message,
                    Route {
                        exchange: &topology.jobs_exchange,
                        routing_key: &topology.queue_for(message).name,
                    },
                )
            }));
            pending.extend(self.send(link, &chunk).await?);
            while pending.len() > window
                && let Some(confirm) = pending.pop_front()
            {
                batch.record(self.confirmed(confirm).await?);
            }
        }
        while let Some(confirm) = pending.pop_front() {
            batch.record(self.confirmed(confirm).await?);
        }
        Ok(())
    }

    async fn publish_with_retries(
        &self,
        message: &Message,
        route: &Route<'_>,
    ) -> Result<(), BusError> {
        let timeout = self.config().operation_timeout;
        let give_up = Instant::now() + timeout;
        loop {
            let left = give_up.saturating_duration_since(Instant::now());
            let attempt = async {
                let link = self.link(left).await?;
                let outgoing = [Outgoing::new(message, route.clone())];
                let mut batch = Batch::default();
                for confirm in self.send(&link, &outgoing).await? {
                    batch.record(self.confirmed(confirm).await?);
                }
                batch.into_result().map(drop)
            };
            match attempt.await {
                Ok(()) => return Ok(()),
                Err(error)
                    if error.is_connection_error()
                        && Instant::now() < give_up
                        && !self.is_closed() =>
                {
                    warn!(%error, "publish failed, trying again on a fresh connection");
                    self.report_failure();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => {
                    if error.is_connection_error() {
                        self.report_failure();
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Hands messages to the connection, pipelined; resolves once they are
    /// written, not confirmed. lapin numbers a publish for its confirm and queues
    /// its frames in two steps, so two tasks publishing on one channel at once
    /// could get each other's confirms: the lock makes this task the only one,
    /// and within it each publish takes both steps in a single poll.
    async fn send(
        &self,
        link: &Link,
        outgoing: &[Outgoing<'_>],
    ) -> Result<Vec<PublisherConfirm>, BusError> {
        let timeout = self.config().operation_timeout;
        let _only_sender = tokio::time::timeout(timeout, link.send_lock.lock())
            .await
            .map_err(|_| BusError::Timeout {
                operation: "basic.publish (waiting for the channel)",
                after: timeout,
            })?;
        let sends = outgoing.iter().map(|out| {
            link.publisher.basic_publish(
                out.route.exchange.into(),
                out.route.routing_key.into(),
                // Mandatory: a message no queue takes comes back instead of vanishing.
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &out.payload,
                out.properties.clone(),
            )
        });
        deadline("basic.publish", timeout, try_join_all(sends)).await
    }

    async fn confirmed(&self, confirm: PublisherConfirm) -> Result<Confirmation, BusError> {
        deadline(
            "publisher confirm",
            self.config().operation_timeout,
            confirm,
        )
        .await
    }
}

#[derive(Default)]
struct Batch {
    total: usize,
    nacked: usize,
    unroutable: usize,
}

impl Batch {
    fn record(&mut self, confirmation: Confirmation) {
        self.total += 1;
        match confirmation {
            Confirmation::Ack(None) => {}
            Confirmation::Ack(Some(_)) => self.unroutable += 1,
            // Confirms are always requested on this channel; treat anything else as refused.
            Confirmation::Nack(_) | Confirmation::NotRequested => self.nacked += 1,
        }
    }

    fn into_result(self) -> Result<usize, BusError> {
        if self.nacked > 0 {
            Err(BusError::Nacked {
                nacked: self.nacked,
                total: self.total,
            })
        } else if self.unroutable > 0 {
            Err(BusError::Unroutable {
                unroutable: self.unroutable,
                total: self.total,
            })
        } else {
            Ok(self.total)
        }
    }
}

/// Persistent JSON, with the job id as message id so the broker, logs and
/// consumers can tell duplicates apart.
fn properties(message: &Message) -> BasicProperties {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(ShortString::from(job_id(message).to_string()))
        .with_type(kind(message).into())
        .with_timestamp(timestamp)
}

/// The id a consumer deduplicates on.
pub fn job_id(message: &Message) -> Uuid {
    match message {
        Message::CheckPriceV1(m) => m.job_id,
        Message::SendNotificationV1(m) => m.notification_id,
    }
}

/// 0 for a first try; each delayed retry adds one.
pub fn attempt(message: &Message) -> u32 {
    match message {
        Message::CheckPriceV1(m) => m.attempt,
        Message::SendNotificationV1(m) => m.attempt,
    }
}

fn with_attempt(message: &Message, attempt: u32) -> Message {
    let mut next = message.clone();
    match &mut next {
        Message::CheckPriceV1(m) => m.attempt = attempt,
        Message::SendNotificationV1(m) => m.attempt = attempt,
    }
    next
}

fn kind(message: &Message) -> &'static str {
    match message {
        Message::CheckPriceV1(_) => "check_price.v1",
        Message::SendNotificationV1(_) => "send_notification.v1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pricewatch_domain::messages::SendNotification;

    #[test]
    fn messages_are_persistent_json_with_the_job_id() {
        let id = Uuid::new_v4();
        let message = Message::SendNotificationV1(SendNotification {
            notification_id: id,
            attempt: 2,
        });
        let props = properties(&message);
        assert_eq!(*props.delivery_mode(), Some(2));
        assert_eq!(
            props.content_type().as_ref().map(|c| c.as_str()),
            Some("application/json")
        );
        assert_eq!(
            props.message_id().as_ref().map(|m| m.to_string()),
            Some(id.to_string())
        );
        assert_eq!(attempt(&with_attempt(&message, 3)), 3);
        assert_eq!(job_id(&with_attempt(&message, 3)), id);
    }

    #[test]
    fn the_type_property_is_the_json_version_tag() {
        let message = Message::SendNotificationV1(SendNotification {
            notification_id: Uuid::nil(),
            attempt: 0,
        });
        let json: serde_json::Value = serde_json::from_slice(&message.to_json()).unwrap();
        assert_eq!(json["type"], kind(&message));
    }

    #[test]
    fn a_batch_with_a_nack_is_an_error() {
        let mut batch = Batch::default();
        batch.record(Confirmation::Ack(None));
        batch.record(Confirmation::Nack(None));
        assert!(matches!(
            batch.into_result(),
            Err(BusError::Nacked {
                nacked: 1,
                total: 2
            })
        ));
        let mut batch = Batch::default();
        batch.record(Confirmation::Ack(None));
        assert_eq!(batch.into_result().ok(), Some(1));
    }
}
