//! `Simulation`: one event queue ordered by (virtual time, sequence number), one seeded
//! rng, and the routing of effects between components. Nothing else moves data between
//! the producer, the network and the brokers.

use crate::broker::partition::Partition;
use crate::broker::Broker;
use crate::chunked::Chunked;
use crate::config::{BrokerConfig, ConsumerConfig, PartitionerClass, ProducerConfig, TopicConfig};
use crate::consumer::KafkaConsumer;
use crate::controller::{BrokerChange, Controller, PartitionChange};
use crate::coordinator::{TransactionCoordinator, TxnRequest, TxnResponse};
use crate::effects::Effects;
use crate::errors::{Errors, KafkaError};
use crate::event_queue::EventQueue;
use crate::group_coordinator::{GroupCoordinator, CONSUMER_OFFSETS};
use crate::metadata::{place_replicas, Cluster, PartitionMeta, TopicMeta, TopicPartition};
use crate::metrics::Sampler;
use crate::net::{Network, Node, Payload, TransactionResult, WriteTxnMarkersResponse};
use crate::producer::{KafkaProducer, Outcome, TransactionalCall};
use crate::record::{FieldsSize, RecordData};
use crate::rng::Rng;
use crate::scenario::{Action, Scenario, ScenarioError, Send, SendMode};
use crate::serializer::{Serialized, Serializer};
use crate::trace::{TraceEvent, TraceHasher};
use crate::vec_map::{VecMap, VecSet};
use crate::version::KafkaVersion;
use std::rc::Rc;

/// Bounds that keep any accepted scenario runnable in a browser tab.
pub const MAX_BROKERS: u32 = 9;
pub const MAX_PARTITIONS: u32 = 1000;
pub const MAX_UNTIL_MS: u64 = 24 * 3600 * 1000;
/// An hour at 10,000 records/s (issue 8's longest run, bounded in memory with retention).
pub const MAX_RECORDS: u64 = 36_000_000;
pub const MAX_VALUE_BYTES: u32 = 1 << 20;
pub const DEFAULT_LATENCY_MS: u64 = 1;
/// Wake-ups in a row, at one instant, that change nothing observable: past this the run
/// is caught in a loop (a bug) and stops rather than freezing the page.
const MAX_IDLE_WAKES: u32 = 10_000;
/// How many recent trace events the app's event log can show.
const RECENT_EVENTS: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    SendRecord {
        action: u32,
        i: u32,
    },
    /// A non-`send` action of the scenario.
    Action {
        action: u32,
    },
    ProducerWake {
        producer: u16,
    },
    BrokerWake {
        broker: u32,
    },
    ConsumerWake {
        consumer: u16,
    },
    ControllerWake,
    CoordinatorWake,
    Deliver {
        message: u64,
    },
}

/// Whose timeouts an event can have changed: after a step only they are asked again (a
/// component nothing touched still wants to wake when it last said). Per record this is
/// most of what a step costs otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Touched {
    All,
    Producer(u16),
    /// Only that broker's or consumer's: the produce and fetch traffic it handled, a
    /// consumer's own wake-up (what they do to the others goes by messages).
    Broker(u32),
    Consumer(u16),
    /// Nobody's: a record joined an open batch (`Sent::quiet`).
    Nothing,
}

/// A validated `send` action: names resolved to indices, keys and value serialized.
#[derive(Clone, Debug, PartialEq)]
struct SendPlan {
    producer: u16,
    topic: u32,
    /// Cycled over the action's records; one `None` when no key is given. With each, what
    /// it and the value add to a record's size: the same for every record, worked out once.
    keys: Vec<(Option<Serialized>, FieldsSize)>,
    /// `None`: `value_bytes` random bytes per record, drawn as they are sent.
    value: Option<Option<Serialized>>,
    value_serializer: Serializer,
    /// The action's `value_bytes` (0 when not given) and `partition`, read per record.
    value_bytes: u32,
    partition: Option<u32>,
    pace: Pace,
}

/// How a send action's records follow one another (its `count`, `interval_ms` and `mode`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pace {
    count: u32,
    interval_ms: u64,
    mode: SendMode,
}

#[derive(Clone, Debug)]
pub struct Simulation {
    scenario: Scenario,
    version: KafkaVersion,
    now: u64,
    seq: u64,
    queue: EventQueue<Event>,
    rng: Rng,
    /// The controller's view: the truth about leaders, which brokers and producers learn
    /// with a delay.
    cluster: Rc<Cluster>,
    controller: Controller,
    controller_wake_at: Option<u64>,
    coordinator: TransactionCoordinator,
    coordinator_wake_at: Option<u64>,
    /// The group coordinators' offsets (`sendOffsetsToTransaction`).
    groups: GroupCoordinator,
    /// What each transactional call threw: `None` while it blocks, `Some(None)` once it
    /// returned normally (by action index).
    call_results: VecMap<u32, Option<Option<KafkaError>>>,
    producers: Vec<KafkaProducer>,
    consumers: Vec<KafkaConsumer>,
    consumer_wake_at: Vec<Option<u64>>,
    brokers: Vec<Broker>,
    /// Brokers whose process is down, and brokers cut off from the network.
    crashed: Vec<bool>,
    isolated: Vec<bool>,
    network: Network,
    hasher: TraceHasher,
    /// The trace, when asked for (`record_trace`); the hash never needs it.
    trace: Chunked<(u64, TraceEvent)>,
    /// How many of the latest events `trace` keeps (`None`: not recording).
    tracing: Option<usize>,
    /// `Some(n)`: the run lets go of what it no longer needs (`bound_history`).
    consumed_kept: Option<usize>,
    wake_at: Vec<Option<u64>>,
    /// The effects buffer, kept between steps so a step allocates nothing for it (boxed:
    /// a step moves a pointer rather than the buffer's six vectors).
    spare: Option<Box<Effects>>,
    /// By action index: the send actions' plans (looked up for every record).
    plans: Vec<Option<SendPlan>>,
    /// `mode: sync` sends waiting on a record's result: (producer, index) → (action, next i).
    sync_waits: VecMap<(u16, u32), (u32, u32)>,
    /// `send()` calls blocked for `buffer.memory`: (producer, index) → (action, i).
    blocked_sends: VecMap<(u16, u32), (u32, u32)>,
    broker_wake_at: Vec<Option<u64>>,
    /// `slow_follower`: extra latency of each slowed broker's fetches.
    slow_followers: VecMap<u32, u64>,
    /// `slow_broker`: extra latency of every message to or from the broker.
    slow_brokers: VecMap<u32, u64>,
    /// Per broker: produce requests still to lose on their way in (`drop_requests`).
    drop_requests: VecMap<u32, u32>,
    /// Per broker: responses to produce requests still to lose (`drop_responses`).
    drop_responses: VecMap<u32, u32>,
    /// Connections (broker, producer) that lost a response: nothing more gets through on
    /// them until the producer reconnects.
    broken: VecSet<(u32, u16)>,
    /// Events processed so far: a replay of this many `step()`s reaches the same state
    /// (how the app steps back).
    steps: u64,
    /// Consecutive wake-ups at `now` with no effect, and when the run stopped on a loop.
    idle_wakes: u32,
    stalled_at: Option<u64>,
    /// The gauges read at every window's end, for the charts.
    sampler: Sampler,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError::new(path, message)
}

/// Kafka's legal topic names (`Topic.validate`).
fn topic_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("Topic name is illegal, it can't be empty".into());
    }
    if name == "." || name == ".." {
        return Some("Topic name cannot be \".\" or \"..\"".into());
    }
    if name.len() > 249 {
        return Some("Topic name is illegal, it can't be longer than 249 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Some(format!("Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"));
    }
    None
}

impl Simulation {
    /// Validates a scenario and sets up the cluster at time 0. Every problem found is
    /// returned, each with its JSON path.
    pub fn new(scenario: &Scenario) -> Result<Simulation, Vec<ScenarioError>> {
        let mut errors = Vec::new();
        let version = match &scenario.kafka_version {
            None => KafkaVersion::latest(),
            Some(v) => KafkaVersion::parse(v).unwrap_or_else(|e| {
                errors.push(err("kafka_version", e));
                KafkaVersion::latest()
            }),
        };
        if !(1..=MAX_BROKERS).contains(&scenario.brokers) {
            errors.push(err(
                "brokers",
                format!(
                    "a cluster has 1 to {MAX_BROKERS} brokers, not {}",
                    scenario.brokers
                ),
            ));
        }
        if scenario.until_ms > MAX_UNTIL_MS {
            errors.push(err(
                "until_ms",
                format!("at most {MAX_UNTIL_MS} ms (24 h) of virtual time"),
            ));
        }
        let broker_config =
            BrokerConfig::parse(&scenario.broker_config, version).unwrap_or_else(|es| {
                for e in es {
                    let key = e.key.unwrap_or_default();
                    errors.push(err(format!("broker_config.{key}"), e.message));
                }
                BrokerConfig::default()
            });
        if let Some(net) = &scenario.network {
            if net.latency_ms > 10_000 {
                errors.push(err("network.latency_ms", "at most 10000 ms"));
            }
        }
        let brokers = scenario.brokers.clamp(1, MAX_BROKERS);
        let mut rng = Rng::new(scenario.seed);

        let mut topics = Vec::new();
        for (i, t) in scenario.topics.iter().enumerate() {
            let at = |f: &str| format!("topics[{i}].{f}");
            if let Some(problem) = topic_name_problem(&t.name) {
                errors.push(err(at("name"), problem));
            }
            if scenario.topics[..i].iter().any(|o| o.name == t.name) {
                errors.push(err(
                    at("name"),
                    format!("Topic '{}' already exists.", t.name),
                ));
            }
            if !(1..=MAX_PARTITIONS).contains(&t.partitions) {
                errors.push(err(
                    at("partitions"),
                    format!("Number of partitions must be between 1 and {MAX_PARTITIONS} (Kafka requires at least 1)"),
                ));
            }
            if t.replication_factor == 0 {
                errors.push(err(
                    at("replication_factor"),
                    "Replication factor must be larger than 0.",
                ));
            } else if t.replication_factor > scenario.brokers {
                errors.push(err(
                    at("replication_factor"),
                    format!(
                        "Replication factor: {} larger than available brokers: {}.",
                        t.replication_factor, scenario.brokers
                    ),
                ));
            }
            let config = match TopicConfig::parse(&t.config, version) {
                Ok(c) => c,
                Err(es) => {
                    for e in es {
                        let key = e.key.unwrap_or_default();
                        errors.push(err(at(&format!("config.{key}")), e.message));
                    }
                    TopicConfig::default()
                }
            };
            let partitions = t.partitions.clamp(1, MAX_PARTITIONS);
            let rf = t.replication_factor.clamp(1, brokers);
            let assignment = match &t.replica_assignment {
                Some(a) => {
                    if a.len() != t.partitions as usize {
                        errors.push(err(
                            at("replica_assignment"),
                            format!(
                                "needs one replica list per partition ({}), got {}",
                                t.partitions,
                                a.len()
                            ),
                        ));
                    }
                    for (p, replicas) in a.iter().enumerate() {
                        let distinct =
                            (0..replicas.len()).all(|k| !replicas[..k].contains(&replicas[k]));
                        if replicas.len() != rf as usize || !distinct {
                            errors.push(err(
                                format!("topics[{i}].replica_assignment[{p}]"),
                                format!("needs {rf} distinct broker ids (the replication factor)"),
                            ));
                        }
                        if let Some(b) = replicas.iter().find(|&&b| b >= scenario.brokers) {
                            errors.push(err(
                                format!("topics[{i}].replica_assignment[{p}]"),
                                format!(
                                    "unknown broker {b} (broker ids are 0 to {})",
                                    scenario.brokers.saturating_sub(1)
                                ),
                            ));
                        }
                    }
                    a.clone()
                }
                // Kafka's draw of the start rack among one decides nothing: the run's
                // stream skips it.
                None => place_replicas(version, brokers, partitions, rf, &mut |n| {
                    if n > 1 {
                        rng.below(n)
                    } else {
                        0
                    }
                }),
            };
            topics.push(TopicMeta::new(
                t.name.clone(),
                assignment
                    .into_iter()
                    .map(|replicas| PartitionMeta {
                        leader: replicas.first().copied(),
                        replicas,
                        leader_epoch: 0,
                    })
                    .collect(),
                config,
            ));
        }
        let cluster = Rc::new(Cluster { brokers, topics });

        let mut producers = Vec::new();
        for (i, p) in scenario.producers.iter().enumerate() {
            if p.name.is_empty() {
                errors.push(err(
                    format!("producers[{i}].name"),
                    "a producer needs a name",
                ));
            }
            if scenario.producers[..i].iter().any(|o| o.name == p.name) {
                errors.push(err(
                    format!("producers[{i}].name"),
                    format!("duplicate producer name '{}'", p.name),
                ));
            }
            match ProducerConfig::parse(&p.config, version) {
                Ok(config) => {
                    let at = format!("producers[{i}].custom_partitioner");
                    let custom = config.partitioner_class == Some(PartitionerClass::Custom);
                    match &p.custom_partitioner {
                        None if custom => errors.push(err(
                            format!("producers[{i}].config.partitioner.class"),
                            "CustomPartitioner is the scenario's own rule table: give it as custom_partitioner",
                        )),
                        Some(_) if !custom => errors.push(err(
                            at.clone(),
                            "a rule table is only used when partitioner.class is CustomPartitioner",
                        )),
                        Some(table) => {
                            for (j, rule) in table.rules.iter().enumerate() {
                                if rule.key.is_some() == rule.key_prefix.is_some() {
                                    errors.push(err(
                                        format!("{at}.rules[{j}]"),
                                        "a rule needs exactly one of key (equals) or key_prefix",
                                    ));
                                }
                            }
                        }
                        None => {}
                    }
                    producers.push(KafkaProducer::new(
                        producers.len() as u16,
                        p.name.clone(),
                        config,
                        Rc::clone(&cluster),
                        p.custom_partitioner.as_ref(),
                    ));
                }
                Err(es) => {
                    for e in es {
                        let path = match e.key {
                            Some(k) => format!("producers[{i}].config.{k}"),
                            None => format!("producers[{i}].config"),
                        };
                        errors.push(err(path, e.message));
                    }
                }
            }
        }
        let mut consumers = Vec::new();
        for (i, c) in scenario.consumers.iter().enumerate() {
            let at = |f: &str| format!("consumers[{i}].{f}");
            if c.name.is_empty() {
                errors.push(err(at("name"), "a consumer needs a name"));
            }
            if scenario.consumers[..i].iter().any(|o| o.name == c.name) {
                errors.push(err(
                    at("name"),
                    format!("duplicate consumer name '{}'", c.name),
                ));
            }
            if c.topics.is_empty() {
                errors.push(err(at("topics"), "a consumer reads at least one topic"));
            }
            let mut topics = Vec::new();
            for (j, name) in c.topics.iter().enumerate() {
                match scenario.topics.iter().position(|t| &t.name == name) {
                    Some(t) => topics.push(t as u32),
                    None => errors.push(err(
                        format!("consumers[{i}].topics[{j}]"),
                        format!("unknown topic '{name}'"),
                    )),
                }
            }
            match ConsumerConfig::parse(&c.config) {
                Ok(config) => consumers.push(KafkaConsumer::new(
                    consumers.len() as u16,
                    c.name.clone(),
                    config,
                    &topics,
                    Rc::clone(&cluster),
                )),
                Err(es) => {
                    for e in es {
                        let key = e.key.unwrap_or_default();
                        errors.push(err(at(&format!("config.{key}")), e.message));
                    }
                }
            }
        }

        let mut plans = vec![None; scenario.actions.len()];
        let mut total_records = 0u64;
        for (i, action) in scenario.actions.iter().enumerate() {
            let at = |f: &str| format!("actions[{i}].{f}");
            let check_broker = |broker: u32, errors: &mut Vec<ScenarioError>| {
                if broker >= scenario.brokers {
                    errors.push(err(
                        at("broker"),
                        format!(
                            "unknown broker {broker} (broker ids are 0 to {})",
                            scenario.brokers.saturating_sub(1)
                        ),
                    ));
                }
            };
            // Times beyond the longest run cannot matter, and would overflow the clock.
            if action.at_ms() > MAX_UNTIL_MS {
                errors.push(err(
                    at("at_ms"),
                    format!("at most {MAX_UNTIL_MS} ms (24 h)"),
                ));
            }
            let s = match action {
                Action::Send(s) => s,
                Action::SendOffsetsToTransaction(a) => {
                    if !scenario.producers.iter().any(|p| p.name == a.producer) {
                        errors.push(err(
                            at("producer"),
                            format!("unknown producer '{}'", a.producer),
                        ));
                    }
                    if a.group_id.is_empty() {
                        errors.push(err(
                            at("group_id"),
                            "a group id is needed (ConsumerGroupMetadata)",
                        ));
                    }
                    for (j, o) in a.offsets.iter().enumerate() {
                        match scenario.topics.iter().find(|t| t.name == o.topic) {
                            None => errors.push(err(
                                format!("actions[{i}].offsets[{j}].topic"),
                                format!("unknown topic '{}'", o.topic),
                            )),
                            Some(t) if o.partition >= t.partitions => errors.push(err(
                                format!("actions[{i}].offsets[{j}].partition"),
                                format!(
                                    "topic '{}' has {} partitions; there is no partition {}",
                                    o.topic, t.partitions, o.partition
                                ),
                            )),
                            Some(_) => {}
                        }
                    }
                    continue;
                }
                Action::Flush(a)
                | Action::Close(a)
                | Action::RestartProducer(a)
                | Action::InitTransactions(a)
                | Action::BeginTransaction(a)
                | Action::CommitTransaction(a)
                | Action::AbortTransaction(a) => {
                    if !scenario.producers.iter().any(|p| p.name == a.producer) {
                        errors.push(err(
                            at("producer"),
                            format!("unknown producer '{}'", a.producer),
                        ));
                    }
                    continue;
                }
                Action::SlowFollower(a) | Action::SlowBroker(a) => {
                    check_broker(a.broker, &mut errors);
                    if a.extra_latency_ms.is_some_and(|l| l > MAX_UNTIL_MS) {
                        errors.push(err(
                            at("extra_latency_ms"),
                            format!("at most {MAX_UNTIL_MS} ms (24 h)"),
                        ));
                    }
                    if a.extra_latency_ms.is_none() {
                        errors.push(err(
                            at("extra_latency_ms"),
                            format!(
                                "{} needs extra_latency_ms (0 restores the broker)",
                                action.name()
                            ),
                        ));
                    }
                    if a.count.is_some() {
                        errors.push(err(
                            at("count"),
                            format!("{} takes broker and extra_latency_ms only", action.name()),
                        ));
                    }
                    continue;
                }
                Action::CrashBroker(a)
                | Action::RestartBroker(a)
                | Action::IsolateBroker(a)
                | Action::HealBroker(a) => {
                    check_broker(a.broker, &mut errors);
                    if a.count.is_some() || a.extra_latency_ms.is_some() {
                        errors.push(err(
                            at("broker"),
                            format!("{} takes broker only", action.name()),
                        ));
                    }
                    continue;
                }
                Action::CrashLeader(a) => {
                    match scenario.topics.iter().find(|t| t.name == a.topic) {
                        None => {
                            errors.push(err(at("topic"), format!("unknown topic '{}'", a.topic)))
                        }
                        Some(t) if a.partition >= t.partitions => errors.push(err(
                            at("partition"),
                            format!(
                                "topic '{}' has {} partitions; there is no partition {}",
                                a.topic, t.partitions, a.partition
                            ),
                        )),
                        Some(_) => {}
                    }
                    continue;
                }
                Action::DropRequests(a) | Action::DropResponses(a) => {
                    check_broker(a.broker, &mut errors);
                    match a.count {
                        None | Some(0) => errors.push(err(
                            at("count"),
                            format!("{} needs a count of at least 1", action.name()),
                        )),
                        Some(_) => {}
                    }
                    if a.extra_latency_ms.is_some() {
                        errors.push(err(
                            at("extra_latency_ms"),
                            format!("{} takes broker and count only", action.name()),
                        ));
                    }
                    continue;
                }
            };
            if s.interval_ms > MAX_UNTIL_MS {
                errors.push(err(
                    at("interval_ms"),
                    format!("at most {MAX_UNTIL_MS} ms (24 h)"),
                ));
            }
            let producer = scenario.producers.iter().position(|p| p.name == s.producer);
            if producer.is_none() {
                errors.push(err(
                    at("producer"),
                    format!("unknown producer '{}'", s.producer),
                ));
            }
            let topic = scenario.topics.iter().position(|t| t.name == s.topic);
            match topic {
                None => errors.push(err(at("topic"), format!("unknown topic '{}'", s.topic))),
                Some(t) => {
                    if let Some(p) = s.partition {
                        let n = scenario.topics[t].partitions;
                        if p >= n {
                            errors.push(err(at("partition"), format!(
                                "Partition {p} of topic {} with partition count {n} is not present in metadata (send() would block max.block.ms and fail with TimeoutException)",
                                s.topic
                            )));
                        }
                    }
                }
            }
            if s.key.is_some() && s.keys.is_some() {
                errors.push(err(at("keys"), "give either key or keys, not both"));
            }
            if s.keys.as_ref().is_some_and(Vec::is_empty) {
                errors.push(err(at("keys"), "keys must not be empty"));
            }
            match (&s.value, s.value_bytes) {
                (Some(_), Some(_)) => errors.push(err(
                    at("value_bytes"),
                    "give either value or value_bytes, not both",
                )),
                (None, None) => errors.push(err(at("value"), "a send needs value or value_bytes")),
                (None, Some(n)) if n > MAX_VALUE_BYTES => errors.push(err(
                    at("value_bytes"),
                    format!("at most {MAX_VALUE_BYTES} bytes"),
                )),
                _ => {}
            }
            if s.count == 0 {
                errors.push(err(at("count"), "count must be at least 1"));
            }
            total_records += s.count as u64;
            let all_parsed = producers.len() == scenario.producers.len();
            if let (Some(producer), Some(topic), true) = (producer, topic, all_parsed) {
                let p = &producers[producer];
                if let Some(table) = &scenario.producers[producer].custom_partitioner {
                    let n = scenario.topics[topic].partitions;
                    for (j, rule) in table.rules.iter().enumerate() {
                        if rule.partition >= n {
                            errors.push(err(
                                format!("producers[{producer}].custom_partitioner.rules[{j}].partition"),
                                format!(
                                    "partition {} does not exist in topic '{}' ({n} partitions), which actions[{i}] sends to",
                                    rule.partition, s.topic
                                ),
                            ));
                        }
                    }
                }
                if let Some(plan) = plan_send(
                    s,
                    producer as u16,
                    topic as u32,
                    p.config.key_serializer,
                    p.config.value_serializer,
                    &at,
                    &mut errors,
                ) {
                    plans[i] = Some(plan);
                }
            }
        }
        if total_records > MAX_RECORDS {
            errors.push(err(
                "actions",
                format!("{total_records} records in all; Kafka Lab runs at most {MAX_RECORDS}"),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let controller = Controller::new(version, &cluster).with_config(broker_config);
        let latency = scenario
            .network
            .as_ref()
            .map_or(DEFAULT_LATENCY_MS, |n| n.latency_ms);
        let mut sim = Simulation {
            scenario: scenario.clone(),
            version,
            now: 0,
            seq: 0,
            queue: EventQueue::default(),
            rng,
            brokers: (0..brokers)
                .map(|b| Broker::new(b, &cluster, &controller, version, broker_config))
                .collect(),
            crashed: vec![false; brokers as usize],
            isolated: vec![false; brokers as usize],
            coordinator: TransactionCoordinator::new(brokers, latency).with_version(version),
            coordinator_wake_at: None,
            groups: GroupCoordinator::new(brokers),
            call_results: VecMap::new(),
            controller,
            controller_wake_at: None,
            broker_wake_at: vec![None; brokers as usize],
            slow_followers: VecMap::new(),
            slow_brokers: VecMap::new(),
            cluster,
            wake_at: vec![None; producers.len()],
            producers,
            consumer_wake_at: vec![None; consumers.len()],
            consumers,
            network: Network::new(latency),
            hasher: TraceHasher::default(),
            trace: Chunked::new(),
            tracing: None,
            consumed_kept: None,
            plans,
            sync_waits: VecMap::new(),
            blocked_sends: VecMap::new(),
            drop_requests: VecMap::new(),
            drop_responses: VecMap::new(),
            broken: VecSet::new(),
            idle_wakes: 0,
            steps: 0,
            stalled_at: None,
            sampler: Sampler::default(),
            spare: None,
        };
        for (i, action) in scenario.actions.iter().enumerate() {
            let action_index = i as u32;
            let event = match action {
                Action::Send(_) => Event::SendRecord {
                    action: action_index,
                    i: 0,
                },
                _ => Event::Action {
                    action: action_index,
                },
            };
            sim.schedule(action.at_ms(), event);
        }
        // Every follower's fetcher sends its first Fetch at time 0.
        let mut out = Effects::default();
        for broker in &mut sim.brokers {
            broker.start(0, &mut out);
        }
        sim.apply(&mut out, Touched::All);
        Ok(sim)
    }

    fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.queue.push(at, self.seq, event);
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn until_ms(&self) -> u64 {
        self.scenario.until_ms
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn version(&self) -> KafkaVersion {
        self.version
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// Whether a broker's process is down, and whether it is cut off from the network.
    pub fn broker_down(&self, broker: u32) -> (bool, bool) {
        (
            self.crashed[broker as usize],
            self.isolated[broker as usize],
        )
    }

    /// The replica whose log is the partition's committed log: the current leader's, or
    /// while it is offline, that of the last in-sync replica (which has every committed
    /// record).
    pub fn committed_replica(&self, tp: TopicPartition) -> Option<&Partition> {
        let registration = self.controller.partitions.get(&tp)?;
        let broker = registration.leader.or(registration.isr.first().copied())?;
        self.brokers[broker as usize].partitions.get(&tp)
    }

    /// A transactional call's result by action index: `None` if not made (yet),
    /// `Some(None)` while it blocks, `Some(Some(error))` once it returned.
    pub fn call_result(&self, action: u32) -> Option<&Option<Option<KafkaError>>> {
        self.call_results.get(&action)
    }

    pub fn coordinator(&self) -> &TransactionCoordinator {
        &self.coordinator
    }

    pub fn groups(&self) -> &GroupCoordinator {
        &self.groups
    }

    pub fn consumers(&self) -> &[KafkaConsumer] {
        &self.consumers
    }

    pub fn producers(&self) -> &[KafkaProducer] {
        &self.producers
    }

    pub fn brokers(&self) -> &[Broker] {
        &self.brokers
    }

    /// The record whose `send().get()` is blocking `producer`'s caller (`mode: sync`).
    pub fn blocked_in_get(&self, producer: u16) -> Option<u32> {
        self.sync_waits
            .keys()
            .find(|(p, _)| *p == producer)
            .map(|&(_, index)| index)
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Keeps every trace event from now on, for `trace()`.
    pub fn record_trace(&mut self) {
        self.tracing = Some(usize::MAX);
    }

    /// Keeps the latest `keep` trace events from now on (and up to an eighth more), for
    /// `trace()`: a run's memory then stays bounded however long it plays.
    pub fn record_recent_trace(&mut self, keep: usize) {
        self.tracing = Some(keep);
    }

    /// (first kept, end) of the sequences the run accumulates per record — each
    /// producer's sends, each replica's log, each consumer's records — in an order fixed
    /// for the run: what a snapshot (a clone) holds, and, as the chunks are shared, what it
    /// still shares with a later moment of the same run (the app's `Timeline` weighs its
    /// snapshots by it). The trace is left out: every snapshot needs its window for the
    /// inspector wherever a seek lands, and over a run the windows add up to at most the
    /// run's whole trace.
    pub fn history(&self) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = self
            .producers
            .iter()
            .map(|p| (p.sends.start(), p.sends.len()))
            .collect();
        for b in &self.brokers {
            for p in b.partitions.values() {
                let r = p.log.records();
                out.push((r.start(), r.len()));
            }
        }
        out.extend(
            self.consumers
                .iter()
                .map(|c| (c.records.start(), c.records.len())),
        );
        out
    }

    /// Keeps a long run's own history bounded (the app's choice; the CLI and the tests
    /// keep everything): each consumer keeps its latest `consumed_kept` records, and a
    /// producer lets go of its oldest records once their fate is settled — completed, and
    /// deleted by retention from their partition's log (`LedgerTracker::forget_settled`;
    /// the ledger's counts stay). With the logs bounded by retention, memory is then
    /// bounded however long the run plays.
    pub fn bound_history(&mut self, consumed_kept: usize) {
        self.consumed_kept = Some(consumed_kept);
    }

    /// The events kept since `record_trace` was called, in order; `trace().start()` is
    /// how many older ones were let go.
    pub fn trace(&self) -> &Chunked<(u64, TraceEvent)> {
        &self.trace
    }

    /// The most recent trace events (up to 256), oldest first: the tail of
    /// the trace, so only while one is kept (`record_trace`, `record_recent_trace`).
    pub fn recent_events(&self) -> impl DoubleEndedIterator<Item = &(u64, TraceEvent)> {
        let from = self
            .trace
            .len()
            .saturating_sub(RECENT_EVENTS)
            .max(self.trace.start());
        self.trace.iter_from(from)
    }

    pub fn trace_hash(&self) -> String {
        self.hasher.hex()
    }

    /// The cluster's gauges and the delivery ledger per metrics window (the producers'
    /// sensors are in their `metrics`).
    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    /// Closes the metrics windows a run paused at `t` has closed, without processing any
    /// event: those ending by `t` and by the next pending event. A run replayed to a
    /// number of steps (the app's step back) then shows the charts of one paused at `t`.
    pub fn sample_until(&mut self, t: u64) {
        let next = self.next_event_at().unwrap_or(u64::MAX);
        if self.stalled_at.is_none() {
            self.close_windows(t.min(next).min(self.scenario.until_ms));
        }
    }

    /// Lets go of the records whose fate is settled (`bound_history`).
    fn forget_settled(&mut self) {
        let mut sampler = std::mem::take(&mut self.sampler);
        let kept = sampler.forget_settled(self);
        self.sampler = sampler;
        for (p, start) in self.producers.iter_mut().zip(kept) {
            p.sends.forget_before(start);
        }
    }

    /// Closes every metrics window that ends at or before `t`, reading the gauges as the
    /// events before its end left them.
    fn close_windows(&mut self, t: u64) {
        if self.sampler.next_close() > t {
            return;
        }
        if let Some(kept) = self.consumed_kept {
            // In bulk: forgetting moves the chunk list.
            for c in &mut self.consumers {
                let held = c.records.len() - c.records.start();
                if held > kept.saturating_add(kept / 8) {
                    c.records.forget_before(c.records.len() - kept);
                }
            }
        }
        let mut sampler = std::mem::take(&mut self.sampler);
        while sampler.next_close() <= t {
            sampler.close(self);
        }
        self.sampler = sampler;
    }

    /// How many events `step()` has processed.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn events_traced(&self) -> u64 {
        self.hasher.events()
    }

    /// Time of the next pending event, if any is due by `until_ms`.
    pub fn next_event_at(&self) -> Option<u64> {
        self.queue
            .peek_at()
            .filter(|&at| at <= self.scenario.until_ms)
    }

    /// Processes every event due at or before `t` (capped at `until_ms`), then sets the
    /// clock to `t`.
    pub fn run_until(&mut self, t: u64) {
        let t = t.min(self.scenario.until_ms);
        while let Some(at) = self.next_event_at().filter(|&at| at <= t) {
            self.step_at(at);
        }
        if self.stalled_at.is_none() {
            self.now = self.now.max(t);
            self.close_windows(t);
        }
    }

    /// Runs to the end of the scenario.
    pub fn run(&mut self) {
        self.run_until(self.scenario.until_ms);
    }

    /// Processes the next event. Returns false when nothing is left before `until_ms`.
    pub fn step(&mut self) -> bool {
        self.next_event_at().is_some_and(|at| self.step_at(at))
    }

    /// Processes the next event, due at `at` (`run_until` has peeked it already).
    fn step_at(&mut self, at: u64) -> bool {
        // The windows this event comes after close first: the same windows, the same
        // readings, whether the run gets here by steps or by `run_until`. (Checked here:
        // a window closes once in hundreds of steps.)
        if self.sampler.next_close() <= at {
            self.close_windows(at);
        }
        let (_, event) = self.queue.pop().expect("peeked");
        self.steps += 1;
        if at != self.now {
            self.idle_wakes = 0;
        }
        self.now = at;
        let mut out = self.spare.take().unwrap_or_default();
        // A wake-up superseded by an earlier one (its component woke and rescheduled
        // since) runs nothing, so it touches nothing; a due one is taken from its slot.
        let (wake, superseded) = match self.wake_slot(event) {
            None => (false, false),
            Some(slot) if *slot != Some(at) => (true, true),
            Some(slot) => {
                *slot = None;
                (true, false)
            }
        };
        let touched = match event {
            _ if superseded => Touched::Nothing,
            Event::SendRecord { action, i } => self.send_record(action, i, &mut out),
            Event::Action { action } => {
                self.action(action, &mut out);
                Touched::All
            }
            Event::BrokerWake { broker } => {
                let b = broker as usize;
                if !self.crashed[b] {
                    let retention = self.brokers[b].retention_due(at);
                    if retention {
                        // The ledger reads what retention is about to delete.
                        let mut sampler = std::mem::take(&mut self.sampler);
                        sampler.read_logs(self);
                        self.sampler = sampler;
                    }
                    self.brokers[b].on_timer(at, &mut out);
                    if retention && self.consumed_kept.is_some() {
                        self.forget_settled();
                    }
                }
                Touched::All
            }
            Event::ProducerWake { producer } => {
                self.producers[producer as usize].run_once(at, &mut self.rng, &mut out);
                Touched::Producer(producer)
            }
            Event::ConsumerWake { consumer } => {
                self.consumers[consumer as usize].run_once(at, &mut self.rng, &mut out);
                Touched::Consumer(consumer)
            }
            Event::ControllerWake => {
                let mut changes = Vec::new();
                let brokers = self.controller.on_timer(at, &mut changes);
                self.controller_changed(changes, brokers, &mut out);
                Touched::All
            }
            Event::CoordinatorWake => {
                self.coordinator
                    .on_timer(at, &mut self.brokers, &mut self.controller, &mut out);
                Touched::All
            }
            Event::Deliver { message } => self.deliver(message, &mut out),
        };
        // A superseded wake-up is neither progress nor a sign of a loop: a component that
        // rescheduled earlier many times (a long-blocked call's deadline, say) leaves as many
        // stale wake-ups due together, and they must not add up to a stall.
        if !superseded {
            if wake && out.events.is_empty() && out.messages.is_empty() {
                self.idle_wakes += 1;
                if self.idle_wakes > MAX_IDLE_WAKES {
                    self.stalled_at = Some(at);
                    self.queue.clear();
                    return false;
                }
            } else {
                self.idle_wakes = 0;
            }
        }
        self.apply(&mut out, touched);
        self.spare = Some(out);
        true
    }

    /// When the run stopped because components kept waking at one instant to no effect
    /// (always a bug; the tests check it never happens).
    pub fn stalled_at(&self) -> Option<u64> {
        self.stalled_at
    }

    /// Returns whose timeouts the send may have moved.
    fn send_record(&mut self, action: u32, i: u32, out: &mut Effects) -> Touched {
        let Some(plan) = &self.plans[action as usize] else {
            return Touched::All;
        };
        // One key (or none) is the common case: no division per record.
        let (key, fields) = match plan.keys.as_slice() {
            [key] => key.clone(),
            keys => keys[i as usize % keys.len()].clone(),
        };
        let value = match &plan.value {
            Some(v) => v.clone(),
            None => Some(Serialized::random(
                &mut self.rng,
                plan.value_bytes,
                plan.value_serializer != Serializer::ByteArray,
            )),
        };
        let (producer, topic, partition, pace) =
            (plan.producer, plan.topic, plan.partition, plan.pace);
        let data = RecordData {
            key,
            value,
            timestamp: self.now,
        };
        let sent = self.producers[producer as usize].send(
            self.now,
            topic,
            partition,
            data,
            fields,
            pace.mode,
            &mut self.rng,
            out,
        );
        let index = self.producers[producer as usize].sends.len() as u32 - 1;
        if sent.returned {
            self.next_record_paced(producer, index, action, i, pace);
        } else {
            self.blocked_sends.insert((producer, index), (action, i));
        }
        if sent.quiet {
            Touched::Nothing
        } else {
            Touched::Producer(producer)
        }
    }

    /// `send()` returned for record `i` of a send action: the caller goes on to the next
    /// record, after the record's result in `sync` mode.
    fn next_record(&mut self, producer: u16, index: u32, action: u32, i: u32) {
        let Some(plan) = &self.plans[action as usize] else {
            unreachable!("only planned sends send");
        };
        self.next_record_paced(producer, index, action, i, plan.pace);
    }

    /// `next_record` with the action's pace in hand (`send_record` has it): without the
    /// lookup it is small enough to inline natively, the schedule's push with it (a call,
    /// and the action looked up again, per record).
    #[inline]
    fn next_record_paced(&mut self, producer: u16, index: u32, action: u32, i: u32, pace: Pace) {
        if i + 1 < pace.count {
            if pace.mode == SendMode::Sync {
                self.sync_waits.insert((producer, index), (action, i + 1));
            } else {
                let at = self.now + pace.interval_ms;
                self.schedule(at, Event::SendRecord { action, i: i + 1 });
            }
        }
    }

    /// A non-`send` action: a producer's `flush()`, or a fault that makes the next `count`
    /// produce requests to a broker, or responses from it, get lost.
    fn action(&mut self, action: u32, out: &mut Effects) {
        match &self.scenario.actions[action as usize] {
            Action::CrashBroker(a) => self.crash(a.broker, out),
            Action::CrashLeader(a) => {
                let t = self.cluster.topics.iter().position(|t| t.name == a.topic);
                let tp = TopicPartition {
                    topic: t.expect("validated") as u32,
                    partition: a.partition,
                };
                if let Some(leader) = self.cluster.leader_for(tp) {
                    self.crash(leader, out);
                }
            }
            Action::RestartBroker(a) => self.restart(a.broker, out),
            Action::RestartProducer(a) => {
                let p = self
                    .producers
                    .iter()
                    .position(|p| p.name == a.producer)
                    .expect("validated");
                self.restart_producer(p, out);
            }
            Action::IsolateBroker(a) => {
                let b = a.broker as usize;
                if !self.isolated[b] {
                    self.isolated[b] = true;
                    if !self.crashed[b] {
                        self.controller.lose_contact(a.broker, self.now);
                    }
                    out.events
                        .push(TraceEvent::BrokerIsolated { broker: a.broker });
                }
            }
            Action::HealBroker(a) => {
                let b = a.broker as usize;
                if self.isolated[b] {
                    self.isolated[b] = false;
                    out.events
                        .push(TraceEvent::BrokerHealed { broker: a.broker });
                    if !self.crashed[b] {
                        self.regain_contact(a.broker, false, out);
                    }
                }
            }
            Action::Flush(a) => {
                if let Some(p) = self.producers.iter_mut().find(|p| p.name == a.producer) {
                    p.flush();
                }
            }
            Action::SlowFollower(a) => {
                match a.extra_latency_ms.unwrap_or(0) {
                    0 => self.slow_followers.remove(&a.broker),
                    ms => self.slow_followers.insert(a.broker, ms),
                };
            }
            Action::SlowBroker(a) => {
                match a.extra_latency_ms.unwrap_or(0) {
                    0 => self.slow_brokers.remove(&a.broker),
                    ms => self.slow_brokers.insert(a.broker, ms),
                };
            }
            Action::Close(a) => {
                if let Some(p) = self.producers.iter_mut().find(|p| p.name == a.producer) {
                    p.close();
                }
            }
            Action::InitTransactions(_)
            | Action::BeginTransaction(_)
            | Action::CommitTransaction(_)
            | Action::AbortTransaction(_)
            | Action::SendOffsetsToTransaction(_) => {
                let scenario_action = &self.scenario.actions[action as usize];
                let call = match scenario_action {
                    Action::InitTransactions(_) => TransactionalCall::Init,
                    Action::BeginTransaction(_) => TransactionalCall::Begin,
                    Action::CommitTransaction(_) => TransactionalCall::Commit,
                    Action::AbortTransaction(_) => TransactionalCall::Abort,
                    Action::SendOffsetsToTransaction(a) => TransactionalCall::SendOffsets {
                        group_id: a.group_id.clone(),
                        offsets: a
                            .offsets
                            .iter()
                            .map(|o| {
                                let topic =
                                    self.cluster.topics.iter().position(|t| t.name == o.topic);
                                let tp = TopicPartition {
                                    topic: topic.expect("validated") as u32,
                                    partition: o.partition,
                                };
                                (tp, o.offset)
                            })
                            .collect(),
                    },
                    _ => unreachable!("matched above"),
                };
                let name = scenario_action.producer().expect("a producer's call");
                let p = self
                    .producers
                    .iter()
                    .position(|p| p.name == name)
                    .expect("validated");
                let result = self.producers[p].transactional_call(self.now, action, call, out);
                let outcome = match result {
                    Ok(true) => None,
                    Ok(false) => Some(None),
                    Err(e) => {
                        out.events.push(TraceEvent::TxnCallReturned {
                            producer: p as u16,
                            action,
                            error: Some(e.exception_name()),
                        });
                        Some(Some(e))
                    }
                };
                self.call_results.insert(action, outcome);
            }
            Action::DropRequests(a) => {
                *self.drop_requests.entry(a.broker).or_default() += a.count.unwrap_or(0)
            }
            Action::DropResponses(a) => {
                *self.drop_responses.entry(a.broker).or_default() += a.count.unwrap_or(0)
            }
            _ => unreachable!("only validated faults are scheduled"),
        }
    }

    /// Takes one from a fault counter if it is armed.
    fn take(counter: &mut VecMap<u32, u32>, broker: u32) -> bool {
        match counter.get_mut(&broker) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// `restart_producer`: the old instance and its connections are gone (brokers drop what
    /// they had not answered); a new one, with a new producer id, takes over and the
    /// application re-sends every record it never saw acknowledged — which is how a
    /// restart duplicates what the old instance had written (the notes' §7.5).
    fn restart_producer(&mut self, p: usize, out: &mut Effects) {
        let node = Node::Producer(p as u16);
        self.network.drop_node(node);
        self.broken.retain(|&(_, q)| q != p as u16);
        for broker in &mut self.brokers {
            broker.client_gone(p as u16);
        }
        let custom = self.scenario.producers[p].custom_partitioner.as_ref();
        let mut producer = self.producers[p].restarted(custom);
        producer.metadata = Rc::clone(&self.cluster);
        self.producers[p] = producer;
        // A transactional application must call initTransactions() (fencing its previous
        // instance) and begin a transaction before it can send again: nothing is re-sent.
        let transactional = self.producers[p].config.transactional_id.is_some();
        let sends = &self.producers[p].sends;
        let pending: Vec<u32> = (sends.start() as u32..sends.len() as u32)
            .filter(|&i| sends[i as usize].outcome == Outcome::Pending)
            .filter(|_| !transactional)
            .collect();
        out.events.push(TraceEvent::ProducerRestarted {
            producer: p as u16,
            resent: pending.len() as u32,
        });
        for index in pending {
            let key = (p as u16, index);
            let returned = self.producers[p].resend(self.now, index, &mut self.rng, out);
            if returned {
                if let Some((action, i)) = self.blocked_sends.remove(&key) {
                    self.next_record(key.0, key.1, action, i);
                }
            }
        }
    }

    /// The broker's process dies: the controller stops hearing from it, and every peer's
    /// connection to it closes.
    fn crash(&mut self, broker: u32, out: &mut Effects) {
        let b = broker as usize;
        if self.crashed[b] {
            return;
        }
        self.crashed[b] = true;
        self.brokers[b].crash();
        self.broken.retain(|&(c, _)| c != broker);
        self.controller.crashed(broker);
        if !self.isolated[b] {
            self.controller.lose_contact(broker, self.now);
            for p in 0..self.producers.len() {
                let to = Node::Producer(p as u16);
                out.messages
                    .push((Node::Broker(broker), to, Payload::ConnectionClosed));
            }
            for peer in (0..self.brokers.len() as u32).filter(|&o| o != broker) {
                let to = Node::Broker(peer);
                out.messages
                    .push((Node::Broker(broker), to, Payload::ConnectionClosed));
            }
        }
        out.events.push(TraceEvent::BrokerCrashed { broker });
    }

    /// A new process on the broker's disk: it registers with the controller again.
    fn restart(&mut self, broker: u32, out: &mut Effects) {
        let b = broker as usize;
        if !self.crashed[b] {
            return;
        }
        self.crashed[b] = false;
        self.brokers[b].start_process(self.now);
        out.events.push(TraceEvent::BrokerRestarted { broker });
        if !self.isolated[b] {
            self.regain_contact(broker, true, out);
        }
    }

    fn regain_contact(&mut self, broker: u32, restarted: bool, out: &mut Effects) {
        let mut changes = Vec::new();
        let unfenced = self
            .controller
            .regain_contact(broker, restarted, self.now, &mut changes);
        self.controller_changed(changes, unfenced.into_iter().collect(), out);
        if !restarted {
            // Back on the network, the broker replays the metadata it missed.
            self.send_snapshot(broker, out);
        }
    }

    /// The whole current metadata, as a broker catching up on the log replays it.
    fn send_snapshot(&mut self, broker: u32, out: &mut Effects) {
        let all: Vec<PartitionChange> = self
            .controller
            .partitions
            .iter()
            .map(|(tp, r)| PartitionChange {
                tp: *tp,
                registration: r.clone(),
                election: None,
            })
            .collect();
        out.messages.push((
            Node::Controller,
            Node::Broker(broker),
            Payload::MetadataUpdate(all, self.controller.fenced_brokers()),
        ));
    }

    /// Publishes the controller's changes: the true cluster metadata, the event log, and
    /// a metadata update to every broker that is up, reachable and registered; a broker
    /// unfenced after a restart replays the whole metadata.
    fn controller_changed(
        &mut self,
        changes: Vec<PartitionChange>,
        brokers: Vec<BrokerChange>,
        out: &mut Effects,
    ) {
        for change in &brokers {
            out.events.push(match *change {
                BrokerChange::Fenced(broker) => TraceEvent::BrokerFenced { broker },
                BrokerChange::Unfenced(broker) => TraceEvent::BrokerUnfenced { broker },
            });
        }
        if !brokers.is_empty() {
            self.coordinator.elect(&self.controller, self.now, out);
            let leaders = self.coordinator.leaders();
            for broker in &mut self.brokers {
                broker.set_transaction_state_leaders(leaders.clone());
            }
        }
        if !changes.is_empty() || !brokers.is_empty() {
            let cluster = Rc::make_mut(&mut self.cluster);
            for c in &changes {
                cluster.set_leader(c.tp, c.registration.leader, c.registration.leader_epoch);
                if let Some(election) = c.election {
                    out.events.push(TraceEvent::LeaderElected {
                        tp: c.tp,
                        leader: c.registration.leader,
                        leader_epoch: c.registration.leader_epoch,
                        isr: c.registration.isr.clone(),
                        election,
                    });
                }
            }
            for b in 0..self.brokers.len() {
                if !self.crashed[b] && !self.isolated[b] && self.brokers[b].online {
                    out.messages.push((
                        Node::Controller,
                        Node::Broker(b as u32),
                        Payload::MetadataUpdate(changes.clone(), self.controller.fenced_brokers()),
                    ));
                }
            }
        }
        for change in brokers {
            if let BrokerChange::Unfenced(broker) = change {
                if !self.brokers[broker as usize].online {
                    self.send_snapshot(broker, out);
                }
            }
        }
    }

    /// Returns whose timeouts the message may have moved.
    fn deliver(&mut self, message: u64, out: &mut Effects) -> Touched {
        let Some(msg) = self.network.deliver(message) else {
            return Touched::Nothing;
        };
        let cut_off = |node: Node| match node {
            Node::Broker(b) => self.isolated[b as usize],
            _ => false,
        };
        if cut_off(msg.from) || cut_off(msg.to) {
            return Touched::Nothing;
        }
        if let Node::Broker(b) = msg.to {
            if self.crashed[b as usize] {
                // Nobody listens: a request's sender sees its connection closed.
                let request = matches!(
                    msg.payload,
                    Payload::Produce(_)
                        | Payload::Fetch(_)
                        | Payload::MetadataRequest
                        | Payload::InitProducerId
                        | Payload::TxnRequest(_)
                        | Payload::WriteTxnMarkers(_)
                        | Payload::AddPartitionsToTxn(_)
                );
                if request {
                    out.messages
                        .push((msg.to, msg.from, Payload::ConnectionClosed));
                }
                return Touched::Nothing;
            }
        }
        match (msg.from, msg.to, msg.payload) {
            (Node::Producer(p), Node::Broker(b), Payload::Produce(req)) => {
                if Self::take(&mut self.drop_requests, b) {
                    out.events.push(TraceEvent::RequestDropped {
                        broker: b,
                        producer: p,
                        request: req.id,
                    });
                    return Touched::All;
                }
                self.brokers[b as usize].handle_produce(self.now, p, req, out);
                return Touched::Broker(b);
            }
            (Node::Broker(b), Node::Producer(p), Payload::ProduceResponse(resp)) => {
                self.producers[p as usize].receive(b, resp);
                return Touched::Producer(p);
            }
            (
                from @ (Node::Broker(_) | Node::Consumer(_)),
                Node::Broker(leader),
                Payload::Fetch(req),
            ) => {
                self.brokers[leader as usize].handle_fetch(self.now, from, req, out);
                return Touched::Broker(leader);
            }
            (Node::Broker(b), Node::Consumer(c), Payload::FetchResponse(resp)) => {
                self.consumers[c as usize].receive_fetch(b, resp);
                return Touched::Consumer(c);
            }
            (Node::Broker(_), Node::Consumer(c), Payload::MetadataResponse(metadata)) => {
                self.consumers[c as usize].receive_metadata(metadata);
            }
            (Node::Broker(b), Node::Consumer(c), Payload::ConnectionClosed) => {
                self.consumers[c as usize].connection_closed(b);
            }
            (Node::Broker(leader), Node::Broker(follower), Payload::FetchResponse(resp)) => {
                self.brokers[follower as usize].handle_fetch_response(self.now, leader, resp, out);
                return Touched::Broker(follower);
            }
            (Node::Broker(b), Node::Controller, Payload::AlterPartition(req)) => {
                let mut changes = Vec::new();
                let result = self.controller.alter_partition(
                    b,
                    req.tp,
                    req.leader_epoch,
                    req.partition_epoch,
                    req.new_isr,
                    &mut changes,
                );
                out.messages.push((
                    Node::Controller,
                    Node::Broker(b),
                    Payload::AlterPartitionResponse(req.tp, result),
                ));
                self.controller_changed(changes, Vec::new(), out);
            }
            (Node::Controller, Node::Broker(b), Payload::AlterPartitionResponse(tp, result)) => {
                self.brokers[b as usize].handle_alter_partition_response(self.now, tp, result, out);
            }
            (Node::Controller, Node::Broker(b), Payload::MetadataUpdate(changes, fenced)) => {
                self.brokers[b as usize].apply_metadata(self.now, &changes, fenced, out);
            }
            (
                from @ (Node::Producer(_) | Node::Consumer(_)),
                Node::Broker(b),
                Payload::MetadataRequest,
            ) => {
                let metadata = Rc::clone(&self.brokers[b as usize].metadata);
                out.messages
                    .push((Node::Broker(b), from, Payload::MetadataResponse(metadata)));
            }
            (Node::Broker(b), Node::Producer(p), Payload::MetadataResponse(metadata)) => {
                self.producers[p as usize].receive_metadata(b, metadata);
            }
            (Node::Producer(p), Node::Broker(b), Payload::InitProducerId) => {
                let producer_id = self.brokers[b as usize].init_producer_id(&mut self.controller);
                out.messages.push((
                    Node::Broker(b),
                    Node::Producer(p),
                    Payload::InitProducerIdResponse {
                        producer_id,
                        producer_epoch: 0,
                    },
                ));
            }
            (
                Node::Broker(b),
                Node::Producer(p),
                Payload::InitProducerIdResponse {
                    producer_id,
                    producer_epoch,
                },
            ) => {
                self.producers[p as usize].receive_producer_id(b, producer_id, producer_epoch);
            }
            (Node::Broker(b), Node::Producer(p), Payload::ConnectionClosed) => {
                self.producers[p as usize].connection_closed(b);
            }
            (Node::Broker(coordinator), Node::Broker(b), Payload::WriteTxnMarkers(req))
                if req
                    .markers
                    .iter()
                    .all(|m| m.partitions.iter().all(|tp| tp.topic == CONSUMER_OFFSETS)) =>
            {
                // The group coordinator's part: pending offsets committed or dropped.
                let results = self.groups.write_txn_markers(b, &self.controller, &req);
                for &(producer_id, tp, error) in &results {
                    let marker = req.markers.iter().find(|m| m.producer_id == producer_id);
                    if let (Errors::None, Some(m)) = (error, marker) {
                        out.events.push(TraceEvent::GroupOffsetsCompleted {
                            broker: b,
                            producer_id,
                            partition: tp.partition,
                            commit: m.result == TransactionResult::Commit,
                        });
                    }
                }
                out.messages.push((
                    Node::Broker(b),
                    Node::Broker(coordinator),
                    Payload::WriteTxnMarkersResponse(WriteTxnMarkersResponse {
                        id: req.id,
                        results,
                    }),
                ));
            }
            (Node::Broker(coordinator), Node::Broker(b), Payload::WriteTxnMarkers(req)) => {
                self.brokers[b as usize].handle_write_txn_markers(self.now, coordinator, req, out);
            }
            (Node::Broker(b), Node::Broker(peer), Payload::ConnectionClosed) => {
                self.brokers[peer as usize].connection_closed(b, self.now);
                self.coordinator.connection_closed(self.now, b);
            }
            (Node::Producer(p), Node::Broker(b), Payload::TxnRequest(req))
                if matches!(
                    req,
                    TxnRequest::FindGroupCoordinator { .. } | TxnRequest::TxnOffsetCommit { .. }
                ) =>
            {
                let online = self.brokers[b as usize].online;
                let response = self.groups.handle(b, online, &self.controller, req);
                out.messages.push((
                    Node::Broker(b),
                    Node::Producer(p),
                    Payload::TxnResponse(response),
                ));
            }
            (Node::Producer(p), Node::Broker(b), Payload::TxnRequest(req)) => {
                if self.brokers[b as usize].online {
                    self.coordinator.handle(self.now, b, p, req, out);
                } else {
                    // Restarted, not yet serving: not the coordinator of anything yet.
                    out.messages.push((
                        Node::Broker(b),
                        Node::Producer(p),
                        Payload::TxnResponse(TxnResponse {
                            request: req.name(),
                            error: Errors::NotCoordinator,
                            coordinator: None,
                            producer_id: -1,
                            producer_epoch: -1,
                        }),
                    ));
                }
            }
            (Node::Broker(b), Node::Producer(p), Payload::TxnResponse(resp)) => {
                self.producers[p as usize].receive_txn(b, resp);
            }
            (Node::Broker(_), Node::Broker(_), Payload::WriteTxnMarkersResponse(resp)) => {
                self.coordinator
                    .handle_markers_response(self.now, resp, out);
            }
            (Node::Broker(leader), Node::Broker(b), Payload::AddPartitionsToTxn(req)) => {
                let online = self.brokers[b as usize].online;
                self.coordinator
                    .handle_add_partitions_from_leader(self.now, b, online, leader, req, out);
            }
            (Node::Broker(_), Node::Broker(leader), Payload::AddPartitionsToTxnResponse(resp)) => {
                self.brokers[leader as usize].handle_add_partitions_response(self.now, resp, out);
            }
            _ => unreachable!("no other message kinds are sent"),
        }
        Touched::All
    }

    fn apply(&mut self, out: &mut Effects, touched: Touched) {
        // A client that gave up on a connection (request timeout) opens a new one: the
        // broker drops what it had not read on the old one and owes it nothing more (a
        // request held in purgatory still completes, its answer goes nowhere), and
        // answers still on their way over the old one are never read (else a late answer
        // would be taken for the next request's, as a transactional producer took a
        // FindCoordinator's for its InitProducerId's). The broker mutes a channel while
        // it handles one of its requests (`SocketServer.Processor`), not the client: the
        // new connection's requests are served at once.
        for &(producer, broker) in &out.timed_out {
            self.broken.remove(&(broker, producer));
            self.brokers[broker as usize].client_gone(producer);
            self.network
                .drop_between(Node::Broker(broker), Node::Producer(producer));
        }
        // drop_responses: the broker answered (now or after waiting for the ISR), and the
        // answer is lost on the way. Over TCP nothing after it on that connection gets
        // through either, until the client times out and reconnects.
        // Without a broken connection or responses to lose there is nothing to drop (the
        // common case: no walk over the messages).
        if !self.broken.is_empty() || !self.drop_responses.is_empty() {
            out.messages
                .retain(|(from, to, payload)| match (from, to, payload) {
                    (Node::Broker(b), Node::Producer(p), Payload::TxnResponse(_)) => {
                        !self.broken.contains(&(*b, *p))
                    }
                    (Node::Broker(b), Node::Producer(p), Payload::ProduceResponse(resp)) => {
                        if self.broken.contains(&(*b, *p)) {
                            return false;
                        }
                        if Self::take(&mut self.drop_responses, *b) {
                            self.broken.insert((*b, *p));
                            out.events.push(TraceEvent::ResponseDropped {
                                broker: *b,
                                producer: *p,
                                request: resp.id,
                            });
                            return false;
                        }
                        true
                    }
                    _ => true,
                });
        }
        for event in &out.events {
            self.hasher.record(self.now, event);
        }
        // Moved out only when kept: most runs keep no trace.
        match self.tracing {
            Some(keep) => {
                for event in out.events.drain(..) {
                    self.trace.push((self.now, event));
                    // Let go in bulk: forgetting moves the chunk list.
                    if self.trace.len() - self.trace.start() > keep.saturating_add(keep / 8) {
                        self.trace.forget_before(self.trace.len() - keep);
                    }
                }
            }
            None => out.events.clear(),
        }
        for (from, to, payload) in out.messages.drain(..) {
            // slow_follower: only that broker's fetches to its leaders take longer;
            // slow_broker: every message to or from it.
            let slowed = |node: &Node| match node {
                Node::Broker(b) => self.slow_brokers.get(b).copied().unwrap_or(0),
                Node::Producer(_) | Node::Consumer(_) | Node::Controller => 0,
            };
            let mut extra = slowed(&from) + slowed(&to);
            if let (Node::Broker(b), Payload::Fetch(_)) = (&from, &payload) {
                extra += self.slow_followers.get(b).copied().unwrap_or(0);
            }
            let (id, at) = self.network.send(self.now, from, to, payload, extra);
            self.schedule(at, Event::Deliver { message: id });
        }
        for key in out.returned.drain(..) {
            if let Some((action, i)) = self.blocked_sends.remove(&key) {
                self.next_record(key.0, key.1, action, i);
            }
        }
        // A batch's records complete together: their partition's log end is read once.
        let mut last_settle = None;
        for key in out.completed.drain(..) {
            let s = &self.producers[key.0 as usize].sends[key.1 as usize];
            let outcome = s.outcome;
            let settle = s.partition().and_then(|partition| {
                let tp = TopicPartition {
                    topic: s.topic,
                    partition,
                };
                match last_settle {
                    Some((last, end)) if last == tp => end,
                    _ => {
                        let end = self
                            .committed_replica(tp)
                            .map(|p| (tp, p.log.log_end_offset()));
                        last_settle = Some((tp, end));
                        end
                    }
                }
            });
            self.sampler.completed(key, outcome, settle);
            // Only `sync` sends wait (most runs have none: no search per record).
            let waiting = if self.sync_waits.is_empty() {
                None
            } else {
                self.sync_waits.remove(&key)
            };
            if let Some((action, i)) = waiting {
                let Action::Send(send) = &self.scenario.actions[action as usize] else {
                    unreachable!("only send actions wait");
                };
                let at = self.now + send.interval_ms;
                self.schedule(at, Event::SendRecord { action, i });
            }
        }
        for (_, action, error) in out.txn_returned.drain(..) {
            self.call_results.insert(action, Some(error));
        }
        out.timed_out.clear();
        debug_assert!(
            touched == Touched::All || self.wakes_cover(touched),
            "{touched:?}: an event moved the timeout of a component it did not touch"
        );
        match touched {
            Touched::Nothing => return,
            Touched::Producer(p) => return self.wake_producer(p as usize),
            Touched::Broker(b) => return self.wake_broker(b as usize),
            Touched::Consumer(c) => return self.wake_consumer(c as usize),
            Touched::All => {}
        }
        for b in 0..self.brokers.len() {
            self.wake_broker(b);
        }
        self.wake(self.controller.next_timeout(), Event::ControllerWake);
        let t = self.coordinator.next_timeout().map(|t| t.max(self.now));
        self.wake(t, Event::CoordinatorWake);
        for c in 0..self.consumers.len() {
            self.wake_consumer(c);
        }
        for p in 0..self.producers.len() {
            self.wake_producer(p);
        }
    }

    /// Whether every component but the one `touched` names still wakes by its next
    /// timeout: what an event that touched only that one must leave true (checked in
    /// debug builds, every test run).
    fn wakes_cover(&self, touched: Touched) -> bool {
        let covered =
            |t: Option<u64>, wake: Option<u64>| t.is_none_or(|t| wake.is_some_and(|w| w <= t));
        (0..self.brokers.len()).all(|b| {
            touched == Touched::Broker(b as u32)
                || covered(self.brokers[b].next_timeout(), self.broker_wake_at[b])
        }) && (0..self.consumers.len()).all(|c| {
            touched == Touched::Consumer(c as u16)
                || covered(
                    self.consumers[c].poll_timeout(self.now),
                    self.consumer_wake_at[c],
                )
        }) && (0..self.producers.len()).all(|p| {
            touched == Touched::Producer(p as u16)
                || covered(self.producers[p].poll_timeout(self.now), self.wake_at[p])
        }) && covered(self.controller.next_timeout(), self.controller_wake_at)
            && covered(
                self.coordinator.next_timeout().map(|t| t.max(self.now)),
                self.coordinator_wake_at,
            )
    }

    /// Schedules a component's wake-up `event` at `t`, unless it already wakes by then.
    fn wake(&mut self, t: Option<u64>, event: Event) {
        let (Some(t), Some(slot)) = (t, self.wake_slot(event)) else {
            return;
        };
        if slot.is_none_or(|w| t < w) {
            *slot = Some(t);
            self.schedule(t, event);
        }
    }

    fn wake_broker(&mut self, b: usize) {
        if let Some(t) = self.brokers[b].next_timeout() {
            if self.broker_wake_at[b].is_none_or(|w| t < w) {
                self.broker_wake_at[b] = Some(t);
                self.schedule(t, Event::BrokerWake { broker: b as u32 });
            }
        }
    }

    fn wake_consumer(&mut self, c: usize) {
        if let Some(t) = self.consumers[c].poll_timeout(self.now) {
            if self.consumer_wake_at[c].is_none_or(|w| t < w) {
                self.consumer_wake_at[c] = Some(t);
                self.schedule(t, Event::ConsumerWake { consumer: c as u16 });
            }
        }
    }

    /// Where a wake-up event's component keeps the moment it asked to be woken.
    fn wake_slot(&mut self, event: Event) -> Option<&mut Option<u64>> {
        match event {
            Event::BrokerWake { broker } => Some(&mut self.broker_wake_at[broker as usize]),
            Event::ProducerWake { producer } => Some(&mut self.wake_at[producer as usize]),
            Event::ConsumerWake { consumer } => Some(&mut self.consumer_wake_at[consumer as usize]),
            Event::ControllerWake => Some(&mut self.controller_wake_at),
            Event::CoordinatorWake => Some(&mut self.coordinator_wake_at),
            Event::SendRecord { .. } | Event::Action { .. } | Event::Deliver { .. } => None,
        }
    }

    fn wake_producer(&mut self, p: usize) {
        if let Some(t) = self.producers[p].poll_timeout(self.now) {
            if self.wake_at[p].is_none_or(|w| t < w) {
                self.wake_at[p] = Some(t);
                self.schedule(t, Event::ProducerWake { producer: p as u16 });
            }
        }
    }
}

/// Serializes a send's keys and value with the producer's serializers, as `send()` would,
/// reporting what a serializer cannot take at its JSON path.
fn plan_send(
    s: &Send,
    producer: u16,
    topic: u32,
    key_serializer: Serializer,
    value_serializer: Serializer,
    at: &dyn Fn(&str) -> String,
    errors: &mut Vec<ScenarioError>,
) -> Option<SendPlan> {
    let mut ok = true;
    let mut ser = |serializer: Serializer, text: Option<&str>, path: String| {
        serializer.serialize(text).unwrap_or_else(|e| {
            errors.push(err(path, e.to_string()));
            ok = false;
            None
        })
    };
    let keys: Vec<Option<Serialized>> = match (&s.key, &s.keys) {
        (None, Some(keys)) if !keys.is_empty() => keys
            .iter()
            .enumerate()
            .map(|(j, k)| ser(key_serializer, k.as_deref(), at(&format!("keys[{j}]"))))
            .collect(),
        (key, _) => vec![ser(
            key_serializer,
            key.as_ref().and_then(Option::as_deref),
            at("key"),
        )],
    };
    let value = s
        .value
        .as_ref()
        .map(|v| ser(value_serializer, v.as_deref(), at("value")));
    // A random value is `value_bytes` long.
    let value_len = match &value {
        Some(v) => v.as_ref().map(Serialized::len),
        None => Some(s.value_bytes.unwrap_or(0) as usize),
    };
    let keys = keys
        .into_iter()
        .map(|key| {
            let fields = FieldsSize::of(key.as_ref().map(Serialized::len), value_len);
            (key, fields)
        })
        .collect();
    if s.value.is_none()
        && s.value_bytes.is_some()
        && !matches!(value_serializer, Serializer::String | Serializer::ByteArray)
    {
        errors.push(err(
            at("value_bytes"),
            format!("random bytes need StringSerializer or ByteArraySerializer as value.serializer, not {value_serializer}"),
        ));
        ok = false;
    }
    ok.then_some(SendPlan {
        producer,
        topic,
        keys,
        value,
        value_serializer,
        value_bytes: s.value_bytes.unwrap_or(0),
        partition: s.partition,
        pace: Pace {
            count: s.count,
            interval_ms: s.interval_ms,
            mode: s.mode,
        },
    })
}
