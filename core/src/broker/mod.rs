//! A broker: the partition replicas it hosts, its produce path (`KafkaApis.handleProduceRequest`
//! → `ReplicaManager.appendRecords`, with `DelayedProduce` for `acks=all`), the transaction
//! markers coordinators ask it to write (`KafkaApis.handleWriteTxnMarkersRequest`, the same
//! path with acks=all), the leader's side of follower and consumer fetches (`DelayedFetch`;
//! `read_committed` reads to the last stable offset), its own fetchers for the partitions it
//! follows, the `isr-expiration` task, and the roles the controller's metadata gives it
//! (`broker.md` §2–§8, `exactly-once.md` §7–§8). From 3.6 it verifies a producer's first
//! transactional write to a partition with the transaction coordinator before appending it
//! (KIP-890, `AddPartitionsToTxnManager`; see `Verification`).

pub mod epoch_cache;
pub mod hosted;
pub mod log;
pub mod partition;
pub mod producer_state;

use crate::config::{Acks, BrokerConfig, IsolationLevel};
use crate::controller::{Controller, PartitionChange, PartitionRegistration};
use crate::coordinator::{
    partition_for, transaction_verification_enabled, TransactionVersion,
    TRANSACTION_STATE_PARTITIONS,
};
use crate::effects::Effects;
use crate::errors::Errors;
use crate::metadata::{Cluster, TopicPartition};
use crate::net::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, AlterPartition, ConsumerFetch,
    FetchPartition, FetchRequest, FetchResponse, FetchedPartition, Node, PartitionResponse,
    Payload, ProduceRequest, ProduceResponse, WriteTxnMarkersRequest, WriteTxnMarkersResponse,
};
use crate::trace::TraceEvent;
use crate::vec_map::{VecMap, VecSet};
use crate::version::KafkaVersion;
use epoch_cache::{diverging_epoch, truncation_for_divergence, OffsetOutOfRange, Truncation};
use hosted::Hosted;
use partition::{LeaderAppend, Partition};
use std::collections::VecDeque;
use std::rc::Rc;

/// `replica.fetch.wait.max.ms`: how long the leader holds a fetch that finds no new data.
pub const REPLICA_FETCH_WAIT_MAX_MS: u64 = 500;

/// The broker's `request.timeout.ms`: how long markers wait for the ISR
/// (`handleWriteTxnMarkersRequest` appends them with it as the timeout).
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// `add.partitions.to.txn.retry.backoff.ms` and `add.partitions.to.txn.retry.backoff.max.ms`
/// (4.0, KAFKA-18654, `AddPartitionsToTxnConfig`): under transactions V2 a leader whose
/// `AddPartitionsToTxn` meets CONCURRENT_TRANSACTIONS (the previous transaction's markers
/// are still going out) asks again itself, every 20 ms for up to 100 ms, before it answers
/// the producer.
pub const ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MS: u64 = 20;
pub const ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MAX_MS: u64 = 100;

/// A produce request held while the transaction coordinator verifies the partitions its
/// producer writes to for the first time in a transaction (KIP-890 part 1, 3.6+;
/// `ReplicaManager.appendRecords` → `AddPartitionsToTxnManager.verifyTransaction`, the
/// request going on in the callback `appendEntries`), or, under transactions V2 (4.0),
/// adds them to the transaction. The producer's connection reads nothing more meanwhile.
///
/// Why: before 3.6 nothing tied a transactional append to the coordinator's view. A produce
/// delayed in the network past its transaction's abort (the client gave up on it, aborted,
/// the ABORT marker was written) is appended after the marker under the same epoch and
/// opens a transaction the coordinator knows nothing of: no marker will ever end it, and
/// the partition's last stable offset stays there — a "hanging transaction" that blocks
/// `read_committed` consumers (and log compaction) until an operator aborts it
/// (`kafka-transactions.sh abort`, KIP-664); the coordinator's `transaction.timeout.ms`
/// abort does not see it. If the producer writes to that partition in a later transaction,
/// that transaction's marker ends it instead, and the aborted record commits with it. With
/// verification the coordinator answers that the transaction is not ongoing (or that the
/// epoch is old) and the record is refused.
#[derive(Clone, Debug, PartialEq)]
struct Verification {
    producer: u16,
    request: ProduceRequest,
    /// The guard each partition's append must carry (`VerificationGuard`).
    guards: VecMap<TopicPartition, u64>,
    add: AddPartitionsToTxnRequest,
    coordinator: Option<u32>,
    /// The inter-broker `request.timeout.ms` of the request out: NETWORK_EXCEPTION then.
    deadline: u64,
    /// Transactions V2: CONCURRENT_TRANSACTIONS is retried until this time, and the retry
    /// waits until `retry_at`.
    retry_until: u64,
    retry_at: Option<u64>,
    /// The producer's connection closed meanwhile: the append still happens, nobody is
    /// answered (Kafka sends the response to a closed channel).
    orphaned: bool,
}

/// An `acks=all` append waiting for the high watermark (`DelayedProduce`).
#[derive(Clone, Debug, PartialEq)]
struct DelayedProduce {
    reply: DelayedReply,
    request: u64,
    deadline: u64,
    /// Per entry of the reply, in order: while waiting, the offset HW must reach.
    required: Vec<Option<u64>>,
}

/// Who waits on a `DelayedProduce`, with its answer so far per partition.
#[derive(Clone, Debug, PartialEq)]
enum DelayedReply {
    /// A producer's `ProduceResponse`, per batch; its connection reads nothing more until
    /// it is sent.
    Produce {
        producer: u16,
        partitions: Vec<PartitionResponse>,
    },
    /// A coordinator's `WriteTxnMarkersResponse`, per producer id and partition.
    WriteTxnMarkers {
        coordinator: u32,
        results: Vec<(i64, TopicPartition, Errors)>,
    },
}

impl DelayedReply {
    fn tp(&self, i: usize) -> TopicPartition {
        match self {
            DelayedReply::Produce { partitions, .. } => partitions[i].tp,
            DelayedReply::WriteTxnMarkers { results, .. } => results[i].1,
        }
    }

    fn fail(&mut self, i: usize, error: Errors) {
        match self {
            DelayedReply::Produce { partitions, .. } => {
                let r = &mut partitions[i];
                *r = PartitionResponse::error(r.tp, r.batch, error);
            }
            DelayedReply::WriteTxnMarkers { results, .. } => results[i].2 = error,
        }
    }
}

/// What an event moved, for the held fetches it may satisfy: a follower's read ends at
/// the log end, a consumer's at the high watermark.
#[derive(Clone, Copy, PartialEq)]
enum Moved {
    /// Leaders: every held fetch is answered now.
    Leaders,
    /// Logs, high watermarks or the clock: any held fetch may now be satisfied or due.
    Anything,
    LogEnds,
    HighWatermarks,
}

/// A fetch that found nothing new, held up to `replica.fetch.wait.max.ms` (a follower's)
/// or `fetch.max.wait.ms` (a consumer's).
#[derive(Clone, Debug, PartialEq)]
struct DelayedFetch {
    from: Node,
    request: FetchRequest,
    deadline: u64,
}

/// A fetcher's state for one leader (`AbstractFetcherThread`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fetcher {
    /// A fetch is out; the connection is given up on at the deadline.
    InFlight { id: u64, deadline: u64 },
    /// After an error or a lost connection: fetch again at this time.
    Backoff { until: u64 },
}

/// `replica.fetch.max.bytes`: how much of a partition one follower fetch takes.
pub const REPLICA_FETCH_MAX_BYTES: u64 = 1_048_576;
/// `replica.socket.timeout.ms`: how long a fetcher waits on a silent leader.
pub const REPLICA_SOCKET_TIMEOUT_MS: u64 = 30_000;
/// `replica.fetch.backoff.ms`: the pause after a failed fetch.
pub const REPLICA_FETCH_BACKOFF_MS: u64 = 1_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Broker {
    pub id: u32,
    version: KafkaVersion,
    config: BrokerConfig,
    /// The next run of the `kafka-log-retention` task; none while the process is down.
    next_retention_check_ms: Option<u64>,
    /// When this process loaded its logs: each log's `PeriodicProducerExpirationCheck`
    /// runs every `producer.id.expiration.check.interval.ms` from then. None while down.
    logs_loaded_ms: Option<u64>,
    /// Every replica hosted here, leader or follower.
    pub partitions: Hosted,
    /// What this broker knows of the cluster (its `MetadataCache`): what producers get.
    pub metadata: Rc<Cluster>,
    /// Restarted and waiting to be registered and to replay the metadata: serves nothing.
    pub online: bool,
    delayed_produce: Vec<DelayedProduce>,
    delayed_fetch: Vec<DelayedFetch>,
    /// Per producer connection: requests read off the socket, not yet handled, and
    /// whether the connection waits on the response to one in purgatory.
    produce_queue: VecMap<u16, VecDeque<ProduceRequest>>,
    waiting_on: VecSet<u16>,
    /// The leaders this broker fetches from, with the partitions it follows on each, and
    /// whether it leads a partition with followers (which needs the ISR check). Worked
    /// out again whenever the metadata changes.
    followed: VecMap<u32, Vec<TopicPartition>>,
    fetchers: VecMap<u32, Fetcher>,
    /// Brokers the controller has fenced, as the metadata says: they do not hold the high
    /// watermark back (`Partition.isReplicaIsrEligible`).
    fenced: Vec<u32>,
    leads_replicated: bool,
    /// How many partitions this broker leads: a held fetch of that many reads them all.
    led: usize,
    next_fetch_id: u64,
    /// The next run of the `isr-expiration` task (every lag time / 2).
    next_isr_check_ms: u64,
    /// `IsrShrinksPerSec` / `IsrExpandsPerSec`, as counts.
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    /// `TotalProduceRequestsPerSec` / `FailedProduceRequestsPerSec` (per partition append,
    /// as counts; not-leader and too-large refusals are not failures there).
    pub total_produce_requests: u64,
    pub failed_produce_requests: u64,
    /// The producer ids this broker may hand out (`RPCProducerIdManager`): next, end.
    producer_ids: Option<(i64, i64)>,
    /// Each `__transaction_state` partition's leader as this broker's metadata has it:
    /// where its `AddPartitionsToTxnManager` sends.
    transaction_state_leaders: Vec<Option<u32>>,
    /// Produce requests waiting on the coordinator, by verification id.
    verifying: VecMap<u64, Verification>,
    next_verification_id: u64,
}

impl Broker {
    /// The brokers fenced as this broker's metadata says (from 3.6 they hold no high
    /// watermark back).
    pub fn fenced(&self) -> &[u32] {
        &self.fenced
    }

    /// A broker hosting every replica the controller assigns to it.
    pub fn new(
        id: u32,
        cluster: &Rc<Cluster>,
        controller: &Controller,
        version: KafkaVersion,
        config: BrokerConfig,
    ) -> Self {
        let mut partitions = VecMap::new();
        for (tp, registration) in &controller.partitions {
            if registration.replicas.contains(&id) {
                let config = &cluster.topic(*tp).config;
                let mut p = Partition::new(*tp, id, registration, config, 0);
                p.producer_state.verification_enabled = transaction_verification_enabled(version);
                p.producer_state.ongoing_by_epoch = version.at_least(4, 0);
                partitions.insert(*tp, p);
            }
        }
        let mut broker = Broker {
            id,
            version,
            config,
            next_retention_check_ms: Some(config.initial_task_delay_ms),
            logs_loaded_ms: Some(0),
            partitions: Hosted::new(partitions),
            metadata: Rc::clone(cluster),
            online: true,
            delayed_produce: Vec::new(),
            delayed_fetch: Vec::new(),
            produce_queue: VecMap::new(),
            waiting_on: VecSet::new(),
            followed: VecMap::new(),
            fetchers: VecMap::new(),
            fenced: Vec::new(),
            leads_replicated: false,
            led: 0,
            next_fetch_id: 0,
            next_isr_check_ms: 0,
            isr_shrinks: 0,
            isr_expands: 0,
            total_produce_requests: 0,
            failed_produce_requests: 0,
            producer_ids: None,
            // The coordinator's initial placement: partition i led by broker i mod n.
            transaction_state_leaders: (0..TRANSACTION_STATE_PARTITIONS)
                .map(|i| Some(i % cluster.brokers.max(1)))
                .collect(),
            verifying: VecMap::new(),
            next_verification_id: 0,
        };
        broker.update_roles();
        broker
    }

    /// Which leaders to fetch from, how many partitions are led here and whether the ISR
    /// check has work.
    fn update_roles(&mut self) {
        self.followed.clear();
        self.led = 0;
        for (tp, p) in &self.partitions {
            match p.leader {
                Some(leader) if leader == self.id => self.led += 1,
                Some(leader) => self.followed.entry(leader).or_default().push(*tp),
                None => {}
            }
        }
        self.leads_replicated = self
            .partitions
            .values()
            .any(|p| p.is_leader() && !p.followers.is_empty());
        self.fetchers.retain(|l, _| self.followed.contains_key(l));
    }

    /// Starts a fetcher for every leader followed that has none (`ReplicaFetcherManager`).
    pub fn start(&mut self, now: u64, out: &mut Effects) {
        let leaders: Vec<u32> = self.followed.keys().copied().collect();
        for leader in leaders {
            if !self.fetchers.contains_key(&leader) {
                self.send_fetch(leader, now, out);
            }
        }
    }

    /// The fetcher's next `Fetch` to `leader`: every partition it follows there, from
    /// its log end offset, with the epoch of its last record.
    fn send_fetch(&mut self, leader: u32, now: u64, out: &mut Effects) {
        // From a slice, the list is allocated at its size (through `Option::flatten`, grown).
        let followed = self.followed.get(&leader).map_or(&[][..], Vec::as_slice);
        let partitions: Vec<FetchPartition> = followed
            .iter()
            .map(|tp| {
                let p = &self.partitions[tp];
                FetchPartition {
                    tp: *tp,
                    fetch_offset: p.log.log_end_offset(),
                    last_fetched_epoch: p.last_fetched_epoch(),
                    current_leader_epoch: p.leader_epoch,
                }
            })
            .collect();
        if partitions.is_empty() {
            self.fetchers.remove(&leader);
            return;
        }
        let id = self.next_fetch_id;
        self.next_fetch_id += 1;
        self.fetchers.insert(
            leader,
            Fetcher::InFlight {
                id,
                deadline: now + REPLICA_SOCKET_TIMEOUT_MS,
            },
        );
        out.messages.push((
            Node::Broker(self.id),
            Node::Broker(leader),
            Payload::Fetch(FetchRequest {
                id,
                partitions,
                consumer: None,
            }),
        ));
    }

    /// The process dies: requests waiting in purgatory, fetchers and ISR changes in flight
    /// are gone; the logs (and their high watermark checkpoints) stay on disk. The next
    /// process leads and follows nothing until it has registered and replayed the metadata.
    pub fn crash(&mut self) {
        self.online = false;
        self.next_retention_check_ms = None;
        self.logs_loaded_ms = None;
        self.delayed_produce.clear();
        self.delayed_fetch.clear();
        self.produce_queue.clear();
        self.waiting_on.clear();
        self.producer_ids = None;
        self.verifying.clear();
        for p in self.partitions.values_mut() {
            p.leader = None;
            p.pending_isr = None;
            p.followers.clear();
        }
        self.update_roles();
    }

    /// Partition changes from the controller, as this broker's metadata replay delivers
    /// them: each replica becomes leader or follower (`ReplicaManager.applyDelta`);
    /// produces waiting on a partition it no longer leads are answered
    /// `NOT_LEADER_OR_FOLLOWER`; fetchers follow the new leaders.
    pub fn apply_metadata(
        &mut self,
        now: u64,
        changes: &[PartitionChange],
        fenced: Vec<u32>,
        out: &mut Effects,
    ) {
        self.online = true;
        let newly_fenced = fenced.iter().any(|b| !self.fenced.contains(b));
        self.fenced = fenced;
        let metadata = Rc::make_mut(&mut self.metadata);
        for c in changes {
            metadata.set_leader(c.tp, c.registration.leader, c.registration.leader_epoch);
        }
        for c in changes {
            let Some(p) = self.partitions.get_mut(&c.tp) else {
                continue;
            };
            if p.apply(&c.registration, now) {
                out.events.push(TraceEvent::BecameLeaderOrFollower {
                    broker: self.id,
                    tp: c.tp,
                    leader: p.is_leader(),
                    leader_epoch: p.leader_epoch,
                    log_end_offset: p.log.log_end_offset(),
                });
                if !p.is_leader() {
                    self.fail_delayed_produce(c.tp);
                }
            }
        }
        self.update_roles();
        let led: Vec<TopicPartition> = if newly_fenced {
            // A fenced follower no longer holds any high watermark back.
            let led = self.partitions.iter().filter(|(_, p)| p.is_leader());
            led.map(|(tp, _)| *tp).collect()
        } else {
            let changed = changes.iter().map(|c| c.tp);
            changed
                .filter(|tp| self.partitions.get(tp).is_some_and(Partition::is_leader))
                .collect()
        };
        for tp in led {
            self.advance_high_watermark(tp, now, out);
        }
        self.complete_delayed_produce(now, out);
        self.complete_delayed_fetch(now, Moved::Leaders, out);
        self.start(now, out);
    }

    /// `testClearPurgatoryOnBecomingFollower`: an acks=all produce (or marker) can no
    /// longer complete.
    fn fail_delayed_produce(&mut self, tp: TopicPartition) {
        for d in &mut self.delayed_produce {
            for (i, required) in d.required.iter_mut().enumerate() {
                if d.reply.tp(i) == tp && required.is_some() {
                    d.reply.fail(i, Errors::NotLeaderOrFollower);
                    *required = None;
                }
            }
        }
    }

    /// A produce request arrives on a producer's connection. The socket server reads one
    /// request per connection at a time: the next waits until this one's response is sent
    /// (`SocketServer.Processor` mutes the channel), so an `acks=all` request waiting for
    /// the ISR holds back the requests pipelined behind it.
    pub fn handle_produce(
        &mut self,
        now: u64,
        producer: u16,
        request: ProduceRequest,
        out: &mut Effects,
    ) {
        self.produce_queue
            .entry(producer)
            .or_default()
            .push_back(request);
        self.serve(now, producer, out);
    }

    /// Handles the producer's queued requests while its connection is not waiting on one.
    fn serve(&mut self, now: u64, producer: u16, out: &mut Effects) {
        while !self.waiting_on.contains(&producer) {
            let Some(request) = self
                .produce_queue
                .get_mut(&producer)
                .and_then(VecDeque::pop_front)
            else {
                return;
            };
            let Some(request) = self.maybe_verify(now, producer, request, out) else {
                continue;
            };
            self.process_produce(now, producer, &request, &Verified::default(), true, out);
        }
    }

    /// The coordinators' leaders changed (the simulation keeps every broker's view current).
    pub fn set_transaction_state_leaders(&mut self, leaders: Vec<Option<u32>>) {
        self.transaction_state_leaders = leaders;
    }

    /// `ReplicaManager.appendRecords` with a `transactionalId` and verification on
    /// (`partitionEntriesForVerification`): the transactional batches whose producer has no
    /// transaction open on their partition get a verification guard, and the whole request
    /// waits for the coordinator's answer. Returns the request when nothing needs verifying.
    fn maybe_verify(
        &mut self,
        now: u64,
        producer: u16,
        request: ProduceRequest,
        out: &mut Effects,
    ) -> Option<ProduceRequest> {
        let Some(transactional_id) = request.transactional_id.clone() else {
            return Some(request);
        };
        if !transaction_verification_enabled(self.version) || !self.online {
            return Some(request);
        }
        let mut guards = VecMap::new();
        let mut producer_id_and_epoch = None;
        for batch in request
            .batches
            .iter()
            .filter(|b| b.transactional && b.producer_id >= 0)
        {
            let Some(p) = self.partitions.get_mut(&batch.tp).filter(|p| p.is_leader()) else {
                continue;
            };
            let (pid, epoch) = (batch.producer_id, batch.producer_epoch);
            if let Some(guard) =
                p.maybe_start_transaction_verification(pid, batch.base_sequence, epoch)
            {
                guards.insert(batch.tp, guard);
                producer_id_and_epoch.get_or_insert((pid, epoch));
            }
        }
        let Some((producer_id, producer_epoch)) = producer_id_and_epoch else {
            return Some(request);
        };
        let id = self.next_verification_id;
        self.next_verification_id += 1;
        let coordinator = self.transaction_state_leaders[partition_for(&transactional_id) as usize];
        let add = AddPartitionsToTxnRequest {
            id,
            transactional_id,
            producer_id,
            producer_epoch,
            // Transactions V2 (produce v12): the leader adds the partitions itself.
            verify_only: !TransactionVersion::of(self.version).supports_epoch_bump(),
            partitions: guards.keys().copied().collect(),
        };
        self.waiting_on.insert(producer);
        self.verifying.insert(
            id,
            Verification {
                producer,
                request,
                guards,
                add,
                coordinator,
                deadline: now + REQUEST_TIMEOUT_MS,
                retry_until: now + ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MAX_MS,
                retry_at: None,
                orphaned: false,
            },
        );
        match coordinator {
            Some(_) => self.send_verification(now, id, out),
            // `getTransactionCoordinator` found no live leader.
            None => {
                let v = self.verifying.remove(&id).expect("just added");
                let results = v
                    .add
                    .partitions
                    .iter()
                    .map(|&tp| (tp, Errors::CoordinatorNotAvailable))
                    .collect();
                self.finish_verification(now, v, results, out);
            }
        }
        None
    }

    fn send_verification(&mut self, now: u64, id: u64, out: &mut Effects) {
        let v = self.verifying.get_mut(&id).expect("verifying");
        let coordinator = v.coordinator.expect("a coordinator to ask");
        v.deadline = now + REQUEST_TIMEOUT_MS;
        v.retry_at = None;
        out.events.push(TraceEvent::TxnVerificationSent {
            broker: self.id,
            coordinator,
            producer: v.producer,
            producer_id: v.add.producer_id,
            producer_epoch: v.add.producer_epoch,
            partitions: v.add.partitions.clone(),
            verify_only: v.add.verify_only,
        });
        out.messages.push((
            Node::Broker(self.id),
            Node::Broker(coordinator),
            Payload::AddPartitionsToTxn(v.add.clone()),
        ));
    }

    /// The coordinator's answer to a verification (`AddPartitionsToTxnHandler.onComplete`).
    /// Under transactions V2, CONCURRENT_TRANSACTIONS is first retried here.
    pub fn handle_add_partitions_response(
        &mut self,
        now: u64,
        response: AddPartitionsToTxnResponse,
        out: &mut Effects,
    ) {
        let Some(v) = self.verifying.get_mut(&response.id) else {
            // Given up on (timed out, or the connection closed) already.
            return;
        };
        let busy = response
            .results
            .iter()
            .any(|(_, e)| *e == Errors::ConcurrentTransactions);
        if !v.add.verify_only
            && busy
            && now + ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MS <= v.retry_until
        {
            v.retry_at = Some(now + ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MS);
            return;
        }
        let v = self.verifying.remove(&response.id).expect("present");
        let producer = v.producer;
        let orphaned = v.orphaned;
        self.finish_verification(now, v, response.results, out);
        if !orphaned {
            self.serve(now, producer, out);
        }
    }

    /// The verification is over: the errors the coordinator gave become the producer's
    /// answer for those partitions, as `AddPartitionsToTxnManager` and
    /// `ReplicaManager.appendRecords` translate them for clients of this release
    /// (PRODUCER_FENCED → INVALID_PRODUCER_EPOCH; INVALID_TXN_STATE "Partition was not added
    /// to the transaction"; the coordinator's retriable errors → NOT_ENOUGH_REPLICAS,
    /// KAFKA-15459, which old clients retry — NETWORK_EXCEPTION among them from 3.8 — or
    /// CONCURRENT_TRANSACTIONS for a transactions V2 producer, KAFKA-18662); the rest of the
    /// request is appended, the verified partitions with their guards.
    fn finish_verification(
        &mut self,
        now: u64,
        v: Verification,
        results: Vec<(TopicPartition, Errors)>,
        out: &mut Effects,
    ) {
        out.events.push(TraceEvent::TxnVerificationAnswered {
            broker: self.id,
            producer: v.producer,
            results: results.iter().map(|(tp, e)| (*tp, e.name())).collect(),
        });
        let tv2 = !v.add.verify_only;
        let mut errors = VecMap::new();
        for (tp, error) in results {
            let translated = match error {
                Errors::None => continue,
                Errors::ProducerFenced => (Errors::InvalidProducerEpoch, error.name().to_string()),
                Errors::InvalidTxnState => (
                    error,
                    "Partition was not added to the transaction".to_string(),
                ),
                Errors::ConcurrentTransactions
                | Errors::CoordinatorNotAvailable
                | Errors::NotCoordinator => retriable(error, tv2),
                Errors::NetworkException if self.version.at_least(3, 8) => retriable(error, tv2),
                _ => (error, error.name().to_string()),
            };
            errors.insert(tp, translated);
        }
        if !v.orphaned {
            self.waiting_on.remove(&v.producer);
        }
        let verified = Verified {
            guards: v.guards,
            errors,
        };
        self.process_produce(now, v.producer, &v.request, &verified, !v.orphaned, out);
    }

    /// Appends every batch to its partition's log. `acks=0` gets no response, `acks=1` one
    /// at once, `acks=all` one when the high watermark has passed every batch (or with
    /// `NOT_ENOUGH_REPLICAS` when the ISR is under `min.insync.replicas` before the append).
    fn process_produce(
        &mut self,
        now: u64,
        producer: u16,
        request: &ProduceRequest,
        verified: &Verified,
        respond: bool,
        out: &mut Effects,
    ) {
        // The response per batch, and the offset the high watermark must pass before it is
        // sent (acks=all; `None` for an error): two lists, as `DelayedProduce` keeps them.
        let mut partitions = Vec::with_capacity(request.batches.len());
        let mut required = Vec::with_capacity(request.batches.len());
        for batch in &request.batches {
            self.total_produce_requests += 1;
            let version = self.version;
            let id = self.id;
            let failed = &mut self.failed_produce_requests;
            let mut reject = |error: Errors, reason: String| {
                if !matches!(error, Errors::NotLeaderOrFollower | Errors::MessageTooLarge) {
                    *failed += 1;
                }
                out.events.push(TraceEvent::BatchRejected {
                    broker: self.id,
                    producer,
                    request: request.id,
                    batch: batch.batch,
                    tp: batch.tp,
                    error: error.name(),
                    reason: Box::new(reason),
                });
                // The broker's reason stays in its log: the response carries the bare code
                // (`LogAppendResult` has no custom message for these).
                partitions.push(PartitionResponse::error(batch.tp, batch.batch, error));
                required.push(None);
            };
            // A partition the coordinator did not verify is answered with its error: its
            // batch never reaches the log (`appendEntries` leaves it out).
            if let Some((error, reason)) = verified.errors.get(&batch.tp) {
                reject(*error, reason.clone());
                continue;
            }
            // A producer's metadata may be stale: the leader moved, or this broker has not
            // replayed the metadata since it restarted.
            let partition = match self.partitions.get_mut(&batch.tp) {
                Some(p) if p.is_leader() && self.online => p,
                _ => {
                    let reason = format!("Broker {id} is not the leader of {}", batch.tp);
                    reject(Errors::NotLeaderOrFollower, reason);
                    continue;
                }
            };
            if request.acks == Acks::All && partition.not_enough_replicas(version) {
                let reason = format!(
                    "The size of the current ISR {:?} is insufficient to satisfy the min.isr requirement of {} for partition {}",
                    partition.isr,
                    partition.effective_min_isr(version),
                    batch.tp
                );
                reject(Errors::NotEnoughReplicas, reason);
                continue;
            }
            let guard = verified.guards.get(&batch.tp).copied();
            let appended = partition.append_records_to_leader_verified(producer, batch, guard, now);
            match appended {
                LeaderAppend::Appended { base_offset } => {
                    out.events.push(TraceEvent::Appended {
                        broker: self.id,
                        producer,
                        request: request.id,
                        batch: batch.batch,
                        tp: batch.tp,
                        base_offset,
                        records: batch.records.len() as u32,
                    });
                    partitions.push(PartitionResponse::ok(batch.tp, batch.batch, base_offset));
                    required.push(Some(base_offset + batch.records.len() as u64));
                }
                LeaderAppend::Duplicate { base_offset } => {
                    out.events.push(TraceEvent::DuplicateBatch {
                        broker: self.id,
                        producer,
                        request: request.id,
                        batch: batch.batch,
                        tp: batch.tp,
                        base_offset,
                    });
                    partitions.push(PartitionResponse::ok(batch.tp, batch.batch, base_offset));
                    required.push(Some(base_offset + batch.records.len() as u64));
                }
                LeaderAppend::Rejected { error, reason } => reject(error, reason),
            }
            self.advance_high_watermark(batch.tp, now, out);
        }
        // Held follower fetches now have data. A high watermark that moved above has
        // already answered the consumers it could.
        self.complete_delayed_fetch(now, Moved::LogEnds, out);
        if !respond {
            return;
        }
        match request.acks {
            Acks::None => {}
            Acks::Leader => out.messages.push((
                Node::Broker(self.id),
                Node::Producer(producer),
                Payload::ProduceResponse(ProduceResponse {
                    id: request.id,
                    partitions,
                }),
            )),
            Acks::All => {
                self.waiting_on.insert(producer);
                self.delayed_produce.push(DelayedProduce {
                    reply: DelayedReply::Produce {
                        producer,
                        partitions,
                    },
                    request: request.id,
                    deadline: now + request.timeout_ms,
                    required,
                });
                self.complete_delayed_produce(now, out);
            }
        }
    }

    /// A coordinator's `WriteTxnMarkers` (`KafkaApis.handleWriteTxnMarkersRequest`): per
    /// producer and partition, a control record appended as a produce with acks=all would
    /// be — `NOT_LEADER_OR_FOLLOWER` off the leader, `NOT_ENOUGH_REPLICAS` under min ISR
    /// before the append (`Partition.appendRecordsToLeader`), the producer state's epoch
    /// checks — answered once the high watermark has passed every marker written, or at
    /// the broker's request timeout. The answer goes to the coordinator, not through any
    /// producer's connection.
    pub fn handle_write_txn_markers(
        &mut self,
        now: u64,
        coordinator: u32,
        request: WriteTxnMarkersRequest,
        out: &mut Effects,
    ) {
        let version = self.version;
        let mut results = Vec::new();
        let mut required = Vec::new();
        for entry in &request.markers {
            for &tp in &entry.partitions {
                let answer = match self.partitions.get_mut(&tp) {
                    Some(p) if p.is_leader() && self.online => {
                        if p.not_enough_replicas(version) {
                            Err(Errors::NotEnoughReplicas)
                        } else {
                            p.append_marker_as_leader(entry, now)
                        }
                    }
                    _ => Err(Errors::NotLeaderOrFollower),
                };
                match answer {
                    Ok(offset) => {
                        out.events.push(TraceEvent::MarkerWritten {
                            broker: self.id,
                            tp,
                            producer_id: entry.producer_id,
                            producer_epoch: entry.producer_epoch,
                            result: entry.result,
                            offset,
                        });
                        results.push((entry.producer_id, tp, Errors::None));
                        required.push(Some(offset + 1));
                        self.advance_high_watermark(tp, now, out);
                    }
                    Err(error) => {
                        results.push((entry.producer_id, tp, error));
                        required.push(None);
                    }
                }
            }
        }
        // Held follower fetches now have data.
        self.complete_delayed_fetch(now, Moved::Anything, out);
        self.delayed_produce.push(DelayedProduce {
            reply: DelayedReply::WriteTxnMarkers {
                coordinator,
                results,
            },
            request: request.id,
            deadline: now + REQUEST_TIMEOUT_MS,
            required,
        });
        self.complete_delayed_produce(now, out);
    }

    /// The leader's high watermark may move: trace it when it does.
    fn advance_high_watermark(&mut self, tp: TopicPartition, now: u64, out: &mut Effects) {
        let (version, lag) = (self.version, self.config.replica_lag_time_max_ms);
        let p = self.partitions.get_mut(&tp).expect("hosted");
        if p.maybe_increment_high_watermark(now, lag, version, &self.fenced) {
            self.high_watermark_moved(tp, now, Moved::Anything, out);
        }
    }

    /// The leader's high watermark moved: trace it, and answer the consumers it lets read.
    fn high_watermark_moved(
        &mut self,
        tp: TopicPartition,
        now: u64,
        moved: Moved,
        out: &mut Effects,
    ) {
        let p = &self.partitions[&tp];
        // The last stable offset moves only with it: a marker is written past the HW,
        // and its transaction turns stable when the HW passes it.
        out.events.push(TraceEvent::HighWatermark {
            broker: self.id,
            tp,
            high_watermark: p.high_watermark(),
            last_stable_offset: p.last_stable_offset(),
        });
        // Consumers waiting on this partition may now see more.
        if self
            .delayed_fetch
            .iter()
            .any(|d| d.request.consumer.is_some())
        {
            self.complete_delayed_fetch(now, moved, out);
        }
    }

    /// `DelayedProduce.tryComplete`: a partition is done once HW passes its last offset,
    /// with `NOT_ENOUGH_REPLICAS_AFTER_APPEND` if the ISR is then under min ISR, or at the
    /// request's timeout with `REQUEST_TIMED_OUT`; a request is answered when all its
    /// partitions are.
    fn complete_delayed_produce(&mut self, now: u64, out: &mut Effects) {
        let version = self.version;
        let mut answered = false;
        for d in &mut self.delayed_produce {
            for (i, required) in d.required.iter_mut().enumerate() {
                let Some(end) = *required else { continue };
                let p = &self.partitions[&d.reply.tp(i)];
                if p.high_watermark() >= end {
                    if (p.maximal_isr_len() as u32) < p.effective_min_isr(version) {
                        d.reply.fail(i, Errors::NotEnoughReplicasAfterAppend);
                    }
                    *required = None;
                } else if now >= d.deadline {
                    d.reply.fail(i, Errors::RequestTimedOut);
                    *required = None;
                }
            }
            answered |= d.required.iter().all(Option::is_none);
        }
        // Mostly none is done yet (each fetch and append asks): then the held requests
        // stay as they are, not moved into a new list.
        if !answered {
            return;
        }
        let from = Node::Broker(self.id);
        let first = out.messages.len();
        // Answered in place, in order: the list keeps its allocation for the next request.
        self.delayed_produce.retain_mut(|d| {
            if d.required.iter().any(Option::is_some) {
                return true;
            }
            match &mut d.reply {
                DelayedReply::Produce {
                    producer,
                    partitions,
                } => {
                    out.messages.push((
                        from,
                        Node::Producer(*producer),
                        Payload::ProduceResponse(ProduceResponse {
                            id: d.request,
                            partitions: std::mem::take(partitions),
                        }),
                    ));
                }
                DelayedReply::WriteTxnMarkers {
                    coordinator,
                    results,
                } => out.messages.push((
                    from,
                    Node::Broker(*coordinator),
                    Payload::WriteTxnMarkersResponse(WriteTxnMarkersResponse {
                        id: d.request,
                        results: std::mem::take(results),
                    }),
                )),
            }
            false
        });
        // The response is out: the connection reads its next request. The producers
        // freed are those the responses just pushed go to, in order (read back rather
        // than listed: a list was an allocation per answer).
        let end = out.messages.len();
        for i in first..end {
            let (_, Node::Producer(producer), Payload::ProduceResponse(_)) = out.messages[i] else {
                continue;
            };
            self.waiting_on.remove(&producer);
            self.serve(now, producer, out);
        }
    }

    /// A producer's connection closed (its process restarted, or it gave up on the
    /// connection after a request timeout): requests not yet read off it are dropped, and
    /// answers still owed go nowhere. The next connection is not held behind them.
    pub fn client_gone(&mut self, producer: u16) {
        self.produce_queue.remove(&producer);
        self.waiting_on.remove(&producer);
        for v in self
            .verifying
            .values_mut()
            .filter(|v| v.producer == producer)
        {
            v.orphaned = true;
        }
        self.delayed_produce.retain(
            |d| !matches!(d.reply, DelayedReply::Produce { producer: p, .. } if p == producer),
        );
    }

    /// `InitProducerId` without a `transactional.id`: a fresh producer id from this
    /// broker's block (a new block from the controller when it has none left) and epoch 0.
    pub fn init_producer_id(&mut self, controller: &mut Controller) -> i64 {
        let (next, end) = match self.producer_ids {
            Some((next, end)) if next < end => (next, end),
            _ => controller.allocate_producer_ids(),
        };
        self.producer_ids = Some((next + 1, end));
        next
    }

    /// The leader's side of a `Fetch` (`ReplicaManager.fetchMessages`): per partition,
    /// refuse it if this is not the leader at the fetcher's epoch, or tell a follower where
    /// its log diverges; else record a follower's position (ISR expansion, HW) and read.
    /// Answer at once if there is enough data or an error, else hold the fetch.
    pub fn handle_fetch(&mut self, now: u64, from: Node, request: FetchRequest, out: &mut Effects) {
        let max_wait = request
            .consumer
            .map_or(REPLICA_FETCH_WAIT_MAX_MS, |c| c.max_wait_ms);
        // The HW a response carries is read before the fetch moves it (`readRecords`). A
        // fetch sure to be unsatisfied is held without building its response (most
        // follower fetches come at the log end).
        let response = (max_wait == 0 || !self.unsatisfied_unread(&request))
            .then(|| self.read_fetch(&request));
        let satisfied = max_wait == 0
            || response
                .as_ref()
                .is_some_and(|r| fetch_satisfied(&request, r));
        debug_assert!(
            satisfied || request.consumer.is_some() || !self.fetched_logs_grew(&request),
            "a follower's read is unsatisfied only at each log's end"
        );
        let produced = self.total_produce_requests;
        if let Node::Broker(follower) = from {
            for (i, fp) in request.partitions.iter().enumerate() {
                // Refused or diverging: no position to record (a read of nothing is neither).
                if let Some(answer) = response.as_ref().map(|r| &r.partitions[i]) {
                    if answer.error != Errors::None || answer.diverging_epoch.is_some() {
                        continue;
                    }
                }
                let p = self.partitions.get_mut(&fp.tp).expect("read above");
                if let Some(isr) = p.update_follower_fetch_state(follower, fp.fetch_offset, now) {
                    propose_isr(p, isr, out);
                }
                // `advance_high_watermark` with the partition at hand, not looked up again,
                // and not called when the HW is at the log end, where it cannot move (most
                // partitions of a fetch).
                let (version, fenced) = (self.version, &self.fenced);
                let lag = self.config.replica_lag_time_max_ms;
                if p.high_watermark() < p.log.log_end_offset()
                    && p.maybe_increment_high_watermark(now, lag, version, fenced)
                {
                    // Only high watermarks move here: held follower fetches stay unsatisfied.
                    self.high_watermark_moved(fp.tp, now, Moved::HighWatermarks, out);
                }
            }
            self.complete_delayed_produce(now, out);
        }
        if let Some(response) = response.filter(|_| satisfied) {
            self.respond_fetch(from, response, out);
            return;
        }
        // `tryCompleteElseWatch`: read again before holding the fetch. A follower's effects
        // may have brought the data it waits for — a produce it completed freed that
        // producer's connection, whose next request was appended just now — and an
        // append after the read would otherwise find no fetch to complete until the
        // 500-ms deadline (the follower, and every acks=all request, stalled). Its
        // unsatisfied read found every log at its fetch offset: logs that did not grow
        // past it give the same read. Only a produce request served by the effects can
        // have grown a log (no marker is written from here), and each of its batches
        // counts in `total_produce_requests`: most fetches served none, and skip the walk
        // (a consumer's fetch has no effects here).
        let appended = self.total_produce_requests != produced;
        debug_assert!(
            appended || request.consumer.is_some() || !self.fetched_logs_grew(&request),
            "a log grew without a produce"
        );
        if appended && self.fetched_logs_grew(&request) {
            let again = self.read_fetch(&request);
            if fetch_satisfied(&request, &again) {
                self.respond_fetch(from, again, out);
                return;
            }
        }
        self.delayed_fetch.push(DelayedFetch {
            from,
            request,
            deadline: now + max_wait,
        });
    }

    /// Whether a log the fetch reads has grown past the offset it fetches from.
    fn fetched_logs_grew(&self, request: &FetchRequest) -> bool {
        request.partitions.iter().any(|fp| {
            self.partitions
                .get(&fp.tp)
                .is_some_and(|p| p.log.log_end_offset() > fp.fetch_offset)
        })
    }

    /// Whether the fetch is unsatisfied, known without reading it: it waits for a byte or
    /// more, and a read would find nothing at all (every partition led here at the
    /// fetcher's epoch, not diverging, and fetched at the end of what it may read).
    fn unsatisfied_unread(&self, request: &FetchRequest) -> bool {
        if request.consumer.is_some_and(|c| c.min_bytes == 0) {
            return false;
        }
        request.partitions.iter().all(|fp| {
            let Ok(p) = self.leader_at_epoch(fp) else {
                return false;
            };
            let leo = p.log.log_end_offset();
            let (end, _) = read_limit(p, request.consumer);
            (p.log.log_start_offset()..=leo).contains(&fp.fetch_offset)
                && fp.fetch_offset >= end
                && matches!(
                    diverging_epoch(&p.epoch_cache, leo, fp.fetch_offset, fp.last_fetched_epoch),
                    Ok(None)
                )
        })
    }

    /// The partition a fetch reads, if this broker leads it at the fetcher's epoch. A
    /// fetcher behind on the leader epoch must catch up on metadata first; one ahead of
    /// this leader means this leader is stale.
    fn leader_at_epoch(&self, fp: &FetchPartition) -> Result<&Partition, Errors> {
        let p = match self.partitions.get(&fp.tp) {
            Some(p) if p.is_leader() && self.online => p,
            _ => return Err(Errors::NotLeaderOrFollower),
        };
        if fp.current_leader_epoch < p.leader_epoch {
            Err(Errors::FencedLeaderEpoch)
        } else if fp.current_leader_epoch > p.leader_epoch {
            Err(Errors::NotLeaderOrFollower)
        } else {
            Ok(p)
        }
    }

    fn read_fetch(&self, request: &FetchRequest) -> FetchResponse {
        let read_committed = request
            .consumer
            .is_some_and(|c| c.isolation_level == IsolationLevel::ReadCommitted);
        // Each answer is written where the list keeps it, not built aside and moved in.
        let mut partitions = Vec::with_capacity(request.partitions.len());
        for fp in &request.partitions {
            partitions.push(FetchedPartition {
                tp: fp.tp,
                error: Errors::None,
                high_watermark: 0,
                last_stable_offset: 0,
                log_start_offset: 0,
                records: Vec::new(),
                diverging_epoch: None,
                aborted_transactions: Vec::new(),
            });
            let out = partitions.last_mut().expect("just pushed");
            let p = match self.leader_at_epoch(fp) {
                Ok(p) => p,
                Err(error) => {
                    out.error = error;
                    continue;
                }
            };
            out.high_watermark = p.high_watermark();
            out.last_stable_offset = p.last_stable_offset();
            out.log_start_offset = p.log.log_start_offset();
            let (end, max_bytes) = read_limit(p, request.consumer);
            let leo = p.log.log_end_offset();
            match diverging_epoch(&p.epoch_cache, leo, fp.fetch_offset, fp.last_fetched_epoch) {
                // Below the log start, out of range whether or not the epochs diverge.
                Ok(_) if fp.fetch_offset < out.log_start_offset => {
                    out.error = Errors::OffsetOutOfRange
                }
                Ok(Some(d)) => out.diverging_epoch = Some(d),
                // Out of range is past the log's end; a consumer between the high watermark
                // and the end (a new leader's HW is a round behind) just gets nothing yet.
                Ok(None) if fp.fetch_offset > leo => out.error = Errors::OffsetOutOfRange,
                // Nothing below `end` to read: a follower at the log end, a consumer at the
                // high watermark (most reads of a held fetch).
                Ok(None) if fp.fetch_offset >= end => {}
                Ok(None) => {
                    // A log's offsets are its records' places: those below `end`, counted
                    // up front so the response is allocated once.
                    let n = p.read_from(fp.fetch_offset, end, max_bytes);
                    let from = fp.fetch_offset as usize;
                    p.log
                        .records()
                        .clone_range_into(from, from + n, &mut out.records);
                    // The aborted transactions the consumer must drop within what it got
                    // (`LocalLog.addAbortedTransactions`).
                    if let (true, Some(last)) = (read_committed, out.records.last()) {
                        out.aborted_transactions =
                            p.aborted_transactions(fp.fetch_offset, last.offset + 1);
                    }
                }
                Err(OffsetOutOfRange) => out.error = Errors::OffsetOutOfRange,
            }
        }
        FetchResponse {
            id: request.id,
            partitions,
        }
    }

    fn respond_fetch(&mut self, to: Node, response: FetchResponse, out: &mut Effects) {
        out.messages
            .push((Node::Broker(self.id), to, Payload::FetchResponse(response)));
    }

    /// `DelayedFetch.tryComplete`: held fetches answer once there is enough new data (an
    /// append for a follower, a high watermark move for a consumer), at their deadline
    /// with whatever there is, or when the leadership changed (`Moved::Leaders`).
    fn complete_delayed_fetch(&mut self, now: u64, moved: Moved, out: &mut Effects) {
        // Kept in place, in order: the list keeps its allocation for the next held fetch.
        let mut held = std::mem::take(&mut self.delayed_fetch);
        held.retain(|d| {
            let due = moved == Moved::Leaders || now >= d.deadline;
            // A held fetch not due was unsatisfied when last tried, and a follower's read
            // (to the log end) changes only with the logs, a consumer's (to the high
            // watermark) only with the high watermarks: one the event left as it was
            // needs no look.
            let unmoved = match moved {
                Moved::Leaders | Moved::Anything => false,
                Moved::LogEnds => d.request.consumer.is_some(),
                Moved::HighWatermarks => d.request.consumer.is_none(),
            };
            debug_assert!(
                due || !unmoved || !fetch_satisfied(&d.request, &self.read_fetch(&d.request)),
                "a held fetch satisfied by what it does not read"
            );
            // A fetch of as many partitions as are led here reads the one the append or the
            // high watermark move was in (most held fetches, where every broker hosts every
            // partition): read at once, not checked first. Found unsatisfied after all, it
            // stays held as it would have.
            let reads_all = moved != Moved::Anything && d.request.partitions.len() == self.led;
            if !due && (unmoved || (!reads_all && self.unsatisfied_unread(&d.request))) {
                return true;
            }
            let response = self.read_fetch(&d.request);
            let answer = due || fetch_satisfied(&d.request, &response);
            if answer {
                self.respond_fetch(d.from, response, out);
            }
            !answer
        });
        self.delayed_fetch = held;
    }

    /// The controller's answer to an AlterPartition: a committed ISR change counts as a
    /// shrink or expansion and may move the high watermark.
    pub fn handle_alter_partition_response(
        &mut self,
        now: u64,
        tp: TopicPartition,
        result: Result<PartitionRegistration, Errors>,
        out: &mut Effects,
    ) {
        let Some(p) = self.partitions.get_mut(&tp) else {
            return;
        };
        let before = p.isr.len();
        if let Some(isr) = p.alter_partition_response(result) {
            let expanded = isr.len() > before;
            if expanded {
                self.isr_expands += 1;
            } else {
                self.isr_shrinks += 1;
            }
            out.events.push(TraceEvent::IsrChanged {
                broker: self.id,
                tp,
                isr,
                expanded,
            });
            self.advance_high_watermark(tp, now, out);
            self.complete_delayed_produce(now, out);
        }
    }

    /// The follower's fetcher gets its answer: truncate a diverging tail, or append and
    /// take the HW; then fetch again at once (after a backoff if a partition failed).
    pub fn handle_fetch_response(
        &mut self,
        now: u64,
        leader: u32,
        response: FetchResponse,
        out: &mut Effects,
    ) {
        if !matches!(self.fetchers.get(&leader), Some(Fetcher::InFlight { id, .. }) if *id == response.id)
        {
            // An answer to a fetcher given up on, or from a leader no longer followed.
            return;
        }
        let mut failed = false;
        for fetched in response.partitions {
            let Some(p) = self
                .partitions
                .get_mut(&fetched.tp)
                .filter(|p| p.leader == Some(leader))
            else {
                continue;
            };
            let leo = p.log.log_end_offset();
            // `fetchOffsetAndTruncate`: behind the leader's log start, nothing of this
            // log is worth keeping; start over at the leader's start.
            if fetched.error == Errors::OffsetOutOfRange && fetched.log_start_offset > leo {
                p.truncate_fully_and_start_at(fetched.log_start_offset, now);
                out.events.push(TraceEvent::LogRestarted {
                    broker: self.id,
                    tp: fetched.tp,
                    from: leo,
                    log_start_offset: fetched.log_start_offset,
                });
                continue;
            }
            // Either way the next fetch, from the new end with its epoch, goes on from
            // there (and a `ToAndRetry` learns the next divergence).
            let truncate_to = match (fetched.diverging_epoch, fetched.error) {
                (Some(diverging), _) => {
                    match truncation_for_divergence(&p.epoch_cache, leo, diverging) {
                        Truncation::To(o) | Truncation::ToAndRetry(o) => Some(o),
                    }
                }
                // Kafka asks the leader for its log end; its high watermark, which every
                // in-sync replica has, is the safe point here.
                (None, Errors::OffsetOutOfRange) => Some(fetched.high_watermark.min(leo)),
                _ => None,
            };
            if let Some(to) = truncate_to {
                p.truncate_to(to, now);
                out.events.push(TraceEvent::Truncated {
                    broker: self.id,
                    tp: fetched.tp,
                    from: leo,
                    to,
                });
                continue;
            }
            match fetched.error {
                Errors::None => {}
                // The leader has not heard it leads yet (or no longer does), or the fetch went
                // out under an epoch the metadata has since moved past (FENCED_LEADER_EPOCH
                // for a request older than the update): try again after the backoff
                // (`partitionsWithError`), with the epoch known by then.
                _ => {
                    failed = true;
                    continue;
                }
            }
            let before = p.log.log_end_offset();
            p.append_as_follower(fetched.records, fetched.high_watermark, now);
            let after = p.log.log_end_offset();
            if after > before {
                out.events.push(TraceEvent::Replicated {
                    broker: self.id,
                    tp: fetched.tp,
                    log_end_offset: after,
                });
            }
            // `maybeIncrementLogStartOffset(leaderLogStartOffset)`, after the high watermark.
            // (Asked first here: the leader's start rarely moves, and the call is out of line.)
            if fetched.log_start_offset > p.log.log_start_offset()
                && p.increment_log_start_offset(fetched.log_start_offset)
            {
                out.events.push(TraceEvent::LogStartOffsetIncremented {
                    broker: self.id,
                    tp: fetched.tp,
                    log_start_offset: p.log.log_start_offset(),
                });
            }
        }
        if failed {
            self.fetchers.insert(
                leader,
                Fetcher::Backoff {
                    until: now + REPLICA_FETCH_BACKOFF_MS,
                },
            );
        } else {
            self.send_fetch(leader, now, out);
        }
    }

    /// A peer's process died: the fetch in flight to it is lost; try again after the
    /// backoff (by then the metadata may name a new leader).
    pub fn connection_closed(&mut self, peer: u32, now: u64) {
        if let Some(f) = self.fetchers.get_mut(&peer) {
            *f = Fetcher::Backoff {
                until: now + REPLICA_FETCH_BACKOFF_MS,
            };
        }
        // A verification out to it fails (`wasDisconnected`): at the next timer, now.
        for v in self.verifying.values_mut() {
            if v.coordinator == Some(peer) && v.retry_at.is_none() {
                v.deadline = now;
            }
        }
    }

    /// A new process starts: its tasks are scheduled from now.
    pub fn start_process(&mut self, now: u64) {
        self.next_retention_check_ms = Some(now + self.config.initial_task_delay_ms);
        self.logs_loaded_ms = Some(now);
    }

    /// The first run of the `PeriodicProducerExpirationCheck` that forgets a producer:
    /// runs that would find none are skipped, as they change nothing (and with the
    /// default day of `producer.id.expiration.ms`, no run wakes the broker at all).
    pub fn next_producer_expiration_ms(&self) -> Option<u64> {
        let expiration_ms = self.config.producer_id_expiration_ms;
        let expires = self
            .partitions
            .values()
            .filter_map(|p| p.producer_state.next_expiration_ms(expiration_ms))
            .min()?;
        self.expiration_check_after(expires)
    }

    /// The first run of the expiry check at or after `expires` (one interval after the
    /// logs loaded at the earliest); none while the process is down.
    fn expiration_check_after(&self, expires: u64) -> Option<u64> {
        let loaded = self.logs_loaded_ms?;
        let every = self.config.producer_id_expiration_check_interval_ms;
        let runs = expires.saturating_sub(loaded).div_ceil(every).max(1);
        Some(loaded + runs * every)
    }

    /// No producer can expire before `producer.id.expiration.ms` has passed since time 0,
    /// so no check that forgets one runs before this: with the default day, the walk
    /// over every replica's producers is never needed to know the broker's next timeout.
    fn earliest_producer_expiration_ms(&self) -> Option<u64> {
        self.expiration_check_after(self.config.producer_id_expiration_ms)
    }

    /// `UnifiedLog.removeExpiredProducers` on every replica here, leader or follower.
    fn remove_expired_producers(&mut self, now: u64, out: &mut Effects) {
        let (broker, expiration_ms) = (self.id, self.config.producer_id_expiration_ms);
        for (&tp, p) in self.partitions.iter_mut() {
            let state = &mut p.producer_state;
            state.remove_expired_producers(now, expiration_ms, |producer_id, last_timestamp| {
                out.events.push(TraceEvent::ProducerStateExpired {
                    broker,
                    tp,
                    producer_id,
                    last_timestamp,
                    expiration_ms,
                })
            });
        }
    }

    /// When the `kafka-log-retention` task runs next (none while the process is down).
    pub fn next_retention_check_ms(&self) -> Option<u64> {
        self.next_retention_check_ms
    }

    /// Whether the `kafka-log-retention` task runs at `now`.
    pub fn retention_due(&self, now: u64) -> bool {
        self.next_retention_check_ms.is_some_and(|t| now >= t)
    }

    /// `LogManager.cleanupLogs`: every replica here, leader or follower, deletes the
    /// segments retention lets go.
    fn delete_old_segments(&mut self, now: u64, out: &mut Effects) {
        for (tp, p) in self.partitions.iter_mut() {
            for (reason, segments) in p.delete_old_segments(now) {
                out.events.push(TraceEvent::SegmentsDeleted {
                    broker: self.id,
                    tp: *tp,
                    segments: segments as u32,
                    reason,
                    log_start_offset: p.log.log_start_offset(),
                });
            }
        }
    }

    /// Held requests whose time came, fetchers to restart, and the `isr-expiration`,
    /// `kafka-log-retention` and `PeriodicProducerExpirationCheck` tasks.
    pub fn on_timer(&mut self, now: u64, out: &mut Effects) {
        if self.retention_due(now) {
            self.next_retention_check_ms = Some(now + self.config.retention_check_interval_ms);
            self.delete_old_segments(now, out);
        }
        if self
            .earliest_producer_expiration_ms()
            .is_some_and(|t| now >= t)
            && self.next_producer_expiration_ms().is_some_and(|t| now >= t)
        {
            self.remove_expired_producers(now, out);
        }
        if self.leads_replicated && now >= self.next_isr_check_ms {
            let lag = self.config.replica_lag_time_max_ms;
            self.next_isr_check_ms = now + lag / 2;
            for p in self.partitions.values_mut().filter(|p| p.is_leader()) {
                if let Some(isr) = p.maybe_shrink_isr(now, lag) {
                    propose_isr(p, isr, out);
                }
            }
        }
        let due: Vec<u32> = self
            .fetchers
            .iter()
            .filter(|(_, f)| match f {
                Fetcher::InFlight { deadline, .. } => now >= *deadline,
                Fetcher::Backoff { until } => now >= *until,
            })
            .map(|(&l, _)| l)
            .collect();
        for leader in due {
            match self.fetchers[&leader] {
                // `replica.socket.timeout.ms` passed without an answer: the connection is
                // dropped and the fetch retried after the backoff.
                Fetcher::InFlight { .. } => {
                    self.fetchers.insert(
                        leader,
                        Fetcher::Backoff {
                            until: now + REPLICA_FETCH_BACKOFF_MS,
                        },
                    );
                }
                Fetcher::Backoff { .. } => self.send_fetch(leader, now, out),
            }
        }
        self.complete_delayed_produce(now, out);
        self.complete_delayed_fetch(now, Moved::Anything, out);
        self.verification_timers(now, out);
    }

    /// Verifications to send again (transactions V2 retries) or to give up on
    /// (`request.timeout.ms`, or the coordinator's connection closed: NETWORK_EXCEPTION).
    fn verification_timers(&mut self, now: u64, out: &mut Effects) {
        let due: Vec<u64> = self
            .verifying
            .iter()
            .filter(|(_, v)| v.retry_at.map_or(now >= v.deadline, |at| now >= at))
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            if self.verifying[&id].retry_at.is_some() {
                self.send_verification(now, id, out);
                continue;
            }
            let v = self.verifying.remove(&id).expect("due");
            let (producer, orphaned) = (v.producer, v.orphaned);
            let results = v
                .add
                .partitions
                .iter()
                .map(|&tp| (tp, Errors::NetworkException))
                .collect();
            self.finish_verification(now, v, results, out);
            if !orphaned {
                self.serve(now, producer, out);
            }
        }
    }

    /// When this broker next has something to do on its own.
    pub fn next_timeout(&self) -> Option<u64> {
        // Plain loops: a chain of six iterators was folded inline or not as the compiler
        // weighed the rest of the module, a 1 % swing of a whole run.
        let mut next = None;
        let mut at = |t: u64| next = Some(next.map_or(t, |n: u64| n.min(t)));
        for d in &self.delayed_produce {
            at(d.deadline);
        }
        for d in &self.delayed_fetch {
            at(d.deadline);
        }
        for f in self.fetchers.values() {
            at(match f {
                Fetcher::InFlight { deadline, .. } => *deadline,
                Fetcher::Backoff { until } => *until,
            });
        }
        if self.leads_replicated {
            at(self.next_isr_check_ms);
        }
        if let Some(t) = self.next_retention_check_ms {
            at(t);
        }
        for v in self.verifying.values() {
            at(v.retry_at.unwrap_or(v.deadline));
        }
        // The producers' expiry is looked up only when it may come first.
        if next.is_some_and(|t| self.earliest_producer_expiration_ms().is_none_or(|e| t < e)) {
            return next;
        }
        next.into_iter()
            .chain(self.next_producer_expiration_ms())
            .min()
    }
}

/// What a verification decided for a produce request's partitions: the guard each
/// verified partition's append carries, and the answer for those that failed.
#[derive(Debug, Default)]
struct Verified {
    guards: VecMap<TopicPartition, u64>,
    errors: VecMap<TopicPartition, (Errors, String)>,
}

/// The coordinator was busy or could not be reached: an error the producer retries.
/// 3.6–3.9 clients do not all know the coordinator's codes on a produce, so the leader
/// answers NOT_ENOUGH_REPLICAS (KAFKA-15459); a transactions V2 producer gets
/// CONCURRENT_TRANSACTIONS (KAFKA-18662).
fn retriable(error: Errors, tv2: bool) -> (Errors, String) {
    let reason = format!(
        "Unable to verify the partition has been added to the transaction. Underlying error: {}",
        error.name()
    );
    if tv2 {
        (Errors::ConcurrentTransactions, reason)
    } else {
        (Errors::NotEnoughReplicas, reason)
    }
}

/// The leader of `p` sends the controller an AlterPartition for a new ISR; until it
/// answers, the change is pending (`Partition.prepareIsrExpand` / `prepareIsrShrink`).
fn propose_isr(p: &mut Partition, isr: Vec<u32>, out: &mut Effects) {
    p.pending_isr = Some(isr.clone());
    out.events.push(TraceEvent::IsrProposed {
        broker: p.broker,
        tp: p.tp,
        isr: isr.clone(),
    });
    out.messages.push((
        Node::Broker(p.broker),
        Node::Controller,
        Payload::AlterPartition(AlterPartition {
            tp: p.tp,
            leader_epoch: p.leader_epoch,
            partition_epoch: p.partition_epoch,
            new_isr: isr,
        }),
    ));
}

/// Where a fetch of `p` may read up to, and how many bytes: a follower to the log end; a
/// consumer to the high watermark, or, read_committed, to the last stable offset
/// (`FetchIsolation`).
fn read_limit(p: &Partition, consumer: Option<ConsumerFetch>) -> (u64, u64) {
    match consumer {
        None => (p.log.log_end_offset(), REPLICA_FETCH_MAX_BYTES),
        Some(c) if c.isolation_level == IsolationLevel::ReadCommitted => {
            (p.last_stable_offset(), c.max_partition_bytes)
        }
        Some(c) => (p.high_watermark(), c.max_partition_bytes),
    }
}

/// Whether a fetch has enough to answer now: an error or a divergence to report, or at
/// least `fetch.min.bytes` of record batches (a follower: any). Kafka's `bytesReadable >=
/// minBytes`: with `fetch.min.bytes` 0 an empty read is enough.
fn fetch_satisfied(request: &FetchRequest, response: &FetchResponse) -> bool {
    let min_bytes = request.consumer.map_or(1, |c| c.min_bytes);
    let mut bytes = 0u64;
    for p in &response.partitions {
        if p.error != Errors::None || p.diverging_epoch.is_some() {
            return true;
        }
        let mut batch = None;
        for r in &p.records {
            if batch != Some(r.batch_offset()) {
                batch = Some(r.batch_offset());
                bytes += r.batch_bytes as u64;
                // Enough already: nothing further can make it less so.
                if bytes >= min_bytes {
                    return true;
                }
            }
        }
    }
    bytes >= min_bytes
}
