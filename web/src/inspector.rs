//! The inspector: one `ProducerBatch` as the producer sees it now — where it is, its
//! records, its size against `batch.size`, its codec and ratio, and, once drained, its
//! bytes in Kafka's v2 format with the header fields labelled — or one replica: its LEO
//! and high watermark, and on a leader every follower's state and why the high watermark
//! is where it is.

use kafka_lab::broker::REPLICA_LAG_TIME_MAX_MS;
use kafka_lab::compression::CompressionType;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::producer::accumulator::{BatchId, ProducerBatch};
use kafka_lab::producer::{KafkaProducer, Outcome};
use kafka_lab::record_batch::field_ranges;
use kafka_lab::Simulation;
use yew::prelude::*;

/// What a click on the stage asks to inspect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inspect {
    Batch(BatchId),
    /// The replica of a partition on a broker.
    Replica(u32, TopicPartition),
    /// A broker: its liveness, what the controller thinks of it, and faults to inject.
    Broker(u32),
}

/// How many bytes of a batch the hex view shows.
const HEX_LIMIT: usize = 512;

/// The batch with this id, wherever the producer holds it: queued in the accumulator
/// or in a request in flight. `None` once it has completed.
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

/// Where the batch is in its life, in English and Korean.
fn state(p: &KafkaProducer, b: &ProducerBatch, now: u64) -> (String, &'static str) {
    let queued = p
        .accumulator
        .deques()
        .any(|(_, dq)| dq.iter().any(|x| x.id == b.id));
    if queued && !b.closed {
        let waited = now.saturating_sub(b.created_ms);
        return (
            format!(
                "open in the accumulator: {} ms of linger.ms {} waited, {}",
                waited,
                p.config.linger_ms,
                if b.is_full() { "full" } else { "room left" }
            ),
            "어큐뮬레이터에서 채워지는 중",
        );
    }
    if queued {
        return (
            format!(
                "back in the accumulator after {} failed attempt(s), waiting out retry.backoff.ms",
                b.attempts
            ),
            "재시도 대기 중 (retry.backoff.ms)",
        );
    }
    if find_batch(p, b.id).is_some() {
        return (
            "in flight: written to a ProduceRequest, waiting for the broker's answer".into(),
            "요청 전송됨 · 응답 대기",
        );
    }
    let first = b.records.first().map(|r| &p.sends[r.index as usize]);
    match first {
        Some(s) if s.outcome == Outcome::Acked && s.offset >= 0 => (
            format!(
                "acknowledged: offsets {}–{}",
                s.offset,
                s.offset + b.records.len() as i64 - 1
            ),
            "브로커가 기록하고 응답함",
        ),
        Some(s) if s.outcome == Outcome::Acked => (
            "completed without a response (acks=0, offset −1)".into(),
            "acks=0: 응답 없이 완료",
        ),
        Some(s) => (
            format!(
                "failed: {}",
                s.error.as_ref().map_or("?".to_string(), |e| e.to_string())
            ),
            "실패",
        ),
        None => (String::new(), ""),
    }
}

fn hex_view(bytes: &[u8]) -> Html {
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
                <p class="small">{ format!("… {} more bytes", bytes.len() - HEX_LIMIT) }</p>
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
) -> Html {
    let (state_en, state_ko) = state(p, batch, sim.now());
    let topic = &sim.cluster().topics[batch.tp.topic as usize].name;
    let ratio = batch.encoded.as_ref().map(|e| e.compression_ratio());
    let field = |name: &'static str, value: String| {
        html! { <><dt class="mono">{ name }</dt><dd>{ value }</dd></> }
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
        html! {
            <tr>
                <td>{ format!("#{}", r.index) }</td>
                <td class="mono">{ text(s.data.key_text()) }</td>
                <td class="mono">{ text(s.data.value_text()) }</td>
                <td>{ format!("{} B", r.size) }</td>
                <td>{ match s.outcome {
                    Outcome::Acked if s.offset >= 0 => format!("@{}", s.offset),
                    Outcome::Acked => "acked".to_string(),
                    Outcome::Failed => "failed".to_string(),
                    Outcome::Pending => "…".to_string(),
                } }</td>
            </tr>
        }
    });
    html! {
        <section class="inspector" id="inspector" aria-label="batch inspector">
            <header>
                <h3>{ format!("Batch {} · {topic}-{}", batch.id, batch.tp.partition) }</h3>
                <button class="close" onclick={on_close} aria-label="close the inspector">{ "×" }</button>
            </header>
            <p class="state" id="batch-state">{ state_en }<br/><span class="ko" lang="ko">{ state_ko }</span></p>
            <dl class="fields">
                { field("records", batch.records.len().to_string()) }
                { field(if batch.encoded.is_some() { "size (written)" } else { "size (estimated)" },
                    format!("{} B of batch.size {} (buffer {} B)", batch.size_in_bytes, p.config.batch_size, batch.buffer_size)) }
                { field("uncompressed records", format!("{} B + 61 B header", batch.records_size)) }
                { field("compression.type", batch.compression.name().to_string()) }
                { field("compression ratio", match (ratio, batch.compression) {
                    (Some(r), _) => format!("{r:.3} (written ÷ uncompressed records)"),
                    (None, CompressionType::None) => "1.000".to_string(),
                    (None, _) => "known once written at drain".to_string(),
                }) }
                { field("created", format!("{} ms", batch.created_ms)) }
                { field("attempts", batch.attempts.to_string()) }
                { field("producerId / epoch / baseSequence", format!("{} / {} / {}", batch.producer_id, batch.producer_epoch, batch.base_sequence)) }
            </dl>
            <table class="records">
                <thead><tr><th>{ "send" }</th><th>{ "key" }</th><th>{ "value" }</th><th>{ "size" }</th><th>{ "offset" }</th></tr></thead>
                <tbody>{ for records }</tbody>
            </table>
            if batch.records.len() > 50 {
                <p class="small">{ format!("… and {} more records", batch.records.len() - 50) }</p>
            }
            <h4>{ "Bytes (record batch v2)" }</h4>
            { match &batch.encoded {
                Some(e) => hex_view(&e.bytes),
                None => html! { <p class="small" id="batch-hex-pending">
                    { "Not written yet: the batch is encoded (and compressed) when the sender drains it; until then its size is Kafka's estimate." }
                    <br/><span class="ko" lang="ko">{ "배치는 sender가 drain할 때 v2 형식으로 인코딩·압축됨. 그 전에는 추정 크기." }</span>
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
) -> Html {
    let Some(r) = sim
        .brokers()
        .get(broker as usize)
        .and_then(|b| b.partitions.get(&tp))
    else {
        return html! {};
    };
    let now = sim.now();
    let leo = r.log.log_end_offset();
    let name = format!(
        "{}-{}",
        sim.cluster().topics[tp.topic as usize].name,
        tp.partition
    );
    let body = if r.is_leader() {
        let mut holds = vec![format!("leader {leo}")];
        let rows = r.followers.iter().map(|(&id, f)| {
            let in_isr = r.isr.contains(&id);
            let caught_up = r.caught_up(f, now, REPLICA_LAG_TIME_MAX_MS);
            let counts = r.in_maximal_isr(id) || caught_up;
            html! {
                <tr>
                    <td>{ format!("broker {id}") }</td>
                    <td>{ leo_text(f.log_end_offset) }</td>
                    <td>{ f.last_caught_up_ms.map_or("never".to_string(), |t| format!("{} ms ago", now.saturating_sub(t))) }</td>
                    <td>{ if in_isr { "yes" } else { "no" } }</td>
                    <td>{ if counts { "yes" } else { "no" } }</td>
                </tr>
            }
        });
        for (id, f) in &r.followers {
            let caught_up = r.caught_up(f, now, REPLICA_LAG_TIME_MAX_MS);
            if r.in_maximal_isr(*id) || caught_up {
                holds.push(format!("broker {id} {}", leo_text(f.log_end_offset)));
            }
        }
        html! {
            <>
                <dl class="fields">
                    <dt class="mono">{ "ISR" }</dt><dd>{ format!("{:?} of replicas {:?}", r.isr, r.replicas) }
                        { for r.pending_isr.as_ref().map(|p| format!(" — AlterPartition to {p:?} awaits the controller")) }</dd>
                    <dt class="mono">{ "min.insync.replicas" }</dt>
                    <dd>{ format!("{} (effective {}): acks=all is {}", r.min_insync_replicas, r.effective_min_isr(sim.version()),
                        if r.not_enough_replicas(sim.version()) { "refused — NotEnoughReplicas" } else { "accepted" }) }</dd>
                    <dt class="mono">{ "high watermark" }</dt>
                    <dd id="hw-why">{ format!("{} — the smallest LEO of {} (never goes back)", r.high_watermark(), holds.join(", ")) }</dd>
                </dl>
                <table class="records" id="followers">
                    <thead><tr><th>{ "follower" }</th><th>{ "LEO" }</th><th>{ "caught up" }</th><th>{ "in ISR" }</th><th>{ "holds HW" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                <p class="small">{ format!("A follower leaves the ISR when it is behind and has not caught up for more than replica.lag.time.max.ms ({REPLICA_LAG_TIME_MAX_MS} ms); it rejoins once a fetch reaches the high watermark.") }
                    <br/><span class="ko" lang="ko">{ "팔로워가 replica.lag.time.max.ms 동안 따라잡지 못하면 ISR에서 빠지고, fetch가 HW에 도달하면 다시 들어옴." }</span></p>
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
                <dt class="mono">{ "leader" }</dt><dd>{ r.leader.map_or("none".to_string(), |l| format!("broker {l} (LEO {leader_leo})")) }</dd>
                <dt class="mono">{ "behind" }</dt><dd>{ format!("{} records", leader_leo.saturating_sub(leo)) }</dd>
                <dt class="mono">{ "high watermark" }</dt><dd>{ format!("{} — taken from the leader's fetch response, capped at its own LEO", r.high_watermark()) }</dd>
            </dl>
        }
    };
    html! {
        <section class="inspector" id="replica-inspector" aria-label="replica inspector">
            <header>
                <h3>{ format!("{name} on broker {broker} · {}", if r.is_leader() { "leader" } else { "follower" }) }</h3>
                <button class="close" onclick={on_close} aria-label="close the inspector">{ "×" }</button>
            </header>
            <p class="state">{ format!("LEO {leo} · high watermark {} · leader epoch {}", r.high_watermark(), r.leader_epoch) }</p>
            { body }
            { producer_state(r) }
        </section>
    }
}

/// A follower's position as the leader knows it: unknown until its first fetch in this
/// leader epoch.
fn leo_text(leo: Option<u64>) -> String {
    leo.map_or("unknown (no fetch yet)".to_string(), |o| o.to_string())
}

/// A broker as the process and the controller see it, with `actions` (the fault buttons)
/// to crash, restart, slow or cut it off.
pub fn broker_inspector(
    sim: &Simulation,
    broker: u32,
    actions: Html,
    on_close: Callback<MouseEvent>,
) -> Html {
    let Some(b) = sim.brokers().get(broker as usize) else {
        return html! {};
    };
    let (crashed, isolated) = sim.broker_down(broker);
    let fenced = sim.controller().is_fenced(broker);
    let (process, process_ko) = match (crashed, isolated) {
        (true, _) => (
            "down: its log waits on disk",
            "다운: 로그는 디스크에 남아 있음",
        ),
        (false, true) => (
            "running, cut off from the network",
            "실행 중이지만 네트워크 격리",
        ),
        _ if !b.online => (
            "restarted, not yet serving: registering and replaying metadata",
            "재시작: 등록·메타데이터 재생 중",
        ),
        _ => ("running", "정상 동작"),
    };
    let controller = match (fenced, sim.controller().fence_at(broker)) {
        (true, _) => "fenced: out of every ISR, leads nothing".to_string(),
        (false, Some(t)) => format!(
            "no heartbeats; fenced at {:.3} s unless heard from",
            t as f64 / 1000.0
        ),
        (false, None) => "registered, heartbeating".to_string(),
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
            p.leader
                .filter(|&l| l != broker)
                .map(|l| format!("{} ← broker {l}", sim.cluster().display(p.tp)))
        })
        .collect();
    let (timeout, every) = sim.controller().session();
    let (timeout_s, every_s) = (timeout / 1000, every / 1000);
    let how = if sim.version().at_least(3, 3) {
        "KRaft broker heartbeats"
    } else {
        "ZooKeeper session pings"
    };
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    html! {
        <section class="inspector" id="broker-inspector" aria-label="broker inspector">
            <header>
                <h3>{ format!("Broker {broker}") }</h3>
                <button class="close" onclick={on_close} aria-label="close the inspector">{ "×" }</button>
            </header>
            <p class="state">{ process }<br/><span class="ko" lang="ko">{ process_ko }</span></p>
            <dl class="fields">
                <dt class="mono">{ "controller" }</dt><dd id="broker-controller">{ controller }</dd>
                <dt class="mono">{ "leads" }</dt><dd>{ list(&led) }</dd>
                <dt class="mono">{ "follows" }</dt><dd>{ list(&followed) }</dd>
                <dt class="mono">{ "IsrShrinks / Expands" }</dt><dd>{ format!("{} / {}", b.isr_shrinks, b.isr_expands) }</dd>
                <dt class="mono">{ "Failed / Total produce" }</dt><dd>{ format!("{} / {}", b.failed_produce_requests, b.total_produce_requests) }</dd>
            </dl>
            <div class="fault-row">{ actions }</div>
            <p class="small">{ format!("A crashed broker's connections close at once; the controller fences it {timeout_s} s after it last heard from it ({how}, every {every_s} s) and elects the first in-sync replica. A cut-off broker keeps running and believes it leads until it hears otherwise.") }
                <br/><span class="ko" lang="ko">{ format!("다운된 브로커는 연결이 바로 끊기고, 마지막 연락({every_s}초마다) {timeout_s}초 뒤 펜싱되어 ISR의 첫 복제본이 리더가 됨. 격리된 브로커는 계속 돌며 자신이 리더라고 믿음.") }</span></p>
        </section>
    }
}

/// The replica's `ProducerStateManager`: per producer id, its epoch and the last five
/// batches it wrote here — what a retried duplicate is recognised by.
fn producer_state(r: &kafka_lab::broker::partition::Partition) -> Html {
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
                .map_or("—".to_string(), |o| format!("open since @{o}"));
            html! { <tr><td>{ pid }</td><td>{ e.epoch }</td><td class="mono">{ batches }</td><td class="mono">{ txn }</td></tr> }
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
            <p class="small" id="producer-state">{ "No idempotent producer has written here (producer id −1 batches carry no sequences)." }</p>
        };
    }
    html! {
        <>
            <table class="records" id="producer-state">
                <thead><tr><th>{ "producer id" }</th><th>{ "epoch" }</th><th>{ "last batches (sequences @ first offset)" }</th><th>{ "transaction" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <p class="small mono" id="lso">{ format!("LSO {} · HW {} · aborted transactions: {}", r.last_stable_offset(), r.high_watermark(),
                if aborted.is_empty() { "none".to_string() } else { aborted.join(", ") }) }</p>
            <p class="small">{ "The leader keeps each producer's last five batches: a retry with the same sequences is answered with its original offset and not written again; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is INVALID_PRODUCER_EPOCH. Followers keep the same table from what they copy, so a new leader can tell too." }
                <br/><span class="ko" lang="ko">{ "리더는 프로듀서별 최근 5개 배치를 기억: 같은 시퀀스의 재시도는 원래 오프셋으로 응답하고 다시 쓰지 않음. 팔로워도 복제하며 같은 표를 유지해 새 리더도 중복을 알아봄." }</span></p>
        </>
    }
}
