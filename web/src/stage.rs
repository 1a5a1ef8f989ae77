//! The stage: producer app → serializer → partitioner → accumulator → sender → network →
//! brokers, as SVG in the fixed layout space. Only structure that changes with the
//! model's state lives here; moving particles are painted by `painter`.

use crate::decimal::{svg, within, Fixed};
use crate::i18n::Lang;
use crate::inspector::Inspect;
use crate::layout::*;
use crate::lifecycle::opener;
use crate::workload::Workload;
use kafka_lab::config::Acks;
use kafka_lab::config::PartitionerClass;
use kafka_lab::ledger::Ledger;
use kafka_lab::net::TransactionResult;
use kafka_lab::producer::partitioner::fixes_kafka_9965;
use kafka_lab::producer::KafkaProducer;
use kafka_lab::scenario::SendMode;
use kafka_lab::serializer::Serializer;
use kafka_lab::trace::TraceEvent;
use kafka_lab::version::KafkaVersion;
use kafka_lab::Simulation;
use yew::prelude::*;

fn fmt_bytes(b: u32) -> String {
    if b >= 10_240 {
        format!("{}K", Fixed(b as f64 / 1024.0, 0))
    } else if b >= 1024 {
        format!("{}K", Fixed(b as f64 / 1024.0, 1))
    } else {
        format!("{b}")
    }
}

/// A line of text on the stage, `anchor` its `text-anchor` (start when `None`). The
/// stage's plain texts share this one function: `html!` expands an element's whole
/// construction where it stands, a few hundred bytes of wasm each (issue 8).
fn text_line(
    x: f64,
    y: f64,
    anchor: Option<&'static str>,
    class: &'static str,
    text: impl Into<AttrValue>,
) -> Html {
    text_element(x, y, anchor, class, text.into())
}

fn text_element(
    x: f64,
    y: f64,
    anchor: Option<&'static str>,
    class: &'static str,
    text: AttrValue,
) -> Html {
    html! {
        <text x={svg(x)} y={svg(y)} text-anchor={anchor} {class}>{ text }</text>
    }
}

/// A column's heading; `class_name` when the title is Kafka's class name, kept as spelt.
fn column_title(x: f64, w: f64, title: &str, sub: &str, class_name: bool) -> Html {
    html! {
        <g class="col-title">
            <text x={svg(x + w / 2.0)} y="28" text-anchor="middle" class="title"
                translate={if class_name { "no" } else { "yes" }}>{ title.to_string() }</text>
            <text x={svg(x + w / 2.0)} y="46" text-anchor="middle" class="sub">{ sub.to_string() }</text>
        </g>
    }
}

fn serializer_encoding(s: Serializer, lang: Lang) -> &'static str {
    match s {
        Serializer::String => lang.pick("↓ UTF-8", "↓ UTF-8 인코딩"),
        Serializer::Integer => lang.pick("↓ 4 bytes, big-endian", "↓ 4바이트, 빅 엔디언"),
        Serializer::Long => lang.pick("↓ 8 bytes, big-endian", "↓ 8바이트, 빅 엔디언"),
        Serializer::Double => lang.pick("↓ IEEE 754, 8 bytes", "↓ IEEE 754, 8바이트"),
        Serializer::ByteArray => lang.pick("↓ bytes as given", "↓ 받은 바이트 그대로"),
        Serializer::Void => lang.pick("↓ always null", "↓ 항상 null"),
    }
}

/// `text` cut to `max` characters with an ellipsis: a box on the stage is narrow, and a
/// file may name things at any length.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text.chars().count() > max => format!("{}…", &text[..at]),
        _ => text.to_string(),
    }
}

/// The first bytes in hex: six, or five and an ellipsis, as many as the serializer's box
/// holds.
fn hex_preview(bytes: &[u8]) -> String {
    let long = bytes.len() > 6;
    let mut s: Vec<String> = bytes
        .iter()
        .take(if long { 5 } else { 6 })
        .map(|b| format!("{b:02x}"))
        .collect();
    if long {
        s.push("…".into());
    }
    s.join(" ")
}

/// What the partitioner box says it does for the last record.
fn partitioner_rule(p: &KafkaProducer, keyed: bool, n: u32, v: KafkaVersion, lang: Lang) -> String {
    use PartitionerClass::*;
    let murmur2 = format!("murmur2(key) % {n}");
    match p.partitioner.as_ref().map(|part| part.class()) {
        Some(Custom) => lang.pick("rule table", "규칙 표").into(),
        Some(RoundRobin) if fixes_kafka_9965(v) => lang.pick("round robin", "라운드 로빈").into(),
        Some(RoundRobin) => lang
            .pick("round robin (KAFKA-9965)", "라운드 로빈 (KAFKA-9965)")
            .into(),
        Some(UniformSticky) => lang.pick("sticky, keys ignored", "스티키, 키 무시").into(),
        Some(Default) if keyed => murmur2,
        Some(Default) => lang.pick("sticky (KIP-480)", "스티키 (KIP-480)").into(),
        None if keyed && !p.config.partitioner_ignore_keys => murmur2,
        None => lang.pick("sticky (KIP-794)", "스티키 (KIP-794)").into(),
    }
}

fn producer_boxes(p: &KafkaProducer, workload: &Workload, sim: &Simulation, lang: Lang) -> Html {
    let last = p.sends.last();
    let key_text = match last.and_then(|s| s.data.key_text()) {
        Some(k) => format!("\"{}\"", clip(&k, 12)),
        None => "null".into(),
    };
    let key_hex = last
        .and_then(|s| s.data.key_bytes().map(|b| hex_preview(&b)))
        .unwrap_or_else(|| lang.pick("(no key bytes)", "(키 바이트 없음)").into());
    let n = sim.cluster().num_partitions(0);
    let keyed = last.is_some_and(|s| s.data.key.is_some());
    let rule = partitioner_rule(p, keyed, n, sim.version(), lang);
    // The built-in partitioner has no class name to show (partitioner.class is null);
    // a class name is Kafka's and stays untranslated.
    let (partitioner_name, partitioner_translate) = match p.partitioner.as_ref() {
        Some(part) => (part.class().simple_name(), "no"),
        None => (lang.pick("built-in partitioner", "내장 파티셔너"), "yes"),
    };
    let decision = last
        .map(|s| match (&s.partition(), &s.error) {
            (Some(part), _) => format!("{key_text} → {}-{part}", sim.cluster().topics[0].name),
            (None, Some(e)) => e.exception_name().to_string(),
            (None, None) => String::new(),
        })
        .unwrap_or_default();
    // The last choices, oldest first: sticky runs read as blocks of one colour, round
    // robin as a rainbow, keys as their hash pattern.
    const RECENT: usize = 14;
    let recent: Vec<u32> = p
        .sends
        .iter()
        .rev()
        .filter_map(|s| s.partition())
        .take(RECENT)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let run = recent
        .iter()
        .rev()
        .take_while(|&&x| Some(&x) == recent.last())
        .count();
    let chips = recent.iter().enumerate().map(|(i, &part)| {
        let x = PART_X + 7.0 + i as f64 * 7.5;
        html! { <rect x={svg(x)} y={svg(MID_Y - BOX_H / 2.0 + 98.0)} width="6" height="10" rx="1.5" fill={partition_color(part)}/> }
    });
    let run_text = match (recent.last(), lang) {
        (Some(last), Lang::En) if run > 1 => format!("run of {run} on p{last}"),
        (Some(last), Lang::Ko) if run > 1 => format!("p{last}에 연속 {run}개"),
        (Some(last), Lang::En) => format!("p{last}, then elsewhere"),
        (Some(last), Lang::Ko) => format!("p{last} 다음엔 다른 곳"),
        (None, _) => String::new(),
    };
    // The built-in partitioner's sticky partition for records without a key.
    let sticky = (p.partitioner.is_none() && !keyed || p.config.partitioner_ignore_keys)
        .then(|| p.accumulator.built_in_partitioner(0))
        .and_then(|b| b.current().map(|c| (c, b.progress())));
    let serializer = p.config.key_serializer;
    let blocked = sim.blocked_in_get(p.id);
    let blocked_in_send = p.blocked_in_send();
    let h = BOX_H;
    let y = MID_Y - h / 2.0;
    html! {
        <g class="producer" id="producer">
            <line x1={svg(APP_X + APP_W - 10.0)} x2={svg(PART_X + PART_W)} y1={svg(TRACK_Y)} y2={svg(TRACK_Y)} class="track"/>
            <rect x={svg(APP_X)} y={svg(y)} width={svg(APP_W)} height={svg(h)} rx="10" class="box app"/>
            <text x={svg(APP_X + 12.0)} y={svg(y + 26.0)} class="mono strong">{ match (&workload.file, workload.mode) {
                (Some(_), _) => "send(…)",
                (None, SendMode::Async) => "send(r, cb)",
                (None, SendMode::Sync) => "send(r).get()",
                (None, SendMode::FireAndForget) => "send(r)",
            } }</text>
            <text x={svg(APP_X + 12.0)} y={svg(y + 56.0)} class="big" id="send-count">{ p.sends.len().to_string() }</text>
            { text_line(APP_X + 12.0, y + 74.0, None, "small", lang.pick("records sent", "보낸 레코드")) }
            if let Some(file) = &workload.file {
                // A file's producers may be several: the stage follows the first.
                <text x={svg(APP_X + 12.0)} y={svg(y + 100.0)} class="small mono" translate="no">{ clip(&p.name, 14) }</text>
                <text x={svg(APP_X + 12.0)} y={svg(y + 118.0)} class="small">{ match (lang, file.scenario.producers.len()) {
                    (Lang::En, 1) => "the file's producer".to_string(),
                    (Lang::Ko, 1) => "파일의 프로듀서".to_string(),
                    (Lang::En, n) => format!("first of {n} producers"),
                    (Lang::Ko, n) => format!("프로듀서 {n}개 중 첫째"),
                } }</text>
                { text_line(APP_X + 12.0, y + 136.0, None, "small", lang.pick("as the file sends", "파일대로 전송")) }
            } else {
                <text x={svg(APP_X + 12.0)} y={svg(y + 100.0)} class="small">{ match lang {
                    Lang::En => format!("{} rec/s", workload.rate),
                    Lang::Ko => format!("초당 {}개", workload.rate),
                } }</text>
                { text_line(APP_X + 12.0, y + 118.0, None, "small", format!("{}: {}", lang.pick("keys", "키"), workload.keys.label(lang))) }
                { text_line(APP_X + 12.0, y + 136.0, None, "small", format!("{}: {} B", lang.pick("value", "값"), workload.value_bytes)) }
            }
            if let Some(index) = blocked_in_send {
                <text x={svg(APP_X + 12.0)} y={svg(y + h + 18.0)} class="small warn" id="blocked">{ match lang {
                    Lang::En => format!("send() #{index} waits for buffer.memory"),
                    Lang::Ko => format!("send() #{index}: buffer.memory 대기"),
                } }</text>
            } else if let Some(index) = blocked {
                <text x={svg(APP_X + 12.0)} y={svg(y + h + 18.0)} class="small warn" id="blocked">{ match lang {
                    Lang::En => format!("get() waits for #{index}"),
                    Lang::Ko => format!("get()이 #{index}를 기다림"),
                } }</text>
            }

            <rect x={svg(SER_X)} y={svg(y)} width={svg(SER_W)} height={svg(h)} rx="10" class="box"/>
            <text x={svg(SER_X + SER_W / 2.0)} y={svg(y + 26.0)} text-anchor="middle" class="strong small" translate="no">{ serializer.simple_name() }</text>
            { text_line(SER_X + SER_W / 2.0, y + 58.0, Some("middle"), "mono small", key_text.clone()) }
            { text_line(SER_X + SER_W / 2.0, y + 76.0, Some("middle"), "small", serializer_encoding(serializer, lang)) }
            { text_line(SER_X + SER_W / 2.0, y + 94.0, Some("middle"), "mono tiny", key_hex) }

            <rect x={svg(PART_X)} y={svg(y)} width={svg(PART_W)} height={svg(h)} rx="10" class="box"/>
            <text x={svg(PART_X + PART_W / 2.0)} y={svg(y + 26.0)} text-anchor="middle" class="strong small" translate={partitioner_translate}>{ partitioner_name }</text>
            { text_line(PART_X + PART_W / 2.0, y + 58.0, Some("middle"), "mono tiny", rule) }
            <text x={svg(PART_X + PART_W / 2.0)} y={svg(y + 88.0)} text-anchor="middle" class="mono tiny" id="last-decision">{ decision }</text>
            <g class="recent-choices" id="recent-choices">
                <title>{ lang.pick("the partitions of the last records, oldest first", "최근 레코드들이 간 파티션 (오래된 것부터)") }</title>
                { for chips }
            </g>
            <text x={svg(PART_X + PART_W / 2.0)} y={svg(y + 122.0)} text-anchor="middle" class="tiny" id="run">{ run_text }</text>
            if let Some((current, (produced, limit))) = sticky {
                <g id="sticky-progress">
                    <title>{ lang.pick("KIP-794: the built-in partitioner stays on one partition until batch.size bytes went to it",
                        "KIP-794: 내장 파티셔너는 한 파티션에 batch.size 바이트가 갈 때까지 그 파티션에 머묾") }</title>
                    <rect x={svg(PART_X + 8.0)} y={svg(y + 130.0)} width={svg(PART_W - 16.0)} height="4" rx="2" class="ring-bg"/>
                    <rect x={svg(PART_X + 8.0)} y={svg(y + 130.0)} width={svg((PART_W - 16.0) * (produced as f64 / limit.max(1) as f64).min(1.0))} height="4" rx="2" fill={partition_color(current)}/>
                    <text x={svg(PART_X + PART_W / 2.0)} y={svg(y + 145.0)} text-anchor="middle" class="tiny">{ match lang {
                        Lang::En => format!("sticky p{current}: {produced}/{limit} B"),
                        Lang::Ko => format!("스티키 p{current}: {produced}/{limit} B"),
                    } }</text>
                </g>
            }
        </g>
    }
}

fn accumulator(
    p: &KafkaProducer,
    sim: &Simulation,
    t: f64,
    on_inspect: &Callback<Inspect>,
    lang: Lang,
) -> Html {
    let n = sim.cluster().num_partitions(0);
    let linger = p.config.linger_ms as f64;
    let batch_size = p.config.batch_size;
    let topic = &sim.cluster().topics[0].name;
    let deques: Vec<_> = p.accumulator.deques().collect();
    let rows = (0..n).map(|part| {
        let (top, h) = acc_row(part, n);
        let bh = within(h - 12.0, 14.0, 40.0);
        let by = top + (h - bh) / 2.0;
        let dq = deques.iter().find(|(tp, _)| tp.partition == part).map(|(_, d)| *d);
        let color = partition_color(part);
        let batches = dq.map(|dq| {
            // Four slots fill the row to the box's edge; past four batches the fourth
            // slot says how many more there are.
            let shown = if dq.len() > 4 { 3 } else { 4 };
            let slot = |i: usize| ACC_X + 76.0 + i as f64 * 56.0;
            let more = if dq.len() > 4 {
                text_line(slot(3) + 4.0, by + bh / 2.0 + 4.0, None, "tiny", format!("+{}", dq.len() - 3))
            } else {
                html! {}
            };
            let shown = dq.iter().take(shown).enumerate().map(|(i, b)| {
                let bw = 52.0;
                let x = slot(i);
                let fill = (b.size_in_bytes as f64 / b.write_limit.max(1) as f64).min(1.0);
                let full = b.is_full() || i + 1 < dq.len();
                let waited = (t - b.created_ms as f64).max(0.0);
                let lingered = if linger <= 0.0 { 1.0 } else { (waited / linger).min(1.0) };
                let ring = if i == 0 {
                    let r = 7.0;
                    let (cx, cy) = (x + bw - 2.0, by - 2.0);
                    let a = lingered * std::f64::consts::TAU;
                    // The browser's sine and cosine: Rust's would bring libm's (~10 KB of
                    // wasm) for this one ring.
                    let (ex, ey) = (cx + r * js_sys::Math::sin(a), cy - r * js_sys::Math::cos(a));
                    let large = if lingered > 0.5 { 1 } else { 0 };
                    let path = if lingered >= 0.999 {
                        format!("M {} {} A {} {} 0 1 1 {} {} Z", svg(cx), svg(cy - r), svg(r), svg(r), svg(cx - 0.01), svg(cy - r))
                    } else {
                        format!("M {} {} L {} {} A {} {} 0 {large} 1 {} {} Z", svg(cx), svg(cy), svg(cx), svg(cy - r), svg(r), svg(r), svg(ex), svg(ey))
                    };
                    html! {
                        <g class="linger">
                            <title>{ match lang {
                                Lang::En => format!("linger.ms: waited {} of {} ms", Fixed(waited, 0), p.config.linger_ms),
                                Lang::Ko => format!("linger.ms: {} ms 중 {} ms 기다림", p.config.linger_ms, Fixed(waited, 0)),
                            } }</title>
                            <circle cx={svg(cx)} cy={svg(cy)} r={svg(r)} class="ring-bg"/>
                            <path d={path} class={if lingered >= 1.0 { "ring ready" } else { "ring" }}/>
                        </g>
                    }
                } else {
                    html! {}
                };
                let id = b.id;
                let onclick = on_inspect.reform(move |_: MouseEvent| Inspect::Batch(id));
                let label = match lang {
                    Lang::En => format!("batch {id} of {topic}-{part}: {} records, {} of {} bytes — open in the inspector", b.records.len(), b.size_in_bytes, b.write_limit),
                    Lang::Ko => format!("{topic}-{part}의 배치 {id}: 레코드 {}개, {} / {} 바이트 — 인스펙터에서 보기", b.records.len(), b.size_in_bytes, b.write_limit),
                };
                html! {
                    <g class="batch" data-batch={b.id.to_string()} {onclick} tabindex="0" role="button" aria-label={label}
                        onkeydown={on_key(on_inspect, Inspect::Batch(id))}>
                        <title>{ match lang {
                            Lang::En => format!("batch {} · {} records · {} / {} bytes{}", b.id, b.records.len(), b.size_in_bytes, b.write_limit, if full { " · full" } else { "" }),
                            Lang::Ko => format!("배치 {} · 레코드 {}개 · {} / {} 바이트{}", b.id, b.records.len(), b.size_in_bytes, b.write_limit, if full { " · 가득 참" } else { "" }),
                        } }</title>
                        <rect x={svg(x)} y={svg(by)} width={svg(bw)} height={svg(bh)} rx="4" class={if full { "batch-bg full" } else { "batch-bg" }}/>
                        <rect x={svg(x)} y={svg(by)} width={svg(bw * fill)} height={svg(bh)} rx="4" fill={color} class="batch-fill"/>
                        { text_line(x + bw / 2.0, by + bh / 2.0 + 4.0, Some("middle"), "tiny strong batch-label", format!("{}/{}", fmt_bytes(b.size_in_bytes), fmt_bytes(batch_size.max(1)))) }
                        if b.attempts > 0 {
                            { text_line(x + 2.0, by + bh + 9.0, None, "tiny warn retry", format!("↻ {} {}", lang.pick("retry", "재시도"), b.attempts)) }
                        }
                        { ring }
                    </g>
                }
            });
            html! { <>{ for shown }{ more }</> }
        });
        html! {
            <g class="acc-row" data-partition={part.to_string()}>
                <line x1={svg(ACC_X)} x2={svg(ACC_X + ACC_W)} y1={svg(top + h)} y2={svg(top + h)} class="row-line"/>
                <circle cx={svg(ACC_X + 10.0)} cy={svg(by + bh / 2.0)} r="5" fill={color}/>
                { text_line(ACC_X + 20.0, by + bh / 2.0 + 4.0, None, "small mono", format!("{topic}-{part}")) }
                { batches.unwrap_or_default() }
            </g>
        }
    });
    html! {
        <g class="accumulator" id="accumulator">
            <rect x={svg(ACC_X)} y={svg(TOP)} width={svg(ACC_W)} height={svg(BOTTOM - TOP)} rx="10" class="box"/>
            <text x={svg(ACC_X + 12.0)} y={svg(TOP + 20.0)} class="small" translate="no">
                { format!("batch.size {} B · linger.ms {}", p.config.batch_size, p.config.linger_ms) }
            </text>
            <text x={svg(ACC_X + 12.0)} y={svg(BOTTOM - 10.0)} class="tiny" id="buffer-gauge">
                { match lang {
                    Lang::En => format!("buffer.memory {} / {} B free", p.pool.available_memory(), p.pool.total_memory()),
                    Lang::Ko => format!("buffer.memory {} / {} B 남음", p.pool.available_memory(), p.pool.total_memory()),
                } }
            </text>
            { for rows }
        </g>
    }
}

fn sender(
    p: &KafkaProducer,
    sim: &Simulation,
    t: f64,
    on_inspect: &Callback<Inspect>,
    lang: Lang,
) -> Html {
    let nb = sim.cluster().brokers;
    let slots = p.config.max_in_flight.min(5);
    let timeout = p.config.request_timeout_ms as f64;
    let conns = (0..nb).map(|b| {
        let y = broker_y(b, nb);
        let queue = p.sender.in_flight.get(&b);
        let dots = (0..slots).map(|i| {
            let cx = SENDER_X + 18.0 + i as f64 * 15.0;
            let request = queue.and_then(|q| q.get(i as usize));
            match request {
                Some(r) => {
                    let target = Inspect::Request {
                        producer: p.id,
                        request: r.id,
                        sent_ms: r.sent_ms,
                    };
                    let (onclick, onkeydown) = opener(on_inspect, target);
                    let label = match lang {
                        Lang::En => format!("ProduceRequest {} in flight to broker {b}: its lifecycle", r.id),
                        Lang::Ko => format!("브로커 {b}로 가는 중인 ProduceRequest {}: 생애 주기", r.id),
                    };
                    // Keyed by slot and kind: a slot taken by the next request is patched,
                    // but never a free one, whose attributes differ (patching would add
                    // them in an order unlike a fresh render's).
                    html! { <circle key={format!("used{i}")} cx={svg(cx)} cy={svg(y + 14.0)} r="5" class="slot used"
                        tabindex="0" role="button" aria-label={label.clone()} data-request={r.id.to_string()} {onclick} {onkeydown}>
                        <title>{ label }</title>
                    </circle> }
                }
                None => html! { <circle key={format!("free{i}")} cx={svg(cx)} cy={svg(y + 14.0)} r="5" class="slot"/> },
            }
        });
        // The oldest request's wait against request.timeout.ms: a lost one fills the bar.
        let oldest = queue
            .and_then(|q| q.iter().map(|r| r.sent_ms).min())
            .map(|sent| ((t - sent as f64).max(0.0) / timeout.max(1.0)).min(1.0));
        let reconnecting = p.sender.reconnecting_until(b).filter(|&u| (u as f64) > t);
        html! {
            <g class="conn" data-broker={b.to_string()}>
                { text_line(SENDER_X + 10.0, y - 4.0, None, "tiny", format!("→ {} {b}", lang.pick("broker", "브로커"))) }
                { for dots }
                if let Some(f) = oldest.filter(|&f| f > 0.05) {
                    <g class="timeout-bar">
                        <title>{ match lang {
                            Lang::En => format!("oldest request has waited {} of request.timeout.ms {}", Fixed(f * timeout, 0), p.config.request_timeout_ms),
                            Lang::Ko => format!("가장 오래된 요청이 request.timeout.ms {} 중 {} ms 기다림", p.config.request_timeout_ms, Fixed(f * timeout, 0)),
                        } }</title>
                        <rect x={svg(SENDER_X + 12.0)} y={svg(y + 24.0)} width={svg(SENDER_W - 24.0)} height="3" rx="1.5" class="ring-bg"/>
                        <rect x={svg(SENDER_X + 12.0)} y={svg(y + 24.0)} width={svg((SENDER_W - 24.0) * f)} height="3" rx="1.5" class={if f > 0.5 { "timeout late" } else { "timeout" }}/>
                    </g>
                }
                // Two lines: one would run out of the sender's box.
                if let Some(until) = reconnecting {
                    { text_line(SENDER_X + SENDER_W / 2.0, y + 38.0, Some("middle"), "tiny warn", lang.pick("timed out", "타임아웃")) }
                    { text_line(SENDER_X + SENDER_W / 2.0, y + 49.0, Some("middle"), "tiny warn", match lang {
                        Lang::En => format!("reconnect {} ms", Fixed(until as f64 - t, 0)),
                        Lang::Ko => format!("{} ms 뒤 재연결", Fixed(until as f64 - t, 0)),
                    }) }
                }
                <line x1={svg(NET_X0)} x2={svg(BROKER_X)} y1={svg(y)} y2={svg(y)} class="wire"/>
            </g>
        }
    });
    html! {
        <g class="sender" id="sender">
            <rect x={svg(SENDER_X)} y={svg(TOP)} width={svg(SENDER_W)} height={svg(BOTTOM - TOP)} rx="10" class="box"/>
            <text x={svg(SENDER_X + SENDER_W / 2.0)} y={svg(TOP + 20.0)} text-anchor="middle" class="tiny">{ match lang {
                Lang::En => format!("in-flight ≤ {}", p.config.max_in_flight),
                Lang::Ko => format!("동시 요청 ≤ {}", p.config.max_in_flight),
            } }</text>
            { for conns }
        </g>
    }
}

fn brokers(sim: &Simulation, t: f64, on_inspect: &Callback<Inspect>, lang: Lang) -> Html {
    let nb = sim.cluster().brokers;
    let boxes = sim.brokers().iter().map(|broker| {
        let (top, h) = broker_box(broker.id, nb);
        let parts = broker.partitions.values().enumerate().map(|(i, part)| {
            let y = log_row_y(top, i);
            if y > top + h - 6.0 {
                return html! {};
            }
            let leader = part.is_leader();
            let hw = part.high_watermark();
            let lso = part.last_stable_offset();
            let records = part.log.records();
            let cells = records.iter().rev().take(6).enumerate().map(|(j, r)| {
                let x = BROKER_X + BROKER_W - 16.0 - j as f64 * 11.0;
                let fresh = (t - r.append_ms as f64) < 40.0;
                let color = partition_color(part.tp.partition);
                if let Some(result) = r.control {
                    // A marker: an outlined cell with C or A, taking its own offset.
                    let (letter, word) = match result {
                        TransactionResult::Commit => ("C", "COMMIT"),
                        TransactionResult::Abort => ("A", "ABORT"),
                    };
                    let (offset, pid, epoch) = (r.offset, r.producer_id, r.producer_epoch);
                    return html! {
                        <g class={if result == TransactionResult::Commit { "marker commit" } else { "marker abort" }}>
                            <rect x={svg(x)} y={svg(y - 9.0)} width="9" height="12" rx="2" stroke={color} class="marker-cell"/>
                            { text_line(x + 4.5, y + 0.5, Some("middle"), "marker-letter", letter) }
                            <title>{ match lang {
                                Lang::En => format!("offset {offset} · {word} marker of producer {pid} (epoch {epoch}): a control record, never returned to applications"),
                                Lang::Ko => format!("오프셋 {offset} · 프로듀서 {pid}(에포크 {epoch})의 {word} 마커: 애플리케이션에는 전달되지 않는 컨트롤 레코드"),
                            } }</title>
                        </g>
                    };
                }
                let aborted = r.transactional && part.producer_state.is_aborted(r.producer_id, r.offset);
                let class = match (fresh, r.offset < hw) {
                    _ if aborted => "cell aborted",
                    (true, _) => "cell fresh",
                    (false, true) if r.transactional && r.offset >= lso => "cell open-txn",
                    (false, true) => "cell",
                    (false, false) => "cell uncommitted",
                };
                let badge = if r.producer_id >= 0 {
                    format!(" · PID {} e{} seq {}", r.producer_id, r.producer_epoch, r.sequence)
                } else {
                    String::new()
                };
                let (offset, key) = (r.offset, r.data().key_text().unwrap_or("null".into()));
                let why = match lang {
                    _ if aborted => lang.pick(" · its transaction was aborted: read_committed skips it", " · 트랜잭션이 중단됨: read_committed는 건너뜀"),
                    _ if r.offset >= hw => lang.pick(" · above the high watermark: not committed yet", " · 하이 워터마크 위: 아직 커밋되지 않음"),
                    _ if r.transactional && r.offset >= lso => lang.pick(" · its transaction is still open: at or above the LSO", " · 트랜잭션이 아직 열려 있음: LSO 이상"),
                    _ => "",
                };
                let txn = if r.transactional { lang.pick(" · transactional", " · 트랜잭션") } else { "" };
                let (producer, index) = r.origin();
                let (onclick, onkeydown) = opener(on_inspect, Inspect::Record { producer, index });
                let label = match lang {
                    Lang::En => format!("offset {offset}: record #{index}'s lifecycle"),
                    Lang::Ko => format!("오프셋 {offset}: 레코드 #{index}의 생애 주기"),
                };
                html! {
                    <rect x={svg(x)} y={svg(y - 9.0)} width="9" height="12" rx="2"
                        fill={color} class={class} tabindex="0" role="button" aria-label={label}
                        data-offset={offset.to_string()} {onclick} {onkeydown}>
                        <title>{ match lang {
                            Lang::En => format!("offset {offset} · key {key}{badge}{txn}{why}"),
                            Lang::Ko => format!("오프셋 {offset} · 키 {key}{badge}{txn}{why}"),
                        } }</title>
                    </rect>
                }
            });
            // The broker's last answer about this partition's producers, while it is fresh:
            // a retry it recognised, or a sequence it refused.
            let verdict = leader
                .then(|| recent_verdict(sim, broker.id, part.tp, t, lang))
                .flatten();
            let role = match part.leader {
                _ if leader => format!(
                    "♛ e{} · ISR {}{}",
                    part.leader_epoch,
                    part.isr.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
                    if part.pending_isr.is_some() { " …" } else { "" }
                ),
                Some(l) => {
                    // ISR membership as the controller has it (followers do not track it).
                    let in_sync = sim
                        .controller()
                        .partitions
                        .get(&part.tp)
                        .is_some_and(|r| r.isr.contains(&broker.id));
                    format!(
                        "F ← b{l} · e{} · {}",
                        part.leader_epoch,
                        match (in_sync, lang) {
                            (true, Lang::En) => "in ISR",
                            (true, Lang::Ko) => "ISR 안",
                            (false, Lang::En) => "out of ISR",
                            (false, Lang::Ko) => "ISR 밖",
                        }
                    )
                }
                None => lang.pick("— no leader known", "— 아는 리더 없음").to_string(),
            };
            let (b, tp) = (broker.id, part.tp);
            let onclick = on_inspect.reform(move |_: MouseEvent| Inspect::Replica(b, tp));
            let name = sim.cluster().display(tp);
            let (start, leo) = (part.log.log_start_offset(), part.log.log_end_offset());
            let label = match (lang, leader) {
                (Lang::En, true) => format!("{name} on broker {b}, leader, log start {start}, LEO {leo}, high watermark {hw} — open in the inspector"),
                (Lang::En, false) => format!("{name} on broker {b}, follower, log start {start}, LEO {leo}, high watermark {hw} — open in the inspector"),
                (Lang::Ko, true) => format!("브로커 {b}의 {name}, 리더, 로그 시작 {start}, LEO {leo}, 하이 워터마크 {hw} — 인스펙터에서 보기"),
                (Lang::Ko, false) => format!("브로커 {b}의 {name}, 팔로워, 로그 시작 {start}, LEO {leo}, 하이 워터마크 {hw} — 인스펙터에서 보기"),
            };
            html! {
                <g class={if leader { "log leader" } else { "log follower" }} {onclick} data-partition={part.tp.partition.to_string()} data-role={if leader { "leader" } else { "follower" }}
                    tabindex="0" role="button" aria-label={label} onkeydown={on_key(on_inspect, Inspect::Replica(b, tp))}>
                    // The focus ring's outline: the whole row.
                    <rect x={svg(BROKER_X + 4.0)} y={svg(y - 12.0)} width={svg(BROKER_W - 8.0)} height="20" rx="4" class="hit"/>
                    <title>{ match (leader, lang) {
                        (true, Lang::En) => "leader replica: takes produce requests, keeps the ISR, moves the high watermark",
                        (true, Lang::Ko) => "리더 복제본: produce 요청을 받고, ISR을 관리하고, 하이 워터마크를 올림",
                        (false, Lang::En) => "follower replica: fetches from the leader",
                        (false, Lang::Ko) => "팔로워 복제본: 리더에게서 fetch함",
                    } }</title>
                    <text x={svg(BROKER_X + 10.0)} y={svg(y)} class={if leader { "small mono strong" } else { "small mono" }}>
                        { format!("{}-{}", sim.cluster().topics[part.tp.topic as usize].name, part.tp.partition) }
                    </text>
                    <text x={svg(BROKER_X + 66.0)} y={svg(y - 5.0)} class="tiny mono leo">
                        { format!("LEO {} · HW {}", part.log.log_end_offset(), hw) }
                        if lso < hw {
                            <tspan class="lso">{ format!(" · LSO {lso}") }</tspan>
                        }
                    </text>
                    // A fresh verdict takes the role's line: the row has no room for both.
                    { match verdict {
                        Some((text, good)) => text_line(BROKER_X + 66.0, y + 5.0, None, if good { "tiny verdict good" } else { "tiny verdict bad" }, text),
                        None => text_line(BROKER_X + 66.0, y + 5.0, None, "tiny mono role", role),
                    } }
                    { for cells }
                </g>
            }
        });
        let (crashed, isolated) = sim.broker_down(broker.id);
        let fenced = sim.controller().is_fenced(broker.id);
        let id = broker.id;
        // Short enough not to reach the title at 1280×720; the tooltip says the rest.
        let (status, status_title) = match (crashed, isolated, fenced) {
            (true, _, true) => (
                lang.pick("DOWN · fenced", "다운 · 펜싱됨"),
                lang.pick("the process is dead and the controller has fenced it: out of every ISR", "프로세스가 죽었고 컨트롤러가 펜싱함: 모든 ISR에서 빠짐"),
            ),
            (true, _, false) => (
                lang.pick("DOWN · not fenced yet", "다운 · 아직 펜싱 전"),
                lang.pick("the process is dead; the controller waits for the session timeout before fencing it", "프로세스가 죽음. 컨트롤러는 세션 타임아웃까지 기다린 뒤 펜싱함"),
            ),
            (false, true, true) => (
                lang.pick("CUT OFF · fenced", "격리 · 펜싱됨"),
                lang.pick("cut off from the network and fenced; it still thinks it leads", "네트워크에서 격리되어 펜싱됨. 자신은 아직 리더라고 믿음"),
            ),
            (false, true, false) => (
                lang.pick("CUT OFF", "격리됨"),
                lang.pick("cut off from the network: its heartbeats are lost", "네트워크에서 격리됨: 하트비트가 유실됨"),
            ),
            (false, false, true) => (
                lang.pick("registering", "등록 중"),
                lang.pick("restarted: waits to be registered (unfenced) by the controller", "재시작함: 컨트롤러가 등록(펜싱 해제)해 주기를 기다림"),
            ),
            (false, false, false) if !broker.online => (
                lang.pick("replaying", "메타데이터 재생 중"),
                lang.pick("restarted: replaying the metadata before it serves", "재시작함: 요청을 받기 전에 메타데이터를 재생함"),
            ),
            _ => (
                lang.pick("♛ leader · F follower", "♛ 리더 · F 팔로워"),
                lang.pick("each replica's role: ♛ leads the partition, F follows a leader", "복제본의 역할: ♛는 파티션의 리더, F는 리더를 따르는 팔로워"),
            ),
        };
        let is_coordinator = sim.coordinator().coordinator_for(crate::workload::TRANSACTIONAL_ID)
            == Some(broker.id)
            && sim.producers().iter().any(|p| p.config.transactional_id.is_some());
        let class = match (crashed, isolated) {
            (true, _) => "broker down",
            (false, true) => "broker isolated",
            _ => "broker",
        };
        html! {
            <g class={class} id={format!("broker-{}", broker.id)} data-broker={broker.id.to_string()} data-state={if crashed { "crashed" } else if isolated { "isolated" } else if fenced { "fenced" } else { "up" }}>
                <rect x={svg(BROKER_X)} y={svg(top)} width={svg(BROKER_W)} height={svg(h)} rx="10" class="box broker-box"/>
                <g class="broker-head" onclick={on_inspect.reform(move |_: MouseEvent| Inspect::Broker(id))}
                    tabindex="0" role="button" onkeydown={on_key(on_inspect, Inspect::Broker(id))}
                    aria-label={match lang {
                        Lang::En => format!("Broker {id}: {status} — its state, and faults to inject"),
                        Lang::Ko => format!("브로커 {id}: {status} — 상태 보기와 장애 주입"),
                    }}>
                    <title>{ lang.pick("click: this broker's state, and crash / restart / slow / cut it off", "클릭: 이 브로커의 상태를 보고 다운·재시작·느린 fetch·격리를 일으킴") }</title>
                    <rect x={svg(BROKER_X)} y={svg(top)} width={svg(BROKER_W)} height="28" rx="10" class="hit"/>
                    { text_line(BROKER_X + 10.0, top + 20.0, None, "strong small", format!("{} {} ▾", lang.pick("Broker", "브로커"), broker.id)) }
                    if is_coordinator && !crashed && !isolated {
                        <text x={svg(BROKER_X + BROKER_W - 10.0)} y={svg(top + 20.0)} text-anchor="end" class="tiny coord" id="coordinator-badge">
                            { lang.pick("⚑ transaction coordinator", "⚑ 트랜잭션 코디네이터") }
                            <title>{ lang.pick("leads the __transaction_state partition of the transactional.id: the transaction coordinator",
                                "transactional.id의 __transaction_state 파티션 리더: 트랜잭션 코디네이터") }</title>
                        </text>
                    } else {
                        <text x={svg(BROKER_X + BROKER_W - 10.0)} y={svg(top + 20.0)} text-anchor="end" class={if crashed || isolated { "tiny warn" } else { "tiny" }}>
                            { status }<title>{ status_title }</title>
                        </text>
                    }
                </g>
                { for parts }
            </g>
        }
    });
    html! { <g class="brokers">{ for boxes }</g> }
}

/// A leader's verdict on a producer's batch in the last 300 ms of virtual time: a
/// deduplicated retry (good) or an out-of-order / fenced refusal (bad).
fn recent_verdict(
    sim: &Simulation,
    broker: u32,
    tp: kafka_lab::metadata::TopicPartition,
    t: f64,
    lang: Lang,
) -> Option<(String, bool)> {
    sim.recent_events()
        .rev()
        .take_while(|(at, _)| t - (*at as f64) < 300.0)
        .find_map(|(_, e)| match e {
            TraceEvent::DuplicateBatch {
                broker: b,
                tp: p,
                base_offset,
                ..
            } if *b == broker && *p == tp => Some((
                format!("{} → @{base_offset}", lang.pick("dup", "중복")),
                true,
            )),
            TraceEvent::BatchRejected {
                broker: b,
                tp: p,
                error,
                ..
            } if *b == broker
                && *p == tp
                && matches!(
                    *error,
                    "OUT_OF_ORDER_SEQUENCE_NUMBER" | "INVALID_PRODUCER_EPOCH" | "INVALID_TXN_STATE"
                ) =>
            {
                let short = match *error {
                    "OUT_OF_ORDER_SEQUENCE_NUMBER" => lang.pick("out of order", "순서 어긋남"),
                    "INVALID_PRODUCER_EPOCH" => lang.pick("old epoch", "옛 에포크"),
                    _ => lang.pick("txn state", "트랜잭션 상태"),
                };
                Some((format!("✕ {short}"), false))
            }
            _ => None,
        })
}

/// Enter or Space on a focused stage element does what a click does.
fn on_key(on_inspect: &Callback<Inspect>, what: Inspect) -> Callback<KeyboardEvent> {
    let on_inspect = on_inspect.clone();
    Callback::from(move |e: KeyboardEvent| {
        if matches!(e.key().as_str(), "Enter" | " ") {
            // Space would scroll the page, and the document's handler would play/pause.
            e.prevent_default();
            e.stop_propagation();
            on_inspect.emit(what);
        }
    })
}

/// The whole stage at virtual time `t`.
/// Clicking a batch in the accumulator, or a replica in a broker, opens it in the
/// inspector (`on_inspect`).
pub fn stage(
    sim: &Simulation,
    workload: &Workload,
    ledger: &Ledger,
    t: f64,
    on_inspect: &Callback<Inspect>,
    lang: Lang,
) -> Html {
    let Some(p) = sim.producers().first() else {
        return html! {};
    };
    let acks = match p.config.acks {
        Acks::None => lang.pick("acks=0: no response", "acks=0: 응답 없음"),
        Acks::Leader => lang.pick("acks=1: leader append", "acks=1: 리더 기록"),
        Acks::All => lang.pick("acks=all: whole ISR", "acks=all: ISR 전체"),
    };
    // Titles and subtitles: Kafka's class names stay, the rest is translated.
    let sub = |en, ko| lang.pick(en, ko);
    html! {
        <svg viewBox={format!("0 0 {} {}", svg(WIDTH), svg(HEIGHT))} class="stage-svg" role="group"
            aria-label={lang.pick("Kafka producer pipeline: send, serializer, partitioner, record accumulator, sender, network, brokers",
                "Kafka 프로듀서 파이프라인: send, 직렬화, 파티셔너, 레코드 어큐뮬레이터, 센더, 네트워크, 브로커")}>
            { column_title(APP_X, APP_W, lang.pick("Producer app", "프로듀서 앱"), sub("the application", "애플리케이션"), false) }
            { column_title(SER_X, SER_W, "Serializer", sub("key → bytes", "키 → 바이트 직렬화"), true) }
            { column_title(PART_X, PART_W, "Partitioner", sub("picks the partition", "파티션 선택"), true) }
            { column_title(ACC_X, ACC_W, "RecordAccumulator", sub("batches per partition", "파티션별 배치"), true) }
            { column_title(SENDER_X, SENDER_W, "Sender", sub("requests", "요청 전송"), true) }
            { column_title(NET_X0, BROKER_X - NET_X0, lang.pick("Network", "네트워크"), acks, false) }
            { column_title(BROKER_X, BROKER_W, lang.pick("Brokers", "브로커"), sub("partition logs", "파티션 로그"), false) }
            { code_box(workload, sim.version(), lang) }
            { producer_boxes(p, workload, sim, lang) }
            { accumulator(p, sim, t, on_inspect, lang) }
            { sender(p, sim, t, on_inspect, lang) }
            { brokers(sim, t, on_inspect, lang) }
            { ledger_box(ledger, lang) }
        </svg>
    }
}

/// The application's code as the settings make it: the producer properties set (the rest
/// are the version's defaults) and how it calls `send()` — the seed's §3 in one glance.
fn code_box(workload: &Workload, version: KafkaVersion, lang: Lang) -> Html {
    const SHOWN: usize = 4;
    let (x, y, w) = (APP_X, TOP + 8.0, PART_X + PART_W - APP_X);
    let mut props: Vec<(String, String)> = workload
        .producer
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let transactional_id = match &workload.file {
        Some(f) => f
            .scenario
            .producers
            .first()
            .and_then(|p| p.config.get("transactional.id").cloned()),
        None => workload
            .transactions
            .is_some()
            .then(|| crate::workload::TRANSACTIONAL_ID.to_string()),
    };
    if let Some(id) = &transactional_id {
        props.push(("transactional.id".into(), id.clone()));
    }
    let mut lines: Vec<(String, &str)> = vec![(
        match (lang, props.is_empty()) {
            (Lang::En, false) => format!("// Kafka {version}: its defaults, except"),
            (Lang::En, true) => format!("// Kafka {version}: every property at its default"),
            (Lang::Ko, false) => format!("// Kafka {version} 기본값에서 바꾼 것만"),
            (Lang::Ko, true) => format!("// Kafka {version}: 모든 속성이 기본값"),
        },
        "code-comment",
    )];
    lines.extend(
        props
            .iter()
            .take(SHOWN)
            .map(|(k, v)| (format!("props.put(\"{k}\", \"{v}\");"), "")),
    );
    if props.len() > SHOWN {
        let more = props.len() - SHOWN;
        lines.push((
            match lang {
                Lang::En => format!("// … and {more} more (see the settings)"),
                Lang::Ko => format!("// … 외 {more}개 (설정 패널 참고)"),
            },
            "code-comment",
        ));
    }
    lines.push(("producer = new KafkaProducer<>(props);".into(), ""));
    if let Some(file) = &workload.file {
        lines.push((
            match lang {
                Lang::En => format!(
                    "// then the {} actions of {}",
                    file.scenario.actions.len(),
                    file.name
                ),
                Lang::Ko => format!(
                    "// 이후 {}의 액션 {}개",
                    file.name,
                    file.scenario.actions.len()
                ),
            },
            "code-comment",
        ));
    } else if workload.transactions.is_some() {
        lines.push(("producer.initTransactions();".into(), ""));
        lines.push((
            "beginTransaction(); send(…); commitTransaction();".into(),
            "",
        ));
    } else {
        let (call, comment) = match workload.mode {
            SendMode::Async => (
                "producer.send(record, callback);",
                lang.pick("// async", "// 비동기"),
            ),
            SendMode::Sync => (
                "producer.send(record).get();",
                lang.pick("// sync: waits", "// 동기: 응답 대기"),
            ),
            SendMode::FireAndForget => (
                "producer.send(record);",
                lang.pick("// fire-and-forget", "// 보내고 잊기"),
            ),
        };
        lines.push((format!("{call}  {comment}"), ""));
    }
    // At most 9 lines: it ends above the send() box.
    let h = 30.0 + lines.len() as f64 * 12.0;
    html! {
        <g class="code-box" id="code-box" role="group" aria-label={lang.pick("the application's code", "애플리케이션 코드")}>
            <rect x={svg(x)} y={svg(y)} width={svg(w)} height={svg(h)} rx="10" class="box code"/>
            { text_line(x + 10.0, y + 18.0, None, "strong small", lang.pick("Application code", "애플리케이션 코드")) }
            { for lines.iter().enumerate().map(|(i, (text, class))| html! {
                <text x={svg(x + 10.0)} y={svg(y + 36.0 + i as f64 * 12.0)}
                    class={classes!("code-line", "mono", *class)} translate="no">{ text.clone() }</text>
            }) }
        </g>
    }
}

/// The delivery ledger, always on the stage: what became of every record sent, counted
/// in the partitions' logs (acks=0/1 lose, retries without idempotence duplicate).
fn ledger_box(l: &Ledger, lang: Lang) -> Html {
    let (x, y, w, h) = (APP_X, 392.0, PART_X + PART_W - APP_X, 126.0);
    // (id, English, Korean, count, worth a warning)
    let cells: [(&str, &str, &str, u64, bool); 6] = [
        ("acked", "acked", "성공", l.acked, false),
        ("failed", "failed", "실패", l.failed, l.failed > 0),
        ("pending", "pending", "대기", l.pending, false),
        ("lost", "lost", "유실", l.lost, l.lost > 0),
        (
            "duplicated",
            "duplicated",
            "중복",
            l.duplicated,
            l.duplicated > 0,
        ),
        (
            "reordered",
            "reordered",
            "순서 뒤바뀜",
            l.reordered,
            l.reordered > 0,
        ),
    ];
    let mut summary = match (lang, l.aborted > 0) {
        (Lang::En, true) => format!("{} sent · {} aborted", l.records, l.aborted),
        (Lang::En, false) => format!("{} records sent", l.records),
        (Lang::Ko, true) => format!("{}개 전송 · {}개 중단", l.records, l.aborted),
        (Lang::Ko, false) => format!("레코드 {}개 전송", l.records),
    };
    // Acknowledged records retention deleted since: gone as meant, not lost.
    if l.expired > 0 {
        summary += &match lang {
            Lang::En => format!(" · {} deleted by retention", l.expired),
            Lang::Ko => format!(" · {}개 보존 기간 지나 삭제", l.expired),
        };
    }
    let cell_w = (w - 16.0) / 3.0;
    html! {
        <g class="ledger-box" id="ledger-box" role="group" aria-label={lang.pick("delivery ledger", "전달 결과")}>
            <rect x={svg(x)} y={svg(y)} width={svg(w)} height={svg(h)} rx="10" class="box"/>
            { text_line(x + 10.0, y + 18.0, None, "strong small", lang.pick("Delivery ledger", "전달 결과")) }
            { text_line(x + w - 10.0, y + 18.0, Some("end"), "tiny", summary) }
            { for cells.iter().enumerate().map(|(i, (name, en, ko, n, bad))| {
                let cx = x + 8.0 + (i % 3) as f64 * cell_w + cell_w / 2.0;
                let cy = y + 50.0 + (i / 3) as f64 * 40.0;
                html! {
                    <g class={if *bad { "ledger-cell bad" } else { "ledger-cell" }} data-ledger={*name}>
                        { text_line(cx, cy, Some("middle"), "ledger-n", n.to_string()) }
                        { text_line(cx, cy + 14.0, Some("middle"), "tiny", lang.pick(en, ko)) }
                    </g>
                }
            }) }
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn long_names_are_cut_at_a_character_with_an_ellipsis() {
        assert_eq!(clip("Pangyo", 12), "Pangyo");
        assert_eq!(clip("user-000000012", 14), "user-000000012");
        assert_eq!(clip("<img src=x onerror=…>", 12), "<img src=x …");
        assert_eq!(clip("판교판교판교", 4), "판교판…");
    }
}
