//! Errors a send can end with, named as Kafka's exception classes are.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KafkaError {
    /// `InvalidRecordException`, e.g. thrown by a partitioner that needs a key.
    InvalidRecord(String),
    /// `BufferExhaustedException`: `buffer.memory` had no room within the blocking time
    /// (`BufferPool.allocate`). A `TimeoutException`, so it reaches the callback.
    BufferExhausted(String),
    /// `IllegalArgumentException`, e.g. an allocation larger than all of `buffer.memory`
    /// (`BufferPool.allocate`). Thrown from `send()` itself, not passed to the callback.
    IllegalArgument(String),
}

impl KafkaError {
    /// The exception's simple class name, as the result JSON reports it.
    pub fn exception_name(&self) -> &'static str {
        match self {
            KafkaError::InvalidRecord(_) => "InvalidRecordException",
            KafkaError::BufferExhausted(_) => "BufferExhaustedException",
            KafkaError::IllegalArgument(_) => "IllegalArgumentException",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            KafkaError::InvalidRecord(m)
            | KafkaError::BufferExhausted(m)
            | KafkaError::IllegalArgument(m) => m,
        }
    }
}

impl fmt::Display for KafkaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception_name(), self.message())
    }
}
