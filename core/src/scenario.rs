//! The scenario file (`shared/SCENARIO.md`): one JSON document drives the app, the tests
//! and the CLI. Parsing reports every problem with its JSON path.

use serde::{Deserialize, Deserializer, Serialize};
// Not `VecMap`: the config maps are the type the tests, the CLI and the app build and
// `config::*::parse` reads; it is one key/value type, so one B-tree in the bundle.
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka_version: Option<String>,
    pub brokers: u32,
    pub topics: Vec<TopicSpec>,
    #[serde(default)]
    pub producers: Vec<ProducerSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<ConsumerSpec>,
    #[serde(default)]
    pub actions: Vec<Action>,
    pub until_ms: u64,
    /// Kafka Lab's own extension: the simulated network between every two nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkSpec>,
    /// Kafka Lab's own extension: broker configs (`server.properties`, Kafka's names and
    /// string values), the same on every broker.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub broker_config: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    #[serde(default = "one")]
    pub replication_factor: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_assignment: Option<Vec<Vec<u32>>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, String>,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProducerSpec {
    pub name: String,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Kafka Lab's stand-in for a user's `Partitioner` class: used when `config` sets
    /// `partitioner.class` to `CustomPartitioner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_partitioner: Option<CustomPartitionerSpec>,
}

/// A partitioner written as a table: the first rule whose key matches decides; other keys
/// follow `otherwise`, null keys `null_key`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CustomPartitionerSpec {
    #[serde(default)]
    pub rules: Vec<PartitionRule>,
    #[serde(default)]
    pub otherwise: OtherKeys,
    #[serde(default)]
    pub null_key: NullKeyRule,
}

/// `key` (equals) or `key_prefix` (starts with), compared with the key as written.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartitionRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OtherKeys {
    /// `toPositive(murmur2(keyBytes)) % numPartitions`, as the seed's example does.
    #[default]
    Hash,
    RoundRobin,
}

/// Records without a key.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NullKeyRule {
    /// `throw new InvalidRecordException("Need message key")`, as the seed's example does.
    #[default]
    Fail,
    RoundRobin,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub name: String,
    pub topics: Vec<String>,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency of every message, in milliseconds.
    pub latency_ms: u64,
}

/// How `send` waits for its result (seed §3).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SendMode {
    #[default]
    Async,
    Sync,
    FireAndForget,
}

/// `"key": null` is a null key, an absent `key` means "not given".
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Send {
    pub at_ms: u64,
    pub producer: String,
    pub topic: String,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub key: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<Option<String>>>,
    /// `"value": null` sends a null value (a tombstone).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_bytes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<u32>,
    #[serde(default = "count_one")]
    pub count: u32,
    #[serde(default)]
    pub interval_ms: u64,
    #[serde(default)]
    pub mode: SendMode,
}

fn count_one() -> u32 {
    1
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

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProducerAction {
    pub at_ms: u64,
    pub producer: String,
}

/// `sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata(group_id))`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SendOffsets {
    pub at_ms: u64,
    pub producer: String,
    pub group_id: String,
    pub offsets: Vec<OffsetSpec>,
}

/// The next offset a group should read of a partition.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OffsetSpec {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BrokerAction {
    pub at_ms: u64,
    pub broker: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartitionAction {
    pub at_ms: u64,
    pub topic: String,
    pub partition: u32,
}

/// Every action of the contract. Parsing accepts them all so that a file written for a
/// newer build is read correctly; validation says which ones this build can run.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case")]
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
        serde_json::from_str(text).map_err(|e| {
            let path = crate::json_path::path_at(text, e.line(), e.column());
            // The root, or a key with no name (`{"": 1}`, found by tests/fuzz.rs).
            let path = if path == "." || path.is_empty() {
                "$".to_string()
            } else {
                path
            };
            // serde_json appends " at line L column C": keep it, it helps hand editors.
            ScenarioError::new(path, e.to_string())
        })
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serializes")
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
}
