//! The transaction coordinator (`exactly-once.md` §6; `TransactionCoordinator`,
//! `TransactionMetadata`, `TransactionStateManager`, `TransactionMarkerChannelManager`).
//!
//! Each `transactional.id` belongs to one partition of `__transaction_state`, and the
//! broker leading that partition is its coordinator. The partitions' contents — one
//! `TransactionMetadata` per id — are kept here once for the cluster: a write is replicated
//! with acks=all before it applies, so whichever replica leads next has it. What is not
//! shared is who may serve: only the current leader, and a write it started applies only if
//! it still leads when the write completes.
//!
//! Partition leaders ask it too (KIP-890, `handle_add_partitions_from_leader`): from 3.6 a
//! leader verifies a producer's first transactional write to a partition
//! (`handleVerifyPartitionsInTransaction`), and with transaction version 2 (4.0) the leader,
//! not the client, adds the partition to the transaction; every `EndTxn` then bumps the
//! producer epoch (`TransactionMetadata.prepareAbortOrCommit`).
//!
//! Simplifications, stated: `__transaction_state` is not drawn as a topic. Its replicas are
//! placed round-robin (partition i on brokers i, i+1, i+2 mod n), its leader is the first
//! replica the controller has not fenced, and a write takes one follower fetch round trip
//! (two network latencies) to be replicated.

use crate::broker::{Broker, REQUEST_TIMEOUT_MS};
use crate::controller::Controller;
use crate::effects::Effects;
use crate::errors::Errors;
use crate::group_coordinator::{offsets_partition_for, GroupCoordinator, CONSUMER_OFFSETS};
use crate::metadata::TopicPartition;
use crate::net::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, Node, Payload, TransactionResult,
    TxnMarkerEntry, WriteTxnMarkersRequest, WriteTxnMarkersResponse,
};
use crate::trace::TraceEvent;
use crate::vec_map::{VecMap, VecSet};
use crate::version::KafkaVersion;
use std::rc::Rc;

/// `transaction.state.log.num.partitions`.
pub const TRANSACTION_STATE_PARTITIONS: u32 = 50;
/// `transaction.state.log.replication.factor`.
pub const TRANSACTION_STATE_REPLICATION: u32 = 3;
/// `transaction.max.timeout.ms`: the longest `transaction.timeout.ms` a producer may ask.
pub const TRANSACTION_MAX_TIMEOUT_MS: u64 = 900_000;
/// `transaction.abort.timed.out.transaction.cleanup.interval.ms`.
pub const ABORT_TIMED_OUT_INTERVAL_MS: u64 = 10_000;
/// The inter-broker client's `retry.backoff.ms`, before a marker is sent again.
pub const MARKER_RETRY_BACKOFF_MS: u64 = 100;

/// `TransactionVersion`: the cluster's `transaction.version` feature (KIP-1022;
/// `server-common/src/main/java/org/apache/kafka/server/common/TransactionVersion.java`).
/// TV_1 writes flexible `__transaction_state` records; TV_2 is KIP-890 part 2
/// (`supportsEpochBump`): every `EndTxn` bumps the producer epoch, and the client sends no
/// `AddPartitionsToTxn` — the partition leader adds the partition when it verifies the
/// first write. A client uses TV_2 only when the cluster has finalized it
/// (`TransactionManager.maybeUpdateTransactionV2Enabled`, read at `beginTransaction`); the
/// client and the cluster of a scenario are the same release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TransactionVersion {
    Tv0,
    Tv1,
    Tv2,
}

impl TransactionVersion {
    /// The level of a cluster of `version` formatted with the defaults. `kafka-storage
    /// format` gives each feature `Features.defaultValue(release)`: the highest level whose
    /// `bootstrapMetadataVersion` is not above the release's metadata version, which defaults
    /// to `MetadataVersion.LATEST_PRODUCTION` (`metadata/.../storage/Formatter.java`). TV_1
    /// and TV_2 bootstrap at 4.0-IV2, which no 3.x release reaches: 3.x clusters are TV_0.
    /// Kafka 4.0's documentation (operations, "Transaction Protocol") says the protocol "is
    /// automatically enabled on the server since Apache Kafka 4.0", so 4.0's
    /// LATEST_PRODUCTION reaches 4.0-IV2: a new 4.0 cluster is TV_2. (A 3.x cluster upgraded
    /// in place stays TV_0 until `kafka-features.sh upgrade`; scenarios are new clusters.)
    pub fn of(version: KafkaVersion) -> Self {
        if version.at_least(4, 0) {
            TransactionVersion::Tv2
        } else {
            TransactionVersion::Tv0
        }
    }

    /// `supportsEpochBump`: transactions V2.
    pub fn supports_epoch_bump(self) -> bool {
        self >= TransactionVersion::Tv2
    }
}

/// `transaction.partition.verification.enable` (KIP-890 part 1, default true since 3.6):
/// before a producer's first transactional write to a partition, the leader asks the
/// coordinator whether the partition is in the producer's ongoing transaction
/// (`ReplicaManager.appendRecords`, `AddPartitionsToTxnManager`).
pub fn transaction_verification_enabled(version: KafkaVersion) -> bool {
    version.at_least(3, 6)
}

/// Java's `String.hashCode`: over UTF-16 code units, `h = 31·h + c`, wrapping.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// `TransactionStateManager.partitionFor`: `Utils.abs(hashCode) % partitions`, where
/// `Utils.abs(Integer.MIN_VALUE)` is 0.
pub fn partition_for(transactional_id: &str) -> u32 {
    let h = java_string_hash(transactional_id);
    let abs = if h == i32::MIN { 0 } else { h.abs() };
    abs as u32 % TRANSACTION_STATE_PARTITIONS
}

/// `TransactionState`, with the states each may follow (`TransactionMetadata`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TransactionState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
    PrepareEpochFence,
    Dead,
}

impl TransactionState {
    pub fn name(self) -> &'static str {
        match self {
            TransactionState::Empty => "Empty",
            TransactionState::Ongoing => "Ongoing",
            TransactionState::PrepareCommit => "PrepareCommit",
            TransactionState::PrepareAbort => "PrepareAbort",
            TransactionState::CompleteCommit => "CompleteCommit",
            TransactionState::CompleteAbort => "CompleteAbort",
            TransactionState::PrepareEpochFence => "PrepareEpochFence",
            TransactionState::Dead => "Dead",
        }
    }

    /// `TransactionState.validPreviousStates`.
    pub fn valid_previous(self) -> &'static [TransactionState] {
        use TransactionState::*;
        match self {
            Empty => &[Empty, CompleteCommit, CompleteAbort],
            Ongoing => &[Ongoing, Empty, CompleteCommit, CompleteAbort],
            PrepareCommit => &[Ongoing],
            // Transactions V2 may abort a transaction the coordinator never saw start
            // (apache/kafka#17698, 4.0): from Empty or a completed one, with an epoch bump.
            PrepareAbort => &[
                Ongoing,
                PrepareEpochFence,
                Empty,
                CompleteCommit,
                CompleteAbort,
            ],
            CompleteCommit => &[PrepareCommit],
            CompleteAbort => &[PrepareAbort],
            PrepareEpochFence => &[Ongoing],
            Dead => &[Empty, CompleteAbort, CompleteCommit],
        }
    }

    fn completing(self) -> bool {
        matches!(
            self,
            TransactionState::PrepareCommit
                | TransactionState::PrepareAbort
                | TransactionState::PrepareEpochFence
        )
    }
}

/// One transactional id's record in `__transaction_state`.
#[derive(Clone, Debug, PartialEq)]
pub struct TransactionMetadata {
    pub transactional_id: Rc<str>,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub timeout_ms: u64,
    pub state: TransactionState,
    pub partitions: VecSet<TopicPartition>,
    pub txn_start_ms: u64,
    pub last_update_ms: u64,
    /// Prepare*: the partitions whose marker is not yet written.
    pub markers_pending: VecSet<TopicPartition>,
    /// `clientTransactionVersion`: the protocol the transaction runs under. With TV_2 an
    /// `EndTxn` retry carries the epoch before the bump (`endTxnEpochBumped`); a fence or a
    /// timeout abort is TV_0 ("transaction timeouts use FenceProducerEpoch").
    pub transaction_version: TransactionVersion,
}

/// Who waits on a write to `__transaction_state`, and what to tell them.
#[derive(Clone, Debug, PartialEq)]
enum Reply {
    None,
    InitProducerId {
        producer: u16,
    },
    /// `AddPartitionsToTxn`, or `AddOffsetsToTxn` (`offsets`) for a group's offsets partition.
    AddPartitions {
        producer: u16,
        offsets: bool,
    },
    /// `EndTxn` v5+ (transactions V2) carries the new producer id and epoch; older
    /// versions none.
    EndTxn {
        producer: u16,
        with_epoch: bool,
    },
    /// A partition leader's `AddPartitionsToTxn` (transactions V2: the leader adds them).
    LeaderAddPartitions {
        leader: u32,
        request: u64,
        partitions: Vec<TopicPartition>,
    },
}

/// A transition being replicated: the state it leads to, applied at `at`.
#[derive(Clone, Debug, PartialEq)]
struct PendingWrite {
    at: u64,
    broker: u32,
    coordinator_epoch: i32,
    next: TransactionMetadata,
    reply: Reply,
}

/// A `__transaction_state` partition: its replicas, leader and coordinator epoch.
#[derive(Clone, Debug, PartialEq)]
struct StatePartition {
    replicas: Vec<u32>,
    leader: Option<u32>,
    coordinator_epoch: i32,
}

/// One marker to write: a transactional id's partition.
type MarkerKey = (Rc<str>, TopicPartition);

/// A `WriteTxnMarkers` in flight: the markers it carries, and when it went.
#[derive(Clone, Debug, PartialEq)]
struct MarkerRequest {
    to: u32,
    entries: Vec<MarkerKey>,
    sent_ms: u64,
}

/// A coordinator request, as the network carries it (the id is in each).
#[derive(Clone, Debug, PartialEq)]
pub enum TxnRequest {
    /// `FindCoordinator` (key type TRANSACTION): any broker answers.
    FindCoordinator { transactional_id: Rc<str> },
    /// `InitProducerId` with a `transactional.id`; `producer_id`/`epoch` are -1 unless the
    /// client asks for an epoch bump after an abortable error.
    InitProducerId {
        transactional_id: Rc<str>,
        timeout_ms: u64,
        producer_id: i64,
        producer_epoch: i16,
    },
    AddPartitionsToTxn {
        transactional_id: Rc<str>,
        producer_id: i64,
        producer_epoch: i16,
        partitions: Vec<TopicPartition>,
    },
    /// `sendOffsetsToTransaction`'s first step: the group's offsets partition joins the
    /// transaction.
    AddOffsetsToTxn {
        transactional_id: Rc<str>,
        producer_id: i64,
        producer_epoch: i16,
        group_id: Rc<str>,
    },
    /// `FindCoordinator` (key type GROUP): any broker names the group's coordinator.
    FindGroupCoordinator {
        transactional_id: Rc<str>,
        group_id: Rc<str>,
    },
    /// The offsets, to the group coordinator, pending until the transaction's marker.
    TxnOffsetCommit {
        transactional_id: Rc<str>,
        group_id: Rc<str>,
        producer_id: i64,
        producer_epoch: i16,
        offsets: Vec<(TopicPartition, u64)>,
    },
    /// `transaction_version`: the client's (`EndTxnRequest` v5+ is TV_2), which decides
    /// whether the end bumps the epoch.
    EndTxn {
        transactional_id: Rc<str>,
        producer_id: i64,
        producer_epoch: i16,
        result: TransactionResult,
        transaction_version: TransactionVersion,
    },
}

impl TxnRequest {
    pub fn transactional_id(&self) -> &Rc<str> {
        match self {
            TxnRequest::FindCoordinator { transactional_id }
            | TxnRequest::InitProducerId {
                transactional_id, ..
            }
            | TxnRequest::AddPartitionsToTxn {
                transactional_id, ..
            }
            | TxnRequest::AddOffsetsToTxn {
                transactional_id, ..
            }
            | TxnRequest::FindGroupCoordinator {
                transactional_id, ..
            }
            | TxnRequest::TxnOffsetCommit {
                transactional_id, ..
            }
            | TxnRequest::EndTxn {
                transactional_id, ..
            } => transactional_id,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            TxnRequest::FindCoordinator { .. } => "FindCoordinator",
            TxnRequest::InitProducerId { .. } => "InitProducerId",
            TxnRequest::AddPartitionsToTxn { .. } => "AddPartitionsToTxn",
            TxnRequest::AddOffsetsToTxn { .. } => "AddOffsetsToTxn",
            TxnRequest::FindGroupCoordinator { .. } => "FindCoordinator(GROUP)",
            TxnRequest::TxnOffsetCommit { .. } => "TxnOffsetCommit",
            TxnRequest::EndTxn { .. } => "EndTxn",
        }
    }
}

/// The coordinator's answer. `producer_id`/`producer_epoch` matter for `InitProducerId`.
#[derive(Clone, Debug, PartialEq)]
pub struct TxnResponse {
    pub request: &'static str,
    pub error: Errors,
    /// `FindCoordinator`'s answer.
    pub coordinator: Option<u32>,
    pub producer_id: i64,
    pub producer_epoch: i16,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TransactionCoordinator {
    partitions: Vec<StatePartition>,
    /// What `__transaction_state` holds, by transactional id.
    pub transactions: VecMap<Rc<str>, TransactionMetadata>,
    writes: Vec<PendingWrite>,
    /// Markers to (re)send, each no earlier than its time.
    marker_queue: VecMap<MarkerKey, u64>,
    marker_requests: VecMap<u64, MarkerRequest>,
    next_marker_request: u64,
    next_cleanup_ms: u64,
    write_latency_ms: u64,
    /// The brokers' release: which error a failed verification answers.
    version: KafkaVersion,
}

impl TransactionCoordinator {
    pub fn new(brokers: u32, latency_ms: u64) -> Self {
        let rf = TRANSACTION_STATE_REPLICATION.min(brokers);
        let partitions = (0..TRANSACTION_STATE_PARTITIONS)
            .map(|i| {
                let replicas: Vec<u32> = (0..rf).map(|r| (i + r) % brokers).collect();
                StatePartition {
                    leader: replicas.first().copied(),
                    replicas,
                    coordinator_epoch: 0,
                }
            })
            .collect();
        TransactionCoordinator {
            partitions,
            transactions: VecMap::new(),
            writes: Vec::new(),
            marker_queue: VecMap::new(),
            marker_requests: VecMap::new(),
            next_marker_request: 0,
            next_cleanup_ms: ABORT_TIMED_OUT_INTERVAL_MS,
            write_latency_ms: 2 * latency_ms.max(1),
            version: KafkaVersion::latest(),
        }
    }

    /// The coordinator of a cluster of `version` (the newest modelled by default).
    pub fn with_version(mut self, version: KafkaVersion) -> Self {
        self.version = version;
        self
    }

    /// Each `__transaction_state` partition's leader, as the brokers' metadata caches have
    /// it: where a partition leader sends its `AddPartitionsToTxn`.
    pub fn leaders(&self) -> Vec<Option<u32>> {
        self.partitions.iter().map(|p| p.leader).collect()
    }

    /// The broker that coordinates `transactional_id` now, if any.
    pub fn coordinator_for(&self, transactional_id: &str) -> Option<u32> {
        self.partitions[partition_for(transactional_id) as usize].leader
    }

    /// The controller fenced or unfenced brokers: each `__transaction_state` partition is
    /// led by its first unfenced replica. A new leader is a new coordinator epoch; it loads
    /// the partition and finishes the transactions it finds half-way (markers of Prepare*).
    pub fn elect(&mut self, controller: &Controller, now: u64, out: &mut Effects) {
        let mut moved = Vec::new();
        for (i, p) in self.partitions.iter_mut().enumerate() {
            let leader = p
                .replicas
                .iter()
                .copied()
                .find(|&b| !controller.is_fenced(b));
            if leader != p.leader {
                p.leader = leader;
                p.coordinator_epoch += 1;
                moved.push(i as u32);
                if let Some(b) = leader {
                    out.events.push(TraceEvent::CoordinatorMoved {
                        partition: i as u32,
                        broker: b,
                        coordinator_epoch: p.coordinator_epoch,
                    });
                }
            }
        }
        if moved.is_empty() {
            return;
        }
        // Writes the old leader had in flight are lost with its leadership.
        let partitions = &self.partitions;
        self.writes.retain(|w| {
            let p = &partitions[partition_for(&w.next.transactional_id) as usize];
            p.coordinator_epoch == w.coordinator_epoch
        });
        // The new leader loads what the log holds (`loadTransactionsForTxnTopicPartition`):
        // a fence that was only in the old leader's memory is gone, and a transaction
        // prepared to complete sends the markers of all its partitions again — its
        // completion may have been the write just lost.
        let mut empty = Vec::new();
        for m in self.transactions.values_mut() {
            if !moved.contains(&partition_for(&m.transactional_id)) {
                continue;
            }
            match m.state {
                TransactionState::PrepareEpochFence => {
                    m.state = TransactionState::Ongoing;
                    m.producer_epoch -= 1;
                }
                TransactionState::PrepareCommit | TransactionState::PrepareAbort => {
                    m.markers_pending = m.partitions.clone();
                    for tp in &m.markers_pending {
                        self.marker_queue
                            .insert((Rc::clone(&m.transactional_id), *tp), now);
                    }
                    if m.partitions.is_empty() {
                        empty.push(Rc::clone(&m.transactional_id));
                    }
                }
                _ => {}
            }
        }
        for id in empty {
            if let Some(broker) = self.coordinator_for(&id) {
                self.complete_transaction(now, &id, broker, out);
            }
        }
    }

    fn coordinator_epoch(&self, transactional_id: &str) -> i32 {
        self.partitions[partition_for(transactional_id) as usize].coordinator_epoch
    }

    fn reply(
        &self,
        broker: u32,
        producer: u16,
        request: &'static str,
        error: Errors,
        m: Option<&TransactionMetadata>,
        out: &mut Effects,
    ) {
        out.messages.push((
            Node::Broker(broker),
            Node::Producer(producer),
            Payload::TxnResponse(TxnResponse {
                request,
                error,
                coordinator: None,
                producer_id: m.map_or(-1, |m| m.producer_id),
                producer_epoch: m.map_or(-1, |m| m.producer_epoch),
            }),
        ));
    }

    /// Starts replicating a transition; it applies (and answers) at `now + latency`.
    fn write(
        &mut self,
        now: u64,
        broker: u32,
        next: TransactionMetadata,
        reply: Reply,
        out: &mut Effects,
    ) {
        let coordinator_epoch = self.coordinator_epoch(&next.transactional_id);
        if let Some(current) = self.transactions.get(&next.transactional_id) {
            debug_assert!(
                next.state.valid_previous().contains(&current.state),
                "{:?} after {:?}",
                next.state,
                current.state
            );
        }
        out.events.push(TraceEvent::TxnLogAppend {
            broker,
            transactional_id: Rc::clone(&next.transactional_id),
            state: next.state,
            producer_epoch: next.producer_epoch,
        });
        self.writes.push(PendingWrite {
            at: now + self.write_latency_ms,
            broker,
            coordinator_epoch,
            next,
            reply,
        });
    }

    fn write_in_flight(&self, transactional_id: &str) -> bool {
        self.writes
            .iter()
            .any(|w| &*w.next.transactional_id == transactional_id)
    }

    /// A coordinator request reaches `broker`.
    pub fn handle(
        &mut self,
        now: u64,
        broker: u32,
        producer: u16,
        request: TxnRequest,
        out: &mut Effects,
    ) {
        let name = request.name();
        let id = Rc::clone(request.transactional_id());
        if let TxnRequest::FindCoordinator { .. } = request {
            let coordinator = self.coordinator_for(&id);
            let error = match coordinator {
                Some(_) => Errors::None,
                None => Errors::CoordinatorNotAvailable,
            };
            out.messages.push((
                Node::Broker(broker),
                Node::Producer(producer),
                Payload::TxnResponse(TxnResponse {
                    request: name,
                    error,
                    coordinator,
                    producer_id: -1,
                    producer_epoch: -1,
                }),
            ));
            return;
        }
        if self.coordinator_for(&id) != Some(broker) {
            self.reply(broker, producer, name, Errors::NotCoordinator, None, out);
            return;
        }
        // A transition is being written: the client tries again (Kafka answers
        // CONCURRENT_TRANSACTIONS for a pending state transition).
        if self.write_in_flight(&id) {
            self.reply(
                broker,
                producer,
                name,
                Errors::ConcurrentTransactions,
                None,
                out,
            );
            return;
        }
        match request {
            TxnRequest::FindCoordinator { .. } => unreachable!("answered above"),
            TxnRequest::InitProducerId {
                timeout_ms,
                producer_id,
                producer_epoch,
                ..
            } => self.init_producer_id(
                now,
                broker,
                producer,
                id,
                timeout_ms,
                (producer_id, producer_epoch),
                out,
            ),
            TxnRequest::AddPartitionsToTxn {
                producer_id,
                producer_epoch,
                partitions,
                ..
            } => {
                // Only clients of transactions V0 send it (V2 leaves it to the leaders).
                let add = (
                    producer_id,
                    producer_epoch,
                    partitions,
                    TransactionVersion::Tv0,
                );
                self.add_partitions(now, broker, producer, id, add, false, out)
            }
            // `handleAddOffsetsToTxnRequest`: the group's `__consumer_offsets` partition joins
            // the transaction, so that the markers reach the group coordinator too.
            TxnRequest::AddOffsetsToTxn {
                producer_id,
                producer_epoch,
                group_id,
                ..
            } => {
                let partitions = vec![offsets_partition_for(&group_id)];
                let tv = TransactionVersion::of(self.version);
                let add = (producer_id, producer_epoch, partitions, tv);
                self.add_partitions(now, broker, producer, id, add, true, out)
            }
            TxnRequest::FindGroupCoordinator { .. } | TxnRequest::TxnOffsetCommit { .. } => {
                unreachable!("group requests go to the group coordinator")
            }
            TxnRequest::EndTxn {
                producer_id,
                producer_epoch,
                result,
                transaction_version,
                ..
            } => self.end_transaction(
                now,
                broker,
                producer,
                id,
                (producer_id, producer_epoch),
                result,
                transaction_version,
                out,
            ),
        }
    }

    /// `handleAddPartitionsToTransaction`: Empty or complete → Ongoing (a new
    /// transaction, of protocol version `tv`), the partitions recorded once written.
    #[allow(clippy::too_many_arguments)]
    fn add_partitions(
        &mut self,
        now: u64,
        broker: u32,
        producer: u16,
        id: Rc<str>,
        (producer_id, producer_epoch, partitions, tv): (
            i64,
            i16,
            Vec<TopicPartition>,
            TransactionVersion,
        ),
        offsets: bool,
        out: &mut Effects,
    ) {
        let name = if offsets {
            "AddOffsetsToTxn"
        } else {
            "AddPartitionsToTxn"
        };
        let Some(m) = self.transactions.get(&id) else {
            let e = Errors::InvalidProducerIdMapping;
            return self.reply(broker, producer, name, e, None, out);
        };
        let error = if m.producer_id != producer_id {
            Some(Errors::InvalidProducerIdMapping)
        } else if m.producer_epoch != producer_epoch {
            Some(Errors::ProducerFenced)
        } else if m.state.completing() {
            Some(Errors::ConcurrentTransactions)
        } else if partitions.iter().all(|tp| m.partitions.contains(tp))
            && m.state == TransactionState::Ongoing
        {
            // Nothing new to write.
            Some(Errors::None)
        } else {
            None
        };
        if let Some(e) = error {
            return self.reply(broker, producer, name, e, Some(m), out);
        }
        let mut next = m.clone();
        if next.state != TransactionState::Ongoing {
            next.txn_start_ms = now;
            next.transaction_version = tv;
        }
        next.state = TransactionState::Ongoing;
        next.partitions.extend(partitions);
        next.last_update_ms = now;
        let reply = Reply::AddPartitions { producer, offsets };
        self.write(now, broker, next, reply, out);
    }

    /// `handleEndTransaction` (`TransactionCoordinator.endTransaction`). Under transactions
    /// V2 (the metadata's `clientTransactionVersion`) every end bumped the epoch, so a
    /// request one epoch behind is a retry of the end that did (`endTxnEpochBumped`): OK
    /// once complete, CONCURRENT_TRANSACTIONS while the markers go out; any other epoch is
    /// PRODUCER_FENCED. A V2 client may abort a transaction the coordinator never saw
    /// start (its first write never reached the leader): from Empty (apache/kafka#17698)
    /// or a completed one, a PrepareAbort with no partitions that bumps the epoch. The
    /// end of a V2 client (`EndTxn` v5+) bumps the epoch (`prepareAbortOrCommit`); the
    /// markers carry the new one and the response returns it.
    #[allow(clippy::too_many_arguments)]
    fn end_transaction(
        &mut self,
        now: u64,
        broker: u32,
        producer: u16,
        id: Rc<str>,
        (producer_id, producer_epoch): (i64, i16),
        result: TransactionResult,
        client_version: TransactionVersion,
        out: &mut Effects,
    ) {
        use TransactionState::*;
        const NAME: &str = "EndTxn";
        let with_epoch = client_version.supports_epoch_bump();
        let Some(m) = self.transactions.get(&id) else {
            let e = Errors::InvalidProducerIdMapping;
            return self.reply(broker, producer, NAME, e, None, out);
        };
        let v2 = m.transaction_version.supports_epoch_bump();
        let retry = v2 && m.producer_epoch == producer_epoch.saturating_add(1);
        let valid_epoch = match m.state {
            PrepareCommit | PrepareAbort | CompleteCommit | CompleteAbort if v2 => retry,
            _ => producer_epoch == m.producer_epoch,
        };
        let abort_unseen = with_epoch
            && result == TransactionResult::Abort
            && matches!(m.state, Empty | CompleteCommit | CompleteAbort)
            && producer_epoch == m.producer_epoch;
        let error = if m.producer_id != producer_id {
            Some(Errors::InvalidProducerIdMapping)
        } else if abort_unseen {
            None
        } else if !valid_epoch {
            Some(Errors::ProducerFenced)
        } else {
            match (m.state, result) {
                (Ongoing, _) => None,
                (CompleteCommit, TransactionResult::Commit)
                | (CompleteAbort, TransactionResult::Abort) => Some(Errors::None),
                (PrepareCommit, TransactionResult::Commit)
                | (PrepareAbort, TransactionResult::Abort) => Some(Errors::ConcurrentTransactions),
                _ => Some(Errors::InvalidTxnState),
            }
        };
        if let Some(e) = error {
            let m = (e == Errors::None && with_epoch).then_some(m);
            return self.reply(broker, producer, NAME, e, m, out);
        }
        let mut next = prepare_complete(m, result, now);
        if with_epoch {
            next.producer_epoch = next.producer_epoch.saturating_add(1);
        }
        next.transaction_version = client_version;
        self.write(
            now,
            broker,
            next,
            Reply::EndTxn {
                producer,
                with_epoch,
            },
            out,
        );
    }

    /// A partition leader's `AddPartitionsToTxn` (`KafkaApis.handleAddPartitionsToTxnRequest`
    /// for a broker's v4+ request). `verify_only` (KIP-890 part 1,
    /// `handleVerifyPartitionsInTransaction`): answered at once from what
    /// `__transaction_state` holds — a pending write is not looked at, the append's guard
    /// check covers it — INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED for another epoch,
    /// CONCURRENT_TRANSACTIONS while the markers of the previous transaction go out, else
    /// per partition NONE if in the transaction or INVALID_TXN_STATE (TRANSACTION_ABORTABLE
    /// from 3.8, KAFKA-16314). Otherwise (transactions V2) the partitions are added as a
    /// client's `AddPartitionsToTxn` would add them (`handleAddPartitionsToTransaction`)
    /// and the leader is answered once the write completes. A broker not yet serving
    /// (`online` false: restarted, replaying metadata) coordinates nothing.
    pub fn handle_add_partitions_from_leader(
        &mut self,
        now: u64,
        broker: u32,
        online: bool,
        leader: u32,
        request: AddPartitionsToTxnRequest,
        out: &mut Effects,
    ) {
        // Per partition (`results`), or one error for all of them.
        let respond = |results: Vec<(TopicPartition, Errors)>, out: &mut Effects| {
            out.messages.push((
                Node::Broker(broker),
                Node::Broker(leader),
                Payload::AddPartitionsToTxnResponse(AddPartitionsToTxnResponse {
                    id: request.id,
                    results,
                }),
            ));
        };
        let answer = |error: Errors, out: &mut Effects| {
            respond(
                request.partitions.iter().map(|&tp| (tp, error)).collect(),
                out,
            );
        };
        let id = &request.transactional_id;
        if !online || self.coordinator_for(id) != Some(broker) {
            return answer(Errors::NotCoordinator, out);
        }
        if !request.verify_only && self.write_in_flight(id) {
            return answer(Errors::ConcurrentTransactions, out);
        }
        let Some(m) = self.transactions.get(id) else {
            return answer(Errors::InvalidProducerIdMapping, out);
        };
        if m.producer_id != request.producer_id {
            return answer(Errors::InvalidProducerIdMapping, out);
        }
        if m.producer_epoch != request.producer_epoch {
            return answer(Errors::ProducerFenced, out);
        }
        if request.verify_only {
            if matches!(
                m.state,
                TransactionState::PrepareCommit | TransactionState::PrepareAbort
            ) {
                return answer(Errors::ConcurrentTransactions, out);
            }
            let missing = if self.version.at_least(3, 8) {
                Errors::TransactionAbortable
            } else {
                Errors::InvalidTxnState
            };
            let results = request
                .partitions
                .iter()
                .map(|&tp| {
                    let error = if m.partitions.contains(&tp) {
                        Errors::None
                    } else {
                        missing
                    };
                    (tp, error)
                })
                .collect();
            return respond(results, out);
        }
        if m.state.completing() {
            return answer(Errors::ConcurrentTransactions, out);
        }
        let present = request
            .partitions
            .iter()
            .all(|tp| m.partitions.contains(tp));
        if present && m.state == TransactionState::Ongoing {
            return answer(Errors::None, out);
        }
        let mut next = m.clone();
        if next.state != TransactionState::Ongoing {
            next.txn_start_ms = now;
        }
        next.state = TransactionState::Ongoing;
        next.transaction_version = TransactionVersion::Tv2;
        next.partitions.extend(request.partitions.iter().copied());
        next.last_update_ms = now;
        let reply = Reply::LeaderAddPartitions {
            leader,
            request: request.id,
            partitions: request.partitions.clone(),
        };
        self.write(now, broker, next, reply, out);
    }

    /// `handleInitProducerId` with a transactional id.
    #[allow(clippy::too_many_arguments)]
    fn init_producer_id(
        &mut self,
        now: u64,
        broker: u32,
        producer: u16,
        id: Rc<str>,
        timeout_ms: u64,
        expected: (i64, i16),
        out: &mut Effects,
    ) {
        const NAME: &str = "InitProducerId";
        if timeout_ms > TRANSACTION_MAX_TIMEOUT_MS {
            let e = Errors::InvalidTransactionTimeout;
            return self.reply(broker, producer, NAME, e, None, out);
        }
        let Some(m) = self.transactions.get(&id) else {
            // A new id: a producer id from the controller's blocks, epoch 0, Empty.
            let next = TransactionMetadata {
                transactional_id: Rc::clone(&id),
                producer_id: -1,
                producer_epoch: 0,
                timeout_ms,
                state: TransactionState::Empty,
                partitions: VecSet::new(),
                txn_start_ms: now,
                last_update_ms: now,
                markers_pending: VecSet::new(),
                transaction_version: TransactionVersion::Tv0,
            };
            self.write(now, broker, next, Reply::InitProducerId { producer }, out);
            return;
        };
        if m.state.completing() {
            let e = Errors::ConcurrentTransactions;
            return self.reply(broker, producer, NAME, e, None, out);
        }
        // An epoch bump asked by the producer itself (after an abortable error) must name
        // the current producer id and epoch; anything else is a stale instance.
        if expected.0 >= 0 && (expected.0 != m.producer_id || expected.1 != m.producer_epoch) {
            let e = Errors::ProducerFenced;
            return self.reply(broker, producer, NAME, e, Some(m), out);
        }
        if m.state == TransactionState::Ongoing {
            // Fence the previous instance: bump the epoch and abort its transaction under
            // the new one (`prepareFenceProducerEpoch`); the caller retries meanwhile.
            let mut fenced = m.clone();
            fenced.state = TransactionState::PrepareEpochFence;
            fenced.producer_epoch = fenced.producer_epoch.saturating_add(1);
            fenced.transaction_version = TransactionVersion::Tv0;
            out.events.push(TraceEvent::TxnStateChanged {
                broker,
                transactional_id: Rc::clone(&id),
                state: fenced.state,
                producer_epoch: fenced.producer_epoch,
            });
            let next = prepare_complete(&fenced, TransactionResult::Abort, now);
            self.transactions.insert(Rc::clone(&id), fenced);
            self.write(now, broker, next, Reply::None, out);
            let e = Errors::ConcurrentTransactions;
            return self.reply(broker, producer, NAME, e, None, out);
        }
        let mut next = m.clone();
        next.state = TransactionState::Empty;
        next.partitions.clear();
        next.timeout_ms = timeout_ms;
        next.last_update_ms = now;
        // `isEpochExhausted`: a new producer id at epoch 0.
        if next.producer_epoch >= i16::MAX - 1 {
            next.producer_id = -1;
            next.producer_epoch = 0;
        } else {
            next.producer_epoch += 1;
        }
        self.write(now, broker, next, Reply::InitProducerId { producer }, out);
    }

    /// Writes whose replication completed apply; markers due go out; at each cleanup tick,
    /// transactions open longer than their timeout are aborted with a bumped epoch.
    pub fn on_timer(
        &mut self,
        now: u64,
        brokers: &mut [Broker],
        controller: &mut Controller,
        out: &mut Effects,
    ) {
        let (done, waiting): (Vec<PendingWrite>, Vec<PendingWrite>) =
            std::mem::take(&mut self.writes)
                .into_iter()
                .partition(|w| w.at <= now);
        self.writes = waiting;
        for w in done {
            self.complete_write(now, w, brokers, controller, out);
        }
        // The marker sender's NetworkClient times a request out after the broker's
        // request.timeout.ms and handles it as a disconnection: its markers go again.
        let timed_out: Vec<u64> = self
            .marker_requests
            .iter()
            .filter(|(_, r)| now > r.sent_ms + REQUEST_TIMEOUT_MS)
            .map(|(&id, _)| id)
            .collect();
        self.requeue(now, timed_out);
        if now >= self.next_cleanup_ms {
            // A fixed-rate task since the coordinator started.
            self.next_cleanup_ms =
                (now / ABORT_TIMED_OUT_INTERVAL_MS + 1) * ABORT_TIMED_OUT_INTERVAL_MS;
            self.abort_timed_out(now, out);
        }
        self.send_markers(now, brokers, controller, out);
    }

    fn complete_write(
        &mut self,
        now: u64,
        w: PendingWrite,
        brokers: &mut [Broker],
        controller: &mut Controller,
        out: &mut Effects,
    ) {
        let id = Rc::clone(&w.next.transactional_id);
        let mut next = w.next;
        // A new id's producer id comes from the coordinator broker's block.
        if next.producer_id < 0 {
            next.producer_id = brokers[w.broker as usize].init_producer_id(controller);
        }
        out.events.push(TraceEvent::TxnStateChanged {
            broker: w.broker,
            transactional_id: Rc::clone(&id),
            state: next.state,
            producer_epoch: next.producer_epoch,
        });
        if matches!(
            next.state,
            TransactionState::PrepareCommit | TransactionState::PrepareAbort
        ) {
            for tp in &next.markers_pending {
                self.marker_queue.insert((Rc::clone(&id), *tp), now);
            }
        }
        let prepared = next.state.completing() && next.markers_pending.is_empty();
        let reply = match w.reply {
            Reply::None => None,
            Reply::InitProducerId { producer } => Some((producer, "InitProducerId", true)),
            Reply::AddPartitions { producer, offsets } => Some((
                producer,
                if offsets {
                    "AddOffsetsToTxn"
                } else {
                    "AddPartitionsToTxn"
                },
                true,
            )),
            Reply::EndTxn {
                producer,
                with_epoch,
            } => Some((producer, "EndTxn", with_epoch)),
            Reply::LeaderAddPartitions {
                leader,
                request,
                partitions,
            } => {
                out.messages.push((
                    Node::Broker(w.broker),
                    Node::Broker(leader),
                    Payload::AddPartitionsToTxnResponse(AddPartitionsToTxnResponse {
                        id: request,
                        results: partitions
                            .into_iter()
                            .map(|tp| (tp, Errors::None))
                            .collect(),
                    }),
                ));
                None
            }
        };
        if let Some((producer, name, with_epoch)) = reply {
            let m = with_epoch.then_some(&next);
            self.reply(w.broker, producer, name, Errors::None, m, out);
        }
        self.transactions.insert(Rc::clone(&id), next);
        // A transaction with no partitions has no markers to wait for.
        if prepared {
            self.complete_transaction(now, &id, w.broker, out);
        }
    }

    /// Every marker is written: record CompleteCommit / CompleteAbort.
    fn complete_transaction(&mut self, now: u64, id: &Rc<str>, broker: u32, out: &mut Effects) {
        let m = &self.transactions[id];
        let mut next = m.clone();
        next.state = match m.state {
            TransactionState::PrepareCommit => TransactionState::CompleteCommit,
            _ => TransactionState::CompleteAbort,
        };
        next.partitions.clear();
        next.last_update_ms = now;
        self.write(now, broker, next, Reply::None, out);
    }

    /// `abortTimedOutTransactions`.
    fn abort_timed_out(&mut self, now: u64, out: &mut Effects) {
        let expired: Vec<Rc<str>> = self
            .transactions
            .values()
            .filter(|m| {
                m.state == TransactionState::Ongoing
                    && now.saturating_sub(m.txn_start_ms) > m.timeout_ms
                    && !self.write_in_flight(&m.transactional_id)
            })
            .map(|m| Rc::clone(&m.transactional_id))
            .collect();
        for id in expired {
            let Some(broker) = self.coordinator_for(&id) else {
                continue;
            };
            let m = &self.transactions[&id];
            out.events.push(TraceEvent::TxnTimedOut {
                broker,
                transactional_id: Rc::clone(&id),
                producer_epoch: m.producer_epoch,
            });
            // `prepareFenceProducerEpoch`: one bump, under either protocol.
            let mut fenced = m.clone();
            fenced.producer_epoch = fenced.producer_epoch.saturating_add(1);
            fenced.transaction_version = TransactionVersion::Tv0;
            let next = prepare_complete(&fenced, TransactionResult::Abort, now);
            self.write(now, broker, next, Reply::None, out);
        }
    }

    /// `TransactionMarkerChannelManager`: the due markers, grouped per partition leader
    /// (as the coordinator's metadata names it) into one `WriteTxnMarkers` each.
    fn send_markers(
        &mut self,
        now: u64,
        brokers: &[Broker],
        controller: &Controller,
        out: &mut Effects,
    ) {
        let due: Vec<MarkerKey> = self
            .marker_queue
            .iter()
            .filter(|(_, &at)| at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        // Per (coordinator, leader, whether `__consumer_offsets`): the group coordinator's
        // markers travel apart from the data partitions'.
        let mut per_leader: VecMap<(u32, u32, bool), Vec<MarkerKey>> = VecMap::new();
        for (id, tp) in due {
            let Some(coordinator) = self.coordinator_for(&id) else {
                // No coordinator: the next one elected loads the transaction and sends
                // its markers (`elect`). Waiting here would wake the coordinator for
                // nothing at this same instant, over and over.
                self.marker_queue.remove(&(id, tp));
                continue;
            };
            let Some(m) = self.transactions.get(&id) else {
                self.marker_queue.remove(&(id, tp));
                continue;
            };
            if !m.markers_pending.contains(&tp) {
                self.marker_queue.remove(&(id, tp));
                continue;
            }
            let offsets = tp.topic == CONSUMER_OFFSETS;
            let leader = if offsets {
                GroupCoordinator::offsets_leader(tp.partition, brokers.len() as u32, controller)
            } else {
                brokers[coordinator as usize].metadata.leader_for(tp)
            };
            match leader {
                Some(leader) => {
                    self.marker_queue.remove(&(Rc::clone(&id), tp));
                    per_leader
                        .entry((coordinator, leader, offsets))
                        .or_default()
                        .push((id, tp));
                }
                None => {
                    self.marker_queue
                        .insert((id, tp), now + MARKER_RETRY_BACKOFF_MS);
                }
            }
        }
        for ((coordinator, leader, _), entries) in per_leader {
            let id = self.next_marker_request;
            self.next_marker_request += 1;
            let mut markers: Vec<TxnMarkerEntry> = Vec::new();
            for (tid, tp) in &entries {
                let m = &self.transactions[tid];
                let result = match m.state {
                    TransactionState::PrepareCommit => TransactionResult::Commit,
                    _ => TransactionResult::Abort,
                };
                let coordinator_epoch = self.coordinator_epoch(tid);
                match markers.iter_mut().find(|e| e.producer_id == m.producer_id) {
                    Some(e) => e.partitions.push(*tp),
                    None => markers.push(TxnMarkerEntry {
                        producer_id: m.producer_id,
                        producer_epoch: m.producer_epoch,
                        coordinator_epoch,
                        result,
                        partitions: vec![*tp],
                    }),
                }
            }
            out.messages.push((
                Node::Broker(coordinator),
                Node::Broker(leader),
                Payload::WriteTxnMarkers(WriteTxnMarkersRequest { id, markers }),
            ));
            self.marker_requests.insert(
                id,
                MarkerRequest {
                    to: leader,
                    entries,
                    sent_ms: now,
                },
            );
        }
    }

    /// A leader's answer: written markers are done; the rest are retried after the backoff
    /// (by then the metadata may name another leader). When a transaction's last marker is
    /// written, its completion is recorded.
    pub fn handle_markers_response(
        &mut self,
        now: u64,
        response: WriteTxnMarkersResponse,
        out: &mut Effects,
    ) {
        let Some(request) = self.marker_requests.remove(&response.id) else {
            return;
        };
        for (tid, tp) in request.entries {
            let Some(m) = self.transactions.get_mut(&tid) else {
                continue;
            };
            let error = response
                .results
                .iter()
                .find(|(pid, t, _)| *pid == m.producer_id && *t == tp)
                .map_or(Errors::NetworkException, |r| r.2);
            if error == Errors::None {
                m.markers_pending.remove(&tp);
                let finished = m.markers_pending.is_empty()
                    && matches!(
                        m.state,
                        TransactionState::PrepareCommit | TransactionState::PrepareAbort
                    );
                if finished {
                    if let Some(broker) = self.coordinator_for(&tid) {
                        self.complete_transaction(now, &tid, broker, out);
                    }
                }
            } else {
                self.marker_queue
                    .insert((tid, tp), now + MARKER_RETRY_BACKOFF_MS);
            }
        }
    }

    /// A marker request's leader died under it: send those markers again later.
    pub fn connection_closed(&mut self, now: u64, broker: u32) {
        let lost: Vec<u64> = self
            .marker_requests
            .iter()
            .filter(|(_, r)| r.to == broker)
            .map(|(&id, _)| id)
            .collect();
        self.requeue(now, lost);
    }

    /// Marker requests given up on (`wasDisconnected`): their markers go again after the
    /// backoff, to whichever broker leads then.
    fn requeue(&mut self, now: u64, lost: Vec<u64>) {
        for id in lost {
            let r = self.marker_requests.remove(&id).expect("listed");
            for key in r.entries {
                self.marker_queue.insert(key, now + MARKER_RETRY_BACKOFF_MS);
            }
        }
    }

    pub fn next_timeout(&self) -> Option<u64> {
        let active = self
            .transactions
            .values()
            .any(|m| m.state == TransactionState::Ongoing);
        self.writes
            .iter()
            .map(|w| w.at)
            .chain(self.marker_queue.values().copied())
            .chain(
                self.marker_requests
                    .values()
                    .map(|r| r.sent_ms + REQUEST_TIMEOUT_MS + 1),
            )
            .chain(active.then_some(self.next_cleanup_ms))
            .min()
    }
}

/// `prepareAbortOrCommit`: PrepareCommit / PrepareAbort with every partition's marker to
/// write.
fn prepare_complete(
    m: &TransactionMetadata,
    result: TransactionResult,
    now: u64,
) -> TransactionMetadata {
    let mut next = m.clone();
    next.state = match result {
        TransactionResult::Commit => TransactionState::PrepareCommit,
        TransactionResult::Abort => TransactionState::PrepareAbort,
    };
    next.markers_pending = m.partitions.clone();
    next.last_update_ms = now;
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_and_partition() {
        // "".hashCode() = 0; "a" = 97; "Aa" and "BB" collide (2112).
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("Aa"), 2112);
        assert_eq!(java_string_hash("BB"), 2112);
        assert_eq!(partition_for("a"), 97 % 50);
        // "polygenelubricants".hashCode() is Integer.MIN_VALUE: Utils.abs makes it 0.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(partition_for("polygenelubricants"), 0);
    }

    #[test]
    fn state_table() {
        use TransactionState::*;
        assert!(PrepareAbort.valid_previous().contains(&PrepareEpochFence));
        assert!(!PrepareCommit.valid_previous().contains(&Empty));
        assert!(Ongoing.valid_previous().contains(&CompleteAbort));
    }
}
