//! Below the stage: the transactional producer's panel (the application's calls, and the
//! client's and the coordinator's state machines advancing) and the two consumers side
//! by side, read_committed and read_uncommitted, with the offset gaps markers leave.

use crate::layout::partition_color;
use crate::workload::{TxnKind, Workload, PRODUCER, TRANSACTIONAL_ID, ZOMBIE};
use kafka_lab::config::IsolationLevel;
use kafka_lab::consumer::KafkaConsumer;
use kafka_lab::coordinator::{TransactionState, TransactionVersion};
use kafka_lab::metadata::TopicPartition;
use kafka_lab::producer::transaction_manager::TxnState;
use kafka_lab::producer::KafkaProducer;
use kafka_lab::Simulation;
use std::collections::BTreeSet;
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
    states: &[S],
    current: Option<S>,
    name: impl Fn(S) -> &'static str,
    bad: impl Fn(S) -> bool,
) -> Html {
    html! {
        <ol class="machine" id={id.to_string()} aria-label={id.to_string()}>
            { for states.iter().map(|&s| {
                let lit = current == Some(s);
                let class = classes!("state", lit.then_some("lit"), (lit && bad(s)).then_some("bad"));
                html! { <li class={class} aria-current={if lit { "step" } else { "false" }}>{ name(s) }</li> }
            }) }
        </ol>
    }
}

fn client_row(sim: &Simulation, p: &KafkaProducer) -> Html {
    let Some(tm) = &p.tm else { return html! {} };
    let Some(t) = &tm.txn else { return html! {} };
    let parts = |set: &BTreeSet<TopicPartition>| {
        set.iter()
            .map(|tp| sim.cluster().display(*tp))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let waiting = match t.in_flight {
        Some((call, broker, _)) => format!("waiting on {call:?} at broker {broker}"),
        None if !t.blocked.is_empty() => "the application is blocked in its call".into(),
        None => String::new(),
    };
    html! {
        <div class="txn-client" data-producer={p.name.clone()} data-state={t.state.name()}>
            <div class="txn-head">
                <strong>{ format!("{} · TransactionManager", p.name) }</strong>
                <span class="mono small">{ format!("PID {} · epoch {}", tm.producer_id, tm.producer_epoch) }</span>
                <span class="small muted">{ waiting }</span>
            </div>
            { machine(&format!("client-{}", p.name), &CLIENT_STATES, Some(t.state), TxnState::name,
                |s| matches!(s, TxnState::AbortableError | TxnState::FatalError)) }
            <div class="small mono">
                { format!("in transaction: [{}]", parts(&t.partitions_in_transaction)) }
                if !t.new_partitions.is_empty() {
                    { format!(" · to add: [{}]", parts(&t.new_partitions)) }
                }
                if let Some(e) = &t.last_error {
                    <span class="warn">{ format!(" · {}", e.exception_name()) }</span>
                }
            </div>
        </div>
    }
}

fn coordinator_row(sim: &Simulation) -> Html {
    let c = sim.coordinator();
    let broker = c.coordinator_for(TRANSACTIONAL_ID);
    let m = c.transactions.get(TRANSACTIONAL_ID);
    let partition = kafka_lab::coordinator::partition_for(TRANSACTIONAL_ID);
    html! {
        <div class="txn-coordinator" data-state={m.map_or("none", |m| m.state.name())}>
            <div class="txn-head">
                <strong>{ "TransactionCoordinator" }</strong>
                <span class="mono small">{ format!("{TRANSACTIONAL_ID} → __transaction_state-{partition} → broker {}",
                    broker.map_or("none".into(), |b| b.to_string())) }</span>
                if let Some(m) = m {
                    <span class="mono small">{ format!("PID {} · epoch {}", m.producer_id, m.producer_epoch) }</span>
                }
            </div>
            { machine("coordinator-states", &COORDINATOR_STATES, m.map(|m| m.state), TransactionState::name,
                |s| s == TransactionState::PrepareEpochFence) }
            if let Some(m) = m {
                <div class="small mono">
                    { format!("partitions: [{}]", m.partitions.iter().map(|tp| sim.cluster().display(*tp)).collect::<Vec<_>>().join(", ")) }
                    if !m.markers_pending.is_empty() {
                        { format!(" · markers to write: [{}]", m.markers_pending.iter().map(|tp| sim.cluster().display(*tp)).collect::<Vec<_>>().join(", ")) }
                    }
                </div>
            }
        </div>
    }
}

/// What the group coordinator has committed through transactions, and what waits.
fn group_offsets(sim: &Simulation) -> Html {
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
        <div class="small mono" id="group-offsets">
            { format!("group offsets committed: {}", if committed.is_empty() { "none".into() } else { committed.join(", ") }) }
            if pending > 0 {
                { format!(" · {pending} waiting for the transaction's end") }
            }
        </div>
    }
}

/// The transactional producer's panel, when the workload is transactional.
pub fn transactions_panel(sim: &Simulation, workload: &Workload, on: &Callback<TxnKind>) -> Html {
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
        "three send() calls: under transactions V2 (4.0) the partition's leader adds each new partition to the transaction while verifying the first write"
    } else {
        "three send() calls: the producer adds each new partition to the transaction (AddPartitionsToTxn) before its records go"
    };
    // The latest calls and what they threw (step i is scenario action i + 1).
    let results = steps
        .iter()
        .enumerate()
        .rev()
        .filter_map(|(i, s)| {
            let call = sim.call_result(i as u32 + 1);
            let text = match call {
                None if s.kind == TxnKind::Send => {
                    (s.at_ms as f64 <= sim.now() as f64).then(|| "returned".to_string())?
                }
                None => return None,
                Some(None) => "blocked…".to_string(),
                Some(Some(None)) => "returned".to_string(),
                Some(Some(Some(e))) => format!("threw {}", e.exception_name()),
            };
            Some((s, text))
        })
        .take(5);
    html! {
        <section class="txn-panel" id="txn-panel" aria-label="transactions">
            <h3>{ "Transactions" }<span class="ko" lang="ko">{ " · 트랜잭션 (transactional.id = " }{ TRANSACTIONAL_ID }{ ")" }</span></h3>
            <div class="txn-buttons" role="toolbar" aria-label="transactional calls">
                { button(TxnKind::Begin, "txn-begin", "Begin", "producer.beginTransaction(): local only, no request") }
                { button(TxnKind::Send, "txn-send", "Send ×3", send_title) }
                { button(TxnKind::Commit, "txn-commit", "Commit", "producer.commitTransaction(): flush, then EndTxn(COMMIT); the coordinator writes a COMMIT marker to every partition") }
                { button(TxnKind::SendOffsets, "txn-offsets", "Send offsets", "producer.sendOffsetsToTransaction(): the read_committed consumer's positions become group orders-processor's committed offsets only if this transaction commits (read-process-write)") }
                { button(TxnKind::Abort, "txn-abort", "Abort", "producer.abortTransaction(): unsent records fail, EndTxn(ABORT), ABORT markers") }
                { button(TxnKind::Zombie, "txn-zombie", "Zombie: start a 2nd instance", "a second producer with the same transactional.id calls initTransactions(): the coordinator bumps the epoch and aborts the first one's open transaction — the first is fenced") }
            </div>
            <ol class="txn-results small mono" id="txn-results">
                { for results.map(|(s, text)| html! {
                    <li class={if text.starts_with("threw") { "warn" } else { "" }}>
                        { format!("{:.3} s · {} → {}", s.at_ms as f64 / 1000.0, s.kind.label(), text) }
                    </li>
                }) }
            </ol>
            { for producer(PRODUCER).map(|p| client_row(sim, p)) }
            { for producer(ZOMBIE).map(|p| client_row(sim, p)) }
            { coordinator_row(sim) }
            { group_offsets(sim) }
            <p class="hint small">{ "Markers (C = commit, A = abort) take an offset each. The LSO stops at the first open transaction: read_committed reads only below it and drops aborted records; read_uncommitted reads up to the HW." }
                <br/><span class="ko" lang="ko">{ "마커(C 커밋, A 중단)도 오프셋을 하나씩 차지함. LSO는 열린 트랜잭션의 첫 오프셋에서 멈춤: read_committed는 그 아래만 읽고 중단된 레코드는 버림, read_uncommitted는 HW까지 읽음." }</span></p>
        </section>
    }
}

/// The last offsets of each partition as one consumer saw them: what it received, and
/// the gaps (markers, aborted records) it skipped.
fn consumer_column(sim: &Simulation, c: &KafkaConsumer) -> Html {
    let level = match c.config.isolation_level {
        IsolationLevel::ReadCommitted => "read_committed",
        IsolationLevel::ReadUncommitted => "read_uncommitted",
    };
    let rows = c.positions.iter().map(|(tp, &position)| {
        let got: BTreeSet<u64> = c
            .records
            .iter()
            .rev()
            .filter(|r| r.tp == *tp)
            .take(24)
            .map(|r| r.offset)
            .collect();
        let from = position.saturating_sub(14);
        let (hw, lso) = sim
            .committed_replica(*tp)
            .map_or((0, 0), |p| (p.high_watermark(), p.last_stable_offset()));
        html! {
            <div class="consumer-row" data-partition={tp.partition.to_string()} data-position={position.to_string()}>
                <span class="mono small name">{ sim.cluster().display(*tp) }</span>
                <span class="cells">
                    { for (from..position).map(|o| if got.contains(&o) {
                        html! { <span class="ccell" style={format!("background:{}", partition_color(tp.partition))} title={format!("offset {o}: returned by poll()")}>{ o % 100 }</span> }
                    } else {
                        html! { <span class="ccell gap" title={format!("offset {o}: not returned — a marker, or (read_committed) a record of an aborted transaction")}>{ "·" }</span> }
                    }) }
                </span>
                <span class="mono tiny muted">{ format!("next {position} · HW {hw} · LSO {lso}") }</span>
            </div>
        }
    });
    html! {
        <div class="consumer" data-consumer={c.name.clone()} data-records={c.records.len().to_string()}>
            <div class="txn-head">
                <strong>{ format!("Consumer · isolation.level={level}") }</strong>
                <span class="mono small">{ format!("{} records", c.records.len()) }</span>
            </div>
            { for rows }
        </div>
    }
}

/// The two consumers side by side.
pub fn consumers_panel(sim: &Simulation) -> Html {
    html! {
        <section class="consumers" id="consumers" aria-label="consumers">
            { for sim.consumers().iter().map(|c| consumer_column(sim, c)) }
        </section>
    }
}
