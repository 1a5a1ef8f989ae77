//! Errors a send can end with, named as Kafka's exception classes are.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KafkaError {
    /// `InvalidRecordException`, e.g. thrown by a partitioner that needs a key.
    InvalidRecord(String),
    /// `TimeoutException`: a batch expired (`delivery.timeout.ms`), or a request timed out
    /// (`request.timeout.ms`) and no retry was left.
    Timeout(String),
    /// `NetworkException`: the connection closed under an in-flight request.
    Network(String),
    /// `NotLeaderOrFollowerException` (`NotLeaderForPartitionException` before 2.7): the
    /// broker does not lead the partition; retried after a metadata refresh.
    NotLeaderOrFollower(String),
    /// `IllegalStateException`, e.g. `send()` after `close()`.
    IllegalState(String),
    /// `RecordTooLargeException`: larger than `max.request.size` or `buffer.memory`.
    RecordTooLarge(String),
    /// `RecordBatchTooLargeException`: a batch larger than the topic's `segment.bytes`.
    RecordBatchTooLarge(String),
    /// `NotEnoughReplicasException`: `acks=all` and the ISR under `min.insync.replicas`.
    NotEnoughReplicas(String),
    /// `NotEnoughReplicasAfterAppendException`: written, but the ISR shrank under min ISR.
    NotEnoughReplicasAfterAppend(String),
    /// `OutOfOrderSequenceException`: the broker saw a gap in an idempotent producer's
    /// sequence numbers.
    OutOfOrderSequence(String),
    /// `InvalidProducerEpochException`: the partition has seen a newer epoch of this
    /// producer id (since 2.7 the produce path's answer to a fenced instance).
    InvalidProducerEpoch(String),
    /// `BufferExhaustedException`: `buffer.memory` had no room within the blocking time
    /// (`BufferPool.allocate`). A `TimeoutException`, so it reaches the callback.
    BufferExhausted(String),
    /// `IllegalArgumentException`, e.g. an allocation larger than all of `buffer.memory`
    /// (`BufferPool.allocate`). Thrown from `send()` itself, not passed to the callback.
    IllegalArgument(String),
    /// `ProducerFencedException`: a newer instance with the same `transactional.id` called
    /// `initTransactions()`; fatal, the producer must be closed.
    ProducerFenced(String),
    /// `InvalidTxnStateException`: a non-transactional write while the producer id has a
    /// transaction open, or `EndTxn` with the opposite result of a completed one.
    InvalidTxnState(String),
    /// `TransactionAbortedException`: a record still unsent when its transaction aborted.
    TransactionAborted(String),
    /// `InvalidTxnTimeoutException`: `transaction.timeout.ms` above the broker's
    /// `transaction.max.timeout.ms`.
    InvalidTxnTimeout(String),
    /// `TransactionCoordinatorFencedException`: a marker from a coordinator older than the
    /// one the partition knows.
    TransactionCoordinatorFenced(String),
    /// `TransactionAbortableException` (3.8+, error `TRANSACTION_ABORTABLE`): the partition
    /// leader could not verify the write with the transaction coordinator (KIP-890); the
    /// application aborts and goes on.
    TransactionAbortable(String),
    /// `KafkaException`, e.g. a transactional call in an error state, or a commit whose
    /// sends failed.
    Kafka(String),
}

impl KafkaError {
    /// The exception's simple class name, as the result JSON reports it.
    pub fn exception_name(&self) -> &'static str {
        match self {
            KafkaError::InvalidRecord(_) => "InvalidRecordException",
            KafkaError::Timeout(_) => "TimeoutException",
            KafkaError::NotEnoughReplicas(_) => "NotEnoughReplicasException",
            KafkaError::NotEnoughReplicasAfterAppend(_) => "NotEnoughReplicasAfterAppendException",
            KafkaError::IllegalState(_) => "IllegalStateException",
            KafkaError::RecordTooLarge(_) => "RecordTooLargeException",
            KafkaError::RecordBatchTooLarge(_) => "RecordBatchTooLargeException",
            KafkaError::Network(_) => "NetworkException",
            KafkaError::NotLeaderOrFollower(_) => "NotLeaderOrFollowerException",
            KafkaError::OutOfOrderSequence(_) => "OutOfOrderSequenceException",
            KafkaError::InvalidProducerEpoch(_) => "InvalidProducerEpochException",
            KafkaError::BufferExhausted(_) => "BufferExhaustedException",
            KafkaError::IllegalArgument(_) => "IllegalArgumentException",
            KafkaError::ProducerFenced(_) => "ProducerFencedException",
            KafkaError::InvalidTxnState(_) => "InvalidTxnStateException",
            KafkaError::TransactionAborted(_) => "TransactionAbortedException",
            KafkaError::InvalidTxnTimeout(_) => "InvalidTxnTimeoutException",
            KafkaError::TransactionCoordinatorFenced(_) => "TransactionCoordinatorFencedException",
            KafkaError::TransactionAbortable(_) => "TransactionAbortableException",
            KafkaError::Kafka(_) => "KafkaException",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            KafkaError::InvalidRecord(m)
            | KafkaError::Timeout(m)
            | KafkaError::NotEnoughReplicas(m)
            | KafkaError::NotEnoughReplicasAfterAppend(m)
            | KafkaError::IllegalState(m)
            | KafkaError::RecordTooLarge(m)
            | KafkaError::RecordBatchTooLarge(m)
            | KafkaError::Network(m)
            | KafkaError::NotLeaderOrFollower(m)
            | KafkaError::OutOfOrderSequence(m)
            | KafkaError::InvalidProducerEpoch(m)
            | KafkaError::BufferExhausted(m)
            | KafkaError::IllegalArgument(m)
            | KafkaError::ProducerFenced(m)
            | KafkaError::InvalidTxnState(m)
            | KafkaError::TransactionAborted(m)
            | KafkaError::InvalidTxnTimeout(m)
            | KafkaError::TransactionCoordinatorFenced(m)
            | KafkaError::TransactionAbortable(m)
            | KafkaError::Kafka(m) => m,
        }
    }
}

impl fmt::Display for KafkaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception_name(), self.message())
    }
}

/// The protocol error codes a produce can end with (`common/protocol/Errors.java`).
/// `RequestTimedOut` and `NetworkException` are made by the client itself when a
/// connection closes under a request (`Sender.handleProduceResponse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errors {
    None,
    OutOfOrderSequenceNumber,
    NotEnoughReplicas,
    NotEnoughReplicasAfterAppend,
    /// The batch exceeds the topic's `max.message.bytes`: split, or `RecordTooLargeException`.
    MessageTooLarge,
    /// The batch exceeds the topic's `segment.bytes`: not retriable, never split.
    RecordListTooLarge,
    RequestTimedOut,
    NetworkException,
    NotLeaderOrFollower,
    /// AlterPartition from a leader whose epoch the controller has moved past.
    FencedLeaderEpoch,
    /// AlterPartition based on a stale partition epoch.
    InvalidUpdateVersion,
    /// AlterPartition adding a replica the controller will not take (fenced, shutting down).
    IneligibleReplica,
    /// A follower's fetch the leader cannot place in its log.
    OffsetOutOfRange,
    InvalidProducerEpoch,
    /// A non-transactional write from a producer id with an open transaction; an `EndTxn`
    /// contradicting the completed one.
    InvalidTxnState,
    /// A coordinator call with an epoch older than the transactional id's.
    ProducerFenced,
    /// The coordinator is still writing the previous transaction's markers: retried.
    ConcurrentTransactions,
    /// The broker asked is not (or no longer) the transactional id's coordinator.
    NotCoordinator,
    /// No coordinator can serve now (its `__transaction_state` partition has no leader).
    CoordinatorNotAvailable,
    InvalidTransactionTimeout,
    /// A marker from a coordinator epoch older than the partition's.
    TransactionCoordinatorFenced,
    /// The producer id is not the one the coordinator has for the transactional id.
    InvalidProducerIdMapping,
    /// 3.8+ (KIP-890): a transactional write to a partition not in the producer's ongoing
    /// transaction, as the coordinator answered the leader's verification. Abortable.
    TransactionAbortable,
}

impl Errors {
    /// Whether the error's exception extends `RetriableException`
    /// (`OutOfOrderSequenceException` does not).
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            Errors::RequestTimedOut
                | Errors::NetworkException
                | Errors::NotEnoughReplicas
                | Errors::NotEnoughReplicasAfterAppend
                | Errors::NotLeaderOrFollower
                | Errors::FencedLeaderEpoch
                | Errors::ConcurrentTransactions
                | Errors::NotCoordinator
                | Errors::CoordinatorNotAvailable
        )
    }

    /// `Errors.exception(message)`; Kafka's default text when the response has none.
    pub fn exception(self, message: Option<&str>) -> KafkaError {
        let text = |default: &str| message.unwrap_or(default).to_string();
        match self {
            Errors::None => unreachable!("NONE is not an error"),
            Errors::OutOfOrderSequenceNumber => KafkaError::OutOfOrderSequence(text(
                "The broker received an out of order sequence number.",
            )),
            Errors::NotEnoughReplicas => KafkaError::NotEnoughReplicas(text(
                "Messages are rejected since there are fewer in-sync replicas than required.",
            )),
            Errors::NotEnoughReplicasAfterAppend => KafkaError::NotEnoughReplicasAfterAppend(text(
                "Messages are written to the log, but to fewer in-sync replicas than required.",
            )),
            Errors::MessageTooLarge => KafkaError::RecordTooLarge(text(
                "The request included a message larger than the max message size the server will accept.",
            )),
            Errors::RecordListTooLarge => KafkaError::RecordBatchTooLarge(text(
                "The request included message batch larger than the configured segment size on the server.",
            )),
            Errors::RequestTimedOut => KafkaError::Timeout(text("The request timed out.")),
            Errors::NetworkException => KafkaError::Network(text(
                "The server disconnected before a response was received.",
            )),
            Errors::InvalidProducerEpoch => KafkaError::InvalidProducerEpoch(text(
                "Producer attempted to produce with an old epoch.",
            )),
            Errors::NotLeaderOrFollower => KafkaError::NotLeaderOrFollower(text(
                "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.",
            )),
            Errors::InvalidTxnState => KafkaError::InvalidTxnState(text(
                "The producer attempted a transactional operation in an invalid state.",
            )),
            Errors::ProducerFenced => KafkaError::ProducerFenced(text(
                "There is a newer producer with the same transactionalId which fences the current one.",
            )),
            Errors::InvalidTransactionTimeout => KafkaError::InvalidTxnTimeout(text(
                "The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms).",
            )),
            Errors::TransactionCoordinatorFenced => KafkaError::TransactionCoordinatorFenced(text(
                "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer",
            )),
            Errors::ConcurrentTransactions => KafkaError::Kafka(text(
                "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.",
            )),
            Errors::InvalidProducerIdMapping => KafkaError::Kafka(text(
                "The producer attempted to use a producer id which is not currently assigned to its transactional id.",
            )),
            Errors::NotCoordinator | Errors::CoordinatorNotAvailable => KafkaError::Kafka(text(
                "This is not the correct coordinator.",
            )),
            Errors::TransactionAbortable => KafkaError::TransactionAbortable(text(
                "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.",
            )),
            Errors::FencedLeaderEpoch
            | Errors::InvalidUpdateVersion
            | Errors::IneligibleReplica
            | Errors::OffsetOutOfRange => {
                unreachable!("replication errors never reach a producer")
            }
        }
    }

    /// The code's name as Kafka prints it.
    pub fn name(self) -> &'static str {
        match self {
            Errors::None => "NONE",
            Errors::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            Errors::MessageTooLarge => "MESSAGE_TOO_LARGE",
            Errors::RecordListTooLarge => "RECORD_LIST_TOO_LARGE",
            Errors::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            Errors::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            Errors::RequestTimedOut => "REQUEST_TIMED_OUT",
            Errors::NetworkException => "NETWORK_EXCEPTION",
            Errors::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            Errors::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            Errors::InvalidUpdateVersion => "INVALID_UPDATE_VERSION",
            Errors::IneligibleReplica => "INELIGIBLE_REPLICA",
            Errors::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
            Errors::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            Errors::InvalidTxnState => "INVALID_TXN_STATE",
            Errors::ProducerFenced => "PRODUCER_FENCED",
            Errors::ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
            Errors::NotCoordinator => "NOT_COORDINATOR",
            Errors::CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
            Errors::InvalidTransactionTimeout => "INVALID_TRANSACTION_TIMEOUT",
            Errors::TransactionCoordinatorFenced => "TRANSACTION_COORDINATOR_FENCED",
            Errors::InvalidProducerIdMapping => "INVALID_PRODUCER_ID_MAPPING",
            Errors::TransactionAbortable => "TRANSACTION_ABORTABLE",
        }
    }
}
