//! The scenario file (`shared/SCENARIO.md`): one JSON document drives the app, the tests
//! and the CLI. Parsing reports every problem with its JSON path.

use crate::json::{self, Fields, Node, Path, Writer};
use crate::vec_map::VecMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub seed: u64,
    pub kafka_version: Option<String>,
    pub brokers: u32,
    pub topics: Vec<TopicSpec>,
    pub producers: Vec<ProducerSpec>,
    pub consumers: Vec<ConsumerSpec>,
    pub actions: Vec<Action>,
    pub until_ms: u64,
    /// Kafka Lab's own extension: the simulated network between every two nodes.
    pub network: Option<NetworkSpec>,
    /// Kafka Lab's own extension: broker configs (`server.properties`, Kafka's names and
    /// string values), the same on every broker.
    pub broker_config: VecMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u32,
    pub replica_assignment: Option<Vec<Vec<u32>>>,
    pub config: VecMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProducerSpec {
    pub name: String,
    pub config: VecMap<String, String>,
    /// Kafka Lab's stand-in for a user's `Partitioner` class: used when `config` sets
    /// `partitioner.class` to `CustomPartitioner`.
    pub custom_partitioner: Option<CustomPartitionerSpec>,
}

/// A partitioner written as a table: the first rule whose key matches decides; other keys
/// follow `otherwise`, null keys `null_key`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomPartitionerSpec {
    pub rules: Vec<PartitionRule>,
    pub otherwise: OtherKeys,
    pub null_key: NullKeyRule,
}

/// `key` (equals) or `key_prefix` (starts with), compared with the key as written.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionRule {
    pub key: Option<String>,
    pub key_prefix: Option<String>,
    pub partition: u32,
}

impl PartitionRule {
    pub fn matches(&self, key: &str) -> bool {
        match (&self.key, &self.key_prefix) {
            (Some(k), _) => k == key,
            (None, Some(p)) => key.starts_with(p.as_str()),
            (None, None) => false,
        }
    }
}

/// Keys no rule matched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OtherKeys {
    /// `toPositive(murmur2(keyBytes)) % numPartitions`, as the seed's example does.
    #[default]
    Hash,
    RoundRobin,
}

/// Records without a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NullKeyRule {
    /// `throw new InvalidRecordException("Need message key")`, as the seed's example does.
    #[default]
    Fail,
    RoundRobin,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerSpec {
    pub name: String,
    pub topics: Vec<String>,
    pub config: VecMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSpec {
    /// One-way latency of every message, in milliseconds.
    pub latency_ms: u64,
}

/// How `send` waits for its result (seed §3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SendMode {
    #[default]
    Async,
    Sync,
    FireAndForget,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Send {
    pub at_ms: u64,
    pub producer: String,
    pub topic: String,
    /// `"key": null` is a null key (`Some(None)`); an absent `key` means "not given".
    pub key: Option<Option<String>>,
    pub keys: Option<Vec<Option<String>>>,
    /// `"value": null` sends a null value (a tombstone).
    pub value: Option<Option<String>>,
    pub value_bytes: Option<u32>,
    pub partition: Option<u32>,
    pub count: u32,
    pub interval_ms: u64,
    pub mode: SendMode,
}

impl Send {
    /// The key of the `i`-th record of this action.
    pub fn key_at(&self, i: u32) -> Option<&str> {
        match (&self.key, &self.keys) {
            (Some(k), _) => k.as_deref(),
            (None, Some(keys)) if !keys.is_empty() => keys[i as usize % keys.len()].as_deref(),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProducerAction {
    pub at_ms: u64,
    pub producer: String,
}

/// `sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata(group_id))`.
#[derive(Clone, Debug, PartialEq)]
pub struct SendOffsets {
    pub at_ms: u64,
    pub producer: String,
    pub group_id: String,
    pub offsets: Vec<OffsetSpec>,
}

/// The next offset a group should read of a partition.
#[derive(Clone, Debug, PartialEq)]
pub struct OffsetSpec {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BrokerAction {
    pub at_ms: u64,
    pub broker: u32,
    pub extra_latency_ms: Option<u64>,
    pub count: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartitionAction {
    pub at_ms: u64,
    pub topic: String,
    pub partition: u32,
}

/// Every action of the contract. Parsing accepts them all so that a file written for a
/// newer build is read correctly; validation says which ones this build can run.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Send(Send),
    InitTransactions(ProducerAction),
    BeginTransaction(ProducerAction),
    CommitTransaction(ProducerAction),
    AbortTransaction(ProducerAction),
    SendOffsetsToTransaction(SendOffsets),
    Flush(ProducerAction),
    /// `producer.close()`: sends what is queued, waits for it, refuses later sends.
    Close(ProducerAction),
    RestartProducer(ProducerAction),
    CrashBroker(BrokerAction),
    RestartBroker(BrokerAction),
    CrashLeader(PartitionAction),
    SlowBroker(BrokerAction),
    SlowFollower(BrokerAction),
    DropResponses(BrokerAction),
    DropRequests(BrokerAction),
    IsolateBroker(BrokerAction),
    HealBroker(BrokerAction),
}

impl Action {
    pub fn at_ms(&self) -> u64 {
        match self {
            Action::Send(s) => s.at_ms,
            Action::SendOffsetsToTransaction(a) => a.at_ms,
            Action::InitTransactions(a)
            | Action::BeginTransaction(a)
            | Action::CommitTransaction(a)
            | Action::AbortTransaction(a)
            | Action::Flush(a)
            | Action::Close(a)
            | Action::RestartProducer(a) => a.at_ms,
            Action::CrashBroker(a)
            | Action::RestartBroker(a)
            | Action::SlowBroker(a)
            | Action::SlowFollower(a)
            | Action::DropResponses(a)
            | Action::DropRequests(a)
            | Action::IsolateBroker(a)
            | Action::HealBroker(a) => a.at_ms,
            Action::CrashLeader(a) => a.at_ms,
        }
    }

    /// The producer an action is about, if any.
    pub fn producer(&self) -> Option<&str> {
        match self {
            Action::Send(s) => Some(&s.producer),
            Action::SendOffsetsToTransaction(a) => Some(&a.producer),
            Action::InitTransactions(a)
            | Action::BeginTransaction(a)
            | Action::CommitTransaction(a)
            | Action::AbortTransaction(a)
            | Action::Flush(a)
            | Action::Close(a)
            | Action::RestartProducer(a) => Some(&a.producer),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Action::Send(_) => "send",
            Action::InitTransactions(_) => "init_transactions",
            Action::BeginTransaction(_) => "begin_transaction",
            Action::CommitTransaction(_) => "commit_transaction",
            Action::AbortTransaction(_) => "abort_transaction",
            Action::SendOffsetsToTransaction(_) => "send_offsets_to_transaction",
            Action::Flush(_) => "flush",
            Action::Close(_) => "close",
            Action::RestartProducer(_) => "restart_producer",
            Action::CrashBroker(_) => "crash_broker",
            Action::RestartBroker(_) => "restart_broker",
            Action::CrashLeader(_) => "crash_leader",
            Action::SlowBroker(_) => "slow_broker",
            Action::SlowFollower(_) => "slow_follower",
            Action::DropResponses(_) => "drop_responses",
            Action::DropRequests(_) => "drop_requests",
            Action::IsolateBroker(_) => "isolate_broker",
            Action::HealBroker(_) => "heal_broker",
        }
    }
}

/// One problem with a scenario: where (a JSON path such as `producers[0].config.acks`)
/// and what, in Kafka's words where Kafka has a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}: {}", self.path, self.message)
    }
}

impl ScenarioError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Largest scenario document accepted, so a pasted or URL-supplied file cannot exhaust memory.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;

impl Scenario {
    /// Parses the JSON text of a scenario (syntax and types; see `Setup` for the rules).
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_SCENARIO_BYTES {
            return Err(ScenarioError::new(
                "$",
                format!(
                    "scenario is {} bytes; the limit is {MAX_SCENARIO_BYTES}",
                    text.len()
                ),
            ));
        }
        json::read(text, Scenario::read).map_err(|e| {
            // The root, or a key with no name (`{"": 1}`, found by tests/fuzz.rs).
            let path = if e.path.is_empty() {
                "$".to_string()
            } else {
                e.path
            };
            ScenarioError::new(path, e.message)
        })
    }

    pub fn to_json_pretty(&self) -> String {
        let mut w = Writer::new(true);
        self.write(&mut w);
        w.finish()
    }

    /// As serde wrote it before: fields in this order, empty optional ones left out.
    pub fn write(&self, w: &mut Writer) {
        w.begin_object();
        w.u64_field("seed", self.seed);
        if let Some(v) = &self.kafka_version {
            w.string_field("kafka_version", v);
        }
        w.u64_field("brokers", self.brokers.into());
        w.key("topics");
        w.begin_array();
        for t in &self.topics {
            w.begin_object();
            w.string_field("name", &t.name);
            w.u64_field("partitions", t.partitions.into());
            w.u64_field("replication_factor", t.replication_factor.into());
            if let Some(assignment) = &t.replica_assignment {
                w.key("replica_assignment");
                w.begin_array();
                for replicas in assignment {
                    write_u32s(w, replicas);
                }
                w.end_array();
            }
            write_map(w, "config", &t.config, false);
            w.end_object();
        }
        w.end_array();
        w.key("producers");
        w.begin_array();
        for p in &self.producers {
            w.begin_object();
            w.string_field("name", &p.name);
            write_map(w, "config", &p.config, true);
            if let Some(c) = &p.custom_partitioner {
                w.key("custom_partitioner");
                w.begin_object();
                w.key("rules");
                w.begin_array();
                for r in &c.rules {
                    w.begin_object();
                    write_opt_string(w, "key", r.key.as_deref());
                    write_opt_string(w, "key_prefix", r.key_prefix.as_deref());
                    w.u64_field("partition", r.partition.into());
                    w.end_object();
                }
                w.end_array();
                w.string_field("otherwise", OTHER_KEYS[c.otherwise as usize]);
                w.string_field("null_key", NULL_KEY_RULES[c.null_key as usize]);
                w.end_object();
            }
            w.end_object();
        }
        w.end_array();
        if !self.consumers.is_empty() {
            w.key("consumers");
            w.begin_array();
            for c in &self.consumers {
                w.begin_object();
                w.string_field("name", &c.name);
                w.key("topics");
                w.begin_array();
                for t in &c.topics {
                    w.string(t);
                }
                w.end_array();
                write_map(w, "config", &c.config, true);
                w.end_object();
            }
            w.end_array();
        }
        w.key("actions");
        w.begin_array();
        for a in &self.actions {
            a.write(w);
        }
        w.end_array();
        w.u64_field("until_ms", self.until_ms);
        if let Some(n) = &self.network {
            w.key("network");
            w.begin_object();
            w.u64_field("latency_ms", n.latency_ms);
            w.end_object();
        }
        write_map(w, "broker_config", &self.broker_config, false);
        w.end_object();
    }
}

const SCENARIO_FIELDS: &[&str] = &[
    "seed",
    "kafka_version",
    "brokers",
    "topics",
    "producers",
    "consumers",
    "actions",
    "until_ms",
    "network",
    "broker_config",
];

impl Scenario {
    /// A scenario inside a larger document (a link carries one).
    pub fn read(node: &Node, path: &Path) -> json::Result<Scenario> {
        let f = json::object(node, path, SCENARIO_FIELDS, None)?;
        Ok(Scenario {
            seed: f.get(0, json::u64)?.unwrap_or(0),
            kafka_version: f.opt(1, json::string)?,
            brokers: f.req(2, json::u32)?,
            topics: f.req(3, |n, p| json::vec(n, p, read_topic))?,
            producers: f
                .get(4, |n, p| json::vec(n, p, read_producer))?
                .unwrap_or_default(),
            consumers: f
                .get(5, |n, p| json::vec(n, p, read_consumer))?
                .unwrap_or_default(),
            actions: f
                .get(6, |n, p| json::vec(n, p, read_action))?
                .unwrap_or_default(),
            until_ms: f.req(7, json::u64)?,
            network: f.opt(8, |n, p| {
                let f = json::object(n, p, &["latency_ms"], None)?;
                Ok(NetworkSpec {
                    latency_ms: f.req(0, json::u64)?,
                })
            })?,
            broker_config: f.get(9, json::string_map)?.unwrap_or_default(),
        })
    }
}

fn read_topic(node: &Node, path: &Path) -> json::Result<TopicSpec> {
    let f = json::object(
        node,
        path,
        &[
            "name",
            "partitions",
            "replication_factor",
            "replica_assignment",
            "config",
        ],
        None,
    )?;
    Ok(TopicSpec {
        name: f.req(0, json::string)?,
        partitions: f.req(1, json::u32)?,
        replication_factor: f.get(2, json::u32)?.unwrap_or(1),
        replica_assignment: f.opt(3, |n, p| json::vec(n, p, read_u32s))?,
        config: f.get(4, json::string_map)?.unwrap_or_default(),
    })
}

fn read_u32s(node: &Node, path: &Path) -> json::Result<Vec<u32>> {
    json::vec(node, path, json::u32)
}

fn read_producer(node: &Node, path: &Path) -> json::Result<ProducerSpec> {
    let f = json::object(node, path, &["name", "config", "custom_partitioner"], None)?;
    Ok(ProducerSpec {
        name: f.req(0, json::string)?,
        config: f.get(1, json::string_map)?.unwrap_or_default(),
        custom_partitioner: f.opt(2, |n, p| {
            let f = json::object(n, p, &["rules", "otherwise", "null_key"], None)?;
            Ok(CustomPartitionerSpec {
                rules: f
                    .get(0, |n, p| json::vec(n, p, read_rule))?
                    .unwrap_or_default(),
                otherwise: f
                    .get(1, |n, p| json::variant(n, p, OTHER_KEYS))?
                    .map_or(OtherKeys::Hash, |i| {
                        [OtherKeys::Hash, OtherKeys::RoundRobin][i]
                    }),
                null_key: f
                    .get(2, |n, p| json::variant(n, p, NULL_KEY_RULES))?
                    .map_or(NullKeyRule::Fail, |i| {
                        [NullKeyRule::Fail, NullKeyRule::RoundRobin][i]
                    }),
            })
        })?,
    })
}

fn read_rule(node: &Node, path: &Path) -> json::Result<PartitionRule> {
    let f = json::object(node, path, &["key", "key_prefix", "partition"], None)?;
    Ok(PartitionRule {
        key: f.opt(0, json::string)?,
        key_prefix: f.opt(1, json::string)?,
        partition: f.req(2, json::u32)?,
    })
}

fn read_consumer(node: &Node, path: &Path) -> json::Result<ConsumerSpec> {
    let f = json::object(node, path, &["name", "topics", "config"], None)?;
    Ok(ConsumerSpec {
        name: f.req(0, json::string)?,
        topics: f.req(1, |n, p| json::vec(n, p, json::string))?,
        config: f.get(2, json::string_map)?.unwrap_or_default(),
    })
}

/// Names as written, in the order of the variants (`as usize` indexes them).
const OTHER_KEYS: &[&str] = &["hash", "round_robin"];
const NULL_KEY_RULES: &[&str] = &["fail", "round_robin"];
pub const SEND_MODES: &[&str] = &["async", "sync", "fire_and_forget"];

impl SendMode {
    pub fn read(node: &Node, path: &Path) -> json::Result<SendMode> {
        json::variant(node, path, SEND_MODES)
            .map(|i| [SendMode::Async, SendMode::Sync, SendMode::FireAndForget][i])
    }

    pub fn name(self) -> &'static str {
        SEND_MODES[self as usize]
    }
}

/// The `action` tag's values, in the order `read_action` builds them.
const ACTIONS: &[&str] = &[
    "send",
    "init_transactions",
    "begin_transaction",
    "commit_transaction",
    "abort_transaction",
    "send_offsets_to_transaction",
    "flush",
    "close",
    "restart_producer",
    "crash_broker",
    "restart_broker",
    "crash_leader",
    "slow_broker",
    "slow_follower",
    "drop_responses",
    "drop_requests",
    "isolate_broker",
    "heal_broker",
];

const SEND_FIELDS: &[&str] = &[
    "at_ms",
    "producer",
    "topic",
    "key",
    "keys",
    "value",
    "value_bytes",
    "partition",
    "count",
    "interval_ms",
    "mode",
];

/// An action: an object whose `action` names the variant, its other fields the variant's.
fn read_action(node: &Node, path: &Path) -> json::Result<Action> {
    let kind = json::tag(node, path, "action", ACTIONS)?;
    let fields = |names| json::object(node, path, names, Some("action"));
    let producer = |f: Fields| -> json::Result<ProducerAction> {
        Ok(ProducerAction {
            at_ms: f.req(0, json::u64)?,
            producer: f.req(1, json::string)?,
        })
    };
    let broker = || -> json::Result<BrokerAction> {
        let f = fields(&["at_ms", "broker", "extra_latency_ms", "count"])?;
        Ok(BrokerAction {
            at_ms: f.req(0, json::u64)?,
            broker: f.req(1, json::u32)?,
            extra_latency_ms: f.opt(2, json::u64)?,
            count: f.opt(3, json::u32)?,
        })
    };
    let producer_action = || producer(fields(&["at_ms", "producer"])?);
    Ok(match kind {
        0 => {
            let f = fields(SEND_FIELDS)?;
            Action::Send(Send {
                at_ms: f.req(0, json::u64)?,
                producer: f.req(1, json::string)?,
                topic: f.req(2, json::string)?,
                key: f.get(3, json::opt_string)?,
                keys: f.opt(4, |n, p| json::vec(n, p, json::opt_string))?,
                value: f.get(5, json::opt_string)?,
                value_bytes: f.opt(6, json::u32)?,
                partition: f.opt(7, json::u32)?,
                count: f.get(8, json::u32)?.unwrap_or(1),
                interval_ms: f.get(9, json::u64)?.unwrap_or(0),
                mode: f.get(10, SendMode::read)?.unwrap_or_default(),
            })
        }
        1 => Action::InitTransactions(producer_action()?),
        2 => Action::BeginTransaction(producer_action()?),
        3 => Action::CommitTransaction(producer_action()?),
        4 => Action::AbortTransaction(producer_action()?),
        5 => {
            let f = fields(&["at_ms", "producer", "group_id", "offsets"])?;
            Action::SendOffsetsToTransaction(SendOffsets {
                at_ms: f.req(0, json::u64)?,
                producer: f.req(1, json::string)?,
                group_id: f.req(2, json::string)?,
                offsets: f.req(3, |n, p| {
                    json::vec(n, p, |n, p| {
                        let f = json::object(n, p, &["topic", "partition", "offset"], None)?;
                        Ok(OffsetSpec {
                            topic: f.req(0, json::string)?,
                            partition: f.req(1, json::u32)?,
                            offset: f.req(2, json::u64)?,
                        })
                    })
                })?,
            })
        }
        6 => Action::Flush(producer_action()?),
        7 => Action::Close(producer_action()?),
        8 => Action::RestartProducer(producer_action()?),
        9 => Action::CrashBroker(broker()?),
        10 => Action::RestartBroker(broker()?),
        11 => {
            let f = fields(&["at_ms", "topic", "partition"])?;
            Action::CrashLeader(PartitionAction {
                at_ms: f.req(0, json::u64)?,
                topic: f.req(1, json::string)?,
                partition: f.req(2, json::u32)?,
            })
        }
        12 => Action::SlowBroker(broker()?),
        13 => Action::SlowFollower(broker()?),
        14 => Action::DropResponses(broker()?),
        15 => Action::DropRequests(broker()?),
        16 => Action::IsolateBroker(broker()?),
        _ => Action::HealBroker(broker()?),
    })
}

impl Action {
    fn write(&self, w: &mut Writer) {
        w.begin_object();
        w.string_field("action", self.name());
        w.u64_field("at_ms", self.at_ms());
        match self {
            Action::Send(s) => {
                w.string_field("producer", &s.producer);
                w.string_field("topic", &s.topic);
                if let Some(key) = &s.key {
                    w.key("key");
                    w.opt_string(key.as_deref());
                }
                if let Some(keys) = &s.keys {
                    w.key("keys");
                    w.begin_array();
                    for k in keys {
                        w.opt_string(k.as_deref());
                    }
                    w.end_array();
                }
                if let Some(value) = &s.value {
                    w.key("value");
                    w.opt_string(value.as_deref());
                }
                write_opt_u64(w, "value_bytes", s.value_bytes.map(u64::from));
                write_opt_u64(w, "partition", s.partition.map(u64::from));
                w.u64_field("count", s.count.into());
                w.u64_field("interval_ms", s.interval_ms);
                w.string_field("mode", s.mode.name());
            }
            Action::SendOffsetsToTransaction(a) => {
                w.string_field("producer", &a.producer);
                w.string_field("group_id", &a.group_id);
                w.key("offsets");
                w.begin_array();
                for o in &a.offsets {
                    w.begin_object();
                    w.string_field("topic", &o.topic);
                    w.u64_field("partition", o.partition.into());
                    w.u64_field("offset", o.offset);
                    w.end_object();
                }
                w.end_array();
            }
            Action::InitTransactions(a)
            | Action::BeginTransaction(a)
            | Action::CommitTransaction(a)
            | Action::AbortTransaction(a)
            | Action::Flush(a)
            | Action::Close(a)
            | Action::RestartProducer(a) => {
                w.string_field("producer", &a.producer);
            }
            Action::CrashLeader(a) => {
                w.string_field("topic", &a.topic);
                w.u64_field("partition", a.partition.into());
            }
            Action::CrashBroker(a)
            | Action::RestartBroker(a)
            | Action::SlowBroker(a)
            | Action::SlowFollower(a)
            | Action::DropResponses(a)
            | Action::DropRequests(a)
            | Action::IsolateBroker(a)
            | Action::HealBroker(a) => {
                w.u64_field("broker", a.broker.into());
                write_opt_u64(w, "extra_latency_ms", a.extra_latency_ms);
                write_opt_u64(w, "count", a.count.map(u64::from));
            }
        }
        w.end_object();
    }
}

fn write_u32s(w: &mut Writer, values: &[u32]) {
    w.begin_array();
    for &v in values {
        w.u64(v.into());
    }
    w.end_array();
}

fn write_opt_u64(w: &mut Writer, key: &str, value: Option<u64>) {
    if let Some(v) = value {
        w.key(key);
        w.u64(v);
    }
}

fn write_opt_string(w: &mut Writer, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        w.key(key);
        w.string(v);
    }
}

/// A config map under `key`; an empty one only if `always`.
pub fn write_map(w: &mut Writer, key: &str, map: &VecMap<String, String>, always: bool) {
    if always || !map.is_empty() {
        w.key(key);
        w.begin_object();
        for (k, v) in map {
            w.key(k);
            w.string(v);
        }
        w.end_object();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_contract_example_shape() {
        let s = Scenario::from_json(
            r#"{"seed":7,"brokers":1,"topics":[{"name":"orders","partitions":3}],
               "producers":[{"name":"p1","config":{"acks":"all"}}],
               "actions":[{"at_ms":0,"action":"send","producer":"p1","topic":"orders","keys":["a",null],"value_bytes":10,"count":5},
                          {"at_ms":0,"action":"send","producer":"p1","topic":"orders","key":null,"value":"x"},
                          {"at_ms":100,"action":"crash_broker","broker":0}],
               "until_ms":1000}"#,
        )
        .unwrap();
        let Action::Send(s0) = &s.actions[0] else {
            panic!()
        };
        assert_eq!(s0.key_at(0), Some("a"));
        assert_eq!(s0.key_at(1), None);
        let Action::Send(s1) = &s.actions[1] else {
            panic!()
        };
        assert_eq!(s1.key, Some(None));
    }

    #[test]
    fn errors_name_their_path() {
        let e = Scenario::from_json(
            r#"{"brokers":1,"topics":[{"name":"t","partitions":"3"}],"until_ms":1}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "topics[0].partitions");
        let e = Scenario::from_json(r#"{"":1,"brokers":1,"topics":[],"until_ms":1}"#).unwrap_err();
        assert_eq!(e.path, "$");
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e =
            Scenario::from_json(r#"{"brokers":1,"topics":[],"until_ms":1,"bogus":1}"#).unwrap_err();
        assert!(e.message.contains("unknown field `bogus`"), "{e}");
        let e = Scenario::from_json("{").unwrap_err();
        assert_eq!(e.path, "$");
    }

    #[test]
    fn every_action_reads_as_its_name_and_writes_back_the_same() {
        let fields = |name: &str| match name {
            "send" => {
                r#""producer":"p","topic":"t","key":null,"keys":["a",null],"value":"v","value_bytes":3,"partition":0,"count":2,"interval_ms":1,"mode":"sync""#
            }
            "send_offsets_to_transaction" => {
                r#""producer":"p","group_id":"g","offsets":[{"topic":"t","partition":0,"offset":5}]"#
            }
            "crash_leader" => r#""topic":"t","partition":1"#,
            n if n.contains("broker") || n.starts_with("drop") || n == "slow_follower" => {
                r#""broker":0,"extra_latency_ms":5,"count":2"#
            }
            _ => r#""producer":"p""#,
        };
        let actions: Vec<String> = ACTIONS
            .iter()
            .map(|a| format!(r#"{{"action":"{a}","at_ms":1,{}}}"#, fields(a)))
            .collect();
        let text = format!(
            r#"{{"seed":1,"kafka_version":"3.9","brokers":2,
               "topics":[{{"name":"t","partitions":2,"replica_assignment":[[0,1],[1,0]],"config":{{"a":"b"}}}}],
               "producers":[{{"name":"p","custom_partitioner":{{"rules":[{{"key":"k","partition":1}},{{"key_prefix":"x","partition":0}}],"otherwise":"round_robin"}}}}],
               "consumers":[{{"name":"c","topics":["t"]}}],
               "actions":[{}],"until_ms":10,"network":{{"latency_ms":3}},"broker_config":{{"x":"y"}}}}"#,
            actions.join(",")
        );
        let s = Scenario::from_json(&text).unwrap();
        let names: Vec<&str> = s.actions.iter().map(Action::name).collect();
        assert_eq!(names, ACTIONS);
        assert_eq!(Scenario::from_json(&s.to_json_pretty()), Ok(s));
    }
}
