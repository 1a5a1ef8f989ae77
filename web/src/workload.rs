//! The app's controls and the scenario they describe. Every change builds a new scenario;
//! the simulation is then replayed from t=0 to the current moment, because a Kafka
//! producer's config is fixed when it is constructed.

use kafka_lab::scenario::{Action, NetworkSpec, ProducerSpec, Scenario, Send, SendMode, TopicSpec};
use std::collections::BTreeMap;

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

    pub fn label(self) -> &'static str {
        match self {
            KeyPattern::Null => "null (no key)",
            KeyPattern::Single => "\"Pangyo\" only",
            KeyPattern::Cities => "6 cities",
            KeyPattern::Users => "1,000 user ids",
        }
    }

    pub fn parse(s: &str) -> Option<KeyPattern> {
        KeyPattern::ALL.into_iter().find(|k| k.id() == s)
    }

    fn keys(self) -> Vec<Option<String>> {
        match self {
            KeyPattern::Null => vec![None],
            KeyPattern::Single => vec![Some("Pangyo".into())],
            KeyPattern::Cities => ["Pangyo", "Seoul", "Busan", "Gwangju", "Jeju", "Daejeon"]
                .iter()
                .map(|c| Some(c.to_string()))
                .collect(),
            KeyPattern::Users => (0..1000).map(|i| Some(format!("user-{i}"))).collect(),
        }
    }
}

/// Everything the control panel can change.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub kafka_version: String,
    pub acks: String,
    pub batch_size: u32,
    pub linger_ms: u64,
    pub partitions: u32,
    pub keys: KeyPattern,
    /// Records per second.
    pub rate: u32,
    pub value_bytes: u32,
    pub latency_ms: u64,
}

/// Virtual length of the demo run.
pub const RUN_MS: u64 = 60_000;
pub const BROKERS: u32 = 3;
pub const TOPIC: &str = "orders";

impl Default for Workload {
    fn default() -> Self {
        Workload {
            kafka_version: "4.0".into(),
            acks: "all".into(),
            batch_size: 1024,
            linger_ms: 20,
            partitions: 3,
            keys: KeyPattern::Cities,
            rate: 100,
            value_bytes: 100,
            latency_ms: 10,
        }
    }
}

/// A control the user changed, with the raw value from the form.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    KafkaVersion(String),
    Acks(String),
    BatchSize(String),
    LingerMs(String),
    Partitions(String),
    Keys(String),
    Rate(String),
    ValueBytes(String),
    LatencyMs(String),
}

impl Workload {
    /// Applies one change, or says why the value is not acceptable.
    pub fn with(&self, setting: &Setting) -> Result<Workload, String> {
        fn num<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, String> {
            raw.trim()
                .parse()
                .map_err(|_| format!("{field}: '{raw}' is not a number"))
        }
        let mut w = self.clone();
        match setting {
            Setting::KafkaVersion(v) => w.kafka_version = v.clone(),
            Setting::Acks(v) => w.acks = v.clone(),
            Setting::BatchSize(v) => w.batch_size = num("batch.size", v)?,
            Setting::LingerMs(v) => w.linger_ms = num("linger.ms", v)?,
            Setting::Partitions(v) => {
                let n: u32 = num("partitions", v)?;
                if !(1..=12).contains(&n) {
                    return Err("partitions: the app shows 1 to 12 partitions".into());
                }
                w.partitions = n;
            }
            Setting::Keys(v) => {
                w.keys =
                    KeyPattern::parse(v).ok_or_else(|| format!("keys: unknown pattern '{v}'"))?
            }
            Setting::Rate(v) => {
                let r: u32 = num("rate", v)?;
                if !(1..=1000).contains(&r) {
                    return Err("rate: 1 to 1000 records per second".into());
                }
                w.rate = r;
            }
            Setting::ValueBytes(v) => w.value_bytes = num("value size", v)?,
            Setting::LatencyMs(v) => w.latency_ms = num("latency", v)?,
        }
        Ok(w)
    }

    /// The scenario these controls describe: one producer sending at `rate` for a minute.
    pub fn scenario(&self) -> Scenario {
        let interval_ms = (1000 / self.rate.max(1)) as u64;
        let count = (RUN_MS / interval_ms.max(1)) as u32;
        let mut config = BTreeMap::new();
        config.insert("acks".to_string(), self.acks.clone());
        config.insert("batch.size".to_string(), self.batch_size.to_string());
        config.insert("linger.ms".to_string(), self.linger_ms.to_string());
        Scenario {
            seed: 7,
            kafka_version: Some(self.kafka_version.clone()),
            brokers: BROKERS,
            topics: vec![TopicSpec {
                name: TOPIC.into(),
                partitions: self.partitions,
                replication_factor: 1,
                replica_assignment: None,
                config: BTreeMap::new(),
            }],
            producers: vec![ProducerSpec {
                name: "producer-1".into(),
                config,
                custom_partitioner: None,
            }],
            consumers: vec![],
            actions: vec![Action::Send(Send {
                at_ms: 0,
                producer: "producer-1".into(),
                topic: TOPIC.into(),
                key: None,
                keys: Some(self.keys.keys()),
                value: None,
                value_bytes: Some(self.value_bytes),
                partition: None,
                count,
                interval_ms,
                mode: SendMode::Async,
            })],
            until_ms: RUN_MS,
            network: Some(NetworkSpec {
                latency_ms: self.latency_ms,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_lab::Simulation;

    #[test]
    fn default_workload_is_a_valid_scenario() {
        assert!(Simulation::new(&Workload::default().scenario()).is_ok());
    }

    #[test]
    fn settings_are_checked() {
        let w = Workload::default();
        assert_eq!(
            w.with(&Setting::Partitions("6".into())).unwrap().partitions,
            6
        );
        assert!(w.with(&Setting::Partitions("0".into())).is_err());
        assert!(w.with(&Setting::LingerMs("soon".into())).is_err());
        assert!(w.with(&Setting::Keys("nope".into())).is_err());
        // acks=2 is representable here but the core rejects it with Kafka's rule.
        let bad = w.with(&Setting::Acks("2".into())).unwrap();
        let errors = Simulation::new(&bad.scenario()).unwrap_err();
        assert!(errors[0]
            .message
            .contains("String must be one of: all, -1, 0, 1"));
    }
}
