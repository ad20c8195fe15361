use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use pricewatch_bus::{CancellationToken, Delivery, Outcome};
use pricewatch_domain::messages::Message;
use tokio::sync::mpsc;

use crate::support::{
    TestBus, check_price, eventually, publish_raw, ready_messages, take_one, test_bus,
};

/// Runs a consumer on the check_price queue that reports every delivery it sees.
fn consume_with(
    bus: &TestBus,
    prefetch: u16,
    decide: impl Fn(&Delivery) -> Outcome + Send + Sync + 'static,
) -> (
    mpsc::UnboundedReceiver<Delivery>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let (seen, deliveries) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let queue = bus.topology().check_price.clone();
    let consumer = bus.bus.clone();
    let stop = shutdown.clone();
    let decide = Arc::new(decide);
    let task = tokio::spawn(async move {
        consumer
            .consume(&queue, prefetch, stop, move |delivery| {
                let seen = seen.clone();
                let decide = decide.clone();
                async move {
                    let outcome = decide(&delivery);
                    let _ = seen.send(delivery);
                    Ok(outcome)
                }
            })
            .await
            .expect("consumer ends cleanly");
    });
    (deliveries, shutdown, task)
}

async fn next(deliveries: &mut mpsc::UnboundedReceiver<Delivery>, within: Duration) -> Delivery {
    tokio::time::timeout(within, deliveries.recv())
        .await
        .expect("a delivery in time")
        .expect("consumer alive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_messages_leave_the_queue() {
    let bus = test_bus("ack", |t| t).await;
    let (mut deliveries, shutdown, task) = consume_with(&bus, 4, |_| Outcome::Ack);
    let queue = bus.topology().check_price.name.clone();
    let messages: Vec<Message> = (0..20).map(|_| check_price()).collect();
    bus.publish_many(&messages).await.unwrap();

    for _ in 0..20 {
        let delivery = next(&mut deliveries, Duration::from_secs(5)).await;
        assert!(messages.contains(&delivery.message));
        assert_eq!(delivery.attempt(), 0);
    }
    let depths = bus.queue_depths().await.unwrap();
    let work = depths.iter().find(|d| d.queue == queue).unwrap();
    assert_eq!(work.consumers, 1, "{depths:?}");
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(ready_messages(&bus, &queue).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_message_goes_to_the_dead_letter_queue() {
    let bus = test_bus("reject", |t| t).await;
    let (mut deliveries, shutdown, task) = consume_with(&bus, 1, |_| Outcome::Reject);
    let message = check_price();
    bus.publish(&message).await.unwrap();

    assert_eq!(
        next(&mut deliveries, Duration::from_secs(5)).await.message,
        message
    );
    let work = bus.topology().check_price.clone();
    let dead = take_one(&bus, &work.dead_letter_queue, Duration::from_secs(5))
        .await
        .expect("message in the DLQ");
    assert_eq!(Message::from_json(&dead.delivery.data).unwrap(), message);
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(ready_messages(&bus, &work.name).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_requeued_over_and_over_is_dead_lettered_at_the_delivery_limit() {
    let bus = test_bus("limit", |t| t.with_delivery_limit(3)).await;
    let (mut deliveries, shutdown, task) = consume_with(&bus, 1, |_| Outcome::Retry {
        delay: Duration::ZERO,
    });
    let message = check_price();
    bus.publish(&message).await.unwrap();

    let work = bus.topology().check_price.clone();
    let dead = take_one(&bus, &work.dead_letter_queue, Duration::from_secs(10))
        .await
        .expect("dead-lettered after the limit");
    assert_eq!(Message::from_json(&dead.delivery.data).unwrap(), message);

    let mut counts = Vec::new();
    while let Ok(delivery) = deliveries.try_recv() {
        assert!(delivery.redelivered || delivery.delivery_count == 0);
        counts.push(delivery.delivery_count);
    }
    // The first delivery plus one per allowed redelivery, then the DLQ.
    assert_eq!(counts, [0, 1, 2, 3], "x-delivery-count of each delivery");
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_comes_back_after_its_delay_with_the_next_attempt() {
    let delay = Duration::from_secs(1);
    let bus = test_bus("retry", |t| t.with_retry_delays(&[delay])).await;
    let (mut deliveries, shutdown, task) = consume_with(&bus, 2, |d| {
        if d.attempt() == 0 {
            Outcome::Retry {
                delay: Duration::from_millis(300),
            }
        } else {
            Outcome::Ack
        }
    });
    let message = check_price();
    bus.publish(&message).await.unwrap();

    let first = next(&mut deliveries, Duration::from_secs(5)).await;
    let first_seen = Instant::now();
    assert_eq!(first.attempt(), 0);
    let second = next(&mut deliveries, Duration::from_secs(10)).await;
    let waited = first_seen.elapsed();
    assert_eq!(second.attempt(), 1);
    assert!(
        waited >= delay - Duration::from_millis(100),
        "came back after {waited:?}"
    );
    let (Message::CheckPriceV1(a), Message::CheckPriceV1(b)) = (&first.message, &second.message)
    else {
        unreachable!()
    };
    assert_eq!(a.job_id, b.job_id, "same job");
    shutdown.cancel();
    task.await.unwrap();
    let work = bus.topology().check_price.clone();
    assert_eq!(ready_messages(&bus, &work.name).await, 0);
    assert_eq!(ready_messages(&bus, &work.retry_queues[0].name).await, 0);
    assert_eq!(ready_messages(&bus, &work.dead_letter_queue).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_end_in_the_dead_letter_queue_after_max_attempts() {
    let bus = test_bus("attempts", |t| {
        t.with_retry_delays(&[Duration::from_millis(200)])
            .with_max_attempts(2)
    })
    .await;
    let (mut deliveries, shutdown, task) = consume_with(&bus, 1, |_| Outcome::Retry {
        delay: Duration::from_secs(1),
    });
    let message = check_price();
    bus.publish(&message).await.unwrap();

    let work = bus.topology().check_price.clone();
    let dead = take_one(&bus, &work.dead_letter_queue, Duration::from_secs(10))
        .await
        .expect("dead-lettered after the last attempt");
    let dead = Message::from_json(&dead.delivery.data).unwrap();
    let mut attempts = Vec::new();
    while let Ok(delivery) = deliveries.try_recv() {
        attempts.push(delivery.attempt());
    }
    assert_eq!(attempts, [0, 1, 2]);
    assert_eq!(pricewatch_bus::publisher::attempt(&dead), 2);
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_errors_retry_later_and_unreadable_messages_are_dead_lettered() {
    let bus = test_bus("errors", |t| {
        t.with_retry_delays(&[Duration::from_millis(200)])
    })
    .await;
    let work = bus.topology().check_price.clone();
    let (seen, mut deliveries) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let consumer = bus.bus.clone();
    let (queue, stop) = (work.clone(), shutdown.clone());
    let task = tokio::spawn(async move {
        consumer
            .consume(&queue, 2, stop, move |delivery: Delivery| {
                let seen = seen.clone();
                async move {
                    let attempt = delivery.attempt();
                    let _ = seen.send(attempt);
                    match attempt {
                        0 => anyhow::bail!("database unavailable"),
                        1 => panic!("handler bug"),
                        _ => Ok(Outcome::Ack),
                    }
                }
            })
            .await
            .unwrap();
    });
    publish_raw(&bus, &work.name, b"{\"type\":\"check_price.v9\"}").await;
    let unreadable = take_one(&bus, &work.dead_letter_queue, Duration::from_secs(5))
        .await
        .expect("unreadable message dead-lettered");
    assert_eq!(unreadable.delivery.data, b"{\"type\":\"check_price.v9\"}");

    bus.publish(&check_price()).await.unwrap();
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let attempt = tokio::time::timeout(Duration::from_secs(5), deliveries.recv())
            .await
            .unwrap()
            .unwrap();
        attempts.push(attempt);
    }
    assert_eq!(
        attempts,
        [0, 1, 2],
        "an error and a panic each retried once"
    );
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_finishes_in_flight_work_and_never_exceeds_the_prefetch() {
    let bus = test_bus("stop", |t| t).await;
    let work = bus.topology().check_price.clone();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let shutdown = CancellationToken::new();
    let consumer = bus.bus.clone();
    let (queue, stop) = (work.clone(), shutdown.clone());
    let (r, m, f) = (running.clone(), most.clone(), finished.clone());
    let task = tokio::spawn(async move {
        consumer
            .consume(&queue, 3, stop, move |_| {
                let (running, most, finished) = (r.clone(), m.clone(), f.clone());
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    finished.fetch_add(1, Ordering::SeqCst);
                    Ok(Outcome::Ack)
                }
            })
            .await
            .unwrap();
    });
    let messages: Vec<Message> = (0..12).map(|_| check_price()).collect();
    bus.publish_many(&messages).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || running.load(Ordering::SeqCst)
            == 3)
        .await
    );

    let stopping = Instant::now();
    shutdown.cancel();
    task.await.unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(2));
    assert_eq!(
        running.load(Ordering::SeqCst),
        0,
        "returned only after in-flight work ended"
    );
    assert_eq!(
        most.load(Ordering::SeqCst),
        3,
        "concurrency bounded by the prefetch"
    );
    let done = finished.load(Ordering::SeqCst);
    // Everything not finished went back to the queue; nothing was lost or left unacked.
    let mut ready = 0;
    for _ in 0..50 {
        ready = usize::try_from(ready_messages(&bus, &work.name).await).unwrap();
        if ready == 12 - done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready, 12 - done, "{done} finished");
}
