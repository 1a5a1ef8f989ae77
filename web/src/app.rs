//! The app: owns the simulation and the controls; messages are the user's intent and
//! the animation clock. `view` only reads; `update` is the one place state changes.

use crate::charts::{ChartData, Charts};
use crate::controls::{
    broker_action, fault_toggle, ControlCallbacks, Controls, LOSE_REQ_TITLE, LOSE_RESP_TITLE,
    SLOW_TITLE,
};
use crate::decimal::{trimmed, within, Fixed};
use crate::events::{describe, Narrator};
use crate::facts::{
    delivery_facts, expiry_fact, mode_fact, moved_keys, partitioner_facts, replication_facts,
    transaction_facts, MovedKeys,
};
use crate::i18n::Lang;
use crate::inspector::{broker_inspector, find_batch, inspector, replica_inspector, Inspect};
use crate::lesson::{self, Lesson};
use crate::lifecycle::lifecycle_inspector;
use crate::painter::{paint, Motion};
use crate::share::{self, refuse, LinkError, Reason, View};
use crate::stage::stage;
use crate::timeline::Timeline;
use crate::txn::{consumers_panel, transactions_panel};
use crate::workload::{
    seed_custom_partitioner, Fault, FaultKind, KeyPattern, Setting, SettingError, TxnKind, TxnStep,
    Workload,
};
use gloo_events::{EventListener, EventListenerOptions};
use gloo_render::{request_animation_frame, AnimationFrame};
use kafka_lab::config::IsolationLevel;
use kafka_lab::config::PartitionerClass;
use kafka_lab::float::parse_f64;
use kafka_lab::ledger::Ledger;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::producer::accumulator::ProducerBatch;
use kafka_lab::scenario::Action;
use kafka_lab::serializer::{Serialized, Serializer};
use kafka_lab::sort::sort_by_u64_key;
use kafka_lab::Simulation;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

/// Playback speeds, from slow motion where one record at a time can be followed to
/// fast-forward: factor, English, Korean.
pub const SPEEDS: [(f64, &str, &str); 11] = [
    (0.001, "0.001×", "0.001×"),
    (0.005, "0.005×", "0.005×"),
    (0.01, "0.01×", "0.01×"),
    (0.05, "0.05×", "0.05×"),
    (0.1, "0.1×", "0.1×"),
    (0.25, "0.25×", "0.25×"),
    (1.0, "1× real time", "1× 실시간"),
    (5.0, "5×", "5×"),
    (20.0, "20×", "20×"),
    (50.0, "50×", "50×"),
    (100.0, "100×", "100×"),
];

pub enum Msg {
    Frame(f64),
    /// Re-render the HTML of a playing run, in a task of its own after the animation
    /// frame that asked for it (with that frame's timestamp).
    Html(f64),
    /// Idle work, a slice per task: free a replaced run, else snapshot the rest of this
    /// one (`Timeline::fill`).
    Fill,
    /// Replay the run rebuilt with new settings a slice further (`Catchup`).
    CatchUp,
    /// Run a seek that could not be done at once a slice further (`Goal`).
    SeekOn,
    TogglePlay,
    Step,
    /// Back to the moment before the last event (a replay from the nearest snapshot, exact).
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
    /// `prefers-reduced-motion: reduce` turned on or off.
    ReducedMotion(bool),
    /// Turn the narrated event list (an `aria-live` region) on or off.
    Narrate,
    /// Open or close the link to this exact state.
    Share,
    Copy(Shared),
    /// Follow the lesson with this id ("" leaves it).
    Lesson(String),
    /// A lesson's file arrived (or why it could not be fetched).
    LessonFetched {
        id: String,
        text: Result<String, LinkError>,
    },
    DismissLessonError,
    /// Next / previous: the lesson's steps while one is followed, else the run's events.
    PageNext,
    PagePrev,
    DismissLinkError,
    /// A scenario file's text arrived (or why it could not be read): from the file
    /// picker, or (`from_url`) fetched for `?scenario=<url>`.
    Open {
        name: String,
        text: Result<String, LinkError>,
        from_url: bool,
    },
    /// Download the run as a scenario file.
    SaveFile,
    /// From a slide: this state in the whole app, in a new tab.
    OpenFull,
    /// Back from a file to the panels' own workload.
    CloseFile,
}

/// What asked for a lesson being fetched: it decides what the lesson's arrival does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LessonFrom {
    /// The picker: the lesson's run from its first step; a failure keeps the run on screen.
    Picker,
    /// `?lesson=<id>`: the same; a failure is the link's, and the default run plays.
    Query,
    /// A link's state (`#s=…`) following the lesson: the run on screen is the link's
    /// already, the lesson adds its captions.
    Fragment,
}

/// What the share box offers to copy.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    Link,
    Embed,
}

/// Size of the iframe the embed snippet asks for: 16:9, as a slide.
const EMBED_SIZE: (u32, u32) = (960, 540);

/// Where keyboard focus goes once the page has rendered.
enum Focus {
    /// Into the inspector just opened, if opened from the keyboard (either way, the
    /// inspector is scrolled into view).
    Inspector,
    /// Back to the stage element that opened the inspector just closed.
    Opener(String),
}

pub struct App {
    workload: Rc<Workload>,
    /// The settings aside's callbacks, made once (see `ControlCallbacks`).
    callbacks: ControlCallbacks,
    sim: Simulation,
    /// Virtual time on screen, in fractional ms; the simulation has run to its floor.
    display_ms: f64,
    playing: bool,
    speed: f64,
    last_frame: Option<f64>,
    frame: Option<AnimationFrame>,
    canvas: NodeRef,
    error: Option<SettingError>,
    /// Which keys hash elsewhere since the user last changed the partition count; worked
    /// out once on the change, not on every frame.
    moved: Option<MovedKeys>,
    /// The batch in the inspector, as last seen while the producer held it.
    inspected: Option<ProducerBatch>,
    /// The replica in the inspector: (broker, partition), shown live.
    inspected_replica: Option<(u32, TopicPartition)>,
    inspected_broker: Option<u32>,
    /// A record, request or producer-state entry: its lifecycle, worked out from the
    /// trace each time it is drawn.
    inspected_life: Option<Inspect>,
    /// The delivery ledger, the frame time it was worked out at, and how many wall ms
    /// that took.
    ledger: Ledger,
    ledger_at: f64,
    ledger_cost: f64,
    /// The charts' series, read again when a metrics window closes or the run changes.
    charts: Rc<ChartData>,
    /// Where each Step ▸ started: (events processed, time on screen), so that ◂ Step
    /// returns to exactly that picture.
    history: Vec<(u64, f64)>,
    /// Snapshots of this run, for seeking and stepping back without a replay from t = 0.
    timeline: Timeline,
    /// A `Msg::Fill` task is queued.
    filling: bool,
    /// Runs replaced by others, freed one simulation per idle task, newest first: each
    /// then frees only what no older snapshot shares, so no task frees a whole run.
    retired: Vec<Simulation>,
    /// The run rebuilt with new settings, on its way to the moment on screen.
    catchup: Option<Catchup>,
    /// Where a seek is going that could not be done at once (a moment far ahead, not yet
    /// snapshotted): the run on screen gets there in `Msg::SeekOn` tasks, the page
    /// answering between them. It is shown when it gets there: a re-render on the way
    /// (the ledger and charts caught up to that moment) cost more than the slices.
    seek_to: Option<Goal>,
    /// A `Msg::SeekOn` task is queued (one chain at a time, whichever moment the seek is
    /// going to by the time it runs).
    seek_chained: bool,
    tasks: Tasks,
    /// Space plays or pauses, → steps, ← steps back, from anywhere but a form field
    /// (and a slide clicker's keys work the same way).
    _keys: Option<EventListener>,
    lang: Lang,
    /// `prefers-reduced-motion: reduce`, kept current by `_motion_query`.
    reduced_motion: bool,
    _motion_query: Option<EventListener>,
    /// The canvas's width in CSS pixels, as of the last re-render (a window resized
    /// while playing shows within one HTML re-render).
    canvas_width: f64,
    /// The canvas already shows this frame (painted before the HTML re-render, while
    /// the layout is clean): `rendered` need not paint it again.
    painted: bool,
    /// The frame being worked on, reported to `window.klFrameHook` once its HTML is
    /// rendered.
    frame_stats: Option<FrameStats>,
    /// Wall time of the last HTML re-render while playing, and how many ms it took.
    html_at: f64,
    html_cost: f64,
    narrator: Narrator,
    /// The stage element (a selector) that opened the inspector now open.
    opener: Option<String>,
    focus: Option<Focus>,
    /// The link to the state on screen and its iframe snippet, while the share box is
    /// open, and which was copied.
    share: Option<(String, String)>,
    copied: Option<Shared>,
    /// `?embed=1`: the stage and the transport only, to sit in a slide.
    embed: bool,
    /// The lesson followed: its run, its captions.
    lesson: Option<Lesson>,
    /// The lesson whose file is being fetched (its id), and what asked for it.
    fetching: Option<(String, LessonFrom)>,
    /// The lesson that could not be opened, and why.
    lesson_error: Option<(&'static lesson::Entry, LinkError)>,
    lesson_select: NodeRef,
    /// Where a lesson's "next" stops playing (virtual ms).
    stop_at: Option<f64>,
    /// The element a lesson step points at now (its id), and the last one brought into view.
    pointed: Option<String>,
    pointed_last: Option<String>,
    /// Why the link the page was opened with was refused (the default run shows instead).
    link_error: Option<LinkError>,
    /// The state last written to the address bar (`#s=…`).
    url_state: String,
}

/// The transport message a key stands for, unless typing in a form field.
fn key_message(e: &KeyboardEvent) -> Option<Msg> {
    let tag = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| el.tag_name());
    // Form fields use arrows and space themselves; a focused button (or a stage element
    // acting as one) uses space.
    let field = matches!(tag.as_deref(), Some("INPUT" | "SELECT" | "TEXTAREA"));
    let button = tag.as_deref() == Some("BUTTON")
        || e.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| el.get_attribute("role").as_deref() == Some("button"));
    if field || e.ctrl_key() || e.meta_key() || e.alt_key() {
        return None;
    }
    match e.key().as_str() {
        " " if !button => Some(Msg::TogglePlay),
        "ArrowRight" => Some(Msg::Step),
        "ArrowLeft" => Some(Msg::StepBack),
        // A slide clicker's buttons: the lesson's steps, or the run's.
        "PageDown" => Some(Msg::PageNext),
        "PageUp" => Some(Msg::PagePrev),
        "Escape" => Some(Msg::CloseInspector),
        _ => None,
    }
}

/// How often, in wall-clock ms, a playing app works out the ledger again.
const LEDGER_EVERY_MS: f64 = 250.0;
/// Most wall-clock ms a frame spends running the simulation.
const SIM_BUDGET_MS: f64 = 8.0;
/// Most wall-clock ms a settings change replays at once before the rest goes on in
/// `Msg::CatchUp` tasks (issue 8: no frame over 50 ms when an option is toggled). The
/// same task builds the run and re-renders the page, 6-20 ms more on a slow machine:
/// at 25 ms its frame came at 50 ms there.
const REPLAY_AT_ONCE_MS: f64 = 12.0;
/// Wall-clock ms of each `Msg::CatchUp` task: animation frames run between them.
const CATCHUP_SLICE_MS: f64 = 12.0;
/// Most wall-clock ms a seek runs at once before the rest goes on in `Msg::SeekOn`
/// tasks of `SEEK_SLICE_MS`: longer than a catch-up's, as nothing moves meanwhile (the
/// run is paused) and each frame between them costs a few ms.
const SEEK_AT_ONCE_MS: f64 = 50.0;
const SEEK_SLICE_MS: f64 = 25.0;
/// Wall-clock ms of each idle task that runs the timeline's scout ahead while the run
/// plays: short enough not to hold up an animation frame.
const FILL_SLICE_MS: f64 = 4.0;
/// The same while paused, when the slices follow each other: nothing moves, and the
/// fewer the tasks, the less each one's dispatch costs the fill (a click waits at most
/// this long).
const PAUSED_FILL_SLICE_MS: f64 = 12.0;

/// Where a seek goes.
#[derive(Clone, Copy)]
enum Goal {
    /// A moment: the scrubber's.
    At(f64),
    /// A link's exact picture: the run after `steps` events, shown at `t_ms`.
    Link { steps: u64, t_ms: f64 },
}

impl Goal {
    fn ms(self) -> f64 {
        match self {
            Goal::At(t) | Goal::Link { t_ms: t, .. } => t,
        }
    }
}

/// A run rebuilt with other settings (a producer's config is fixed at construction, so a
/// change is a new run), replayed towards the moment on screen in tasks of its own; the
/// run on screen stays, paused, until it gets there.
struct Catchup {
    workload: Workload,
    sim: Simulation,
    timeline: Timeline,
    target: u64,
}
/// While playing, the HTML (stage SVG, panels, clock) is re-rendered at most this often
/// in wall-clock ms, and less often where a re-render is slow (at most a fifth of the
/// time goes to it); the canvas, which carries the motion, is painted every frame.
const HTML_EVERY_MS: f64 = 50.0;

/// The page's clock in ms, to budget work per frame (never fed to the simulation).
/// Read after every millisecond of events a seek or replay runs: the `Performance`
/// object is looked up once, as each lookup (the window, its type, the getter) cost as
/// much again as the read.
fn wall_ms() -> f64 {
    thread_local! {
        static PERFORMANCE: Option<web_sys::Performance> =
            web_sys::window().and_then(|w| w.performance());
    }
    PERFORMANCE.with(|p| p.as_ref().map_or(0.0, |p| p.now()))
}

/// One animation frame's work, in wall-clock ms from its start.
#[derive(Clone, Copy)]
struct FrameStats {
    /// An HTML re-render between frames rather than an animation frame.
    html: bool,
    started: f64,
    /// When the simulation had caught up, and when the canvas was painted.
    simulated: f64,
    painted: f64,
    drawn: usize,
}

impl FrameStats {
    /// Hands the frame to `window.klFrameHook(workMs, drawn, simMs, paintMs, html)` when a
    /// page defines it: the frame benchmark (bench/frame.mjs) does, nothing else. Of a
    /// frame the rest of the work is the Yew update; of an HTML re-render (`html` = 1),
    /// all of it is (with now and then the ledger).
    fn report(self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let hook = js_sys::Reflect::get(&window, &JsValue::from_str("klFrameHook"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(hook) = hook {
            let args = [
                wall_ms() - self.started,
                self.drawn as f64,
                self.simulated - self.started,
                self.painted - self.simulated,
                if self.html { 1.0 } else { 0.0 },
            ];
            let args: js_sys::Array = args.iter().map(|&v| JsValue::from_f64(v)).collect();
            hook.apply(&JsValue::NULL, &args).ok();
        }
    }
}

/// The app's own tasks (a slice of the idle fill, of a catch-up), each run as soon as
/// the page is free, after any frame due: a message the window posts itself. A chained
/// `setTimeout(0)` is held back 4 ms once nested five deep, which left the machine idle
/// half the time between 4-ms fill slices. A message from elsewhere (a page embedding
/// this one) only runs the next task early: each message runs at most one, in order.
struct Tasks {
    queue: Rc<RefCell<VecDeque<Msg>>>,
    _listener: Option<EventListener>,
}

impl Tasks {
    fn new(ctx: &Context<App>) -> Tasks {
        let queue: Rc<RefCell<VecDeque<Msg>>> = Rc::default();
        let (link, pending) = (ctx.link().clone(), Rc::clone(&queue));
        let listener = web_sys::window().map(|window| {
            EventListener::new(&window, "message", move |_| {
                let msg = pending.borrow_mut().pop_front();
                if let Some(msg) = msg {
                    link.send_message(msg);
                }
            })
        });
        Tasks {
            queue,
            _listener: listener,
        }
    }

    fn send(&self, msg: Msg) {
        self.queue.borrow_mut().push_back(msg);
        if let Some(window) = web_sys::window() {
            let _ = window.post_message(&JsValue::NULL, "*");
        }
    }
}

/// `prefers-reduced-motion: reduce`, if the browser can tell.
fn reduced_motion_query() -> Option<web_sys::MediaQueryList> {
    web_sys::window()?
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
}

/// Records each consumer keeps for the stage and the inspector (a few MB).
const CONSUMED_KEPT: usize = 1 << 16;

fn build(workload: &Workload) -> Result<Simulation, SettingError> {
    let mut sim = Simulation::new(&workload.scenario()).map_err(|errors| {
        SettingError::Kafka(
            errors
                .iter()
                .map(|e| format!("{}: {}", e.path, e.message))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    // For the lifecycle inspector.
    sim.record_recent_trace(crate::lifecycle::TRACE_KEPT);
    // A class may leave a run playing for an hour: memory stays bounded (with retention).
    sim.bound_history(CONSUMED_KEPT);
    Ok(sim)
}

/// The stage element that opens `what` in the inspector, to return focus to (records,
/// requests and producer-state rows are opened from places that change as the run moves:
/// focus then stays where the page puts it).
fn opener_selector(what: Inspect) -> Option<String> {
    match what {
        Inspect::Batch(id) => Some(format!(".batch[data-batch=\"{id}\"]")),
        Inspect::Replica(b, tp) => Some(format!(
            ".broker[data-broker=\"{b}\"] .log[data-partition=\"{}\"]",
            tp.partition
        )),
        Inspect::Broker(b) => Some(format!(".broker[data-broker=\"{b}\"] .broker-head")),
        Inspect::Record { .. } | Inspect::Request { .. } | Inspect::ProducerState { .. } => None,
    }
}

/// The workload's keys whose partition the key's hash decides: none when the partitioner
/// ignores keys (RoundRobinPartitioner, UniformStickyPartitioner, partitioner.ignore.keys),
/// and not those a custom partitioner's rule pins.
fn hashed_keys(workload: &Workload, sim: &Simulation) -> Vec<Serialized> {
    let Some(p) = sim.producers().first() else {
        return Vec::new();
    };
    let keys = workload.serialized_keys();
    if p.config.partitioner_ignore_keys {
        return Vec::new();
    }
    match p.partitioner.as_ref().map(|x| x.class()) {
        Some(PartitionerClass::RoundRobin | PartitionerClass::UniformSticky) => Vec::new(),
        Some(PartitionerClass::Custom) => {
            let rules = seed_custom_partitioner().rules;
            keys.into_iter()
                .filter(|k| !rules.iter().any(|r| r.matches(&k.text())))
                .collect()
        }
        Some(PartitionerClass::Default) | None => keys,
    }
}

/// Which of the workload's keys hash elsewhere after the partition count changed.
fn moved_view(m: &MovedKeys, lang: Lang) -> Html {
    let (old, new, moved, total) = (m.old, m.new, m.moved.len(), m.total);
    html! {
        <li id="moved-keys">
            { match lang {
                Lang::En => format!("{old} → {new} partitions: {moved} of {total} keys now go elsewhere (h % {old} ≠ h % {new}); records already written stay put."),
                Lang::Ko => format!("파티션 {old} → {new}개: 키 {total}개 중 {moved}개가 이제 다른 파티션으로 감 (h % {old} ≠ h % {new}). 이미 기록된 레코드는 그대로라 같은 키의 순서 보장이 깨질 수 있음."),
            } }
            if !m.moved.is_empty() {
                <br/><span class="mono small">{ m.moved.iter().take(6).map(|(k, a, b)| format!("{k}: {a}→{b}")).collect::<Vec<_>>().join(" · ") }
                { if m.moved.len() > 6 { " …" } else { "" } }</span>
            }
        </li>
    }
}

impl App {
    /// No event is left in the run before its end: Step ▸ has nothing to process.
    fn ended(&self) -> bool {
        self.sim
            .next_event_at()
            .is_none_or(|t| t > self.sim.until_ms())
    }

    /// Queues a `Msg::Fill` task unless one is queued or there is no idle work left (the
    /// timeline complete, no replaced run to free).
    fn schedule_fill(&mut self) {
        if self.filling || (self.timeline.filled() && self.retired.is_empty()) {
            return;
        }
        self.filling = true;
        self.tasks.send(Msg::Fill);
    }

    fn schedule_frame(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self.frame = Some(request_animation_frame(move |ts| {
            link.send_message(Msg::Frame(ts))
        }));
    }

    /// Moves keyboard focus after an inspector opened or closed: into an inspector opened
    /// from the keyboard (a mouse click leaves focus where it is), and back to the stage
    /// element that opened it once it closes, if focus was inside it.
    fn move_focus(&mut self) {
        let Some(focus) = self.focus.take() else {
            return;
        };
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        // Wherever it was opened from, an inspector is brought on screen: at 1280×720 it
        // renders below the stage, where a click would otherwise seem to do nothing.
        if matches!(focus, Focus::Inspector) {
            if let Some(inspector) = document.query_selector(".inspector").ok().flatten() {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                options.set_behavior(if self.reduced_motion {
                    web_sys::ScrollBehavior::Instant
                } else {
                    web_sys::ScrollBehavior::Smooth
                });
                inspector.scroll_into_view_with_scroll_into_view_options(&options);
            }
        }
        let active = document.active_element();
        let target = match focus {
            Focus::Inspector => active
                .filter(|a| a.matches(":focus-visible").unwrap_or(false))
                .and_then(|_| document.query_selector(".inspector").ok().flatten()),
            Focus::Opener(selector) => active
                .is_none_or(|a| {
                    a.tag_name() == "BODY" || a.closest(".inspector").ok().flatten().is_some()
                })
                .then(|| document.query_selector(&selector).ok().flatten())
                .flatten(),
        };
        if let Some(el) = target {
            if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
                let _ = el.focus();
            } else if let Some(el) = el.dyn_ref::<web_sys::SvgElement>() {
                let _ = el.focus();
            }
        }
    }

    fn view_state(&self) -> View {
        View {
            t_ms: self.display_ms,
            steps: self.sim.steps(),
            speed: self.speed,
            lang: self.lang,
            // A link's lesson still on its way is part of the state on screen.
            lesson: match (&self.lesson, &self.fetching) {
                (Some(l), _) => Some(l.id.clone()),
                (None, Some((id, LessonFrom::Fragment))) => Some(id.clone()),
                _ => None,
            },
        }
    }

    /// The page's address with the state on screen in its fragment, for the whole app
    /// or (`embed`) for a slide.
    fn link(&self, embed: bool) -> String {
        let state = share::encode(&self.workload, self.view_state());
        let location = web_sys::window().map(|w| w.location());
        let part = |f: fn(&web_sys::Location) -> Result<String, JsValue>| {
            location
                .as_ref()
                .and_then(|l| f(l).ok())
                .unwrap_or_default()
        };
        let (origin, path, search) = (
            part(|l| l.origin()),
            part(|l| l.pathname()),
            part(|l| l.search()),
        );
        // The query without embed=1, then with it if asked for.
        let mut params: Vec<&str> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty() && *p != EMBED_PARAM)
            .collect();
        if embed {
            params.push(EMBED_PARAM);
        }
        let query = if params.is_empty() {
            String::new()
        } else {
            format!("?{}", params.join("&"))
        };
        format!("{origin}{path}{query}#{}{state}", share::KEY)
    }

    /// Whether a step of the lesson followed points at the element `id`.
    fn lesson_points_at(&self, id: &str) -> bool {
        self.lesson
            .as_ref()
            .is_some_and(|l| l.steps.iter().any(|s| s.target == id))
    }

    /// The lesson the picker shows: the one on its way, else the one followed.
    fn picked(&self) -> Option<&str> {
        match (&self.fetching, &self.lesson) {
            (Some((id, _)), _) => Some(id),
            (None, l) => l.as_ref().map(|l| l.id.as_str()),
        }
    }

    /// Fetches a lesson's file; `Msg::LessonFetched` opens it as `from` says.
    fn fetch_lesson(&mut self, ctx: &Context<Self>, entry: &lesson::Entry, from: LessonFrom) {
        self.fetching = Some((entry.id.to_string(), from));
        self.lesson_error = None;
        let (link, id, url) = (ctx.link().clone(), entry.id.to_string(), entry.url());
        wasm_bindgen_futures::spawn_local(async move {
            let text = fetch_text(&url).await;
            link.send_message(Msg::LessonFetched { id, text });
        });
    }

    /// The run no longer follows a lesson's script, nor will the one on its way.
    fn leave_lesson(&mut self) {
        self.lesson = None;
        self.fetching = None;
    }

    /// The lesson's step on screen: where it is in the script, what it says, and the way
    /// on (next plays to the next step's moment; back returns to the previous one).
    fn lesson_caption(&self, link: &yew::html::Scope<Self>) -> Html {
        let lang = self.lang;
        let error = self.lesson_error.as_ref().map(|(entry, e)| {
            let title = format!("§{} {}", entry.chapter, entry.title(lang));
            let why = e.text(lang);
            html! {
                <p class="error" role="alert" id="lesson-error">
                    { match lang {
                        Lang::En => format!("The lesson {title} could not be opened: {why}"),
                        Lang::Ko => format!("수업 {title}을(를) 열 수 없음: {why}"),
                    } }
                    <button class="dismiss" onclick={link.callback(|_| Msg::DismissLessonError)}
                        aria-label={lang.pick("dismiss", "닫기")}>{ "×" }</button>
                </p>
            }
        });
        let Some(lesson) = &self.lesson else {
            return html! { { for error } };
        };
        let i = lesson.step_at(self.display_ms);
        let step = &lesson.steps[i];
        let n = lesson.steps.len();
        let has_next = lesson.next_after(self.display_ms).is_some();
        let has_prev = lesson.previous_before(self.display_ms).is_some();
        html! {
            <>
            { for error }
            <section class="lesson-caption" id="lesson-caption" aria-label={lang.pick("lesson", "수업")}
                data-lesson={lesson.id.clone()} data-step={i.to_string()} data-target={step.target.clone()}>
                <div class="lesson-head">
                    <strong>{ format!("§{} {}", lesson.chapter, lesson.title.get(lang)) }</strong>
                    <span class="small muted" id="lesson-progress">{ match lang {
                        Lang::En => format!("step {} of {n}", i + 1),
                        Lang::Ko => format!("{n}단계 중 {}단계", i + 1),
                    } }</span>
                    <button id="lesson-prev" disabled={!has_prev} onclick={link.callback(|_| Msg::PagePrev)}
                        title={lang.pick("previous step (PageUp)", "이전 단계 (PageUp)")}>{ lang.pick("◂ back", "◂ 이전") }</button>
                    <button id="lesson-next" disabled={!has_next} onclick={link.callback(|_| Msg::PageNext)}
                        title={lang.pick("play to the next step (PageDown)", "다음 단계까지 재생 (PageDown)")}>{ lang.pick("next ▸", "다음 ▸") }</button>
                    <button id="lesson-close" class="dismiss" onclick={link.callback(|_| Msg::Lesson(String::new()))}
                        aria-label={lang.pick("leave the lesson", "수업 나가기")}>{ "×" }</button>
                </div>
                <p id="lesson-text" aria-live="polite">{ step.text.get(lang) }</p>
            </section>
            </>
        }
    }

    /// Marks the element the lesson's step points at (and unmarks the last one): a class
    /// on an element the stage renders anyway, so the view stays free of lesson logic.
    fn point(&mut self) {
        let target = self
            .lesson
            .as_ref()
            .map(|l| l.steps[l.step_at(self.display_ms)].target.clone());
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        // Re-applied after every render: a re-rendered element keeps its classes only if
        // Yew did not replace it.
        if let Some(old) = self
            .pointed
            .take()
            .filter(|old| Some(old) != target.as_ref())
        {
            if let Some(el) = document.get_element_by_id(&old) {
                let _ = el.class_list().remove_1(POINTED);
            }
        }
        if let Some(id) = target {
            if let Some(el) = document.get_element_by_id(&id) {
                let _ = el.class_list().add_1(POINTED);
                // A step pointing below the fold brings its element into view, once.
                if self.pointed_last.as_deref() != Some(id.as_str()) {
                    let options = web_sys::ScrollIntoViewOptions::new();
                    options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                    el.scroll_into_view_with_scroll_into_view_options(&options);
                }
            }
            self.pointed_last = Some(id.clone());
            self.pointed = Some(id);
        }
    }

    /// One thing to copy in the share box: what it is, the text, and a copy button.
    fn share_row(
        &self,
        link: &yew::html::Scope<Self>,
        what: Shared,
        text: &str,
        label: &str,
    ) -> Html {
        let lang = self.lang;
        let id = match what {
            Shared::Link => "share-link",
            Shared::Embed => "embed-code",
        };
        html! {
            <div class="share-row">
                <label for={id}>{ label.to_string() }</label>
                <input id={id} class="mono" readonly=true value={text.to_string()}
                    onfocus={Callback::from(|e: FocusEvent| {
                        let input: HtmlInputElement = e.target_unchecked_into();
                        input.select();
                    })}/>
                <button id={format!("copy-{id}")} onclick={link.callback(move |_| Msg::Copy(what))}>
                    { if self.copied == Some(what) { lang.pick("copied ✓", "복사됨 ✓") } else { lang.pick("copy", "복사") } }
                </button>
            </div>
        }
    }

    /// Keeps the address bar on the state on screen whenever the run is still (not
    /// while playing: the moment changes every frame), so that the URL itself is the link.
    fn sync_url(&mut self) {
        if self.playing || self.link_error.is_some() {
            return;
        }
        let state = share::encode(&self.workload, self.view_state());
        if state == self.url_state {
            return;
        }
        let history = web_sys::window().and_then(|w| w.history().ok());
        if let Some(history) = history {
            let url = format!("#{}{state}", share::KEY);
            if history
                .replace_state_with_url(&JsValue::NULL, "", Some(&url))
                .is_ok()
            {
                self.url_state = state;
            }
        }
    }

    /// Trail length in virtual ms: about a quarter second on screen at any speed.
    fn trail_ms(&self) -> f64 {
        (250.0 * self.speed).max(0.5)
    }

    /// Paints the canvas at the moment on screen; returns the records drawn.
    fn paint(&self) -> usize {
        let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() else {
            return 0;
        };
        let width = self.canvas_width;
        if width <= 0.0 {
            return 0;
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
            return 0;
        };
        let motion = Motion {
            trail_ms: self.trail_ms(),
            reduced: self.reduced_motion,
        };
        paint(
            &ctx,
            &self.sim,
            self.display_ms,
            motion,
            pw as f64 / crate::layout::WIDTH,
        )
    }

    /// Runs the simulation towards `target` (virtual ms) for at most `SIM_BUDGET_MS` of
    /// wall time, a whole millisecond of events at a time; returns the moment reached.
    /// At fast-forward on a busy workload the picture slows down instead of the page.
    fn advance(&mut self, target: f64) -> f64 {
        let deadline = wall_ms() + SIM_BUDGET_MS;
        while let Some(at) = self.sim.next_event_at().filter(|&at| at as f64 <= target) {
            self.sim.run_until(at);
            self.timeline.note(&self.sim);
            if wall_ms() > deadline {
                return (at as f64).max(self.display_ms);
            }
        }
        self.sim.run_until(target.floor() as u64);
        target
    }

    /// Rebuilds the run with `workload` and replays it to the moment on screen; an invalid
    /// workload keeps the last good one and says why.
    fn replay(&mut self, workload: Workload) {
        match build(&workload) {
            Ok(sim) => self.rebuild(workload, sim),
            Err(e) => self.error = Some(e),
        }
    }

    /// Replays `sim`, the run of `workload`, to the moment on screen: at once if that
    /// takes at most `REPLAY_AT_ONCE_MS`, else on in `Msg::CatchUp` tasks.
    fn rebuild(&mut self, workload: Workload, mut sim: Simulation) {
        let mut timeline = Timeline::new(&sim);
        let target = self.display_ms.floor() as u64;
        let deadline = wall_ms() + REPLAY_AT_ONCE_MS;
        if timeline.run_until_or(&mut sim, target, || wall_ms() > deadline) {
            self.settle(workload, sim, timeline);
        } else {
            self.catchup = Some(Catchup {
                workload,
                sim,
                timeline,
                target,
            });
            self.tasks.send(Msg::CatchUp);
        }
    }

    /// Runs the pending seek on until `stop()`; true once it is at its moment.
    fn seek_on(&mut self, stop: impl FnMut() -> bool) -> bool {
        let Some(goal) = self.seek_to else {
            return true;
        };
        let there = match goal {
            Goal::At(t) => self
                .timeline
                .run_until_or(&mut self.sim, t.floor() as u64, stop),
            Goal::Link { steps, .. } => self.timeline.step_until_or(&mut self.sim, steps, stop),
        };
        if there {
            self.seek_to = None;
            if let Goal::Link { t_ms, .. } = goal {
                self.sim.sample_until(t_ms.floor() as u64);
            }
            self.display_ms = goal.ms();
        }
        there
    }

    /// Runs the pending seek for up to `SEEK_AT_ONCE_MS`; the rest goes on in
    /// `Msg::SeekOn` tasks, the picture where the run has got to meanwhile.
    fn seek_at_once(&mut self) {
        let deadline = wall_ms() + SEEK_AT_ONCE_MS;
        if !self.seek_on(|| wall_ms() > deadline) {
            self.seek_later();
            self.display_ms = self.sim.now() as f64;
        }
    }

    /// Queues the seek's next slice, unless one is queued already.
    fn seek_later(&mut self) {
        if !self.seek_chained {
            self.seek_chained = true;
            self.tasks.send(Msg::SeekOn);
        }
    }

    /// Replays the pending rebuilt run to its moment now (before anything else acts on
    /// the run).
    fn finish_catchup(&mut self) {
        if let Some(mut c) = self.catchup.take() {
            c.timeline.run_until(&mut c.sim, c.target);
            self.settle(c.workload, c.sim, c.timeline);
        }
    }

    /// Queues a replaced run (its simulation and snapshots) to be freed in idle tasks:
    /// freeing a long run at once takes hundreds of ms.
    fn retire(&mut self, sim: Simulation, timeline: Timeline) {
        let mut sims = timeline.into_simulations();
        sims.push(sim);
        // Popped from the end: the newest go first.
        sort_by_u64_key(&mut sims, Simulation::steps);
        self.retired.splice(0..0, sims);
    }

    /// The rebuilt run, at the moment on screen, takes the place of the old one.
    fn settle(&mut self, workload: Workload, sim: Simulation, timeline: Timeline) {
        let old = if workload.partitions != self.workload.partitions {
            Some(self.workload.partitions)
        } else {
            self.moved.as_ref().map(|m| m.old)
        };
        let hashed = hashed_keys(&workload, &sim);
        self.moved = old
            .filter(|&o| o != workload.partitions && !hashed.is_empty())
            .map(|o| moved_keys(&hashed, o, workload.partitions));
        self.history.clear();
        let old = std::mem::replace(&mut self.sim, sim);
        let old_timeline = std::mem::replace(&mut self.timeline, timeline);
        self.retire(old, old_timeline);
        self.workload = Rc::new(workload);
        self.error = None;
        // Batch ids of the replay name other batches once settings differ.
        self.inspected = None;
    }

    /// Another run altogether (a file opened or closed): paused at its start, nothing
    /// inspected, no lesson.
    fn start_over(&mut self, workload: Workload, sim: Simulation) {
        let timeline = Timeline::new(&sim);
        let old = std::mem::replace(&mut self.sim, sim);
        let old_timeline = std::mem::replace(&mut self.timeline, timeline);
        self.retire(old, old_timeline);
        self.seek_to = None;
        if let Some(c) = self.catchup.take() {
            self.retire(c.sim, c.timeline);
        }
        self.workload = Rc::new(workload);
        self.display_ms = 0.0;
        self.playing = false;
        self.leave_lesson();
        self.stop_at = None;
        self.history.clear();
        self.moved = None;
        self.inspected = None;
        self.inspected_replica = None;
        self.inspected_broker = None;
        self.inspected_life = None;
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
        // Whatever acts on the run acts on it where a seek is going, and on the rebuilt
        // one, at its moment. A run about to be replaced is not run on first: the seek is
        // dropped with it, and goes on if it stays (a file or lesson that cannot open).
        if !matches!(
            msg,
            Msg::Frame(_)
                | Msg::Html(_)
                | Msg::Fill
                | Msg::CatchUp
                | Msg::SeekOn
                | Msg::Seek(_)
                | Msg::Restart
                | Msg::CloseFile
                | Msg::Lesson(_)
                | Msg::LessonFetched { .. }
                | Msg::Open {
                    from_url: false,
                    ..
                }
        ) {
            self.seek_on(|| false);
        }
        if !matches!(
            msg,
            Msg::Frame(_) | Msg::Html(_) | Msg::Fill | Msg::CatchUp | Msg::SeekOn | Msg::Set(_)
        ) {
            self.finish_catchup();
        }
        if let Msg::Inspect(what) = &msg {
            self.opener = opener_selector(*what);
            self.focus = Some(Focus::Inspector);
        }
        match msg {
            Msg::Inspect(Inspect::Batch(id)) => {
                self.inspected_life = None;
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
                self.inspected_life = None;
                self.inspected = None;
                self.inspected_broker = None;
                self.inspected_replica = Some((broker, tp));
                true
            }
            Msg::Inspect(Inspect::Broker(broker)) => {
                self.inspected_life = None;
                self.inspected = None;
                self.inspected_replica = None;
                self.inspected_broker = Some(broker);
                true
            }
            Msg::Inspect(target) => {
                self.inspected = None;
                self.inspected_replica = None;
                self.inspected_broker = None;
                self.inspected_life = Some(target);
                true
            }
            Msg::CloseInspector => {
                let open = self.inspected.is_some()
                    || self.inspected_replica.is_some()
                    || self.inspected_broker.is_some()
                    || self.inspected_life.is_some();
                self.inspected_life = None;
                self.inspected = None;
                self.inspected_replica = None;
                self.inspected_broker = None;
                self.focus = self.opener.take().filter(|_| open).map(Focus::Opener);
                open
            }
            Msg::Share => {
                self.share = match self.share {
                    Some(_) => None,
                    None => {
                        let (w, h) = EMBED_SIZE;
                        let snippet = format!(
                            "<iframe src=\"{}\" width=\"{w}\" height=\"{h}\" style=\"border:0\" title=\"Kafka Lab\" loading=\"lazy\"></iframe>",
                            self.link(true)
                        );
                        Some((self.link(false), snippet))
                    }
                };
                self.copied = None;
                true
            }
            Msg::Copy(what) => {
                if let Some((link, snippet)) = &self.share {
                    let text = if what == Shared::Link { link } else { snippet };
                    self.copied = copy_to_clipboard(text).then_some(what);
                }
                true
            }
            Msg::DismissLinkError => {
                self.link_error = None;
                true
            }
            Msg::Open {
                name,
                text,
                from_url,
            } => {
                let file_error = |problems: Vec<LinkError>| SettingError::File {
                    name: name.clone(),
                    problems,
                };
                let opened = text
                    .map_err(|why| file_error(vec![why]))
                    .and_then(|text| Workload::from_file(&name, &text))
                    .and_then(|w| {
                        // Kafka's rules, path by path, as for the file in the CLI.
                        let sim = build(&w).map_err(|e| match e {
                            SettingError::Kafka(m) => file_error(
                                m.lines()
                                    .map(|l| refuse("", Reason::Verbatim(l.into())))
                                    .collect(),
                            ),
                            e => e,
                        })?;
                        Ok((w, sim))
                    });
                match opened {
                    Ok((workload, sim)) => {
                        self.start_over(workload, sim);
                        self.error = None;
                    }
                    Err(e) if from_url => {
                        self.link_error = Some(LinkError {
                            field: "scenario".into(),
                            ..share::link_error(e)
                        });
                        // The default run plays instead, as for any link that cannot open.
                        self.playing = true;
                        self.schedule_frame(ctx);
                    }
                    Err(e) => self.error = Some(e),
                }
                true
            }
            Msg::SaveFile => {
                let name = match (&self.workload.file, &self.lesson) {
                    (Some(f), _) => f.name.clone(),
                    (None, Some(l)) => format!("{}.json", l.id),
                    (None, None) => "kafka-lab-scenario.json".into(),
                };
                download(&name, &self.workload.scenario().to_json_pretty());
                false
            }
            Msg::OpenFull => {
                if let Some(window) = web_sys::window() {
                    let _ = window.open_with_url_and_target(&self.link(false), "_blank");
                }
                false
            }
            Msg::CloseFile => {
                let workload = Workload::default();
                match build(&workload) {
                    Ok(sim) => self.start_over(workload, sim),
                    Err(e) => self.error = Some(e),
                }
                true
            }
            Msg::Lesson(id) => {
                self.stop_at = None;
                match lesson::find(&id) {
                    Some(entry) => self.fetch_lesson(ctx, entry, LessonFrom::Picker),
                    None => self.leave_lesson(),
                }
                true
            }
            Msg::LessonFetched { id, text } => {
                // A later pick, or a change of the run meanwhile, superseded this one.
                let Some((_, from)) = self.fetching.take_if(|(f, _)| *f == id) else {
                    return false;
                };
                // A lesson file is input like a link: checked the same way.
                let opened = text.and_then(|text| {
                    let lesson = lesson::parse(&text)?;
                    if lesson.id != id {
                        return Err(refuse("id", Reason::Id(lesson.id, id.clone())));
                    }
                    let run = match from {
                        LessonFrom::Fragment => None,
                        LessonFrom::Picker | LessonFrom::Query => {
                            let w = lesson.workload()?;
                            let sim = build(&w).map_err(share::link_error)?;
                            Some((w, sim))
                        }
                    };
                    Ok((lesson, run))
                });
                match opened {
                    Ok((lesson, run)) => {
                        if let Some((workload, sim)) = run {
                            self.seek_to = None;
                            self.display_ms = 0.0;
                            self.playing = false;
                            self.rebuild(workload, sim);
                            self.moved = None;
                        }
                        self.lesson = Some(lesson);
                    }
                    Err(e) if from == LessonFrom::Query => {
                        self.seek_on(|| false);
                        self.link_error = Some(LinkError {
                            field: format!("lesson: {}", e.field),
                            ..e
                        });
                        // The default run plays instead, as for any link that cannot open.
                        self.playing = true;
                        self.schedule_frame(ctx);
                    }
                    Err(e) => {
                        self.lesson_error = lesson::find(&id).map(|entry| (entry, e));
                    }
                }
                true
            }
            Msg::DismissLessonError => {
                self.lesson_error = None;
                true
            }
            Msg::PageNext => match &self.lesson {
                Some(lesson) => {
                    if let Some(step) = lesson.next_after(self.display_ms) {
                        self.history.clear();
                        self.stop_at = Some(step.at_ms as f64);
                        if let Some(speed) = step.speed {
                            self.speed = speed;
                        }
                        self.playing = true;
                        self.last_frame = None;
                        self.schedule_frame(ctx);
                    }
                    true
                }
                None => self.apply(ctx, Msg::Step),
            },
            Msg::PagePrev => match &self.lesson {
                Some(lesson) => match lesson.previous_before(self.display_ms) {
                    Some(at) => {
                        self.stop_at = None;
                        self.apply(ctx, Msg::Seek(at.to_string()))
                    }
                    None => false,
                },
                None => self.apply(ctx, Msg::StepBack),
            },
            Msg::Narrate => {
                self.narrator.toggle(&self.sim);
                true
            }
            Msg::Fault(kind, broker) => {
                // The run no longer follows the lesson's script.
                self.leave_lesson();
                let mut workload = (*self.workload).clone();
                workload.faults.push(Fault {
                    at_ms: self.display_ms.floor() as u64,
                    kind,
                    broker,
                });
                self.replay(workload);
                true
            }
            Msg::ReducedMotion(reduced) => {
                self.reduced_motion = reduced;
                true
            }
            Msg::Lang(lang) => {
                lang.save();
                self.lang = lang;
                true
            }
            Msg::ClearFaults => {
                self.leave_lesson();
                let mut workload = (*self.workload).clone();
                workload.faults.clear();
                self.replay(workload);
                true
            }
            Msg::Txn(kind) => {
                self.leave_lesson();
                let mut workload = (*self.workload).clone();
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
                    sort_by_u64_key(steps, |s| s.at_ms);
                }
                self.replay(workload);
                true
            }
            Msg::Frame(ts) => {
                self.frame = None;
                // The picture waits for the rebuilt run (which schedules the next frame).
                if !self.playing || self.catchup.is_some() {
                    self.last_frame = None;
                    return false;
                }
                let started = wall_ms();
                // Long pauses (a hidden tab) do not turn into a jump.
                let dt = self
                    .last_frame
                    .map_or(0.0, |last| within(ts - last, 0.0, 100.0));
                self.last_frame = Some(ts);
                // A lesson's "next" plays to its step's moment and stops exactly there.
                let end = (self.sim.until_ms() as f64).min(self.stop_at.unwrap_or(f64::INFINITY));
                self.display_ms = self.advance((self.display_ms + dt * self.speed).min(end));
                let simulated = wall_ms();
                if self.display_ms >= end {
                    self.playing = false;
                    self.stop_at = None;
                } else {
                    self.schedule_frame(ctx);
                }
                // The canvas carries the motion: painted now, before the HTML changes
                // (reading its size then costs no layout). The HTML follows at its own
                // pace, and when the run stops.
                let drawn = self.paint();
                self.painted = true;
                let stats = FrameStats {
                    html: false,
                    started,
                    simulated,
                    painted: wall_ms(),
                    drawn,
                };
                stats.report();
                if !self.playing {
                    return true;
                }
                // While playing, the HTML re-renders in a task after this frame: the frame
                // stays short (simulation and canvas), and the diff runs between frames
                // (only its style and layout land in the next one).
                let every = HTML_EVERY_MS.max(5.0 * self.html_cost);
                if ts - self.html_at >= every {
                    self.html_at = ts;
                    let link = ctx.link().clone();
                    let task = wasm_bindgen::closure::Closure::once_into_js(move || {
                        link.send_message(Msg::Html(ts))
                    });
                    if let Some(window) = web_sys::window() {
                        let _ = window.set_timeout_with_callback(task.unchecked_ref());
                    }
                }
                false
            }
            // Handled in `update`: it changes nothing on screen.
            Msg::Fill => false,
            Msg::Html(_) => {
                // The canvas is painted again too: another message handled with this one
                // (a seek, a step) may have moved the run since the frame painted it.
                let now = wall_ms();
                self.frame_stats = Some(FrameStats {
                    html: true,
                    started: now,
                    simulated: now,
                    painted: now,
                    drawn: 0,
                });
                true
            }
            Msg::TogglePlay => {
                self.history.clear();
                self.stop_at = None;
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
                // At the end nothing is left to step to (the button says so): no history
                // entry for ◂ Step to undo.
                if self.ended() {
                    return false;
                }
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
                let (steps, shown) = match self.history.pop() {
                    Some((steps, shown)) => (steps, Some(shown)),
                    None => (self.timeline.previous_event(&self.sim), None),
                };
                let mut sim = self.timeline.at_steps(steps);
                self.display_ms = shown.unwrap_or(sim.now() as f64);
                sim.sample_until(self.display_ms.floor() as u64);
                self.sim = sim;
                true
            }
            Msg::Seek(raw) => {
                let Some(t) = parse_f64(&raw) else {
                    return false;
                };
                let t = within(t, 0.0, self.sim.until_ms() as f64);
                self.playing = false;
                self.history.clear();
                self.seek_to = Some(Goal::At(t));
                self.timeline.start_seek(&mut self.sim, t.floor() as u64);
                self.seek_at_once();
                true
            }
            // `update` ran the last slice: the run is at its moment.
            Msg::SeekOn => true,
            Msg::Restart => {
                self.history.clear();
                self.stop_at = None;
                if let Ok(sim) = build(&self.workload) {
                    self.sim = sim;
                    self.seek_to = None;
                    self.display_ms = 0.0;
                    self.inspected = None;
                }
                true
            }
            Msg::Speed(raw) => {
                if let Some(s) = parse_f64(&raw) {
                    if SPEEDS.iter().any(|(v, _, _)| *v == s) {
                        self.speed = s;
                    }
                }
                true
            }
            Msg::Set(setting) => {
                // A producer's config is fixed at construction: replay the run from t=0
                // with the new settings up to the moment on screen. A change made while
                // the last one still replays applies to its settings.
                let base = match self.catchup.take() {
                    Some(c) => {
                        self.retire(c.sim, c.timeline);
                        c.workload
                    }
                    None => (*self.workload).clone(),
                };
                match base
                    .with(&setting)
                    .and_then(|w| build(&w).map(|sim| (w, sim)))
                {
                    Ok((workload, sim)) => {
                        // The run no longer follows the lesson's script.
                        self.leave_lesson();
                        self.stop_at = None;
                        self.rebuild(workload, sim);
                    }
                    Err(e) => self.error = Some(e),
                }
                true
            }
            // `update` ran the last slice: the rebuilt run is at its moment.
            Msg::CatchUp => {
                self.finish_catchup();
                if self.playing {
                    self.last_frame = None;
                    self.schedule_frame(ctx);
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
        // A link opens paused at its moment, with its settings, speed and language; a
        // link that cannot be read (or whose settings Kafka refuses) says why, and the
        // default run plays.
        let from_link = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .and_then(|h| share::from_fragment(&h).map(share::decode))
            .map(|decoded| {
                decoded.and_then(|(w, view)| {
                    if let Some(id) = view.lesson.as_ref().filter(|id| lesson::find(id).is_none()) {
                        return Err(refuse("lesson", Reason::NoLesson(id.clone())));
                    }
                    build(&w)
                        .map(|sim| (w, sim, view))
                        .map_err(share::link_error)
                })
            });
        // `?lesson=<id>`, a readable address for a lesson at its first step (a slide deck
        // links lessons this way); a full state in the fragment wins.
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        // `?scenario=<url>`: a scenario file of this site, fetched, then opened paused at
        // its start (the default run waits meanwhile).
        let scenario_url = query_param(&search, "scenario")
            .filter(|_| from_link.is_none())
            .map(|url| {
                js_sys::decode_uri_component(url)
                    .ok()
                    .and_then(|u| u.as_string())
                    .unwrap_or_else(|| url.to_string())
            });
        if let Some(url) = scenario_url.clone() {
            let link = ctx.link().clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = url.rsplit('/').next().unwrap_or(&url).to_string();
                let text = fetch_text(&url).await;
                link.send_message(Msg::Open {
                    name,
                    text,
                    from_url: true,
                });
            });
        }
        // A known lesson opens once its file is here (the default run waits meanwhile).
        let query_lesson = query_param(&search, "lesson")
            .filter(|_| from_link.is_none() && scenario_url.is_none());
        let from_link = from_link.or_else(|| {
            let id = query_lesson.filter(|id| lesson::find(id).is_none())?;
            Some(Err(refuse("lesson", Reason::NoLesson(id.into()))))
        });
        let query_lesson = query_lesson.and_then(lesson::find);
        let (workload, sim, timeline, view, link_error) = match from_link {
            Some(Ok((w, sim, view))) => {
                let timeline = Timeline::new(&sim);
                (w, sim, timeline, Some(view), None)
            }
            other => {
                let w = Workload::default();
                // Not `expect`: that would print the error with `Debug`, whose machinery
                // the bundle otherwise does without (tests build the default workload).
                let Ok(sim) = build(&w) else {
                    unreachable!("the default workload is valid")
                };
                let timeline = Timeline::new(&sim);
                (w, sim, timeline, None, other.and_then(Result::err))
            }
        };
        let lang = match &view {
            Some(v) => v.lang,
            // `&lang=ko` with any readable address (a lesson, `?embed=1`, `?scenario=`).
            None => query_param(&search, "lang")
                .and_then(Lang::parse)
                .unwrap_or_else(Lang::load),
        };
        let fetch = match view.as_ref().and_then(|v| v.lesson.as_deref()) {
            Some(id) => lesson::find(id).map(|e| (e, LessonFrom::Fragment)),
            None => query_lesson.map(|e| (e, LessonFrom::Query)),
        };
        lang.apply_to_document();
        let link = ctx.link();
        let callbacks = ControlCallbacks {
            set: link.callback(Msg::Set),
            fault: link.callback(|(kind, broker)| Msg::Fault(kind, broker)),
            clear_faults: link.callback(|_| Msg::ClearFaults),
            open: link.callback(|(name, text)| Msg::Open {
                name,
                text,
                from_url: false,
            }),
            save: link.callback(|_| Msg::SaveFile),
            close_file: link.callback(|_| Msg::CloseFile),
        };
        let mut app = App {
            callbacks,
            lang,
            narrator: Narrator::default(),
            opener: None,
            focus: None,
            workload: Rc::new(workload),
            sim,
            display_ms: 0.0,
            playing: view.is_none() && scenario_url.is_none() && query_lesson.is_none(),
            speed: view.as_ref().map_or(0.05, |v| v.speed),
            lesson: None,
            fetching: None,
            lesson_error: None,
            lesson_select: NodeRef::default(),
            stop_at: None,
            pointed: None,
            pointed_last: None,
            share: None,
            copied: None,
            embed: web_sys::window()
                .and_then(|w| w.location().search().ok())
                .is_some_and(|q| embedded(&q)),
            link_error,
            url_state: String::new(),
            last_frame: None,
            frame: None,
            canvas: NodeRef::default(),
            error: None,
            moved: None,
            inspected: None,
            inspected_replica: None,
            inspected_broker: None,
            inspected_life: None,
            // Read below, once the run is where it opens.
            ledger: Ledger::default(),
            ledger_at: 0.0,
            ledger_cost: 0.0,
            charts: Rc::default(),
            history: Vec::new(),
            timeline,
            filling: false,
            retired: Vec::new(),
            catchup: None,
            seek_to: view.as_ref().map(|v| Goal::Link {
                steps: v.steps,
                t_ms: v.t_ms,
            }),
            seek_chained: false,
            tasks: Tasks::new(ctx),
            reduced_motion: reduced_motion_query().is_some_and(|q| q.matches()),
            _motion_query: reduced_motion_query().map(|q| {
                let link = ctx.link().clone();
                EventListener::new(&q, "change", move |e| {
                    let reduced = e
                        .dyn_ref::<web_sys::MediaQueryListEvent>()
                        .is_some_and(|e| e.matches());
                    link.send_message(Msg::ReducedMotion(reduced));
                })
            }),
            painted: false,
            canvas_width: 0.0,
            frame_stats: None,
            html_at: f64::NEG_INFINITY,
            html_cost: 0.0,
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
        // A link's moment: at once if it is near, else in tasks after a first render.
        app.seek_at_once();
        app.charts = Rc::new(ChartData::of(&app.sim));
        app.ledger = Ledger::tracked(&app.sim);
        if let Some((entry, from)) = fetch {
            app.fetch_lesson(ctx, entry, from);
        }
        app.schedule_frame(ctx);
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        // The ledger reads what the committed logs gained since the last metrics window:
        // while playing, once per LEDGER_EVERY_MS of wall time (longer if that is slow: at
        // most a 20th of the time), not on every frame; after anything else, at once. Only
        // the HTML shows it, so only for a re-render.
        let frame = match msg {
            Msg::Frame(ts) | Msg::Html(ts) => Some(ts),
            _ => None,
        };
        let (stepped, html) = (matches!(msg, Msg::Step), matches!(msg, Msg::Html(_)));
        self.painted = false;
        if let Msg::Fill = msg {
            self.filling = false;
            if let Some(old) = self.retired.pop() {
                drop(old);
            } else if self.catchup.is_none() && self.seek_to.is_none() {
                // (A seek or the rebuilt run has the machine first; the snapshots follow.)
                let slice = if self.playing {
                    FILL_SLICE_MS
                } else {
                    PAUSED_FILL_SLICE_MS
                };
                let deadline = wall_ms() + slice;
                self.timeline.fill(|| wall_ms() > deadline);
            } else {
                return false;
            }
            // Paused, the next slice follows at once; playing, each frame's update asks
            // for one, so that slices never queue up between frames.
            if !self.playing {
                self.schedule_fill();
            }
            return false;
        }
        if let Msg::SeekOn = msg {
            self.seek_chained = false;
            // A slice, shown only once the run is there.
            if self.seek_to.is_none() {
                return false;
            }
            let deadline = wall_ms() + SEEK_SLICE_MS;
            if !self.seek_on(|| wall_ms() > deadline) {
                self.seek_later();
                return false;
            }
        }
        if let Msg::CatchUp = msg {
            let Some(c) = &mut self.catchup else {
                return false;
            };
            // A slice, and nothing else until the run is there (no charts, no ledger).
            let deadline = wall_ms() + CATCHUP_SLICE_MS;
            if !c
                .timeline
                .run_until_or(&mut c.sim, c.target, || wall_ms() > deadline)
            {
                self.tasks.send(Msg::CatchUp);
                return false;
            }
        }
        let changed = self.apply(ctx, msg);
        // Any message may have started another run: its snapshots are filled in idle time.
        self.schedule_fill();
        self.refresh_inspected();
        match frame {
            // The frame that asked for the re-render has narrated its events.
            Some(_) if html => {}
            Some(ts) => self.narrator.played(&self.sim, ts),
            None if stepped => self.narrator.stepped(&self.sim),
            None => self.narrator.skip(&self.sim),
        }
        let every = LEDGER_EVERY_MS.max(20.0 * self.ledger_cost);
        // A frame that stops the run (its end, a lesson step) shows it current.
        if changed && (!self.playing || frame.is_none_or(|ts| ts - self.ledger_at >= every)) {
            let started = wall_ms();
            self.ledger = Ledger::tracked(&self.sim);
            self.ledger_cost = wall_ms() - started;
            self.ledger_at = frame.unwrap_or(self.ledger_at);
        }
        // A frame changes the charts only when it closes a window; anything else may have
        // replaced the run.
        if frame.is_none() || self.sim.sampler().closed() != self.charts.closed() {
            let data = ChartData::of(&self.sim);
            if data != *self.charts {
                self.charts = Rc::new(data);
            }
        }
        changed
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let w = &self.workload;
        let lang = self.lang;
        let producer = self.sim.producers().first();
        let notes = producer.map(|p| p.config.notes.clone()).unwrap_or_default();
        let idempotent = producer.is_some_and(|p| p.config.idempotence);
        let facts = producer
            .map(|p| {
                let keyed = match &w.file {
                    Some(f) => f.scenario.actions.iter().any(|a| match a {
                        Action::Send(s) => {
                            matches!(s.key, Some(Some(_)))
                                || s.keys.iter().flatten().any(|k| k.is_some())
                        }
                        _ => false,
                    }),
                    None => w.keys != KeyPattern::Null && w.key_serializer() != Serializer::Void,
                };
                let mut facts = partitioner_facts(p, self.sim.version(), keyed);
                if w.file.is_none() {
                    facts.extend(mode_fact(w.mode));
                }
                facts.extend(delivery_facts(p));
                // Only where the run sets it: the default day is past any run's end.
                let broker_config = &self.sim.scenario().broker_config;
                if broker_config.contains_key("producer.id.expiration.ms") {
                    let c = self.sim.controller().config();
                    let (ms, check_ms) = (
                        c.producer_id_expiration_ms,
                        c.producer_id_expiration_check_interval_ms,
                    );
                    facts.extend(expiry_fact(p, ms, check_ms));
                }
                facts.extend(replication_facts(
                    w.replication_factor,
                    w.min_insync_replicas(),
                    p.config.acks,
                    self.sim.version(),
                ));
                facts.extend(transaction_facts(p, self.sim.version()));
                facts
            })
            .unwrap_or_default();
        let session_s = self.sim.controller().session().0 / 1000;
        let events: Vec<(String, String)> = self
            .sim
            .recent_events()
            .rev()
            .take(7)
            .map(|(at, e)| {
                (
                    format!("{:>7}s", Fixed(*at as f64 / 1000.0, 3)),
                    describe(&self.sim, e, lang),
                )
            })
            .collect();
        let speed_change = link.callback(|e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Msg::Speed(input.value())
        });
        let version = self.sim.version();
        html! {
            <div class={if self.embed { "app embed" } else { "app" }} id="app-root">
                <header class="top">
                    <div class="brand">
                        <h1 translate="no">{ "Kafka Lab" }</h1>
                        <span class="tagline">{ lang.pick("watch a Kafka producer send", "프로듀서 내부를 눈으로 보기") }</span>
                        <button id="lang" class="lang" lang={lang.other().code()}
                            aria-label={lang.pick("한국어로 보기 (Korean)", "English (영어로 보기)")}
                            onclick={link.callback({ let other = lang.other(); move |_| Msg::Lang(other) })}>
                            { lang.pick("한국어", "English") }
                        </button>
                        if !self.embed {
                            <label class="lesson-pick">
                                <span class="sr-only">{ lang.pick("lesson", "수업") }</span>
                                <select id="lesson" ref={self.lesson_select.clone()} onchange={link.callback(|e: Event| {
                                    let input: HtmlInputElement = e.target_unchecked_into();
                                    Msg::Lesson(input.value())
                                })}>
                                    <option value="" selected={self.picked().is_none()}>{ lang.pick("Lessons…", "수업 고르기…") }</option>
                                    { for lesson::INDEX.iter().map(|l| html! {
                                        <option value={l.id} selected={self.picked() == Some(l.id)}>
                                            { format!("§{} {}", l.chapter, l.title(lang)) }
                                        </option>
                                    }) }
                                </select>
                            </label>
                        }
                    </div>
                    <div class="transport" role="toolbar" aria-label={lang.pick("playback", "재생 제어")}>
                        <button id="play" onclick={link.callback(|_| Msg::TogglePlay)}
                            aria-label={if self.playing { lang.pick("pause", "일시정지") } else { lang.pick("play", "재생") }}
                            title={lang.pick("play or pause (space)", "재생·일시정지 (스페이스)")}>
                            { if self.playing { lang.pick("❚❚ Pause", "❚❚ 일시정지") } else { lang.pick("▶ Play", "▶ 재생") } }
                        </button>
                        <button id="step-back" onclick={link.callback(|_| Msg::StepBack)}
                            title={lang.pick("back to the moment before the last event, by an exact replay (←)", "마지막 이벤트 직전으로 되돌아감 — 처음부터 똑같이 다시 재생 (←)")}
                            aria-label={lang.pick("step back", "한 단계 뒤로")}>{ lang.pick("◂ Step", "◂ 이전") }</button>
                        <button id="step" onclick={link.callback(|_| Msg::Step)} disabled={self.ended()}
                            title={if self.ended() {
                                lang.pick("the run has ended: ▶ Play or ↺ Restart runs it again", "실행이 끝남: ▶ 재생이나 ↺ 처음부터로 다시 실행")
                            } else {
                                lang.pick("process the next event (→)", "다음 이벤트 하나 처리 (→)")
                            }}
                            aria-label={lang.pick("step forward", "한 단계 앞으로")}>{ lang.pick("Step ▸", "다음 ▸") }</button>
                        <button id="restart" onclick={link.callback(|_| Msg::Restart)}
                            title={lang.pick("run again from t = 0", "t = 0부터 다시 실행")}>{ lang.pick("↺ Restart", "↺ 처음부터") }</button>
                        <label class="speed">
                            <span>{ lang.pick("speed", "속도") }</span>
                            <select id="speed" onchange={speed_change}>
                                { for SPEEDS.iter().map(|(v, en, ko)| html! {
                                    <option value={trimmed(*v, 3)} selected={*v == self.speed}>{ lang.pick(en, ko) }</option>
                                }) }
                            </select>
                        </label>
                        <input type="range" id="scrubber" class="scrubber" aria-label={lang.pick("time in the run", "시뮬레이션 시각")}
                            min="0" max={self.sim.until_ms().to_string()} step="1"
                            value={(self.seek_to.map_or(self.display_ms, Goal::ms).floor() as u64).to_string()}
                            oninput={link.callback(|e: InputEvent| {
                                let input: HtmlInputElement = e.target_unchecked_into();
                                Msg::Seek(input.value())
                            })}/>
                        <span class="clock mono" id="clock">
                            { format!("t = {} s / {} s", Fixed(self.display_ms / 1000.0, 3), self.sim.until_ms() / 1000) }
                        </span>

                        if self.embed {
                            // The state is encoded on the click, not at every re-render of a
                            // playing run; the plain address is the fallback.
                            <a id="open-full" class="open-full" href="./" target="_blank" rel="noopener"
                                onclick={link.callback(|e: MouseEvent| { e.prevent_default(); Msg::OpenFull })}
                                title={lang.pick("open this state in the whole app, with every setting", "모든 설정이 있는 전체 앱에서 이 상태 열기")}>
                                { lang.pick("Kafka Lab ↗", "Kafka Lab ↗") }</a>
                        } else {
                        <button id="share" aria-expanded={self.share.is_some().to_string()} aria-controls="share-box"
                            title={lang.pick("a link to exactly this: settings, faults, moment, speed and language", "지금 화면 그대로(설정, 장애, 시각, 속도, 언어)를 여는 링크")}
                            onclick={link.callback(|_| Msg::Share)}>{ lang.pick("Share link", "링크 공유") }</button>
                        }
                    </div>
                    if let Some((url, snippet)) = &self.share {
                        <div class="share-box" id="share-box" role="group" aria-label={lang.pick("link to this state", "이 상태로 가는 링크")}>
                            { self.share_row(link, Shared::Link, url, lang.pick("Opens paused at this moment, with these settings, faults, speed and language:",
                                "이 시각에 멈춘 채로, 같은 설정·장애·속도·언어로 열림:")) }
                            { self.share_row(link, Shared::Embed, snippet, lang.pick("For a slide (reveal.js, a web page): the stage and the transport only, 16:9; space plays, → ← or a clicker's PageDown / PageUp step:",
                                "슬라이드용 (reveal.js, 웹 페이지): 무대와 재생 제어만, 16:9. 스페이스는 재생, → ← 또는 프레젠터 리모컨의 PageDown / PageUp은 한 단계씩:")) }
                        </div>
                    }
                    // In a slide the caption rides with the transport, both kept in view while
                    // a step's panel below the stage scrolls up (style.css).
                    if self.embed {
                        { self.lesson_caption(link) }
                    }
                </header>
                if let Some(e) = &self.link_error {
                    <p class="error" role="alert" id="link-error">
                        { lang.pick("This link could not be opened — ", "이 링크를 열 수 없음 — ") }
                        // Kafka's own messages end in a period; the sentence goes on.
                        <code translate="no">{ e.text(lang).trim_end_matches('.') }</code>
                        { lang.pick(". Showing the default run instead.", ". 대신 기본 실행을 보여 줌.") }
                        <button class="dismiss" onclick={link.callback(|_| Msg::DismissLinkError)}
                            aria-label={lang.pick("dismiss", "닫기")}>{ "×" }</button>
                    </p>
                }
                if let Some(t) = self.sim.stalled_at() {
                    <p class="error" role="alert" id="stalled">{ match lang {
                        Lang::En => format!("The simulation stopped at {} s: components kept waking at one instant to no effect. This is a Kafka Lab bug — please report the link.", Fixed(t as f64 / 1000.0, 3)),
                        Lang::Ko => format!("시뮬레이션이 {}초에서 멈춤: 구성 요소가 같은 시각에 아무 효과 없이 계속 깨어남. Kafka Lab의 버그이니 링크와 함께 알려 주세요.", Fixed(t as f64 / 1000.0, 3)),
                    } }</p>
                }
                <main class="main">
                    <div class="work">
                        if !self.embed {
                            { self.lesson_caption(link) }
                        }
                        <div class="stage">
                            { stage(&self.sim, w, &self.ledger, self.display_ms, &link.callback(Msg::Inspect), lang) }
                            <canvas ref={self.canvas.clone()} class="particles" aria-hidden="true"></canvas>
                            // Over the stage, so the layout never moves; always there, so
                            // screen readers hear it appear.
                            <p class="catching-up" id="catching-up" role="status">
                                if self.catchup.is_some() {
                                    { lang.pick("Replaying the run with the new settings up to this moment…", "새 설정으로 이 시각까지 다시 실행하는 중…") }
                                } else if self.seek_to.is_some() {
                                    { lang.pick("Running on to the moment picked…", "고른 시각까지 실행하는 중…") }
                                }
                            </p>
                        </div>
                        if self.embed {
                            <p class="embed-event" id="embed-event" aria-live="off">{ for events.first().map(|(t, text)| html! {
                                <><span class="mono t">{ t.clone() }</span>{ text.clone() }</>
                            }) }</p>
                            // A slide shows the panels its lesson points at (below the stage;
                            // a step pointing there scrolls them into view).
                            if self.lesson_points_at("txn-panel") {
                                { transactions_panel(&self.sim, w, &link.callback(Msg::Txn), lang) }
                            }
                            if self.lesson_points_at("consumers") {
                                { consumers_panel(&self.sim, &link.callback(Msg::Inspect), lang) }
                            }
                        } else {
                            { transactions_panel(&self.sim, w, &link.callback(Msg::Txn), lang) }
                            { consumers_panel(&self.sim, &link.callback(Msg::Inspect), lang) }
                        }
                        if let (Some(b), Some(p)) = (&self.inspected, producer) {
                            { inspector(&self.sim, p, b, link.callback(|_| Msg::CloseInspector), &link.callback(Msg::Inspect), lang) }
                        }
                        if let Some((broker, tp)) = self.inspected_replica {
                            { replica_inspector(&self.sim, broker, tp, link.callback(|_| Msg::CloseInspector), &link.callback(Msg::Inspect), lang) }
                        }
                        if let Some(target) = self.inspected_life {
                            { lifecycle_inspector(&self.sim, target, link.callback(|_| Msg::CloseInspector), &link.callback(Msg::Inspect), lang) }
                        }
                        if let Some(b) = self.inspected_broker {
                            { broker_inspector(&self.sim, b, html! {
                                <>
                                    { fault_toggle(&self.callbacks.fault, b, self.sim.broker_down(b), "inspector-", lang) }
                                    <button id={format!("inspector-slow-{b}")} title={lang.pick(SLOW_TITLE.0, SLOW_TITLE.1)}
                                        aria-label={broker_action(b, "slow its fetches", "fetch 느리게", lang)}
                                        onclick={link.callback(move |_| Msg::Fault(FaultKind::SlowFollower, b))}>{ lang.pick("slow fetch", "느린 fetch") }</button>
                                    <button title={lang.pick(LOSE_REQ_TITLE.0, LOSE_REQ_TITLE.1)}
                                        aria-label={broker_action(b, "lose the next request", "다음 요청 유실", lang)}
                                        onclick={link.callback(move |_| Msg::Fault(FaultKind::DropRequest, b))}>{ lang.pick("lose req", "요청 유실") }</button>
                                    <button title={lang.pick(LOSE_RESP_TITLE.0, LOSE_RESP_TITLE.1)}
                                        aria-label={broker_action(b, "lose the next response", "다음 응답 유실", lang)}
                                        onclick={link.callback(move |_| Msg::Fault(FaultKind::DropResponse, b))}>{ lang.pick("lose resp", "응답 유실") }</button>
                                </>
                            }, link.callback(|_| Msg::CloseInspector), lang) }
                        }
                    </div>
                    if !self.embed {
                        <Controls workload={self.catchup.as_ref().map_or_else(|| self.workload.clone(), |c| Rc::new(c.workload.clone()))} error={self.error.clone()}
                            down={(0..self.workload.brokers()).map(|b| self.sim.broker_down(b)).collect::<Vec<_>>()}
                            session_s={session_s} lang={lang} callbacks={self.callbacks.clone()} />
                    }
                </main>
                if !self.embed {
                    <section class="bottom" aria-label={lang.pick("metrics, events and facts", "메트릭·이벤트·설명")}>
                        <div class="charts-wrap" role="group" aria-label={lang.pick("producer and broker metrics", "프로듀서·브로커 메트릭")}
                            style={format!("--cursor: {}", Fixed(self.charts.cursor(self.display_ms), 4))}>
                            <h3>{ lang.pick("Metrics", "메트릭") }
                                <span class="charts-about">{ match lang {
                                    Lang::En => "per 100 ms of virtual time, each over the last 10 windows — ",
                                    Lang::Ko => "가상 시간 100ms마다, 최근 10개 창으로 계산 — ",
                                } }<span class="mono">{ "metrics.sample.window.ms=100, metrics.num.samples=10" }</span>
                                { lang.pick(" (Kafka's defaults: 30000 × 2)", " (카프카 기본값 30000 × 2)") }</span>
                            </h3>
                            <Charts data={self.charts.clone()} lang={lang} />
                        </div>
                        <div class="events" role="region" aria-labelledby="events-title">
                            <div class="events-head">
                                <h3 id="events-title">{ lang.pick("Events", "이벤트") }</h3>
                                <button id="narrate" class="narrate" aria-pressed={self.narrator.on.to_string()}
                                    title={lang.pick("read notable events aloud as they happen (a screen reader's live region): faults, elections, failures, transaction steps; every event when stepping",
                                        "주요 이벤트를 일어날 때마다 읽어 줌 (스크린 리더의 라이브 영역): 장애, 리더 선출, 실패, 트랜잭션 단계. 한 단계씩 진행할 때는 모든 이벤트")}
                                    onclick={link.callback(|_| Msg::Narrate)}>{ lang.pick("narrate", "읽어 주기") }</button>
                            </div>
                            <ol>
                                { for events.into_iter().map(|(t, text)| html! {
                                    <li><span class="mono t">{ t }</span>{ text }</li>
                                }) }
                            </ol>
                            // Always in the page, so that a screen reader is already watching it
                            // when the first line arrives.
                            <ol id="narration" class="sr-only" aria-live="polite" aria-label={lang.pick("narrated events", "읽어 주는 이벤트")}>
                                { for self.narrator.lines().map(|(at, e)| html! {
                                    <li>{ format!("{} s: {}", Fixed(*at as f64 / 1000.0, 3), describe(&self.sim, e, lang)) }</li>
                                }) }
                            </ol>
                        </div>
                        <div class="facts" role="region" aria-labelledby="facts-title">
                            <h3 id="facts-title">{ lang.pick("What Kafka does here", "여기서 Kafka가 실제로 하는 일") }</h3>
                            <ul>
                                <li>{ match (lang, idempotent) {
                                    (Lang::En, true) => format!("enable.idempotence: on in {version} — on by default since 3.0 (the notes' §6 table says false)."),
                                    (Lang::En, false) => format!("enable.idempotence: off in {version} — on by default since 3.0 (the notes' §6 table says false)."),
                                    (Lang::Ko, true) => format!("enable.idempotence: {version}에서 켜짐 — 3.0부터 기본값이 true (노트 6장의 표에는 false)."),
                                    (Lang::Ko, false) => format!("enable.idempotence: {version}에서 꺼짐 — 3.0부터 기본값은 true (노트 6장의 표에는 false)."),
                                } }</li>
                                { for facts.iter().map(|f| html! { <li>{ f.text(lang) }</li> }) }
                                if let Some(m) = &self.moved { { moved_view(m, lang) } }
                                <li>{ lang.pick("linger.ms defaults to 0 up to 3.9 and to 5 since 4.0.", "linger.ms 기본값은 3.9까지 0, 4.0부터 5.") }</li>
                                <li>{ lang.pick("A setting change replays the run from t = 0: a producer's config is fixed when it is created.",
                                    "설정을 바꾸면 t = 0부터 다시 재생함: 프로듀서 설정은 생성될 때 고정되기 때문.") }</li>
                                { for notes.iter().map(|n| html! { <li class="mono small" translate="no">{ n.clone() }</li> }) }
                            </ul>
                        </div>
                    </section>
                }
            </div>
        }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first: bool) {
        // Read after each re-render, where the layout is being done anyway, never in an
        // animation frame: there it would force the layout of the HTML changed since.
        if let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() {
            self.canvas_width = canvas.client_width() as f64;
        }
        if !self.painted {
            self.paint();
        }
        if let Some(stats) = self.frame_stats.take() {
            self.html_cost = wall_ms() - stats.painted;
            stats.report();
        }
        self.move_focus();
        self.point();
        self.sync_url();
        // The user's choice outlives Yew's `selected` attributes: after a pick that
        // failed, the picker goes back to the lesson still followed.
        if let Some(select) = self.lesson_select.cast::<web_sys::HtmlSelectElement>() {
            let picked = self.picked().unwrap_or_default();
            if select.value() != picked {
                select.set_value(picked);
            }
        }
    }
}

/// The class of the element a lesson step points at.
const POINTED: &str = "lesson-target";

/// The query parameter of embed mode.
const EMBED_PARAM: &str = "embed=1";

/// The value of query parameter `name` in `search` (`location.search`), if given.
fn query_param<'a>(search: &'a str, name: &str) -> Option<&'a str> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

/// Whether a page's query (`location.search`) asks for embed mode.
fn embedded(search: &str) -> bool {
    query_param(search, "embed") == Some("1")
}

/// Offers `text` as a download named `name` (a Blob link clicked).
fn download(name: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = document
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // Released once the download has had the blob.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
}

/// The text at `url`, a file of this site, or why not. An address from the URL is not
/// trusted: one elsewhere is refused here, before the page's policy would block it.
async fn fetch_text(url: &str) -> Result<String, LinkError> {
    fetch(url).await.map_err(|reason| refuse(url, reason))
}

async fn fetch(url: &str) -> Result<String, Reason> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or(Reason::NotFetched)?;
    let here = window.location().href().map_err(|_| Reason::NotFetched)?;
    let origin = |u: &str, base: &str| web_sys::Url::new_with_base(u, base).map(|u| u.origin());
    if origin(url, &here).ok() != origin(&here, &here).ok() {
        return Err(Reason::OtherSite);
    }
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .ok()
        .and_then(|r| r.dyn_into().ok())
        .ok_or(Reason::NotFetched)?;
    if !response.ok() {
        return Err(Reason::Verbatim(format!("HTTP {}", response.status())));
    }
    let text = response.text().map_err(|_| Reason::NotFetched)?;
    JsFuture::from(text)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or(Reason::NotFetched)
}

/// Hands `text` to the clipboard (`navigator.clipboard.writeText`, where the browser
/// offers it to this page); whether it was handed over.
fn copy_to_clipboard(text: &str) -> bool {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return false;
    };
    let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .ok()
        .filter(|c| !c.is_undefined());
    let write = clipboard.as_ref().and_then(|c| {
        js_sys::Reflect::get(c, &JsValue::from_str("writeText"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    });
    match (clipboard, write) {
        (Some(c), Some(write)) => write.call1(&c, &JsValue::from_str(text)).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_the_hash_places_can_move_with_the_partition_count() {
        let hashed = |class: &str| {
            let w = Workload::default()
                .with(&Setting::Producer("partitioner.class".into(), class.into()))
                .unwrap();
            let sim = Simulation::new(&w.scenario()).unwrap();
            hashed_keys(&w, &sim)
                .iter()
                .map(|k| k.text().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(hashed("").len(), 6);
        // The seed's CustomPartitioner pins "Pangyo" to partition 0.
        let custom = hashed("CustomPartitioner");
        assert_eq!(custom.len(), 5);
        assert!(!custom.contains(&"Pangyo".to_string()));
        assert!(hashed("org.apache.kafka.clients.producer.RoundRobinPartitioner").is_empty());
    }
}
