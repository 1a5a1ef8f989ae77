//! A broker: the partition replicas it hosts, its produce path (`KafkaApis.handleProduceRequest`
//! → `ReplicaManager.appendRecords`, with `DelayedProduce` for `acks=all`), the leader's
//! side of follower fetches (`DelayedFetch`), its own fetchers for the partitions it
//! follows, and the `isr-expiration` task (`broker.md` §2–§5).

pub mod log;
pub mod partition;
pub mod producer_state;

use crate::config::Acks;
use crate::effects::Effects;
use crate::errors::Errors;
use crate::metadata::{Cluster, TopicPartition};
use crate::net::{
    FetchRequest, FetchResponse, FetchedPartition, Node, PartitionResponse, Payload,
    ProduceRequest, ProduceResponse,
};
use crate::trace::TraceEvent;
use crate::version::KafkaVersion;
use partition::{LeaderAppend, Partition};
use std::collections::BTreeMap;

/// `replica.lag.time.max.ms` (30000 since 2.5, KIP-537): how long a follower may go
/// without catching up before it leaves the ISR.
pub const REPLICA_LAG_TIME_MAX_MS: u64 = 30_000;
/// `replica.fetch.wait.max.ms`: how long the leader holds a fetch that finds no new data.
pub const REPLICA_FETCH_WAIT_MAX_MS: u64 = 500;

/// An `acks=all` produce waiting for the high watermark (`DelayedProduce`).
#[derive(Clone, Debug, PartialEq)]
struct DelayedProduce {
    producer: u16,
    request: u64,
    deadline: u64,
    /// Per batch: its answer so far and, while waiting, the offset HW must reach.
    partitions: Vec<(PartitionResponse, Option<u64>)>,
}

/// A follower's fetch that found nothing new, held up to `replica.fetch.wait.max.ms`.
#[derive(Clone, Debug, PartialEq)]
struct DelayedFetch {
    follower: u32,
    request: FetchRequest,
    deadline: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Broker {
    pub id: u32,
    version: KafkaVersion,
    /// Every replica hosted here, leader or follower.
    pub partitions: BTreeMap<TopicPartition, Partition>,
    delayed_produce: Vec<DelayedProduce>,
    delayed_fetch: Vec<DelayedFetch>,
    /// The leaders this broker fetches from, with the partitions it follows on each, and
    /// whether it leads a partition with followers (which needs the ISR check). Fixed
    /// while leaders cannot change.
    followed: BTreeMap<u32, Vec<TopicPartition>>,
    leads_replicated: bool,
    next_fetch_id: u64,
    /// The next run of the `isr-expiration` task (every lag time / 2).
    next_isr_check_ms: u64,
    /// `IsrShrinksPerSec` / `IsrExpandsPerSec`, as counts.
    pub isr_shrinks: u64,
    pub isr_expands: u64,
}

impl Broker {
    /// A broker hosting every replica the cluster metadata assigns to it.
    pub fn new(id: u32, cluster: &Cluster, version: KafkaVersion) -> Self {
        let mut partitions = BTreeMap::new();
        for (t, topic) in cluster.topics.iter().enumerate() {
            for (p, meta) in topic.partitions.iter().enumerate() {
                if meta.replicas.contains(&id) {
                    let tp = TopicPartition {
                        topic: t as u32,
                        partition: p as u32,
                    };
                    let replica = Partition::new(
                        tp,
                        id,
                        meta.replicas.clone(),
                        meta.leader_epoch,
                        &topic.config,
                    );
                    partitions.insert(tp, replica);
                }
            }
        }
        let mut followed: BTreeMap<u32, Vec<TopicPartition>> = BTreeMap::new();
        for (tp, p) in &partitions {
            if let Some(leader) = p.leader.filter(|&l| l != id) {
                followed.entry(leader).or_default().push(*tp);
            }
        }
        let leads_replicated = partitions
            .values()
            .any(|p| p.is_leader() && !p.followers.is_empty());
        Broker {
            id,
            version,
            partitions,
            delayed_produce: Vec::new(),
            delayed_fetch: Vec::new(),
            followed,
            leads_replicated,
            next_fetch_id: 0,
            next_isr_check_ms: 0,
            isr_shrinks: 0,
            isr_expands: 0,
        }
    }

    /// Starts one fetcher per leader it follows (`ReplicaFetcherManager`).
    pub fn start(&mut self, out: &mut Effects) {
        let leaders: Vec<u32> = self.followed.keys().copied().collect();
        for leader in leaders {
            self.send_fetch(leader, out);
        }
    }

    /// The fetcher's next `Fetch` to `leader`: every partition it follows there, from
    /// its log end offset.
    fn send_fetch(&mut self, leader: u32, out: &mut Effects) {
        let partitions: Vec<(TopicPartition, u64)> = self
            .followed
            .get(&leader)
            .into_iter()
            .flatten()
            .map(|tp| (*tp, self.partitions[tp].log.log_end_offset()))
            .collect();
        if partitions.is_empty() {
            return;
        }
        let id = self.next_fetch_id;
        self.next_fetch_id += 1;
        out.messages.push((
            Node::Broker(self.id),
            Node::Broker(leader),
            Payload::Fetch(FetchRequest { id, partitions }),
        ));
    }

    /// Appends every batch to its partition's log. `acks=0` gets no response, `acks=1` one
    /// at once, `acks=all` one when the high watermark has passed every batch (or with
    /// `NOT_ENOUGH_REPLICAS` when the ISR is under `min.insync.replicas` before the append).
    pub fn handle_produce(
        &mut self,
        now: u64,
        producer: u16,
        request: &ProduceRequest,
        out: &mut Effects,
    ) {
        let mut partitions = Vec::with_capacity(request.batches.len());
        for batch in &request.batches {
            let version = self.version;
            let partition = self
                .partitions
                .get_mut(&batch.tp)
                .expect("the producer only sends to the leader named by metadata");
            let mut reject = |error: Errors, reason: String| {
                out.events.push(TraceEvent::BatchRejected {
                    broker: self.id,
                    producer,
                    batch: batch.batch,
                    tp: batch.tp,
                    error: error.name(),
                    reason,
                });
                // The broker's reason stays in its log: the response carries the bare code
                // (`LogAppendResult` has no custom message for these).
                (PartitionResponse::error(batch.tp, batch.batch, error), None)
            };
            if request.acks == Acks::All && partition.not_enough_replicas(version) {
                let reason = format!(
                    "The size of the current ISR {:?} is insufficient to satisfy the min.isr requirement of {} for partition t{}-{}",
                    partition.isr,
                    partition.effective_min_isr(version),
                    batch.tp.topic,
                    batch.tp.partition
                );
                partitions.push(reject(Errors::NotEnoughReplicas, reason));
                continue;
            }
            let response = match partition.append_records_to_leader(producer, batch, now) {
                LeaderAppend::Appended { base_offset } => {
                    out.events.push(TraceEvent::Appended {
                        broker: self.id,
                        producer,
                        batch: batch.batch,
                        tp: batch.tp,
                        base_offset,
                        records: batch.records.len() as u32,
                    });
                    let end = base_offset + batch.records.len() as u64;
                    (
                        PartitionResponse::ok(batch.tp, batch.batch, base_offset),
                        Some(end),
                    )
                }
                LeaderAppend::Duplicate { base_offset } => {
                    out.events.push(TraceEvent::DuplicateBatch {
                        broker: self.id,
                        producer,
                        batch: batch.batch,
                        tp: batch.tp,
                        base_offset,
                    });
                    let end = base_offset + batch.records.len() as u64;
                    (
                        PartitionResponse::ok(batch.tp, batch.batch, base_offset),
                        Some(end),
                    )
                }
                LeaderAppend::Rejected { error, reason } => reject(error, reason),
            };
            partitions.push(response);
            self.advance_high_watermark(batch.tp, now, out);
        }
        // Held follower fetches now have data.
        self.complete_delayed_fetch(now, out);
        match request.acks {
            Acks::None => {}
            Acks::Leader => out.messages.push((
                Node::Broker(self.id),
                Node::Producer(producer),
                Payload::ProduceResponse(ProduceResponse {
                    id: request.id,
                    partitions: partitions.into_iter().map(|(r, _)| r).collect(),
                }),
            )),
            Acks::All => {
                self.delayed_produce.push(DelayedProduce {
                    producer,
                    request: request.id,
                    deadline: now + request.timeout_ms,
                    partitions,
                });
                self.complete_delayed_produce(now, out);
            }
        }
    }

    /// The leader's high watermark may move: trace it when it does.
    fn advance_high_watermark(&mut self, tp: TopicPartition, now: u64, out: &mut Effects) {
        let version = self.version;
        let p = self.partitions.get_mut(&tp).expect("hosted");
        if p.maybe_increment_high_watermark(now, REPLICA_LAG_TIME_MAX_MS, version) {
            out.events.push(TraceEvent::HighWatermark {
                broker: self.id,
                tp,
                high_watermark: p.high_watermark(),
            });
        }
    }

    /// `DelayedProduce.tryComplete`: a partition is done once HW passes its last offset,
    /// with `NOT_ENOUGH_REPLICAS_AFTER_APPEND` if the ISR is then under min ISR, or at the
    /// request's timeout with `REQUEST_TIMED_OUT`; a request is answered when all its
    /// partitions are.
    fn complete_delayed_produce(&mut self, now: u64, out: &mut Effects) {
        let version = self.version;
        let mut waiting = Vec::new();
        for mut d in std::mem::take(&mut self.delayed_produce) {
            for (response, required) in &mut d.partitions {
                let Some(end) = *required else { continue };
                let p = &self.partitions[&response.tp];
                if p.high_watermark() >= end {
                    if p.not_enough_replicas(version) {
                        *response = PartitionResponse::error(
                            response.tp,
                            response.batch,
                            Errors::NotEnoughReplicasAfterAppend,
                        );
                    }
                    *required = None;
                } else if now >= d.deadline {
                    *response = PartitionResponse::error(
                        response.tp,
                        response.batch,
                        Errors::RequestTimedOut,
                    );
                    *required = None;
                }
            }
            if d.partitions.iter().all(|(_, r)| r.is_none()) {
                out.messages.push((
                    Node::Broker(self.id),
                    Node::Producer(d.producer),
                    Payload::ProduceResponse(ProduceResponse {
                        id: d.request,
                        partitions: d.partitions.into_iter().map(|(r, _)| r).collect(),
                    }),
                ));
            } else {
                waiting.push(d);
            }
        }
        self.delayed_produce = waiting;
    }

    /// The leader's side of a follower's `Fetch` (`ReplicaManager.fetchMessages`): record
    /// each follower position (ISR expansion, HW), then answer at once if there is data,
    /// else hold the fetch up to `replica.fetch.wait.max.ms`.
    pub fn handle_fetch(
        &mut self,
        now: u64,
        follower: u32,
        request: FetchRequest,
        out: &mut Effects,
    ) {
        // The HW a response carries is read before the fetch moves it (`readRecords`).
        let response = self.read_fetch(&request);
        for &(tp, offset) in &request.partitions {
            let Some(p) = self.partitions.get_mut(&tp) else {
                continue;
            };
            if p.update_follower_fetch_state(follower, offset, now) {
                self.isr_expands += 1;
                out.events.push(isr_changed(self.id, p, true));
            }
            self.advance_high_watermark(tp, now, out);
        }
        self.complete_delayed_produce(now, out);
        if response.partitions.iter().any(|p| !p.records.is_empty()) {
            self.respond_fetch(follower, response, out);
        } else {
            self.delayed_fetch.push(DelayedFetch {
                follower,
                request,
                deadline: now + REPLICA_FETCH_WAIT_MAX_MS,
            });
        }
    }

    fn read_fetch(&self, request: &FetchRequest) -> FetchResponse {
        FetchResponse {
            id: request.id,
            partitions: request
                .partitions
                .iter()
                .filter_map(|&(tp, offset)| {
                    let p = self.partitions.get(&tp)?;
                    Some(FetchedPartition {
                        tp,
                        high_watermark: p.high_watermark(),
                        records: p.read_from(offset).to_vec(),
                    })
                })
                .collect(),
        }
    }

    fn respond_fetch(&mut self, follower: u32, response: FetchResponse, out: &mut Effects) {
        out.messages.push((
            Node::Broker(self.id),
            Node::Broker(follower),
            Payload::FetchResponse(response),
        ));
    }

    /// `DelayedFetch.tryComplete`: held fetches answer once new data is there (an append),
    /// or at their deadline with whatever there is. An HW change alone does not.
    fn complete_delayed_fetch(&mut self, now: u64, out: &mut Effects) {
        for d in std::mem::take(&mut self.delayed_fetch) {
            let response = self.read_fetch(&d.request);
            if response.partitions.iter().any(|p| !p.records.is_empty()) || now >= d.deadline {
                self.respond_fetch(d.follower, response, out);
            } else {
                self.delayed_fetch.push(d);
            }
        }
    }

    /// The follower's fetcher gets its answer: append, take the HW, fetch again at once.
    pub fn handle_fetch_response(
        &mut self,
        now: u64,
        leader: u32,
        response: FetchResponse,
        out: &mut Effects,
    ) {
        for fetched in &response.partitions {
            if let Some(p) = self.partitions.get_mut(&fetched.tp) {
                let before = p.log.log_end_offset();
                p.append_as_follower(&fetched.records, fetched.high_watermark, now);
                let after = p.log.log_end_offset();
                if after > before {
                    out.events.push(TraceEvent::Replicated {
                        broker: self.id,
                        tp: fetched.tp,
                        log_end_offset: after,
                    });
                }
            }
        }
        self.send_fetch(leader, out);
    }

    /// Held requests whose time came, and the `isr-expiration` task.
    pub fn on_timer(&mut self, now: u64, out: &mut Effects) {
        if now >= self.next_isr_check_ms {
            self.next_isr_check_ms = now + REPLICA_LAG_TIME_MAX_MS / 2;
            let led: Vec<TopicPartition> = self
                .partitions
                .iter()
                .filter(|(_, p)| p.is_leader())
                .map(|(tp, _)| *tp)
                .collect();
            for tp in led {
                let p = self.partitions.get_mut(&tp).expect("hosted");
                if !p.maybe_shrink_isr(now, REPLICA_LAG_TIME_MAX_MS).is_empty() {
                    self.isr_shrinks += 1;
                    out.events.push(isr_changed(self.id, p, false));
                    self.advance_high_watermark(tp, now, out);
                }
            }
        }
        self.complete_delayed_produce(now, out);
        self.complete_delayed_fetch(now, out);
    }

    /// When this broker next has something to do on its own.
    pub fn next_timeout(&self) -> Option<u64> {
        self.delayed_produce
            .iter()
            .map(|d| d.deadline)
            .chain(self.delayed_fetch.iter().map(|d| d.deadline))
            .chain(self.leads_replicated.then_some(self.next_isr_check_ms))
            .min()
    }
}

fn isr_changed(broker: u32, p: &Partition, expanded: bool) -> TraceEvent {
    TraceEvent::IsrChanged {
        broker,
        tp: p.tp,
        isr: p.isr.clone(),
        expanded,
    }
}
