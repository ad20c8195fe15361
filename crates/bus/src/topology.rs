//! Every exchange and queue name, derived from one prefix, and their idempotent
//! declaration.
//!
//! ```text
//! {prefix}.jobs (direct) ──{queue name}──▶ {prefix}.check_price        (quorum, delivery limit)
//!                                          {prefix}.send_notification  (quorum, delivery limit)
//!    rejected / over the delivery limit ──▶ {prefix}.dlx ──▶ {queue}.dlq (quorum)
//! default exchange ──▶ {queue}.retry.{5s,30s,300s} (quorum, message TTL)
//!    expired ──▶ {prefix}.jobs ──▶ {queue}
//! ```
//!
//! Work queues dead-letter "at least once" (RabbitMQ ≥ 3.10): a message leaves the
//! source queue only after the dead-letter queue has confirmed it.

use std::time::Duration;

use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions},
    types::{AMQPValue, FieldTable},
};
use pricewatch_domain::messages::Message;

/// The environment variable services read the prefix from.
pub const PREFIX_ENV: &str = "QUEUE_PREFIX";
pub const DEFAULT_PREFIX: &str = "pricewatch";
/// Deliveries (first one included) before the broker dead-letters a message that
/// keeps being requeued: the guard against poison messages that crash handlers.
pub const DEFAULT_DELIVERY_LIMIT: u32 = 5;
/// Delayed retries a job gets before it goes to the dead-letter queue.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
pub const DEFAULT_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(300),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    pub prefix: String,
    /// Direct exchange every job is published to, routed by work-queue name.
    pub jobs_exchange: String,
    /// Direct exchange the work queues dead-letter to, routed by DLQ name.
    pub dead_letter_exchange: String,
    pub check_price: WorkQueue,
    pub send_notification: WorkQueue,
    pub delivery_limit: u32,
    pub max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkQueue {
    pub name: String,
    pub dead_letter_queue: String,
    /// Shortest delay first.
    pub retry_queues: Vec<RetryQueue>,
}

/// A queue nobody consumes: messages wait `delay` and then dead-letter back to
/// their work queue. One queue per delay keeps expiry in FIFO order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryQueue {
    pub name: String,
    pub delay: Duration,
}

impl Default for Topology {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX)
    }
}

impl Topology {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            jobs_exchange: format!("{prefix}.jobs"),
            dead_letter_exchange: format!("{prefix}.dlx"),
            check_price: WorkQueue::new(&format!("{prefix}.check_price"), &DEFAULT_RETRY_DELAYS),
            send_notification: WorkQueue::new(
                &format!("{prefix}.send_notification"),
                &DEFAULT_RETRY_DELAYS,
            ),
            delivery_limit: DEFAULT_DELIVERY_LIMIT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Replaces the retry delays of every work queue (tests use short ones).
    /// Changing them on a live broker declares new retry queues; old ones stay.
    pub fn with_retry_delays(mut self, delays: &[Duration]) -> Self {
        self.check_price = WorkQueue::new(&self.check_price.name, delays);
        self.send_notification = WorkQueue::new(&self.send_notification.name, delays);
        self
    }

    /// The delivery limit is a queue argument: changing it for an existing queue
    /// makes the declaration fail (PRECONDITION_FAILED) until the queue is deleted.
    pub fn with_delivery_limit(mut self, limit: u32) -> Self {
        self.delivery_limit = limit;
        self
    }

    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    pub fn work_queues(&self) -> [&WorkQueue; 2] {
        [&self.check_price, &self.send_notification]
    }

    /// The work queue a message is published to.
    pub fn queue_for(&self, message: &Message) -> &WorkQueue {
        match message {
            Message::CheckPriceV1(_) => &self.check_price,
            Message::SendNotificationV1(_) => &self.send_notification,
        }
    }

    /// Every queue name, work queues first.
    pub fn queue_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.work_queues().iter().map(|q| q.name.as_str()).collect();
        for queue in self.work_queues() {
            names.push(&queue.dead_letter_queue);
            names.extend(queue.retry_queues.iter().map(|r| r.name.as_str()));
        }
        names
    }
}

impl WorkQueue {
    fn new(name: &str, retry_delays: &[Duration]) -> Self {
        let mut delays = retry_delays.to_vec();
        delays.sort();
        delays.dedup();
        Self {
            name: name.to_owned(),
            dead_letter_queue: format!("{name}.dlq"),
            retry_queues: delays
                .into_iter()
                .map(|delay| RetryQueue {
                    name: format!("{name}.retry.{}", delay_label(delay)),
                    delay,
                })
                .collect(),
        }
    }

    /// The retry queue for `delay`: the shortest one that waits at least that long,
    /// else the longest one.
    pub fn retry_queue_for(&self, delay: Duration) -> Option<&RetryQueue> {
        self.retry_queues
            .iter()
            .find(|r| r.delay >= delay)
            .or_else(|| self.retry_queues.last())
    }
}

fn delay_label(delay: Duration) -> String {
    if delay.subsec_millis() == 0 && delay.as_secs() > 0 {
        format!("{}s", delay.as_secs())
    } else {
        format!("{}ms", delay.as_millis())
    }
}

fn millis_arg(delay: Duration) -> AMQPValue {
    AMQPValue::LongLongInt(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX))
}

fn quorum_args() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    args
}

fn durable() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

/// Declares every exchange, queue and binding. Idempotent: each service calls it
/// on every (re)connection. Fails if a queue exists with other arguments.
pub async fn declare(channel: &Channel, topology: &Topology) -> Result<(), lapin::Error> {
    let exchange_options = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for exchange in [&topology.jobs_exchange, &topology.dead_letter_exchange] {
        channel
            .exchange_declare(
                exchange.as_str().into(),
                ExchangeKind::Direct,
                exchange_options,
                FieldTable::default(),
            )
            .await?;
    }

    for queue in topology.work_queues() {
        channel
            .queue_declare(
                queue.dead_letter_queue.as_str().into(),
                durable(),
                quorum_args(),
            )
            .await?;
        bind(
            channel,
            &queue.dead_letter_queue,
            &topology.dead_letter_exchange,
        )
        .await?;

        let mut args = quorum_args();
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongInt(i32::try_from(topology.delivery_limit).unwrap_or(i32::MAX)),
        );
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(topology.dead_letter_exchange.as_str().into()),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(queue.dead_letter_queue.as_str().into()),
        );
        args.insert(
            "x-dead-letter-strategy".into(),
            AMQPValue::LongString("at-least-once".into()),
        );
        // at-least-once dead-lettering requires this overflow mode.
        args.insert(
            "x-overflow".into(),
            AMQPValue::LongString("reject-publish".into()),
        );
        channel
            .queue_declare(queue.name.as_str().into(), durable(), args)
            .await?;
        bind(channel, &queue.name, &topology.jobs_exchange).await?;

        for retry in &queue.retry_queues {
            let mut args = quorum_args();
            args.insert("x-message-ttl".into(), millis_arg(retry.delay));
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(topology.jobs_exchange.as_str().into()),
            );
            args.insert(
                "x-dead-letter-routing-key".into(),
                AMQPValue::LongString(queue.name.as_str().into()),
            );
            args.insert(
                "x-dead-letter-strategy".into(),
                AMQPValue::LongString("at-least-once".into()),
            );
            args.insert(
                "x-overflow".into(),
                AMQPValue::LongString("reject-publish".into()),
            );
            channel
                .queue_declare(retry.name.as_str().into(), durable(), args)
                .await?;
        }
    }
    Ok(())
}

async fn bind(channel: &Channel, queue: &str, exchange: &str) -> Result<(), lapin::Error> {
    channel
        .queue_bind(
            queue.into(),
            exchange.into(),
            queue.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
}

/// Deletes every queue and exchange of the topology, messages included. For tests
/// and for operators retiring a prefix; never called by a service.
pub async fn delete(channel: &Channel, topology: &Topology) -> Result<(), lapin::Error> {
    for queue in topology.queue_names() {
        channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await?;
    }
    for exchange in [&topology.jobs_exchange, &topology.dead_letter_exchange] {
        channel
            .exchange_delete(exchange.as_str().into(), Default::default())
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_prefix() {
        let t = Topology::new("pw");
        assert_eq!(t.jobs_exchange, "pw.jobs");
        assert_eq!(t.check_price.name, "pw.check_price");
        assert_eq!(t.check_price.dead_letter_queue, "pw.check_price.dlq");
        assert_eq!(t.send_notification.name, "pw.send_notification");
        let retry: Vec<&str> = t
            .check_price
            .retry_queues
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(
            retry,
            [
                "pw.check_price.retry.5s",
                "pw.check_price.retry.30s",
                "pw.check_price.retry.300s"
            ]
        );
        assert_eq!(t.queue_names().len(), 10);
        assert_eq!(Topology::default().prefix, "pricewatch");
    }

    #[test]
    fn retry_queue_is_the_shortest_that_waits_long_enough() {
        let q = Topology::new("pw").check_price;
        let pick = |secs| {
            q.retry_queue_for(Duration::from_secs(secs))
                .map(|r| r.delay)
        };
        assert_eq!(pick(0), Some(Duration::from_secs(5)));
        assert_eq!(pick(5), Some(Duration::from_secs(5)));
        assert_eq!(pick(6), Some(Duration::from_secs(30)));
        assert_eq!(pick(3600), Some(Duration::from_secs(300)));
    }

    #[test]
    fn sub_second_delays_get_readable_names() {
        let t = Topology::new("pw").with_retry_delays(&[Duration::from_millis(1500)]);
        assert_eq!(
            t.check_price.retry_queues[0].name,
            "pw.check_price.retry.1500ms"
        );
    }
}
