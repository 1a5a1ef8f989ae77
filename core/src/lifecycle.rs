//! Lifecycles for the inspector: what happened to one record, one `ProducerBatch`, one
//! produce request or one `ProducerStateManager` entry, step by step with virtual
//! timestamps and the reason of each step — worked out on demand from a run's recorded
//! trace (`Simulation::record_trace`) and its state, so that nothing is kept per record
//! while the run goes on.
//!
//! The steps are plain data; the app words them (in either language).

use crate::broker::log::LogRecord;
use crate::chunked::Chunked;
use crate::config::{Acks, IsolationLevel, PartitionerClass};
use crate::metadata::TopicPartition;
use crate::net::TransactionResult;
use crate::producer::accumulator::{BatchId, SendReason};
use crate::producer::{KafkaProducer, SendRecord};
use crate::record::estimate_size_upper_bound;
use crate::sim::Simulation;
use crate::trace::TraceEvent;
use crate::vec_map::VecMap;

/// Why `send()` put a record in its partition (the partitioner's rule for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionRule {
    /// The application named the partition.
    Explicit,
    /// `murmur2(key) % partitions` (`Utils.toPositive(Utils.murmur2(keyBytes)) % n`).
    KeyHash { partitions: u32 },
    /// No key, 3.3+: the built-in partitioner's sticky partition (KIP-794).
    BuiltInSticky,
    /// No key, `DefaultPartitioner` before 3.3: the sticky cache (KIP-480).
    DefaultSticky,
    /// `UniformStickyPartitioner`: sticky, keys ignored.
    UniformSticky,
    /// `RoundRobinPartitioner`: the next partition in turn, keys ignored.
    RoundRobin,
    /// The scenario's rule table (a custom `partitioner.class`).
    Custom,
}

/// One step of a lifecycle. Offsets are the subject's (a record's own offset, a batch's
/// first offset).
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `send()` was called: the record serialized (key and value bytes, `None` = null),
    /// partitioned by `rule`; `size` is Kafka's upper-bound estimate of it in a batch.
    Created {
        tp: Option<TopicPartition>,
        key_bytes: Option<usize>,
        value_bytes: Option<usize>,
        size: u32,
        rule: PartitionRule,
    },
    /// `send()` blocked: a new batch needs memory and `buffer.memory` had `available` free.
    Blocked { available: u64 },
    /// `send()` failed before the record reached a batch.
    SendFailed { error: &'static str },
    /// Appended to a batch in the `RecordAccumulator`: a new one, or joined an open one.
    Batched { batch: BatchId, new_batch: bool },
    /// A batch's records so far, the last appended at this step's time.
    Filled { records: u32 },
    /// The sender drained the batch into produce request `request` to `broker`, for
    /// `reason`; `attempt` counts from 1.
    Sent {
        request: u64,
        broker: u32,
        batch: BatchId,
        reason: SendReason,
        attempt: u32,
    },
    /// A produce request went out with these batches (the request's own lifecycle).
    RequestSent {
        broker: u32,
        batches: Vec<(BatchId, SendReason)>,
        records: u32,
        bytes: u32,
    },
    /// A fault lost the request on its way: the broker never saw it.
    RequestDropped { request: u64, broker: u32 },
    /// A fault lost the broker's answer: the broker did the work, the producer never heard.
    ResponseDropped { request: u64, broker: u32 },
    /// No answer within `request.timeout.ms`: the producer closed the connection, failing
    /// the requests on it.
    TimedOut { broker: u32 },
    /// The broker's process died under the connection.
    ConnectionClosed { broker: u32 },
    /// The leader wrote it at `offset`, in leader epoch `leader_epoch` (when its log still
    /// holds this copy).
    Written {
        broker: u32,
        request: u64,
        batch: BatchId,
        offset: u64,
        leader_epoch: Option<u32>,
    },
    /// The leader recognised a retry (same producer id, epoch and sequences) and answered
    /// with the offset of the copy it has.
    Duplicate {
        broker: u32,
        request: u64,
        offset: u64,
    },
    /// The leader refused the batch.
    Rejected {
        broker: u32,
        request: u64,
        error: &'static str,
        reason: String,
    },
    /// A follower's log end offset passed the copy at `offset`.
    Replicated { broker: u32, offset: u64 },
    /// The leader's high watermark passed the copy: committed.
    Committed {
        broker: u32,
        offset: u64,
        high_watermark: u64,
    },
    /// A replica cut its log back below the copy (leader epochs): this copy is gone there.
    Truncated { broker: u32, offset: u64, to: u64 },
    /// Attempt `attempt` failed with a retriable `error`: the batch goes back to its deque.
    Retried { error: &'static str, attempt: u32 },
    /// `MESSAGE_TOO_LARGE`: the batch went back as `into` smaller ones (the record now in
    /// `batch`, when following a record).
    Split { into: u32, batch: Option<BatchId> },
    /// The callback got success: `offset` (−1 under `acks=0`).
    Acked { offset: i64 },
    /// The callback got an exception.
    Failed {
        error: &'static str,
        message: Option<String>,
    },
    /// The transaction's marker after the copy at `offset`: committed or aborted.
    Marker {
        broker: u32,
        offset: u64,
        result: TransactionResult,
        marker_offset: u64,
    },
    /// A consumer's `poll()` returned it.
    Consumed {
        consumer: u16,
        read_committed: bool,
        offset: u64,
    },
    /// A `read_committed` consumer's position passed the copy at `offset` without
    /// returning it: its transaction was aborted.
    Skipped { consumer: u16, offset: u64 },
    /// The application restarted its producer before the record was acknowledged: it is
    /// sent again by the new instance.
    ProducerRestarted,
    /// A producer got this producer id and epoch (`InitProducerId`).
    ProducerIdAssigned { producer: u16, epoch: i16 },
    /// The producer moved to a new epoch (KIP-360, or a transactions V2 end).
    EpochBumped { epoch: i16 },
}

/// Steps in time order (trace order within one millisecond).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lifecycle {
    pub steps: Vec<(u64, Step)>,
    /// The subject began before the oldest event the trace still keeps (at this time):
    /// its earlier steps are gone (`Simulation::record_recent_trace`).
    pub forgotten_before: Option<u64>,
}

/// When the trace, having let older events go, starts at or after `from_ms`: the
/// steps of a subject that began at `from_ms` are then incomplete.
fn forgotten_before(trace: &Chunked<(u64, TraceEvent)>, from_ms: u64) -> Option<u64> {
    if trace.start() == 0 {
        return None;
    }
    trace.first().map(|(at, _)| *at).filter(|&at| at >= from_ms)
}

/// The partitioner's rule for `s`, sent by `p`.
pub fn partition_rule(p: &KafkaProducer, s: &SendRecord, partitions: u32) -> PartitionRule {
    if s.explicit_partition().is_some() {
        return PartitionRule::Explicit;
    }
    let keyed = s.data.key.is_some();
    match p.partitioner.as_ref().map(|part| part.class()) {
        Some(PartitionerClass::Custom) => PartitionRule::Custom,
        Some(PartitionerClass::RoundRobin) => PartitionRule::RoundRobin,
        Some(PartitionerClass::UniformSticky) => PartitionRule::UniformSticky,
        Some(PartitionerClass::Default) if keyed => PartitionRule::KeyHash { partitions },
        Some(PartitionerClass::Default) => PartitionRule::DefaultSticky,
        None if keyed && !p.config.partitioner_ignore_keys => PartitionRule::KeyHash { partitions },
        None => PartitionRule::BuiltInSticky,
    }
}

/// A copy the leader wrote: where, and what has become of it so far.
struct Copy {
    broker: u32,
    tp: TopicPartition,
    /// The subject's first offset and its number of records.
    offset: u64,
    count: u64,
    /// The send index of its first record.
    origin: u32,
    /// From the leader's log: markers are matched by producer id.
    producer_id: i64,
    transactional: bool,
    followers: usize,
    replicated: Vec<u32>,
    committed: bool,
    marked: bool,
    gone: bool,
}

impl Copy {
    fn end(&self) -> u64 {
        self.offset + self.count
    }

    /// Nothing more will happen to it (short of a truncation): on every replica,
    /// committed, and its transaction ended.
    fn settled(&self) -> bool {
        self.gone
            || (self.committed
                && self.replicated.len() >= self.followers
                && (self.marked || !self.transactional))
    }
}

/// The log record at `offset` on `broker`'s replica of `tp`.
fn log_record(
    sim: &Simulation,
    broker: u32,
    tp: TopicPartition,
    offset: u64,
) -> Option<&LogRecord> {
    let records = sim
        .brokers()
        .get(broker as usize)?
        .partitions
        .get(&tp)?
        .log
        .records();
    // Offsets are dense from 0 in this model's logs, but search to be safe.
    records
        .get(offset as usize)
        .filter(|r| r.offset == offset)
        .or_else(|| records.iter().find(|r| r.offset == offset))
}

/// What the scan follows: one record, or a whole batch.
enum Subject {
    Record { index: u32 },
    Batch { id: BatchId },
}

/// How many records `producer`'s `Send` at `trace[k]` found in its batch: counted back to
/// the `Send` that opened the batch.
fn position_in_batch(trace: &Chunked<(u64, TraceEvent)>, k: usize, producer: u16) -> u32 {
    let TraceEvent::Send { batch, .. } = &trace[k].1 else {
        return 0;
    };
    let mut position = 0;
    for (_, e) in trace.range(0, k).rev() {
        match e {
            TraceEvent::Send {
                producer: q,
                batch: b,
                new_batch,
                ..
            } if *q == producer && b == batch => {
                position += 1;
                if *new_batch {
                    break;
                }
            }
            TraceEvent::ProducerRestarted { producer: q, .. } if *q == producer => break,
            _ => {}
        }
    }
    position
}

/// The shared scan of a record's or a batch's life on `producer`, from `from_ms` (when
/// the subject was created) on.
fn follow(sim: &Simulation, producer: u16, subject: Subject, from_ms: u64) -> Lifecycle {
    let mut life = Lifecycle::default();
    let Some(p) = sim.producers().get(producer as usize) else {
        return life;
    };
    let steps = &mut life.steps;
    // The batch followed, the subject's position in it, and the send index of the
    // subject's first record (the origin its copies carry).
    let mut current: Option<(BatchId, u32, u32)> = None;
    let mut created = false;
    let mut done = false;
    let mut requests: VecMap<u64, u32> = VecMap::new();
    let mut in_flight: Option<(u64, u32)> = None;
    let mut attempts = 0u32;
    let mut copies: Vec<Copy> = Vec::new();
    let consumers = sim.consumers();
    let trace = sim.trace();
    life.forgotten_before = forgotten_before(trace, from_ms);
    // Nothing about the subject comes before it was created.
    let start = trace.partition_point(|(at, _)| *at < from_ms);
    for (k, (at, event)) in (start..).zip(trace.iter_from(start)) {
        let at = *at;
        match event {
            TraceEvent::ProducerRestarted { producer: q, .. } if *q == producer => {
                if created && !done {
                    steps.push((at, Step::ProducerRestarted));
                }
                match subject {
                    // The record is sent again by the new instance.
                    Subject::Record { .. } => {
                        current = None;
                        in_flight = None;
                        attempts = 0;
                    }
                    // A batch is one instance's: the next one numbers its batches anew.
                    Subject::Batch { .. } if created => break,
                    Subject::Batch { .. } => {}
                }
            }
            TraceEvent::Send {
                producer: q,
                index,
                tp,
                batch,
                new_batch,
            } if *q == producer => match subject {
                Subject::Record { index: i } if i == *index => {
                    let s = &p.sends[i as usize];
                    if !created
                        || steps
                            .last()
                            .is_some_and(|(_, s)| *s == Step::ProducerRestarted)
                    {
                        steps.push((at, created_step(sim, p, s, Some(*tp))));
                    }
                    created = true;
                    steps.push((
                        at,
                        Step::Batched {
                            batch: *batch,
                            new_batch: *new_batch,
                        },
                    ));
                    current = Some((*batch, position_in_batch(trace, k, producer), i));
                }
                Subject::Batch { id } if id == *batch => {
                    if !created {
                        created = true;
                        current = Some((id, 0, *index));
                    }
                    // One step for the filling: moved to the latest append.
                    if let Some((t, Step::Filled { records })) = steps.last_mut() {
                        *t = at;
                        *records += 1;
                    } else {
                        steps.push((at, Step::Filled { records: 1 }));
                    }
                }
                _ => {}
            },
            TraceEvent::SendBlocked {
                producer: q,
                index,
                available,
            } if *q == producer
                && matches!(subject, Subject::Record { index: i } if i == *index) =>
            {
                if !created {
                    let s = &p.sends[*index as usize];
                    steps.push((at, created_step(sim, p, s, None)));
                    created = true;
                }
                steps.push((
                    at,
                    Step::Blocked {
                        available: *available,
                    },
                ));
            }
            TraceEvent::SendFailed {
                producer: q,
                index,
                error,
            } if *q == producer
                && matches!(subject, Subject::Record { index: i } if i == *index) =>
            {
                if !created {
                    let s = &p.sends[*index as usize];
                    steps.push((at, created_step(sim, p, s, None)));
                    created = true;
                }
                steps.push((at, Step::SendFailed { error }));
                done = true;
            }
            TraceEvent::RequestSent {
                producer: q,
                broker,
                request,
                sent,
                ..
            } if *q == producer => {
                let Some((batch, ..)) = current else { continue };
                if let Some(&(_, reason)) = sent.iter().find(|(b, _)| *b == batch) {
                    attempts += 1;
                    requests.insert(*request, *broker);
                    in_flight = Some((*request, *broker));
                    steps.push((
                        at,
                        Step::Sent {
                            request: *request,
                            broker: *broker,
                            batch,
                            reason,
                            attempt: attempts,
                        },
                    ));
                }
            }
            TraceEvent::RequestDropped {
                broker,
                producer: q,
                request,
            } if *q == producer && requests.contains_key(request) => {
                steps.push((
                    at,
                    Step::RequestDropped {
                        request: *request,
                        broker: *broker,
                    },
                ));
            }
            TraceEvent::ResponseDropped {
                broker,
                producer: q,
                request,
            } if *q == producer && requests.contains_key(request) => {
                steps.push((
                    at,
                    Step::ResponseDropped {
                        request: *request,
                        broker: *broker,
                    },
                ));
            }
            TraceEvent::Disconnected {
                producer: q,
                broker,
                ..
            } if *q == producer && in_flight.is_some_and(|(_, b)| b == *broker) => {
                steps.push((at, Step::TimedOut { broker: *broker }));
            }
            TraceEvent::ConnectionClosed {
                producer: q,
                broker,
                ..
            } if *q == producer && in_flight.is_some_and(|(_, b)| b == *broker) => {
                steps.push((at, Step::ConnectionClosed { broker: *broker }));
            }
            TraceEvent::Appended {
                broker,
                producer: q,
                request,
                batch,
                tp,
                base_offset,
                records,
            } if *q == producer
                && requests.contains_key(request)
                && current.is_some_and(|c| c.0 == *batch) =>
            {
                let (_, position, origin) = current.expect("checked");
                let count = match subject {
                    Subject::Record { .. } => 1,
                    Subject::Batch { .. } => *records,
                };
                let offset = base_offset + position as u64;
                let copy = log_record(sim, *broker, *tp, offset)
                    .filter(|r| r.origin() == (producer, origin));
                let leader_epoch = copy.map(|r| r.leader_epoch);
                steps.push((
                    at,
                    Step::Written {
                        broker: *broker,
                        request: *request,
                        batch: *batch,
                        offset,
                        leader_epoch,
                    },
                ));
                copies.push(Copy {
                    broker: *broker,
                    tp: *tp,
                    offset,
                    count: count as u64,
                    origin,
                    producer_id: copy.map_or(-1, |r| r.producer_id),
                    transactional: copy.is_some_and(|r| r.transactional),
                    followers: sim.brokers()[*broker as usize]
                        .partitions
                        .get(tp)
                        .map_or(0, |r| r.replicas.len().saturating_sub(1)),
                    replicated: Vec::new(),
                    committed: false,
                    marked: false,
                    gone: false,
                });
            }
            TraceEvent::DuplicateBatch {
                broker,
                producer: q,
                request,
                batch,
                base_offset,
                ..
            } if *q == producer
                && requests.contains_key(request)
                && current.is_some_and(|c| c.0 == *batch) =>
            {
                let position = current.expect("checked").1;
                steps.push((
                    at,
                    Step::Duplicate {
                        broker: *broker,
                        request: *request,
                        offset: base_offset + position as u64,
                    },
                ));
            }
            TraceEvent::BatchRejected {
                broker,
                producer: q,
                request,
                batch,
                error,
                reason,
                ..
            } if *q == producer
                && requests.contains_key(request)
                && current.is_some_and(|c| c.0 == *batch) =>
            {
                steps.push((
                    at,
                    Step::Rejected {
                        broker: *broker,
                        request: *request,
                        error,
                        reason: String::clone(reason),
                    },
                ));
            }
            TraceEvent::BatchRetried {
                producer: q,
                batch,
                attempts: n,
                error,
                ..
            } if *q == producer && current.is_some_and(|c| c.0 == *batch) => {
                in_flight = None;
                steps.push((at, Step::Retried { error, attempt: *n }));
            }
            TraceEvent::BatchSplit {
                producer: q,
                batch,
                into,
                parts,
                ..
            } if *q == producer && current.is_some_and(|c| c.0 == *batch) => {
                in_flight = None;
                let (_, position, ..) = current.expect("checked");
                let mut before = 0;
                let mut moved = None;
                for &(id, n) in parts {
                    if position < before + n {
                        moved = Some((id, position - before));
                        break;
                    }
                    before += n;
                }
                match subject {
                    Subject::Record { index } => {
                        current = moved.map(|(id, pos)| (id, pos, index));
                        steps.push((
                            at,
                            Step::Split {
                                into: *into,
                                batch: moved.map(|m| m.0),
                            },
                        ));
                    }
                    Subject::Batch { .. } => {
                        steps.push((
                            at,
                            Step::Split {
                                into: *into,
                                batch: None,
                            },
                        ));
                        done = true;
                        current = None;
                    }
                }
            }
            TraceEvent::BatchCompleted {
                producer: q,
                batch,
                base_offset,
                ..
            } if *q == producer && current.is_some_and(|c| c.0 == *batch) => {
                in_flight = None;
                let position = current.expect("checked").1 as i64;
                let offset = if *base_offset < 0 {
                    -1
                } else {
                    base_offset + position
                };
                steps.push((at, Step::Acked { offset }));
                done = true;
                current = None;
            }
            TraceEvent::BatchFailed {
                producer: q,
                batch,
                error,
                ..
            } if *q == producer && current.is_some_and(|c| c.0 == *batch) => {
                in_flight = None;
                let message = match subject {
                    Subject::Record { index } => p.sends[index as usize]
                        .error
                        .as_ref()
                        .map(|e| e.to_string()),
                    Subject::Batch { .. } => None,
                };
                steps.push((at, Step::Failed { error, message }));
                done = true;
                current = None;
            }
            TraceEvent::Replicated {
                broker,
                tp,
                log_end_offset,
            } => {
                for c in copies.iter_mut().filter(|c| c.tp == *tp && !c.gone) {
                    if c.broker != *broker
                        && *log_end_offset >= c.end()
                        && !c.replicated.contains(broker)
                        && same_copy(sim, *broker, c, producer)
                    {
                        c.replicated.push(*broker);
                        steps.push((
                            at,
                            Step::Replicated {
                                broker: *broker,
                                offset: c.offset,
                            },
                        ));
                    }
                }
            }
            TraceEvent::HighWatermark {
                broker,
                tp,
                high_watermark,
                ..
            } => {
                for c in copies.iter_mut().filter(|c| c.tp == *tp && !c.gone) {
                    if !c.committed
                        && *high_watermark >= c.end()
                        && (c.broker == *broker || c.replicated.contains(broker))
                    {
                        c.committed = true;
                        steps.push((
                            at,
                            Step::Committed {
                                broker: *broker,
                                offset: c.offset,
                                high_watermark: *high_watermark,
                            },
                        ));
                    }
                }
            }
            TraceEvent::Truncated { broker, tp, to, .. } => {
                for c in copies.iter_mut().filter(|c| c.tp == *tp && !c.gone) {
                    let holds = c.broker == *broker || c.replicated.contains(broker);
                    if holds && *to <= c.offset {
                        steps.push((
                            at,
                            Step::Truncated {
                                broker: *broker,
                                offset: c.offset,
                                to: *to,
                            },
                        ));
                        c.replicated.retain(|b| b != broker);
                        if c.broker == *broker {
                            c.gone = c.replicated.is_empty();
                            if let Some(&next) = c.replicated.first() {
                                c.broker = next;
                            }
                        }
                    }
                }
            }
            TraceEvent::MarkerWritten {
                broker,
                tp,
                producer_id: id,
                result,
                offset,
                ..
            } => {
                for c in copies.iter_mut().filter(|c| c.tp == *tp && !c.gone) {
                    if !c.marked && c.producer_id == *id && *offset >= c.end() {
                        c.marked = true;
                        steps.push((
                            at,
                            Step::Marker {
                                broker: *broker,
                                offset: c.offset,
                                result: *result,
                                marker_offset: *offset,
                            },
                        ));
                    }
                }
            }
            _ => {}
        }
        // Later events cannot concern it: stop (what keeps the lookup cheap while playing).
        if done && !copies.is_empty() && copies.iter().all(Copy::settled) {
            break;
        }
    }
    // What the consumers did with each copy: their own records say when poll() returned
    // it (looked up once here, not per fetch).
    for (i, k) in consumers.iter().enumerate() {
        let read_committed = k.config.isolation_level == IsolationLevel::ReadCommitted;
        let consumer = i as u16;
        for c in &copies {
            let origin = (producer, c.origin);
            let got = k
                .records
                .iter()
                .find(|r| r.tp == c.tp && r.offset == c.offset && r.origin == origin);
            match got {
                Some(r) => life.steps.push((
                    r.at_ms,
                    Step::Consumed {
                        consumer,
                        read_committed,
                        offset: c.offset,
                    },
                )),
                None if read_committed
                    && k.positions.get(&c.tp).is_some_and(|&pos| pos > c.offset)
                    && life.steps.iter().any(|(_, s)| {
                        matches!(s, Step::Marker { offset, result: TransactionResult::Abort, .. } if *offset == c.offset)
                    }) =>
                {
                    // The poll that moved the position past it.
                    let passed = trace.iter().find_map(|(at, e)| match e {
                        TraceEvent::Consumed {
                            consumer: q,
                            tp,
                            position,
                            ..
                        } if *q == consumer && *tp == c.tp && *position > c.offset => Some(*at),
                        _ => None,
                    });
                    if let Some(at) = passed {
                        life.steps.push((
                            at,
                            Step::Skipped {
                                consumer,
                                offset: c.offset,
                            },
                        ));
                    }
                }
                None => {}
            }
        }
    }
    // Stable: trace order within a millisecond stays.
    crate::sort::sort_by_u64_key(&mut life.steps, |(at, _)| *at);
    life
}

/// Whether `broker`'s log holds this copy (and not another record at its offset, after a
/// truncation or an unclean election).
fn same_copy(sim: &Simulation, broker: u32, c: &Copy, producer: u16) -> bool {
    log_record(sim, broker, c.tp, c.offset).is_some_and(|r| r.origin() == (producer, c.origin))
}

fn created_step(
    sim: &Simulation,
    p: &KafkaProducer,
    s: &SendRecord,
    tp: Option<TopicPartition>,
) -> Step {
    let partitions = sim.cluster().num_partitions(s.topic);
    Step::Created {
        tp,
        key_bytes: s.data.key_len(),
        value_bytes: s.data.value_len(),
        size: estimate_size_upper_bound(s.data.key_len(), s.data.value_len()) as u32,
        rule: partition_rule(p, s, partitions),
    }
}

/// The lifecycle of `producer`'s record number `index` (its `send()` call).
pub fn record_lifecycle(sim: &Simulation, producer: u16, index: u32) -> Lifecycle {
    let known = sim
        .producers()
        .get(producer as usize)
        .is_some_and(|p| p.sends.get(index as usize).is_some());
    if !known {
        return Lifecycle::default();
    }
    // From the first send(): a record re-sent after a restart keeps its first life.
    let from_ms = sim.producers()[producer as usize].sends[index as usize].first_created_ms;
    follow(sim, producer, Subject::Record { index }, from_ms)
}

/// The lifecycle of `producer`'s batch `id` (in its current instance), created at
/// `created_ms` (`ProducerBatch.created_ms`).
pub fn batch_lifecycle(sim: &Simulation, producer: u16, id: BatchId, created_ms: u64) -> Lifecycle {
    follow(sim, producer, Subject::Batch { id }, created_ms)
}

/// The lifecycle of `producer`'s produce request `request`, sent at `sent_ms`: what it
/// carried and why, what the broker did with each batch, and how it ended.
pub fn request_lifecycle(sim: &Simulation, producer: u16, request: u64, sent_ms: u64) -> Lifecycle {
    let mut life = Lifecycle::default();
    let mut broker_of = None;
    // Batches not yet answered.
    let mut open: Vec<BatchId> = Vec::new();
    // Under acks=0 the batches complete as the request leaves: wait for the writes too.
    let acks0 = sim
        .producers()
        .get(producer as usize)
        .is_some_and(|p| p.config.acks == Acks::None);
    let mut unwritten = 0;
    let trace = sim.trace();
    life.forgotten_before = forgotten_before(trace, sent_ms);
    let start = trace.partition_point(|(at, _)| *at < sent_ms);
    for (at, event) in trace.iter_from(start) {
        if broker_of.is_some() && open.is_empty() && (unwritten == 0 || !acks0) {
            break;
        }
        let at = *at;
        let step = match event {
            TraceEvent::RequestSent {
                producer: q,
                broker,
                request: r,
                records,
                bytes,
                sent,
                ..
            } if *q == producer && *r == request => {
                broker_of = Some(*broker);
                open = sent.iter().map(|(b, _)| *b).collect();
                unwritten = open.len();
                Step::RequestSent {
                    broker: *broker,
                    batches: sent.clone(),
                    records: *records,
                    bytes: *bytes,
                }
            }
            _ if broker_of.is_none() => continue,
            TraceEvent::Appended {
                broker,
                producer: q,
                request: r,
                batch,
                tp,
                base_offset,
                ..
            } if *q == producer && *r == request => Step::Written {
                broker: *broker,
                request,
                batch: *batch,
                offset: *base_offset,
                leader_epoch: log_record(sim, *broker, *tp, *base_offset).map(|r| r.leader_epoch),
            },
            TraceEvent::DuplicateBatch {
                broker,
                producer: q,
                request: r,
                base_offset,
                ..
            } if *q == producer && *r == request => Step::Duplicate {
                broker: *broker,
                request,
                offset: *base_offset,
            },
            TraceEvent::BatchRejected {
                broker,
                producer: q,
                request: r,
                error,
                reason,
                ..
            } if *q == producer && *r == request => Step::Rejected {
                broker: *broker,
                request,
                error,
                reason: String::clone(reason),
            },
            TraceEvent::RequestDropped {
                broker,
                producer: q,
                request: r,
            } if *q == producer && *r == request => Step::RequestDropped {
                request,
                broker: *broker,
            },
            TraceEvent::ResponseDropped {
                broker,
                producer: q,
                request: r,
            } if *q == producer && *r == request => Step::ResponseDropped {
                request,
                broker: *broker,
            },
            _ if open.is_empty() => continue,
            TraceEvent::Disconnected {
                producer: q,
                broker,
                ..
            } if *q == producer && Some(*broker) == broker_of => Step::TimedOut { broker: *broker },
            TraceEvent::ConnectionClosed {
                producer: q,
                broker,
                ..
            } if *q == producer && Some(*broker) == broker_of => {
                Step::ConnectionClosed { broker: *broker }
            }
            TraceEvent::BatchCompleted {
                producer: q,
                batch,
                base_offset,
                ..
            } if *q == producer && open.contains(batch) => {
                open.retain(|b| b != batch);
                Step::Acked {
                    offset: *base_offset,
                }
            }
            TraceEvent::BatchRetried {
                producer: q,
                batch,
                attempts,
                error,
                ..
            } if *q == producer && open.contains(batch) => {
                open.retain(|b| b != batch);
                Step::Retried {
                    error,
                    attempt: *attempts,
                }
            }
            TraceEvent::BatchSplit {
                producer: q,
                batch,
                into,
                ..
            } if *q == producer && open.contains(batch) => {
                open.retain(|b| b != batch);
                Step::Split {
                    into: *into,
                    batch: None,
                }
            }
            TraceEvent::BatchFailed {
                producer: q,
                batch,
                error,
                ..
            } if *q == producer && open.contains(batch) => {
                open.retain(|b| b != batch);
                Step::Failed {
                    error,
                    message: None,
                }
            }
            TraceEvent::ProducerRestarted { producer: q, .. } if *q == producer => {
                open.clear();
                Step::ProducerRestarted
            }
            _ => continue,
        };
        match step {
            Step::Written { .. } | Step::Duplicate { .. } | Step::Rejected { .. } => {
                unwritten = unwritten.saturating_sub(1)
            }
            Step::RequestDropped { .. } => unwritten = 0,
            _ => {}
        }
        life.steps.push((at, step));
    }
    life
}

/// One batch a producer-state entry remembers: its sequences, where the replica has it,
/// and which `send()` calls it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryBatch {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: u64,
    /// (producer, send index) of its first record, when the replica's log still has it.
    pub origin: Option<(u16, u32)>,
    /// When this replica appended it.
    pub appended_ms: Option<u64>,
    /// The client's batch and produce request, when this replica wrote it as leader.
    pub written: Option<(BatchId, u64)>,
}

/// A `ProducerStateManager` entry on one replica, with what set it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerStateView {
    pub producer_id: i64,
    pub epoch: i16,
    /// The client holding this producer id, when the trace names it.
    pub client: Option<u16>,
    pub batches: Vec<EntryBatch>,
    pub current_txn_first_offset: Option<u64>,
    /// The entry's history on this replica: the id given out, the writes of the batches it
    /// remembers, duplicates caught, refusals, markers, truncations.
    pub steps: Vec<(u64, Step)>,
    /// The trace let its older events go: the history before this time is gone.
    pub forgotten_before: Option<u64>,
}

/// The producer-state entry of `producer_id` on `broker`'s replica of `tp`.
pub fn producer_state_lifecycle(
    sim: &Simulation,
    broker: u32,
    tp: TopicPartition,
    producer_id: i64,
) -> Option<ProducerStateView> {
    let partition = sim.brokers().get(broker as usize)?.partitions.get(&tp)?;
    let entry = partition.producer_state.entry(producer_id)?;
    let mut client = None;
    let mut steps = Vec::new();
    let mut written: VecMap<u64, (BatchId, u64)> = VecMap::new();
    for (at, event) in sim.trace() {
        let at = *at;
        let step = match event {
            TraceEvent::ProducerIdAssigned {
                producer,
                producer_id: id,
                producer_epoch,
                ..
            } if *id == producer_id => {
                client = Some(*producer);
                Step::ProducerIdAssigned {
                    producer: *producer,
                    epoch: *producer_epoch,
                }
            }
            TraceEvent::EpochBumped {
                producer_id: id,
                producer_epoch,
                ..
            }
            | TraceEvent::TxnEpochBumped {
                producer_id: id,
                producer_epoch,
                ..
            } if *id == producer_id => Step::EpochBumped {
                epoch: *producer_epoch,
            },
            TraceEvent::Appended {
                broker: b,
                producer,
                request,
                batch,
                tp: t,
                base_offset,
                ..
            } if *b == broker && *t == tp && Some(*producer) == client => {
                written.insert(*base_offset, (*batch, *request));
                Step::Written {
                    broker,
                    request: *request,
                    batch: *batch,
                    offset: *base_offset,
                    leader_epoch: log_record(sim, broker, tp, *base_offset).map(|r| r.leader_epoch),
                }
            }
            TraceEvent::DuplicateBatch {
                broker: b,
                producer,
                request,
                tp: t,
                base_offset,
                ..
            } if *b == broker && *t == tp && Some(*producer) == client => Step::Duplicate {
                broker,
                request: *request,
                offset: *base_offset,
            },
            TraceEvent::BatchRejected {
                broker: b,
                producer,
                request,
                tp: t,
                error,
                reason,
                ..
            } if *b == broker && *t == tp && Some(*producer) == client => Step::Rejected {
                broker,
                request: *request,
                error,
                reason: String::clone(reason),
            },
            TraceEvent::MarkerWritten {
                broker: b,
                tp: t,
                producer_id: id,
                result,
                offset,
                ..
            } if *b == broker && *t == tp && *id == producer_id => Step::Marker {
                broker,
                offset: *offset,
                result: *result,
                marker_offset: *offset,
            },
            TraceEvent::Truncated {
                broker: b,
                tp: t,
                to,
                from,
            } if *b == broker && *t == tp => Step::Truncated {
                broker,
                offset: *from,
                to: *to,
            },
            _ => continue,
        };
        steps.push((at, step));
    }
    // Of its writes, the batches it remembers: those set the sequences it checks.
    steps.retain(|(_, s)| match s {
        Step::Written { offset, .. } => entry.batches.iter().any(|b| b.first_offset == *offset),
        _ => true,
    });
    let batches = entry
        .batches
        .iter()
        .map(|b| {
            let r = log_record(sim, broker, tp, b.first_offset)
                .filter(|r| r.producer_id == producer_id);
            EntryBatch {
                first_seq: b.first_seq,
                last_seq: b.last_seq,
                first_offset: b.first_offset,
                origin: r.map(|r| r.origin()),
                appended_ms: r.map(|r| r.append_ms),
                written: written.get(&b.first_offset).copied(),
            }
        })
        .collect();
    Some(ProducerStateView {
        producer_id,
        epoch: entry.epoch,
        client,
        batches,
        current_txn_first_offset: entry.current_txn_first_offset,
        steps,
        forgotten_before: forgotten_before(sim.trace(), 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;

    fn run(json: &str) -> Simulation {
        let scenario = Scenario::from_json(json).expect("valid scenario");
        let mut sim = Simulation::new(&scenario).expect("valid scenario");
        sim.record_trace();
        sim.run();
        sim
    }

    fn at<F: Fn(&Step) -> bool>(life: &Lifecycle, f: F) -> Vec<u64> {
        life.steps
            .iter()
            .filter(|(_, s)| f(s))
            .map(|(t, _)| *t)
            .collect()
    }

    const REPLICATED: &str = r#"{"seed":5,"kafka_version":"3.9","brokers":3,"network":{"latency_ms":2},
        "topics":[{"name":"orders","partitions":1,"replication_factor":3}],
        "producers":[{"name":"p","config":{"acks":"all","linger.ms":"5"}}],
        "consumers":[{"name":"c","topics":["orders"]}],
        "actions":[{"at_ms":10,"action":"send","producer":"p","topic":"orders","keys":["k"],"value":"v","count":3,"interval_ms":1}],
        "until_ms":2000}"#;

    #[test]
    fn a_trace_that_keeps_only_recent_events_says_what_it_let_go() {
        let json = REPLICATED.replace(
            r#""count":3,"interval_ms":1"#,
            r#""count":100,"interval_ms":10"#,
        );
        let whole = run(&json);
        let mut recent = Simulation::new(&Scenario::from_json(&json).unwrap()).unwrap();
        recent.record_recent_trace(200);
        recent.run();
        assert!(recent.trace().start() > 0);
        // Let go in bulk, once an eighth over.
        assert!(recent.trace().len() - recent.trace().start() <= 200 + 25);
        assert_eq!(recent.trace_hash(), whole.trace_hash());
        // The last record's whole life is still in the window: the same steps.
        let last = record_lifecycle(&recent, 0, 99);
        assert_eq!(last, record_lifecycle(&whole, 0, 99));
        assert_eq!(last.forgotten_before, None);
        // The first record's is not, and it says from when the trace has it.
        let first = record_lifecycle(&recent, 0, 0);
        let oldest = recent.trace().first().unwrap().0;
        assert_eq!(first.forgotten_before, Some(oldest));
        assert!(first.steps.iter().all(|(at, _)| *at >= oldest));
        assert!(first.steps.len() < record_lifecycle(&whole, 0, 0).steps.len());
    }

    #[test]
    fn an_acks_all_record_is_replicated_then_committed_then_acknowledged() {
        let sim = run(REPLICATED);
        let life = record_lifecycle(&sim, 0, 1);
        let created = at(&life, |s| matches!(s, Step::Created { .. }));
        let appended = at(&life, |s| {
            matches!(
                s,
                Step::Batched {
                    new_batch: false,
                    ..
                }
            )
        });
        let sent = at(&life, |s| matches!(s, Step::Sent { attempt: 1, .. }));
        let written = at(&life, |s| {
            matches!(
                s,
                Step::Written {
                    offset: 1,
                    leader_epoch: Some(_),
                    ..
                }
            )
        });
        let replicated = at(&life, |s| matches!(s, Step::Replicated { offset: 1, .. }));
        let committed = at(&life, |s| matches!(s, Step::Committed { offset: 1, .. }));
        let acked = at(&life, |s| matches!(s, Step::Acked { offset: 1 }));
        let consumed = at(&life, |s| matches!(s, Step::Consumed { offset: 1, .. }));
        assert_eq!(created, vec![11]);
        assert_eq!(appended, vec![11], "the second record joins the open batch");
        assert_eq!(sent.len(), 1);
        assert_eq!(written.len(), 1);
        assert_eq!(replicated.len(), 2, "both followers: {:?}", life.steps);
        assert_eq!((committed.len(), acked.len(), consumed.len()), (1, 1, 1));
        assert!(created[0] <= sent[0] && sent[0] < written[0]);
        assert!(replicated
            .iter()
            .all(|&r| written[0] < r && r <= committed[0]));
        assert!(committed[0] <= acked[0] && committed[0] < consumed[0]);
        // One record waited linger.ms (the batch was never full).
        assert!(life.steps.iter().any(|(_, s)| matches!(
            s,
            Step::Sent {
                reason: SendReason::LingerExpired,
                ..
            }
        )));
        assert!(matches!(
            life.steps[0].1,
            Step::Created {
                rule: PartitionRule::KeyHash { partitions: 1 },
                key_bytes: Some(1),
                value_bytes: Some(1),
                ..
            }
        ));
        // The batch tells the same story for its three records.
        let batch = batch_lifecycle(&sim, 0, 0, 0);
        assert!(batch
            .steps
            .iter()
            .any(|(_, s)| *s == Step::Filled { records: 3 }));
        assert_eq!(
            at(&batch, |s| matches!(s, Step::Replicated { offset: 0, .. })).len(),
            2
        );
        assert_eq!(
            at(&batch, |s| matches!(
                s,
                Step::Committed {
                    offset: 0,
                    high_watermark: 3,
                    ..
                }
            ))
            .len(),
            1
        );
    }

    #[test]
    fn a_lost_response_means_two_attempts_and_with_idempotence_one_offset() {
        let sim = run(include_str!("../../scenarios/lost-response.json"));
        // The idempotent producer's record whose first answer was lost.
        let p = &sim.producers()[1];
        let index = (0..p.sends.len() as u32)
            .find(|&i| p.sends[i as usize].attempts == 2)
            .expect("a record sent twice");
        let life = record_lifecycle(&sim, 1, index);
        let sent: Vec<_> = life
            .steps
            .iter()
            .filter_map(|(_, s)| match s {
                Step::Sent {
                    request, attempt, ..
                } => Some((*request, *attempt)),
                _ => None,
            })
            .collect();
        assert_eq!(sent.len(), 2, "{:?}", life.steps);
        let sent_at = at(&life, |s| matches!(s, Step::Sent { attempt: 1, .. }))[0];
        assert_eq!((sent[0].1, sent[1].1), (1, 2));
        let written: Vec<u64> = life
            .steps
            .iter()
            .filter_map(|(_, s)| match s {
                Step::Written { offset, .. } | Step::Duplicate { offset, .. } => Some(*offset),
                _ => None,
            })
            .collect();
        assert_eq!(written.len(), 2, "written, then recognised as a duplicate");
        assert_eq!(written[0], written[1], "one offset");
        assert!(life
            .steps
            .iter()
            .any(|(_, s)| matches!(s, Step::ResponseDropped { .. })));
        assert!(life
            .steps
            .iter()
            .any(|(_, s)| matches!(s, Step::TimedOut { broker: 0 })));
        assert!(life
            .steps
            .iter()
            .any(|(_, s)| matches!(s, Step::Retried { attempt: 1, .. })));
        assert!(life.steps.iter().any(|(_, s)| *s
            == Step::Acked {
                offset: written[0] as i64
            }));
        assert!(life.steps.iter().any(|(_, s)| matches!(
            s,
            Step::Sent {
                attempt: 2,
                reason: SendReason::RetryBackoffOver,
                ..
            }
        )));

        // The first request's own story: sent, written, its answer lost, timed out.
        let request = request_lifecycle(&sim, 1, sent[0].0, sent_at);
        let kinds: Vec<&str> = request
            .steps
            .iter()
            .map(|(_, s)| match s {
                Step::RequestSent { .. } => "sent",
                Step::Written { .. } => "written",
                Step::ResponseDropped { .. } => "lost",
                Step::TimedOut { .. } => "timeout",
                Step::Retried { .. } => "retry",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["sent", "written", "lost", "timeout", "retry"]);

        // The leader's producer state for the id: the batch it wrote, found again for the
        // duplicate.
        let pid = sim.brokers()[0]
            .partitions
            .values()
            .next()
            .unwrap()
            .producer_state
            .producers()
            .next()
            .map(|(id, _)| *id)
            .expect("an idempotent producer wrote");
        let tp = TopicPartition {
            topic: 0,
            partition: 0,
        };
        let view = producer_state_lifecycle(&sim, 0, tp, pid).expect("an entry");
        assert_eq!(view.client, Some(1));
        assert!(view
            .batches
            .iter()
            .all(|b| b.origin.is_some_and(|o| o.0 == 1)));
        assert!(view
            .steps
            .iter()
            .any(|(_, s)| matches!(s, Step::ProducerIdAssigned { producer: 1, .. })));
        // Its writes are those of the batches it remembers; every duplicate it caught is
        // answered with an offset where this producer id's batch is.
        let written: Vec<u64> = view
            .steps
            .iter()
            .filter_map(|(_, s)| match s {
                Step::Written { offset, .. } => Some(*offset),
                _ => None,
            })
            .collect();
        let remembered: Vec<u64> = view.batches.iter().map(|b| b.first_offset).collect();
        assert_eq!(written, remembered);
        let duplicates: Vec<u64> = view
            .steps
            .iter()
            .filter_map(|(_, s)| match s {
                Step::Duplicate { offset, .. } => Some(*offset),
                _ => None,
            })
            .collect();
        assert!(!duplicates.is_empty());
        assert!(duplicates
            .iter()
            .all(|&o| log_record(&sim, 0, tp, o).is_some_and(|r| r.producer_id == pid)));
        assert!(producer_state_lifecycle(&sim, 0, tp, pid + 1000).is_none());
    }

    #[test]
    fn an_aborted_record_shows_the_abort_marker_and_is_not_read_committed() {
        let sim = run(include_str!("../../scenarios/transactions.json"));
        // Sends 3..6 are the "refunded" records of the aborted transaction.
        let life = record_lifecycle(&sim, 0, 3);
        let marker = at(&life, |s| {
            matches!(
                s,
                Step::Marker {
                    result: TransactionResult::Abort,
                    ..
                }
            )
        });
        let written = at(&life, |s| matches!(s, Step::Written { .. }));
        assert_eq!(marker.len(), 1, "{:?}", life.steps);
        assert!(written[0] < marker[0]);
        let skipped: Vec<(u64, u16)> = life
            .steps
            .iter()
            .filter_map(|(t, s)| match s {
                Step::Skipped { consumer, .. } => Some((*t, *consumer)),
                _ => None,
            })
            .collect();
        assert_eq!(
            skipped.len(),
            1,
            "read_committed skips it: {:?}",
            life.steps
        );
        assert_eq!(skipped[0].1, 0);
        assert!(
            skipped[0].0 > marker[0],
            "once the abort marker is readable"
        );
        let consumed: Vec<(u16, bool)> = life
            .steps
            .iter()
            .filter_map(|(_, s)| match s {
                Step::Consumed {
                    consumer,
                    read_committed,
                    ..
                } => Some((*consumer, *read_committed)),
                _ => None,
            })
            .collect();
        assert_eq!(
            consumed,
            vec![(1, false)],
            "only read_uncommitted returns it"
        );
        // A committed one is read by both, after its marker.
        let committed = record_lifecycle(&sim, 0, 0);
        let marker = at(&committed, |s| {
            matches!(
                s,
                Step::Marker {
                    result: TransactionResult::Commit,
                    ..
                }
            )
        });
        let consumed = at(&committed, |s| {
            matches!(
                s,
                Step::Consumed {
                    read_committed: true,
                    ..
                }
            )
        });
        assert_eq!((marker.len(), consumed.len()), (1, 1));
        assert!(marker[0] < consumed[0]);
        assert!(!committed
            .steps
            .iter()
            .any(|(_, s)| matches!(s, Step::Skipped { .. })));
        assert!(committed.steps.iter().any(|(_, s)| matches!(
            s,
            Step::Sent {
                reason: SendReason::EndTransaction | SendReason::LingerExpired,
                ..
            }
        )));
    }

    #[test]
    fn a_record_resent_after_a_restart_keeps_its_first_life() {
        // The first instance writes the record but its response is lost; the application
        // restarts the producer before the timeout and the new instance sends it again.
        let sim = run(
            r#"{"seed":3,"kafka_version":"3.9","brokers":1,"network":{"latency_ms":2},
            "topics":[{"name":"orders","partitions":1,"replication_factor":1}],
            "producers":[{"name":"p","config":{"linger.ms":"0"}}],
            "actions":[{"at_ms":5,"action":"drop_responses","broker":0,"count":1},
                {"at_ms":10,"action":"send","producer":"p","topic":"orders","keys":["k"],"value":"v","count":1,"interval_ms":1},
                {"at_ms":100,"action":"restart_producer","producer":"p"}],
            "until_ms":3000}"#,
        );
        let life = record_lifecycle(&sim, 0, 0);
        let created = at(&life, |s| matches!(s, Step::Created { .. }));
        assert_eq!(created, vec![10, 100], "{:?}", life.steps);
        let restarted = at(&life, |s| *s == Step::ProducerRestarted);
        assert_eq!(restarted, vec![100]);
        let written: Vec<(u64, u64)> = life
            .steps
            .iter()
            .filter_map(|(t, s)| match s {
                Step::Written { offset, .. } => Some((*t, *offset)),
                _ => None,
            })
            .collect();
        assert_eq!(written.len(), 2, "once by each instance: {:?}", life.steps);
        assert!(written[0].0 < 100 && written[1].0 > 100);
        assert_ne!(written[0].1, written[1].1, "two offsets: a duplicate");
        assert!(life
            .steps
            .iter()
            .any(|(_, s)| matches!(s, Step::Acked { .. })));
    }

    #[test]
    fn nothing_is_known_without_a_trace_or_for_an_unknown_record() {
        let scenario = Scenario::from_json(REPLICATED).unwrap();
        let mut sim = Simulation::new(&scenario).unwrap();
        sim.run();
        assert!(record_lifecycle(&sim, 0, 0).steps.is_empty());
        assert!(record_lifecycle(&sim, 0, 99).steps.is_empty());
        assert!(record_lifecycle(&sim, 7, 0).steps.is_empty());
    }
}
