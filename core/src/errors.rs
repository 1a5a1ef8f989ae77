//! Errors a send can end with, named as Kafka's exception classes are.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KafkaError {
    /// `InvalidRecordException`, e.g. thrown by a partitioner that needs a key.
    InvalidRecord(String),
}

impl KafkaError {
    /// The exception's simple class name, as the result JSON reports it.
    pub fn exception_name(&self) -> &'static str {
        match self {
            KafkaError::InvalidRecord(_) => "InvalidRecordException",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            KafkaError::InvalidRecord(m) => m,
        }
    }
}

impl fmt::Display for KafkaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception_name(), self.message())
    }
}
