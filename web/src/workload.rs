//! The app's controls and the scenario they describe. Every change builds a new scenario;
//! the simulation is then replayed from t=0 to the current moment, because a Kafka
//! producer's config is fixed when it is constructed.

use crate::decimal::Fixed;
use crate::i18n::Lang;
use crate::share::{link_error, refuse, LinkError, Reason};
use kafka_lab::config::{
    broker_config_available, partitioner_class_available, producer_default, CUSTOM_PARTITIONER,
};
use kafka_lab::scenario::{
    Action, BrokerAction, ConsumerSpec, CustomPartitionerSpec, NetworkSpec, NullKeyRule,
    OffsetSpec, OtherKeys, PartitionRule, ProducerAction, ProducerSpec, Scenario, Send, SendMode,
    SendOffsets, TopicSpec,
};
use kafka_lab::serializer::{Serialized, Serializer};
use kafka_lab::vec_map::VecMap;
use kafka_lab::version::KafkaVersion;
use std::rc::Rc;

/// Which keys the demo producer sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPattern {
    /// `key = null`: the partitioner's sticky path.
    Null,
    /// One key: every record in one partition.
    Single,
    /// A few city names, as in the course notes.
    Cities,
    /// 1,000 distinct user ids.
    Users,
}

const CITIES: [&str; 6] = ["Pangyo", "Seoul", "Busan", "Gwangju", "Jeju", "Daejeon"];

impl KeyPattern {
    pub const ALL: [KeyPattern; 4] = [
        KeyPattern::Cities,
        KeyPattern::Single,
        KeyPattern::Users,
        KeyPattern::Null,
    ];

    pub fn id(self) -> &'static str {
        match self {
            KeyPattern::Null => "null",
            KeyPattern::Single => "single",
            KeyPattern::Cities => "cities",
            KeyPattern::Users => "users",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            KeyPattern::Null => lang.pick("null (no key)", "null (키 없음)"),
            KeyPattern::Single => lang.pick("one key", "키 하나"),
            KeyPattern::Cities => lang.pick("6 cities", "도시 6개"),
            KeyPattern::Users => lang.pick("1,000 user ids", "사용자 ID 1,000개"),
        }
    }

    pub fn parse(s: &str) -> Option<KeyPattern> {
        KeyPattern::ALL.into_iter().find(|k| k.id() == s)
    }

    /// The keys as the application holds them, written for `serializer`: names for
    /// strings (hex of their UTF-8 for `byte[]`), numbers for Integer/Long/Double, and
    /// only null for `VoidSerializer`.
    fn keys(self, serializer: Serializer) -> Vec<Option<String>> {
        let ids: Vec<usize> = match self {
            KeyPattern::Null => return vec![None],
            KeyPattern::Single => vec![0],
            KeyPattern::Cities => (0..CITIES.len()).collect(),
            KeyPattern::Users => (0..1000).collect(),
        };
        let name = |i: usize| match self {
            KeyPattern::Users => format!("user-{i}"),
            _ => CITIES[i].to_string(),
        };
        ids.into_iter()
            .map(|i| match serializer {
                Serializer::String => Some(name(i)),
                Serializer::ByteArray => {
                    Some(name(i).bytes().map(|b| format!("{b:02x}")).collect())
                }
                Serializer::Integer | Serializer::Long => Some((i + 1).to_string()),
                Serializer::Double => Some(format!("{}.5", i + 1)),
                Serializer::Void => None,
            })
            .collect()
    }
}

/// Everything the control panel can change.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub kafka_version: String,
    /// Broker configs the user set, the same on every broker (the scenario's
    /// `broker_config`); unset ones take Kafka's defaults.
    pub broker: VecMap<String, String>,
    /// Producer properties the user set, with Kafka's names and string values; the rest
    /// take the version's defaults, exactly as an unset property in a `.properties` file.
    pub producer: VecMap<String, String>,
    pub partitions: u32,
    pub replication_factor: u32,
    /// Topic configs the user set (`min.insync.replicas`, …); unset ones take Kafka's defaults.
    pub topic: VecMap<String, String>,
    /// Consumer configs the user set, for both consumers (each keeps its `isolation.level`).
    pub consumer: VecMap<String, String>,
    pub keys: KeyPattern,
    /// Records per second.
    pub rate: u32,
    pub value_bytes: u32,
    pub latency_ms: u64,
    /// How the application calls `send()` (seed §3).
    pub mode: SendMode,
    /// Faults the user injected, in the order they were asked for.
    pub faults: Vec<Fault>,
    /// `Some`: the producer is transactional and the application's calls are these steps
    /// (a starter script, then what the user clicked), instead of the steady stream.
    pub transactions: Option<Vec<TxnStep>>,
    /// `Some`: a scenario file (SCENARIO.md) the user opened. Its cluster, topics,
    /// clients, actions, seed and length stand; the Kafka version, the broker, producer,
    /// topic and consumer configs, the latency and the faults of the panels apply on top
    /// (see `scenario`); the workload controls do not.
    pub file: Option<Rc<ScenarioFile>>,
}

/// A scenario file as opened: its name (shown, and offered again on save) and contents.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioFile {
    pub name: String,
    pub scenario: Scenario,
}

/// The longest run and the most records the app plays from a file: a replay from t = 0
/// follows every edit and every step back, so it has to stay quick. The CLI runs anything.
pub const MAX_FILE_RUN_MS: u64 = 600_000;
pub const MAX_FILE_RECORDS: u64 = 600_000;
/// The most bytes of keys and values a run in the app may hold. The app keeps every
/// record of the run (to step back to any moment) in wasm memory, which ends at 4 GiB;
/// 10,000 records/s of 10 KB for a minute would be 6 GB, and the page would die. A GiB
/// leaves room for the rest of the run; the panels' own choices stay below it (10,000
/// records/s of 1,000 bytes for a minute is 600 MB).
pub const MAX_RECORD_BYTES: u64 = 1 << 30;

/// What the sends of `scenario` hold in keys and values: random `byte[]` values are
/// also kept as their hex text (three bytes each).
pub fn record_bytes(scenario: &Scenario) -> u64 {
    scenario
        .actions
        .iter()
        .map(|a| match a {
            Action::Send(s) => {
                let bytes_value = scenario
                    .producers
                    .iter()
                    .find(|p| p.name == s.producer)
                    .and_then(|p| p.config.get("value.serializer"))
                    .and_then(|c| Serializer::from_class(c))
                    == Some(Serializer::ByteArray);
                let value = match (&s.value, s.value_bytes) {
                    (Some(v), _) => v.as_ref().map_or(0, String::len) as u64,
                    (None, Some(n)) if bytes_value => 3 * n as u64,
                    (None, n) => n.unwrap_or(0) as u64,
                };
                let key = match (&s.key, &s.keys) {
                    (Some(k), _) => k.as_ref().map_or(0, String::len),
                    (None, Some(keys)) => keys.iter().flatten().map(String::len).max().unwrap_or(0),
                    (None, None) => 0,
                } as u64;
                s.count as u64 * (key + value)
            }
            _ => 0,
        })
        .sum()
}

/// `bytes` for people: "6.0 GB", "1 GiB".
pub fn size(bytes: u64) -> String {
    if bytes % (1 << 30) == 0 {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1_000_000_000 {
        format!("{} GB", Fixed(bytes as f64 / 1e9, 1))
    } else {
        format!("{} MB", Fixed(bytes as f64 / 1e6, 1))
    }
}
/// Per-client identities a panel edit never copies from the first client to the others.
const OWN_PRODUCER_PROPS: [&str; 2] = ["transactional.id", "client.id"];
const OWN_CONSUMER_PROPS: [&str; 3] = ["isolation.level", "group.id", "client.id"];

/// `config` with the panel's edits. The panel shows the first client's config (`first`,
/// less `own`); what differs there from `first` was changed by the user, and is changed
/// here too (set, or unset); everything else stays as the file has it.
fn overlay(
    config: &VecMap<String, String>,
    first: &VecMap<String, String>,
    panel: &VecMap<String, String>,
    own: &[&str],
) -> VecMap<String, String> {
    let mut config = config.clone();
    let mut names = kafka_lab::vec_map::VecSet::new();
    names.extend(first.keys().chain(panel.keys()));
    for name in names {
        if own.contains(&name.as_str()) || first.get(name) == panel.get(name) {
            continue;
        }
        match panel.get(name) {
            Some(value) => config.insert(name.clone(), value.clone()),
            None => config.remove(name),
        };
    }
    config
}

/// A transactional application's call, or a second instance starting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnKind {
    Begin,
    /// Three records, to the workload's next keys.
    Send,
    Commit,
    Abort,
    /// A second instance with the same `transactional.id` calls `initTransactions()`.
    Zombie,
    /// `sendOffsetsToTransaction`: the read_committed consumer's positions, for group
    /// `GROUP` (read-process-write).
    SendOffsets,
}

impl TxnKind {
    /// The call as the application writes it (Java method names stay as they are).
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            TxnKind::Begin => "beginTransaction()",
            TxnKind::Send => lang.pick("send() × 3", "send() 3번"),
            TxnKind::Commit => "commitTransaction()",
            TxnKind::Abort => "abortTransaction()",
            TxnKind::Zombie => lang.pick(
                "second instance: initTransactions()",
                "두 번째 인스턴스: initTransactions()",
            ),
            TxnKind::SendOffsets => "sendOffsetsToTransaction()",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnStep {
    pub at_ms: u64,
    pub kind: TxnKind,
    /// For `SendOffsets`: (partition, next offset), as the consumer had them at the click.
    pub offsets: Vec<(u32, u64)>,
}

/// The group the read-process-write demo commits its offsets for.
pub const GROUP: &str = "orders-processor";

/// The producers' `transactional.id` in transactional mode.
pub const TRANSACTIONAL_ID: &str = "orders-app";
pub const PRODUCER: &str = "producer-1";
pub const ZOMBIE: &str = "producer-1-zombie";
/// The two consumers every run has, side by side.
pub const CONSUMERS: [(&str, &str); 2] = [
    ("read_committed", "read_committed"),
    ("read_uncommitted", "read_uncommitted"),
];

/// What transactional mode starts with: one committed transaction, then one aborted.
pub fn starter_transactions() -> Vec<TxnStep> {
    use TxnKind::*;
    [
        (300, Begin),
        (400, Send),
        (1_500, Commit),
        (2_000, Begin),
        (2_100, Send),
        (3_200, Abort),
    ]
    .into_iter()
    .map(|(at_ms, kind)| TxnStep {
        at_ms,
        kind,
        offsets: Vec::new(),
    })
    .collect()
}

/// Which fault the user injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The broker's fetches to its leaders take 60 s longer from then on
    /// (`slow_follower`), enough to fall out of the ISR.
    SlowFollower,
    /// The next produce request to the broker never reaches it (`drop_requests`).
    DropRequest,
    /// The broker handles the next produce request but its response is lost
    /// (`drop_responses`).
    DropResponse,
    /// The broker's process dies (`crash_broker`) / a new one starts on its disk
    /// (`restart_broker`).
    Crash,
    Restart,
    /// The network cuts the broker off from everyone (`isolate_broker`) / lets it back in
    /// (`heal_broker`).
    Isolate,
    Heal,
    /// The application restarts its producer (`restart_producer`; the broker is unused).
    RestartProducer,
}

impl FaultKind {
    /// What the fault list says of it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            FaultKind::DropRequest => lang.pick("request lost", "요청 유실"),
            FaultKind::DropResponse => lang.pick("response lost", "응답 유실"),
            FaultKind::SlowFollower => lang.pick("fetches 60 s slower", "fetch가 60초 느려짐"),
            FaultKind::Crash => lang.pick("crashed", "다운"),
            FaultKind::Restart => lang.pick("restarted", "재시작"),
            FaultKind::Isolate => lang.pick("cut off from the network", "네트워크에서 격리"),
            FaultKind::Heal => lang.pick("reachable again", "네트워크 복구"),
            FaultKind::RestartProducer => lang.pick(
                "producer restarted: new producer id, unacknowledged records re-sent",
                "프로듀서 재시작: 새 프로듀서 ID로 확인 못 받은 레코드를 다시 보냄",
            ),
        }
    }
}

/// A fault injected at a moment of the run; it replays with the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub at_ms: u64,
    pub kind: FaultKind,
    pub broker: u32,
}

/// Virtual length of the demo run.
pub const RUN_MS: u64 = 60_000;
/// The fastest records/s the workload offers (a benchmark of the animation runs it).
pub const MAX_RATE: u32 = 10_000;
pub const BROKERS: u32 = 3;
/// Largest value and one-way latency the app accepts (a link may ask for anything).
pub const MAX_VALUE_BYTES: u32 = 10_000;
pub const MAX_LATENCY_MS: u64 = 1_000;
pub const TOPIC: &str = "orders";
/// How much slower a "slow follower" fetches: longer than `replica.lag.time.max.ms`'s
/// default.
pub const SLOW_FOLLOWER_MS: u64 = 60_000;

/// The seed's `CustomPartitioner` (§4.2): "Pangyo" → 0, other keys by hash, no key fails.
pub fn seed_custom_partitioner() -> CustomPartitionerSpec {
    CustomPartitionerSpec {
        rules: vec![PartitionRule {
            key: Some("Pangyo".into()),
            key_prefix: None,
            partition: 0,
        }],
        otherwise: OtherKeys::Hash,
        null_key: NullKeyRule::Fail,
    }
}

impl Default for Workload {
    fn default() -> Self {
        // Small batches and a visible linger, so batching can be watched.
        let producer = [("batch.size", "1024"), ("linger.ms", "20")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        Workload {
            kafka_version: "4.0".into(),
            broker: VecMap::new(),
            producer,
            partitions: 3,
            replication_factor: 1,
            topic: VecMap::new(),
            consumer: VecMap::new(),
            keys: KeyPattern::Cities,
            rate: 100,
            value_bytes: 100,
            latency_ms: 10,
            mode: SendMode::Async,
            faults: Vec::new(),
            transactions: None,
            file: None,
        }
    }
}

/// A control the user changed, with the raw value from the form.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    KafkaVersion(String),
    /// A producer property; an empty value unsets it (back to the default).
    Producer(String, String),
    Partitions(String),
    ReplicationFactor(String),
    /// A broker config for every broker; an empty value unsets it.
    Broker(String, String),
    /// A topic config; an empty value unsets it.
    Topic(String, String),
    /// A consumer config for both consumers; an empty value unsets it.
    Consumer(String, String),
    Keys(String),
    Rate(String),
    ValueBytes(String),
    LatencyMs(String),
    Mode(String),
    /// Transactional mode on or off.
    Transactions(bool),
}

/// Why a control's value was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingError {
    /// The form sent something that is not a number.
    NotANumber { field: &'static str, raw: String },
    /// A number outside what the app shows.
    OutOfRange {
        field: &'static str,
        min: u32,
        max: u32,
    },
    /// A choice the app does not offer.
    Unknown { field: &'static str, raw: String },
    /// Kafka's own words (its validation messages stay as Kafka writes them).
    Kafka(String),
    /// A scenario file the app cannot open: its name and each problem, by JSON path.
    File {
        name: String,
        problems: Vec<LinkError>,
    },
    /// A workload control, while a scenario file decides the workload.
    SetByFile { field: &'static str },
    /// The run would hold more record data than the app keeps (`MAX_RECORD_BYTES`).
    TooMuchData { field: String, bytes: u64 },
}

impl SettingError {
    /// The app's own explanation; `None` for Kafka's messages, which are shown verbatim.
    pub fn text(&self, lang: Lang) -> Option<String> {
        let e = link_error(self.clone());
        match self {
            SettingError::Kafka(_) => None,
            // Named by the file.
            SettingError::File { .. } => Some(e.reason.text(lang)),
            _ => Some(e.text(lang)),
        }
    }
}

/// The send modes of the seed, as the panel offers them: mode, id, English, Korean.
pub const MODES: [(SendMode, &str, &str, &str); 3] = [
    (
        SendMode::Async,
        "async",
        "async + callback",
        "비동기 + 콜백",
    ),
    (
        SendMode::Sync,
        "sync",
        "sync: send().get()",
        "동기: send().get()",
    ),
    (
        SendMode::FireAndForget,
        "fire_and_forget",
        "fire-and-forget",
        "보내고 잊기 (fire-and-forget)",
    ),
];

impl Workload {
    /// A scenario file's text, opened as the app runs it: its panels show the first
    /// producer's, topic's and consumer's configs. Refused with every problem (JSON path
    /// first) if it is not a scenario, or longer or bigger than the app plays; Kafka's
    /// rules are checked when the run is built, as for any edit.
    pub fn from_file(name: &str, text: &str) -> Result<Workload, SettingError> {
        let scenario = Scenario::from_json(text).map_err(|e| SettingError::File {
            name: name.to_string(),
            problems: vec![refuse(e.path, Reason::Verbatim(e.message))],
        })?;
        Workload::of_file(name, scenario)
    }

    /// A scenario, as a file named `name` (see `from_file`).
    pub fn of_file(name: &str, scenario: Scenario) -> Result<Workload, SettingError> {
        let mut problems = Vec::new();
        if scenario.until_ms > MAX_FILE_RUN_MS {
            problems.push(refuse("until_ms", Reason::RunTooLong));
        }
        let records: u64 = scenario
            .actions
            .iter()
            .map(|a| match a {
                Action::Send(s) => s.count as u64,
                _ => 0,
            })
            .sum();
        if records > MAX_FILE_RECORDS {
            problems.push(refuse("actions", Reason::TooManyRecords(records)));
        }
        let bytes = record_bytes(&scenario);
        if bytes > MAX_RECORD_BYTES {
            problems.push(refuse("actions", Reason::TooMuchData(bytes, false)));
        }
        if scenario
            .network
            .as_ref()
            .is_some_and(|n| n.latency_ms > MAX_LATENCY_MS)
        {
            problems.push(refuse(
                "network.latency_ms",
                Reason::Range(0, MAX_LATENCY_MS as u32),
            ));
        }
        if scenario.topics.len() > 1 {
            problems.push(refuse("topics", Reason::Topics(scenario.topics.len())));
        }
        if scenario.producers.is_empty() {
            problems.push(refuse("producers", Reason::NoProducer));
        }
        if !problems.is_empty() {
            return Err(SettingError::File {
                name: name.to_string(),
                problems,
            });
        }
        let first = |configs: Option<&VecMap<String, String>>, own: &[&str]| {
            configs
                .into_iter()
                .flatten()
                .filter(|(k, _)| !own.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<VecMap<_, _>>()
        };
        let topic = scenario.topics.first();
        Ok(Workload {
            kafka_version: scenario
                .kafka_version
                .clone()
                .unwrap_or_else(|| KafkaVersion::latest().to_string()),
            broker: scenario.broker_config.clone(),
            producer: first(
                scenario.producers.first().map(|p| &p.config),
                &OWN_PRODUCER_PROPS,
            ),
            partitions: topic.map_or(1, |t| t.partitions),
            replication_factor: topic.map_or(1, |t| t.replication_factor),
            topic: first(topic.map(|t| &t.config), &[]),
            consumer: first(
                scenario.consumers.first().map(|c| &c.config),
                &OWN_CONSUMER_PROPS,
            ),
            latency_ms: scenario
                .network
                .as_ref()
                .map_or(kafka_lab::sim::DEFAULT_LATENCY_MS, |n| n.latency_ms),
            file: Some(Rc::new(ScenarioFile {
                name: name.to_string(),
                scenario,
            })),
            ..Workload::default()
        })
    }

    /// How many brokers the run has.
    pub fn brokers(&self) -> u32 {
        self.file.as_ref().map_or(BROKERS, |f| f.scenario.brokers)
    }

    /// How long the run is, in virtual ms.
    pub fn until_ms(&self) -> u64 {
        self.file.as_ref().map_or(RUN_MS, |f| f.scenario.until_ms)
    }

    pub fn version(&self) -> KafkaVersion {
        KafkaVersion::parse(&self.kafka_version).unwrap_or_else(|_| KafkaVersion::latest())
    }

    /// The topic's `min.insync.replicas` (a value Kafka refuses never reaches a workload).
    pub fn min_insync_replicas(&self) -> u32 {
        self.topic
            .get("min.insync.replicas")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1)
    }

    /// The serializer the keys are written for (unknown names fall back to String; the
    /// core reports them).
    pub fn key_serializer(&self) -> Serializer {
        self.producer
            .get("key.serializer")
            .and_then(|c| Serializer::from_class(c))
            .unwrap_or(Serializer::String)
    }

    /// The workload's distinct non-null keys, serialized as the producer will.
    pub fn serialized_keys(&self) -> Vec<Serialized> {
        let serializer = self.key_serializer();
        self.keys
            .keys(serializer)
            .iter()
            .filter_map(|k| serializer.serialize(k.as_deref()).ok().flatten())
            .collect()
    }

    /// Applies one change, or says why the value is not acceptable.
    pub fn with(&self, setting: &Setting) -> Result<Workload, SettingError> {
        fn num<T: std::str::FromStr>(field: &'static str, raw: &str) -> Result<T, SettingError> {
            raw.trim().parse().map_err(|_| SettingError::NotANumber {
                field,
                raw: raw.to_string(),
            })
        }
        let range = |field, min, max| SettingError::OutOfRange { field, min, max };
        if self.file.is_some() {
            let field = match setting {
                Setting::Partitions(_) => Some("partitions"),
                Setting::ReplicationFactor(_) => Some("replication factor"),
                Setting::Keys(_) => Some("keys"),
                Setting::Rate(_) => Some("rate"),
                Setting::ValueBytes(_) => Some("value size"),
                Setting::Mode(_) => Some("send mode"),
                Setting::Transactions(_) => Some("transactions"),
                _ => None,
            };
            if let Some(field) = field {
                return Err(SettingError::SetByFile { field });
            }
        }
        let mut w = self.clone();
        match setting {
            Setting::KafkaVersion(v) => {
                let version = KafkaVersion::parse(v)
                    .map_err(|e| SettingError::Kafka(format!("kafka_version: {e}")))?;
                w.kafka_version = v.clone();
                // Properties the release does not have are dropped, not carried over.
                w.broker
                    .retain(|name, _| broker_config_available(name, version));
                w.producer.retain(|name, value| {
                    producer_default(name, version).is_some()
                        && (name != "partitioner.class"
                            || partitioner_class_available(value, version))
                });
            }
            Setting::Producer(name, value) if value.is_empty() => {
                w.producer.remove(name);
            }
            Setting::Producer(name, value) => {
                w.producer.insert(name.clone(), value.clone());
            }
            Setting::Partitions(v) => {
                let n: u32 = num("partitions", v)?;
                if !(1..=12).contains(&n) {
                    return Err(range("partitions", 1, 12));
                }
                w.partitions = n;
            }
            Setting::ReplicationFactor(v) => {
                let n: u32 = num("replication factor", v)?;
                if !(1..=BROKERS).contains(&n) {
                    return Err(SettingError::Kafka(format!(
                        "replication factor: Replication factor: {n} larger than available brokers: {BROKERS}."
                    )));
                }
                w.replication_factor = n;
            }
            // Kafka's own parsers judge these values when the run is built.
            Setting::Broker(name, value)
            | Setting::Topic(name, value)
            | Setting::Consumer(name, value) => {
                let map = match setting {
                    Setting::Broker(..) => &mut w.broker,
                    Setting::Topic(..) => &mut w.topic,
                    _ => &mut w.consumer,
                };
                if value.is_empty() {
                    map.remove(name);
                } else {
                    map.insert(name.clone(), value.clone());
                }
            }
            Setting::Keys(v) => {
                w.keys = KeyPattern::parse(v).ok_or_else(|| SettingError::Unknown {
                    field: "keys",
                    raw: v.clone(),
                })?
            }
            Setting::Rate(v) => {
                let r: u32 = num("rate", v)?;
                if !(1..=MAX_RATE).contains(&r) {
                    return Err(range("rate", 1, MAX_RATE));
                }
                // Above 1,000/s only whole thousands (see `application_actions`).
                if r > 1000 && r % 1000 != 0 {
                    return Err(SettingError::Unknown {
                        field: "rate",
                        raw: v.clone(),
                    });
                }
                w.rate = r;
            }
            Setting::ValueBytes(v) => {
                let n: u32 = num("value size", v)?;
                if !(1..=MAX_VALUE_BYTES).contains(&n) {
                    return Err(range("value size", 1, MAX_VALUE_BYTES));
                }
                w.value_bytes = n;
            }
            Setting::LatencyMs(v) => {
                let n: u64 = num("latency", v)?;
                if n > MAX_LATENCY_MS {
                    return Err(range("latency", 0, MAX_LATENCY_MS as u32));
                }
                w.latency_ms = n;
            }
            Setting::Transactions(on) => {
                w.transactions = on.then(starter_transactions);
            }
            Setting::Mode(v) => {
                w.mode = MODES
                    .iter()
                    .find(|(_, id, _, _)| id == v)
                    .map(|(m, _, _, _)| *m)
                    .ok_or_else(|| SettingError::Unknown {
                        field: "send mode",
                        raw: v.clone(),
                    })?
            }
        }
        let bytes = record_bytes(&w.scenario());
        if bytes > MAX_RECORD_BYTES {
            let field = match setting {
                Setting::Rate(_) => "rate".into(),
                Setting::ValueBytes(_) => "value size".into(),
                Setting::Producer(name, _) => name.clone(),
                _ => "record data".into(),
            };
            return Err(SettingError::TooMuchData { field, bytes });
        }
        Ok(w)
    }

    /// The application's sends: the steady stream, or in transactional mode the calls
    /// of the steps (each `send` three records, starting at the next unused key).
    fn application_actions(&self) -> Vec<Action> {
        let keys = self.keys.keys(self.key_serializer());
        let send = |at_ms: u64, count: u32, interval_ms: u64, keys: Vec<Option<String>>| {
            Action::Send(Send {
                at_ms,
                producer: PRODUCER.into(),
                topic: TOPIC.into(),
                key: None,
                keys: Some(keys),
                value: None,
                value_bytes: Some(self.value_bytes),
                partition: None,
                count,
                interval_ms,
                mode: self.mode,
            })
        };
        let Some(steps) = &self.transactions else {
            if self.rate <= 1000 {
                let interval_ms = (1000 / self.rate.max(1)) as u64;
                let count = (RUN_MS / interval_ms.max(1)) as u32;
                return vec![send(0, count, interval_ms, keys)];
            }
            // Intervals are whole ms: above 1,000/s, `per_ms` senders each send one record
            // a millisecond. Sender j's i-th record is the stream's (i·per_ms + j)-th, so it
            // takes that key, and the keys interleave exactly as one fast sender's would.
            let per_ms = (self.rate / 1000) as usize;
            return (0..per_ms)
                .map(|j| {
                    let keys = (0..keys.len())
                        .map(|i| keys[(i * per_ms + j) % keys.len()].clone())
                        .collect();
                    send(0, RUN_MS as u32, 1, keys)
                })
                .collect();
        };
        let call = |at_ms: u64, producer: &str| ProducerAction {
            at_ms,
            producer: producer.into(),
        };
        let mut actions = vec![Action::InitTransactions(call(0, PRODUCER))];
        let mut next_key = 0;
        for step in steps {
            actions.push(match step.kind {
                TxnKind::Begin => Action::BeginTransaction(call(step.at_ms, PRODUCER)),
                TxnKind::Commit => Action::CommitTransaction(call(step.at_ms, PRODUCER)),
                TxnKind::Abort => Action::AbortTransaction(call(step.at_ms, PRODUCER)),
                TxnKind::Zombie => Action::InitTransactions(call(step.at_ms, ZOMBIE)),
                TxnKind::SendOffsets => Action::SendOffsetsToTransaction(SendOffsets {
                    at_ms: step.at_ms,
                    producer: PRODUCER.into(),
                    group_id: GROUP.into(),
                    offsets: step
                        .offsets
                        .iter()
                        .map(|&(partition, offset)| OffsetSpec {
                            topic: TOPIC.into(),
                            partition,
                            offset,
                        })
                        .collect(),
                }),
                TxnKind::Send => {
                    let rotated = (0..keys.len())
                        .map(|i| keys[(next_key + i) % keys.len()].clone())
                        .collect();
                    next_key += 3;
                    send(step.at_ms, 3, 0, rotated)
                }
            });
        }
        actions
    }

    /// The injected faults as actions; a restart of `producer` (the stage's), which a
    /// `transactional` application follows with `initTransactions()`.
    fn fault_actions(&self, producer: Option<&str>, transactional: bool) -> Vec<Action> {
        let mut actions = Vec::new();
        for f in &self.faults {
            let a = BrokerAction {
                at_ms: f.at_ms,
                broker: f.broker,
                extra_latency_ms: None,
                count: Some(1),
            };
            let bare = BrokerAction { count: None, ..a };
            let call = |producer: &str| ProducerAction {
                at_ms: f.at_ms,
                producer: producer.into(),
            };
            let action = match f.kind {
                FaultKind::DropRequest => Action::DropRequests(a),
                FaultKind::DropResponse => Action::DropResponses(a),
                FaultKind::Crash => Action::CrashBroker(bare),
                FaultKind::Restart => Action::RestartBroker(bare),
                FaultKind::Isolate => Action::IsolateBroker(bare),
                FaultKind::Heal => Action::HealBroker(bare),
                FaultKind::RestartProducer => {
                    let Some(producer) = producer else { continue };
                    if transactional {
                        actions.push(Action::RestartProducer(call(producer)));
                        Action::InitTransactions(call(producer))
                    } else {
                        Action::RestartProducer(call(producer))
                    }
                }
                FaultKind::SlowFollower => Action::SlowFollower(BrokerAction {
                    extra_latency_ms: Some(SLOW_FOLLOWER_MS),
                    count: None,
                    ..a
                }),
            };
            actions.push(action);
        }
        actions
    }

    /// A file's scenario with the panels' edits: every producer, topic and consumer takes
    /// what was changed on the panel showing the first one; faults follow its actions.
    fn file_scenario(&self, base: &Scenario) -> Scenario {
        let mut s = base.clone();
        s.kafka_version = Some(self.kafka_version.clone());
        // One map for every broker: the panel's is the file's, edited.
        s.broker_config = self.broker.clone();
        let first = |c: Option<&VecMap<String, String>>| c.cloned().unwrap_or_default();
        let p0 = first(base.producers.first().map(|p| &p.config));
        for p in &mut s.producers {
            p.config = overlay(&p.config, &p0, &self.producer, &OWN_PRODUCER_PROPS);
        }
        let t0 = first(base.topics.first().map(|t| &t.config));
        for t in &mut s.topics {
            t.config = overlay(&t.config, &t0, &self.topic, &[]);
        }
        let c0 = first(base.consumers.first().map(|c| &c.config));
        for c in &mut s.consumers {
            c.config = overlay(&c.config, &c0, &self.consumer, &OWN_CONSUMER_PROPS);
        }
        s.network = Some(NetworkSpec {
            latency_ms: self.latency_ms,
        });
        let producer = s.producers.first();
        let transactional = producer.is_some_and(|p| p.config.contains_key("transactional.id"));
        let faults = self.fault_actions(producer.map(|p| p.name.as_str()), transactional);
        s.actions.extend(faults);
        s
    }

    /// The scenario these controls describe: one producer sending at `rate` for a minute
    /// (or making the transactional calls of the steps), two consumers reading.
    pub fn scenario(&self) -> Scenario {
        if let Some(file) = &self.file {
            return self.file_scenario(&file.scenario);
        }
        let custom = self
            .producer
            .get("partitioner.class")
            .is_some_and(|c| c == CUSTOM_PARTITIONER);
        let mut config = self.producer.clone();
        if self.transactions.is_some() {
            config.insert("transactional.id".into(), TRANSACTIONAL_ID.into());
        }
        let producer = |name: &str| ProducerSpec {
            name: name.into(),
            config: config.clone(),
            custom_partitioner: custom.then(seed_custom_partitioner),
        };
        let zombie = self
            .transactions
            .iter()
            .flatten()
            .any(|s| s.kind == TxnKind::Zombie);
        Scenario {
            seed: 7,
            kafka_version: Some(self.kafka_version.clone()),
            brokers: BROKERS,
            topics: vec![TopicSpec {
                name: TOPIC.into(),
                partitions: self.partitions,
                replication_factor: self.replication_factor,
                replica_assignment: None,
                config: self.topic.clone(),
            }],
            producers: std::iter::once(producer(PRODUCER))
                .chain(zombie.then(|| producer(ZOMBIE)))
                .collect(),
            consumers: CONSUMERS
                .iter()
                .map(|(name, level)| ConsumerSpec {
                    name: (*name).into(),
                    topics: vec![TOPIC.into()],
                    config: self
                        .consumer
                        .clone()
                        .into_iter()
                        .chain([("isolation.level".into(), (*level).into())])
                        .collect(),
                })
                .collect(),
            actions: self
                .application_actions()
                .into_iter()
                .chain(self.fault_actions(Some(PRODUCER), self.transactions.is_some()))
                .collect(),
            until_ms: RUN_MS,
            network: Some(NetworkSpec {
                latency_ms: self.latency_ms,
            }),
            broker_config: self.broker.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_lab::config::{BROKER_DOCS, CONSUMER_DOCS, PRODUCER_DOCS, TOPIC_DOCS};
    use kafka_lab::Simulation;

    /// A two-producer file: a zombie pair sharing a transactional.id, and a consumer.
    const FILE: &str = r#"{
        "seed": 3, "kafka_version": "3.9", "brokers": 3,
        "topics": [ { "name": "payments", "partitions": 2, "replication_factor": 3,
                      "config": { "min.insync.replicas": "2" } } ],
        "producers": [
            { "name": "a", "config": { "transactional.id": "pay", "linger.ms": "5", "batch.size": "2048" } },
            { "name": "b", "config": { "transactional.id": "pay", "linger.ms": "7" } } ],
        "consumers": [ { "name": "c", "topics": ["payments"],
                         "config": { "isolation.level": "read_committed", "fetch.min.bytes": "1" } } ],
        "actions": [
            { "at_ms": 0, "action": "init_transactions", "producer": "a" },
            { "at_ms": 10, "action": "begin_transaction", "producer": "a" },
            { "at_ms": 20, "action": "send", "producer": "a", "topic": "payments", "keys": ["k1", "k2"], "value": "v", "count": 4 },
            { "at_ms": 300, "action": "init_transactions", "producer": "b" } ],
        "until_ms": 3000
    }"#;

    #[test]
    fn a_file_runs_as_written_and_saves_as_itself() {
        // The panels' run, saved, opens as a file that gives the same run.
        let w = Workload::default()
            .with(&Setting::Producer("acks".into(), "1".into()))
            .unwrap();
        let mut w = w.clone();
        w.faults.push(Fault {
            at_ms: 1500,
            kind: FaultKind::Crash,
            broker: 0,
        });
        let saved = w.scenario().to_json_pretty();
        let file = Workload::from_file("run.json", &saved).unwrap();
        assert_eq!(file.scenario(), w.scenario());
        let hash = |w: &Workload| {
            let mut sim = Simulation::new(&w.scenario()).unwrap();
            sim.run_until(5_000);
            sim.trace_hash()
        };
        assert_eq!(hash(&file), hash(&w));
        assert_eq!(file.until_ms(), RUN_MS);
        assert_eq!(
            file.with(&Setting::Rate("10".into())),
            Err(SettingError::SetByFile { field: "rate" })
        );
    }

    #[test]
    fn panel_edits_apply_to_every_client_of_a_file_but_not_their_identities() {
        let w = Workload::from_file("pay.json", FILE).unwrap();
        assert_eq!(w.brokers(), 3);
        assert_eq!(w.until_ms(), 3000);
        assert_eq!(w.kafka_version, "3.9");
        // The panels show the first producer, without its identity.
        assert_eq!(w.producer.get("linger.ms").map(String::as_str), Some("5"));
        assert!(!w.producer.contains_key("transactional.id"));
        // Unedited, the file runs as written (the version and latency made explicit).
        let s = w.scenario();
        let original = Scenario::from_json(FILE).unwrap();
        assert_eq!(s.producers, original.producers);
        assert_eq!(s.actions, original.actions);
        let w = w
            .with(&Setting::Producer("compression.type".into(), "lz4".into()))
            .and_then(|w| w.with(&Setting::Producer("batch.size".into(), String::new())))
            .and_then(|w| w.with(&Setting::Consumer("fetch.min.bytes".into(), "10".into())))
            .unwrap();
        let mut w = w;
        w.faults.push(Fault {
            at_ms: 100,
            kind: FaultKind::RestartProducer,
            broker: 0,
        });
        let s = w.scenario();
        let [a, b] = &s.producers[..] else { panic!() };
        for p in [a, b] {
            assert_eq!(
                p.config.get("compression.type").map(String::as_str),
                Some("lz4")
            );
            assert!(!p.config.contains_key("batch.size"));
            assert_eq!(
                p.config.get("transactional.id").map(String::as_str),
                Some("pay")
            );
        }
        // Each keeps what the panel does not show of it.
        assert_eq!(b.config.get("linger.ms").map(String::as_str), Some("7"));
        assert_eq!(
            s.consumers[0]
                .config
                .get("isolation.level")
                .map(String::as_str),
            Some("read_committed")
        );
        assert_eq!(
            s.consumers[0]
                .config
                .get("fetch.min.bytes")
                .map(String::as_str),
            Some("10")
        );
        // A transactional application restarts into initTransactions().
        let tail: Vec<&str> = s.actions[4..].iter().map(|a| a.name()).collect();
        assert_eq!(tail, ["restart_producer", "init_transactions"]);
        let mut sim = Simulation::new(&s).unwrap();
        sim.run();
        assert_eq!(sim.stalled_at(), None);
    }

    #[test]
    fn a_file_the_app_cannot_play_says_why() {
        let problems = |text: &str| match Workload::from_file("f.json", text) {
            Err(SettingError::File { name, problems }) => {
                assert_eq!(name, "f.json");
                problems
                    .iter()
                    .map(|p| p.text(Lang::En))
                    .collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert!(problems("{").join("").starts_with("$: "));
        assert!(
            problems(&FILE.replace("\"brokers\": 3", "\"brokers\": \"3\""))[0]
                .starts_with("brokers: ")
        );
        let long = FILE.replace("\"until_ms\": 3000", "\"until_ms\": 3600000");
        assert!(problems(&long)[0].starts_with("until_ms: the app plays at most"));
        let two = FILE.replace(
            "\"topics\": [ {",
            "\"topics\": [ { \"name\": \"other\", \"partitions\": 1 }, {",
        );
        assert!(problems(&two)[0].starts_with("topics: "));
    }

    #[test]
    fn a_run_holding_more_record_data_than_the_app_keeps_is_refused_by_its_field() {
        // 10,000 records/s of 10 KB for a minute: 6 GB, past wasm's 4 GiB.
        let fast = Workload::default()
            .with(&Setting::Rate("10000".into()))
            .unwrap();
        let e = fast.with(&Setting::ValueBytes("10000".into())).unwrap_err();
        let SettingError::TooMuchData { field, bytes } = &e else {
            panic!("{e:?}");
        };
        // The values, and the cities' names as keys.
        assert_eq!(field, "value size");
        assert!((6_000_000_000..6_000_000_000 + 600_000 * 7).contains(bytes));
        assert!(e.text(Lang::En).unwrap().starts_with(
            "value size: the run's keys and values come to 6.0 GB; the app keeps at most 1 GiB"
        ));
        // The panel's largest choices fit; a byte[] value is kept twice more, as its hex
        // text, and then they do not.
        let big = fast.with(&Setting::ValueBytes("1000".into())).unwrap();
        let e = big
            .with(&Setting::Producer(
                "value.serializer".into(),
                "org.apache.kafka.common.serialization.ByteArraySerializer".into(),
            ))
            .unwrap_err();
        assert!(
            matches!(e, SettingError::TooMuchData { ref field, .. } if field == "value.serializer")
        );
        // A file, too.
        let huge = FILE.replace(
            r#""value": "v", "count": 4"#,
            r#""value_bytes": 1048576, "count": 1100"#,
        );
        match Workload::from_file("f.json", &huge) {
            Err(SettingError::File { problems, .. }) => assert!(
                problems[0]
                    .text(Lang::En)
                    .starts_with("actions: the run's keys and values come to 1.2 GB"),
                "{problems:?}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn default_workload_is_a_valid_scenario() {
        assert!(Simulation::new(&Workload::default().scenario()).is_ok());
    }

    #[test]
    fn fast_rates_interleave_keys_as_one_stream() {
        let w = Workload::default()
            .with(&Setting::Rate("5000".into()))
            .unwrap();
        assert!(w.with(&Setting::Rate("1500".into())).is_err());
        assert!(w.with(&Setting::Rate("20000".into())).is_err());
        let mut sim = Simulation::new(&w.scenario()).unwrap();
        sim.run_until(9);
        let sends = &sim.producers()[0].sends;
        assert_eq!(sends.len(), 50, "five records a millisecond, 0 ms to 9 ms");
        let keys = w.keys.keys(w.key_serializer());
        for (n, s) in sends.iter().enumerate() {
            assert_eq!(s.created_ms, n as u64 / 5);
            assert_eq!(
                s.data.key_text().as_deref(),
                keys[n % keys.len()].as_deref(),
                "record {n}"
            );
        }
    }

    #[test]
    fn settings_are_checked() {
        let w = Workload::default();
        assert_eq!(
            w.with(&Setting::Partitions("6".into())).unwrap().partitions,
            6
        );
        assert!(w.with(&Setting::Partitions("0".into())).is_err());
        assert!(w.with(&Setting::Keys("nope".into())).is_err());
        // acks=2 is representable here but the core rejects it with Kafka's rule.
        let bad = w
            .with(&Setting::Producer("acks".into(), "2".into()))
            .unwrap();
        let errors = Simulation::new(&bad.scenario()).unwrap_err();
        assert!(errors[0]
            .message
            .contains("String must be one of: all, -1, 0, 1"));
        // Unsetting returns to the default.
        let unset = w
            .with(&Setting::Producer("linger.ms".into(), String::new()))
            .unwrap();
        assert!(!unset.producer.contains_key("linger.ms"));
    }

    #[test]
    fn every_broker_topic_and_consumer_choice_builds_and_bad_values_name_kafkas_rule() {
        let w = Workload::default();
        for (docs, make) in [
            (
                BROKER_DOCS,
                Setting::Broker as fn(String, String) -> Setting,
            ),
            (TOPIC_DOCS, Setting::Topic),
            (CONSUMER_DOCS, Setting::Consumer),
        ] {
            for doc in docs {
                for choice in doc.choices {
                    let w = w.with(&make(doc.name.into(), choice.to_string())).unwrap();
                    assert!(
                        Simulation::new(&w.scenario()).is_ok(),
                        "{} = {choice}",
                        doc.name
                    );
                }
            }
        }
        let w = w
            .with(&Setting::Topic("min.insync.replicas".into(), "2".into()))
            .unwrap();
        assert_eq!(w.min_insync_replicas(), 2);
        let zero = w
            .with(&Setting::Topic("min.insync.replicas".into(), "0".into()))
            .unwrap();
        let errors = Simulation::new(&zero.scenario()).unwrap_err();
        assert!(errors[0].path.starts_with("topics[0].config"), "{errors:?}");
        assert!(errors[0].message.contains("Value must be at least 1"));
        let bad = w
            .with(&Setting::Consumer(
                "auto.offset.reset".into(),
                "none".into(),
            ))
            .unwrap();
        let errors = Simulation::new(&bad.scenario()).unwrap_err();
        assert!(
            errors
                .iter()
                .all(|e| e.message.contains("earliest, latest")),
            "{errors:?}"
        );
        let unset = w
            .with(&Setting::Topic("min.insync.replicas".into(), String::new()))
            .unwrap();
        assert_eq!(unset.min_insync_replicas(), 1);
        // A broker config goes to every broker, and Kafka's rule names it.
        let lag = |v: &str| w.with(&Setting::Broker("replica.lag.time.max.ms".into(), v.into()));
        assert_eq!(lag("5000").unwrap().scenario().broker_config.len(), 1);
        let errors = Simulation::new(&lag("100").unwrap().scenario()).unwrap_err();
        assert_eq!(errors[0].path, "broker_config.replica.lag.time.max.ms");
        assert!(
            errors[0]
                .message
                .contains("to prevent frequent changes in ISR"),
            "{errors:?}"
        );
        assert!(lag("").unwrap().broker.is_empty());
    }

    #[test]
    fn a_files_broker_configs_fill_the_panel_and_save_with_the_edits() {
        let with_broker = FILE.replacen(
            r#""brokers": 3,"#,
            r#""brokers": 3, "broker_config": { "log.retention.check.interval.ms": "5000" },"#,
            1,
        );
        let w = Workload::from_file("pay.json", &with_broker).unwrap();
        assert_eq!(
            w.broker.get("log.retention.check.interval.ms").unwrap(),
            "5000"
        );
        let edited = w
            .with(&Setting::Broker(
                "replica.lag.time.max.ms".into(),
                "10000".into(),
            ))
            .unwrap();
        let saved = Workload::from_file("pay.json", &edited.scenario().to_json_pretty()).unwrap();
        assert_eq!(saved.broker, edited.broker);
        assert_eq!(saved.broker.len(), 2);
    }

    #[test]
    fn every_offered_value_with_every_key_pattern_builds() {
        // Each choice the panel offers, alone, in every version that has it: the core
        // either accepts it or names Kafka's rule. It never panics, and the keys are
        // always written so that the chosen serializer can take them.
        for line in KafkaVersion::supported_lines() {
            let v = KafkaVersion::parse(&line).unwrap();
            let base = Workload::default()
                .with(&Setting::KafkaVersion(line.clone()))
                .unwrap();
            for doc in PRODUCER_DOCS {
                if producer_default(doc.name, v).is_none() {
                    continue;
                }
                for choice in doc.choices {
                    if doc.name == "partitioner.class" && !partitioner_class_available(choice, v) {
                        continue;
                    }
                    for keys in KeyPattern::ALL {
                        let w = base
                            .with(&Setting::Producer(doc.name.into(), choice.to_string()))
                            .and_then(|w| w.with(&Setting::Keys(keys.id().into())))
                            .unwrap();
                        if let Err(errors) = Simulation::new(&w.scenario()) {
                            assert!(
                                errors
                                    .iter()
                                    .all(|e| e.path.starts_with("producers[0].config")),
                                "{line} {}={choice} {keys:?}: {errors:?}",
                                doc.name
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn version_change_drops_what_the_release_lacks() {
        let w = Workload::default()
            .with(&Setting::Producer(
                "partitioner.ignore.keys".into(),
                "true".into(),
            ))
            .and_then(|w| {
                w.with(&Setting::Broker(
                    "log.initial.task.delay.ms".into(),
                    "0".into(),
                ))
            })
            .and_then(|w| {
                w.with(&Setting::Broker(
                    "replica.lag.time.max.ms".into(),
                    "5000".into(),
                ))
            })
            .unwrap()
            .with(&Setting::KafkaVersion("2.8".into()))
            .unwrap();
        assert!(!w.producer.contains_key("partitioner.ignore.keys"));
        assert_eq!(
            w.broker.keys().collect::<Vec<_>>(),
            ["replica.lag.time.max.ms"]
        );
        assert!(Simulation::new(&w.scenario()).is_ok());
    }
}
