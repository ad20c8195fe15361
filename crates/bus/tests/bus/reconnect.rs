use std::{process::Command, time::Duration};

use pricewatch_bus::{CancellationToken, Outcome};
use pricewatch_domain::messages::Message;
use tokio::sync::mpsc;

use crate::support::{
    BrokerProxy, TestBus, check_price, close_connection_from_server, eventually, test_bus,
    test_bus_via,
};

fn consume_all(
    bus: &TestBus,
) -> (
    mpsc::UnboundedReceiver<Message>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let (seen, messages) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let (consumer, queue, stop) = (
        bus.bus.clone(),
        bus.topology().check_price.clone(),
        shutdown.clone(),
    );
    let task = tokio::spawn(async move {
        consumer
            .consume(&queue, 8, stop, move |delivery| {
                let seen = seen.clone();
                async move {
                    let _ = seen.send(delivery.message);
                    Ok(Outcome::Ack)
                }
            })
            .await
            .unwrap();
    });
    (messages, shutdown, task)
}

async fn receive(messages: &mut mpsc::UnboundedReceiver<Message>, within: Duration) -> Message {
    tokio::time::timeout(within, messages.recv())
        .await
        .expect("a message in time")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_resumes_and_publishing_works_after_the_server_closes_the_connection() {
    let bus = test_bus("reconnect", |t| t).await;
    let (mut messages, shutdown, task) = consume_all(&bus);
    let before = check_price();
    bus.publish(&before).await.unwrap();
    assert_eq!(receive(&mut messages, Duration::from_secs(5)).await, before);
    assert_eq!(bus.connection_count(), 1);

    close_connection_from_server(&bus.config().connection_name);

    assert!(
        eventually(Duration::from_secs(10), || bus.connection_count() == 2
            && bus.is_connected())
        .await,
        "reconnected by itself"
    );
    let after = check_price();
    bus.publish(&after)
        .await
        .expect("publish on the new connection");
    assert_eq!(receive(&mut messages, Duration::from_secs(10)).await, after);
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_during_the_outage_waits_for_the_new_connection() {
    let bus = test_bus("outage", |t| t).await;
    let (mut messages, shutdown, task) = consume_all(&bus);
    close_connection_from_server(&bus.config().connection_name);
    // No wait: the publish may hit the dying connection and must still get through.
    let message = check_price();
    bus.publish(&message)
        .await
        .expect("published once reconnected");
    assert_eq!(
        receive(&mut messages, Duration::from_secs(10)).await,
        message
    );
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_resumes_after_the_broker_vanishes_and_comes_back() {
    let mut proxy = BrokerProxy::start().await;
    let bus = test_bus_via(&proxy.url(), "vanish", |t| t).await;
    let (mut messages, shutdown, task) = consume_all(&bus);
    let before = check_price();
    bus.publish(&before).await.unwrap();
    assert_eq!(receive(&mut messages, Duration::from_secs(5)).await, before);

    // Sockets reset without an AMQP close, and connecting is refused for a while.
    proxy.go_down();
    assert!(
        eventually(Duration::from_secs(5), || !bus.is_connected()).await,
        "noticed the loss"
    );
    // A publish meanwhile waits (up to the operation timeout) for the next connection.
    let during = check_price();
    let publishing = tokio::spawn({
        let (bus, during) = (bus.bus.clone(), during.clone());
        async move { bus.publish(&during).await }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!bus.is_connected());
    assert!(!publishing.is_finished(), "still waiting for the broker");
    proxy.come_back();

    assert!(
        eventually(Duration::from_secs(15), || bus.is_connected()).await,
        "reconnected"
    );
    assert!(bus.connection_count() >= 2);
    let after = check_price();
    publishing
        .await
        .unwrap()
        .expect("the publish made during the outage went through");
    bus.publish(&after).await.expect("publish after the outage");
    // `before` may come again too: its ack can be lost with the connection.
    let (mut got_during, mut got_after) = (false, false);
    while !(got_during && got_after) {
        let message = receive(&mut messages, Duration::from_secs(10)).await;
        assert!(
            [&before, &during, &after].contains(&&message),
            "unexpected {message:?}"
        );
        got_during |= message == during;
        got_after |= message == after;
    }
    shutdown.cancel();
    task.await.unwrap();
}

/// Restarts the RabbitMQ application, which every other test on this machine
/// shares: run it alone (`cargo test -p pricewatch-bus -- --ignored --test-threads 1`).
/// Bounded: the broker gets 60 s to come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "restarts the shared broker; run alone"]
async fn the_consumer_resumes_after_a_broker_restart() {
    let bus = test_bus("restart", |t| t).await;
    let (mut messages, shutdown, task) = consume_all(&bus);
    let before = check_price();
    bus.publish(&before).await.unwrap();
    assert_eq!(receive(&mut messages, Duration::from_secs(5)).await, before);

    let rabbitmqctl = |arg: &str| {
        let status = Command::new("rabbitmqctl")
            .args(["-q", arg])
            .status()
            .expect("rabbitmqctl");
        assert!(status.success(), "rabbitmqctl {arg}");
    };
    rabbitmqctl("stop_app");
    assert!(
        eventually(Duration::from_secs(10), || !bus.is_connected()).await,
        "noticed the loss"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    rabbitmqctl("start_app");

    assert!(
        eventually(Duration::from_secs(60), || bus.is_connected()).await,
        "reconnected"
    );
    let after = check_price();
    bus.publish(&after)
        .await
        .expect("publish after the restart");
    assert_eq!(receive(&mut messages, Duration::from_secs(30)).await, after);
    shutdown.cancel();
    task.await.unwrap();
}
