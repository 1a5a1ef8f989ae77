//! The `Sender` loop (`Sender.runOnce` → `sendProducerData`) and the in-flight part of
//! `NetworkClient`: which leaders are ready, how many requests each connection holds.

use super::accumulator::{ProducerBatch, RecordAccumulator};
use crate::metadata::Cluster;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Clone, Debug, PartialEq)]
pub struct InFlightRequest {
    pub id: u64,
    pub sent_ms: u64,
    pub batches: Vec<ProducerBatch>,
}

/// One drained request, before it is written: (broker, batches).
pub type Drained = (u32, Vec<ProducerBatch>);

#[derive(Clone, Debug, PartialEq)]
pub struct Sender {
    max_in_flight: u32,
    max_request_size: u32,
    /// Per broker connection: requests written and not yet answered (`InFlightRequests`).
    pub in_flight: BTreeMap<u32, VecDeque<InFlightRequest>>,
    next_request_id: u64,
}

impl Sender {
    pub fn new(max_in_flight: u32, max_request_size: u32) -> Self {
        Sender {
            max_in_flight,
            max_request_size,
            in_flight: BTreeMap::new(),
            next_request_id: 0,
        }
    }

    /// `InFlightRequests.canSendMore`: connections are always up in this model.
    fn can_send_more(&self, broker: u32) -> bool {
        self.in_flight
            .get(&broker)
            .is_none_or(|q| (q.len() as u32) < self.max_in_flight)
    }

    /// `sendProducerData`: ready → drop nodes at their in-flight limit → drain.
    /// Returns the drained requests and when a lingering batch may become ready.
    pub fn send_producer_data(
        &mut self,
        accumulator: &mut RecordAccumulator,
        cluster: &Cluster,
        now: u64,
    ) -> (Vec<Drained>, Option<u64>) {
        let ready = accumulator.ready(cluster, now);
        let mut nodes = BTreeSet::new();
        for node in ready.ready_nodes {
            let can_drain = self.can_send_more(node);
            accumulator.update_node_latency_stats(node, now, can_drain);
            if can_drain {
                nodes.insert(node);
            }
        }
        let drained = accumulator.drain(cluster, &nodes, self.max_request_size);
        let next = ready.next_ready_check_delay_ms.map(|d| now + d);
        (drained.into_iter().collect(), next)
    }

    pub fn next_request_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        id
    }

    pub fn add_in_flight(&mut self, broker: u32, request: InFlightRequest) {
        self.in_flight.entry(broker).or_default().push_back(request);
    }

    /// Removes the answered request from its connection.
    pub fn complete(&mut self, broker: u32, id: u64) -> Option<InFlightRequest> {
        let q = self.in_flight.get_mut(&broker)?;
        let at = q.iter().position(|r| r.id == id)?;
        q.remove(at)
    }
}
