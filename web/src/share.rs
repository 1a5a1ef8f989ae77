//! The app's state in a link: the settings (every one the panels can change), the faults
//! and transactional calls injected, the moment on screen, the speed and the language —
//! as JSON, compressed into the URL's fragment (`#s=…`, `kafka_lab::link`). A link is
//! untrusted input: it is read back through the same checks as the panels' own edits,
//! and anything off is refused with the field named while the app keeps its state.

use crate::app::SPEEDS;
use crate::decimal::trimmed;
use crate::i18n::Lang;
use crate::workload::{
    size, Fault, FaultKind, Setting, SettingError, TxnKind, TxnStep, Workload, MAX_FILE_RECORDS,
    MAX_FILE_RUN_MS, MAX_RECORD_BYTES, MODES,
};
use kafka_lab::json::{self, Node, Path, Writer};
use kafka_lab::link;
use kafka_lab::scenario::{write_map, Scenario, SendMode, MAX_SCENARIO_BYTES};
use kafka_lab::sort::sort_by_u64_key;
use kafka_lab::vec_map::VecMap;

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
    broker: VecMap<String, String>,
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
    "broker",
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

    /// The format is read first: a later one may differ in everything else (`Err(v)`).
    fn read(node: &Node, path: &Path) -> json::Result<Result<State, u32>> {
        let f = json::object(node, path, STATE_FIELDS, None)?;
        let v = f.req(0, json::u32)?;
        if v != FORMAT {
            return Ok(Err(v));
        }
        Ok(Ok(State {
            v,
            w: f.req(1, Settings::read)?,
            t_ms: f.req(2, json::f64)?,
            steps: f.req(3, json::u64)?,
            speed: f.req(4, json::f64)?,
            lang: f.req(5, json::string)?,
            lesson: f.opt(6, json::string)?,
        }))
    }
}

impl Settings {
    fn write(&self, w: &mut Writer) {
        w.begin_object();
        w.string_field("kafka_version", &self.kafka_version);
        write_map(w, "producer", &self.producer, false);
        w.u64_field("partitions", self.partitions.into());
        w.u64_field("replication_factor", self.replication_factor.into());
        write_map(w, "broker", &self.broker, false);
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
            broker: f.get(14, json::string_map)?.unwrap_or_default(),
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

/// Why a link, a lesson, a file or a setting was refused: the field (or file, or address;
/// empty if the context names it), and why, in the language on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pub field: String,
    pub reason: Reason,
}

impl LinkError {
    pub fn text(&self, lang: Lang) -> String {
        let why = self.reason.text(lang);
        match self.field.as_str() {
            "" => why,
            field => format!("{field}: {why}"),
        }
    }
}

/// The app's refusals, with their values, worded at view time in the language on screen.
/// Kafka's, the JSON reader's and the core's own messages are `Verbatim`: instructors
/// search for them as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    Verbatim(String),
    /// The link's text does not decode (`kafka_lab::link`).
    Link(link::LinkError),
    NotUtf8,
    /// A link format this app does not read.
    Format(u32),
    NotANumber(String),
    /// Outside what the app shows: min, max.
    Range(u32, u32),
    /// Not one of the app's choices (a speed, a language, a fault, a call, …).
    NotAChoice(String),
    SetByFile,
    /// Keys and values of more bytes than the app keeps; from the panels (else a file).
    TooMuchData(u64, bool),
    /// A moment (ms) outside the run, which ends at the second (ms).
    Moment(String, u64),
    NoLesson(String),
    /// More than `MAX_STEPS` faults or calls.
    TooMany,
    /// A broker outside the cluster: the broker, how many it has.
    NoBroker(u32, u32),
    /// A partition outside the topic: the partition, how many it has.
    NoPartition(u32, u32),
    NoSteps,
    StepOrder,
    TextMissing,
    /// A lesson file's id: what it says, what was asked for.
    Id(String, String),
    /// Another site's file (refused before the page's policy would block it).
    OtherSite,
    NotFetched,
    /// A picked file's size, over `MAX_SCENARIO_BYTES`.
    TooBig(u64),
    Unreadable,
    /// A scenario file and each problem with it.
    File(String, Vec<LinkError>),
    RunTooLong,
    TooManyRecords(u64),
    Topics(usize),
    NoProducer,
}

impl Reason {
    pub fn text(&self, lang: Lang) -> String {
        use link::LinkError as L;
        use Reason::*;
        let pick = |en, ko| lang.pick(en, ko);
        match self {
            Verbatim(m) => m.clone(),
            Link(L::NotBase64 { .. } | L::NotDeflate) => {
                pick("truncated or altered", "잘렸거나 바뀐 링크").into()
            }
            Link(L::TooLong { .. } | L::TooLarge) => pick("too long", "너무 긴 링크").into(),
            NotUtf8 => pick("not UTF-8 text", "UTF-8 텍스트가 아님").into(),
            Format(v) => format!(
                "{v}{}",
                pick(
                    " is not a format this app reads",
                    "은(는) 이 앱이 읽는 형식이 아님"
                )
            ),
            NotANumber(raw) => format!("'{raw}'{}", pick(" is not a number", "은(는) 숫자가 아님")),
            Range(min, max) => match lang {
                Lang::En => format!("the app shows {min} to {max}"),
                Lang::Ko => format!("이 앱은 {min}부터 {max}까지만 보여줌"),
            },
            NotAChoice(raw) => format!("{} '{raw}'", pick("unknown choice", "알 수 없는 값")),
            SetByFile => pick("set by the scenario file", "시나리오 파일이 정함").into(),
            TooMuchData(bytes, panels) => {
                let (run, most) = (size(*bytes), size(MAX_RECORD_BYTES));
                let hint = match panels {
                    true => pick(
                        "lower the rate or the value size; ",
                        "전송률이나 값 크기를 줄이거나 ",
                    ),
                    false => "",
                };
                match lang {
                    Lang::En => format!("the run's keys and values come to {run}; the app keeps at most {most} ({hint}the kafka-lab CLI runs any size)"),
                    Lang::Ko => format!("이 실행의 키와 값은 {run}; 이 앱은 최대 {most}까지만 보관함 ({hint}kafka-lab CLI로 실행)"),
                }
            }
            Moment(t, end) => format!(
                "{t} ms{}{end} ms)",
                pick(" is not within the run (0 to ", ": 실행 범위 밖 (0–")
            ),
            NoLesson(id) => format!("'{id}'{}", pick(": no such lesson", ": 없는 수업")),
            TooMany => format!("{}{MAX_STEPS}", pick("more than ", "너무 많음: 최대 ")),
            NoBroker(b, n) => match lang {
                Lang::En => format!("broker {b}: the cluster has {n}"),
                Lang::Ko => format!("브로커 {b}: 클러스터의 브로커는 {n}개"),
            },
            NoPartition(p, n) => match lang {
                Lang::En => format!("partition {p}: the topic has {n}"),
                Lang::Ko => format!("파티션 {p}: 토픽의 파티션은 {n}개"),
            },
            NoSteps => pick("a lesson has at least one step", "수업에 단계가 없음").into(),
            StepOrder => pick("not after the step before it", "앞 단계보다 뒤가 아님").into(),
            TextMissing => pick("text missing in a language", "한 언어의 텍스트가 없음").into(),
            Id(got, asked) => format!("'{got}'{} '{asked}'", pick(", not", ", 요청한 수업은")),
            OtherSite => pick(
                "only this site's own files can be opened",
                "이 사이트의 파일만 열 수 있음",
            )
            .into(),
            NotFetched => pick("could not be fetched", "가져올 수 없음").into(),
            TooBig(bytes) => format!(
                "{bytes} {}{MAX_SCENARIO_BYTES}",
                pick("bytes; the limit is ", "바이트: 최대 ")
            ),
            Unreadable => pick("the browser could not read it", "브라우저가 읽지 못함").into(),
            File(name, problems) => {
                let problems: Vec<String> = problems.iter().map(|p| p.text(lang)).collect();
                let opened = pick(" could not be opened: ", " 파일을 열 수 없음: ");
                format!("{name}{opened}{}", problems.join("; "))
            }
            RunTooLong => format!(
                "{}{MAX_FILE_RUN_MS} ms{}",
                pick("the app plays at most ", "이 앱은 최대 "),
                pick(
                    " (the kafka-lab CLI runs longer ones)",
                    "까지 재생함 (더 길면 kafka-lab CLI로 실행)"
                )
            ),
            TooManyRecords(n) => format!(
                "{n}{}{MAX_FILE_RECORDS}{}",
                pick(
                    " records; the app plays at most ",
                    "개 레코드: 이 앱은 최대 "
                ),
                pick(
                    " (the kafka-lab CLI runs any number)",
                    "개까지 재생함 (kafka-lab CLI로 실행)"
                )
            ),
            Topics(n) => format!(
                "{}{n}{}",
                pick(
                    "the stage draws one topic; this file has ",
                    "무대는 토픽 하나만 그림; 이 파일에는 "
                ),
                pick(" (the kafka-lab CLI runs it)", "개 (kafka-lab CLI로 실행)")
            ),
            NoProducer => pick(
                "the stage follows a producer; this file has none",
                "무대는 프로듀서를 따라감; 이 파일에는 프로듀서가 없음",
            )
            .into(),
        }
    }
}

/// A refusal of `field` (empty if the context names it).
pub fn refuse(field: impl Into<String>, reason: Reason) -> LinkError {
    LinkError {
        field: field.into(),
        reason,
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
            broker: w.broker.clone(),
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
    let json = link::decode(text).map_err(|e| refuse("link", Reason::Link(e)))?;
    // Read as text, as scenarios and lessons are: one reader, so every Deserialize impl
    // is in the bundle once (15 KB of gzipped wasm).
    let json = String::from_utf8(json).map_err(|_| refuse("link", Reason::NotUtf8))?;
    let state = json::read(&json, State::read)
        .map_err(|e| {
            // Named as the panels name them: `rate`, not `w.rate`.
            let field = match e.path.strip_prefix("w.").unwrap_or(&e.path) {
                "" => "link",
                field => field,
            };
            refuse(field, Reason::Verbatim(e.message))
        })?
        .map_err(|v| refuse("v", Reason::Format(v)))?;
    let w = state.w.workload()?;
    let run_ms = w.until_ms();
    if !(0.0..=run_ms as f64).contains(&state.t_ms) {
        return Err(refuse(
            "t_ms",
            Reason::Moment(trimmed(state.t_ms, 3), run_ms),
        ));
    }
    let view = View {
        t_ms: state.t_ms,
        steps: state.steps,
        speed: SPEEDS
            .iter()
            .map(|(v, _, _)| *v)
            .find(|v| *v == state.speed)
            .ok_or_else(|| refuse("speed", Reason::NotAChoice(trimmed(state.speed, 3))))?,
        lang: Lang::parse(&state.lang)
            .ok_or_else(|| refuse("lang", Reason::NotAChoice(state.lang)))?,
        lesson: state.lesson,
    };
    Ok((w, view))
}

/// A refused setting as a link names it: the field, and what is wrong with it.
pub fn link_error(e: SettingError) -> LinkError {
    let (field, reason) = match e {
        SettingError::NotANumber { field, raw } => (field.into(), Reason::NotANumber(raw)),
        SettingError::OutOfRange { field, min, max } => (field.into(), Reason::Range(min, max)),
        SettingError::Unknown { field, raw } => (field.into(), Reason::NotAChoice(raw)),
        SettingError::SetByFile { field } => (field.into(), Reason::SetByFile),
        SettingError::File { name, problems } => ("file".into(), Reason::File(name, problems)),
        SettingError::Kafka(message) => ("settings".into(), Reason::Verbatim(message)),
        SettingError::TooMuchData { field, bytes } => (field, Reason::TooMuchData(bytes, true)),
    };
    refuse(field, reason)
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
        // No check of the app's own: Kafka's parser judges them when the run is built.
        w.broker = state.broker;
        let (run_ms, brokers) = (w.until_ms(), w.brokers());
        let at = |field: String, at_ms: u64| {
            if at_ms > run_ms {
                Err(refuse(field, Reason::Moment(at_ms.to_string(), run_ms)))
            } else {
                Ok(at_ms)
            }
        };
        if state.faults.len() > MAX_STEPS {
            return Err(refuse("faults", Reason::TooMany));
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
                    .ok_or_else(|| refuse(format!("faults[{i}]"), Reason::NotAChoice(kind)))?;
                if broker >= brokers {
                    // A file's cluster may have no broker at all (refused when it builds).
                    return Err(refuse(
                        format!("faults[{i}]"),
                        Reason::NoBroker(broker, brokers),
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
                return Err(refuse("transactions", Reason::SetByFile));
            }
            if steps.len() > MAX_STEPS {
                return Err(refuse("transactions", Reason::TooMany));
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
                        .ok_or_else(|| refuse(field.clone(), Reason::NotAChoice(kind)))?;
                    if let Some((p, _)) = offsets.iter().find(|(p, _)| *p >= w.partitions) {
                        return Err(refuse(field, Reason::NoPartition(*p, w.partitions)));
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
        // A link without broker configs is written as before they existed.
        let json = link::decode(&default).unwrap();
        assert!(!String::from_utf8(json).unwrap().contains("broker"));
    }

    #[test]
    fn a_links_broker_configs_go_through_kafkas_rules() {
        let key = "leader.imbalance.check.interval.seconds";
        let w = Workload::default()
            .with(&Setting::Broker(key.into(), "10".into()))
            .and_then(|w| {
                w.with(&Setting::Broker(
                    "replica.lag.time.max.ms".into(),
                    "5000".into(),
                ))
            })
            .unwrap();
        let text = encode(&w, view());
        assert!(text.len() < 300, "{} characters", text.len());
        assert_eq!(decode(&text), Ok((w, view())));
        // Read as the panel's edits are; Kafka's parser names the key when the run is built.
        let refused = |key: &str, value: &str| {
            let text = state_json(|j| j["w"]["broker"] = serde_json::json!({ key: value }));
            let (w, _) = decode(&text).unwrap();
            assert_eq!(w.broker.get(key).map(String::as_str), Some(value));
            kafka_lab::Simulation::new(&w.scenario()).unwrap_err()
        };
        let e = refused("num.io.threads", "8");
        assert_eq!(e[0].path, "broker_config.num.io.threads");
        assert!(e[0].message.contains("not a broker config"), "{e:?}");
        let e = refused("replica.lag.time.max.ms", "100");
        assert_eq!(e[0].path, "broker_config.replica.lag.time.max.ms");
        assert!(
            e[0].message
                .contains("should always be less than or equal to"),
            "{e:?}"
        );
        // Not a map of strings: refused before, with the field named.
        let text = state_json(|j| j["w"]["broker"] = serde_json::json!({ "x": 1 }));
        assert!(decode(&text).unwrap_err().field.starts_with("broker"));
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
            (e.field.as_str(), e.text(Lang::En).as_str()),
            ("faults[0]", "faults[0]: broker 0: the cluster has 0")
        );
    }

    /// Every reason the app gives, once (a new variant fails to compile in `index`).
    fn every_reason() -> Vec<Reason> {
        use link::LinkError as L;
        use Reason::*;
        let problem = refuse("until_ms", RunTooLong);
        vec![
            Link(L::NotBase64 { at: 3 }),
            Link(L::TooLong { len: 70_000 }),
            Link(L::NotDeflate),
            Link(L::TooLarge),
            NotUtf8,
            Format(2),
            NotANumber("three".into()),
            Range(1, 12),
            NotAChoice("meteor".into()),
            SetByFile,
            TooMuchData(6_000_000_000, true),
            TooMuchData(1_200_000_000, false),
            Moment("-1".into(), RUN_MS),
            NoLesson("nope".into()),
            TooMany,
            NoBroker(7, 3),
            NoPartition(99, 3),
            NoSteps,
            StepOrder,
            TextMissing,
            Id("acks".into(), "design".into()),
            OtherSite,
            NotFetched,
            TooBig(2_000_000),
            Unreadable,
            File("f.json".into(), vec![problem]),
            RunTooLong,
            TooManyRecords(700_000),
            Topics(2),
            NoProducer,
        ]
    }

    fn index(r: &Reason) -> usize {
        use Reason::*;
        match r {
            Verbatim(_) => 0,
            Link(_) => 1,
            NotUtf8 => 2,
            Format(_) => 3,
            NotANumber(_) => 4,
            Range(..) => 5,
            NotAChoice(_) => 6,
            SetByFile => 7,
            TooMuchData(..) => 8,
            Moment(..) => 9,
            NoLesson(_) => 10,
            TooMany => 11,
            NoBroker(..) => 12,
            NoPartition(..) => 13,
            NoSteps => 14,
            StepOrder => 15,
            TextMissing => 16,
            Id(..) => 17,
            OtherSite => 18,
            NotFetched => 19,
            TooBig(_) => 20,
            Unreadable => 21,
            File(..) => 22,
            RunTooLong => 23,
            TooManyRecords(_) => 24,
            Topics(_) => 25,
            NoProducer => 26,
        }
    }

    #[test]
    fn every_refusal_reads_in_both_languages_with_its_field() {
        let all = every_reason();
        let mut seen: Vec<usize> = all.iter().map(index).collect();
        seen.dedup();
        // All but `Verbatim` (Kafka's and the core's words, the same in both).
        assert_eq!(
            seen,
            (1..=26).collect::<Vec<_>>(),
            "each reason once, in order"
        );
        for reason in all {
            let e = refuse("linger.ms", reason.clone());
            let (en, ko) = (e.text(Lang::En), e.text(Lang::Ko));
            for text in [&en, &ko] {
                assert!(text.starts_with("linger.ms: "), "{text}");
                assert!(text.len() > "linger.ms: ".len() + 2, "{text}");
            }
            assert_ne!(en, ko, "{reason:?}");
            assert!(ko.chars().any(|c| ('가'..='힣').contains(&c)), "{ko}");
            assert!(!en.chars().any(|c| ('가'..='힣').contains(&c)), "{en}");
            // The values a reason carries are in both texts.
            let value = match &reason {
                Reason::NotANumber(v) | Reason::NotAChoice(v) | Reason::NoLesson(v) => v.clone(),
                Reason::Moment(v, _) | Reason::File(v, _) | Reason::Id(v, _) => v.clone(),
                Reason::NoBroker(n, _) | Reason::NoPartition(n, _) => n.to_string(),
                Reason::TooManyRecords(n) | Reason::TooBig(n) => n.to_string(),
                _ => String::new(),
            };
            assert!(en.contains(&value) && ko.contains(&value), "{en} / {ko}");
        }
        // Kafka's and the core's words stay as written, in either language.
        let kafka = refuse("settings", Reason::Verbatim("Must set acks to all.".into()));
        assert_eq!(kafka.text(Lang::Ko), kafka.text(Lang::En));
        assert_eq!(refuse("", Reason::NotUtf8).text(Lang::En), "not UTF-8 text");
    }

    #[test]
    fn a_refused_link_reads_in_korean() {
        let e = decode(&state_json(|j| j["w"]["rate"] = 20_000.into())).unwrap_err();
        assert_eq!(e.text(Lang::Ko), "rate: 이 앱은 1부터 10000까지만 보여줌");
        assert_eq!(e.text(Lang::En), "rate: the app shows 1 to 10000");
        let e = decode("not a link!").unwrap_err();
        assert_eq!(e.text(Lang::Ko), "link: 잘렸거나 바뀐 링크");
        // Kafka's refusal is Kafka's text in both.
        let e = decode(&state_json(|j| j["w"]["kafka_version"] = "9.9".into())).unwrap_err();
        assert_eq!(e.text(Lang::Ko), e.text(Lang::En));
    }

    #[test]
    fn the_fragment_holds_the_state() {
        assert_eq!(from_fragment("#s=abc"), Some("abc"));
        assert_eq!(from_fragment("#embed&s=abc"), Some("abc"));
        assert_eq!(from_fragment("#x=1"), None);
        assert_eq!(from_fragment(""), None);
    }
}
