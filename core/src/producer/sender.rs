//! The `Sender` loop (`Sender.runOnce` → `sendProducerData`) and the in-flight part of
//! `NetworkClient`: which leaders are ready, how many requests each connection holds,
//! and which requests have waited past `request.timeout.ms`.

use super::accumulator::{BatchId, ExpiryCache, ProducerBatch, RecordAccumulator};
use super::transaction_manager::TransactionManager;
use crate::metadata::{Cluster, TopicPartition};
use crate::rng::Rng;
use crate::vec_map::VecMap;
use std::collections::VecDeque;

/// `reconnect.backoff.ms` (default 50): after a connection closes the client waits this
/// long before connecting again. Connecting itself is instant in this model, so a request
/// to a dead broker is written and fails on the closed connection (spending an attempt,
/// where Kafka's refused connect would not).
pub const RECONNECT_BACKOFF_MS: u64 = 50;

#[derive(Clone, Debug, PartialEq)]
pub struct InFlightRequest {
    pub id: u64,
    pub sent_ms: u64,
    pub batches: Vec<ProducerBatch>,
}

/// The drained requests, before they are written: each broker's batches.
pub type Drained = VecMap<u32, Vec<ProducerBatch>>;

#[derive(Clone, Debug, PartialEq)]
pub struct Sender {
    max_in_flight: u32,
    max_request_size: u32,
    request_timeout_ms: u64,
    /// Per broker connection: requests written and not yet answered (`InFlightRequests`).
    pub in_flight: VecMap<u32, VecDeque<InFlightRequest>>,
    /// Per partition, batches sent and not completed, in drain order
    /// (`Sender.inFlightBatches`): where in-flight delivery timeouts are found. One list
    /// ordered by partition (batch and creation time), not a list per partition: a
    /// partition's batches come and go a few at a time, and its list was allocated anew.
    in_flight_batches: Vec<(TopicPartition, BatchId, u64)>,
    /// The earliest creation time among the partitions' oldest in-flight batches (what
    /// `next_in_flight_expiry_ms` adds the delivery timeout to), kept until the list
    /// changes: every sender pass and every wake-up question asks for it.
    oldest_in_flight: ExpiryCache,
    /// `next_request_timeout_ms`, kept until a connection's oldest request changes: every
    /// sender pass and every wake-up question asks for it.
    request_timeout: ExpiryCache,
    /// Closed connections, usable again from this time.
    reconnect_at: VecMap<u32, u64>,
    next_request_id: u64,
}

impl Sender {
    pub fn new(max_in_flight: u32, max_request_size: u32, request_timeout_ms: u64) -> Self {
        Sender {
            max_in_flight,
            max_request_size,
            request_timeout_ms,
            in_flight: VecMap::new(),
            in_flight_batches: Vec::new(),
            oldest_in_flight: ExpiryCache::default(),
            request_timeout: ExpiryCache::default(),
            reconnect_at: VecMap::new(),
            next_request_id: 0,
        }
    }

    /// `KafkaProducer.newSender`: with one request in flight per connection the sender
    /// mutes each partition it drains until the answer comes.
    pub fn guarantees_message_order(&self) -> bool {
        self.max_in_flight == 1
    }

    /// `NetworkClient.ready`: connected (not waiting out a reconnect backoff) and
    /// `InFlightRequests.canSendMore`.
    fn ready(&self, broker: u32, now: u64) -> bool {
        self.reconnect_at.get(&broker).is_none_or(|&t| now >= t)
            && self
                .in_flight
                .get(&broker)
                .is_none_or(|q| (q.len() as u32) < self.max_in_flight)
    }

    /// `sendProducerData`: ready → drop nodes that cannot take a request → drain.
    /// Returns the drained requests and when a lingering or backing-off batch, or a
    /// reconnecting node, may next become sendable.
    pub fn send_producer_data(
        &mut self,
        accumulator: &mut RecordAccumulator,
        tm: Option<&mut TransactionManager>,
        all_sendable: bool,
        cluster: &Cluster,
        now: u64,
        rng: &mut Rng,
    ) -> (Drained, Option<u64>) {
        let ready = accumulator.ready(cluster, now, all_sendable, rng);
        let mut next = ready.next_ready_check_delay_ms.map(|d| now + d);
        // The ready nodes that can take a request: filtered in place, not copied into a
        // set allocated at every pass.
        let mut nodes = ready.ready_nodes;
        nodes.retain(|&node| {
            let can_drain = self.ready(node, now);
            accumulator.update_node_latency_stats(node, now, can_drain);
            if !can_drain {
                if let Some(&t) = self.reconnect_at.get(&node).filter(|&&t| t > now) {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
            }
            can_drain
        });
        let drained = accumulator.drain(cluster, &nodes, self.max_request_size, now, rng, tm);
        if !nodes.is_empty() && drained.is_empty() {
            // A ready node gives Kafka a poll timeout of 0: it spins until the drain agrees
            // (a fresh backoff draw, a retry waiting for its turn). Here: the next ms.
            next = Some(now + 1);
        }
        nodes.clear();
        accumulator.spare_nodes = nodes;
        if !drained.is_empty() {
            self.oldest_in_flight.forget();
        }
        for batches in drained.values() {
            for b in batches {
                let at = self.in_flight_batches.partition_point(|e| e.0 <= b.tp);
                self.in_flight_batches
                    .insert(at, (b.tp, b.id, b.created_ms));
                if self.guarantees_message_order() {
                    accumulator.mute(b.tp);
                }
            }
        }
        (drained, next)
    }

    pub fn next_request_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        id
    }

    /// A new instance numbers its requests on from an old one's.
    pub fn continue_request_ids(&mut self, old: &Sender) {
        self.next_request_id = old.next_request_id;
    }

    pub fn add_in_flight(&mut self, broker: u32, request: InFlightRequest) {
        // Sent now, after every request out: a known earliest timeout stays known.
        let timeout = request.sent_ms + self.request_timeout_ms + 1;
        self.request_timeout.include(timeout);
        self.in_flight.entry(broker).or_default().push_back(request);
    }

    /// Removes the answered request from its connection.
    pub fn complete(&mut self, broker: u32, id: u64) -> Option<InFlightRequest> {
        let q = self.in_flight.get_mut(&broker)?;
        let at = q.iter().position(|r| r.id == id)?;
        self.request_timeout.forget();
        q.remove(at)
    }

    /// The batch no longer counts as in flight (completed, failed or re-enqueued).
    pub fn remove_in_flight_batch(&mut self, tp: TopicPartition, batch: BatchId) {
        let found = self
            .in_flight_batches
            .iter()
            .position(|e| e.0 == tp && e.1 == batch);
        if let Some(at) = found {
            self.in_flight_batches.remove(at);
            self.oldest_in_flight.forget();
        }
    }

    /// `getExpiredInflightBatches`: per partition, from the oldest sent, the batches whose
    /// delivery timeout has run out, stopping at the first that has not. Their requests stay
    /// in flight; whatever answer comes later finds them done.
    pub fn expired_in_flight_batches(
        &mut self,
        delivery_timeout_ms: u64,
        now: u64,
    ) -> Vec<(TopicPartition, BatchId)> {
        let mut expired = Vec::new();
        // The partition walked, and whether its batches so far have all expired.
        let mut walked: Option<(TopicPartition, bool)> = None;
        self.in_flight_batches.retain(|&(tp, id, created)| {
            let expiring = walked.is_none_or(|(t, all)| t != tp || all)
                && now.saturating_sub(created) >= delivery_timeout_ms;
            walked = Some((tp, expiring));
            if expiring {
                expired.push((tp, id));
            }
            !expiring
        });
        if !expired.is_empty() {
            self.oldest_in_flight.forget();
        }
        expired
    }

    /// The earliest moment an in-flight batch's delivery timeout runs out.
    pub fn next_in_flight_expiry_ms(&self, delivery_timeout_ms: u64) -> Option<u64> {
        // Each partition's oldest sent: the first of its run.
        let scan = || {
            let mut walked = None;
            self.in_flight_batches
                .iter()
                .filter(|&&(tp, ..)| walked.replace(tp) != Some(tp))
                .map(|&(_, _, created)| created)
                .min()
        };
        self.oldest_in_flight
            .get_or(scan)
            .map(|created| created + delivery_timeout_ms)
    }

    /// Every batch in a request in flight.
    pub fn batch_ids(&self) -> impl Iterator<Item = BatchId> + '_ {
        self.in_flight
            .values()
            .flat_map(|q| q.iter())
            .flat_map(|r| r.batches.iter().map(|b| b.id))
    }

    /// The batches of `tp` in requests still out that have not completed (expired ones
    /// are done: no longer tracked by their sequence).
    pub fn pending_batches_mut(
        &mut self,
        tp: TopicPartition,
    ) -> impl Iterator<Item = &mut ProducerBatch> + '_ {
        self.in_flight
            .values_mut()
            .flat_map(|q| q.iter_mut())
            .flat_map(|r| r.batches.iter_mut())
            .filter(move |b| b.tp == tp && !b.done)
    }

    pub fn batch_mut(&mut self, tp: TopicPartition, batch: BatchId) -> Option<&mut ProducerBatch> {
        self.in_flight
            .values_mut()
            .flat_map(|q| q.iter_mut())
            .flat_map(|r| r.batches.iter_mut())
            .find(|b| b.tp == tp && b.id == batch)
    }

    /// `handleTimedOutRequests`: the brokers with a request outstanding for more than
    /// `request.timeout.ms`. A connection's requests are in the order sent: its oldest is
    /// the first.
    pub fn nodes_with_timed_out_requests(&self, now: u64) -> Vec<u32> {
        self.in_flight
            .iter()
            .filter(|(_, q)| {
                q.front()
                    .is_some_and(|r| now.saturating_sub(r.sent_ms) > self.request_timeout_ms)
            })
            .map(|(&b, _)| b)
            .collect()
    }

    /// When the next request passes its timeout: Kafka's poll never sleeps past
    /// `request.timeout.ms`, so the check runs at the first wake-up after it. Each
    /// connection's oldest request is its first.
    pub fn next_request_timeout_ms(&self) -> Option<u64> {
        let scan = || {
            self.in_flight
                .values()
                .filter_map(VecDeque::front)
                .map(|r| r.sent_ms + self.request_timeout_ms + 1)
                .min()
        };
        self.request_timeout.get_or(scan)
    }

    /// Not waiting out a reconnect backoff.
    pub fn connectable(&self, broker: u32, now: u64) -> bool {
        self.reconnect_at.get(&broker).is_none_or(|&t| now >= t)
    }

    /// The first moment some broker is connectable.
    pub fn next_connectable_ms(&self, brokers: u32, now: u64) -> u64 {
        (0..brokers)
            .map(|b| self.reconnect_at.get(&b).map_or(now, |&t| t.max(now)))
            .min()
            .unwrap_or(now)
    }

    /// When a connection closed by a request timeout may be used again.
    pub fn reconnecting_until(&self, broker: u32) -> Option<u64> {
        self.reconnect_at.get(&broker).copied()
    }

    /// Closes the connection: every request in flight on it is returned to be failed.
    pub fn disconnect(&mut self, broker: u32, now: u64) -> Vec<InFlightRequest> {
        self.request_timeout.forget();
        self.reconnect_at.insert(broker, now + RECONNECT_BACKOFF_MS);
        self.in_flight
            .remove(&broker)
            .map(Vec::from)
            .unwrap_or_default()
    }
}
