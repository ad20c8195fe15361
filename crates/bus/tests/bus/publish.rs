use std::time::{Duration, Instant};

use lapin::options::QueueDeleteOptions;
use pricewatch_bus::BusError;
use pricewatch_domain::messages::Message;

use crate::support::{check_price, ready_messages, take_one, test_bus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_message_arrives_persistent_with_its_job_id() {
    let bus = test_bus("publish", |t| t).await;
    let message = check_price();
    let Message::CheckPriceV1(job) = &message else {
        unreachable!()
    };

    bus.publish(&message).await.expect("confirmed");

    let queue = &bus.topology().check_price.name;
    let got = take_one(&bus, queue, Duration::from_secs(5))
        .await
        .expect("message on the work queue");
    let props = &got.delivery.properties;
    assert_eq!(Message::from_json(&got.delivery.data).unwrap(), message);
    assert_eq!(*props.delivery_mode(), Some(2), "persistent");
    assert_eq!(
        props.content_type().as_ref().unwrap().as_str(),
        "application/json"
    );
    assert_eq!(
        props.message_id().as_ref().unwrap().as_str(),
        job.job_id.to_string()
    );
    assert!(bus.is_connected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_many_confirms_ten_thousand_messages() {
    let bus = test_bus("batch", |t| t).await;
    let messages: Vec<Message> = (0..10_000).map(|_| check_price()).collect();

    let started = Instant::now();
    let confirmed = bus.publish_many(&messages).await.expect("all confirmed");
    let elapsed = started.elapsed();

    assert_eq!(confirmed, 10_000);
    let rate = 10_000.0 / elapsed.as_secs_f64();
    println!("publish_many: 10000 confirmed messages in {elapsed:.2?} = {rate:.0} msg/s");
    assert_eq!(
        ready_messages(&bus, &bus.topology().check_price.name).await,
        10_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_no_queue_takes_is_an_error_not_a_silent_loss() {
    let bus = test_bus("unroutable", |t| t).await;
    let channel = bus.open_channel().await.unwrap();
    channel
        .queue_delete(
            bus.topology().check_price.name.as_str().into(),
            QueueDeleteOptions::default(),
        )
        .await
        .unwrap();

    let error = bus.publish(&check_price()).await.expect_err("unroutable");
    assert!(
        matches!(
            error,
            BusError::Unroutable {
                unroutable: 1,
                total: 1
            }
        ),
        "{error}"
    );
    let error = bus
        .publish_many([check_price(), check_price()])
        .await
        .expect_err("unroutable");
    assert!(
        matches!(
            error,
            BusError::Unroutable {
                unroutable: 2,
                total: 2
            }
        ),
        "{error}"
    );
}
