use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("not connected to RabbitMQ after waiting {0:?}")]
    NotConnected(Duration),
    #[error("the bus was closed")]
    Closed,
    #[error("{operation} timed out after {after:?}")]
    Timeout {
        operation: &'static str,
        after: Duration,
    },
    #[error("{operation} failed: {source}")]
    Amqp {
        operation: &'static str,
        #[source]
        source: lapin::Error,
    },
    #[error("the broker refused {nacked} of {total} messages")]
    Nacked { nacked: usize, total: usize },
    #[error("{unroutable} of {total} messages matched no queue (topology not declared?)")]
    Unroutable { unroutable: usize, total: usize },
    #[error("the broker cancelled the consumer of {queue}")]
    ConsumerCancelled { queue: String },
    #[error("{queue} has no retry queue")]
    NoRetryQueue { queue: String },
}

impl BusError {
    pub(crate) fn amqp(operation: &'static str) -> impl FnOnce(lapin::Error) -> Self {
        move |source| Self::Amqp { operation, source }
    }

    /// Whether the failure came from the connection or a channel, so that a fresh
    /// connection may succeed where this one failed.
    pub fn is_connection_error(&self) -> bool {
        match self {
            Self::NotConnected(_) | Self::Timeout { .. } | Self::ConsumerCancelled { .. } => true,
            Self::Amqp { source, .. } => !source.is_amqp_soft_error(),
            Self::Closed
            | Self::Nacked { .. }
            | Self::Unroutable { .. }
            | Self::NoRetryQueue { .. } => false,
        }
    }
}

/// Runs `future` with a deadline, naming the operation in the error.
pub(crate) async fn deadline<T>(
    operation: &'static str,
    after: Duration,
    future: impl Future<Output = Result<T, lapin::Error>>,
) -> Result<T, BusError> {
    match tokio::time::timeout(after, future).await {
        Ok(result) => result.map_err(BusError::amqp(operation)),
        Err(_) => Err(BusError::Timeout { operation, after }),
    }
}
