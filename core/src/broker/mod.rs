//! A broker: the partition replicas it hosts and its produce path
//! (`KafkaApis.handleProduceRequest` → `ReplicaManager.appendRecords`).

pub mod log;
pub mod partition;
pub mod producer_state;

use crate::config::Acks;
use crate::errors::Errors;
use crate::metadata::{Cluster, TopicPartition};
use crate::net::{PartitionResponse, ProduceRequest, ProduceResponse};
use crate::trace::TraceEvent;
use partition::{LeaderAppend, Partition};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Broker {
    pub id: u32,
    pub partitions: BTreeMap<TopicPartition, Partition>,
}

impl Broker {
    /// A broker hosting the leader replicas the cluster metadata assigns to it.
    pub fn new(id: u32, cluster: &Cluster) -> Self {
        let partitions = cluster
            .partitions_for_node(id)
            .into_iter()
            .map(|tp| {
                let topic = cluster.topic(tp);
                let epoch = topic.partitions[tp.partition as usize].leader_epoch;
                (
                    tp,
                    Partition::new(tp, epoch, topic.config.max_message_bytes),
                )
            })
            .collect();
        Broker { id, partitions }
    }

    /// Appends every batch to its partition's log. Returns the response to send back,
    /// or `None` for `acks=0`, which gets no response at all.
    pub fn handle_produce(
        &mut self,
        now: u64,
        producer: u16,
        request: &ProduceRequest,
        events: &mut Vec<TraceEvent>,
    ) -> Option<ProduceResponse> {
        let mut partitions = Vec::with_capacity(request.batches.len());
        for batch in &request.batches {
            let partition = self
                .partitions
                .get_mut(&batch.tp)
                .expect("the producer only sends to the leader named by metadata");
            let (base_offset, error) =
                match partition.append_records_to_leader(producer, batch, now) {
                    LeaderAppend::Appended { base_offset } => {
                        events.push(TraceEvent::Appended {
                            broker: self.id,
                            producer,
                            batch: batch.batch,
                            tp: batch.tp,
                            base_offset,
                            records: batch.records.len() as u32,
                        });
                        (base_offset as i64, Errors::None)
                    }
                    LeaderAppend::Duplicate { base_offset } => {
                        events.push(TraceEvent::DuplicateBatch {
                            broker: self.id,
                            producer,
                            batch: batch.batch,
                            tp: batch.tp,
                            base_offset,
                        });
                        (base_offset as i64, Errors::None)
                    }
                    LeaderAppend::Rejected { error, reason } => {
                        events.push(TraceEvent::BatchRejected {
                            broker: self.id,
                            producer,
                            batch: batch.batch,
                            tp: batch.tp,
                            error: error.name(),
                            reason,
                        });
                        // The broker's reason stays in its log: the response carries the
                        // bare code (`LogAppendResult` has no custom message for these).
                        (-1, error)
                    }
                };
            partitions.push(PartitionResponse {
                tp: batch.tp,
                batch: batch.batch,
                base_offset,
                error,
            });
        }
        // With one replica the ISR is the leader alone, so acks=all is answered at once.
        (request.acks != Acks::None).then_some(ProduceResponse {
            id: request.id,
            partitions,
        })
    }
}
