//! The result JSON of `kafka-lab run` (`shared/SCENARIO.md`, "Result JSON").

use crate::json::Writer;
use crate::ledger::{self, Ledger};
use crate::net::TransactionResult;
use crate::producer::metrics::ProducerMetricsReport;
use crate::producer::Outcome;
use crate::sim::Simulation;
use crate::vec_map::VecMap;
use std::borrow::Cow;

#[derive(Debug)]
pub struct RunResult {
    /// Set if the run stopped early, caught in a loop at this instant (a bug to report).
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
    pub group_offsets: Vec<GroupOffsetResult>,
    pub metrics: Metrics,
    /// What became of every record sent: lost, duplicated, reordered, with totals.
    pub ledger: Ledger,
}

#[derive(Debug)]
pub struct GroupOffsetResult {
    pub group_id: String,
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
}

#[derive(Debug)]
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

#[derive(Debug)]
pub struct ReplicaResult {
    pub broker: u32,
    pub log_end_offset: u64,
    pub online: bool,
}

#[derive(Debug)]
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

#[derive(Debug)]
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

#[derive(Debug)]
pub struct ActionResult {
    pub index: u32,
    pub action: String,
    pub producer: Option<String>,
    pub error: Option<String>,
    /// A blocking transactional call (init, commit, abort) still waiting at the end.
    pub pending: bool,
}

#[derive(Debug)]
pub struct ConsumerResult {
    pub name: String,
    /// Every record `poll()` returned, in the order it returned them.
    pub records: Vec<ConsumedResult>,
}

#[derive(Debug)]
pub struct ConsumedResult {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug)]
pub struct Metrics {
    pub producers: VecMap<String, ProducerMetricsReport>,
    /// Per broker id, Kafka's JMX names (`ReplicaManager`): gauges at the end, rates as
    /// counts.
    pub brokers: VecMap<String, BrokerMetrics>,
    /// The controller's (`KafkaController` / `ControllerStats` JMX names).
    pub controller: ControllerMetrics,
}

#[derive(Debug)]
pub struct ControllerMetrics {
    pub offline_partitions_count: u64,
    pub fenced_broker_count: u64,
    pub active_broker_count: u64,
    /// Partitions not led by their first replica.
    pub preferred_replica_imbalance_count: u64,
    /// Leader elections, as a count (`LeaderElectionRateAndTimeMs`).
    pub leader_elections: u64,
    pub unclean_leader_elections: u64,
}

#[derive(Debug)]
pub struct BrokerMetrics {
    pub leader_count: u64,
    pub partition_count: u64,
    /// Partitions this broker leads whose ISR is smaller than their replica set.
    pub under_replicated_partitions: u64,
    /// Led partitions whose ISR is under `min.insync.replicas`.
    pub under_min_isr_partition_count: u64,
    pub isr_shrinks: u64,
    pub isr_expands: u64,
    pub total_produce_requests: u64,
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
                                key: rec.data().key_text().map(Cow::into_owned),
                                value: rec.data().value_text().map(Cow::into_owned),
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
                    partition: s.partition().map_or(-1, |p| p as i64),
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
                        preferred_replica_imbalance_count: c.imbalanced().count() as u64,
                        leader_elections: c.leader_elections,
                        unclean_leader_elections: c.unclean_leader_elections,
                    }
                },
            },
            ledger: Ledger::of(sim),
        }
    }
}

impl RunResult {
    /// The result JSON as the CLI prints it (serde_json's pretty layout, fields in the
    /// order of the structs above).
    pub fn to_json_pretty(&self) -> String {
        let mut w = Writer::new(true);
        w.begin_object();
        if let Some(t) = self.stalled_at_ms {
            w.u64_field("stalled_at_ms", t);
        }
        w.u64_field("ended_at_ms", self.ended_at_ms);
        w.string_field("trace_hash", &self.trace_hash);
        w.string_field("kafka_version", &self.kafka_version);
        w.u64_field("events", self.events);
        w.key("partitions");
        list(&mut w, &self.partitions, |w, p| {
            w.string_field("topic", &p.topic);
            w.u64_field("partition", p.partition.into());
            w.key("leader");
            match p.leader {
                Some(b) => w.u64(b.into()),
                None => w.null(),
            }
            w.u64_field("leader_epoch", p.leader_epoch.into());
            w.key("isr");
            w.begin_array();
            for &b in &p.isr {
                w.u64(b.into());
            }
            w.end_array();
            w.u64_field("high_watermark", p.high_watermark);
            w.u64_field("last_stable_offset", p.last_stable_offset);
            w.key("replicas");
            list(w, &p.replicas, |w, r| {
                w.u64_field("broker", r.broker.into());
                w.u64_field("log_end_offset", r.log_end_offset);
                w.bool_field("online", r.online);
            });
            w.key("log");
            list(w, &p.log, |w, e| {
                w.u64_field("offset", e.offset);
                w.key("key");
                w.opt_string(e.key.as_deref());
                w.key("value");
                w.opt_string(e.value.as_deref());
                w.i64_field("producer_id", e.producer_id);
                w.i64_field("producer_epoch", e.producer_epoch.into());
                w.i64_field("sequence", e.sequence.into());
                w.bool_field("transactional", e.transactional);
                w.key("control");
                w.opt_string(e.control.as_deref());
            });
        });
        w.key("sends");
        list(&mut w, &self.sends, |w, s| {
            w.string_field("producer", &s.producer);
            w.u64_field("index", s.index.into());
            w.string_field("topic", &s.topic);
            w.key("key");
            w.opt_string(s.key.as_deref());
            w.i64_field("partition", s.partition);
            w.string_field("outcome", s.outcome);
            w.i64_field("offset", s.offset);
            w.key("error");
            w.opt_string(s.error.as_deref());
            w.u64_field("attempts", s.attempts.into());
            w.u64_field("copies", s.copies.into());
            w.bool_field("reordered", s.reordered);
        });
        w.key("action_results");
        list(&mut w, &self.action_results, |w, a| {
            w.u64_field("index", a.index.into());
            w.string_field("action", &a.action);
            w.key("producer");
            w.opt_string(a.producer.as_deref());
            w.key("error");
            w.opt_string(a.error.as_deref());
            w.bool_field("pending", a.pending);
        });
        w.key("consumers");
        list(&mut w, &self.consumers, |w, c| {
            w.string_field("name", &c.name);
            w.key("records");
            list(w, &c.records, |w, r| {
                w.string_field("topic", &r.topic);
                w.u64_field("partition", r.partition.into());
                w.u64_field("offset", r.offset);
                w.key("key");
                w.opt_string(r.key.as_deref());
                w.key("value");
                w.opt_string(r.value.as_deref());
            });
        });
        if !self.group_offsets.is_empty() {
            w.key("group_offsets");
            list(&mut w, &self.group_offsets, |w, g| {
                w.string_field("group_id", &g.group_id);
                w.string_field("topic", &g.topic);
                w.u64_field("partition", g.partition.into());
                w.u64_field("offset", g.offset);
            });
        }
        w.key("metrics");
        w.begin_object();
        w.key("producers");
        w.begin_object();
        for (name, m) in &self.metrics.producers {
            w.key(name);
            write_producer_metrics(&mut w, m);
        }
        w.end_object();
        w.key("brokers");
        w.begin_object();
        for (id, b) in &self.metrics.brokers {
            w.key(id);
            counts(
                &mut w,
                &[
                    ("LeaderCount", b.leader_count),
                    ("PartitionCount", b.partition_count),
                    ("UnderReplicatedPartitions", b.under_replicated_partitions),
                    ("UnderMinIsrPartitionCount", b.under_min_isr_partition_count),
                    ("IsrShrinksPerSec", b.isr_shrinks),
                    ("IsrExpandsPerSec", b.isr_expands),
                    ("TotalProduceRequestsPerSec", b.total_produce_requests),
                    ("FailedProduceRequestsPerSec", b.failed_produce_requests),
                ],
            );
        }
        w.end_object();
        let c = &self.metrics.controller;
        w.key("controller");
        counts(
            &mut w,
            &[
                ("OfflinePartitionsCount", c.offline_partitions_count),
                ("FencedBrokerCount", c.fenced_broker_count),
                ("ActiveBrokerCount", c.active_broker_count),
                (
                    "PreferredReplicaImbalanceCount",
                    c.preferred_replica_imbalance_count,
                ),
                ("LeaderElectionRateAndTimeMs", c.leader_elections),
                ("UncleanLeaderElectionsPerSec", c.unclean_leader_elections),
            ],
        );
        w.end_object();
        let l = &self.ledger;
        w.key("ledger");
        counts(
            &mut w,
            &[
                ("records", l.records),
                ("acked", l.acked),
                ("failed", l.failed),
                ("pending", l.pending),
                ("lost", l.lost),
                ("expired", l.expired),
                ("duplicated", l.duplicated),
                ("reordered", l.reordered),
                ("failed_but_written", l.failed_but_written),
                ("aborted", l.aborted),
            ],
        );
        w.end_object();
        w.finish()
    }
}

/// A list of objects, each written by `item` between its braces.
fn list<T>(w: &mut Writer, items: &[T], item: impl Fn(&mut Writer, &T)) {
    w.begin_array();
    for x in items {
        w.begin_object();
        item(w, x);
        w.end_object();
    }
    w.end_array();
}

/// An object of counts.
fn counts(w: &mut Writer, fields: &[(&str, u64)]) {
    w.begin_object();
    for &(k, v) in fields {
        w.u64_field(k, v);
    }
    w.end_object();
}

/// Under Kafka's producer metric names.
fn write_producer_metrics(w: &mut Writer, m: &ProducerMetricsReport) {
    w.begin_object();
    w.u64_field("record-send-total", m.record_send_total);
    w.u64_field("record-retry-total", m.record_retry_total);
    w.u64_field("record-error-total", m.record_error_total);
    w.u64_field("batch-split-total", m.batch_split_total);
    w.f64_field("batch-size-avg", m.batch_size_avg);
    w.u64_field("batch-size-max", m.batch_size_max);
    w.f64_field("records-per-request-avg", m.records_per_request_avg);
    w.u64_field("request-total", m.request_total);
    w.u64_field("response-total", m.response_total);
    w.u64_field("requests-in-flight", m.requests_in_flight);
    w.f64_field("request-latency-avg", m.request_latency_avg);
    w.u64_field("request-latency-max", m.request_latency_max);
    w.f64_field("record-queue-time-avg", m.record_queue_time_avg);
    w.u64_field("record-queue-time-max", m.record_queue_time_max);
    w.f64_field("record-size-avg", m.record_size_avg);
    w.u64_field("record-size-max", m.record_size_max);
    w.f64_field("compression-rate-avg", m.compression_rate_avg);
    w.u64_field("buffer-total-bytes", m.buffer_total_bytes);
    w.u64_field("buffer-available-bytes", m.buffer_available_bytes);
    w.u64_field("waiting-threads", m.waiting_threads);
    w.u64_field("buffer-exhausted-total", m.buffer_exhausted_total);
    w.u64_field(
        "bufferpool-wait-time-ns-total",
        m.bufferpool_wait_time_ns_total,
    );
    w.u64_field("bufferpool-wait-time-total", m.bufferpool_wait_time_total);
    w.end_object();
}
