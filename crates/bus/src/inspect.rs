//! A one-off look at the broker without a supervised connection: connect,
//! read each work queue's and dead-letter queue's depth, close. The api's
//! `/health/detailed` uses it; it never declares anything.

use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

use crate::connection::QueueDepth;
use crate::error::{BusError, deadline};
use crate::topology::Topology;

/// One queue as the broker sees it; `depth` is `None` when it is not declared yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueState {
    pub queue: String,
    pub dead_letter: bool,
    pub depth: Option<QueueDepth>,
}

/// The work queues and their dead-letter queues of `topology`, each operation
/// bounded by `timeout`.
pub async fn queue_states(
    amqp_url: &str,
    topology: &Topology,
    timeout: Duration,
) -> Result<Vec<QueueState>, BusError> {
    let connection = deadline(
        "connection.open",
        timeout,
        Connection::connect(amqp_url, ConnectionProperties::default()),
    )
    .await?;
    let mut names: Vec<(&str, bool)> = topology
        .work_queues()
        .iter()
        .map(|q| (q.name.as_str(), false))
        .collect();
    names.extend(
        topology
            .work_queues()
            .iter()
            .map(|q| (q.dead_letter_queue.as_str(), true)),
    );
    let mut states = Vec::with_capacity(names.len());
    for (name, dead_letter) in names {
        // A passive declare of a missing queue closes its channel: one each.
        let channel = deadline("channel.open", timeout, connection.create_channel()).await?;
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declared = deadline(
            "queue.declare(passive)",
            timeout,
            channel.queue_declare(name.into(), options, FieldTable::default()),
        )
        .await;
        let depth = match declared {
            Ok(queue) => Some(QueueDepth {
                queue: name.to_owned(),
                messages: queue.message_count(),
                consumers: queue.consumer_count(),
            }),
            Err(error) if error.is_connection_error() => return Err(error),
            Err(_) => None,
        };
        states.push(QueueState {
            queue: name.to_owned(),
            dead_letter,
            depth,
        });
    }
    let _ = deadline(
        "connection.close",
        timeout,
        connection.close(200, "inspection done".into()),
    )
    .await;
    Ok(states)
}
