//! The event trace: every observable step of a run, in order. Its hash (`trace_hash`)
//! is the determinism check; its tail is the app's event log.

use crate::broker::log::Retention;
use crate::controller::Election;
use crate::coordinator::TransactionState;
use crate::metadata::TopicPartition;
use crate::net::TransactionResult;
use crate::producer::accumulator::{BatchId, SendReason};
use crate::producer::transaction_manager::TxnState;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Hash)]
pub enum TraceEvent {
    /// `send()` serialized, partitioned and appended a record to a batch.
    Send {
        producer: u16,
        index: u32,
        tp: TopicPartition,
        batch: BatchId,
        new_batch: bool,
    },
    /// `send()` failed before the record reached a batch; its callback ran at once.
    SendFailed {
        producer: u16,
        index: u32,
        error: &'static str,
    },
    /// `send()` needs a new batch and `buffer.memory` has no room: the caller blocks.
    SendBlocked {
        producer: u16,
        index: u32,
        available: u64,
    },
    /// The sender drained batches into one produce request to a broker.
    RequestSent {
        producer: u16,
        broker: u32,
        request: u64,
        batches: u32,
        records: u32,
        bytes: u32,
        /// Each batch, and why it was sent (`RecordAccumulator.ready`'s reason).
        sent: Vec<(BatchId, SendReason)>,
    },
    /// The leader appended a batch to its log.
    Appended {
        broker: u32,
        producer: u16,
        request: u64,
        batch: BatchId,
        tp: TopicPartition,
        base_offset: u64,
        records: u32,
    },
    /// A leader's high watermark moved: offsets below it are committed. With it the last
    /// stable offset, which an open transaction holds back: what `read_committed` reads to.
    HighWatermark {
        broker: u32,
        tp: TopicPartition,
        high_watermark: u64,
        last_stable_offset: u64,
    },
    /// A leader changed a partition's ISR (a follower caught up, or fell behind).
    IsrChanged {
        broker: u32,
        tp: TopicPartition,
        isr: Vec<u32>,
        expanded: bool,
    },
    /// A leader wrote a coordinator's transaction marker (a control record) at `offset`.
    MarkerWritten {
        broker: u32,
        tp: TopicPartition,
        producer_id: i64,
        producer_epoch: i16,
        result: TransactionResult,
        offset: u64,
    },
    /// A follower appended what it fetched.
    Replicated {
        broker: u32,
        tp: TopicPartition,
        log_end_offset: u64,
    },
    /// The leader recognised a retried idempotent batch it already has: nothing appended,
    /// the original offset answered.
    DuplicateBatch {
        broker: u32,
        producer: u16,
        request: u64,
        batch: BatchId,
        tp: TopicPartition,
        base_offset: u64,
    },
    /// The leader refused a batch with an error code.
    BatchRejected {
        broker: u32,
        producer: u16,
        request: u64,
        batch: BatchId,
        tp: TopicPartition,
        error: &'static str,
        /// Boxed: the largest variant else, and every event in a trace is as large as the
        /// largest (48 bytes in wasm rather than 56 with its time; it hashes the same).
        reason: Box<String>,
    },
    /// A `drop_requests` fault ate a produce request before the broker saw it.
    RequestDropped {
        broker: u32,
        producer: u16,
        request: u64,
    },
    /// A `drop_responses` fault ate the broker's answer to a handled request.
    ResponseDropped {
        broker: u32,
        producer: u16,
        request: u64,
    },
    /// A request waited longer than `request.timeout.ms`: the client closed the connection,
    /// failing every request in flight on it (`NetworkClient.handleTimedOutRequests`).
    Disconnected {
        producer: u16,
        broker: u32,
        requests: u32,
    },
    /// A failed batch goes back to the front of its deque for another attempt.
    BatchRetried {
        producer: u16,
        batch: BatchId,
        tp: TopicPartition,
        attempts: u32,
        error: &'static str,
    },
    /// The broker found a batch too large (`MESSAGE_TOO_LARGE`): it goes back as `into`
    /// smaller batches.
    BatchSplit {
        producer: u16,
        batch: BatchId,
        tp: TopicPartition,
        into: u32,
        /// The new batches, with their record counts, in record order.
        parts: Vec<(BatchId, u32)>,
    },
    /// A batch failed for good: its records' callbacks get the error.
    BatchFailed {
        producer: u16,
        batch: BatchId,
        tp: TopicPartition,
        error: &'static str,
    },
    /// An idempotent producer's batch failed by its response while it had retries left
    /// (`adjustSequenceNumbers`): its sequence may have left a gap, so the producer will
    /// bump its epoch and renumber the partition's batches still tracked — duplicating
    /// any already written under the old epoch (KAFKA-14034). `expired`: the batch had
    /// already expired; before 3.6 its late failure still reaches the
    /// `TransactionManager` (KAFKA-14884).
    EpochBumpRequested {
        producer: u16,
        batch: BatchId,
        tp: TopicPartition,
        expired: bool,
    },
    /// A batch's records completed: acknowledged at `base_offset` (-1 for acks=0).
    BatchCompleted {
        producer: u16,
        batch: BatchId,
        tp: TopicPartition,
        base_offset: i64,
    },
    /// A leader asked the controller for a new ISR (AlterPartition); pending until answered.
    IsrProposed {
        broker: u32,
        tp: TopicPartition,
        isr: Vec<u32>,
    },
    /// A replica took the role the controller's metadata gives it.
    BecameLeaderOrFollower {
        broker: u32,
        tp: TopicPartition,
        leader: bool,
        leader_epoch: u32,
        log_end_offset: u64,
    },
    /// A follower cut its log back to where it agrees with the leader's (leader epochs).
    Truncated {
        broker: u32,
        tp: TopicPartition,
        from: u64,
        to: u64,
    },
    /// The `kafka-log-retention` task deleted a replica's oldest `segments` (why:
    /// `retention.ms`, `retention.bytes`, or below the log start offset): the log now
    /// starts at `log_start_offset`.
    SegmentsDeleted {
        broker: u32,
        tp: TopicPartition,
        segments: u32,
        reason: Retention,
        log_start_offset: u64,
    },
    /// A follower's log start offset followed its leader's (each fetch response carries
    /// it): the records below are no longer readable there either.
    LogStartOffsetIncremented {
        broker: u32,
        tp: TopicPartition,
        log_start_offset: u64,
    },
    /// A follower whose log ends below its leader's log start offset (retention deleted
    /// what it would fetch next) empties its log and starts over there.
    LogRestarted {
        broker: u32,
        tp: TopicPartition,
        from: u64,
        log_start_offset: u64,
    },
    /// A scripted or clicked fault, or its repair.
    BrokerCrashed {
        broker: u32,
    },
    BrokerRestarted {
        broker: u32,
    },
    BrokerIsolated {
        broker: u32,
    },
    BrokerHealed {
        broker: u32,
    },
    /// The controller's session for the broker ran out: out of every ISR, leaders moved.
    BrokerFenced {
        broker: u32,
    },
    /// The broker (re)registered and caught up: it may lead and rejoin ISRs.
    BrokerUnfenced {
        broker: u32,
    },
    /// The controller changed a partition's leader (`None`: offline).
    LeaderElected {
        tp: TopicPartition,
        leader: Option<u32>,
        leader_epoch: u32,
        isr: Vec<u32>,
        election: Election,
    },
    /// The peer's process died under a connection: requests in flight on it fail with
    /// `NETWORK_EXCEPTION`.
    ConnectionClosed {
        producer: u16,
        broker: u32,
        requests: u32,
    },
    /// A producer asked a broker for fresh metadata.
    MetadataRequested {
        producer: u16,
        broker: u32,
    },
    /// A producer's metadata arrived: the leaders it now knows.
    MetadataUpdated {
        producer: u16,
        broker: u32,
    },
    /// The application restarted its producer: a new instance, which re-sends the records
    /// the old one never had acknowledged.
    ProducerRestarted {
        producer: u16,
        resent: u32,
    },
    /// An idempotent producer moved to a new epoch after a sequence gap it could not
    /// close (KIP-360): the partitions with the gap start again at sequence 0.
    EpochBumped {
        producer: u16,
        producer_id: i64,
        producer_epoch: i16,
    },
    /// An idempotent producer got its producer id and epoch (`InitProducerId`).
    ProducerIdAssigned {
        producer: u16,
        broker: u32,
        producer_id: i64,
        producer_epoch: i16,
    },
    /// A transactional producer's client state moved (`TransactionManager.transitionTo`).
    TxnClientState {
        producer: u16,
        from: TxnState,
        to: TxnState,
    },
    /// A transactional producer sent a request to a broker (FindCoordinator, InitProducerId,
    /// AddPartitionsToTxn, EndTxn).
    TxnRequestSent {
        producer: u16,
        broker: u32,
        request: &'static str,
    },
    /// Its answer came back.
    TxnResponseReceived {
        producer: u16,
        broker: u32,
        request: &'static str,
        error: &'static str,
    },
    /// A transactional API call (initTransactions, commitTransaction, …) returned, or
    /// threw the named exception.
    TxnCallReturned {
        producer: u16,
        action: u32,
        error: Option<&'static str>,
    },
    /// The coordinator started writing a transition to `__transaction_state`.
    TxnLogAppend {
        broker: u32,
        transactional_id: Rc<str>,
        state: TransactionState,
        producer_epoch: i16,
    },
    /// The coordinator's state of a transactional id changed (the write completed, or a
    /// fence began).
    TxnStateChanged {
        broker: u32,
        transactional_id: Rc<str>,
        state: TransactionState,
        producer_epoch: i16,
    },
    /// The coordinator aborts a transaction open longer than `transaction.timeout.ms`.
    TxnTimedOut {
        broker: u32,
        transactional_id: Rc<str>,
        producer_epoch: i16,
    },
    /// A partition leader holds a produce request and asks the transactional id's
    /// coordinator about the producer's first transactional write to `partitions` (KIP-890,
    /// `AddPartitionsToTxn` from `AddPartitionsToTxnManager`): whether they are in its
    /// ongoing transaction (`verify_only`, 3.6+), or, under transactions V2, to add them.
    TxnVerificationSent {
        broker: u32,
        coordinator: u32,
        producer: u16,
        producer_id: i64,
        producer_epoch: i16,
        partitions: Vec<TopicPartition>,
        verify_only: bool,
    },
    /// Transactions V2 (KIP-890 part 2): the `EndTxn` response carried the epoch the end
    /// bumped; the producer's next transaction runs under it, sequences from 0.
    TxnEpochBumped {
        producer: u16,
        producer_id: i64,
        producer_epoch: i16,
    },
    /// The coordinator's answer reached the leader (or the leader gave up: NETWORK_EXCEPTION),
    /// per partition; the held request goes on.
    TxnVerificationAnswered {
        broker: u32,
        producer: u16,
        results: Vec<(TopicPartition, &'static str)>,
    },
    /// A transaction's marker reached a group's `__consumer_offsets` partition: the
    /// offsets it sent with `sendOffsetsToTransaction` are committed (or dropped).
    GroupOffsetsCompleted {
        broker: u32,
        producer_id: i64,
        partition: u32,
        commit: bool,
    },
    /// A `__transaction_state` partition has a new leader: the coordinator of its ids.
    CoordinatorMoved {
        partition: u32,
        broker: u32,
        coordinator_epoch: i32,
    },
    /// A consumer's `poll()` returned `records` records of a partition (none when all it
    /// passed were markers or, under `read_committed`, aborted records); its position
    /// moved on.
    Consumed {
        consumer: u16,
        tp: TopicPartition,
        records: u32,
        position: u64,
    },
    /// A consumer's position was not in the log (truncated away, or deleted by retention):
    /// `auto.offset.reset`.
    ConsumerOffsetReset {
        consumer: u16,
        tp: TopicPartition,
        from: u64,
        to: u64,
    },
    // New variants go last: a variant's place is in every trace hash.
    /// A transactional producer's batch failed with retries left: the partition's later
    /// batches are renumbered down by its `records` (`adjustSequencesDueToFailedBatch`).
    SequencesAdjusted {
        producer: u16,
        batch: BatchId,
        tp: TopicPartition,
        records: u32,
    },
    /// A replica forgot a producer id's state: its last write (`last_timestamp`, the
    /// producer's own time) is `expiration_ms` or more ago and it has no transaction open
    /// there (`ProducerStateManager.removeExpiredProducers`). Its next batch there is taken
    /// at any sequence.
    ProducerStateExpired {
        broker: u32,
        tp: TopicPartition,
        producer_id: i64,
        last_timestamp: u64,
        expiration_ms: u64,
    },
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceEvent::Send {
                producer,
                index,
                tp,
                batch,
                new_batch,
            } => write!(
                f,
                "send p{producer} #{index} -> t{}p{} batch {batch}{}",
                tp.topic,
                tp.partition,
                if *new_batch { " (new)" } else { "" }
            ),
            TraceEvent::SendFailed {
                producer,
                index,
                error,
            } => write!(f, "send p{producer} #{index} failed: {error}"),
            TraceEvent::SendBlocked {
                producer,
                index,
                available,
            } => write!(
                f,
                "send p{producer} #{index} blocked: {available} B of buffer.memory free"
            ),
            TraceEvent::RequestSent {
                producer,
                broker,
                request,
                batches,
                records,
                bytes,
                sent,
            } => {
                write!(
                    f,
                    "produce p{producer} -> b{broker} req {request}: {batches} batches, {records} records, {bytes} B"
                )?;
                for (batch, reason) in sent {
                    write!(f, " {batch}:{}", reason.name())?;
                }
                Ok(())
            }
            TraceEvent::Appended {
                broker,
                producer,
                request,
                batch,
                tp,
                base_offset,
                records,
            } => write!(
                f,
                "append b{broker} t{}p{} p{producer} req {request} batch {batch} @{base_offset} +{records}",
                tp.topic, tp.partition
            ),
            TraceEvent::HighWatermark {
                broker,
                tp,
                high_watermark,
                last_stable_offset,
            } => {
                write!(
                    f,
                    "hw b{broker} t{}p{} = {high_watermark}",
                    tp.topic, tp.partition
                )?;
                // Only when a transaction holds it back: runs without one hash as before.
                if last_stable_offset < high_watermark {
                    write!(f, " lso {last_stable_offset}")?;
                }
                Ok(())
            }
            TraceEvent::MarkerWritten {
                broker,
                tp,
                producer_id,
                producer_epoch,
                result,
                offset,
            } => write!(
                f,
                "marker b{broker} t{}p{} pid {producer_id} epoch {producer_epoch} {} @{offset}",
                tp.topic,
                tp.partition,
                match result {
                    TransactionResult::Commit => "COMMIT",
                    TransactionResult::Abort => "ABORT",
                }
            ),
            TraceEvent::IsrChanged {
                broker,
                tp,
                isr,
                expanded,
            } => write!(
                f,
                "isr b{broker} t{}p{} {} {isr:?}",
                tp.topic,
                tp.partition,
                if *expanded { "expand" } else { "shrink" }
            ),
            TraceEvent::Replicated {
                broker,
                tp,
                log_end_offset,
            } => write!(
                f,
                "replicate b{broker} t{}p{} leo {log_end_offset}",
                tp.topic, tp.partition
            ),
            TraceEvent::DuplicateBatch {
                broker,
                producer,
                request,
                batch,
                tp,
                base_offset,
            } => write!(
                f,
                "duplicate b{broker} t{}p{} p{producer} req {request} batch {batch} already @{base_offset}",
                tp.topic, tp.partition
            ),
            TraceEvent::BatchRejected {
                broker,
                producer,
                request,
                batch,
                tp,
                error,
                reason,
            } => write!(
                f,
                "reject b{broker} t{}p{} p{producer} req {request} batch {batch}: {error} ({reason})",
                tp.topic, tp.partition
            ),
            TraceEvent::RequestDropped {
                broker,
                producer,
                request,
            } => write!(f, "drop request p{producer} -> b{broker} req {request}"),
            TraceEvent::ResponseDropped {
                broker,
                producer,
                request,
            } => write!(f, "drop response b{broker} -> p{producer} req {request}"),
            TraceEvent::Disconnected {
                producer,
                broker,
                requests,
            } => write!(
                f,
                "disconnect p{producer} -/- b{broker}: request timed out, {requests} in flight fail"
            ),
            TraceEvent::BatchRetried {
                producer,
                batch,
                tp,
                attempts,
                error,
            } => write!(
                f,
                "retry p{producer} batch {batch} t{}p{} (attempt {attempts} failed: {error})",
                tp.topic, tp.partition
            ),
            TraceEvent::BatchSplit {
                producer,
                batch,
                tp,
                into,
                parts,
            } => {
                write!(
                    f,
                    "split p{producer} batch {batch} t{}p{} into {into}:",
                    tp.topic, tp.partition
                )?;
                for (id, records) in parts {
                    write!(f, " {id}+{records}")?;
                }
                Ok(())
            }
            TraceEvent::BatchFailed {
                producer,
                batch,
                tp,
                error,
            } => write!(
                f,
                "fail p{producer} batch {batch} t{}p{}: {error}",
                tp.topic, tp.partition
            ),
            TraceEvent::EpochBumpRequested {
                producer,
                batch,
                tp,
                expired,
            } => write!(
                f,
                "bump-requested p{producer} batch {batch} t{}p{}{}",
                tp.topic,
                tp.partition,
                if *expired { " (already expired)" } else { "" }
            ),
            TraceEvent::SequencesAdjusted {
                producer,
                batch,
                tp,
                records,
            } => write!(
                f,
                "sequences-adjusted p{producer} batch {batch} t{}p{} -{records}",
                tp.topic, tp.partition
            ),
            TraceEvent::ProducerStateExpired {
                broker,
                tp,
                producer_id,
                ..
            } => write!(
                f,
                "producer-expired b{broker} t{}p{} pid {producer_id}",
                tp.topic, tp.partition
            ),
            TraceEvent::BatchCompleted {
                producer,
                batch,
                tp,
                base_offset,
            } => write!(
                f,
                "ack p{producer} batch {batch} t{}p{} @{base_offset}",
                tp.topic, tp.partition
            ),
            TraceEvent::IsrProposed { broker, tp, isr } => write!(
                f,
                "alter-partition b{broker} t{}p{} {isr:?}",
                tp.topic, tp.partition
            ),
            TraceEvent::BecameLeaderOrFollower {
                broker,
                tp,
                leader,
                leader_epoch,
                log_end_offset,
            } => write!(
                f,
                "become b{broker} t{}p{} {} epoch {leader_epoch} leo {log_end_offset}",
                tp.topic,
                tp.partition,
                if *leader { "leader" } else { "follower" }
            ),
            TraceEvent::Truncated {
                broker,
                tp,
                from,
                to,
            } => write!(
                f,
                "truncate b{broker} t{}p{} {from} -> {to}",
                tp.topic, tp.partition
            ),
            TraceEvent::SegmentsDeleted {
                broker,
                tp,
                segments,
                reason,
                log_start_offset,
            } => write!(
                f,
                "delete-segments b{broker} t{}p{} {segments} {} -> {log_start_offset}",
                tp.topic,
                tp.partition,
                reason.name()
            ),
            TraceEvent::LogStartOffsetIncremented {
                broker,
                tp,
                log_start_offset,
            } => write!(
                f,
                "log-start b{broker} t{}p{} {log_start_offset}",
                tp.topic, tp.partition
            ),
            TraceEvent::LogRestarted {
                broker,
                tp,
                from,
                log_start_offset,
            } => write!(
                f,
                "restart-log b{broker} t{}p{} {from} -> {log_start_offset}",
                tp.topic, tp.partition
            ),
            TraceEvent::BrokerCrashed { broker } => write!(f, "crash b{broker}"),
            TraceEvent::BrokerRestarted { broker } => write!(f, "restart b{broker}"),
            TraceEvent::BrokerIsolated { broker } => write!(f, "isolate b{broker}"),
            TraceEvent::BrokerHealed { broker } => write!(f, "heal b{broker}"),
            TraceEvent::BrokerFenced { broker } => write!(f, "fence b{broker}"),
            TraceEvent::BrokerUnfenced { broker } => write!(f, "unfence b{broker}"),
            TraceEvent::LeaderElected {
                tp,
                leader,
                leader_epoch,
                isr,
                election,
            } => write!(
                f,
                "elect t{}p{} leader {} epoch {leader_epoch} isr {isr:?}{}",
                tp.topic,
                tp.partition,
                leader.map_or("none".to_string(), |l| format!("b{l}")),
                match election {
                    Election::Unclean => " (unclean)",
                    Election::Preferred => " (preferred)",
                    _ => "",
                }
            ),
            TraceEvent::ConnectionClosed {
                producer,
                broker,
                requests,
            } => write!(
                f,
                "connection closed p{producer} -/- b{broker}: {requests} in flight fail"
            ),
            TraceEvent::MetadataRequested { producer, broker } => {
                write!(f, "metadata p{producer} -> b{broker}")
            }
            TraceEvent::MetadataUpdated { producer, broker } => {
                write!(f, "metadata p{producer} <- b{broker}")
            }
            TraceEvent::EpochBumped {
                producer,
                producer_id,
                producer_epoch,
            } => write!(
                f,
                "epoch-bump p{producer}: pid {producer_id} epoch {producer_epoch}"
            ),
            TraceEvent::ProducerRestarted { producer, resent } => {
                write!(f, "restart p{producer}: {resent} re-sent")
            }
            TraceEvent::ProducerIdAssigned {
                producer,
                broker,
                producer_id,
                producer_epoch,
            } => write!(
                f,
                "init-producer-id p{producer} <- b{broker}: pid {producer_id} epoch {producer_epoch}"
            ),
            TraceEvent::TxnClientState { producer, from, to } => {
                write!(f, "txn p{producer}: {} -> {}", from.name(), to.name())
            }
            TraceEvent::TxnRequestSent {
                producer,
                broker,
                request,
            } => write!(f, "txn-request p{producer} -> b{broker}: {request}"),
            TraceEvent::TxnResponseReceived {
                producer,
                broker,
                request,
                error,
            } => write!(f, "txn-response p{producer} <- b{broker}: {request} {error}"),
            TraceEvent::TxnCallReturned {
                producer,
                action,
                error,
            } => write!(
                f,
                "txn-call p{producer} #{action}: {}",
                error.unwrap_or("ok")
            ),
            TraceEvent::TxnLogAppend {
                broker,
                transactional_id,
                state,
                producer_epoch,
            } => write!(
                f,
                "txn-log b{broker} {transactional_id}: write {} epoch {producer_epoch}",
                state.name()
            ),
            TraceEvent::TxnStateChanged {
                broker,
                transactional_id,
                state,
                producer_epoch,
            } => write!(
                f,
                "txn-state b{broker} {transactional_id}: {} epoch {producer_epoch}",
                state.name()
            ),
            TraceEvent::TxnTimedOut {
                broker,
                transactional_id,
                producer_epoch,
            } => write!(
                f,
                "txn-timeout b{broker} {transactional_id}: abort epoch {producer_epoch}"
            ),
            TraceEvent::TxnVerificationSent {
                broker,
                coordinator,
                producer,
                producer_id,
                producer_epoch,
                partitions,
                verify_only,
            } => {
                write!(
                    f,
                    "txn-verify b{broker} -> b{coordinator} p{producer} pid {producer_id} epoch {producer_epoch} {}:",
                    if *verify_only { "verify" } else { "add" }
                )?;
                for tp in partitions {
                    write!(f, " t{}p{}", tp.topic, tp.partition)?;
                }
                Ok(())
            }
            TraceEvent::TxnEpochBumped {
                producer,
                producer_id,
                producer_epoch,
            } => write!(
                f,
                "txn-epoch p{producer}: pid {producer_id} epoch {producer_epoch}"
            ),
            TraceEvent::TxnVerificationAnswered {
                broker,
                producer,
                results,
            } => {
                write!(f, "txn-verified b{broker} p{producer}:")?;
                for (tp, error) in results {
                    write!(f, " t{}p{} {error}", tp.topic, tp.partition)?;
                }
                Ok(())
            }
            TraceEvent::GroupOffsetsCompleted {
                broker,
                producer_id,
                partition,
                commit,
            } => write!(
                f,
                "group-offsets b{broker} __consumer_offsets-{partition} pid {producer_id}: {}",
                if *commit { "committed" } else { "dropped" }
            ),
            TraceEvent::CoordinatorMoved {
                partition,
                broker,
                coordinator_epoch,
            } => write!(
                f,
                "coordinator __transaction_state-{partition} -> b{broker} epoch {coordinator_epoch}"
            ),
            TraceEvent::Consumed {
                consumer,
                tp,
                records,
                position,
            } => write!(
                f,
                "consume c{consumer} t{}p{} +{records} -> {position}",
                tp.topic, tp.partition
            ),
            TraceEvent::ConsumerOffsetReset {
                consumer,
                tp,
                from,
                to,
            } => write!(
                f,
                "reset c{consumer} t{}p{} {from} -> {to}",
                tp.topic, tp.partition
            ),
        }
    }
}

/// A 64-bit hash of every event's time and fields (not their text): stable across
/// platforms and releases, and computed as events happen, so the trace need not be kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceHasher {
    state: u64,
    events: u64,
}

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher {
            state: 0xcbf2_9ce4_8422_2325,
            events: 0,
        }
    }
}

/// Every field of every event, as its value: no text is formatted (that was a sixth of
/// the core's time). Integers of any width go in as 64 bits, so `usize` and the enum
/// discriminants hash alike on wasm32 and 64-bit hosts.
impl Hasher for TraceHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        // The length goes in with the tail, so "a" and "a\0" differ.
        self.mix(u64::from_le_bytes(last) ^ ((bytes.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.mix(i as u64);
    }
    fn write_u16(&mut self, i: u16) {
        self.mix(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.mix(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    fn write_i8(&mut self, i: i8) {
        self.mix(i as i64 as u64);
    }
    fn write_i16(&mut self, i: i16) {
        self.mix(i as i64 as u64);
    }
    fn write_i32(&mut self, i: i32) {
        self.mix(i as i64 as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.mix(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.mix(i as i64 as u64);
    }

    fn finish(&self) -> u64 {
        self.state
    }
}

impl TraceHasher {
    pub fn record(&mut self, at_ms: u64, event: &TraceEvent) {
        self.events += 1;
        self.mix(at_ms);
        event.hash(self);
    }

    /// One multiply-xorshift round per word (FNV-1a's offset basis as the start): a
    /// fingerprint for comparing runs, not a defence against chosen inputs.
    fn mix(&mut self, word: u64) {
        let x = (self.state ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.state = x ^ (x >> 29);
    }

    pub fn hex(&self) -> String {
        format!("{:016x}", self.state)
    }

    pub fn events(&self) -> u64 {
        self.events
    }
}
