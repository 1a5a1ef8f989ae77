//! `KafkaConsumer`, reduced to reading logs: every partition of its topics is assigned
//! (`assign()`, no group), each read from offset 0 (consumers start with the run, when
//! every log is empty), with one fetch in flight per leader (`Fetcher`), held there up to
//! `fetch.max.wait.ms`, and records up to the high watermark (`read_uncommitted`) or the
//! last stable offset (`read_committed`, which also drops aborted transactions) — never
//! the transaction markers (`exactly-once.md` §8).

use crate::chunked::Chunked;
use crate::config::{ConsumerConfig, IsolationLevel};
use crate::effects::Effects;
use crate::errors::Errors;
use crate::metadata::{Cluster, TopicPartition};
use crate::net::{
    ConsumerFetch, FetchPartition, FetchRequest, FetchResponse, FetchedPartition, Node, Payload,
    TransactionResult,
};
use crate::record::RecordRef;
use crate::rng::Rng;
use crate::trace::TraceEvent;
use crate::vec_map::{VecMap, VecSet};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;

/// How long a consumer waits on a fetch before giving up on the connection
/// (`request.timeout.ms`, 30000 for consumers).
pub const CONSUMER_REQUEST_TIMEOUT_MS: u64 = 30_000;

/// A record as `poll()` hands it to the application.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumedRecord {
    pub tp: TopicPartition,
    pub offset: u64,
    pub data: RecordRef,
    /// When the consumer received it.
    pub at_ms: u64,
    /// Which `send()` it came from: (producer, send index).
    pub origin: (u16, u32),
}

#[derive(Clone, Debug, PartialEq)]
enum Incoming {
    Fetch(u32, FetchResponse),
    Metadata(Rc<Cluster>),
    Closed(u32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct KafkaConsumer {
    pub id: u16,
    pub name: String,
    pub config: ConsumerConfig,
    pub metadata: Rc<Cluster>,
    /// The next offset to read, per assigned partition.
    pub positions: VecMap<TopicPartition, u64>,
    /// Per broker: the fetch in flight (id, sent at).
    in_flight: VecMap<u32, (u64, u64)>,
    /// Per broker: no fetch before this time (after an error).
    backoff_until: VecMap<u32, u64>,
    pub records: Chunked<ConsumedRecord>,
    metadata_requested: bool,
    metadata_in_flight: Option<(u32, u64)>,
    inbox: Vec<Incoming>,
    wake_requested: bool,
    next_fetch_id: u64,
}

impl KafkaConsumer {
    pub fn new(
        id: u16,
        name: String,
        config: ConsumerConfig,
        topics: &[u32],
        metadata: Rc<Cluster>,
    ) -> Self {
        let mut positions = VecMap::new();
        for &topic in topics {
            for partition in 0..metadata.num_partitions(topic) {
                positions.insert(TopicPartition { topic, partition }, 0);
            }
        }
        KafkaConsumer {
            id,
            name,
            config,
            metadata,
            positions,
            in_flight: VecMap::new(),
            backoff_until: VecMap::new(),
            records: Chunked::new(),
            metadata_requested: false,
            metadata_in_flight: None,
            inbox: Vec::new(),
            wake_requested: true,
            next_fetch_id: 0,
        }
    }

    pub fn receive_fetch(&mut self, broker: u32, response: FetchResponse) {
        self.inbox.push(Incoming::Fetch(broker, response));
        self.wake_requested = true;
    }

    pub fn receive_metadata(&mut self, metadata: Rc<Cluster>) {
        self.inbox.push(Incoming::Metadata(metadata));
        self.wake_requested = true;
    }

    pub fn connection_closed(&mut self, broker: u32) {
        self.inbox.push(Incoming::Closed(broker));
        self.wake_requested = true;
    }

    /// When the consumer next has something to do on its own.
    pub fn poll_timeout(&self, now: u64) -> Option<u64> {
        if self.wake_requested {
            return Some(now);
        }
        let timeouts = self
            .in_flight
            .values()
            .map(|&(_, sent)| sent + CONSUMER_REQUEST_TIMEOUT_MS + 1)
            .chain(
                self.metadata_in_flight
                    .map(|(_, sent)| sent + CONSUMER_REQUEST_TIMEOUT_MS + 1),
            );
        let backoffs = self.backoff_until.values().copied();
        // A metadata request waits for some broker to be out of its backoff.
        let pending_metadata =
            (self.metadata_requested && self.metadata_in_flight.is_none()).then(|| {
                let free = (0..self.metadata.brokers).any(|b| !self.backoff_until.contains_key(&b));
                if free {
                    now
                } else {
                    self.backoff_until.values().copied().min().unwrap_or(now)
                }
            });
        timeouts
            .chain(backoffs)
            .chain(pending_metadata)
            .min()
            .map(|t| t.max(now))
    }

    /// One `poll()`: take what arrived, drop connections that timed out, ask for
    /// metadata if a leader failed it, and fetch from every leader with no fetch out.
    pub fn run_once(&mut self, now: u64, rng: &mut Rng, out: &mut Effects) {
        self.wake_requested = false;
        // Drained, not dropped: the inbox keeps its allocation for the next response.
        let mut inbox = std::mem::take(&mut self.inbox);
        for incoming in inbox.drain(..) {
            match incoming {
                Incoming::Fetch(broker, response) => self.handle_fetch(now, broker, response, out),
                Incoming::Metadata(metadata) => {
                    self.metadata = metadata;
                    self.metadata_in_flight = None;
                }
                Incoming::Closed(broker) => self.disconnect(broker, now),
            }
        }
        self.inbox = inbox;
        let timed_out: Vec<u32> = self
            .in_flight
            .iter()
            .filter(|(_, &(_, sent))| now > sent + CONSUMER_REQUEST_TIMEOUT_MS)
            .map(|(&b, _)| b)
            .collect();
        for broker in timed_out {
            self.disconnect(broker, now);
        }
        if self
            .metadata_in_flight
            .is_some_and(|(_, sent)| now > sent + CONSUMER_REQUEST_TIMEOUT_MS)
        {
            self.metadata_in_flight = None;
            self.metadata_requested = true;
        }
        self.backoff_until.retain(|_, &mut t| t > now);
        self.maybe_update_metadata(now, rng, out);
        self.send_fetches(now, out);
    }

    fn disconnect(&mut self, broker: u32, now: u64) {
        self.in_flight.remove(&broker);
        if self.metadata_in_flight.is_some_and(|(b, _)| b == broker) {
            self.metadata_in_flight = None;
        }
        self.metadata_requested = true;
        self.backoff_until
            .insert(broker, now + self.config.retry_backoff_ms);
    }

    fn maybe_update_metadata(&mut self, now: u64, rng: &mut Rng, out: &mut Effects) {
        if !self.metadata_requested || self.metadata_in_flight.is_some() {
            return;
        }
        let n = self.metadata.brokers;
        let start = rng.below(n);
        let node = (0..n)
            .map(|i| (start + i) % n)
            .find(|b| !self.backoff_until.contains_key(b));
        if let Some(broker) = node {
            self.metadata_requested = false;
            self.metadata_in_flight = Some((broker, now));
            out.messages.push((
                Node::Consumer(self.id),
                Node::Broker(broker),
                Payload::MetadataRequest,
            ));
        }
    }

    /// `Fetcher.sendFetches`: one request per leader, for every assigned partition it
    /// leads, from the current positions.
    fn send_fetches(&mut self, now: u64, out: &mut Effects) {
        // Every broker has a fetch out (most polls): no leader to gather partitions for.
        if self.in_flight.len() >= self.metadata.brokers as usize {
            return;
        }
        // A leader with a fetch out (or backing off) gets none: nothing to gather. By
        // leader, in broker order (mostly one is idle: the one that just answered), each
        // leader's partitions gathered in one walk rather than into a map of lists.
        for broker in 0..self.metadata.brokers {
            if self.in_flight.contains_key(&broker) || self.backoff_until.contains_key(&broker) {
                continue;
            }
            let partitions: Vec<FetchPartition> = self
                .positions
                .iter()
                .filter_map(|(&tp, &offset)| {
                    let meta =
                        &self.metadata.topics[tp.topic as usize].partitions[tp.partition as usize];
                    (meta.leader == Some(broker)).then_some(FetchPartition {
                        tp,
                        fetch_offset: offset,
                        last_fetched_epoch: None,
                        current_leader_epoch: meta.leader_epoch,
                    })
                })
                .collect();
            if partitions.is_empty() {
                continue;
            }
            let id = self.next_fetch_id;
            self.next_fetch_id += 1;
            self.in_flight.insert(broker, (id, now));
            let c = &self.config;
            out.messages.push((
                Node::Consumer(self.id),
                Node::Broker(broker),
                Payload::Fetch(FetchRequest {
                    id,
                    partitions,
                    consumer: Some(ConsumerFetch {
                        isolation_level: c.isolation_level,
                        max_wait_ms: c.fetch_max_wait_ms,
                        min_bytes: c.fetch_min_bytes,
                        max_partition_bytes: c.max_partition_fetch_bytes,
                    }),
                }),
            ));
        }
    }

    /// `CompletedFetch`: records from the position on go to the application (but no
    /// control record, and under `read_committed` no aborted one); a leader that moved
    /// sends the consumer to the metadata; a position outside the log — past its end
    /// after an unclean election, or below its start after retention deleted it — is
    /// reset by `auto.offset.reset`.
    // Kept out of `Simulation::step_at`: inlined there, it slowed runs with no consumer.
    #[inline(never)]
    fn handle_fetch(&mut self, now: u64, broker: u32, response: FetchResponse, out: &mut Effects) {
        if self.in_flight.get(&broker).map(|&(id, _)| id) != Some(response.id) {
            return;
        }
        self.in_flight.remove(&broker);
        let mut failed = false;
        // The response names the request's partitions in its order, the positions' own:
        // one walk over the positions finds them all, where each was searched for.
        debug_assert!(
            response.partitions.is_sorted_by_key(|p| p.tp)
                && (response.partitions.iter()).all(|p| self.positions.contains_key(&p.tp))
        );
        let mut positions = self.positions.iter_mut();
        for p in response.partitions {
            let Some((_, position)) = positions.find(|(&tp, _)| tp == p.tp) else {
                continue;
            };
            match p.error {
                Errors::None => {}
                Errors::OffsetOutOfRange => {
                    let to = if self.config.reset_to_earliest {
                        p.log_start_offset
                    } else {
                        p.high_watermark
                    };
                    out.events.push(TraceEvent::ConsumerOffsetReset {
                        consumer: self.id,
                        tp: p.tp,
                        from: *position,
                        to,
                    });
                    *position = to;
                    continue;
                }
                _ => {
                    self.metadata_requested = true;
                    failed = true;
                    continue;
                }
            }
            let mut got = 0u32;
            let from = *position;
            let read_committed = self.config.isolation_level == IsolationLevel::ReadCommitted;
            let returned = returned_records(&p, read_committed);
            for (r, returned) in p.records.iter().zip(returned) {
                if r.offset < from {
                    continue;
                }
                // Skipped records still move the position: the application sees gaps.
                *position = r.offset + 1;
                if !returned {
                    continue;
                }
                self.records.push(ConsumedRecord {
                    tp: p.tp,
                    offset: r.offset,
                    data: r.record(),
                    at_ms: now,
                    origin: r.origin(),
                });
                got += 1;
            }
            // Also a poll that returned nothing but moved past markers or aborted records.
            if *position != from {
                out.events.push(TraceEvent::Consumed {
                    consumer: self.id,
                    tp: p.tp,
                    records: got,
                    position: *position,
                });
            }
        }
        if failed {
            self.backoff_until
                .insert(broker, now + self.config.retry_backoff_ms);
        }
        self.wake_requested = true;
    }
}

/// Per record of a fetched partition, whether `poll()` returns it
/// (`CompletedFetch.nextFetchedRecord`): never a control record; under `read_committed`, not
/// a transactional batch of a producer whose aborted transaction has begun at or before the
/// batch (the response's aborted transactions, taken in first-offset order) until that
/// producer's ABORT marker. (Read as it goes: a list of the answers was an allocation per
/// partition of every response with records.)
fn returned_records(p: &FetchedPartition, read_committed: bool) -> impl Iterator<Item = bool> + '_ {
    let mut aborted: BinaryHeap<Reverse<(u64, i64)>> = p
        .aborted_transactions
        .iter()
        .map(|&(pid, first)| Reverse((first, pid)))
        .collect();
    let mut aborted_producers = VecSet::new();
    let mut batch = None;
    let mut skip_batch = false;
    p.records.iter().map(move |r| {
        if batch != Some(r.batch_offset()) {
            batch = Some(r.batch_offset());
            skip_batch = false;
            if read_committed && r.producer_id >= 0 {
                // consumeAbortedTransactionsUpTo(batch.lastOffset).
                let last = r.batch_offset() + r.batch_records as u64 - 1;
                while let Some(&Reverse((first, pid))) = aborted.peek() {
                    if first > last {
                        break;
                    }
                    aborted.pop();
                    aborted_producers.insert(pid);
                }
                if r.control == Some(TransactionResult::Abort) {
                    aborted_producers.remove(&r.producer_id);
                } else {
                    skip_batch = r.transactional && aborted_producers.contains(&r.producer_id);
                }
            }
        }
        r.control.is_none() && !skip_batch
    })
}
