//! The app's state in a link: the settings (every one the panels can change), the faults
//! and transactional calls injected, the moment on screen, the speed and the language —
//! as JSON, compressed into the URL's fragment (`#s=…`, `kafka_lab::link`). A link is
//! untrusted input: it is read back through the same checks as the panels' own edits,
//! and anything off is refused with the field named while the app keeps its state.

use crate::app::SPEEDS;
use crate::decimal::trimmed;
use crate::i18n::Lang;
use crate::workload::{
    too_much_data, Fault, FaultKind, Setting, SettingError, TxnKind, TxnStep, Workload, MODES,
};
use kafka_lab::json::{self, Node, Path, Writer};
use kafka_lab::link;
use kafka_lab::scenario::{write_map, Scenario, SendMode};
use kafka_lab::sort::sort_by_u64_key;
use kafka_lab::vec_map::VecMap;
use std::fmt;

/// The fragment's key: `#s=<state>`.
pub const KEY: &str = "s=";
/// The format written; a link names its format so a later one can still read it.
const FORMAT: u32 = 1;
/// Most faults or transactional calls a link may carry (the panels make a handful).
const MAX_STEPS: usize = 200;

const FAULTS: [(FaultKind, &str); 8] = [
    (FaultKind::SlowFollower, "slow_follower"),
    (FaultKind::DropRequest, "drop_request"),
    (FaultKind::DropResponse, "drop_response"),
    (FaultKind::Crash, "crash"),
    (FaultKind::Restart, "restart"),
    (FaultKind::Isolate, "isolate"),
    (FaultKind::Heal, "heal"),
    (FaultKind::RestartProducer, "restart_producer"),
];

const CALLS: [(TxnKind, &str); 6] = [
    (TxnKind::Begin, "begin"),
    (TxnKind::Send, "send"),
    (TxnKind::Commit, "commit"),
    (TxnKind::Abort, "abort"),
    (TxnKind::Zombie, "zombie"),
    (TxnKind::SendOffsets, "send_offsets"),
];

/// What the screen shows besides the workload.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// The moment on screen, in ms of virtual time (to the µs: the picture between two
    /// events depends on it).
    pub t_ms: f64,
    /// Events the run had processed: stepping stops between two events of one
    /// millisecond, which the moment alone cannot say.
    pub steps: u64,
    pub speed: f64,
    pub lang: Lang,
    /// The lesson being followed, by id.
    pub lesson: Option<String>,
}

/// A transactional call: (at_ms, call, offsets as (partition, offset)).
type Call = (u64, String, Vec<(u32, u64)>);

/// Everything the panels set, the faults and the transactional calls, as JSON: in a link,
/// and in a lesson file. Field names follow the panels (Kafka's property names in the
/// maps); empty lists and maps are left out to keep links short.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    kafka_version: String,
    producer: VecMap<String, String>,
    partitions: u32,
    replication_factor: u32,
    topic: VecMap<String, String>,
    consumer: VecMap<String, String>,
    keys: String,
    rate: u32,
    value_bytes: u32,
    latency_ms: u64,
    mode: SendMode,
    /// (at_ms, fault, broker)
    faults: Vec<(u64, String, u32)>,
    transactions: Option<Vec<Call>>,
    /// The scenario file the run is built on, whole: a link needs nothing else.
    file: Option<FileSettings>,
}

#[derive(Clone, Debug, PartialEq)]
struct FileSettings {
    name: String,
    scenario: Scenario,
}

/// The JSON inside a link: the settings and the view.
#[derive(Debug)]
struct State {
    v: u32,
    w: Settings,
    t_ms: f64,
    steps: u64,
    speed: f64,
    lang: String,
    lesson: Option<String>,
}

const STATE_FIELDS: &[&str] = &["v", "w", "t_ms", "steps", "speed", "lang", "lesson"];

const SETTINGS_FIELDS: &[&str] = &[
    "kafka_version",
    "producer",
    "partitions",
    "replication_factor",
    "topic",
    "consumer",
    "keys",
    "rate",
    "value_bytes",
    "latency_ms",
    "mode",
    "faults",
    "transactions",
    "file",
];

/// A moment (rounded to a microsecond) or a speed as serde_json wrote it in links: its
/// shortest digits, and `.0` when whole. For a value of at most three decimals those are
/// the digits to the third decimal.
fn json_number(v: f64) -> String {
    let text = trimmed(v, 3);
    if text.contains('.') {
        text
    } else {
        text + ".0"
    }
}

impl State {
    /// Fields as serde wrote them before (old links are in course slides): in this
    /// order, empty lists and maps and absent options left out.
    fn write(&self, w: &mut Writer) {
        w.begin_object();
        w.u64_field("v", self.v.into());
        w.key("w");
        self.w.write(w);
        w.key("t_ms");
        w.number(&json_number(self.t_ms));
        w.u64_field("steps", self.steps);
        w.key("speed");
        w.number(&json_number(self.speed));
        w.string_field("lang", &self.lang);
        if let Some(lesson) = &self.lesson {
            w.string_field("lesson", lesson);
        }
        w.end_object();
    }

    /// The format is read first: a later one may differ in everything else.
    fn read(node: &Node, path: &Path) -> json::Result<State> {
        let f = json::object(node, path, STATE_FIELDS, None)?;
        let v = f.req(0, json::u32)?;
        if v != FORMAT {
            return Err(path.key("v").error(
                node.at,
                format!("format {v} is not one this app reads ({FORMAT})"),
            ));
        }
        Ok(State {
            v,
            w: f.req(1, Settings::read)?,
            t_ms: f.req(2, json::f64)?,
            steps: f.req(3, json::u64)?,
            speed: f.req(4, json::f64)?,
            lang: f.req(5, json::string)?,
            lesson: f.opt(6, json::string)?,
        })
    }
}

impl Settings {
    fn write(&self, w: &mut Writer) {
        w.begin_object();
        w.string_field("kafka_version", &self.kafka_version);
        write_map(w, "producer", &self.producer, false);
        w.u64_field("partitions", self.partitions.into());
        w.u64_field("replication_factor", self.replication_factor.into());
        write_map(w, "topic", &self.topic, false);
        write_map(w, "consumer", &self.consumer, false);
        w.string_field("keys", &self.keys);
        w.u64_field("rate", self.rate.into());
        w.u64_field("value_bytes", self.value_bytes.into());
        w.u64_field("latency_ms", self.latency_ms);
        w.string_field("mode", self.mode.name());
        if !self.faults.is_empty() {
            w.key("faults");
            w.begin_array();
            for (at_ms, kind, broker) in &self.faults {
                w.begin_array();
                w.u64(*at_ms);
                w.string(kind);
                w.u64((*broker).into());
                w.end_array();
            }
            w.end_array();
        }
        if let Some(calls) = &self.transactions {
            w.key("transactions");
            w.begin_array();
            for (at_ms, kind, offsets) in calls {
                w.begin_array();
                w.u64(*at_ms);
                w.string(kind);
                w.begin_array();
                for (partition, offset) in offsets {
                    w.begin_array();
                    w.u64((*partition).into());
                    w.u64(*offset);
                    w.end_array();
                }
                w.end_array();
                w.end_array();
            }
            w.end_array();
        }
        if let Some(file) = &self.file {
            w.key("file");
            w.begin_object();
            w.string_field("name", &file.name);
            w.key("scenario");
            file.scenario.write(w);
            w.end_object();
        }
        w.end_object();
    }

    /// The settings in a link or a lesson file.
    pub fn read(node: &Node, path: &Path) -> json::Result<Settings> {
        let f = json::object(node, path, SETTINGS_FIELDS, None)?;
        Ok(Settings {
            kafka_version: f.req(0, json::string)?,
            producer: f.get(1, json::string_map)?.unwrap_or_default(),
            partitions: f.req(2, json::u32)?,
            replication_factor: f.req(3, json::u32)?,
            topic: f.get(4, json::string_map)?.unwrap_or_default(),
            consumer: f.get(5, json::string_map)?.unwrap_or_default(),
            keys: f.req(6, json::string)?,
            rate: f.req(7, json::u32)?,
            value_bytes: f.req(8, json::u32)?,
            latency_ms: f.req(9, json::u64)?,
            mode: f.req(10, SendMode::read)?,
            faults: f
                .get(11, |n, p| {
                    json::vec(n, p, |n, p| {
                        let t = json::tuple(n, p, 3)?;
                        Ok((
                            json::u64(&t[0], &p.index(0))?,
                            json::string(&t[1], &p.index(1))?,
                            json::u32(&t[2], &p.index(2))?,
                        ))
                    })
                })?
                .unwrap_or_default(),
            transactions: f.opt(12, |n, p| json::vec(n, p, read_call))?,
            file: f.opt(13, |n, p| {
                let f = json::object(n, p, &["name", "scenario"], None)?;
                Ok(FileSettings {
                    name: f.req(0, json::string)?,
                    scenario: f.req(1, Scenario::read)?,
                })
            })?,
        })
    }
}

/// `[at_ms, call, [[partition, offset], …]]`.
fn read_call(node: &Node, path: &Path) -> json::Result<Call> {
    let t = json::tuple(node, path, 3)?;
    let offsets = json::vec(&t[2], &path.index(2), |n, p| {
        let pair = json::tuple(n, p, 2)?;
        Ok((
            json::u32(&pair[0], &p.index(0))?,
            json::u64(&pair[1], &p.index(1))?,
        ))
    })?;
    Ok((
        json::u64(&t[0], &path.index(0))?,
        json::string(&t[1], &path.index(1))?,
        offsets,
    ))
}

/// Why a link was refused: the field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> LinkError {
    LinkError {
        field: field.into(),
        message: message.into(),
    }
}

fn id_of<K: PartialEq>(kind: K, table: &[(K, &str)]) -> String {
    table
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(String::new(), |(_, id)| id.to_string())
}

/// The link text (after `#s=`) for this workload and view.
pub fn encode(w: &Workload, view: View) -> String {
    let state = State {
        v: FORMAT,
        w: Settings::of(w),
        t_ms: (view.t_ms * 1000.0).round() / 1000.0,
        steps: view.steps,
        speed: view.speed,
        lang: view.lang.code().into(),
        lesson: view.lesson,
    };
    let mut json = Writer::new(false);
    state.write(&mut json);
    link::encode(json.finish().as_bytes())
}

impl Settings {
    pub fn of(w: &Workload) -> Settings {
        Settings {
            kafka_version: w.kafka_version.clone(),
            producer: w.producer.clone(),
            partitions: w.partitions,
            replication_factor: w.replication_factor,
            topic: w.topic.clone(),
            consumer: w.consumer.clone(),
            keys: w.keys.id().into(),
            rate: w.rate,
            value_bytes: w.value_bytes,
            latency_ms: w.latency_ms,
            mode: w.mode,
            faults: w
                .faults
                .iter()
                .map(|f| (f.at_ms, id_of(f.kind, &FAULTS), f.broker))
                .collect(),
            transactions: w.transactions.as_ref().map(|steps| {
                steps
                    .iter()
                    .map(|s| (s.at_ms, id_of(s.kind, &CALLS), s.offsets.clone()))
                    .collect()
            }),
            file: w.file.as_ref().map(|f| FileSettings {
                name: f.name.clone(),
                scenario: f.scenario.clone(),
            }),
        }
    }
}

/// The workload and view a link's text (after `#s=`) stands for.
pub fn decode(text: &str) -> Result<(Workload, View), LinkError> {
    let json = link::decode(text).map_err(|e| refuse("link", e.to_string()))?;
    // Read as text, as scenarios and lessons are: one reader, so every Deserialize impl
    // is in the bundle once (15 KB of gzipped wasm).
    let json = String::from_utf8(json).map_err(|_| refuse("link", "not UTF-8 text"))?;
    let state = json::read(&json, State::read).map_err(|e| {
        // Named as the panels name them: `rate`, not `w.rate`.
        let field = match e.path.strip_prefix("w.").unwrap_or(&e.path) {
            "" => "link",
            field => field,
        };
        refuse(field, e.message)
    })?;
    let w = state.w.workload()?;
    let run_ms = w.until_ms();
    if !(0.0..=run_ms as f64).contains(&state.t_ms) {
        return Err(refuse(
            "t_ms",
            format!(
                "{} ms is not within the run (0 to {run_ms} ms)",
                trimmed(state.t_ms, 3)
            ),
        ));
    }
    let view = View {
        t_ms: state.t_ms,
        steps: state.steps,
        speed: SPEEDS
            .iter()
            .map(|(v, _, _)| *v)
            .find(|v| *v == state.speed)
            .ok_or_else(|| {
                refuse(
                    "speed",
                    format!("{} is not one of the app's speeds", trimmed(state.speed, 3)),
                )
            })?,
        lang: Lang::parse(&state.lang)
            .ok_or_else(|| refuse("lang", format!("'{}' is not en or ko", state.lang)))?,
        lesson: state.lesson,
    };
    Ok((w, view))
}

/// A refused setting as a link names it: the field, and what is wrong with it.
pub fn link_error(e: SettingError) -> LinkError {
    match e {
        SettingError::NotANumber { field, raw } => {
            refuse(field, format!("'{raw}' is not a number"))
        }
        SettingError::OutOfRange { field, min, max } => {
            refuse(field, format!("must be between {min} and {max}"))
        }
        SettingError::Unknown { field, raw } => refuse(field, format!("'{raw}' is not a choice")),
        SettingError::SetByFile { field } => refuse(field, "set by the scenario file"),
        SettingError::File { problems, .. } => refuse("file", problems.join("; ")),
        SettingError::Kafka(message) => refuse("settings", message),
        SettingError::TooMuchData { field, bytes } => refuse(field, too_much_data(bytes, Lang::En)),
    }
}

impl Settings {
    /// The workload these settings describe, through the panels' own checks.
    pub fn workload(self) -> Result<Workload, LinkError> {
        let state = self;
        // Through the panels' own checks, in the order they depend on each other.
        let base = match state.file {
            Some(f) => Workload::of_file(&f.name, f.scenario).map_err(link_error)?,
            None => Workload::default(),
        };
        let mut w = base
            .with(&Setting::KafkaVersion(state.kafka_version))
            .map_err(link_error)?;
        // The maps below are the panels' whole maps.
        w.producer.clear();
        w.topic.clear();
        w.consumer.clear();
        let mode = MODES
            .iter()
            .find(|(m, _, _, _)| *m == state.mode)
            .map_or("async", |(_, id, _, _)| id);
        // A file's workload is its own: the controls that set one are not read.
        let workload = [
            Setting::Partitions(state.partitions.to_string()),
            Setting::ReplicationFactor(state.replication_factor.to_string()),
            Setting::Keys(state.keys),
            Setting::Rate(state.rate.to_string()),
            Setting::ValueBytes(state.value_bytes.to_string()),
            Setting::Mode(mode.into()),
        ];
        let from_file = w.file.is_some();
        let settings = workload
            .into_iter()
            .filter(|_| !from_file)
            .chain([Setting::LatencyMs(state.latency_ms.to_string())])
            .chain(
                state
                    .producer
                    .into_iter()
                    .map(|(k, v)| Setting::Producer(k, v)),
            )
            .chain(state.topic.into_iter().map(|(k, v)| Setting::Topic(k, v)))
            .chain(
                state
                    .consumer
                    .into_iter()
                    .map(|(k, v)| Setting::Consumer(k, v)),
            );
        for s in settings {
            w = w.with(&s).map_err(link_error)?;
        }
        let (run_ms, brokers) = (w.until_ms(), w.brokers());
        let at = |field: String, at_ms: u64| {
            if at_ms > run_ms {
                Err(refuse(
                    field,
                    format!("{at_ms} ms is past the run's end ({run_ms} ms)"),
                ))
            } else {
                Ok(at_ms)
            }
        };
        if state.faults.len() > MAX_STEPS {
            return Err(refuse("faults", format!("more than {MAX_STEPS}")));
        }
        w.faults = state
            .faults
            .into_iter()
            .enumerate()
            .map(|(i, (at_ms, kind, broker))| {
                let kind = FAULTS
                    .iter()
                    .find(|(_, id)| *id == kind)
                    .map(|(k, _)| *k)
                    .ok_or_else(|| {
                        refuse(format!("faults[{i}]"), format!("'{kind}' is not a fault"))
                    })?;
                if broker >= brokers {
                    // A file's cluster may have no broker at all (refused when it builds).
                    let has = match brokers {
                        0 => "no brokers".to_string(),
                        n => format!("brokers 0 to {}", n - 1),
                    };
                    return Err(refuse(
                        format!("faults[{i}]"),
                        format!("broker {broker}: the cluster has {has}"),
                    ));
                }
                Ok(Fault {
                    at_ms: at(format!("faults[{i}]"), at_ms)?,
                    kind,
                    broker,
                })
            })
            .collect::<Result<_, _>>()?;
        if let Some(steps) = state.transactions {
            if w.file.is_some() {
                return Err(refuse("transactions", "set by the scenario file"));
            }
            if steps.len() > MAX_STEPS {
                return Err(refuse("transactions", format!("more than {MAX_STEPS}")));
            }
            let mut steps = steps
                .into_iter()
                .enumerate()
                .map(|(i, (at_ms, kind, offsets))| {
                    let field = format!("transactions[{i}]");
                    let kind = CALLS
                        .iter()
                        .find(|(_, id)| *id == kind)
                        .map(|(k, _)| *k)
                        .ok_or_else(|| refuse(field.clone(), format!("'{kind}' is not a call")))?;
                    if let Some((p, _)) = offsets.iter().find(|(p, _)| *p >= w.partitions) {
                        return Err(refuse(
                            field,
                            format!("partition {p}: the topic has {}", w.partitions),
                        ));
                    }
                    Ok(TxnStep {
                        at_ms: at(field, at_ms)?,
                        kind,
                        offsets,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            // As the app keeps them: in time order, same-moment calls in their order.
            sort_by_u64_key(&mut steps, |s| s.at_ms);
            w.transactions = Some(steps);
        }
        Ok(w)
    }
}

/// The state part of a URL fragment (`#s=…`), if it has one.
pub fn from_fragment(hash: &str) -> Option<&str> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|part| part.strip_prefix(KEY))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::RUN_MS;

    #[test]
    fn moments_and_speeds_are_written_as_serde_json_wrote_them() {
        let mut rng = kafka_lab::rng::Rng::new(3);
        let moments = (0..20_000).map(|_| (rng.below(600_000_000) as f64).round() / 1000.0);
        for v in SPEEDS
            .iter()
            .map(|s| s.0)
            .chain(moments)
            .chain([0.0, 1.0, 0.001])
        {
            assert_eq!(json_number(v), json::format_f64(v), "{v}");
        }
    }

    fn view() -> View {
        View {
            t_ms: 1234.5,
            steps: 4321,
            speed: 0.25,
            lang: Lang::Ko,
            lesson: None,
        }
    }

    #[test]
    fn a_link_gives_back_the_workload_and_view() {
        let mut w = Workload::default()
            .with(&Setting::KafkaVersion("3.9".into()))
            .and_then(|w| w.with(&Setting::Producer("acks".into(), "1".into())))
            .and_then(|w| w.with(&Setting::Partitions("5".into())))
            .and_then(|w| w.with(&Setting::Topic("min.insync.replicas".into(), "2".into())))
            .and_then(|w| w.with(&Setting::Consumer("fetch.min.bytes".into(), "100".into())))
            .and_then(|w| w.with(&Setting::Mode("sync".into())))
            .and_then(|w| w.with(&Setting::Transactions(true)))
            .unwrap();
        w.faults.push(Fault {
            at_ms: 500,
            kind: FaultKind::Crash,
            broker: 2,
        });
        if let Some(steps) = &mut w.transactions {
            steps.push(TxnStep {
                at_ms: 4000,
                kind: TxnKind::SendOffsets,
                offsets: vec![(0, 3), (4, 1)],
            });
        }
        let text = encode(&w, view());
        assert!(text.len() < 400, "{} characters", text.len());
        assert_eq!(decode(&text), Ok((w, view())));
        let default = encode(&Workload::default(), view());
        assert_eq!(decode(&default), Ok((Workload::default(), view())));
    }

    #[test]
    fn a_link_carries_a_scenario_file_and_the_edits_on_it() {
        let saved = Workload::default()
            .with(&Setting::Rate("200".into()))
            .unwrap()
            .scenario()
            .to_json_pretty();
        let mut w = Workload::from_file("two-hundred.json", &saved)
            .and_then(|w| w.with(&Setting::Producer("acks".into(), "0".into())))
            .and_then(|w| w.with(&Setting::LatencyMs("50".into())))
            .unwrap();
        w.faults.push(Fault {
            at_ms: 700,
            kind: FaultKind::DropResponse,
            broker: 1,
        });
        let text = encode(&w, view());
        assert!(text.len() < 1200, "{} characters", text.len());
        assert_eq!(decode(&text), Ok((w.clone(), view())));
        // The file decides the workload: a link cannot also carry transactional calls.
        let mut json: serde_json::Value =
            serde_json::from_slice(&link::decode(&text).unwrap()).unwrap();
        json["w"]["transactions"] = serde_json::json!([]);
        let e = decode(&link::encode(json.to_string().as_bytes())).unwrap_err();
        assert_eq!(e.field, "transactions");
        json["w"]["transactions"] = serde_json::Value::Null;
        json["w"]["faults"] = serde_json::json!([[10, "crash", 3]]);
        let e = decode(&link::encode(json.to_string().as_bytes())).unwrap_err();
        assert_eq!(e.field, "faults[0]");
    }

    fn state_json(edit: impl Fn(&mut serde_json::Value)) -> String {
        let text = encode(&Workload::default(), view());
        let mut json: serde_json::Value =
            serde_json::from_slice(&link::decode(&text).unwrap()).unwrap();
        edit(&mut json);
        link::encode(json.to_string().as_bytes())
    }

    #[test]
    fn a_bad_link_names_its_field() {
        let field =
            |edit: &dyn Fn(&mut serde_json::Value)| decode(&state_json(edit)).unwrap_err().field;
        assert_eq!(decode("not a link!").unwrap_err().field, "link");
        assert_eq!(field(&|j| j["w"]["rate"] = 20_000.into()), "rate");
        assert_eq!(field(&|j| j["w"]["partitions"] = 0.into()), "partitions");
        assert_eq!(
            field(&|j| j["w"]["partitions"] = "three".into()),
            "partitions"
        );
        assert_eq!(
            field(&|j| j["w"]["value_bytes"] = 1_000_000_000u64.into()),
            "value size"
        );
        assert_eq!(field(&|j| j["speed"] = 3.0.into()), "speed");
        assert_eq!(field(&|j| j["lang"] = "fr".into()), "lang");
        assert_eq!(field(&|j| j["t_ms"] = (RUN_MS + 1).into()), "t_ms");
        assert_eq!(field(&|j| j["t_ms"] = (-1.0).into()), "t_ms");
        assert_eq!(
            field(&|j| j["w"]["kafka_version"] = "9.9".into()),
            "settings"
        );
        assert_eq!(field(&|j| j["surprise"] = 1.into()), "surprise");
        assert_eq!(
            field(&|j| j["w"]["faults"] = serde_json::json!([[10, "crash", 7]])),
            "faults[0]"
        );
        assert_eq!(
            field(&|j| j["w"]["faults"] = serde_json::json!([[10, "meteor", 0]])),
            "faults[0]"
        );
        assert_eq!(
            field(
                &|j| j["w"]["transactions"] = serde_json::json!([[10, "send_offsets", [[99, 0]]]])
            ),
            "transactions[0]"
        );
        assert_eq!(field(&|j| j["v"] = 2.into()), "v");
        // Found by the link fuzzer (tests/fuzz.rs): a fault on a file cluster of no broker.
        let file = Workload::default().scenario().to_json_pretty();
        let on_file = Workload::from_file("f.json", &file).unwrap();
        let text = encode(&on_file, view());
        let mut json: serde_json::Value =
            serde_json::from_slice(&link::decode(&text).unwrap()).unwrap();
        json["w"]["file"]["scenario"]["brokers"] = 0.into();
        json["w"]["faults"] = serde_json::json!([[10, "crash", 0]]);
        let e = decode(&link::encode(json.to_string().as_bytes())).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("faults[0]", "broker 0: the cluster has no brokers")
        );
    }

    #[test]
    fn the_fragment_holds_the_state() {
        assert_eq!(from_fragment("#s=abc"), Some("abc"));
        assert_eq!(from_fragment("#embed&s=abc"), Some("abc"));
        assert_eq!(from_fragment("#x=1"), None);
        assert_eq!(from_fragment(""), None);
    }
}
