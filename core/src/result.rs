//! The result JSON of `kafka-lab run` (`shared/SCENARIO.md`, "Result JSON").

use crate::ledger::{self, Ledger};
use crate::net::TransactionResult;
use crate::producer::metrics::ProducerMetricsReport;
use crate::producer::Outcome;
use crate::sim::Simulation;
use crate::vec_map::VecMap;
use serde::Serialize;
use std::borrow::Cow;

#[derive(Debug, Serialize)]
pub struct RunResult {
    /// Set if the run stopped early, caught in a loop at this instant (a bug to report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stalled_at_ms: Option<u64>,
    pub ended_at_ms: u64,
    pub trace_hash: String,
    pub kafka_version: String,
    pub events: u64,
    pub partitions: Vec<PartitionResult>,
    pub sends: Vec<SendResult>,
    pub action_results: Vec<ActionResult>,
    pub consumers: Vec<ConsumerResult>,
    /// Offsets committed through `sendOffsetsToTransaction` (only when some were).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_offsets: Vec<GroupOffsetResult>,
    pub metrics: Metrics,
    /// What became of every record sent: lost, duplicated, reordered, with totals.
    pub ledger: Ledger,
}

#[derive(Debug, Serialize)]
pub struct GroupOffsetResult {
    pub group_id: String,
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
}

#[derive(Debug, Serialize)]
pub struct PartitionResult {
    pub topic: String,
    pub partition: u32,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub isr: Vec<u32>,
    pub high_watermark: u64,
    pub last_stable_offset: u64,
    pub replicas: Vec<ReplicaResult>,
    pub log: Vec<LogEntry>,
}

#[derive(Debug, Serialize)]
pub struct ReplicaResult {
    pub broker: u32,
    pub log_end_offset: u64,
    pub online: bool,
}

#[derive(Debug, Serialize)]
pub struct LogEntry {
    pub offset: u64,
    pub key: Option<String>,
    pub value: Option<String>,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub sequence: i32,
    pub transactional: bool,
    pub control: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SendResult {
    pub producer: String,
    pub index: u32,
    pub topic: String,
    pub key: Option<String>,
    pub partition: i64,
    pub outcome: &'static str,
    pub offset: i64,
    pub error: Option<String>,
    pub attempts: u32,
    /// Copies of the record in the committed log (0 when lost or never written).
    pub copies: u32,
    /// A copy of it comes after a record its producer sent later to that partition.
    pub reordered: bool,
}

#[derive(Debug, Serialize)]
pub struct ActionResult {
    pub index: u32,
    pub action: String,
    pub producer: Option<String>,
    pub error: Option<String>,
    /// A blocking transactional call (init, commit, abort) still waiting at the end.
    pub pending: bool,
}

#[derive(Debug, Serialize)]
pub struct ConsumerResult {
    pub name: String,
    /// Every record `poll()` returned, in the order it returned them.
    pub records: Vec<ConsumedResult>,
}

#[derive(Debug, Serialize)]
pub struct ConsumedResult {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Metrics {
    pub producers: VecMap<String, ProducerMetricsReport>,
    /// Per broker id, Kafka's JMX names (`ReplicaManager`): gauges at the end, rates as
    /// counts.
    pub brokers: VecMap<String, BrokerMetrics>,
    /// The controller's (`KafkaController` / `ControllerStats` JMX names).
    pub controller: ControllerMetrics,
}

#[derive(Debug, Serialize)]
pub struct ControllerMetrics {
    #[serde(rename = "OfflinePartitionsCount")]
    pub offline_partitions_count: u64,
    #[serde(rename = "FencedBrokerCount")]
    pub fenced_broker_count: u64,
    #[serde(rename = "ActiveBrokerCount")]
    pub active_broker_count: u64,
    /// Leader elections, as a count (`LeaderElectionRateAndTimeMs`).
    #[serde(rename = "LeaderElectionRateAndTimeMs")]
    pub leader_elections: u64,
    #[serde(rename = "UncleanLeaderElectionsPerSec")]
    pub unclean_leader_elections: u64,
}

#[derive(Debug, Serialize)]
pub struct BrokerMetrics {
    #[serde(rename = "LeaderCount")]
    pub leader_count: u64,
    #[serde(rename = "PartitionCount")]
    pub partition_count: u64,
    /// Partitions this broker leads whose ISR is smaller than their replica set.
    #[serde(rename = "UnderReplicatedPartitions")]
    pub under_replicated_partitions: u64,
    /// Led partitions whose ISR is under `min.insync.replicas`.
    #[serde(rename = "UnderMinIsrPartitionCount")]
    pub under_min_isr_partition_count: u64,
    #[serde(rename = "IsrShrinksPerSec")]
    pub isr_shrinks: u64,
    #[serde(rename = "IsrExpandsPerSec")]
    pub isr_expands: u64,
    #[serde(rename = "TotalProduceRequestsPerSec")]
    pub total_produce_requests: u64,
    #[serde(rename = "FailedProduceRequestsPerSec")]
    pub failed_produce_requests: u64,
}

impl RunResult {
    pub fn of(sim: &Simulation) -> RunResult {
        let cluster = sim.cluster();
        let mut partitions = Vec::new();
        for (t, topic) in cluster.topics.iter().enumerate() {
            for (p, meta) in topic.partitions.iter().enumerate() {
                let tp = crate::metadata::TopicPartition {
                    topic: t as u32,
                    partition: p as u32,
                };
                let leader = meta.leader;
                let registration = &sim.controller().partitions[&tp];
                let hosted = |b: u32| sim.brokers()[b as usize].partitions.get(&tp);
                // The leader's log; with no leader, the replica with the highest log end.
                let replica = match leader {
                    Some(b) => hosted(b),
                    None => meta
                        .replicas
                        .iter()
                        .filter_map(|&b| hosted(b))
                        .max_by_key(|r| r.log.log_end_offset()),
                };
                let isr = registration.isr.clone();
                let (hw, lso, log) = match replica {
                    Some(r) => (
                        r.high_watermark(),
                        r.last_stable_offset(),
                        r.log
                            .records()
                            .iter()
                            .map(|rec| LogEntry {
                                offset: rec.offset,
                                key: rec.data.key_text().map(Cow::into_owned),
                                value: rec.data.value_text().map(Cow::into_owned),
                                producer_id: rec.producer_id,
                                producer_epoch: rec.producer_epoch,
                                sequence: rec.sequence,
                                transactional: rec.transactional,
                                control: rec.control.map(|c| match c {
                                    TransactionResult::Commit => "commit".to_string(),
                                    TransactionResult::Abort => "abort".to_string(),
                                }),
                            })
                            .collect(),
                    ),
                    None => (0, 0, Vec::new()),
                };
                partitions.push(PartitionResult {
                    topic: topic.name.clone(),
                    partition: p as u32,
                    leader,
                    leader_epoch: meta.leader_epoch,
                    isr,
                    high_watermark: hw,
                    last_stable_offset: lso,
                    replicas: meta
                        .replicas
                        .iter()
                        .map(|&b| ReplicaResult {
                            broker: b,
                            log_end_offset: sim.brokers()[b as usize]
                                .partitions
                                .get(&tp)
                                .map_or(0, |r| r.log.log_end_offset()),
                            online: sim.broker_down(b) == (false, false),
                        })
                        .collect(),
                    log,
                });
            }
        }
        let mut sends = Vec::new();
        let mut producers = VecMap::new();
        let fates = ledger::fates(sim);
        for producer in sim.producers() {
            let start = producer.sends.start();
            for (i, s) in (start..).zip(producer.sends.iter()) {
                let fate = fates[producer.id as usize][i - start];
                sends.push(SendResult {
                    producer: producer.name.clone(),
                    index: i as u32,
                    topic: cluster.topics[s.topic as usize].name.clone(),
                    key: s.data.key_text().map(Cow::into_owned),
                    // RecordMetadata.UNKNOWN_PARTITION when send() failed first.
                    partition: s.partition.map_or(-1, |p| p as i64),
                    outcome: match s.outcome {
                        Outcome::Pending => "pending",
                        Outcome::Acked => "acked",
                        Outcome::Failed => "failed",
                    },
                    offset: s.offset,
                    error: s.error.as_ref().map(|e| e.exception_name().to_string()),
                    attempts: s.attempts,
                    copies: fate.copies,
                    reordered: fate.reordered,
                });
            }
            producers.insert(producer.name.clone(), producer.metrics_report());
        }
        RunResult {
            stalled_at_ms: sim.stalled_at(),
            ended_at_ms: sim.now(),
            trace_hash: sim.trace_hash(),
            kafka_version: sim.version().to_string(),
            events: sim.events_traced(),
            partitions,
            sends,
            // `send` actions report per record in `sends`; flush, close and faults raise
            // nothing; transactional calls report what they threw, once they returned.
            action_results: sim
                .scenario()
                .actions
                .iter()
                .enumerate()
                .filter(|(_, a)| !matches!(a, crate::scenario::Action::Send(_)))
                .map(|(i, a)| {
                    let call = sim.call_result(i as u32);
                    ActionResult {
                        index: i as u32,
                        action: a.name().to_string(),
                        producer: a.producer().map(str::to_string),
                        error: call
                            .and_then(|c| c.as_ref())
                            .and_then(|e| e.as_ref())
                            .map(|e| e.exception_name().to_string()),
                        pending: call.is_some_and(Option::is_none),
                    }
                })
                .collect(),
            group_offsets: sim
                .groups()
                .committed
                .iter()
                .map(|((group, tp), &offset)| GroupOffsetResult {
                    group_id: group.to_string(),
                    topic: cluster.topics[tp.topic as usize].name.clone(),
                    partition: tp.partition,
                    offset,
                })
                .collect(),
            consumers: sim
                .consumers()
                .iter()
                .map(|c| ConsumerResult {
                    name: c.name.clone(),
                    records: c
                        .records
                        .iter()
                        .map(|r| ConsumedResult {
                            topic: cluster.topics[r.tp.topic as usize].name.clone(),
                            partition: r.tp.partition,
                            offset: r.offset,
                            key: r.data.key_text().map(Cow::into_owned),
                            value: r.data.value_text().map(Cow::into_owned),
                        })
                        .collect(),
                })
                .collect(),
            metrics: Metrics {
                producers,
                brokers: sim
                    .brokers()
                    .iter()
                    .map(|b| {
                        let led = || b.partitions.values().filter(|p| p.is_leader());
                        let metrics = BrokerMetrics {
                            leader_count: led().count() as u64,
                            partition_count: b.partitions.len() as u64,
                            under_replicated_partitions: led()
                                .filter(|p| p.isr.len() < p.replicas.len())
                                .count()
                                as u64,
                            under_min_isr_partition_count: led()
                                .filter(|p| (p.isr.len() as u32) < p.min_insync_replicas)
                                .count()
                                as u64,
                            isr_shrinks: b.isr_shrinks,
                            isr_expands: b.isr_expands,
                            total_produce_requests: b.total_produce_requests,
                            failed_produce_requests: b.failed_produce_requests,
                        };
                        (b.id.to_string(), metrics)
                    })
                    .collect(),
                controller: {
                    let c = sim.controller();
                    let fenced = c.fenced_brokers().len() as u64;
                    ControllerMetrics {
                        offline_partitions_count: c.offline_partitions() as u64,
                        fenced_broker_count: fenced,
                        active_broker_count: cluster.brokers as u64 - fenced,
                        leader_elections: c.leader_elections,
                        unclean_leader_elections: c.unclean_leader_elections,
                    }
                },
            },
            ledger: Ledger::of(sim),
        }
    }
}
