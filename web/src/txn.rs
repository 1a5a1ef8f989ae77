//! Below the stage: the transactional producer's panel (the application's calls, and the
//! client's and the coordinator's state machines advancing) and the two consumers side
//! by side, read_committed and read_uncommitted, with the offset gaps markers leave.

use crate::decimal::Fixed;
use crate::i18n::Lang;
use crate::inspector::Inspect;
use crate::layout::partition_color;
use crate::lifecycle::opener;
use crate::workload::{TxnKind, Workload, PRODUCER, TRANSACTIONAL_ID, ZOMBIE};
use kafka_lab::config::IsolationLevel;
use kafka_lab::consumer::KafkaConsumer;
use kafka_lab::coordinator::{TransactionState, TransactionVersion};
use kafka_lab::metadata::TopicPartition;
use kafka_lab::producer::transaction_manager::TxnState;
use kafka_lab::producer::KafkaProducer;
use kafka_lab::scenario::Scenario;
use kafka_lab::vec_map::{VecMap, VecSet};
use kafka_lab::Simulation;
use yew::prelude::*;

const CLIENT_STATES: [TxnState; 8] = [
    TxnState::Uninitialized,
    TxnState::Initializing,
    TxnState::Ready,
    TxnState::InTransaction,
    TxnState::CommittingTransaction,
    TxnState::AbortingTransaction,
    TxnState::AbortableError,
    TxnState::FatalError,
];

const COORDINATOR_STATES: [TransactionState; 7] = [
    TransactionState::Empty,
    TransactionState::Ongoing,
    TransactionState::PrepareCommit,
    TransactionState::PrepareAbort,
    TransactionState::CompleteCommit,
    TransactionState::CompleteAbort,
    TransactionState::PrepareEpochFence,
];

/// One state machine as a row of states, the current one lit.
fn machine<S: Copy + PartialEq>(
    id: &str,
    label: &str,
    states: &[S],
    current: Option<S>,
    name: impl Fn(S) -> &'static str,
    bad: impl Fn(S) -> bool,
) -> Html {
    html! {
        <ol class="machine" id={id.to_string()} aria-label={label.to_string()} translate="no">
            { for states.iter().map(|&s| {
                let lit = current == Some(s);
                let class = classes!("state", lit.then_some("lit"), (lit && bad(s)).then_some("bad"));
                html! { <li class={class} aria-current={if lit { "step" } else { "false" }}>{ name(s) }</li> }
            }) }
        </ol>
    }
}

fn client_row(sim: &Simulation, p: &KafkaProducer, lang: Lang) -> Html {
    let Some(tm) = &p.tm else { return html! {} };
    let Some(t) = &tm.txn else { return html! {} };
    let parts = |set: &VecSet<TopicPartition>| {
        set.iter()
            .map(|tp| sim.cluster().display(*tp))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let waiting = match (t.in_flight, lang) {
        (Some((call, broker, _)), Lang::En) => {
            format!("waiting on {} at broker {broker}", call.request())
        }
        (Some((call, broker, _)), Lang::Ko) => {
            format!("브로커 {broker}의 {} 응답 대기", call.request())
        }
        (None, _) if !t.blocked.is_empty() => lang
            .pick(
                "the application is blocked in its call",
                "애플리케이션이 호출 안에서 막혀 있음",
            )
            .into(),
        (None, _) => String::new(),
    };
    let machine_label = match lang {
        Lang::En => format!("{}: transaction manager states", p.name),
        Lang::Ko => format!("{}: 트랜잭션 매니저 상태", p.name),
    };
    html! {
        <div class="txn-client" data-producer={p.name.clone()} data-state={t.state.name()}>
            <div class="txn-head">
                <strong translate="no">{ format!("{} · TransactionManager", p.name) }</strong>
                <span class="small">{ format!("PID {} · {} {}", tm.producer_id, lang.pick("epoch", "에포크"), tm.producer_epoch) }</span>
                <span class="small muted">{ waiting }</span>
            </div>
            { machine(&format!("client-{}", p.name), &machine_label, &CLIENT_STATES, Some(t.state), TxnState::name,
                |s| matches!(s, TxnState::AbortableError | TxnState::FatalError)) }
            <div class="small">
                { format!("{}: [{}]", lang.pick("in transaction", "트랜잭션에 포함"), parts(&t.partitions_in_transaction)) }
                if !t.new_partitions.is_empty() {
                    { format!(" · {}: [{}]", lang.pick("to add", "추가할 파티션"), parts(&t.new_partitions)) }
                }
                if let Some(e) = &t.last_error {
                    <span class="warn mono">{ format!(" · {}", e.exception_name()) }</span>
                }
            </div>
        </div>
    }
}

fn coordinator_row(sim: &Simulation, lang: Lang) -> Html {
    let c = sim.coordinator();
    let broker = c.coordinator_for(TRANSACTIONAL_ID);
    let m = c.transactions.get(TRANSACTIONAL_ID);
    let partition = kafka_lab::coordinator::partition_for(TRANSACTIONAL_ID);
    html! {
        <div class="txn-coordinator" data-state={m.map_or("none", |m| m.state.name())}>
            <div class="txn-head">
                <strong translate="no">{ "TransactionCoordinator" }</strong>
                <span class="small">{ format!("{TRANSACTIONAL_ID} → __transaction_state-{partition} → {} {}",
                    lang.pick("broker", "브로커"),
                    broker.map_or(lang.pick("none", "없음").into(), |b| b.to_string())) }</span>
                if let Some(m) = m {
                    <span class="small">{ format!("PID {} · {} {}", m.producer_id, lang.pick("epoch", "에포크"), m.producer_epoch) }</span>
                }
            </div>
            { machine("coordinator-states", lang.pick("transaction coordinator states", "트랜잭션 코디네이터 상태"),
                &COORDINATOR_STATES, m.map(|m| m.state), TransactionState::name,
                |s| s == TransactionState::PrepareEpochFence) }
            if let Some(m) = m {
                <div class="small">
                    { format!("{}: [{}]", lang.pick("partitions", "파티션"), m.partitions.iter().map(|tp| sim.cluster().display(*tp)).collect::<Vec<_>>().join(", ")) }
                    if !m.markers_pending.is_empty() {
                        { format!(" · {}: [{}]", lang.pick("markers to write", "써야 할 마커"), m.markers_pending.iter().map(|tp| sim.cluster().display(*tp)).collect::<Vec<_>>().join(", ")) }
                    }
                </div>
            }
        </div>
    }
}

/// What the group coordinator has committed through transactions, and what waits.
fn group_offsets(sim: &Simulation, lang: Lang) -> Html {
    let g = sim.groups();
    let committed: Vec<String> = g
        .committed
        .iter()
        .map(|((group, tp), o)| format!("{group} {} → {o}", sim.cluster().display(*tp)))
        .collect();
    let pending: usize = g.pending.values().map(Vec::len).sum();
    if committed.is_empty() && pending == 0 {
        return html! {};
    }
    html! {
        <div class="small" id="group-offsets">
            { format!("{}: {}", lang.pick("group offsets committed", "커밋된 그룹 오프셋"),
                if committed.is_empty() { lang.pick("none", "없음").into() } else { committed.join(", ") }) }
            if pending > 0 {
                { match lang {
                    Lang::En => format!(" · {pending} waiting for the transaction's end"),
                    Lang::Ko => format!(" · {pending}개가 트랜잭션 종료를 기다림"),
                } }
            }
        </div>
    }
}

/// The transactional producer's panel, when the workload is transactional.
pub fn transactions_panel(
    sim: &Simulation,
    workload: &Workload,
    on: &Callback<TxnKind>,
    lang: Lang,
) -> Html {
    if let Some(file) = &workload.file {
        return file_transactions(sim, &file.scenario, lang);
    }
    let Some(steps) = &workload.transactions else {
        return html! {};
    };
    let producer = |name: &str| sim.producers().iter().find(|p| p.name == name);
    let button = |kind: TxnKind, id: &str, text: &str, title: &str| {
        html! {
            <button id={id.to_string()} title={title.to_string()} onclick={on.reform(move |_| kind)}>{ text }</button>
        }
    };
    // How a partition joins the transaction depends on the protocol of the version.
    let send_title = if TransactionVersion::of(sim.version()).supports_epoch_bump() {
        lang.pick(
            "three send() calls: under transactions V2 (4.0) the partition's leader adds each new partition to the transaction while verifying the first write",
            "send() 세 번: 트랜잭션 V2(4.0)에서는 파티션 리더가 첫 쓰기를 확인하면서 새 파티션을 트랜잭션에 추가함",
        )
    } else {
        lang.pick(
            "three send() calls: the producer adds each new partition to the transaction (AddPartitionsToTxn) before its records go",
            "send() 세 번: 레코드를 보내기 전에 프로듀서가 새 파티션을 트랜잭션에 추가함 (AddPartitionsToTxn)",
        )
    };
    // The latest calls and what they threw (step i is scenario action i + 1).
    let results = steps
        .iter()
        .enumerate()
        .rev()
        .filter_map(|(i, s)| {
            let call = sim.call_result(i as u32 + 1);
            let returned = lang.pick("returned", "반환");
            let (text, threw) = match call {
                None if s.kind == TxnKind::Send => {
                    (s.at_ms as f64 <= sim.now() as f64).then(|| (returned.to_string(), false))?
                }
                None => return None,
                Some(None) => (lang.pick("blocked…", "막힘…").to_string(), false),
                Some(Some(None)) => (returned.to_string(), false),
                Some(Some(Some(e))) => match lang {
                    Lang::En => (format!("threw {}", e.exception_name()), true),
                    Lang::Ko => (format!("{} 발생", e.exception_name()), true),
                },
            };
            Some((s, text, threw))
        })
        .take(5);
    html! {
        <section class="txn-panel" id="txn-panel" aria-label={lang.pick("transactions", "트랜잭션")}>
            <h3>{ lang.pick("Transactions", "트랜잭션") }<span class="mono">{ format!(" · transactional.id = {TRANSACTIONAL_ID}") }</span></h3>
            <div class="txn-buttons" role="toolbar" aria-label={lang.pick("transactional calls", "트랜잭션 호출")}>
                { button(TxnKind::Begin, "txn-begin", lang.pick("Begin", "시작"), lang.pick("producer.beginTransaction(): local only, no request", "producer.beginTransaction(): 클라이언트 안에서만 바뀌고 요청은 없음")) }
                { button(TxnKind::Send, "txn-send", lang.pick("Send ×3", "3건 전송"), send_title) }
                { button(TxnKind::Commit, "txn-commit", lang.pick("Commit", "커밋"), lang.pick("producer.commitTransaction(): flush, then EndTxn(COMMIT); the coordinator writes a COMMIT marker to every partition",
                    "producer.commitTransaction(): flush 후 EndTxn(COMMIT). 코디네이터가 모든 파티션에 COMMIT 마커를 씀")) }
                { button(TxnKind::SendOffsets, "txn-offsets", lang.pick("Send offsets", "오프셋 전송"), lang.pick("producer.sendOffsetsToTransaction(): the read_committed consumer's positions become group orders-processor's committed offsets only if this transaction commits (read-process-write)",
                    "producer.sendOffsetsToTransaction(): 이 트랜잭션이 커밋될 때만 read_committed 컨슈머의 위치가 orders-processor 그룹의 커밋된 오프셋이 됨 (read-process-write)")) }
                { button(TxnKind::Abort, "txn-abort", lang.pick("Abort", "중단"), lang.pick("producer.abortTransaction(): unsent records fail, EndTxn(ABORT), ABORT markers",
                    "producer.abortTransaction(): 보내지 않은 레코드는 실패, EndTxn(ABORT), ABORT 마커")) }
                { button(TxnKind::Zombie, "txn-zombie", lang.pick("Zombie: start a 2nd instance", "좀비: 두 번째 인스턴스 시작"), lang.pick("a second producer with the same transactional.id calls initTransactions(): the coordinator bumps the epoch and aborts the first one's open transaction — the first is fenced",
                    "같은 transactional.id의 두 번째 프로듀서가 initTransactions() 호출: 코디네이터가 에포크를 올리고 첫 인스턴스의 열린 트랜잭션을 중단함 — 첫 인스턴스는 펜싱됨")) }
            </div>
            <ol class="txn-results small" id="txn-results">
                { for results.map(|(s, text, threw)| html! {
                    <li class={if threw { "warn" } else { "" }}>
                        { format!("{} s · {} → {}", Fixed(s.at_ms as f64 / 1000.0, 3), s.kind.label(lang), text) }
                    </li>
                }) }
            </ol>
            { for producer(PRODUCER).map(|p| client_row(sim, p, lang)) }
            { for producer(ZOMBIE).map(|p| client_row(sim, p, lang)) }
            { coordinator_row(sim, lang) }
            { group_offsets(sim, lang) }
            <p class="hint small">{ lang.pick("Markers (C = commit, A = abort) take an offset each. The LSO stops at the first open transaction: read_committed reads only below it and drops aborted records; read_uncommitted reads up to the HW.",
                "마커(C 커밋, A 중단)도 오프셋을 하나씩 차지함. LSO는 열린 트랜잭션의 첫 오프셋에서 멈춤: read_committed는 그 아래만 읽고 중단된 레코드는 버림, read_uncommitted는 HW까지 읽음.") }</p>
        </section>
    }
}

/// A scenario file's transactions: its transactional producers and their calls as the
/// file makes them (the buttons are the panel workload's; a file has its own script).
fn file_transactions(sim: &Simulation, scenario: &Scenario, lang: Lang) -> Html {
    let transactional: Vec<&KafkaProducer> = sim
        .producers()
        .iter()
        .filter(|p| p.tm.as_ref().is_some_and(|tm| tm.txn.is_some()))
        .collect();
    if transactional.is_empty() {
        return html! {};
    }
    let calls = scenario
        .actions
        .iter()
        .enumerate()
        .rev()
        .filter_map(|(i, a)| {
            let text = match sim.call_result(i as u32)? {
                None => lang.pick("blocked…", "막힘…").to_string(),
                Some(None) => lang.pick("returned", "반환").to_string(),
                Some(Some(e)) => match lang {
                    Lang::En => format!("threw {}", e.exception_name()),
                    Lang::Ko => format!("{} 발생", e.exception_name()),
                },
            };
            let who = a.producer().unwrap_or_default();
            Some(format!(
                "{} s · {who}: {} → {text}",
                Fixed(a.at_ms() as f64 / 1000.0, 3),
                a.name()
            ))
        })
        .take(5);
    html! {
        <section class="txn-panel" id="txn-panel" aria-label={lang.pick("transactions", "트랜잭션")}>
            <h3>{ lang.pick("Transactions", "트랜잭션") }<span class="small muted">{ lang.pick(" · the calls of the scenario file", " · 시나리오 파일의 호출") }</span></h3>
            <ol class="txn-results small" id="txn-results">
                { for calls.map(|text| html! { <li>{ text }</li> }) }
            </ol>
            { for transactional.into_iter().map(|p| client_row(sim, p, lang)) }
            { coordinator_row(sim, lang) }
            { group_offsets(sim, lang) }
        </section>
    }
}

/// The last offsets of each partition as one consumer saw them: what it received, and
/// the gaps (markers, aborted records) it skipped.
fn consumer_column(
    sim: &Simulation,
    c: &KafkaConsumer,
    on_inspect: &Callback<Inspect>,
    lang: Lang,
) -> Html {
    let level = match c.config.isolation_level {
        IsolationLevel::ReadCommitted => "read_committed",
        IsolationLevel::ReadUncommitted => "read_uncommitted",
    };
    let rows = c.positions.iter().map(|(tp, &position)| {
        // Offset → the send() it came from.
        let got: VecMap<u64, (u16, u32)> = c
            .records
            .iter()
            .rev()
            .filter(|r| r.tp == *tp)
            .take(24)
            .map(|r| (r.offset, r.origin))
            .collect();
        let from = position.saturating_sub(14);
        let (hw, lso) = sim
            .committed_replica(*tp)
            .map_or((0, 0), |p| (p.high_watermark(), p.last_stable_offset()));
        html! {
            <div class="consumer-row" data-partition={tp.partition.to_string()} data-position={position.to_string()}>
                <span class="mono small name">{ sim.cluster().display(*tp) }</span>
                <span class="cells">
                    { for (from..position).map(|o| if let Some(&(producer, index)) = got.get(&o) {
                        let (onclick, onkeydown) = opener(on_inspect, Inspect::Record { producer, index });
                        let label = match lang {
                            Lang::En => format!("offset {o}: returned by poll() — record #{index}'s lifecycle"),
                            Lang::Ko => format!("오프셋 {o}: poll()이 돌려줌 — 레코드 #{index}의 생애 주기"),
                        };
                        // Keyed by place and kind: as the window slides a cell is patched
                        // (not rebuilt), and never from a gap, whose attributes differ —
                        // so it ends as a fresh render would build it.
                        html! { <span key={format!("c{}", o - from)} class="ccell" style={format!("background:{}", partition_color(tp.partition))}
                            title={label.clone()} aria-label={label} tabindex="0" role="button" data-offset={o.to_string()}
                            {onclick} {onkeydown}>{ o % 100 }</span> }
                    } else {
                        html! { <span key={format!("g{}", o - from)} class="ccell gap" title={match lang {
                            Lang::En => format!("offset {o}: not returned — a marker, or (read_committed) a record of an aborted transaction"),
                            Lang::Ko => format!("오프셋 {o}: 돌려주지 않음 — 마커이거나 (read_committed에서) 중단된 트랜잭션의 레코드"),
                        }}>{ "·" }</span> }
                    }) }
                </span>
                <span class="tiny muted">{ match lang {
                    Lang::En => format!("next {position} · HW {hw} · LSO {lso}"),
                    Lang::Ko => format!("다음 {position} · HW {hw} · LSO {lso}"),
                } }</span>
            </div>
        }
    });
    html! {
        <div class="consumer" data-consumer={c.name.clone()} data-records={c.records.len().to_string()}>
            <div class="txn-head">
                <strong>{ lang.pick("Consumer", "컨슈머") }<span class="mono">{ format!(" · isolation.level={level}") }</span></strong>
                <span class="small">{ match lang {
                    Lang::En => format!("{} records", c.records.len()),
                    Lang::Ko => format!("레코드 {}개", c.records.len()),
                } }</span>
            </div>
            { for rows }
        </div>
    }
}

/// The two consumers side by side.
pub fn consumers_panel(sim: &Simulation, on_inspect: &Callback<Inspect>, lang: Lang) -> Html {
    html! {
        <section class="consumers" id="consumers" aria-label={lang.pick("consumers", "컨슈머")}>
            { for sim.consumers().iter().map(|c| consumer_column(sim, c, on_inspect, lang)) }
        </section>
    }
}
