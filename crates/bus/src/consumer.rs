//! Supervised consuming: prefetch, manual acks after the handler's decision,
//! bounded concurrency, resumption after reconnects, graceful stop.

use std::{any::Any, panic::AssertUnwindSafe, sync::Arc, time::Duration};

use futures_util::{FutureExt, StreamExt};
use lapin::{
    Channel, Consumer,
    message::Delivery as AmqpDelivery,
    options::{
        BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
        BasicQosOptions, BasicRejectOptions,
    },
    types::{AMQPValue, FieldTable},
};
use pricewatch_domain::messages::Message;
use tokio::{sync::Semaphore, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::{
    connection::{Bus, Link},
    error::{BusError, deadline},
    publisher::{attempt, job_id},
    topology::{self, WorkQueue},
};

/// What to do with a delivery once the handler is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (its effect is committed): ack.
    Ack,
    /// Try again later. `delay` zero requeues at once (counts against the queue's
    /// delivery limit); otherwise the message goes through a retry queue with its
    /// attempt count + 1, and to the dead-letter queue once the topology's
    /// `max_attempts` is used up.
    Retry { delay: Duration },
    /// Never going to work (bad input, permanent failure): to the dead-letter queue.
    Reject,
}

/// One job handed to a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message: Message,
    /// The broker delivered it before without an ack (a consumer died or requeued).
    pub redelivered: bool,
    /// Earlier deliveries of this very message, from the quorum queue's
    /// `x-delivery-count` header (delayed retries are new messages: see `attempt`).
    pub delivery_count: u32,
}

impl Delivery {
    /// 0 for a first try; each delayed retry adds one.
    pub fn attempt(&self) -> u32 {
        attempt(&self.message)
    }
}

/// Why one consuming session ended.
enum SessionEnd {
    Shutdown,
    Lost(BusError),
}

impl Bus {
    /// Consumes `queue` until `shutdown` is cancelled, calling `handler` for each
    /// delivery, at most `prefetch` at a time. Acks only on `Ok(Outcome::Ack)`;
    /// a handler error or panic counts as a retry with the queue's shortest
    /// delay. Messages that do not parse go to the dead-letter queue.
    ///
    /// Survives connection loss: it waits for the supervisor's next connection
    /// and consumes again (handlers still running from the lost session finish
    /// first; their messages come back, so handlers must be idempotent).
    ///
    /// On shutdown it cancels the subscription, waits for every running handler
    /// and settles its delivery, then returns. Handlers must bound their own run
    /// time. Returns an error only if the bus was closed before `shutdown`.
    pub async fn consume<H, Fut>(
        &self,
        queue: &WorkQueue,
        prefetch: u16,
        shutdown: CancellationToken,
        handler: H,
    ) -> Result<(), BusError>
    where
        H: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Outcome>> + Send + 'static,
    {
        let prefetch = prefetch.max(1);
        let worker = Arc::new(Worker {
            bus: self.clone(),
            queue: queue.clone(),
            handler,
        });
        let slots = Arc::new(Semaphore::new(usize::from(prefetch)));
        let mut running = JoinSet::new();
        let mut failures: u32 = 0;
        loop {
            let link = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                link = self.link(Duration::MAX) => link,
            };
            let link = match link {
                Ok(link) => link,
                Err(error) => {
                    return if shutdown.is_cancelled() {
                        Ok(())
                    } else {
                        Err(error)
                    };
                }
            };
            let end =
                consume_session(&worker, &link, prefetch, &slots, &mut running, &shutdown).await;
            // Whatever ended the session, let the handlers it started finish before
            // subscribing again, so a redelivered message never runs twice at once.
            while let Some(joined) = running.join_next().await {
                log_panic(joined);
            }
            match end {
                SessionEnd::Shutdown => {
                    info!(queue = %queue.name, "consumer stopped");
                    return Ok(());
                }
                SessionEnd::Lost(error) => {
                    failures = failures.saturating_add(1);
                    warn!(queue = %queue.name, %error, "consumer lost its channel, resubscribing");
                    self.report_failure();
                    // A short pause, longer if it keeps failing on a healthy-looking link.
                    let pause = Duration::from_millis(100)
                        .saturating_mul(failures.min(50))
                        .min(Duration::from_secs(5));
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = tokio::time::sleep(pause) => {}
                    }
                }
            }
            if link.generation != self.connection_count() {
                failures = 0;
            }
        }
    }
}

struct Worker<H> {
    bus: Bus,
    queue: WorkQueue,
    handler: H,
}

async fn consume_session<H, Fut>(
    worker: &Arc<Worker<H>>,
    link: &Link,
    prefetch: u16,
    slots: &Arc<Semaphore>,
    running: &mut JoinSet<()>,
    shutdown: &CancellationToken,
) -> SessionEnd
where
    H: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Outcome>> + Send + 'static,
{
    let (channel, mut consumer) = match subscribe(&worker.bus, link, &worker.queue, prefetch).await
    {
        Ok(subscribed) => subscribed,
        Err(error) => return SessionEnd::Lost(error),
    };
    info!(queue = %worker.queue.name, prefetch, generation = link.generation, "consuming");
    let end = loop {
        let slot = tokio::select! {
            () = shutdown.cancelled() => break SessionEnd::Shutdown,
            slot = slots.clone().acquire_owned() => slot,
        };
        let Ok(slot) = slot else {
            break SessionEnd::Shutdown;
        };
        let next = tokio::select! {
            () = shutdown.cancelled() => break SessionEnd::Shutdown,
            next = consumer.next() => next,
        };
        match next {
            Some(Ok(delivery)) => {
                let worker = worker.clone();
                let in_flight = InFlight::start(&worker.queue.name);
                running.spawn(async move {
                    worker.settle(delivery).await;
                    drop(in_flight);
                    drop(slot);
                });
            }
            Some(Err(error)) => {
                break SessionEnd::Lost(BusError::Amqp {
                    operation: "consume",
                    source: error,
                });
            }
            None => {
                break SessionEnd::Lost(BusError::ConsumerCancelled {
                    queue: worker.queue.name.clone(),
                });
            }
        }
        while let Some(joined) = running.try_join_next() {
            log_panic(joined);
        }
    };
    if matches!(end, SessionEnd::Shutdown) {
        let timeout = worker.bus.config().operation_timeout;
        // Stop deliveries first; the channel stays open so running handlers can ack.
        let _ = deadline(
            "basic.cancel",
            timeout,
            channel.basic_cancel(consumer.tag(), BasicCancelOptions::default()),
        )
        .await;
        while let Some(joined) = running.join_next().await {
            log_panic(joined);
        }
        // Closing returns prefetched, never-started deliveries to the queue.
        let _ = deadline("channel.close", timeout, channel.close(200, "OK".into())).await;
    }
    end
}

async fn subscribe(
    bus: &Bus,
    link: &Link,
    queue: &WorkQueue,
    prefetch: u16,
) -> Result<(Channel, Consumer), BusError> {
    let timeout = bus.config().operation_timeout;
    let channel = deadline("channel.open", timeout, link.connection.create_channel()).await?;
    // Cheap when it exists; brings the queue back if someone deleted it.
    deadline(
        "declare topology",
        timeout,
        topology::declare(&channel, bus.topology()),
    )
    .await?;
    deadline(
        "basic.qos",
        timeout,
        channel.basic_qos(prefetch, BasicQosOptions { global: false }),
    )
    .await?;
    let consumer = deadline(
        "basic.consume",
        timeout,
        channel.basic_consume(
            queue.name.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        ),
    )
    .await?;
    Ok((channel, consumer))
}

impl<H, Fut> Worker<H>
where
    H: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Outcome>> + Send + 'static,
{
    /// Runs the handler on one delivery and acks, requeues, retries or rejects it.
    async fn settle(&self, delivery: AmqpDelivery) {
        let message = match Message::from_json(&delivery.data) {
            Ok(message) => message,
            Err(error) => {
                warn!(queue = %self.queue.name, %error, "unreadable message, dead-lettering it");
                self.reject(&delivery).await;
                return;
            }
        };
        let span = info_span!("job", queue = %self.queue.name, job_id = %job_id(&message), attempt = attempt(&message));
        async {
            let job = Delivery {
                message: message.clone(),
                redelivered: delivery.redelivered,
                delivery_count: delivery_count(&delivery),
            };
            let outcome = match AssertUnwindSafe((self.handler)(job)).catch_unwind().await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(error)) => {
                    error!(error = format!("{error:#}"), "job failed, retrying later");
                    self.default_retry()
                }
                Err(panic) => {
                    error!(
                        panic = panic_message(&panic),
                        "job handler panicked, retrying later"
                    );
                    self.default_retry()
                }
            };
            debug!(?outcome, "job handled");
            match outcome {
                Outcome::Ack => self.ack(&delivery).await,
                Outcome::Reject => self.reject(&delivery).await,
                Outcome::Retry { delay } if delay.is_zero() => self.requeue(&delivery).await,
                Outcome::Retry { delay } => self.retry_later(&delivery, &message, delay).await,
            }
        }
        .instrument(span)
        .await;
    }

    fn default_retry(&self) -> Outcome {
        let delay = self
            .queue
            .retry_queues
            .first()
            .map_or(Duration::ZERO, |r| r.delay);
        Outcome::Retry { delay }
    }

    async fn retry_later(&self, delivery: &AmqpDelivery, message: &Message, delay: Duration) {
        let max = self.bus.topology().max_attempts;
        if attempt(message) >= max {
            warn!(max_attempts = max, "out of attempts, dead-lettering");
            return self.reject(delivery).await;
        }
        // The retry is confirmed before the original is acked: a crash in between
        // duplicates the job, never loses it.
        match self.bus.publish_retry(message, delay).await {
            Ok(used) => {
                debug!(delay = ?used, "retry scheduled");
                self.ack(delivery).await;
            }
            Err(error) => {
                warn!(%error, "could not schedule the retry, requeueing");
                self.requeue(delivery).await;
            }
        }
    }

    async fn ack(&self, delivery: &AmqpDelivery) {
        self.acknowledge("basic.ack", delivery.ack(BasicAckOptions::default()))
            .await;
    }

    async fn requeue(&self, delivery: &AmqpDelivery) {
        let options = BasicNackOptions {
            requeue: true,
            ..BasicNackOptions::default()
        };
        self.acknowledge("basic.nack", delivery.nack(options)).await;
    }

    async fn reject(&self, delivery: &AmqpDelivery) {
        let options = BasicRejectOptions { requeue: false };
        self.acknowledge("basic.reject", delivery.reject(options))
            .await;
    }

    async fn acknowledge(
        &self,
        operation: &'static str,
        sent: impl Future<Output = Result<bool, lapin::Error>>,
    ) {
        // If the channel is gone the broker requeues the delivery by itself.
        match deadline(operation, self.bus.config().operation_timeout, sent).await {
            Ok(true) => {}
            Ok(false) => warn!(
                operation,
                "channel closed before settling; the message will be redelivered"
            ),
            Err(error) => warn!(%error, "could not settle; the message will be redelivered"),
        }
    }
}

fn delivery_count(delivery: &AmqpDelivery) -> u32 {
    let Some(headers) = delivery.properties.headers() else {
        return 0;
    };
    let Some(value) = headers.inner().get("x-delivery-count") else {
        return 0;
    };
    let count: i128 = match value {
        AMQPValue::LongLongInt(n) => i128::from(*n),
        AMQPValue::LongInt(n) => i128::from(*n),
        AMQPValue::LongUInt(n) => i128::from(*n),
        AMQPValue::ShortInt(n) => i128::from(*n),
        AMQPValue::ShortUInt(n) => i128::from(*n),
        _ => 0,
    };
    u32::try_from(count.max(0)).unwrap_or(u32::MAX)
}

fn log_panic(joined: Result<(), tokio::task::JoinError>) {
    if let Err(error) = joined
        && error.is_panic()
    {
        error!(%error, "a consumer task panicked while settling a delivery");
    }
}

fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// `pricewatch_jobs_in_flight{queue}`: deliveries being handled right now
/// (the queue's name without its prefix). Dropping the guard counts one out,
/// also when the handler panicked.
struct InFlight(metrics::Gauge);

impl InFlight {
    fn start(queue: &str) -> Self {
        let short = queue.rsplit('.').next().unwrap_or(queue).to_owned();
        let gauge = metrics::gauge!("pricewatch_jobs_in_flight", "queue" => short);
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}
