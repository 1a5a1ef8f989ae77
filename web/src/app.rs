//! The app: owns the simulation and the controls; messages are the user's intent and
//! the animation clock. `view` only reads; `update` is the one place state changes.

use crate::facts::{
    delivery_facts, mode_fact, moved_keys, partitioner_facts, replication_facts, transaction_facts,
    MovedKeys,
};
use crate::i18n::Lang;
use crate::inspector::{broker_inspector, find_batch, inspector, replica_inspector, Inspect};
use crate::painter::paint;
use crate::panel::producer_panel;
use crate::stage::stage;
use crate::txn::{consumers_panel, transactions_panel};
use crate::workload::{
    Fault, FaultKind, KeyPattern, Setting, TxnKind, TxnStep, Workload, BROKERS, MODES,
};
use gloo_events::{EventListener, EventListenerOptions};
use gloo_render::{request_animation_frame, AnimationFrame};
use kafka_lab::config::IsolationLevel;
use kafka_lab::ledger::Ledger;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::producer::accumulator::ProducerBatch;
use kafka_lab::scenario::SendMode;
use kafka_lab::serializer::Serializer;
use kafka_lab::trace::TraceEvent;
use kafka_lab::version::KafkaVersion;
use kafka_lab::Simulation;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

pub const SPEEDS: [(f64, &str); 7] = [
    (0.01, "0.01×"),
    (0.05, "0.05×"),
    (0.1, "0.1×"),
    (0.25, "0.25×"),
    (1.0, "1× real time"),
    (5.0, "5×"),
    (20.0, "20×"),
];

pub enum Msg {
    Frame(f64),
    TogglePlay,
    Step,
    /// Back to the moment before the last event (a replay from t = 0, exact).
    StepBack,
    /// The scrubber moved: the run as it was at this virtual time.
    Seek(String),
    Restart,
    Speed(String),
    Set(Setting),
    Inspect(Inspect),
    CloseInspector,
    /// Lose the next request to, or response from, a broker, from the moment on screen.
    Fault(FaultKind, u32),
    ClearFaults,
    /// A transactional call (or a second instance) at the moment on screen.
    Txn(TxnKind),
    /// Switch every label, explanation and event message to this language.
    Lang(Lang),
}

pub struct App {
    workload: Workload,
    sim: Simulation,
    /// Virtual time on screen, in fractional ms; the simulation has run to its floor.
    display_ms: f64,
    playing: bool,
    speed: f64,
    last_frame: Option<f64>,
    frame: Option<AnimationFrame>,
    canvas: NodeRef,
    error: Option<String>,
    /// Which keys hash elsewhere since the user last changed the partition count; worked
    /// out once on the change, not on every frame.
    moved: Option<MovedKeys>,
    /// The batch in the inspector, as last seen while the producer held it.
    inspected: Option<ProducerBatch>,
    /// The replica in the inspector: (broker, partition), shown live.
    inspected_replica: Option<(u32, TopicPartition)>,
    inspected_broker: Option<u32>,
    /// The delivery ledger, and the frame time it was worked out at.
    ledger: Ledger,
    ledger_at: f64,
    /// Where each Step ▸ started: (events processed, time on screen), so that ◂ Step
    /// returns to exactly that picture.
    history: Vec<(u64, f64)>,
    /// Space plays or pauses, → steps, ← steps back, from anywhere but a form field
    /// (and a slide clicker's keys work the same way).
    _keys: Option<EventListener>,
    lang: Lang,
}

/// The transport message a key stands for, unless typing in a form field.
fn key_message(e: &KeyboardEvent) -> Option<Msg> {
    let tag = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| el.tag_name());
    // Form fields use arrows and space themselves; a focused button uses space.
    let field = matches!(tag.as_deref(), Some("INPUT" | "SELECT" | "TEXTAREA"));
    let button = tag.as_deref() == Some("BUTTON");
    if field || e.ctrl_key() || e.meta_key() || e.alt_key() {
        return None;
    }
    match e.key().as_str() {
        " " if !button => Some(Msg::TogglePlay),
        "ArrowRight" => Some(Msg::Step),
        "ArrowLeft" => Some(Msg::StepBack),
        _ => None,
    }
}

/// A fresh run of `workload` after exactly `steps` events.
fn replay_steps(workload: &Workload, steps: u64) -> Option<Simulation> {
    let mut sim = build(workload).ok()?;
    while sim.steps() < steps && sim.step() {}
    Some(sim)
}

/// The moment before the last traced event of `sim`, found by replaying: the number of
/// events after which a fresh run last had fewer traced events than `sim` has now.
fn previous_event(workload: &Workload, sim: &Simulation) -> Option<u64> {
    let target = sim.events_traced();
    let mut fresh = build(workload).ok()?;
    let mut before = 0;
    while fresh.steps() < sim.steps() {
        let traced = fresh.events_traced();
        if !fresh.step() {
            break;
        }
        if fresh.events_traced() > traced && fresh.events_traced() < target {
            before = fresh.steps();
        }
    }
    Some(before)
}

/// How often, in wall-clock ms, a playing app works out the ledger again.
const LEDGER_EVERY_MS: f64 = 250.0;

fn build(workload: &Workload) -> Result<Simulation, String> {
    Simulation::new(&workload.scenario()).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn mode_id(mode: SendMode) -> &'static str {
    MODES
        .iter()
        .find(|(m, _, _)| *m == mode)
        .map_or("async", |(_, id, _)| id)
}

/// Which of the workload's keys hash elsewhere after the partition count changed.
fn moved_view(m: &MovedKeys) -> Html {
    html! {
        <li id="moved-keys">
            { format!("{} → {} partitions: {} of {} keys now go elsewhere (h % {} ≠ h % {}); records already written stay put.",
                m.old, m.new, m.moved.len(), m.total, m.old, m.new) }
            if !m.moved.is_empty() {
                <br/><span class="mono small">{ m.moved.iter().take(6).map(|(k, a, b)| format!("{k}: {a}→{b}")).collect::<Vec<_>>().join(" · ") }
                { if m.moved.len() > 6 { " …" } else { "" } }</span>
            }
            <br/><span class="ko" lang="ko">{ "파티션을 늘리면 해시 결과가 바뀌어 같은 키가 다른 파티션으로 감 — 키 순서 보장이 깨질 수 있음." }</span>
        </li>
    }
}

impl App {
    fn schedule_frame(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self.frame = Some(request_animation_frame(move |ts| {
            link.send_message(Msg::Frame(ts))
        }));
    }

    /// Trail length in virtual ms: about a quarter second on screen at any speed.
    fn trail_ms(&self) -> f64 {
        (250.0 * self.speed).max(0.5)
    }

    fn paint(&self) {
        let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() else {
            return;
        };
        let width = canvas.client_width() as f64;
        if width <= 0.0 {
            return;
        }
        let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
        let (pw, ph) = (
            (width * dpr) as u32,
            (width * dpr * crate::layout::HEIGHT / crate::layout::WIDTH) as u32,
        );
        if canvas.width() != pw || canvas.height() != ph {
            canvas.set_width(pw);
            canvas.set_height(ph);
        }
        let Some(ctx) = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        paint(
            &ctx,
            &self.sim,
            self.display_ms,
            self.trail_ms(),
            pw as f64 / crate::layout::WIDTH,
        );
    }

    /// One sentence for the event log, in English, and in Korean for the notable events.
    fn describe(&self, at: u64, event: &TraceEvent) -> (String, String, Option<String>) {
        let cluster = self.sim.cluster();
        let names = |p: u16| {
            self.sim
                .producers()
                .get(p as usize)
                .map_or("?".to_string(), |p| p.name.clone())
        };
        let ko = korean(event, cluster);
        let text = match event {
            TraceEvent::Send {
                producer,
                index,
                tp,
                batch,
                new_batch,
            } => {
                let key = self.sim.producers()[*producer as usize].sends[*index as usize]
                    .data
                    .key_text()
                    .map_or("null".to_string(), |k| format!("\"{k}\""));
                format!(
                    "{} send #{index} key={key} → {} {} batch {batch}",
                    names(*producer),
                    cluster.display(*tp),
                    if *new_batch { "opens" } else { "joins" }
                )
            }
            TraceEvent::SendFailed {
                producer,
                index,
                error,
            } => format!("{} send #{index} failed: {error}", names(*producer)),
            TraceEvent::SendBlocked {
                producer,
                index,
                available,
            } => format!(
                "{} send #{index} blocks: a new batch needs memory and buffer.memory has {available} B free (waits up to max.block.ms)",
                names(*producer)
            ),
            TraceEvent::RequestSent {
                producer,
                broker,
                batches,
                records,
                bytes,
                ..
            } => format!(
                "{} → broker {broker}: ProduceRequest, {batches} batch(es), {records} records, {bytes} B",
                names(*producer)
            ),
            TraceEvent::Appended {
                broker,
                tp,
                base_offset,
                records,
                ..
            } => format!(
                "broker {broker} appends {records} to {} at offsets {base_offset}–{}",
                cluster.display(*tp),
                base_offset + *records as u64 - 1
            ),
            TraceEvent::HighWatermark {
                broker,
                tp,
                high_watermark,
                ..
            } => format!(
                "broker {broker}: high watermark of {} is {high_watermark} — offsets below it are committed",
                cluster.display(*tp)
            ),
            TraceEvent::MarkerWritten {
                broker,
                tp,
                producer_id,
                result,
                offset,
                ..
            } => format!(
                "broker {broker} writes producer {producer_id}'s {result:?} marker to {} at offset {offset}",
                cluster.display(*tp)
            ),
            TraceEvent::IsrChanged {
                broker,
                tp,
                isr,
                expanded,
            } => format!(
                "broker {broker}: ISR of {} {} to {isr:?}",
                cluster.display(*tp),
                if *expanded { "grows (a follower caught up)" } else { "shrinks (a follower lagged past replica.lag.time.max.ms)" }
            ),
            TraceEvent::Replicated {
                broker,
                tp,
                log_end_offset,
            } => format!(
                "broker {broker} (follower) fetched {}: its log end offset is {log_end_offset}",
                cluster.display(*tp)
            ),
            TraceEvent::DuplicateBatch {
                broker,
                tp,
                base_offset,
                batch,
                ..
            } => format!(
                "broker {broker}: batch {batch} is a duplicate (same producer id, epoch and sequences); {} keeps it once, at offset {base_offset}",
                cluster.display(*tp)
            ),
            TraceEvent::BatchRejected {
                broker,
                tp,
                batch,
                error,
                reason,
                ..
            } => format!(
                "broker {broker} rejects batch {batch} for {}: {error} — {reason}",
                cluster.display(*tp)
            ),
            TraceEvent::RequestDropped {
                broker, request, ..
            } => format!("fault: ProduceRequest {request} to broker {broker} is lost on the way"),
            TraceEvent::ResponseDropped {
                broker, request, ..
            } => format!("fault: broker {broker} handled request {request}, but its response is lost"),
            TraceEvent::Disconnected {
                producer,
                broker,
                requests,
            } => format!(
                "{}: no answer from broker {broker} within request.timeout.ms — connection closed, {requests} request(s) in flight fail",
                names(*producer)
            ),
            TraceEvent::BatchRetried {
                producer,
                batch,
                tp,
                attempts,
                error,
            } => format!(
                "{} retries batch {batch} for {} after {error} (attempt {attempts} failed; back to the front of the deque)",
                names(*producer),
                cluster.display(*tp)
            ),
            TraceEvent::BatchSplit {
                producer,
                batch,
                tp,
                into,
            } => format!(
                "{}: batch {batch} for {} is over the topic's max.message.bytes (MESSAGE_TOO_LARGE) — split into {into} and sent again",
                names(*producer),
                cluster.display(*tp)
            ),
            TraceEvent::BatchFailed {
                producer,
                batch,
                tp,
                error,
            } => format!(
                "{} batch {batch} for {} failed: {error}",
                names(*producer),
                cluster.display(*tp)
            ),
            TraceEvent::BatchCompleted {
                producer,
                batch,
                tp,
                base_offset,
            } => {
                if *base_offset < 0 {
                    format!("{} batch {batch} to {} done without a response (acks=0, offset -1)", names(*producer), cluster.display(*tp))
                } else {
                    format!("{} batch {batch} acknowledged: {} offset {base_offset}", names(*producer), cluster.display(*tp))
                }
            }
            TraceEvent::IsrProposed { broker, tp, isr } => format!(
                "broker {broker} asks the controller to set the ISR of {} to {isr:?} (AlterPartition; pending until answered)",
                cluster.display(*tp)
            ),
            TraceEvent::BecameLeaderOrFollower { broker, tp, leader, leader_epoch, log_end_offset } => format!(
                "broker {broker} becomes {} of {} in leader epoch {leader_epoch} (its log ends at {log_end_offset})",
                if *leader { "leader" } else { "follower" },
                cluster.display(*tp)
            ),
            TraceEvent::Truncated { broker, tp, from, to } => format!(
                "broker {broker} truncates {} from {from} to {to}: records past where its log and the leader's agree (leader epochs) are dropped",
                cluster.display(*tp)
            ),
            TraceEvent::BrokerCrashed { broker } => format!("fault: broker {broker} crashes — its log stays on disk, its connections close"),
            TraceEvent::BrokerRestarted { broker } => format!("broker {broker} restarts, recovers its log and registers with the controller"),
            TraceEvent::BrokerIsolated { broker } => format!("fault: broker {broker} is cut off from the network — it keeps running, unaware"),
            TraceEvent::BrokerHealed { broker } => format!("broker {broker} is reachable again and replays the metadata it missed"),
            TraceEvent::BrokerFenced { broker } => format!("controller: no heartbeat from broker {broker} within the session timeout — fenced, out of every ISR, its partitions get new leaders"),
            TraceEvent::BrokerUnfenced { broker } => format!("controller: broker {broker} is registered and caught up — unfenced"),
            TraceEvent::LeaderElected { tp, leader, leader_epoch, isr, unclean } => match leader {
                Some(l) => format!(
                    "controller elects broker {l} leader of {} (epoch {leader_epoch}, ISR {isr:?}){}",
                    cluster.display(*tp),
                    if *unclean { " — UNCLEAN: it was not in sync, committed records past its log end are lost" } else { "" }
                ),
                None => format!(
                    "controller: {} has no in-sync replica left alive — offline (epoch {leader_epoch}); {}",
                    cluster.display(*tp),
                    if !cluster.topic(*tp).config.unclean_leader_election {
                        "unclean.leader.election.enable is off"
                    } else if !self.sim.controller().unclean_allowed(tp.topic) {
                        "KRaft before 3.9 ignores unclean.leader.election.enable (KAFKA-12670)"
                    } else {
                        "no other replica is alive to elect"
                    }
                ),
            },
            TraceEvent::ConnectionClosed { producer, broker, requests } => format!(
                "{}: connection to broker {broker} closed (its process died) — {requests} request(s) in flight fail with NETWORK_EXCEPTION",
                names(*producer)
            ),
            TraceEvent::MetadataRequested { producer, broker } => format!(
                "{} asks broker {broker} for fresh metadata (a leader failed it)",
                names(*producer)
            ),
            TraceEvent::MetadataUpdated { producer, broker } => format!(
                "{} has new metadata from broker {broker}: it sends to the leaders named there",
                names(*producer)
            ),
            TraceEvent::EpochBumped { producer, producer_id, producer_epoch } => format!(
                "{} bumps its epoch to {producer_epoch} (producer id {producer_id}): a gap in its sequences could not be closed, so that partition's sequences start again at 0 (KIP-360)",
                names(*producer)
            ),
            TraceEvent::ProducerRestarted { producer, resent } => format!(
                "{} restarts: a new instance with a new producer id re-sends the {resent} record(s) never acknowledged — the broker cannot tell them from the old ones",
                names(*producer)
            ),
            TraceEvent::ProducerIdAssigned { producer, broker, producer_id, producer_epoch } => format!(
                "{} gets producer id {producer_id}, epoch {producer_epoch} from broker {broker} (InitProducerId): its batches carry them with per-partition sequence numbers",
                names(*producer)
            ),
            TraceEvent::TxnClientState { producer, from, to } => format!(
                "{}: transaction manager {} → {}",
                names(*producer),
                from.name(),
                to.name()
            ),
            TraceEvent::TxnRequestSent { producer, broker, request } => format!(
                "{} sends {request} to broker {broker}{}",
                names(*producer),
                match *request {
                    "FindCoordinator" => " (which broker coordinates my transactional.id?)",
                    "InitProducerId" => " (the id's producer id and a new epoch; fences older instances)",
                    "AddPartitionsToTxn" => " (partitions join the transaction before any record goes there)",
                    "EndTxn" => " (commit or abort: the coordinator writes the markers)",
                    _ => "",
                }
            ),
            TraceEvent::TxnResponseReceived { producer, broker, request, error } => format!(
                "{}: {request} answered by broker {broker}: {error}",
                names(*producer)
            ),
            TraceEvent::TxnCallReturned { producer, action, error } => format!(
                "{}: transactional call #{action} returned{}",
                names(*producer),
                error.map_or(String::new(), |e| format!(" — threw {e}"))
            ),
            TraceEvent::TxnLogAppend { broker, transactional_id, state, producer_epoch } => format!(
                "coordinator (broker {broker}) writes {transactional_id} → {} (epoch {producer_epoch}) to __transaction_state",
                state.name()
            ),
            TraceEvent::TxnStateChanged { broker, transactional_id, state, producer_epoch } => format!(
                "coordinator (broker {broker}): {transactional_id} is {} (epoch {producer_epoch})",
                state.name()
            ),
            TraceEvent::TxnTimedOut { broker, transactional_id, producer_epoch } => format!(
                "coordinator (broker {broker}): {transactional_id}'s transaction is older than transaction.timeout.ms — aborted under epoch {producer_epoch}"
            ),
            TraceEvent::TxnVerificationSent { broker, coordinator, producer, producer_epoch, partitions, verify_only, .. } => format!(
                "broker {broker} holds {}'s first transactional write to {} and asks coordinator (broker {coordinator}) {} (epoch {producer_epoch}; KIP-890)",
                names(*producer),
                partitions.iter().map(|tp| cluster.display(*tp)).collect::<Vec<_>>().join(", "),
                if *verify_only {
                    "whether its transaction is ongoing there"
                } else {
                    "to add the partition to its transaction (transactions V2: the client sent no AddPartitionsToTxn)"
                }
            ),
            TraceEvent::TxnEpochBumped { producer, producer_epoch, .. } => format!(
                "{}: EndTxn returned epoch {producer_epoch} — under transactions V2 every transaction ends with a new epoch, so a late write of the old one is fenced (KIP-890)",
                names(*producer)
            ),
            TraceEvent::TxnVerificationAnswered { broker, producer, results } => format!(
                "broker {broker}: the coordinator answers for {}: {} — {}",
                names(*producer),
                results
                    .iter()
                    .map(|(tp, e)| format!("{} {e}", cluster.display(*tp)))
                    .collect::<Vec<_>>()
                    .join(", "),
                if results.iter().all(|(_, e)| *e == "NONE") {
                    "the held request is appended"
                } else {
                    "those batches are refused, nothing of them reaches the log"
                }
            ),
            TraceEvent::GroupOffsetsCompleted { broker, producer_id, partition, commit } => format!(
                "group coordinator (broker {broker}, __consumer_offsets-{partition}): producer {producer_id}'s transactional offsets {}",
                if *commit { "are committed with the transaction" } else { "are dropped: the transaction aborted" }
            ),
            TraceEvent::CoordinatorMoved { partition, broker, coordinator_epoch } => format!(
                "broker {broker} now leads __transaction_state-{partition}: it coordinates those transactional ids (coordinator epoch {coordinator_epoch})"
            ),
            TraceEvent::Consumed { consumer, tp, records, position } => format!(
                "consumer {consumer} polls {records} record(s) of {} (up to the high watermark); next offset {position}",
                cluster.display(*tp)
            ),
            TraceEvent::ConsumerOffsetReset { consumer, tp, from, to } => format!(
                "consumer {consumer}: offset {from} of {} is no longer in the log (truncated) — auto.offset.reset moves it to {to}",
                cluster.display(*tp)
            ),
        };
        (format!("{:>7.3}s", at as f64 / 1000.0), text, ko)
    }

    /// Rebuilds the run with `workload` and replays it to the moment on screen; an invalid
    /// workload keeps the last good one and says why.
    fn replay(&mut self, workload: Workload) {
        self.history.clear();
        match build(&workload) {
            Ok(mut sim) => {
                sim.run_until(self.display_ms.floor() as u64);
                self.workload = workload;
                self.sim = sim;
                self.error = None;
                self.inspected = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Keeps the inspected batch current while the producer still holds it.
    fn refresh_inspected(&mut self) {
        let Some(id) = self.inspected.as_ref().map(|b| b.id) else {
            return;
        };
        if let Some(b) = self.sim.producers().first().and_then(|p| find_batch(p, id)) {
            self.inspected = Some(b.clone());
        }
    }

    fn apply(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Inspect(Inspect::Batch(id)) => {
                self.inspected_replica = None;
                self.inspected_broker = None;
                self.inspected = self
                    .sim
                    .producers()
                    .first()
                    .and_then(|p| find_batch(p, id))
                    .cloned();
                true
            }
            Msg::Inspect(Inspect::Replica(broker, tp)) => {
                self.inspected = None;
                self.inspected_broker = None;
                self.inspected_replica = Some((broker, tp));
                true
            }
            Msg::Inspect(Inspect::Broker(broker)) => {
                self.inspected = None;
                self.inspected_replica = None;
                self.inspected_broker = Some(broker);
                true
            }
            Msg::CloseInspector => {
                self.inspected = None;
                self.inspected_replica = None;
                self.inspected_broker = None;
                true
            }
            Msg::Fault(kind, broker) => {
                let mut workload = self.workload.clone();
                workload.faults.push(Fault {
                    at_ms: self.display_ms.floor() as u64,
                    kind,
                    broker,
                });
                self.replay(workload);
                true
            }
            Msg::Lang(lang) => {
                lang.save();
                self.lang = lang;
                true
            }
            Msg::ClearFaults => {
                let mut workload = self.workload.clone();
                workload.faults.clear();
                self.replay(workload);
                true
            }
            Msg::Txn(kind) => {
                let mut workload = self.workload.clone();
                // The offsets to send are the read_committed consumer's positions now.
                let offsets = match kind {
                    TxnKind::SendOffsets => self
                        .sim
                        .consumers()
                        .iter()
                        .find(|c| c.config.isolation_level == IsolationLevel::ReadCommitted)
                        .map(|c| {
                            c.positions
                                .iter()
                                .map(|(tp, &o)| (tp.partition, o))
                                .collect()
                        })
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                if let Some(steps) = &mut workload.transactions {
                    steps.push(TxnStep {
                        at_ms: self.display_ms.floor() as u64,
                        kind,
                        offsets,
                    });
                    // Same-moment steps keep their click order; a step is never earlier
                    // than one already scripted after it.
                    steps.sort_by_key(|s| s.at_ms);
                }
                self.replay(workload);
                true
            }
            Msg::Frame(ts) => {
                self.frame = None;
                if !self.playing {
                    self.last_frame = None;
                    return false;
                }
                // Long pauses (a hidden tab) do not turn into a jump.
                let dt = self
                    .last_frame
                    .map_or(0.0, |last| (ts - last).clamp(0.0, 100.0));
                self.last_frame = Some(ts);
                let end = self.sim.until_ms() as f64;
                self.display_ms = (self.display_ms + dt * self.speed).min(end);
                self.sim.run_until(self.display_ms.floor() as u64);
                if self.display_ms >= end {
                    self.playing = false;
                } else {
                    self.schedule_frame(ctx);
                }
                true
            }
            Msg::TogglePlay => {
                self.history.clear();
                self.playing = !self.playing;
                self.last_frame = None;
                if self.playing {
                    if self.display_ms >= self.sim.until_ms() as f64 {
                        ctx.link().send_message(Msg::Restart);
                    }
                    self.schedule_frame(ctx);
                }
                true
            }
            Msg::Step => {
                // One step = up to the next traced event (some queue entries, like a
                // superseded sender wake-up, change nothing visible).
                self.playing = false;
                self.history.push((self.sim.steps(), self.display_ms));
                let traced = self.sim.events_traced();
                while self.sim.events_traced() == traced && self.sim.step() {}
                self.display_ms = self.display_ms.max(self.sim.now() as f64);
                true
            }
            Msg::StepBack => {
                self.playing = false;
                let back = match self.history.pop() {
                    Some((steps, shown)) => Some((steps, Some(shown))),
                    None => previous_event(&self.workload, &self.sim).map(|s| (s, None)),
                };
                if let Some((steps, shown)) = back {
                    if let Some(sim) = replay_steps(&self.workload, steps) {
                        self.display_ms = shown.unwrap_or(sim.now() as f64);
                        self.sim = sim;
                    }
                }
                true
            }
            Msg::Seek(raw) => {
                let Ok(t) = raw.parse::<f64>() else {
                    return false;
                };
                let t = t.clamp(0.0, self.sim.until_ms() as f64);
                self.playing = false;
                self.history.clear();
                if t < self.sim.now() as f64 {
                    match build(&self.workload) {
                        Ok(sim) => self.sim = sim,
                        Err(_) => return false,
                    }
                }
                self.display_ms = t;
                self.sim.run_until(t.floor() as u64);
                true
            }
            Msg::Restart => {
                self.history.clear();
                if let Ok(sim) = build(&self.workload) {
                    self.sim = sim;
                    self.display_ms = 0.0;
                    self.inspected = None;
                }
                true
            }
            Msg::Speed(raw) => {
                if let Ok(s) = raw.parse::<f64>() {
                    if SPEEDS.iter().any(|(v, _)| *v == s) {
                        self.speed = s;
                    }
                }
                true
            }
            Msg::Set(setting) => {
                // A producer's config is fixed at construction: replay the run from t=0
                // with the new settings up to the moment on screen.
                match self
                    .workload
                    .with(&setting)
                    .and_then(|w| build(&w).map(|sim| (w, sim)))
                {
                    Ok((workload, mut sim)) => {
                        sim.run_until(self.display_ms.floor() as u64);
                        let old = if workload.partitions != self.workload.partitions {
                            Some(self.workload.partitions)
                        } else {
                            self.moved.as_ref().map(|m| m.old)
                        };
                        self.moved = old.filter(|&o| o != workload.partitions).map(|o| {
                            moved_keys(&workload.serialized_keys(), o, workload.partitions)
                        });
                        self.workload = workload;
                        self.sim = sim;
                        self.error = None;
                        // Batch ids of the replay name other batches once settings differ.
                        self.inspected = None;
                    }
                    Err(e) => self.error = Some(e),
                }
                true
            }
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let workload = Workload::default();
        let sim = build(&workload).expect("the default workload is valid");
        let lang = Lang::load();
        lang.apply_to_document();
        let mut app = App {
            lang,
            workload,
            sim,
            display_ms: 0.0,
            playing: true,
            speed: 0.05,
            last_frame: None,
            frame: None,
            canvas: NodeRef::default(),
            error: None,
            moved: None,
            inspected: None,
            inspected_replica: None,
            inspected_broker: None,
            ledger: Ledger::default(),
            ledger_at: 0.0,
            history: Vec::new(),
            _keys: web_sys::window().and_then(|w| w.document()).map(|d| {
                let link = ctx.link().clone();
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&d, "keydown", options, move |e| {
                    let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    if let Some(msg) = key_message(e) {
                        e.prevent_default();
                        link.send_message(msg);
                    }
                })
            }),
        };
        app.schedule_frame(ctx);
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        // The ledger reads every committed log: while playing, once per LEDGER_EVERY_MS of
        // wall time, not on every frame; after anything else, at once.
        let frame = match msg {
            Msg::Frame(ts) => Some(ts),
            _ => None,
        };
        let changed = self.apply(ctx, msg);
        self.refresh_inspected();
        if frame.is_none_or(|ts| ts - self.ledger_at >= LEDGER_EVERY_MS) {
            self.ledger = Ledger::of(&self.sim);
            self.ledger_at = frame.unwrap_or(self.ledger_at);
        }
        changed
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let w = &self.workload;
        let select = |id: &'static str,
                      label: &'static str,
                      hint: &'static str,
                      value: String,
                      options: Vec<(String, String)>,
                      make: fn(String) -> Setting| {
            let onchange = link.callback(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                Msg::Set(make(input.value()))
            });
            html! {
                <label class="control" for={id}>
                    <span class="name mono">{ label }</span>
                    <select id={id} {onchange}>
                        { for options.into_iter().map(|(v, text)| html! {
                            <option value={v.clone()} selected={v == value}>{ text }</option>
                        }) }
                    </select>
                    <span class="hint">{ hint }</span>
                </label>
            }
        };
        let opts = |values: &[u64]| -> Vec<(String, String)> {
            values
                .iter()
                .map(|v| (v.to_string(), v.to_string()))
                .collect()
        };
        let producer = self.sim.producers().first();
        let metrics = producer.map(|p| p.metrics_report());
        let ledger = &self.ledger;
        let (acked, sent) = (ledger.acked, ledger.records);
        let notes = producer.map(|p| p.config.notes.clone()).unwrap_or_default();
        let idempotent = producer.is_some_and(|p| p.config.idempotence);
        let facts = producer
            .map(|p| {
                let keyed = w.keys != KeyPattern::Null && w.key_serializer() != Serializer::Void;
                let mut facts = partitioner_facts(p, self.sim.version(), keyed);
                facts.extend(mode_fact(w.mode));
                facts.extend(delivery_facts(p));
                facts.extend(replication_facts(
                    w.replication_factor,
                    w.min_insync_replicas,
                    p.config.acks,
                ));
                facts.extend(transaction_facts(p, self.sim.version()));
                facts
            })
            .unwrap_or_default();
        let session_s = self.sim.controller().session().0 / 1000;
        let events: Vec<(String, String, Option<String>)> = self
            .sim
            .recent_events()
            .rev()
            .take(7)
            .map(|(at, e)| self.describe(*at, e))
            .collect();
        let metric = |name: &'static str, value: String| {
            html! { <div class="metric"><span class="value">{ value }</span><span class="mname mono">{ name }</span></div> }
        };
        let speed_change = link.callback(|e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Msg::Speed(input.value())
        });
        html! {
            <div class="app" id="app-root">
                <header class="top">
                    <div class="brand">
                        <h1>{ "Kafka Lab" }</h1>
                        <span class="tagline">{ "프로듀서 내부를 눈으로 · watch a Kafka producer send" }</span>
                        <button id="lang" class="lang" lang={self.lang.other().code()}
                            aria-label={self.lang.pick("Switch to Korean", "영어로 전환")}
                            onclick={link.callback({ let other = self.lang.other(); move |_| Msg::Lang(other) })}>
                            { self.lang.pick("한국어", "English") }
                        </button>
                    </div>
                    <div class="transport" role="toolbar" aria-label="playback">
                        <button id="play" onclick={link.callback(|_| Msg::TogglePlay)} aria-label={if self.playing { "pause" } else { "play" }}>
                            { if self.playing { "❚❚ Pause" } else { "▶ Play" } }
                        </button>
                        <button id="step-back" onclick={link.callback(|_| Msg::StepBack)} title="back to the moment before the last event (an exact replay)" aria-label="step back">{ "◂ Step" }</button>
                        <button id="step" onclick={link.callback(|_| Msg::Step)} title="process the next event">{ "Step ▸" }</button>
                        <button id="restart" onclick={link.callback(|_| Msg::Restart)}>{ "↺ Restart" }</button>
                        <label class="speed">
                            <span>{ "speed" }</span>
                            <select id="speed" onchange={speed_change}>
                                { for SPEEDS.iter().map(|(v, text)| html! {
                                    <option value={v.to_string()} selected={*v == self.speed}>{ *text }</option>
                                }) }
                            </select>
                        </label>
                        <input type="range" id="scrubber" class="scrubber" aria-label="time"
                            min="0" max={self.sim.until_ms().to_string()} step="1"
                            value={(self.display_ms.floor() as u64).to_string()}
                            oninput={link.callback(|e: InputEvent| {
                                let input: HtmlInputElement = e.target_unchecked_into();
                                Msg::Seek(input.value())
                            })}/>
                        <span class="clock mono" id="clock">
                            { format!("t = {:.3} s / {} s", self.display_ms / 1000.0, self.sim.until_ms() / 1000) }
                        </span>
                    </div>
                </header>
                if let Some(t) = self.sim.stalled_at() {
                    <p class="error" role="alert" id="stalled">{ format!("The simulation stopped at {:.3} s: components kept waking at one instant to no effect. This is a Kafka Lab bug — please report the link.", t as f64 / 1000.0) }</p>
                }
                <main class="main">
                    <div class="work">
                        <div class="stage">
                            { stage(&self.sim, w, &self.ledger, self.display_ms, &link.callback(Msg::Inspect)) }
                            <canvas ref={self.canvas.clone()} class="particles" aria-hidden="true"></canvas>
                        </div>
                        { transactions_panel(&self.sim, w, &link.callback(Msg::Txn)) }
                        { consumers_panel(&self.sim) }
                        if let (Some(b), Some(p)) = (&self.inspected, producer) {
                            { inspector(&self.sim, p, b, link.callback(|_| Msg::CloseInspector)) }
                        }
                        if let Some((broker, tp)) = self.inspected_replica {
                            { replica_inspector(&self.sim, broker, tp, link.callback(|_| Msg::CloseInspector)) }
                        }
                        if let Some(b) = self.inspected_broker {
                            { broker_inspector(&self.sim, b, html! {
                                <>
                                    { fault_toggle(link, b, self.sim.broker_down(b), "inspector-") }
                                    <button id={format!("inspector-slow-{b}")} onclick={link.callback(move |_| Msg::Fault(FaultKind::SlowFollower, b))}>{ "slow fetch" }</button>
                                    <button onclick={link.callback(move |_| Msg::Fault(FaultKind::DropRequest, b))}>{ "lose req" }</button>
                                    <button onclick={link.callback(move |_| Msg::Fault(FaultKind::DropResponse, b))}>{ "lose resp" }</button>
                                </>
                            }, link.callback(|_| Msg::CloseInspector)) }
                        }
                    </div>
                    <aside class="controls" aria-label="producer and workload settings">
                        { select("kafka-version", "kafka_version", "defaults & behaviour of that release", w.kafka_version.clone(),
                            KafkaVersion::supported_lines().map(|v| (v.clone(), v)).collect(), Setting::KafkaVersion) }
                        <h2>{ "Topic & workload" }</h2>
                        { select("partitions", "partitions", "of topic orders", w.partitions.to_string(),
                            (1..=12u64).map(|v| (v.to_string(), v.to_string())).collect(), Setting::Partitions) }
                        { select("replication-factor", "replication factor", "replicas of each partition (brokers hold followers)", w.replication_factor.to_string(),
                            (1..=BROKERS as u64).map(|v| (v.to_string(), v.to_string())).collect(), Setting::ReplicationFactor) }
                        { select("min-insync-replicas", "min.insync.replicas", "acks=all needs an ISR this big · 최소 ISR", w.min_insync_replicas.to_string(),
                            opts(&[1, 2, 3]), Setting::MinInsyncReplicas) }
                        { select("keys", "keys", "which keys send() uses", w.keys.id().to_string(),
                            KeyPattern::ALL.iter().map(|k| (k.id().to_string(), k.label().to_string())).collect(), Setting::Keys) }
                        { select("rate", "records/s", "send() calls per second", w.rate.to_string(),
                            opts(&[10, 50, 100, 200, 500, 1000]), Setting::Rate) }
                        { select("value-bytes", "value bytes", "size of each value", w.value_bytes.to_string(),
                            opts(&[10, 100, 1000]), Setting::ValueBytes) }
                        { select("latency", "latency ms", "one way, every message", w.latency_ms.to_string(),
                            opts(&[1, 5, 10, 50]), Setting::LatencyMs) }
                        { select("send-mode", "send mode", "how the app calls send() · 전송 방식", mode_id(w.mode).to_string(),
                            MODES.iter().map(|(_, id, label)| (id.to_string(), label.to_string())).collect(), Setting::Mode) }
                        { select("transactions", "transactions", "transactional.id: the app begins, sends, commits or aborts · 트랜잭션",
                            if w.transactions.is_some() { "on" } else { "off" }.to_string(),
                            vec![("off".into(), "off: a steady stream".into()), ("on".into(), "on: transactional.id set".into())],
                            |v| Setting::Transactions(v == "on")) }
                        if let Some(e) = &self.error {
                            <p class="error" role="alert" id="config-error">{ e }<br/><small>{ "Kept the last valid settings." }</small></p>
                        }
                        <h2>{ "Faults" }<span class="ko" lang="ko">{ " · 장애 주입" }</span></h2>
                        <div class="faults" id="faults">
                            <div class="fault-row">
                                <button id="restart-producer" title="the application restarts: a new producer instance with a new producer id re-sends every record it never saw acknowledged"
                                    onclick={link.callback(|_| Msg::Fault(FaultKind::RestartProducer, 0))}>{ "restart producer" }</button>
                                <span class="hint small">{ "new PID: a written record whose ack was lost lands twice" }</span>
                            </div>
                            { for (0..BROKERS).map(|b| html! {
                                <div class="fault-row">
                                    <span class="mono small">{ format!("broker {b}") }</span>
                                    <button id={format!("drop-request-{b}")} title="the next produce request to this broker is lost on the way"
                                        onclick={link.callback(move |_| Msg::Fault(FaultKind::DropRequest, b))}>{ "lose req" }</button>
                                    <button id={format!("drop-response-{b}")} title="the broker writes the next produce request, but its response is lost"
                                        onclick={link.callback(move |_| Msg::Fault(FaultKind::DropResponse, b))}>{ "lose resp" }</button>
                                    <button id={format!("slow-follower-{b}")} title="this broker's fetches to its leaders take 60 s longer: as a follower it falls out of the ISR"
                                        onclick={link.callback(move |_| Msg::Fault(FaultKind::SlowFollower, b))}>{ "slow fetch" }</button>
                                    { fault_toggle(link, b, self.sim.broker_down(b), "") }
                                </div>
                            }) }
                            <span class="hint">{ format!("Lost request/response: the producer waits request.timeout.ms, then retries — duplicates and reordering with enable.idempotence=false and max.in.flight > 1. Slow fetch: with replication, that follower leaves the ISR after replica.lag.time.max.ms. Crash: connections close at once; the controller fences the broker {} s after it last heard from it and elects new leaders from the ISR. Cut off: the broker keeps running unaware; requests to it time out instead.", session_s) }
                                <br/><span class="ko" lang="ko">{ format!("요청/응답 유실: request.timeout.ms 후 재시도 — 멱등성을 끄면 중복·순서 뒤바뀜. 느린 fetch: 팔로워가 ISR에서 빠짐. 다운: 연결이 바로 끊기고, 마지막 연락 {session_s}초 뒤 펜싱·ISR에서 새 리더 선출. 격리: 브로커는 모른 채 계속 돌고, 요청은 타임아웃.") }</span></span>
                            if !w.faults.is_empty() {
                                <ul class="fault-list mono small" id="fault-list">
                                    { for w.faults.iter().map(|f| html! { <li>{ match f.kind {
                                        FaultKind::RestartProducer => format!("{:.3} s · {}", f.at_ms as f64 / 1000.0, f.kind.label()),
                                        _ => format!("{:.3} s · broker {} · {}", f.at_ms as f64 / 1000.0, f.broker, f.kind.label()),
                                    } }</li> }) }
                                </ul>
                                <button id="clear-faults" onclick={link.callback(|_| Msg::ClearFaults)}>{ "clear faults" }</button>
                            }
                        </div>
                        <h2>{ "Producer config" }<span class="ko" lang="ko">{ " · 프로듀서 설정" }</span></h2>
                        { producer_panel(w, &link.callback(Msg::Set)) }
                    </aside>
                </main>
                <section class="bottom">
                    <div class="metrics" aria-label="producer metrics">
                        { metric("record-send-total", metrics.as_ref().map_or(0, |m| m.record_send_total).to_string()) }
                        { metric("request-total", metrics.as_ref().map_or(0, |m| m.request_total).to_string()) }
                        { metric("records-per-request-avg", format!("{:.2}", metrics.as_ref().map_or(0.0, |m| m.records_per_request_avg))) }
                        { metric("batch-size-avg", format!("{:.0} B", metrics.as_ref().map_or(0.0, |m| m.batch_size_avg))) }
                        { metric("request-latency-avg", format!("{:.1} ms", metrics.as_ref().map_or(0.0, |m| m.request_latency_avg))) }
                        { metric("acked / sent", format!("{acked} / {sent}")) }
                        { metric("record-retry-total", metrics.as_ref().map_or(0, |m| m.record_retry_total).to_string()) }
                        { metric("compression-rate-avg", format!("{:.3}", metrics.as_ref().map_or(0.0, |m| m.compression_rate_avg))) }
                        <div class="metric ledger" id="ledger" title="from the committed logs: extra copies, records out of send order, acknowledged but missing">
                            <span class="value">{ format!("{} · {} · {}", ledger.duplicated, ledger.reordered, ledger.lost) }</span>
                            <span class="mname">{ "duplicated · reordered · lost" }</span>
                        </div>
                    </div>
                    <div class="events" aria-live="off">
                        <h3>{ "Events" }</h3>
                        <ol>
                            { for events.into_iter().map(|(t, text, ko)| html! {
                                <li><span class="mono t">{ t }</span>{ text }
                                    { for ko.map(|ko| html! { <><br/><span class="ko" lang="ko">{ ko }</span></> }) }</li>
                            }) }
                        </ol>
                    </div>
                    <div class="facts">
                        <h3>{ "What Kafka does here" }</h3>
                        <ul>
                            <li>{ format!("enable.idempotence: {} in {}", if idempotent { "on" } else { "off" }, self.sim.version()) }
                                { " — on by default since 3.0 (the notes say false)." }</li>
                            { for facts.iter().map(|(en, ko)| html! { <li>{ en.clone() }<br/><span class="ko" lang="ko">{ *ko }</span></li> }) }
                            if let Some(m) = &self.moved { { moved_view(m) } }
                            <li>{ "linger.ms defaults to 0 up to 3.9 and to 5 since 4.0." }</li>
                            <li>{ "A setting change replays the run from t = 0: a producer's config is fixed when it is created." }</li>
                            { for notes.iter().map(|n| html! { <li class="mono small">{ n.clone() }</li> }) }
                        </ul>
                    </div>
                </section>
            </div>
        }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first: bool) {
        self.paint();
    }
}

/// The Korean sentence for every notable event (not the per-record and per-offset ones).
fn korean(event: &TraceEvent, cluster: &kafka_lab::metadata::Cluster) -> Option<String> {
    Some(match event {
        TraceEvent::BrokerCrashed { broker } => format!("장애: 브로커 {broker} 다운 — 로그는 디스크에 남고 연결은 끊김"),
        TraceEvent::BrokerRestarted { broker } => format!("브로커 {broker} 재시작: 로그 복구 후 컨트롤러에 등록"),
        TraceEvent::BrokerIsolated { broker } => format!("장애: 브로커 {broker} 네트워크 격리 — 프로세스는 살아 있고 모름"),
        TraceEvent::BrokerHealed { broker } => format!("브로커 {broker} 네트워크 복구: 놓친 메타데이터를 따라잡음"),
        TraceEvent::BrokerFenced { broker } => format!("컨트롤러: 브로커 {broker} 세션 만료 — 펜싱, 모든 ISR에서 제외, 새 리더 선출"),
        TraceEvent::BrokerUnfenced { broker } => format!("컨트롤러: 브로커 {broker} 등록 완료 — 펜싱 해제"),
        TraceEvent::LeaderElected { tp, leader: Some(l), unclean, .. } => format!(
            "컨트롤러가 {}의 새 리더로 브로커 {l} 선출{}",
            cluster.display(*tp),
            if *unclean { " — 언클린: ISR 밖 복제본이라 커밋된 레코드가 유실됨" } else { " (ISR에서, 복제본 순서대로)" }
        ),
        TraceEvent::LeaderElected { tp, leader: None, .. } => format!("{}: 살아 있는 ISR 복제본 없음 — 오프라인", cluster.display(*tp)),
        TraceEvent::Truncated { broker, tp, from, to } => format!(
            "브로커 {broker}가 {}를 {from}에서 {to}로 잘라냄: 리더와 어긋난 꼬리(리더 에포크 기준) 삭제",
            cluster.display(*tp)
        ),
        TraceEvent::ConnectionClosed { broker, requests, .. } => format!("브로커 {broker} 연결 끊김 — 진행 중 요청 {requests}개 NETWORK_EXCEPTION"),
        TraceEvent::BatchRejected { error: "NOT_LEADER_OR_FOLLOWER", broker, .. } => format!("브로커 {broker}는 리더가 아님 — 메타데이터 갱신 후 재시도"),
        TraceEvent::BatchRejected { error: "NOT_ENOUGH_REPLICAS", .. } => "ISR이 min.insync.replicas보다 작아 acks=all 쓰기 거부 (NotEnoughReplicas)".to_string(),
        TraceEvent::BatchRejected { error, broker, .. } => format!("브로커 {broker}가 배치를 거부: {error}"),
        TraceEvent::IsrProposed { broker, tp, isr } => format!("브로커 {broker}가 {}의 ISR을 {isr:?}로 바꾸자고 컨트롤러에 요청 (AlterPartition, 응답 전까지 보류)", cluster.display(*tp)),
        TraceEvent::IsrChanged { tp, isr, expanded: true, .. } => format!("{}의 ISR 확장 → {isr:?}: 팔로워가 HW까지 따라잡음", cluster.display(*tp)),
        TraceEvent::IsrChanged { tp, isr, expanded: false, .. } => format!("{}의 ISR 축소 → {isr:?}: 팔로워가 replica.lag.time.max.ms 넘게 뒤처짐", cluster.display(*tp)),
        TraceEvent::BecameLeaderOrFollower { broker, tp, leader, leader_epoch, .. } => format!(
            "브로커 {broker}가 {}의 {} (리더 에포크 {leader_epoch})",
            cluster.display(*tp),
            if *leader { "리더가 됨" } else { "팔로워가 됨" }
        ),
        TraceEvent::DuplicateBatch { batch, base_offset, .. } => format!("배치 {batch}는 중복(같은 PID·에포크·시퀀스): 한 번만 저장, 원래 오프셋 {base_offset}로 응답"),
        TraceEvent::RequestDropped { broker, .. } => format!("장애: 브로커 {broker}로 가는 요청 유실"),
        TraceEvent::ResponseDropped { broker, .. } => format!("장애: 브로커 {broker}는 기록했지만 응답 유실"),
        TraceEvent::Disconnected { broker, requests, .. } => format!("request.timeout.ms 안에 브로커 {broker} 응답 없음 — 연결 종료, 진행 중 요청 {requests}개 실패"),
        TraceEvent::BatchRetried { batch, error, attempts, .. } => format!("배치 {batch} 재시도 ({error} 후 {attempts}번째 시도 실패, 덱 맨 앞으로)"),
        TraceEvent::BatchFailed { batch, error, .. } => format!("배치 {batch} 최종 실패: 콜백에 {error}"),
        TraceEvent::BatchSplit { batch, into, .. } => format!("배치 {batch}가 max.message.bytes 초과 (MESSAGE_TOO_LARGE) — {into}개로 나눠 재전송"),
        TraceEvent::MetadataRequested { broker, .. } => format!("브로커 {broker}에 메타데이터 요청 (리더가 실패를 알림)"),
        TraceEvent::MetadataUpdated { broker, .. } => format!("브로커 {broker}에서 새 메타데이터 수신: 새 리더로 전송"),
        TraceEvent::SendBlocked { index, .. } => format!("send #{index} 대기: buffer.memory 부족 (max.block.ms까지)"),
        TraceEvent::SendFailed { index, error, .. } => format!("send #{index} 실패: {error}"),
        TraceEvent::EpochBumped { producer_epoch, .. } => format!("에포크를 {producer_epoch}(으)로 올림: 시퀀스 공백을 메울 수 없어 그 파티션의 시퀀스를 0부터 다시 (KIP-360)"),
        TraceEvent::ProducerRestarted { resent, .. } => format!("프로듀서 재시작: 새 PID로 확인 못 받은 레코드 {resent}개 재전송 — 브로커는 중복을 알 수 없음"),
        TraceEvent::ProducerIdAssigned { producer_id, producer_epoch, .. } => format!("프로듀서 ID {producer_id}, 에포크 {producer_epoch} 받음 (InitProducerId): 배치마다 PID·에포크·시퀀스를 붙임"),
        TraceEvent::ConsumerOffsetReset { from, to, .. } => format!("컨슈머 오프셋 {from}이 로그에 없음(잘림) — auto.offset.reset으로 {to}부터"),
        TraceEvent::TxnClientState { from, to, .. } => format!("트랜잭션 매니저 상태 {} → {}", from.name(), to.name()),
        TraceEvent::TxnRequestSent { broker, request, .. } => format!("브로커 {broker}에 {request} 요청"),
        TraceEvent::TxnCallReturned { error: Some(e), .. } => format!("트랜잭션 호출 실패: {e}"),
        TraceEvent::TxnStateChanged { transactional_id, state, producer_epoch, .. } => format!("코디네이터: {transactional_id} 상태 {} (에포크 {producer_epoch})", state.name()),
        TraceEvent::TxnTimedOut { transactional_id, .. } => format!("코디네이터: {transactional_id} 트랜잭션이 transaction.timeout.ms 초과 — 에포크를 올려 중단(abort)"),
        TraceEvent::TxnEpochBumped { producer_epoch, .. } => format!("EndTxn 응답으로 에포크 {producer_epoch} 받음: 트랜잭션 V2에서는 트랜잭션마다 에포크가 오름 (KIP-890)"),
        TraceEvent::TxnVerificationSent { broker, partitions, .. } => format!(
            "브로커 {broker}가 트랜잭션 첫 쓰기를 붙잡고 코디네이터에 확인 요청 ({}; KIP-890): 중단된 트랜잭션의 늦은 레코드가 매달린 트랜잭션을 만들지 못하게 함",
            partitions.iter().map(|tp| cluster.display(*tp)).collect::<Vec<_>>().join(", ")
        ),
        TraceEvent::TxnVerificationAnswered { results, .. } if results.iter().any(|(_, e)| *e != "NONE") => {
            "코디네이터가 진행 중인 트랜잭션이 아니라고 응답 — 배치 거부, 로그에 기록되지 않음".to_string()
        }
        TraceEvent::MarkerWritten { tp, result, offset, .. } => format!(
            "{}에 {} 마커 기록 (오프셋 {offset}): 마커도 오프셋 하나를 차지함",
            cluster.display(*tp),
            if *result == kafka_lab::net::TransactionResult::Commit { "커밋" } else { "중단(abort)" }
        ),
        _ => return None,
    })
}

/// Crash or restart, isolate or heal: whichever applies to the broker at this moment.
/// `prefix` keeps element ids unique when the broker inspector shows them too.
fn fault_toggle(
    link: &yew::html::Scope<App>,
    b: u32,
    (crashed, isolated): (bool, bool),
    prefix: &str,
) -> Html {
    let (crash, crash_text, crash_title) = if crashed {
        (FaultKind::Restart, "restart", "start a new process on the broker's disk: it recovers its log, registers, and catches up as a follower")
    } else {
        (FaultKind::Crash, "crash", "kill the broker's process: its connections close, the controller fences it after the session timeout")
    };
    let (cut, cut_text, cut_title) = if isolated {
        (FaultKind::Heal, "heal", "let the broker back onto the network: it learns what it missed and truncates a diverging tail")
    } else {
        (
            FaultKind::Isolate,
            "cut off",
            "partition the broker from everyone: it keeps running and believes it still leads",
        )
    };
    html! {
        <>
            <button id={format!("{prefix}crash-{b}")} title={crash_title} class={if crashed { "down" } else { "" }}
                onclick={link.callback(move |_| Msg::Fault(crash, b))}>{ crash_text }</button>
            <button id={format!("{prefix}isolate-{b}")} title={cut_title} class={if isolated { "down" } else { "" }}
                onclick={link.callback(move |_| Msg::Fault(cut, b))}>{ cut_text }</button>
        </>
    }
}
