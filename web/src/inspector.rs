//! The inspector: one `ProducerBatch` as the producer sees it now — where it is, its
//! records, its size against `batch.size`, its codec and ratio, and, once drained, its
//! bytes in Kafka's v2 format with the header fields labelled — or one replica: its LEO
//! and high watermark, and on a leader every follower's state and why the high watermark
//! is where it is.

use crate::decimal::{Fixed, Ids};
use crate::i18n::Lang;
use crate::lifecycle::{opener, timeline};
use kafka_lab::broker::partition::Partition;
use kafka_lab::compression::CompressionType;
use kafka_lab::lifecycle::batch_lifecycle;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::producer::accumulator::{BatchId, ProducerBatch};
use kafka_lab::producer::{KafkaProducer, Outcome};
use kafka_lab::record_batch::field_ranges;
use kafka_lab::Simulation;
use yew::prelude::*;

/// What a click on the stage (or in an inspector) asks to inspect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inspect {
    Batch(BatchId),
    /// The replica of a partition on a broker.
    Replica(u32, TopicPartition),
    /// A broker: its liveness, what the controller thinks of it, and faults to inject.
    Broker(u32),
    /// One `send()` of a producer: its lifecycle.
    Record {
        producer: u16,
        index: u32,
    },
    /// A produce request, sent at `sent_ms` (where its lifecycle starts in the trace).
    Request {
        producer: u16,
        request: u64,
        sent_ms: u64,
    },
    /// A producer id's entry in a replica's `ProducerStateManager`.
    ProducerState {
        broker: u32,
        tp: TopicPartition,
        producer_id: i64,
    },
}

/// How many bytes of a batch the hex view shows.
const HEX_LIMIT: usize = 512;

/// The batch with this id, wherever the producer holds it: queued in the accumulator
/// or in a request in flight. `None` once it has completed.
/// A table's header cells, each label in English and Korean. The inspectors' headers are
/// one loop each rather than an `html!` element per cell: `html!` expands every element's
/// construction where it stands, a few hundred bytes of wasm each (issue 8).
pub fn header_cells(lang: Lang, labels: &[(&'static str, &'static str)]) -> Html {
    html! { { for labels.iter().map(|&(en, ko)| html! { <th>{ lang.pick(en, ko) }</th> }) } }
}

pub fn find_batch(p: &KafkaProducer, id: BatchId) -> Option<&ProducerBatch> {
    p.accumulator
        .deques()
        .flat_map(|(_, dq)| dq.iter())
        .chain(
            p.sender
                .in_flight
                .values()
                .flat_map(|q| q.iter())
                .flat_map(|r| r.batches.iter()),
        )
        .find(|b| b.id == id)
}

/// Where the batch is in its life.
fn state(p: &KafkaProducer, b: &ProducerBatch, now: u64, lang: Lang) -> String {
    let queued = p
        .accumulator
        .deques()
        .any(|(_, dq)| dq.iter().any(|x| x.id == b.id));
    if queued && !b.closed {
        let (waited, linger) = (now.saturating_sub(b.created_ms), p.config.linger_ms);
        return match (lang, b.is_full()) {
            (Lang::En, true) => {
                format!("open in the accumulator: {waited} ms of linger.ms {linger} waited, full")
            }
            (Lang::En, false) => format!(
                "open in the accumulator: {waited} ms of linger.ms {linger} waited, room left"
            ),
            (Lang::Ko, true) => format!(
                "어큐뮬레이터에서 열려 있음: linger.ms {linger} 중 {waited} ms 기다림, 가득 참"
            ),
            (Lang::Ko, false) => format!(
                "어큐뮬레이터에서 채워지는 중: linger.ms {linger} 중 {waited} ms 기다림, 자리 남음"
            ),
        };
    }
    let attempts = b.attempts;
    if queued {
        return match lang {
            Lang::En => format!("back in the accumulator after {attempts} failed attempt(s), waiting out retry.backoff.ms"),
            Lang::Ko => format!("{attempts}번 실패한 뒤 어큐뮬레이터로 돌아와 retry.backoff.ms를 기다리는 중"),
        };
    }
    if find_batch(p, b.id).is_some() {
        return lang
            .pick(
                "in flight: written to a ProduceRequest, waiting for the broker's answer",
                "전송 중: ProduceRequest에 담겨 브로커의 응답을 기다림",
            )
            .into();
    }
    let first = b.records.first().map(|r| &p.sends[r.index as usize]);
    match first {
        Some(s) if s.outcome == Outcome::Acked && s.offset >= 0 => {
            let (from, to) = (s.offset, s.offset + b.records.len() as i64 - 1);
            match lang {
                Lang::En => format!("acknowledged: offsets {from}–{to}"),
                Lang::Ko => format!("확인(ack) 받음: 브로커가 오프셋 {from}–{to}에 기록"),
            }
        }
        Some(s) if s.outcome == Outcome::Acked => lang
            .pick(
                "completed without a response (acks=0, offset −1)",
                "응답 없이 완료 (acks=0, 오프셋 −1)",
            )
            .into(),
        Some(s) => {
            let e = s.error.as_ref().map_or("?".to_string(), |e| e.to_string());
            match lang {
                Lang::En => format!("failed: {e}"),
                Lang::Ko => format!("실패: {e}"),
            }
        }
        None => String::new(),
    }
}

fn hex_view(bytes: &[u8], lang: Lang) -> Html {
    let ranges = field_ranges(bytes.len());
    let field_of = |i: usize| {
        ranges
            .iter()
            .position(|r| i >= r.start && i < r.start + r.len)
    };
    let shown = &bytes[..bytes.len().min(HEX_LIMIT)];
    let rows = shown.chunks(16).enumerate().map(|(row, chunk)| {
        let cells = chunk.iter().enumerate().map(|(j, byte)| {
            let i = row * 16 + j;
            let f = field_of(i);
            let class = f.map_or("hx".to_string(), |f| format!("hx f{}", f % 7));
            let title = f.map_or(String::new(), |f| ranges[f].name.to_string());
            html! { <span class={class} title={title}>{ format!("{byte:02x}") }</span> }
        });
        html! { <div class="hexrow"><span class="off">{ format!("{:04x}", row * 16) }</span>{ for cells }</div> }
    });
    let legend = ranges.iter().enumerate().map(|(f, r)| {
        html! { <span class={format!("hx f{}", f % 7)}>{ format!("{} ({} B)", r.name, r.len) }</span> }
    });
    html! {
        <>
            <div class="hex mono" id="batch-hex">{ for rows }</div>
            if bytes.len() > HEX_LIMIT {
                <p class="small">{ match lang {
                    Lang::En => format!("… {} more bytes", bytes.len() - HEX_LIMIT),
                    Lang::Ko => format!("… {}바이트 더 있음", bytes.len() - HEX_LIMIT),
                } }</p>
            }
            <div class="legend mono">{ for legend }</div>
        </>
    }
}

/// The inspector panel for `batch` (the latest view of it the app kept).
pub fn inspector(
    sim: &Simulation,
    p: &KafkaProducer,
    batch: &ProducerBatch,
    on_close: Callback<MouseEvent>,
    on_inspect: &Callback<Inspect>,
    lang: Lang,
) -> Html {
    let topic = &sim.cluster().topics[batch.tp.topic as usize].name;
    let ratio = batch.compression_ratio();
    let life = batch_lifecycle(sim, p.id, batch.id, batch.created_ms);
    // A field: Kafka's own name and value (`mono`), or a label in the language on screen.
    let field = |name: &str, ident: bool, value: String| {
        let class = if ident { "mono" } else { "" };
        html! { <><dt {class}>{ name.to_string() }</dt><dd {class}>{ value }</dd></> }
    };
    let records = batch.records.iter().take(50).map(|r| {
        let s = &p.sends[r.index as usize];
        let text = |t: Option<&str>| {
            t.map_or("null".to_string(), |t| {
                let short: String = t.chars().take(24).collect();
                if short.len() < t.len() {
                    format!("{short}…")
                } else {
                    short
                }
            })
        };
        let target = Inspect::Record {
            producer: p.id,
            index: r.index,
        };
        let (onclick, onkeydown) = opener(on_inspect, target);
        let label = match lang {
            Lang::En => format!("record #{}: its lifecycle", r.index),
            Lang::Ko => format!("레코드 #{}: 생애 주기", r.index),
        };
        html! {
            <tr class="clickable" tabindex="0" role="button" aria-label={label} data-index={r.index.to_string()} {onclick} {onkeydown}>
                <td>{ format!("#{}", r.index) }</td>
                <td class="mono">{ text(s.data.key_text().as_deref()) }</td>
                <td class="mono">{ text(s.data.value_text().as_deref()) }</td>
                <td>{ format!("{} B", r.size) }</td>
                <td>{ match s.outcome {
                    Outcome::Acked if s.offset >= 0 => format!("@{}", s.offset),
                    Outcome::Acked => lang.pick("acked", "확인됨").to_string(),
                    Outcome::Failed => lang.pick("failed", "실패").to_string(),
                    Outcome::Pending => "…".to_string(),
                } }</td>
            </tr>
        }
    });
    html! {
        <section class="inspector" id="inspector" tabindex="-1" aria-label={lang.pick("batch inspector", "배치 인스펙터")}>
            <header>
                <h3>{ match lang {
                    Lang::En => format!("Batch {} · {topic}-{}", batch.id, batch.tp.partition),
                    Lang::Ko => format!("배치 {} · {topic}-{}", batch.id, batch.tp.partition),
                } }</h3>
                { close_button(on_close, lang) }
            </header>
            <p class="state" id="batch-state">{ state(p, batch, sim.now(), lang) }</p>
            <dl class="fields">
                { field(lang.pick("records", "레코드 수"), false, batch.records.len().to_string()) }
                { field(match (ratio.is_some(), lang) {
                    (true, Lang::En) => "size (written)",
                    (true, Lang::Ko) => "크기 (기록됨)",
                    (false, Lang::En) => "size (estimated)",
                    (false, Lang::Ko) => "크기 (추정)",
                }, false, match lang {
                    Lang::En => format!("{} B of batch.size {} (buffer {} B)", batch.size_in_bytes, p.config.batch_size, batch.buffer_size),
                    Lang::Ko => format!("batch.size {} 중 {} B (버퍼 {} B)", p.config.batch_size, batch.size_in_bytes, batch.buffer_size),
                }) }
                { field(lang.pick("uncompressed records", "압축 전 레코드"), false, match lang {
                    Lang::En => format!("{} B + 61 B header", batch.records_size),
                    Lang::Ko => format!("{} B + 헤더 61 B", batch.records_size),
                }) }
                { field("compression.type", true, batch.compression.name().to_string()) }
                { field(lang.pick("compression ratio", "압축률"), false, match (ratio, batch.compression) {
                    // As f64, the same value and digits: the only f32 formatted, which would
                    // bring its own copy of the float formatting.
                    (Some(r), _) => format!("{} ({})", Fixed(f64::from(r), 3), lang.pick("written ÷ uncompressed records", "기록된 크기 ÷ 압축 전 레코드")),
                    (None, CompressionType::None) => "1.000".to_string(),
                    (None, _) => lang.pick("known once written at drain", "drain 때 기록되어야 알 수 있음").to_string(),
                }) }
                { field(lang.pick("created", "생성 시각"), false, format!("{} ms", batch.created_ms)) }
                { field(lang.pick("attempts", "시도 횟수"), false, batch.attempts.to_string()) }
                { field("producerId / epoch / baseSequence", true, format!("{} / {} / {}", batch.producer_id, batch.producer_epoch, batch.base_sequence)) }
            </dl>
            <table class="records">
                <thead><tr>
                    { header_cells(lang, &[("send", "send 번호"), ("key", "키"), ("value", "값"), ("size", "크기"), ("offset", "오프셋")]) }
                </tr></thead>
                <tbody>{ for records }</tbody>
            </table>
            if batch.records.len() > 50 {
                <p class="small">{ match lang {
                    Lang::En => format!("… and {} more records", batch.records.len() - 50),
                    Lang::Ko => format!("… 레코드 {}개 더 있음", batch.records.len() - 50),
                } }</p>
            }
            <h4>{ lang.pick("Lifecycle", "생애 주기") }</h4>
            { timeline(sim, p.id, &life.steps, life.forgotten_before, lang, on_inspect) }
            <h4>{ lang.pick("Bytes (record batch v2)", "바이트 (레코드 배치 v2 형식)") }</h4>
            { match batch.encoded() {
                Some(e) => hex_view(&e.bytes, lang),
                None => html! { <p class="small" id="batch-hex-pending">
                    { lang.pick("Not written yet: the batch is encoded (and compressed) when the sender drains it; until then its size is Kafka's estimate.",
                        "아직 기록 전: 배치는 Sender가 drain할 때 v2 형식으로 인코딩(과 압축)됨. 그 전의 크기는 Kafka의 추정값.") }
                </p> },
            } }
        </section>
    }
}

/// The replica inspector: the replica of `tp` on `broker`.
pub fn replica_inspector(
    sim: &Simulation,
    broker: u32,
    tp: TopicPartition,
    on_close: Callback<MouseEvent>,
    on_inspect: &Callback<Inspect>,
    lang: Lang,
) -> Html {
    let Some(r) = sim
        .brokers()
        .get(broker as usize)
        .and_then(|b| b.partitions.get(&tp))
    else {
        return html! {};
    };
    let now = sim.now();
    let lag = sim.controller().config().replica_lag_time_max_ms;
    let leo = r.log.log_end_offset();
    let name = format!(
        "{}-{}",
        sim.cluster().topics[tp.topic as usize].name,
        tp.partition
    );
    let fenced = sim.brokers()[broker as usize].fenced();
    let holds_hw = |id, f| r.holds_high_watermark(id, f, now, lag, sim.version(), fenced);
    let body = if r.is_leader() {
        let mut holds = vec![format!("{} {leo}", lang.pick("leader", "리더"))];
        let rows = r.followers.iter().map(|(&id, f)| {
            let in_isr = r.isr.contains(&id);
            let counts = holds_hw(id, f);
            html! {
                <tr>
                    <td>{ format!("{} {id}", lang.pick("broker", "브로커")) }</td>
                    <td>{ leo_text(f.log_end_offset, lang) }</td>
                    <td>{ f.last_caught_up_ms.map_or(lang.pick("never", "한 번도 없음").to_string(), |t| match lang {
                        Lang::En => format!("{} ms ago", now.saturating_sub(t)),
                        Lang::Ko => format!("{} ms 전", now.saturating_sub(t)),
                    }) }</td>
                    <td>{ yes_no(in_isr, lang) }</td>
                    <td>{ yes_no(counts, lang) }</td>
                </tr>
            }
        });
        for (id, f) in &r.followers {
            if holds_hw(*id, f) {
                holds.push(format!(
                    "{} {id} {}",
                    lang.pick("broker", "브로커"),
                    leo_text(f.log_end_offset, lang)
                ));
            }
        }
        html! {
            <>
                <dl class="fields">
                    <dt class="mono">{ "ISR" }</dt><dd>{ match lang {
                        Lang::En => format!("{} of replicas {}", Ids(&r.isr), Ids(&r.replicas)),
                        Lang::Ko => format!("복제본 {} 중 {}", Ids(&r.replicas), Ids(&r.isr)),
                    } }
                        { for r.pending_isr.as_ref().map(|p| match lang {
                            Lang::En => format!(" — AlterPartition to {} awaits the controller", Ids(p)),
                            Lang::Ko => format!(" — {}로 바꾸는 AlterPartition이 컨트롤러 응답을 기다림", Ids(p)),
                        }) }</dd>
                    <dt class="mono">{ "min.insync.replicas" }</dt>
                    <dd>{ {
                        let (min, effective) = (r.min_insync_replicas, r.effective_min_isr(sim.version()));
                        match (lang, r.not_enough_replicas(sim.version())) {
                            (Lang::En, true) => format!("{min} (effective {effective}): acks=all is refused — NotEnoughReplicas"),
                            (Lang::En, false) => format!("{min} (effective {effective}): acks=all is accepted"),
                            (Lang::Ko, true) => format!("{min} (실제 적용 {effective}): acks=all 쓰기 거부 — NotEnoughReplicas"),
                            (Lang::Ko, false) => format!("{min} (실제 적용 {effective}): acks=all 쓰기 받아들임"),
                        }
                    } }</dd>
                    <dt>{ lang.pick("high watermark", "하이 워터마크") }</dt>
                    <dd id="hw-why">{ match (lang, r.high_watermark_frozen(sim.version())) {
                        (Lang::En, false) => format!("{} — the smallest LEO of {} (never goes back)", r.high_watermark(), holds.join(", ")),
                        (Lang::Ko, false) => format!("{} — {} 가운데 가장 작은 LEO (뒤로 가지 않음)", r.high_watermark(), holds.join(", ")),
                        (Lang::En, true) => format!("{} — frozen while the ISR is under min.insync.replicas (since 3.7, KAFKA-15583): the records past it wait for the ISR to grow back", r.high_watermark()),
                        (Lang::Ko, true) => format!("{} — ISR이 min.insync.replicas보다 작은 동안 멈춤 (3.7부터, KAFKA-15583): 그 뒤의 레코드는 ISR이 다시 커지기를 기다림", r.high_watermark()),
                    } }</dd>
                </dl>
                <table class="records" id="followers">
                    <thead><tr>
                        <th>{ lang.pick("follower", "팔로워") }</th>
                        <th class="mono">{ "LEO" }</th>
                        { header_cells(lang, &[("caught up", "마지막으로 따라잡음"), ("in ISR", "ISR 포함"), ("holds HW", "HW 결정에 참여")]) }
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                <p class="small">{ match lang {
                    Lang::En => format!("A follower leaves the ISR when it is behind and has not caught up for more than replica.lag.time.max.ms ({lag} ms); it rejoins once a fetch reaches the high watermark."),
                    Lang::Ko => format!("팔로워가 뒤처진 채 replica.lag.time.max.ms({lag} ms)보다 오래 따라잡지 못하면 ISR에서 빠지고, fetch가 하이 워터마크에 닿으면 다시 들어옴."),
                } }</p>
            </>
        }
    } else {
        let leader_leo = r
            .leader
            .and_then(|l| sim.brokers().get(l as usize))
            .and_then(|b| b.partitions.get(&tp))
            .map_or(0, |l| l.log.log_end_offset());
        html! {
            <dl class="fields">
                <dt>{ lang.pick("leader", "리더") }</dt><dd>{ r.leader.map_or(lang.pick("none", "없음").to_string(), |l| match lang {
                    Lang::En => format!("broker {l} (LEO {leader_leo})"),
                    Lang::Ko => format!("브로커 {l} (LEO {leader_leo})"),
                }) }</dd>
                <dt>{ lang.pick("behind", "뒤처짐") }</dt><dd>{ match lang {
                    Lang::En => format!("{} records", leader_leo.saturating_sub(leo)),
                    Lang::Ko => format!("레코드 {}개", leader_leo.saturating_sub(leo)),
                } }</dd>
                <dt>{ lang.pick("high watermark", "하이 워터마크") }</dt><dd>{ match lang {
                    Lang::En => format!("{} — taken from the leader's fetch response, capped at its own LEO", r.high_watermark()),
                    Lang::Ko => format!("{} — 리더의 fetch 응답에서 받되 자기 LEO를 넘지 않음", r.high_watermark()),
                } }</dd>
            </dl>
        }
    };
    html! {
        <section class="inspector" id="replica-inspector" tabindex="-1" aria-label={lang.pick("replica inspector", "복제본 인스펙터")}>
            <header>
                <h3>{ match (lang, r.is_leader()) {
                    (Lang::En, true) => format!("{name} on broker {broker} · leader"),
                    (Lang::En, false) => format!("{name} on broker {broker} · follower"),
                    (Lang::Ko, true) => format!("브로커 {broker}의 {name} · 리더"),
                    (Lang::Ko, false) => format!("브로커 {broker}의 {name} · 팔로워"),
                } }</h3>
                { close_button(on_close, lang) }
            </header>
            <p class="state">{ match lang {
                Lang::En => format!("LEO {leo} · high watermark {} · leader epoch {}", r.high_watermark(), r.leader_epoch),
                Lang::Ko => format!("LEO {leo} · 하이 워터마크 {} · 리더 에포크 {}", r.high_watermark(), r.leader_epoch),
            } }</p>
            { body }
            { segments(sim, broker, r, lang) }
            { producer_state(r, broker, on_inspect, lang) }
        </section>
    }
}

/// A follower's position as the leader knows it: unknown until its first fetch in this
/// leader epoch.
/// The replica's log as segments: where it starts, and what retention will delete.
fn segments(sim: &Simulation, broker: u32, r: &Partition, lang: Lang) -> Html {
    let log = &r.log;
    let config = log.config();
    let last = log.segments().len() - 1;
    let rows = log.segments().iter().enumerate().map(|(i, s)| {
        let end = log
            .segments()
            .get(i + 1)
            .map_or(log.log_end_offset(), |n| n.base_offset);
        let newest = s
            .largest_timestamp
            .map_or("–".to_string(), |t| format!("{} s", Fixed(t as f64 / 1000.0, 3)));
        html! {
            <tr data-segment={s.base_offset.to_string()}>
                <td class="mono">{ format!("{}–{}", s.base_offset, end.saturating_sub(1).max(s.base_offset)) }</td>
                <td>{ s.bytes.to_string() }</td>
                <td class="mono">{ newest }</td>
                <td>{ if i == last { lang.pick("active", "활성") } else { "" } }</td>
            </tr>
        }
    });
    let never = lang.pick("never", "없음");
    let retention_ms = if config.retention_ms < 0 {
        never.to_string()
    } else {
        format!("{} ms", config.retention_ms)
    };
    let retention_bytes = if config.retention_bytes < 0 {
        never.to_string()
    } else {
        config.retention_bytes.to_string()
    };
    let next = sim
        .brokers()
        .get(broker as usize)
        .and_then(|b| b.next_retention_check_ms())
        .map_or(
            lang.pick(
                "not while the broker is down",
                "브로커가 다운된 동안은 없음",
            )
            .to_string(),
            |t| format!("{} s", Fixed(t as f64 / 1000.0, 3)),
        );
    html! {
        <>
            <h4>{ lang.pick("Segments", "세그먼트") }</h4>
            <dl class="fields" id="log-segments">
                <dt>{ lang.pick("log start offset", "로그 시작 오프셋") }</dt>
                <dd>{ match lang {
                    Lang::En => format!("{} — below it retention deleted the records; a consumer there is reset by auto.offset.reset", log.log_start_offset()),
                    Lang::Ko => format!("{} — 그 아래는 보존 정책으로 삭제됨. 그 아래를 읽던 컨슈머는 auto.offset.reset으로 위치를 옮김", log.log_start_offset()),
                } }</dd>
                <dt>{ lang.pick("retention", "보존") }</dt>
                <dd>{ format!("retention.ms {retention_ms} · retention.bytes {retention_bytes} · segment.bytes {} · segment.ms {} ms", config.segment_bytes, config.segment_ms) }</dd>
                <dt>{ lang.pick("next retention check", "다음 보존 점검") }</dt>
                <dd>{ next }</dd>
            </dl>
            <table class="records">
                <thead><tr>
                    { header_cells(lang, &[("offsets", "오프셋"), ("bytes", "바이트"), ("newest record", "가장 새 레코드")]) }
                    <th></th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <p class="small">{ lang.pick(
                "Retention deletes whole segments, oldest first, and only below the high watermark: a segment goes once its newest record is older than retention.ms, or while the log is over retention.bytes by at least its size. The active segment goes only when all of it is old (a new one is rolled first). Followers delete their own segments and follow the leader's log start.",
                "보존 정책은 세그먼트 단위로, 가장 오래된 것부터, 하이 워터마크 아래에서만 삭제함: 가장 새 레코드가 retention.ms보다 오래되었거나, 로그가 retention.bytes를 세그먼트 크기 이상 넘으면 삭제. 활성 세그먼트는 전부 오래되었을 때만(새 세그먼트를 먼저 만든 뒤) 삭제. 팔로워는 자기 세그먼트를 직접 지우고 리더의 로그 시작 오프셋을 따라감.") }</p>
        </>
    }
}

fn leo_text(leo: Option<u64>, lang: Lang) -> String {
    leo.map_or(
        lang.pick("unknown (no fetch yet)", "모름 (아직 fetch 없음)")
            .to_string(),
        |o| o.to_string(),
    )
}

fn yes_no(yes: bool, lang: Lang) -> &'static str {
    match (yes, lang) {
        (true, Lang::En) => "yes",
        (true, Lang::Ko) => "예",
        (false, Lang::En) => "no",
        (false, Lang::Ko) => "아니오",
    }
}

/// The × that closes an inspector (Escape does the same).
pub(crate) fn close_button(on_close: Callback<MouseEvent>, lang: Lang) -> Html {
    html! {
        <button class="close" onclick={on_close} aria-label={lang.pick("close the inspector", "인스펙터 닫기")}
            title={lang.pick("close (Esc)", "닫기 (Esc)")}>{ "×" }</button>
    }
}

/// A broker as the process and the controller see it, with `actions` (the fault buttons)
/// to crash, restart, slow or cut it off.
pub fn broker_inspector(
    sim: &Simulation,
    broker: u32,
    actions: Html,
    on_close: Callback<MouseEvent>,
    lang: Lang,
) -> Html {
    let Some(b) = sim.brokers().get(broker as usize) else {
        return html! {};
    };
    let (crashed, isolated) = sim.broker_down(broker);
    let fenced = sim.controller().is_fenced(broker);
    let process = match (crashed, isolated) {
        (true, _) => lang.pick(
            "down: its log waits on disk",
            "다운: 로그는 디스크에 남아 있음",
        ),
        (false, true) => lang.pick(
            "running, cut off from the network",
            "실행 중이지만 네트워크에서 격리됨",
        ),
        _ if !b.online => lang.pick(
            "restarted, not yet serving: registering and replaying metadata",
            "재시작함, 아직 요청을 받지 않음: 등록하고 메타데이터를 재생하는 중",
        ),
        _ => lang.pick("running", "정상 동작 중"),
    };
    let controller = match (fenced, sim.controller().fence_at(broker), lang) {
        (true, _, _) => lang
            .pick(
                "fenced: out of every ISR, leads nothing",
                "펜싱됨: 모든 ISR에서 빠지고 어떤 파티션도 이끌지 않음",
            )
            .to_string(),
        (false, Some(t), Lang::En) => format!(
            "no heartbeats; fenced at {} s unless heard from",
            Fixed(t as f64 / 1000.0, 3)
        ),
        (false, Some(t), Lang::Ko) => format!(
            "하트비트 없음: 그때까지 연락이 없으면 {}초에 펜싱됨",
            Fixed(t as f64 / 1000.0, 3)
        ),
        (false, None, _) => lang
            .pick("registered, heartbeating", "등록됨, 하트비트 정상")
            .to_string(),
    };
    let led: Vec<String> = b
        .partitions
        .values()
        .filter(|p| p.is_leader())
        .map(|p| sim.cluster().display(p.tp))
        .collect();
    let followed: Vec<String> = b
        .partitions
        .values()
        .filter_map(|p| {
            p.leader.filter(|&l| l != broker).map(|l| {
                let b = lang.pick("broker", "브로커");
                format!("{} ← {b} {l}", sim.cluster().display(p.tp))
            })
        })
        .collect();
    let (timeout, every) = sim.controller().session();
    let (timeout_s, every_s) = (timeout / 1000, every / 1000);
    let how = match (sim.version().at_least(3, 3), lang) {
        (true, Lang::En) => "KRaft broker heartbeats",
        (true, Lang::Ko) => "KRaft 브로커 하트비트",
        (false, Lang::En) => "ZooKeeper session pings",
        (false, Lang::Ko) => "ZooKeeper 세션 핑",
    };
    let list = |v: &[String]| {
        if v.is_empty() {
            lang.pick("none", "없음").to_string()
        } else {
            v.join(", ")
        }
    };
    html! {
        <section class="inspector" id="broker-inspector" tabindex="-1" aria-label={lang.pick("broker inspector", "브로커 인스펙터")}>
            <header>
                <h3>{ format!("{} {broker}", lang.pick("Broker", "브로커")) }</h3>
                { close_button(on_close, lang) }
            </header>
            <p class="state">{ process }</p>
            <dl class="fields">
                <dt>{ lang.pick("controller", "컨트롤러") }</dt><dd id="broker-controller">{ controller }</dd>
                <dt>{ lang.pick("leads", "리더인 파티션") }</dt><dd>{ list(&led) }</dd>
                <dt>{ lang.pick("follows", "팔로워인 파티션") }</dt><dd>{ list(&followed) }</dd>
                <dt class="mono">{ "IsrShrinks / IsrExpands" }</dt><dd>{ format!("{} / {}", b.isr_shrinks, b.isr_expands) }</dd>
                <dt class="mono">{ "FailedProduceRequests / TotalProduceRequests" }</dt><dd>{ format!("{} / {}", b.failed_produce_requests, b.total_produce_requests) }</dd>
            </dl>
            <div class="fault-row">{ actions }</div>
            <p class="small">{ match lang {
                Lang::En => format!("A crashed broker's connections close at once; the controller fences it {timeout_s} s after it last heard from it ({how}, every {every_s} s) and elects the first in-sync replica. A cut-off broker keeps running and believes it leads until it hears otherwise."),
                Lang::Ko => format!("다운된 브로커는 연결이 바로 끊기고, 컨트롤러는 마지막 연락({how}, {every_s}초마다) {timeout_s}초 뒤 펜싱하고 ISR의 첫 복제본을 리더로 뽑음. 격리된 브로커는 계속 돌면서 다른 소식을 들을 때까지 자신이 리더라고 믿음."),
            } }</p>
        </section>
    }
}

/// The replica's `ProducerStateManager`: per producer id, its epoch and the last five
/// batches it wrote here — what a retried duplicate is recognised by.
fn producer_state(
    r: &kafka_lab::broker::partition::Partition,
    broker: u32,
    on_inspect: &Callback<Inspect>,
    lang: Lang,
) -> Html {
    let rows: Vec<Html> = r
        .producer_state
        .producers()
        .map(|(pid, e)| {
            let batches = e
                .batches
                .iter()
                .map(|b| format!("{}–{} @{}", b.first_seq, b.last_seq, b.first_offset))
                .collect::<Vec<_>>()
                .join(", ");
            let txn = e
                .current_txn_first_offset
                .map_or("—".to_string(), |o| match lang {
                    Lang::En => format!("open since @{o}"),
                    Lang::Ko => format!("@{o}부터 열려 있음"),
                });
            let target = Inspect::ProducerState {
                broker,
                tp: r.tp,
                producer_id: *pid,
            };
            let (onclick, onkeydown) = opener(on_inspect, target);
            let label = match lang {
                Lang::En => format!("producer id {pid}: its entry's lifecycle"),
                Lang::Ko => format!("producer id {pid}: 이 항목의 생애 주기"),
            };
            html! {
                <tr class="clickable" tabindex="0" role="button" aria-label={label} data-pid={pid.to_string()} {onclick} {onkeydown}>
                    <td>{ pid }</td><td>{ e.epoch }</td><td class="mono">{ batches }</td><td class="mono">{ txn }</td>
                </tr>
            }
        })
        .collect();
    let aborted: Vec<String> = r
        .producer_state
        .aborted_txns()
        .iter()
        .map(|a| {
            format!(
                "PID {} @{}–{}",
                a.producer_id, a.first_offset, a.last_offset
            )
        })
        .collect();
    if rows.is_empty() {
        return html! {
            <p class="small" id="producer-state">{ lang.pick("No idempotent producer has written here (producer id −1 batches carry no sequences).",
                "멱등성 프로듀서가 여기에 쓴 적 없음 (프로듀서 ID −1 배치에는 시퀀스가 없음).") }</p>
        };
    }
    html! {
        <>
            <table class="records" id="producer-state">
                <thead><tr>
                    { header_cells(lang, &[("producer id", "프로듀서 ID"), ("epoch", "에포크"), ("last batches (sequences @ first offset)", "최근 배치 (시퀀스 @ 첫 오프셋)"), ("transaction", "트랜잭션")]) }
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <p class="small" id="lso">{ match lang {
                Lang::En => format!("LSO {} · HW {} · aborted transactions: {}", r.last_stable_offset(), r.high_watermark(),
                    if aborted.is_empty() { "none".to_string() } else { aborted.join(", ") }),
                Lang::Ko => format!("LSO {} · HW {} · 중단된 트랜잭션: {}", r.last_stable_offset(), r.high_watermark(),
                    if aborted.is_empty() { "없음".to_string() } else { aborted.join(", ") }),
            } }</p>
            <p class="small">{ lang.pick("The leader keeps each producer's last five batches: a retry with the same sequences is answered with its original offset and not written again; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is INVALID_PRODUCER_EPOCH. Followers keep the same table from what they copy, so a new leader can tell too.",
                "리더는 프로듀서마다 최근 5개 배치를 기억함: 같은 시퀀스의 재시도는 원래 오프셋으로 응답하고 다시 쓰지 않음. 시퀀스 공백은 OUT_OF_ORDER_SEQUENCE_NUMBER, 옛 에포크는 INVALID_PRODUCER_EPOCH. 팔로워도 복제하면서 같은 표를 유지하므로 새 리더도 중복을 알아봄.") }</p>
        </>
    }
}
