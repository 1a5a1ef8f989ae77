//! The settings aside: the Kafka version, the workload, fault injection and every topic,
//! producer and consumer config. Its own component with props compared by value and
//! callbacks made once by the app, so that the ~330 elements are not diffed on every
//! re-render of a playing run — they change only with the settings, the faults and the
//! brokers' state.

use crate::decimal::{trimmed, Fixed};
use crate::i18n::Lang;
use crate::panel::{broker_panel, consumer_panel, producer_panel, topic_panel};
use crate::share::{refuse, LinkError, Reason};
use crate::workload::{FaultKind, KeyPattern, Setting, SettingError, Workload, MODES, TOPIC};
use kafka_lab::scenario::SendMode;
use kafka_lab::scenario::MAX_SCENARIO_BYTES;
use kafka_lab::version::KafkaVersion;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What the controls ask of the app. Made once: a callback equals only itself, and
/// equal props skip the re-render.
#[derive(Clone, PartialEq)]
pub struct ControlCallbacks {
    pub set: Callback<Setting>,
    /// Inject a fault at the moment on screen.
    pub fault: Callback<(FaultKind, u32)>,
    pub clear_faults: Callback<()>,
    /// A scenario file picked: its name and text (or why it could not be read).
    pub open: Callback<(String, Result<String, LinkError>)>,
    /// Download the run as a scenario file.
    pub save: Callback<()>,
    /// Back from a file to the panels' own workload.
    pub close_file: Callback<()>,
}

/// The controls a scenario file decides, by element id.
const FILE_DECIDES: [&str; 7] = [
    "keys",
    "rate",
    "value-bytes",
    "send-mode",
    "transactions",
    "partitions",
    "replication-factor",
];

/// The latencies offered, with a file's own among them.
fn latencies(current: u64) -> Vec<u64> {
    let mut offered = vec![1, 5, 10, 50];
    if !offered.contains(&current) {
        let at = offered.partition_point(|&l| l < current);
        offered.insert(at, current);
    }
    offered
}

/// Reads the file picked in `input` and hands its text to `open`.
fn read_picked(input: &HtmlInputElement, open: &Callback<(String, Result<String, LinkError>)>) {
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    // Picking the same file again is a change too.
    input.set_value("");
    let name = file.name();
    if file.size() > MAX_SCENARIO_BYTES as f64 {
        open.emit((name, Err(refuse("", Reason::TooBig(file.size() as u64)))));
        return;
    }
    let open = open.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        let text = text
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| refuse("", Reason::Unreadable));
        open.emit((name, text));
    });
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub workload: Rc<Workload>,
    /// The last refused setting, shown until a valid one replaces it.
    pub error: Option<SettingError>,
    /// Per broker at the moment on screen: crashed, cut off.
    pub down: Vec<(bool, bool)>,
    /// The controller's broker session timeout, in seconds.
    pub session_s: u64,
    pub lang: Lang,
    pub callbacks: ControlCallbacks,
}

fn mode_id(mode: SendMode) -> &'static str {
    MODES
        .iter()
        .find(|(m, _, _, _)| *m == mode)
        .map_or("async", |(_, id, _, _)| id)
}

#[function_component]
pub fn Controls(props: &ControlsProps) -> Html {
    let (w, lang, session_s, cb) = (
        &*props.workload,
        props.lang,
        props.session_s,
        &props.callbacks,
    );
    // A control's name: Kafka's identifier as Kafka spells it (`ident`), or a label.
    let select = |id: &'static str,
                  (name, ident): (&str, bool),
                  hint: &str,
                  value: String,
                  options: Vec<(String, String)>,
                  make: fn(String) -> Setting| {
        let onchange = cb.set.reform(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            make(input.value())
        });
        let decided = w.file.is_some() && FILE_DECIDES.contains(&id);
        let title = decided.then(|| lang.pick("set by the scenario file", "시나리오 파일이 정함"));
        html! {
            <label class="control" for={id} {title}>
                <span class={if ident { "name mono" } else { "name" }}>{ name.to_string() }</span>
                <select id={id} {onchange} disabled={decided}>
                    { for options.into_iter().map(|(v, text)| html! {
                        <option value={v.clone()} selected={v == value}>{ text }</option>
                    }) }
                </select>
                <span class="hint">{ hint.to_string() }</span>
            </label>
        }
    };
    let picker = use_node_ref();
    let topic = w
        .file
        .as_ref()
        .and_then(|f| f.scenario.topics.first())
        .map_or(TOPIC, |t| t.name.as_str());
    let opts = |values: &[u64]| -> Vec<(String, String)> {
        values
            .iter()
            .map(|v| (v.to_string(), v.to_string()))
            .collect()
    };
    html! {
        <aside class="controls" aria-label={lang.pick("producer and workload settings", "프로듀서·워크로드 설정")}>
            { select("kafka-version", (lang.pick("Kafka version", "Kafka 버전"), false),
                lang.pick("defaults & behaviour of that release", "그 릴리스의 기본값과 동작"), w.kafka_version.clone(),
                KafkaVersion::supported_lines().map(|v| (v.clone(), v)).collect(), Setting::KafkaVersion) }
            <h2>{ lang.pick("Workload", "워크로드") }<small class="hint">{ lang.pick(" · the application, not a Kafka config", " · 애플리케이션 쪽, Kafka 설정 아님") }</small></h2>
            { scenario_file(w, cb, &picker, lang) }
            { select("keys", (lang.pick("keys", "키"), false), lang.pick("which keys send() uses", "send()에 넘기는 키"), w.keys.id().to_string(),
                KeyPattern::ALL.iter().map(|k| (k.id().to_string(), k.label(lang).to_string())).collect(), Setting::Keys) }
            { select("rate", (lang.pick("records/s", "초당 레코드"), false), lang.pick("send() calls per second", "초당 send() 호출 수"), w.rate.to_string(),
                opts(&[10, 50, 100, 200, 500, 1000, 5000, 10_000]), Setting::Rate) }
            { select("value-bytes", (lang.pick("value bytes", "값 크기 (바이트)"), false), lang.pick("size of each value", "레코드 값 하나의 크기"), w.value_bytes.to_string(),
                opts(&[10, 100, 1000]), Setting::ValueBytes) }
            { select("latency", (lang.pick("latency ms", "네트워크 지연 (ms)"), false), lang.pick("one way, every message", "메시지마다 한 방향 지연"), w.latency_ms.to_string(),
                opts(&latencies(w.latency_ms)), Setting::LatencyMs) }
            { select("send-mode", (lang.pick("send mode", "전송 방식"), false), lang.pick("how the app calls send()", "애플리케이션이 send()를 호출하는 방식"), mode_id(w.mode).to_string(),
                MODES.iter().map(|(_, id, en, ko)| (id.to_string(), lang.pick(en, ko).to_string())).collect(), Setting::Mode) }
            { select("transactions", (lang.pick("transactions", "트랜잭션"), false),
                lang.pick("transactional.id: the app begins, sends, commits or aborts", "transactional.id 설정: 애플리케이션이 시작·전송·커밋·중단을 직접 호출"),
                if w.transactions.is_some() { "on" } else { "off" }.to_string(),
                vec![("off".into(), lang.pick("off: a steady stream", "끔: 일정한 전송 흐름").into()),
                     ("on".into(), lang.pick("on: transactional.id set", "켬: transactional.id 설정").into())],
                |v| Setting::Transactions(v == "on")) }
            if let Some(e) = &props.error {
                <p class="error" role="alert" id="config-error">
                    { match e.text(lang) {
                        Some(text) => html! { { text } },
                        None => html! { <>
                            { lang.pick("Kafka refuses these settings:", "Kafka가 이 설정을 거부함:") }<br/>
                            <code translate="no">{ match e { SettingError::Kafka(m) => m.clone(), _ => String::new() } }</code>
                        </> },
                    } }
                    <br/><small>{ lang.pick("Kept the last valid settings.", "마지막으로 유효했던 설정을 유지함.") }</small>
                </p>
            }
            <h2>{ lang.pick("Faults", "장애 주입") }</h2>
            <div class="faults" id="faults">
                <div class="fault-row">
                    <button id="restart-producer"
                        title={lang.pick("the application restarts: a new producer instance with a new producer id re-sends every record it never saw acknowledged",
                            "애플리케이션 재시작: 새 프로듀서 인스턴스가 새 프로듀서 ID로, 확인(ack)을 못 받은 레코드를 모두 다시 보냄")}
                        onclick={cb.fault.reform(|_| (FaultKind::RestartProducer, 0))}>{ lang.pick("restart producer", "프로듀서 재시작") }</button>
                    <span class="hint small">{ lang.pick("new PID: a written record whose ack was lost lands twice", "새 PID: 기록됐지만 ack를 잃은 레코드가 두 번 저장됨") }</span>
                </div>
                { for (0..w.brokers()).map(|b| html! {
                    <div class="fault-row">
                        <span class="small">{ match lang { Lang::En => format!("broker {b}"), Lang::Ko => format!("브로커 {b}") } }</span>
                        <button id={format!("drop-request-{b}")} title={lang.pick(LOSE_REQ_TITLE.0, LOSE_REQ_TITLE.1)}
                            aria-label={broker_action(b, "lose the next request", "다음 요청 유실", lang)}
                            onclick={cb.fault.reform(move |_| (FaultKind::DropRequest, b))}>{ lang.pick("lose req", "요청 유실") }</button>
                        <button id={format!("drop-response-{b}")} title={lang.pick(LOSE_RESP_TITLE.0, LOSE_RESP_TITLE.1)}
                            aria-label={broker_action(b, "lose the next response", "다음 응답 유실", lang)}
                            onclick={cb.fault.reform(move |_| (FaultKind::DropResponse, b))}>{ lang.pick("lose resp", "응답 유실") }</button>
                        <button id={format!("slow-follower-{b}")} title={lang.pick(SLOW_TITLE.0, SLOW_TITLE.1)}
                            aria-label={broker_action(b, "slow its fetches", "fetch 느리게", lang)}
                            onclick={cb.fault.reform(move |_| (FaultKind::SlowFollower, b))}>{ lang.pick("slow fetch", "느린 fetch") }</button>
                        { fault_toggle(&cb.fault, b, props.down.get(b as usize).copied().unwrap_or_default(), "", lang) }
                    </div>
                }) }
                <span class="hint">{ match lang {
                    Lang::En => format!("Lost request/response: the producer waits request.timeout.ms, then retries — duplicates and reordering with enable.idempotence=false and max.in.flight > 1. Slow fetch: with replication, that follower leaves the ISR after replica.lag.time.max.ms. Crash: connections close at once; the controller fences the broker {session_s} s after it last heard from it and elects new leaders from the ISR. Cut off: the broker keeps running unaware; requests to it time out instead."),
                    Lang::Ko => format!("요청/응답 유실: 프로듀서는 request.timeout.ms만큼 기다린 뒤 재시도 — enable.idempotence=false이고 max.in.flight > 1이면 중복·순서 뒤바뀜이 생김. 느린 fetch: 복제 중이면 그 팔로워가 replica.lag.time.max.ms 뒤 ISR에서 빠짐. 다운: 연결이 바로 끊기고, 컨트롤러는 마지막 연락 {session_s}초 뒤 브로커를 펜싱하고 ISR에서 새 리더를 뽑음. 격리: 브로커는 모른 채 계속 돌고, 그리로 가는 요청은 타임아웃됨."),
                } }</span>
                if !w.faults.is_empty() {
                    <ul class="fault-list small" id="fault-list">
                        { for w.faults.iter().map(|f| {
                            let at = f.at_ms as f64 / 1000.0;
                            let (b, label) = (f.broker, f.kind.label(lang));
                            html! { <li>{ match (f.kind, lang) {
                                (FaultKind::RestartProducer, _) => format!("{} s · {label}", Fixed(at, 3)),
                                (_, Lang::En) => format!("{} s · broker {b} · {label}", Fixed(at, 3)),
                                (_, Lang::Ko) => format!("{} s · 브로커 {b} · {label}", Fixed(at, 3)),
                            } }</li> }
                        }) }
                    </ul>
                    <button id="clear-faults" onclick={cb.clear_faults.reform(|_| ())}>{ lang.pick("clear faults", "장애 모두 지우기") }</button>
                }
            </div>
            <h2>{ lang.pick("Broker configs", "브로커 설정") }</h2>
            { broker_panel(w, &cb.set, lang) }
            <h2>{ lang.pick("Topic configs", "토픽 설정") }</h2>
            { select("partitions", (lang.pick("partitions", "파티션 수"), false),
                &match lang {
                    Lang::En => format!("of topic {topic}"),
                    Lang::Ko => format!("{topic} 토픽의 파티션 개수"),
                }, w.partitions.to_string(),
                (1..=12u64).map(|v| (v.to_string(), v.to_string())).collect(), Setting::Partitions) }
            { select("replication-factor", (lang.pick("replication factor", "복제 계수"), false),
                lang.pick("replicas of each partition (brokers hold followers)", "파티션마다 둘 복제본 수 (다른 브로커가 팔로워를 가짐)"), w.replication_factor.to_string(),
                (1..=w.brokers().max(w.replication_factor) as u64).map(|v| (v.to_string(), v.to_string())).collect(), Setting::ReplicationFactor) }
            { topic_panel(w, &cb.set, lang) }
            <h2>{ lang.pick("Producer configs", "프로듀서 설정") }</h2>
            { producer_panel(w, &cb.set, lang) }
            <h2>{ lang.pick("Consumer configs", "컨슈머 설정") }</h2>
            if w.file.is_some() {
                <p class="hint">{ lang.pick("These show the file's first consumer; a change applies to every consumer of the file, each keeping its own ",
                    "파일의 첫 번째 컨슈머 설정을 보여 줌. 바꾸면 파일의 모든 컨슈머에 적용되고, 각자 ") }
                    <code translate="no">{ "isolation.level, group.id" }</code>{ lang.pick(".", " 값은 유지.") }</p>
            } else {
            <p class="hint">{ lang.pick("Both consumers take these; ", "두 컨슈머 모두에 적용. ") }
                <code translate="no">{ "isolation.level" }</code>
                { lang.pick(" stays one of each: read_committed on the left, read_uncommitted on the right.",
                    " 값만 다름: 왼쪽은 read_committed, 오른쪽은 read_uncommitted.") }</p>
            }
            { consumer_panel(w, &cb.set, lang) }
        </aside>
    }
}

/// Open a scenario file, save the run as one, and (with a file open) what it holds and
/// the way back to the panels' workload.
fn scenario_file(w: &Workload, cb: &ControlCallbacks, picker: &NodeRef, lang: Lang) -> Html {
    let onchange = {
        let open = cb.open.clone();
        Callback::from(move |e: Event| read_picked(&e.target_unchecked_into(), &open))
    };
    let pick = {
        let picker = picker.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = picker.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    html! {
        <div class="scenario-file" id="scenario-file">
            if let Some(f) = &w.file {
                <p class="file-name"><span class="mono" translate="no">{ f.name.clone() }</span>
                    <span class="hint small">{ {
                        let s = &f.scenario;
                        let sends = s.actions.iter().filter(|a| matches!(a, kafka_lab::scenario::Action::Send(_))).count();
                        let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
                        match lang {
                            Lang::En => format!(" · {} · {} · {} · {} actions ({sends} send) · {} s · seed {}",
                                n(s.brokers as usize, "broker", "brokers"), n(s.producers.len(), "producer", "producers"),
                                n(s.consumers.len(), "consumer", "consumers"), s.actions.len(), trimmed(s.until_ms as f64 / 1000.0, 3), s.seed),
                            Lang::Ko => format!(" · 브로커 {} · 프로듀서 {} · 컨슈머 {} · 액션 {}개 (send {sends}) · {}초 · 시드 {}",
                                s.brokers, s.producers.len(), s.consumers.len(), s.actions.len(), trimmed(s.until_ms as f64 / 1000.0, 3), s.seed),
                        }
                    } }</span></p>
                <p class="hint">{ lang.pick("Its cluster, clients and actions run as written. The Kafka settings below show its first producer, topic and consumer; a change applies to all of them, and faults add to its actions.",
                    "파일의 클러스터, 클라이언트, 액션이 그대로 실행됨. 아래 Kafka 설정은 첫 번째 프로듀서·토픽·컨슈머의 값이며, 바꾸면 모두에 적용되고 장애 주입은 액션에 더해짐.") }</p>
            }
            <div class="file-buttons">
                <button id="open-file" onclick={pick}
                    title={lang.pick("a scenario JSON file (as the kafka-lab CLI runs it)", "시나리오 JSON 파일 (kafka-lab CLI가 실행하는 형식)")}>
                    { lang.pick("Open scenario file…", "시나리오 파일 열기…") }</button>
                <input type="file" ref={picker.clone()} id="open-file-input" accept=".json,application/json" hidden=true {onchange}/>
                <button id="save-file" onclick={cb.save.reform(|_| ())}
                    title={lang.pick("this run, with every setting and fault, as a scenario file: the kafka-lab CLI gives the same trace", "설정과 장애를 모두 담은 이 실행을 시나리오 파일로: kafka-lab CLI로 돌려도 같은 트레이스")}>
                    { lang.pick("Save as scenario", "시나리오로 저장") }</button>
                if w.file.is_some() {
                    <button id="close-file" onclick={cb.close_file.reform(|_| ())}>{ lang.pick("close the file", "파일 닫기") }</button>
                }
            </div>
        </div>
    }
}

/// Crash or restart, isolate or heal: whichever applies to the broker at this moment.
/// `prefix` keeps element ids unique when the broker inspector shows them too.
pub fn fault_toggle(
    on_fault: &Callback<(FaultKind, u32)>,
    b: u32,
    (crashed, isolated): (bool, bool),
    prefix: &str,
    lang: Lang,
) -> Html {
    let (crash, crash_text, crash_title) = if crashed {
        (
            FaultKind::Restart,
            lang.pick("restart", "재시작"),
            lang.pick(
                "start a new process on the broker's disk: it recovers its log, registers, and catches up as a follower",
                "브로커 디스크 위에서 새 프로세스를 시작: 로그를 복구하고 등록한 뒤 팔로워로 따라잡음",
            ),
        )
    } else {
        (
            FaultKind::Crash,
            lang.pick("crash", "다운"),
            lang.pick(
                "kill the broker's process: its connections close, the controller fences it after the session timeout",
                "브로커 프로세스를 죽임: 연결이 끊기고, 세션 타임아웃 뒤 컨트롤러가 펜싱함",
            ),
        )
    };
    let (cut, cut_text, cut_title) = if isolated {
        (
            FaultKind::Heal,
            lang.pick("heal", "복구"),
            lang.pick(
                "let the broker back onto the network: it learns what it missed and truncates a diverging tail",
                "브로커를 네트워크에 다시 연결: 놓친 메타데이터를 받고 리더와 어긋난 꼬리를 잘라냄",
            ),
        )
    } else {
        (
            FaultKind::Isolate,
            lang.pick("cut off", "격리"),
            lang.pick(
                "partition the broker from everyone: it keeps running and believes it still leads",
                "브로커를 네트워크에서 떼어냄: 계속 돌면서 자신이 아직 리더라고 믿음",
            ),
        )
    };
    let crash_name = if crashed {
        ("restart", "재시작")
    } else {
        ("crash", "다운시키기")
    };
    let cut_name = if isolated {
        ("heal: reconnect to the network", "네트워크 복구")
    } else {
        ("cut off from the network", "네트워크에서 격리")
    };
    html! {
        <>
            <button id={format!("{prefix}crash-{b}")} title={crash_title} class={if crashed { "down" } else { "" }}
                aria-label={broker_action(b, crash_name.0, crash_name.1, lang)}
                onclick={on_fault.reform(move |_| (crash, b))}>{ crash_text }</button>
            <button id={format!("{prefix}isolate-{b}")} title={cut_title} class={if isolated { "down" } else { "" }}
                aria-label={broker_action(b, cut_name.0, cut_name.1, lang)}
                onclick={on_fault.reform(move |_| (cut, b))}>{ cut_text }</button>
        </>
    }
}

/// A per-broker fault button's accessible name: the broker, then the action.
pub fn broker_action(b: u32, en: &str, ko: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("broker {b}: {en}"),
        Lang::Ko => format!("브로커 {b}: {ko}"),
    }
}

/// What the per-broker fault buttons do, in English and Korean.
pub const LOSE_REQ_TITLE: (&str, &str) = (
    "the next produce request to this broker is lost on the way",
    "이 브로커로 가는 다음 produce 요청이 도중에 유실됨",
);
pub const LOSE_RESP_TITLE: (&str, &str) = (
    "the broker writes the next produce request, but its response is lost",
    "브로커는 다음 produce 요청을 기록하지만 응답이 유실됨",
);
pub const SLOW_TITLE: (&str, &str) = (
    "this broker's fetches to its leaders take 60 s longer: as a follower it falls out of the ISR",
    "이 브로커가 리더에게 보내는 fetch가 60초 더 걸림: 팔로워로서 ISR에서 빠짐",
);
