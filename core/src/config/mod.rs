//! Producer and topic configs parsed from Kafka's own property names and string values
//! (`ProducerConfig`, `ConfigDef`), with the defaults and validation of each `kafka_version`.

mod docs;

pub use docs::{Importance, PropertyDoc, BROKER_DOCS, CONSUMER_DOCS, PRODUCER_DOCS, TOPIC_DOCS};

use crate::broker::REPLICA_FETCH_WAIT_MAX_MS;
use crate::compression::CompressionType;
use crate::serializer::Serializer;
use crate::vec_map::VecMap;
use crate::version::KafkaVersion;
use std::fmt;

/// A config Kafka would reject, worded as Kafka's `ConfigException` words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The property at fault (`None` when the rule spans several, e.g. idempotence).
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn invalid(key: &str, value: &str, why: &str) -> ConfigError {
    ConfigError {
        key: Some(key.to_string()),
        message: format!("Invalid value {value} for configuration {key}: {why}"),
    }
}

fn not_modelled(key: &str, what: &str) -> ConfigError {
    ConfigError {
        key: Some(key.to_string()),
        message: format!("{key}: {what} is not modelled by this version of Kafka Lab yet"),
    }
}

/// `acks`: how many replicas must have a batch before the leader answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acks {
    /// `0`: no response at all; the send completes once the request is written.
    None,
    /// `1`: the leader answers after its own append.
    Leader,
    /// `all` / `-1`: the leader answers once every in-sync replica has the batch.
    All,
}

impl Acks {
    /// The value on the wire (`ProduceRequest.acks`).
    pub fn wire(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        })
    }
}

/// `partitioner.class`: a pluggable `Partitioner`. Unset (3.3+) means the producer's
/// built-in partitioner; 2.4–3.2 default to `DefaultPartitioner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionerClass {
    /// `org.apache.kafka.clients.producer.internals.DefaultPartitioner`: murmur2 for keys,
    /// a sticky cache for null keys (KIP-480). Removed in 4.0.
    Default,
    /// `org.apache.kafka.clients.producer.UniformStickyPartitioner`: sticky for every
    /// record, keys ignored. Removed in 4.0.
    UniformSticky,
    /// `org.apache.kafka.clients.producer.RoundRobinPartitioner`: keys ignored.
    RoundRobin,
    /// The scenario's own rule table (`custom_partitioner`), standing for a user class.
    Custom,
}

/// Whether `partitioner.class` may name `class` in `version` (what Kafka can load).
pub fn partitioner_class_available(class: &str, version: KafkaVersion) -> bool {
    class.trim().is_empty() && version.at_least(3, 3)
        || PartitionerClass::from_class(class, version).is_ok()
}

/// The class name a scenario uses for its rule-table partitioner.
pub const CUSTOM_PARTITIONER: &str = "CustomPartitioner";

impl PartitionerClass {
    pub fn class_name(self) -> &'static str {
        match self {
            PartitionerClass::Default => {
                "org.apache.kafka.clients.producer.internals.DefaultPartitioner"
            }
            PartitionerClass::UniformSticky => {
                "org.apache.kafka.clients.producer.UniformStickyPartitioner"
            }
            PartitionerClass::RoundRobin => {
                "org.apache.kafka.clients.producer.RoundRobinPartitioner"
            }
            PartitionerClass::Custom => CUSTOM_PARTITIONER,
        }
    }

    pub fn simple_name(self) -> &'static str {
        let name = self.class_name();
        &name[name.rfind('.').map_or(0, |i| i + 1)..]
    }

    /// The classes `version` ships (or, for `Custom`, accepts), fully qualified or simple.
    fn from_class(name: &str, version: KafkaVersion) -> Result<Self, String> {
        let name = name.trim();
        let found = [
            PartitionerClass::Default,
            PartitionerClass::UniformSticky,
            PartitionerClass::RoundRobin,
            PartitionerClass::Custom,
        ]
        .into_iter()
        .find(|c| c.class_name() == name || c.simple_name() == name);
        match found {
            Some(PartitionerClass::Default | PartitionerClass::UniformSticky)
                if version.at_least(4, 0) =>
            {
                Err(format!(
                    "Class {name} could not be found. (DefaultPartitioner and UniformStickyPartitioner were removed in 4.0, KAFKA-18262; leave partitioner.class unset for the built-in partitioner)"
                ))
            }
            Some(c) => Ok(c),
            None => Err(format!(
                "Class {name} could not be found. (Kafka Lab offers DefaultPartitioner, UniformStickyPartitioner, RoundRobinPartitioner, and {CUSTOM_PARTITIONER} for the scenario's custom_partitioner rule table)"
            )),
        }
    }
}

/// The producer's effective configuration after Kafka's defaults and post-processing.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerConfig {
    pub version: KafkaVersion,
    pub acks: Acks,
    pub batch_size: u32,
    pub buffer_memory: u64,
    pub max_block_ms: u64,
    pub compression: CompressionType,
    pub linger_ms: u64,
    /// Whether the producer ends up idempotent (explicitly, by default, or not at all).
    pub idempotence: bool,
    /// `enable.idempotence` was left at its default and a conflicting setting turned it
    /// off, with only a log line (KAFKA-13673); set explicitly, the same settings throw.
    pub idempotence_overridden: bool,
    pub retries: u32,
    pub max_in_flight: u32,
    pub request_timeout_ms: u64,
    pub delivery_timeout_ms: u64,
    pub max_request_size: u32,
    pub retry_backoff_ms: u64,
    pub retry_backoff_max_ms: u64,
    pub key_serializer: Serializer,
    pub value_serializer: Serializer,
    /// `None` = the built-in partitioner (3.3+).
    pub partitioner_class: Option<PartitionerClass>,
    pub partitioner_ignore_keys: bool,
    /// Adaptive partitioning is on: set, 3.3+, and no `partitioner.class`.
    pub adaptive_partitioning: bool,
    /// `partitioner.availability.timeout.ms`; 0 = off.
    pub partitioner_availability_timeout_ms: u64,
    /// `transactional.id`: `None` = not transactional.
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms`: how long the coordinator lets a transaction stay open.
    pub transaction_timeout_ms: u64,
    /// What Kafka would log while post-processing (INFO/WARN lines), in order.
    pub notes: Vec<String>,
}

/// Producer properties Kafka accepts that change nothing in a simulation.
const INERT: &[&str] = &["bootstrap.servers", "client.id"];
const STRING_SERIALIZER: &str = "org.apache.kafka.common.serialization.StringSerializer";
/// Real producer properties this build does not model yet: rejected rather than ignored,
/// so a scenario never silently means something other than what it says.
const NOT_YET: &[&str] = &[
    // KIP-390 (3.8): the pure-Rust codecs here each have one level.
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "metadata.max.age.ms",
    "interceptor.classes",
];

/// Default values by version (`producer.md` §6.2); `None` = the property does not exist.
fn default_of(key: &str, v: KafkaVersion) -> Option<&'static str> {
    let since_3_0 = v.at_least(3, 0);
    let since_3_3 = v.at_least(3, 3);
    Some(match key {
        "acks" if since_3_0 => "all",
        "acks" => "1",
        "enable.idempotence" if since_3_0 => "true",
        "enable.idempotence" => "false",
        "linger.ms" if v.at_least(4, 0) => "5",
        "linger.ms" => "0",
        "batch.size" => "16384",
        "buffer.memory" => "33554432",
        "max.block.ms" => "60000",
        "retries" => "2147483647",
        "max.in.flight.requests.per.connection" => "5",
        "request.timeout.ms" => "30000",
        "delivery.timeout.ms" => "120000",
        "max.request.size" => "1048576",
        "retry.backoff.ms" => "100",
        "retry.backoff.max.ms" if v.at_least(3, 7) => "1000",
        "compression.type" => "none",
        "partitioner.ignore.keys" if since_3_3 => "false",
        "partitioner.adaptive.partitioning.enable" if since_3_3 => "true",
        "partitioner.availability.timeout.ms" if since_3_3 => "0",
        // 3.3+ default is null: the built-in partitioner.
        "partitioner.class" if since_3_3 => "",
        "partitioner.class" => "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
        "key.serializer" | "value.serializer" => STRING_SERIALIZER,
        // null: not transactional.
        "transactional.id" => "",
        "transaction.timeout.ms" => "60000",
        _ => return None,
    })
}

/// The default of `key` in `version`, as Kafka prints it, if the property exists there.
pub fn producer_default(key: &str, version: KafkaVersion) -> Option<&'static str> {
    default_of(key, version)
}

/// A topic config's default (`LogConfig`; the same in every version the app models).
pub fn topic_default(key: &str) -> Option<&'static str> {
    Some(match key {
        "min.insync.replicas" => "1",
        "max.message.bytes" => "1048588",
        "unclean.leader.election.enable" => "false",
        "retention.ms" => "604800000",
        "retention.bytes" => "-1",
        "segment.bytes" => "1073741824",
        "segment.ms" => "604800000",
        _ => return None,
    })
}

/// A consumer config's default (`ConsumerConfig`; the same in every version the app models).
pub fn consumer_default(key: &str) -> Option<&'static str> {
    Some(match key {
        "isolation.level" => "read_uncommitted",
        "fetch.min.bytes" => "1",
        "fetch.max.wait.ms" => "500",
        "max.partition.fetch.bytes" => "1048576",
        "auto.offset.reset" => "latest",
        "retry.backoff.ms" => "100",
        _ => return None,
    })
}

fn parse_int(key: &str, raw: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    let kind = if max > i32::MAX as i64 { "LONG" } else { "INT" };
    let n: i64 = raw
        .trim()
        .parse()
        .map_err(|_| invalid(key, raw, &format!("Not a number of type {kind}")))?;
    if n < min {
        return Err(invalid(key, raw, &format!("Value must be at least {min}")));
    }
    if n > max {
        return Err(invalid(
            key,
            raw,
            &format!("Value must be no more than {max}"),
        ));
    }
    Ok(n)
}

fn parse_bool(key: &str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(
            key,
            raw,
            "Expected value to be either true or false",
        )),
    }
}

impl ProducerConfig {
    /// Parses a producer's `config` map the way `new KafkaProducer(props)` would.
    /// Returns every problem found, each naming its property.
    pub fn parse(
        props: &VecMap<String, String>,
        version: KafkaVersion,
    ) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        for key in props.keys() {
            if INERT.contains(&key.as_str()) || default_of(key, version).is_some() {
                continue;
            }
            if NOT_YET.contains(&key.as_str()) {
                errors.push(not_modelled(key, "this property"));
            } else if key.starts_with("partitioner.") && !version.at_least(3, 3) {
                errors.push(ConfigError {
                    key: Some(key.clone()),
                    message: format!(
                        "{key} does not exist in Kafka {version}: it came with the built-in partitioner in 3.3 (KIP-794)"
                    ),
                });
            } else if key == "retry.backoff.max.ms" {
                errors.push(ConfigError {
                    key: Some(key.clone()),
                    message: format!(
                        "{key} does not exist in Kafka {version}: exponential retry backoff came in 3.7 (KIP-580)"
                    ),
                });
            } else {
                errors.push(ConfigError {
                    key: Some(key.clone()),
                    message: format!("{key} is not a Kafka producer config"),
                });
            }
        }

        let get = |key: &str| -> &str {
            props
                .get(key)
                .map(String::as_str)
                .or_else(|| default_of(key, version))
                .unwrap_or("")
        };
        let explicit = |key: &str| props.contains_key(key);
        let compression = get("compression.type")
            .parse::<CompressionType>()
            .unwrap_or_else(|e| {
                errors.push(e);
                CompressionType::None
            });
        let mut int = |key: &str, min: i64, max: i64| match parse_int(key, get(key), min, max) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                min
            }
        };
        let batch_size = int("batch.size", 0, i32::MAX as i64) as u32;
        let buffer_memory = int("buffer.memory", 0, i64::MAX) as u64;
        let max_block_ms = int("max.block.ms", 0, i64::MAX) as u64;
        let linger_ms = int("linger.ms", 0, i64::MAX) as u64;
        let retries = int("retries", 0, i32::MAX as i64) as u32;
        let max_in_flight = int("max.in.flight.requests.per.connection", 1, i32::MAX as i64) as u32;
        let request_timeout_ms = int("request.timeout.ms", 0, i32::MAX as i64) as u64;
        let delivery_timeout_ms = int("delivery.timeout.ms", 0, i32::MAX as i64) as u64;
        let max_request_size = int("max.request.size", 0, i32::MAX as i64) as u32;
        let retry_backoff_ms = int("retry.backoff.ms", 0, i64::MAX) as u64;
        let transaction_timeout_ms = int("transaction.timeout.ms", 0, i32::MAX as i64) as u64;
        // KIP-580 (3.7): before, the backoff is retry.backoff.ms every time.
        let retry_backoff_max_ms = match default_of("retry.backoff.max.ms", version) {
            Some(_) => int("retry.backoff.max.ms", 0, i64::MAX) as u64,
            None => retry_backoff_ms,
        };
        let partitioner_availability_timeout_ms =
            match default_of("partitioner.availability.timeout.ms", version) {
                Some(_) => int("partitioner.availability.timeout.ms", 0, i64::MAX) as u64,
                None => 0,
            };
        let mut serializer = |key: &str| {
            let raw = get(key);
            Serializer::from_class(raw).unwrap_or_else(|| {
                errors.push(invalid(
                    key,
                    raw,
                    &format!(
                        "Class {} could not be found. (Kafka Lab offers String, Integer, Long, Double, ByteArray and Void serializers of org.apache.kafka.common.serialization)",
                        raw.trim()
                    ),
                ));
                Serializer::String
            })
        };
        let key_serializer = serializer("key.serializer");
        let value_serializer = serializer("value.serializer");
        let partitioner_class = match get("partitioner.class").trim() {
            "" if version.at_least(3, 3) => None,
            raw => match PartitionerClass::from_class(raw, version) {
                Ok(c) => Some(c),
                Err(why) => {
                    errors.push(invalid("partitioner.class", raw, &why));
                    None
                }
            },
        };

        let acks = match get("acks").trim() {
            "all" | "-1" => Acks::All,
            "1" => Acks::Leader,
            "0" => Acks::None,
            other => {
                errors.push(invalid(
                    "acks",
                    other,
                    "String must be one of: all, -1, 0, 1",
                ));
                Acks::All
            }
        };
        let mut bool_of = |key: &str| match default_of(key, version) {
            Some(_) => parse_bool(key, get(key)).unwrap_or_else(|e| {
                errors.push(e);
                false
            }),
            None => false,
        };
        let idempotence_requested = bool_of("enable.idempotence");
        let partitioner_ignore_keys = bool_of("partitioner.ignore.keys");
        let adaptive_partitioning = bool_of("partitioner.adaptive.partitioning.enable");
        if !errors.is_empty() {
            return Err(errors);
        }
        // KAFKA-14303: 3.3.0/3.3.1's built-in partitioner switches partitions after every
        // 0 bytes, so the append of a record without a key or partition retries forever.
        // Kafka accepts the config and hangs in send(); a simulation must refuse it.
        let hangs = matches!(
            (version.major, version.minor, version.patch),
            (3, 3, 0) | (3, 3, 1)
        );
        if hangs && batch_size == 0 && partitioner_class.is_none() {
            return Err(vec![ConfigError {
                key: Some("batch.size".into()),
                message: format!(
                    "batch.size 0 hangs Kafka {version}: its built-in partitioner loops forever on a record without a key or partition (KAFKA-14303, fixed in 3.3.2); set batch.size to at least 1"
                ),
            }]);
        }

        let mut notes = Vec::new();
        // A transactional.id asks for idempotence unless enable.idempotence is set; up to the
        // KAFKA-13598 fix it counted as asking explicitly (conflicts threw, never disabled).
        let transactional =
            explicit("transactional.id") && !get("transactional.id").trim().is_empty();
        let strict_transactions = transactional && !honours_default_idempotence(version);
        let resolved = resolve_idempotence(
            version,
            idempotence_requested || (transactional && !explicit("enable.idempotence")),
            explicit("enable.idempotence") || strict_transactions,
            explicit("acks"),
            acks,
            retries,
            max_in_flight,
            &mut notes,
        )
        .map_err(|e| vec![e])?;
        let idempotence = resolved == Idempotence::On;
        // postProcessAndValidateIdempotenceConfigs, last: after a silent disable too.
        if transactional && !idempotence {
            return Err(vec![ConfigError {
                key: Some("transactional.id".into()),
                message: "Cannot set a transactional.id without also enabling idempotence.".into(),
            }]);
        }
        // 2.x: enabling idempotence without setting acks made acks default to all.
        let acks = if idempotence && !explicit("acks") {
            Acks::All
        } else {
            acks
        };

        // KafkaProducer.configureDeliveryTimeout
        let floor = linger_ms.saturating_add(request_timeout_ms);
        let delivery_timeout_ms = if delivery_timeout_ms < floor {
            if explicit("delivery.timeout.ms") {
                return Err(vec![ConfigError {
                    key: Some("delivery.timeout.ms".into()),
                    message: "Failed to construct kafka producer: delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms".into(),
                }]);
            }
            notes.push(format!(
                "WARN delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms. Setting it to {floor}."
            ));
            floor
        } else {
            delivery_timeout_ms
        };

        Ok(ProducerConfig {
            version,
            acks,
            batch_size,
            buffer_memory,
            max_block_ms,
            compression,
            linger_ms,
            idempotence,
            idempotence_overridden: resolved == Idempotence::Overridden,
            retries,
            max_in_flight,
            request_timeout_ms,
            delivery_timeout_ms,
            max_request_size,
            retry_backoff_ms,
            retry_backoff_max_ms,
            key_serializer,
            value_serializer,
            partitioner_class,
            partitioner_ignore_keys,
            // KafkaProducer: adaptive only for the built-in partitioner.
            adaptive_partitioning: adaptive_partitioning && partitioner_class.is_none(),
            partitioner_availability_timeout_ms,
            transactional_id: transactional.then(|| get("transactional.id").to_string()),
            transaction_timeout_ms,
            notes,
        })
    }

    /// The `BufferPool`'s poolable size (`KafkaProducer`): `batch.size`, at least 1 from 3.3.
    pub fn poolable_size(&self) -> u32 {
        if self.version.at_least(3, 3) {
            self.batch_size.max(1)
        } else {
            self.batch_size
        }
    }

    /// The sticky partitioner's byte limit: `batch.size`, with 0 read as 1 (KAFKA-14303;
    /// 3.3.0 and 3.3.1, which loop on 0, refuse it in `parse`).
    pub fn sticky_batch_size(&self) -> u32 {
        self.batch_size.max(1)
    }
}

/// KAFKA-13598: 2.x (default off) and 3.0.0/3.1.0 only honoured idempotence, and so only
/// relaxed its conflicts, when it was asked for explicitly.
fn honours_default_idempotence(v: KafkaVersion) -> bool {
    v.at_least(3, 0) && !matches!((v.major, v.minor, v.patch), (3, 0, 0) | (3, 1, 0))
}

#[derive(PartialEq)]
enum Idempotence {
    On,
    Off,
    /// Off by a conflicting setting, `enable.idempotence` being left at its default.
    Overridden,
}

/// `ProducerConfig.postProcessAndValidateIdempotenceConfigs` and its history (`producer.md` §6.1).
#[allow(clippy::too_many_arguments)]
fn resolve_idempotence(
    v: KafkaVersion,
    requested: bool,
    explicit: bool,
    acks_explicit: bool,
    acks: Acks,
    retries: u32,
    max_in_flight: u32,
    notes: &mut Vec<String>,
) -> Result<Idempotence, ConfigError> {
    if !requested {
        return Ok(Idempotence::Off);
    }
    if !explicit && !honours_default_idempotence(v) {
        notes.push(format!(
            "Kafka {v}: enable.idempotence defaults to true but is only honoured when set explicitly (KAFKA-13598, fixed in 3.0.1/3.1.1/3.2.0): this producer is not idempotent"
        ));
        return Ok(Idempotence::Off);
    }
    // Before 3.0 the default was false, so `requested` implies explicit.
    let fail = |msg: &str, key: &str| ConfigError {
        key: Some(key.to_string()),
        message: msg.to_string(),
    };
    if retries == 0 {
        if explicit {
            return Err(fail(
                "Must set retries to non-zero when using the idempotent producer.",
                "retries",
            ));
        }
        notes.push("INFO Idempotence will be disabled because retries is set to 0.".into());
        return Ok(Idempotence::Overridden);
    }
    if acks != Acks::All && (acks_explicit || v.at_least(3, 0)) {
        if explicit {
            return Err(fail(
                "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
                "acks",
            ));
        }
        notes.push(format!(
            "INFO Idempotence will be disabled because acks is set to {acks}, not set to 'all'."
        ));
        return Ok(Idempotence::Overridden);
    }
    if max_in_flight > 5 {
        if explicit || v.at_least(4, 0) {
            return Err(fail(
                "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.",
                "max.in.flight.requests.per.connection",
            ));
        }
        notes.push(format!(
            "WARN Idempotence will be disabled because max.in.flight.requests.per.connection is set to {max_in_flight}, which is greater than 5. Please note that in v4.0.0 and onward, this will become an error."
        ));
        return Ok(Idempotence::Overridden);
    }
    Ok(Idempotence::On)
}

/// A topic's configs that the simulation models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicConfig {
    pub min_insync_replicas: u32,
    /// `max.message.bytes`: the largest record batch the log accepts (after compression).
    pub max_message_bytes: u32,
    /// `unclean.leader.election.enable` (false since 0.11, KIP-106): may the controller
    /// elect a replica outside the ISR when no in-sync one is left?
    pub unclean_leader_election: bool,
    /// How the log is cut into segments and when old ones are deleted.
    pub log: LogConfig,
}

/// The topic configs of a log's segments and retention (`LogConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes`: a segment is rolled before a batch would take it past this.
    pub segment_bytes: u64,
    /// `segment.ms`: a segment is rolled once a batch's timestamp is this far past its
    /// first batch's.
    pub segment_ms: u64,
    /// `retention.ms`: a segment whose newest record is older than this is deleted (-1:
    /// never).
    pub retention_ms: i64,
    /// `retention.bytes`: the oldest segments are deleted while the log is bigger than
    /// this by at least their size (-1: no limit).
    pub retention_bytes: i64,
}

/// Seven days, the default of `retention.ms` and `segment.ms`.
const SEVEN_DAYS_MS: i64 = 7 * 24 * 60 * 60 * 1000;

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1 << 30,
            segment_ms: SEVEN_DAYS_MS as u64,
            retention_ms: SEVEN_DAYS_MS,
            retention_bytes: -1,
        }
    }
}

/// The least `segment.bytes` accepted: `LegacyRecord.RECORD_OVERHEAD_V0` (14 bytes) until
/// 4.0 raised it to 1 MiB (KIP-1030).
pub fn min_segment_bytes(version: KafkaVersion) -> i64 {
    if version.at_least(4, 0) {
        1 << 20
    } else {
        14
    }
}

/// `TopicConfig.DEFAULT_MAX_MESSAGE_BYTES`: 1 MiB plus the 12-byte log overhead.
pub const DEFAULT_MAX_MESSAGE_BYTES: u32 = 1_048_588;

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            min_insync_replicas: 1,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            unclean_leader_election: false,
            log: LogConfig::default(),
        }
    }
}

impl TopicConfig {
    pub fn parse(
        props: &VecMap<String, String>,
        version: KafkaVersion,
    ) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut config = TopicConfig::default();
        for (key, raw) in props {
            match key.as_str() {
                "min.insync.replicas" => match parse_int(key, raw, 1, i32::MAX as i64) {
                    Ok(n) => config.min_insync_replicas = n as u32,
                    Err(e) => errors.push(e),
                },
                "max.message.bytes" => match parse_int(key, raw, 0, i32::MAX as i64) {
                    Ok(n) => config.max_message_bytes = n as u32,
                    Err(e) => errors.push(e),
                },
                "unclean.leader.election.enable" => match parse_bool(key, raw) {
                    Ok(b) => config.unclean_leader_election = b,
                    Err(e) => errors.push(e),
                },
                "segment.bytes" => {
                    match parse_int(key, raw, min_segment_bytes(version), i32::MAX as i64) {
                        Ok(n) => config.log.segment_bytes = n as u64,
                        Err(e) => errors.push(e),
                    }
                }
                "segment.ms" => match parse_int(key, raw, 1, i64::MAX) {
                    Ok(n) => config.log.segment_ms = n as u64,
                    Err(e) => errors.push(e),
                },
                "retention.ms" => match parse_int(key, raw, -1, i64::MAX) {
                    Ok(n) => config.log.retention_ms = n,
                    Err(e) => errors.push(e),
                },
                // No lower bound in Kafka: any negative value is no limit.
                "retention.bytes" => match parse_int(key, raw, i64::MIN, i64::MAX) {
                    Ok(n) => config.log.retention_bytes = n,
                    Err(e) => errors.push(e),
                },
                _ => errors.push(ConfigError {
                    key: Some(key.clone()),
                    message: format!(
                        "{key} is not a topic config this version of Kafka Lab models"
                    ),
                }),
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

/// The broker configs the simulation models (`server.properties`, the same on every
/// broker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokerConfig {
    /// `log.retention.check.interval.ms`: how often the `kafka-log-retention` task deletes
    /// the segments retention lets go.
    pub retention_check_interval_ms: u64,
    /// `log.initial.task.delay.ms` (an internal config since 3.8, KAFKA-16552, for tests):
    /// how long after start-up that task first runs.
    pub initial_task_delay_ms: u64,
    /// `auto.leader.rebalance.enable`: the controller moves leadership back to each
    /// partition's preferred replica (its first).
    pub auto_leader_rebalance: bool,
    /// `leader.imbalance.check.interval.seconds`: how long after an imbalance appears
    /// (KRaft), or how often (ZooKeeper), the controller balances leaders.
    pub leader_imbalance_check_interval_s: u64,
    /// `leader.imbalance.per.broker.percentage`: the ZooKeeper controller balances only a
    /// preferred broker with more than this share of its partitions led elsewhere (KRaft
    /// ignores it).
    pub leader_imbalance_per_broker_percentage: i32,
    /// `replica.lag.time.max.ms`: how long a follower may stay behind the leader's log end
    /// without catching up before the leader's `isr-expiration` task (every half of it)
    /// drops it from the ISR; until then it also holds the high watermark.
    pub replica_lag_time_max_ms: u64,
    /// `producer.id.expiration.ms` (3.4+, KIP-854): how long after a producer id's last
    /// write each partition forgets its sequences, unless it has a transaction open there.
    /// Before 3.4 the brokers used `transactional.id.expiration.ms` for it.
    pub producer_id_expiration_ms: u64,
    /// `producer.id.expiration.check.interval.ms` (internal since 3.4, for tests; before,
    /// fixed): how often each log looks for expired producers, from when it was loaded.
    pub producer_id_expiration_check_interval_ms: u64,
}

/// `transactional.id.expiration.ms`'s default: the producer state expiry before 3.4.
const TRANSACTIONAL_ID_EXPIRATION_MS: u64 = 604_800_000;

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            retention_check_interval_ms: 300_000,
            initial_task_delay_ms: 30_000,
            auto_leader_rebalance: true,
            leader_imbalance_check_interval_s: 300,
            leader_imbalance_per_broker_percentage: 10,
            replica_lag_time_max_ms: 30_000,
            producer_id_expiration_ms: 86_400_000,
            producer_id_expiration_check_interval_ms: 600_000,
        }
    }
}

/// A broker config's default (`KafkaConfig`; the same in every version the app models).
pub fn broker_default(key: &str) -> Option<&'static str> {
    Some(match key {
        "log.retention.check.interval.ms" => "300000",
        "log.initial.task.delay.ms" => "30000",
        "auto.leader.rebalance.enable" => "true",
        "leader.imbalance.check.interval.seconds" => "300",
        "leader.imbalance.per.broker.percentage" => "10",
        "replica.lag.time.max.ms" => "30000",
        "producer.id.expiration.ms" => "86400000",
        "producer.id.expiration.check.interval.ms" => "600000",
        _ => return None,
    })
}

/// From which release `key` is a broker config, if not in every one the app models.
pub fn broker_config_since(key: &str) -> Option<(u8, u8)> {
    match key {
        "log.initial.task.delay.ms" => Some((3, 8)),
        "producer.id.expiration.ms" | "producer.id.expiration.check.interval.ms" => Some((3, 4)),
        _ => None,
    }
}

/// Whether `version` has the broker config `key` (one `broker_default` knows).
pub fn broker_config_available(key: &str, version: KafkaVersion) -> bool {
    broker_config_since(key).is_none_or(|(major, minor)| version.at_least(major, minor))
}

impl BrokerConfig {
    pub fn parse(
        props: &VecMap<String, String>,
        version: KafkaVersion,
    ) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut config = BrokerConfig::default();
        if !version.at_least(3, 4) {
            config.producer_id_expiration_ms = TRANSACTIONAL_ID_EXPIRATION_MS;
        }
        for (key, raw) in props {
            match key.as_str() {
                "log.retention.check.interval.ms" => match parse_int(key, raw, 1, i64::MAX) {
                    Ok(n) => config.retention_check_interval_ms = n as u64,
                    Err(e) => errors.push(e),
                },
                "log.initial.task.delay.ms" if broker_config_available(key, version) => {
                    match parse_int(key, raw, 0, i64::MAX) {
                        Ok(n) => config.initial_task_delay_ms = n as u64,
                        Err(e) => errors.push(e),
                    }
                }
                "auto.leader.rebalance.enable" => match parse_bool(key, raw) {
                    Ok(b) => config.auto_leader_rebalance = b,
                    Err(e) => errors.push(e),
                },
                "leader.imbalance.check.interval.seconds" => {
                    match parse_int(key, raw, 1, i64::MAX) {
                        Ok(n) => config.leader_imbalance_check_interval_s = n as u64,
                        Err(mut e) => {
                            // `atLeast(1)` only since 3.2 (KAFKA-13682); before, the
                            // ZooKeeper controller took less and checked without pause.
                            if !version.at_least(3, 2) && raw.trim().parse::<i64>().is_ok() {
                                e.message += " (Kafka's rule from 3.2; before, it checks without pause)";
                            }
                            errors.push(e)
                        }
                    }
                }
                "leader.imbalance.per.broker.percentage" => {
                    match parse_int(key, raw, i32::MIN as i64, i32::MAX as i64) {
                        Ok(n) => config.leader_imbalance_per_broker_percentage = n as i32,
                        Err(e) => errors.push(e),
                    }
                }
                // A LONG without a bound of its own, but `KafkaConfig.validateValues`
                // requires replica.fetch.wait.max.ms (500 here) to be at most it.
                "replica.lag.time.max.ms" => match parse_int(key, raw, i64::MIN, i64::MAX) {
                    Ok(n) if n >= REPLICA_FETCH_WAIT_MAX_MS as i64 => {
                        config.replica_lag_time_max_ms = n as u64
                    }
                    Ok(_) => errors.push(invalid(
                        key,
                        raw,
                        "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR",
                    )),
                    Err(e) => errors.push(e),
                },
                "log.initial.task.delay.ms" => errors.push(ConfigError {
                    key: Some(key.clone()),
                    message: format!(
                        "{key} is a broker config only from Kafka 3.8 (KAFKA-16552), not in {version}"
                    ),
                }),
                // Both INT, `atLeast(1)`.
                "producer.id.expiration.ms" | "producer.id.expiration.check.interval.ms"
                    if broker_config_available(key, version) =>
                {
                    match parse_int(key, raw, 1, i32::MAX as i64) {
                        Ok(n) if key == "producer.id.expiration.ms" => {
                            config.producer_id_expiration_ms = n as u64
                        }
                        Ok(n) => config.producer_id_expiration_check_interval_ms = n as u64,
                        Err(e) => errors.push(e),
                    }
                }
                "producer.id.expiration.ms" | "producer.id.expiration.check.interval.ms" => {
                    errors.push(ConfigError {
                        key: Some(key.clone()),
                        message: format!(
                            "{key} is a broker config only from Kafka 3.4 (KIP-854), not in {version}: there producer state expires after transactional.id.expiration.ms (a week; not a setting here), checked every 10 minutes"
                        ),
                    })
                }
                _ => errors.push(ConfigError {
                    key: Some(key.clone()),
                    message: format!(
                        "{key} is not a broker config this version of Kafka Lab models"
                    ),
                }),
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

/// `isolation.level`: how far a consumer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsolationLevel {
    /// Up to the high watermark, records of open and aborted transactions included.
    ReadUncommitted,
    /// Up to the last stable offset, aborted transactions' records dropped.
    ReadCommitted,
}

/// The consumer properties Kafka Lab models (`ConsumerConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsumerConfig {
    pub isolation_level: IsolationLevel,
    /// `fetch.max.wait.ms`: how long the leader holds a fetch that finds too little.
    pub fetch_max_wait_ms: u64,
    /// `fetch.min.bytes`: how much a fetch waits for.
    pub fetch_min_bytes: u64,
    /// `max.partition.fetch.bytes`: how much of one partition a fetch takes.
    pub max_partition_fetch_bytes: u64,
    /// `auto.offset.reset`: where to go when the position is not in the log (`earliest`:
    /// the start; otherwise the end).
    pub reset_to_earliest: bool,
    /// `retry.backoff.ms`: the pause before fetching again after an error.
    pub retry_backoff_ms: u64,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            isolation_level: IsolationLevel::ReadUncommitted,
            fetch_max_wait_ms: 500,
            fetch_min_bytes: 1,
            max_partition_fetch_bytes: 1_048_576,
            reset_to_earliest: false,
            retry_backoff_ms: 100,
        }
    }
}

impl ConsumerConfig {
    /// Parses a consumer's `config` map as `new KafkaConsumer(props)` would, for the
    /// properties that matter to reading one log; group management is not modelled.
    pub fn parse(props: &VecMap<String, String>) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut c = ConsumerConfig::default();
        for (key, raw) in props {
            let int = |min: i64| parse_int(key, raw, min, i32::MAX as i64);
            match key.as_str() {
                "isolation.level" => match raw.trim() {
                    "read_uncommitted" => c.isolation_level = IsolationLevel::ReadUncommitted,
                    "read_committed" => c.isolation_level = IsolationLevel::ReadCommitted,
                    _ => errors.push(invalid(
                        key,
                        raw,
                        "String must be one of: read_committed, read_uncommitted",
                    )),
                },
                "fetch.max.wait.ms" => match int(0) {
                    Ok(n) => c.fetch_max_wait_ms = n as u64,
                    Err(e) => errors.push(e),
                },
                "fetch.min.bytes" => match int(0) {
                    Ok(n) => c.fetch_min_bytes = n as u64,
                    Err(e) => errors.push(e),
                },
                "max.partition.fetch.bytes" => match int(0) {
                    Ok(n) => c.max_partition_fetch_bytes = n as u64,
                    Err(e) => errors.push(e),
                },
                "retry.backoff.ms" => match parse_int(key, raw, 0, i64::MAX) {
                    Ok(n) => c.retry_backoff_ms = n as u64,
                    Err(e) => errors.push(e),
                },
                "auto.offset.reset" => match raw.trim() {
                    "earliest" => c.reset_to_earliest = true,
                    "latest" => c.reset_to_earliest = false,
                    _ => errors.push(invalid(
                        key,
                        raw,
                        "Invalid value for auto.offset.reset: must be one of earliest, latest",
                    )),
                },
                "group.id" | "enable.auto.commit" | "group.instance.id" => {
                    errors.push(not_modelled(
                        key,
                        "consumer groups (each consumer is assigned every partition of its topics and reads from offset 0)",
                    ))
                }
                _ => errors.push(ConfigError {
                    key: Some(key.clone()),
                    message: format!("{key} is not a consumer config this version of Kafka Lab models"),
                }),
            }
        }
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &str, kv: &[(&str, &str)]) -> Result<ProducerConfig, Vec<ConfigError>> {
        let props = kv
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProducerConfig::parse(&props, KafkaVersion::parse(v).unwrap())
    }

    #[test]
    fn version_defaults() {
        let c = parse("2.8", &[]).unwrap();
        assert_eq!(
            (c.acks, c.idempotence, c.linger_ms),
            (Acks::Leader, false, 0)
        );
        let c = parse("3.9", &[]).unwrap();
        assert_eq!((c.acks, c.idempotence, c.linger_ms), (Acks::All, true, 0));
        let c = parse("4.0", &[]).unwrap();
        assert_eq!(c.linger_ms, 5);
        // KAFKA-13598: default producers of 3.0.0 are not idempotent.
        assert!(!parse("3.0.0", &[]).unwrap().idempotence);
        assert!(parse("3.0.1", &[]).unwrap().idempotence);
    }

    #[test]
    fn acks_has_no_value_two() {
        let e = parse("3.9", &[("acks", "2")]).unwrap_err();
        assert_eq!(
            e[0].message,
            "Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1"
        );
    }

    #[test]
    fn idempotence_conflicts_kafka_producer_test() {
        // KafkaProducerTest.testAcksAndIdempotenceForIdempotentProducers & co.
        let c = parse("3.9", &[("acks", "1")]).unwrap();
        assert!(!c.idempotence);
        assert_eq!(c.acks, Acks::Leader);
        assert!(c.notes[0].contains("acks is set to 1"));
        assert!(c.idempotence_overridden, "KAFKA-13673: only a log line");
        let off = parse("3.9", &[("enable.idempotence", "false"), ("acks", "1")]).unwrap();
        assert!(
            !off.idempotence && !off.idempotence_overridden,
            "turned off by the user"
        );
        // 3.1.0 honoured a default enable.idempotence not at all (KAFKA-13598): no conflict.
        let old = parse("3.1.0", &[("acks", "1")]).unwrap();
        assert!(!old.idempotence && !old.idempotence_overridden);
        let e = parse("3.9", &[("enable.idempotence", "true"), ("acks", "1")]).unwrap_err();
        assert!(e[0].message.starts_with("Must set acks to all"));
        let e = parse("3.9", &[("enable.idempotence", "true"), ("retries", "0")]).unwrap_err();
        assert!(e[0].message.starts_with("Must set retries to non-zero"));
        let e = parse(
            "3.9",
            &[
                ("enable.idempotence", "true"),
                ("max.in.flight.requests.per.connection", "6"),
            ],
        )
        .unwrap_err();
        assert!(e[0].message.contains("at most 5"));
        let c = parse("3.9", &[("max.in.flight.requests.per.connection", "6")]).unwrap();
        assert!(!c.idempotence);
        assert!(parse("4.0", &[("max.in.flight.requests.per.connection", "6")]).is_err());
        // 2.8: explicit idempotence with acks unset forces acks to all.
        let c = parse("2.8", &[("enable.idempotence", "true")]).unwrap();
        assert_eq!((c.acks, c.idempotence), (Acks::All, true));
    }

    #[test]
    fn transactional_id_requires_idempotence() {
        // KafkaProducerTest.testAcksAndIdempotenceForIdempotentProducers and friends
        // (producer.md §9 case 23): a transactional.id with a conflict that silently
        // disables default idempotence, or with idempotence off, is a ConfigException.
        let no_idem = "Cannot set a transactional.id without also enabling idempotence.";
        for kv in [
            &[("transactional.id", "t"), ("acks", "1")][..],
            &[("transactional.id", "t"), ("retries", "0")],
            &[("transactional.id", "t"), ("enable.idempotence", "false")],
        ] {
            let e = parse("3.9", kv).unwrap_err();
            assert_eq!(e[0].message, no_idem, "{kv:?}");
            assert_eq!(e[0].key.as_deref(), Some("transactional.id"));
        }
        let e = parse(
            "3.9",
            &[
                ("transactional.id", "t"),
                ("enable.idempotence", "true"),
                ("acks", "1"),
            ],
        )
        .unwrap_err();
        assert!(e[0].message.starts_with("Must set acks to all"));
        // 2.8: a transactional.id turned idempotence on as if asked explicitly.
        let e = parse("2.8", &[("transactional.id", "t"), ("acks", "1")]).unwrap_err();
        assert!(e[0].message.starts_with("Must set acks to all"));
        // A valid one: idempotent, acks=all, the default transaction timeout.
        let c = parse("3.9", &[("transactional.id", "t")]).unwrap();
        assert_eq!(c.transactional_id.as_deref(), Some("t"));
        assert!(c.idempotence && c.acks == Acks::All);
        assert_eq!(c.transaction_timeout_ms, 60_000);
    }

    #[test]
    fn delivery_timeout_constraint() {
        // KafkaProducerTest.testDeliveryTimeoutAndLingerMsConfig
        let kv = [
            ("delivery.timeout.ms", "1000"),
            ("linger.ms", "1000"),
            ("request.timeout.ms", "1"),
        ];
        assert!(parse("3.9", &kv).is_err());
        let kv = [
            ("delivery.timeout.ms", "1000"),
            ("linger.ms", "999"),
            ("request.timeout.ms", "1"),
        ];
        assert!(parse("3.9", &kv).is_ok());
        let c = parse("3.9", &[("linger.ms", "200000")]).unwrap();
        assert_eq!(c.delivery_timeout_ms, 230000);
    }

    #[test]
    fn batch_size_zero_hangs_the_built_in_partitioner_before_3_3_2() {
        // KAFKA-14303 (producer.md §2.3): 3.3.0 and 3.3.1 loop forever in send(); from
        // 3.3.2 the sticky limit reads 0 as 1. A custom partitioner never asks it.
        for v in ["3.3.0", "3.3.1"] {
            let e = parse(v, &[("batch.size", "0")]).unwrap_err();
            assert_eq!(e[0].key.as_deref(), Some("batch.size"), "{v}");
            assert!(e[0].message.contains("KAFKA-14303"), "{v}");
            let custom = [
                ("batch.size", "0"),
                (
                    "partitioner.class",
                    "org.apache.kafka.clients.producer.RoundRobinPartitioner",
                ),
            ];
            assert!(parse(v, &custom).is_ok(), "{v}");
            assert!(parse(v, &[("batch.size", "1")]).is_ok(), "{v}");
        }
        for v in ["3.3.2", "3.3", "3.9", "4.0"] {
            let c = parse(v, &[("batch.size", "0")]).unwrap();
            assert_eq!(c.sticky_batch_size(), 1, "{v}");
        }
    }

    #[test]
    fn numbers_and_names() {
        let e = parse("3.9", &[("linger.ms", "soon"), ("batch.size", "-1")]).unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e.iter().any(|e| e.message
            == "Invalid value -1 for configuration batch.size: Value must be at least 0"));
        assert!(e.iter().any(|e| e.message
            == "Invalid value soon for configuration linger.ms: Not a number of type LONG"));
        let e = parse("3.9", &[("lingerms", "5")]).unwrap_err();
        assert!(e[0].message.contains("not a Kafka producer config"));
        assert!(parse("3.2", &[("partitioner.ignore.keys", "true")]).is_err());
    }
}
