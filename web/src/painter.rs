//! Draws what moves — every record from `send()` into its batch, batches leaving the
//! accumulator as produce requests with their records inside, records landing in the
//! logs, replication and consumer fetches carrying records — on a canvas over the stage,
//! once per animation frame. The Yew tree only holds what stays put.
//!
//! Thousands of records can be in flight at once, so records are gathered first and
//! drawn with one path per colour: no per-record text, shadow, alpha or save/restore.
//! The painter only reads the simulation (messages with their sent and delivery times,
//! sends, logs).

use crate::decimal::within;
use crate::layout::*;
use kafka_lab::coordinator::TxnRequest;
use kafka_lab::net::{Node, Payload};
use kafka_lab::Simulation;
use std::f64::consts::TAU;
use web_sys::CanvasRenderingContext2d;

/// How things move on this frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Motion {
    /// Virtual ms a record is shown travelling from `send()` to its batch, and from a
    /// broker's edge into its log.
    pub trail_ms: f64,
    /// `prefers-reduced-motion: reduce`: nothing glides; everything is drawn where it is
    /// (a record in its partition's row, a request half-way along its wire) and jumps.
    pub reduced: bool,
}

/// Share of a produce request's flight spent gathering its batches from their
/// accumulator rows into the sender's slot; the rest is the wire.
const DRAIN_SHARE: f64 = 0.3;
/// Colour of a record `send()` refused before it got a partition.
const REFUSED: &str = "#dc2626";
/// Index of `REFUSED` among the dot colours (after the partition palette).
const REFUSED_INDEX: usize = PALETTE_LEN;

/// Paints one frame at virtual time `t` (fractional ms), scaled from the layout space to
/// the canvas; returns how many records it drew.
pub fn paint(
    ctx: &CanvasRenderingContext2d,
    sim: &Simulation,
    t: f64,
    motion: Motion,
    scale: f64,
) -> usize {
    ctx.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0).ok();
    ctx.clear_rect(0.0, 0.0, WIDTH, HEIGHT);
    let mut dots = Dots::default();
    records_into_accumulator(&mut dots, sim, t, motion);
    records_into_logs(&mut dots, sim, t, motion);
    let labels = messages(ctx, &mut dots, sim, t, motion);
    dots.draw(ctx);
    // Labels go over the dots of their request.
    for label in labels {
        label.draw(ctx);
    }
    dots.count
}

/// Records gathered per colour (the partition palette, then `REFUSED`): circles for
/// records travelling alone, squares for records packed in a request or fetch.
#[derive(Default)]
struct Dots {
    circles: [Vec<(f64, f64)>; PALETTE_LEN + 1],
    squares: [Vec<(f64, f64, f64)>; PALETTE_LEN + 1],
    count: usize,
}

impl Dots {
    fn circle(&mut self, colour: usize, (x, y): (f64, f64)) {
        self.circles[colour].push((x, y));
        self.count += 1;
    }

    /// `n` records of `colour` laid out in `grid`, starting at cell `from`.
    fn fill(&mut self, colour: usize, grid: &Grid, (x0, y0): (f64, f64), from: usize, n: usize) {
        let size = (grid.cell - 0.6).max(1.0);
        for i in from..from + n {
            let (cx, cy) = grid.cell_origin(i);
            self.squares[colour].push((x0 + cx, y0 + cy, size));
        }
        self.count += n;
    }

    fn draw(&self, ctx: &CanvasRenderingContext2d) {
        // Circles cost far more to rasterise than squares: past `ARC_LIMIT` records
        // travelling alone (a stream too dense to tell them apart anyway), squares.
        let round = self.circles.iter().map(Vec::len).sum::<usize>() <= ARC_LIMIT;
        for (colour, (circles, squares)) in self.circles.iter().zip(&self.squares).enumerate() {
            if circles.is_empty() && squares.is_empty() {
                continue;
            }
            ctx.set_fill_style_str(dot_colour(colour));
            ctx.begin_path();
            for &(x, y) in circles {
                if round {
                    ctx.move_to(x + RECORD_R, y);
                    ctx.arc(x, y, RECORD_R, 0.0, TAU).ok();
                } else {
                    ctx.rect(x - RECORD_R, y - RECORD_R, 2.0 * RECORD_R, 2.0 * RECORD_R);
                }
            }
            for &(x, y, s) in squares {
                ctx.rect(x, y, s, s);
            }
            ctx.fill();
        }
    }
}

/// Radius of a record travelling alone.
const RECORD_R: f64 = 4.0;
/// Most records travelling alone drawn as circles in one frame.
const ARC_LIMIT: usize = 300;

fn dot_colour(index: usize) -> &'static str {
    if index == REFUSED_INDEX {
        REFUSED
    } else {
        partition_color(index as u32)
    }
}

fn colour_of(partition: u32) -> usize {
    partition as usize % PALETTE_LEN
}

/// Where a record travelling from `send()` is: along the track through the serializer
/// and the partitioner, then into its partition's row (or, refused, down below the
/// partitioner).
fn records_into_accumulator(dots: &mut Dots, sim: &Simulation, t: f64, motion: Motion) {
    let Some(producer) = sim.producers().first() else {
        return;
    };
    let n = sim.cluster().num_partitions(0);
    let recent = producer
        .sends
        .iter()
        .rev()
        .skip_while(|s| s.created_ms as f64 > t)
        .take_while(|s| (s.created_ms as f64) > t - motion.trail_ms);
    for s in recent {
        let (end, colour) = match s.partition() {
            Some(p) => {
                let (row_top, row_h) = acc_row(p, n);
                ((ACC_X + 60.0, row_top + row_h / 2.0), colour_of(p))
            }
            None => ((PART_X + PART_W / 2.0, TRACK_Y + 90.0), REFUSED_INDEX),
        };
        let waypoints = [
            (APP_X + APP_W - 10.0, TRACK_Y),
            (SER_X + SER_W / 2.0, TRACK_Y),
            (PART_X + PART_W - 8.0, TRACK_Y),
            end,
        ];
        let f = travel(t, s.created_ms as f64, motion.trail_ms, motion.reduced);
        dots.circle(colour, along(&waypoints, f));
    }
}

/// Records appended in the last `trail_ms`, leader or follower copy, flying from the
/// broker's edge (where requests and fetch responses arrive) to the end of their log row:
/// down the box's left margin, along the free band below the rows and up the column of
/// cells, never across the rows' labels.
fn records_into_logs(dots: &mut Dots, sim: &Simulation, t: f64, motion: Motion) {
    let nb = sim.cluster().brokers;
    for broker in sim.brokers() {
        let (top, h) = broker_box(broker.id, nb);
        let rows = broker.partitions.len();
        let lane = (log_row_y(top, rows) - 10.0).min(top + h - 5.0);
        let (margin, column) = (BROKER_X + 4.5, BROKER_X + BROKER_W - 11.5);
        let edge = (BROKER_X, broker_y(broker.id, nb));
        for (i, part) in broker.partitions.values().enumerate() {
            let y = log_row_y(top, i);
            if y > top + h - 6.0 {
                break;
            }
            let cell = (column, y - 3.0);
            let path = [edge, (margin, lane), (column, lane), cell];
            let colour = colour_of(part.tp.partition);
            let landing = part
                .log
                .records()
                .iter()
                .rev()
                .filter(|r| r.control.is_none())
                .skip_while(|r| r.append_ms as f64 > t)
                .take_while(|r| (r.append_ms as f64) > t - motion.trail_ms);
            for r in landing {
                let f = travel(t, r.append_ms as f64, motion.trail_ms, motion.reduced);
                dots.circle(colour, along(&path, f));
            }
        }
    }
}

/// How far along its path a record that set off at `start` is, eased; with reduced
/// motion it is shown where it is going, without moving.
fn travel(t: f64, start: f64, span: f64, reduced: bool) -> f64 {
    if reduced {
        1.0
    } else {
        ease((t - start) / span.max(1e-9))
    }
}

/// How far along its wire a message is: eased; with reduced motion, half-way (it is on
/// the wire, not moving).
fn wire_progress(t: f64, sent: u64, deliver: u64, reduced: bool) -> f64 {
    if reduced {
        return 0.5;
    }
    let span = (deliver.saturating_sub(sent)).max(1) as f64;
    ease((t - sent as f64) / span)
}

/// A produce request's place at `progress`: gathering its batches from the accumulator
/// into the sender's slot (the first `DRAIN_SHARE`), then crossing the wire. Returns
/// the fraction of the gathering done (1 once on the wire) and the request's centre.
fn produce_position(progress: f64, slot: (f64, f64), wire: (f64, f64)) -> (f64, (f64, f64)) {
    if progress < DRAIN_SHARE {
        (progress / DRAIN_SHARE, slot)
    } else {
        let f = (progress - DRAIN_SHARE) / (1.0 - DRAIN_SHARE);
        (
            1.0,
            (
                slot.0 + (wire.0 - slot.0) * f,
                slot.1 + (wire.1 - slot.1) * f,
            ),
        )
    }
}

/// A grid of `n` record cells packed into at most `max_w` × `max_h`, as square as the
/// box allows, cells at most `MAX_CELL` wide.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Grid {
    cols: usize,
    rows: usize,
    cell: f64,
}

const MAX_CELL: f64 = 5.0;

impl Grid {
    fn new(n: usize, max_w: f64, max_h: f64) -> Grid {
        let n = n.max(1);
        let cols = ((n as f64 * max_w / max_h).sqrt().ceil() as usize).clamp(1, n);
        let rows = n.div_ceil(cols);
        let cell = (max_w / cols as f64).min(max_h / rows as f64).min(MAX_CELL);
        Grid { cols, rows, cell }
    }

    fn width(&self) -> f64 {
        self.cols as f64 * self.cell
    }

    fn height(&self) -> f64 {
        self.rows as f64 * self.cell
    }

    fn cell_origin(&self, i: usize) -> (f64, f64) {
        (
            (i % self.cols) as f64 * self.cell,
            (i / self.cols) as f64 * self.cell,
        )
    }
}

/// Text and boxes drawn after the records: few per frame (one per message, not per
/// record), so they keep their own styles.
enum Label {
    /// A rounded box behind a request's records.
    Box {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        r: f64,
        fill: &'static str,
    },
    Text {
        x: f64,
        y: f64,
        text: String,
        font: &'static str,
        fill: &'static str,
    },
    Cross {
        x: f64,
        y: f64,
    },
    Dot {
        x: f64,
        y: f64,
        r: f64,
        fill: &'static str,
    },
}

impl Label {
    fn draw(&self, ctx: &CanvasRenderingContext2d) {
        match self {
            Label::Box {
                x,
                y,
                w,
                h,
                r,
                fill,
            } => rounded(ctx, *x, *y, *w, *h, *r, fill),
            Label::Text {
                x,
                y,
                text,
                font,
                fill,
            } => {
                ctx.set_fill_style_str(fill);
                ctx.set_font(font);
                ctx.set_text_align("center");
                ctx.fill_text(text, *x, *y).ok();
            }
            Label::Cross { x, y } => {
                ctx.set_stroke_style_str(REFUSED);
                ctx.set_line_width(2.0);
                ctx.begin_path();
                ctx.move_to(x - 5.0, y - 5.0);
                ctx.line_to(x + 5.0, y + 5.0);
                ctx.move_to(x + 5.0, y - 5.0);
                ctx.line_to(x - 5.0, y + 5.0);
                ctx.stroke();
            }
            Label::Dot { x, y, r, fill } => {
                ctx.set_fill_style_str(fill);
                ctx.begin_path();
                ctx.arc(*x, *y, *r, 0.0, TAU).ok();
                ctx.fill();
            }
        }
    }
}

const REQUEST_BG: &str = "#1e293b";
const LABEL_FONT: &str = "600 9px system-ui, sans-serif";
const BADGE_FONT: &str = "9px ui-monospace, monospace";

/// Every message on the wire. Records inside requests and fetch responses go to `dots`
/// (drawn first, in one pass); the boxes behind them are drawn before, the labels after.
fn messages(
    ctx: &CanvasRenderingContext2d,
    dots: &mut Dots,
    sim: &Simulation,
    t: f64,
    motion: Motion,
) -> Vec<Label> {
    let n_partitions = sim.cluster().num_partitions(0);
    let nb = sim.cluster().brokers;
    // Boxes are drawn straight away (under the records); labels are kept for after.
    let mut labels = Vec::new();
    for msg in sim.network().in_flight() {
        let progress = wire_progress(t, msg.sent_ms, msg.deliver_ms, motion.reduced);
        match (msg.from, msg.to, &msg.payload) {
            // Replication: fetches and their answers travel between broker boxes, along
            // the brokers' left edge; an answer carries the records it copies.
            (Node::Broker(a), Node::Broker(b), payload) => {
                let (ya, yb) = (broker_y(a, nb), broker_y(b, nb));
                let (x, y) = (BROKER_X - 8.0, ya + (yb - ya) * progress);
                match payload {
                    Payload::FetchResponse(resp) => {
                        let n: usize = resp.partitions.iter().map(|p| p.records.len()).sum();
                        if n == 0 {
                            labels.push(Label::Dot {
                                x,
                                y,
                                r: 3.0,
                                fill: "#c4b5fd",
                            });
                            continue;
                        }
                        let grid = Grid::new(n, 10.0, 40.0);
                        let origin = (x - grid.width() / 2.0, y - grid.height() / 2.0);
                        rounded(
                            ctx,
                            origin.0 - 2.0,
                            origin.1 - 2.0,
                            grid.width() + 4.0,
                            grid.height() + 4.0,
                            2.0,
                            "#7c3aed",
                        );
                        let mut from = 0;
                        for p in &resp.partitions {
                            dots.fill(
                                colour_of(p.tp.partition),
                                &grid,
                                origin,
                                from,
                                p.records.len(),
                            );
                            from += p.records.len();
                        }
                    }
                    // A coordinator's transaction markers on their way to a leader, and back.
                    Payload::WriteTxnMarkers(_) => labels.push(Label::Dot {
                        x,
                        y,
                        r: 5.0,
                        fill: "#ea580c",
                    }),
                    Payload::WriteTxnMarkersResponse(_) => labels.push(Label::Dot {
                        x,
                        y,
                        r: 3.5,
                        fill: "#fdba74",
                    }),
                    _ => labels.push(Label::Dot {
                        x,
                        y,
                        r: 3.0,
                        fill: "#94a3b8",
                    }),
                }
            }
            // Consumers read below the stage: their fetches run down the stage's right
            // margin from the broker, carrying the records they return.
            (Node::Broker(b), Node::Consumer(c), payload)
            | (Node::Consumer(c), Node::Broker(b), payload) => {
                let down = matches!(msg.to, Node::Consumer(_));
                let x = WIDTH - 10.0 + 5.0 * (c % 2) as f64;
                let (y0, y1) = (broker_y(b, nb), HEIGHT - 4.0);
                let f = if down { progress } else { 1.0 - progress };
                let y = y0 + (y1 - y0) * f;
                match payload {
                    Payload::FetchResponse(resp)
                        if resp.partitions.iter().any(|p| !p.records.is_empty()) =>
                    {
                        let n: usize = resp.partitions.iter().map(|p| p.records.len()).sum();
                        let grid = Grid::new(n, 5.0, 40.0);
                        let origin = (x - grid.width() / 2.0, y - grid.height() / 2.0);
                        let mut from = 0;
                        for p in &resp.partitions {
                            dots.fill(
                                colour_of(p.tp.partition),
                                &grid,
                                origin,
                                from,
                                p.records.len(),
                            );
                            from += p.records.len();
                        }
                    }
                    _ => labels.push(Label::Dot {
                        x,
                        y,
                        r: 2.0,
                        fill: "#94a3b8",
                    }),
                }
            }
            (Node::Producer(_), Node::Broker(b), Payload::Produce(req)) => {
                let y = broker_y(b, nb);
                let slot = (SENDER_X + SENDER_W / 2.0, y - 15.0);
                let wire = (BROKER_X - 4.0, y - 15.0);
                let (gathered, (cx, cy)) = produce_position(progress, slot, wire);
                let n: usize = req.batches.iter().map(|b| b.records.len()).sum();
                if gathered < 1.0 {
                    // Each batch leaves its accumulator row for the sender's slot.
                    for b in &req.batches {
                        let (row_top, row_h) = acc_row(b.tp.partition, n_partitions);
                        let start = (ACC_X + 104.0, row_top + row_h / 2.0);
                        let (bx, by) = along(&[start, slot], ease(gathered));
                        let grid = Grid::new(b.records.len(), 26.0, 14.0);
                        let origin = (bx - grid.width() / 2.0, by - grid.height() / 2.0);
                        rounded(
                            ctx,
                            origin.0 - 2.0,
                            origin.1 - 2.0,
                            grid.width() + 4.0,
                            grid.height() + 4.0,
                            3.0,
                            REQUEST_BG,
                        );
                        dots.fill(colour_of(b.tp.partition), &grid, origin, 0, b.records.len());
                    }
                    continue;
                }
                let grid = Grid::new(n, 44.0, 18.0);
                let (w, h) = (grid.width().max(16.0) + 6.0, grid.height() + 6.0);
                rounded(ctx, cx - w / 2.0, cy - h / 2.0, w, h, 4.0, REQUEST_BG);
                let origin = (cx - grid.width() / 2.0, cy - grid.height() / 2.0);
                let mut from = 0;
                for b in &req.batches {
                    dots.fill(
                        colour_of(b.tp.partition),
                        &grid,
                        origin,
                        from,
                        b.records.len(),
                    );
                    from += b.records.len();
                }
                labels.push(Label::Text {
                    x: cx,
                    y: cy - h / 2.0 - 3.0,
                    text: n.to_string(),
                    font: LABEL_FONT,
                    fill: "#1e293b",
                });
                // The idempotent producer's badge: producer id, epoch, first sequence.
                if let Some(b) = req.batches.first().filter(|b| b.producer_id >= 0) {
                    let txn = if b.transactional { " T" } else { "" };
                    labels.push(Label::Text {
                        x: cx,
                        y: cy - h / 2.0 - 13.0,
                        text: format!(
                            "P{} e{} s{}{txn}",
                            b.producer_id, b.producer_epoch, b.base_sequence
                        ),
                        font: BADGE_FONT,
                        fill: "#475569",
                    });
                }
            }
            (Node::Producer(_), Node::Broker(b), payload)
            | (Node::Broker(b), Node::Producer(_), payload) => {
                let to_broker = matches!(msg.to, Node::Broker(_));
                let y = broker_y(b, nb);
                let (x0, x1) = (NET_X0 + 4.0, BROKER_X - 4.0);
                let x = if to_broker {
                    x0 + (x1 - x0) * progress
                } else {
                    x1 - (x1 - x0) * progress
                };
                match payload {
                    Payload::TxnRequest(req) => {
                        let text = match req {
                            TxnRequest::FindCoordinator { .. } => "Find",
                            TxnRequest::InitProducerId { .. } => "Init",
                            TxnRequest::AddPartitionsToTxn { .. } => "AddP",
                            TxnRequest::AddOffsetsToTxn { .. } => "AddO",
                            TxnRequest::FindGroupCoordinator { .. } => "FindG",
                            TxnRequest::TxnOffsetCommit { .. } => "Offs",
                            TxnRequest::EndTxn { .. } => "End",
                        };
                        labels.push(Label::Box {
                            x: x - 15.0,
                            y: y + 24.0,
                            w: 30.0,
                            h: 13.0,
                            r: 3.0,
                            fill: "#f59e0b",
                        });
                        labels.push(Label::Text {
                            x,
                            y: y + 34.0,
                            text: text.into(),
                            font: LABEL_FONT,
                            fill: "#1f2937",
                        });
                    }
                    Payload::TxnResponse(_) => {
                        labels.push(Label::Box {
                            x: x - 8.0,
                            y: y + 24.0,
                            w: 16.0,
                            h: 13.0,
                            r: 6.0,
                            fill: "#fcd34d",
                        });
                    }
                    Payload::ProduceResponse(_) => {
                        labels.push(Label::Box {
                            x: x - 12.0,
                            y: y + 6.0,
                            w: 24.0,
                            h: 14.0,
                            r: 7.0,
                            fill: "#16a34a",
                        });
                        labels.push(Label::Text {
                            x,
                            y: y + 16.0,
                            text: "ack".into(),
                            font: LABEL_FONT,
                            fill: "#ffffff",
                        });
                    }
                    Payload::MetadataRequest | Payload::MetadataResponse(_) => {
                        labels.push(Label::Dot {
                            x,
                            y: y + 26.0,
                            r: 4.0,
                            fill: "#2563eb",
                        });
                    }
                    Payload::ConnectionClosed => labels.push(Label::Cross { x, y }),
                    _ => {}
                }
            }
            // Controller traffic is drawn by its effects (crowns, ISR), not in flight.
            _ => {}
        }
    }
    labels
}

/// The point at fraction `f` of the polyline through `points`, by segment count.
fn along(points: &[(f64, f64)], f: f64) -> (f64, f64) {
    let segments = (points.len() - 1) as f64;
    let pos = (within(f, 0.0, 1.0) * segments).min(segments - 1e-9);
    let i = pos.floor() as usize;
    let local = pos - i as f64;
    let (a, b) = (points[i], points[i + 1]);
    (a.0 + (b.0 - a.0) * local, a.1 + (b.1 - a.1) * local)
}

fn rounded(ctx: &CanvasRenderingContext2d, x: f64, y: f64, w: f64, h: f64, r: f64, fill: &str) {
    ctx.set_fill_style_str(fill);
    ctx.begin_path();
    ctx.move_to(x + r, y);
    ctx.arc_to(x + w, y, x + w, y + h, r).ok();
    ctx.arc_to(x + w, y + h, x, y + h, r).ok();
    ctx.arc_to(x, y + h, x, y, r).ok();
    ctx.arc_to(x, y, x + w, y, r).ok();
    ctx.close_path();
    ctx.fill();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn along_walks_the_polyline_by_segments() {
        let pts = [(0.0, 0.0), (10.0, 0.0), (10.0, 20.0)];
        assert_eq!(along(&pts, 0.0), (0.0, 0.0));
        assert_eq!(along(&pts, 0.25), (5.0, 0.0));
        assert_eq!(along(&pts, 0.75), (10.0, 10.0));
        let end = along(&pts, 1.0);
        assert!((end.0 - 10.0).abs() < 1e-6 && (end.1 - 20.0).abs() < 1e-6);
        // Out of range clamps to the ends.
        assert_eq!(along(&pts, -1.0), (0.0, 0.0));
    }

    #[test]
    fn travel_eases_or_stays_put_with_reduced_motion() {
        assert_eq!(travel(100.0, 100.0, 50.0, false), 0.0);
        assert_eq!(travel(125.0, 100.0, 50.0, false), 0.5);
        assert_eq!(travel(200.0, 100.0, 50.0, false), 1.0);
        // Eased: slow at the start, faster in the middle.
        assert!(travel(105.0, 100.0, 50.0, false) < 0.1);
        for t in [100.0, 110.0, 149.0] {
            assert_eq!(
                travel(t, 100.0, 50.0, true),
                1.0,
                "reduced motion: at the row"
            );
        }
    }

    #[test]
    fn messages_cross_the_wire_between_send_and_delivery() {
        assert_eq!(wire_progress(10.0, 10, 20, false), 0.0);
        assert_eq!(wire_progress(15.0, 10, 20, false), 0.5);
        assert_eq!(wire_progress(20.0, 10, 20, false), 1.0);
        // Delivered at the instant it was sent: arrives at once, no division by zero.
        assert_eq!(wire_progress(10.5, 10, 10, false), 0.5);
        assert_eq!(wire_progress(12.0, 10, 20, true), 0.5);
    }

    #[test]
    fn a_produce_request_gathers_its_batches_then_crosses_the_wire() {
        let (slot, wire) = ((100.0, 50.0), (300.0, 50.0));
        assert_eq!(produce_position(0.0, slot, wire), (0.0, slot));
        let (gathered, at) = produce_position(DRAIN_SHARE / 2.0, slot, wire);
        assert!((gathered - 0.5).abs() < 1e-9);
        assert_eq!(at, slot, "still in the sender while the batches gather");
        assert_eq!(produce_position(DRAIN_SHARE, slot, wire), (1.0, slot));
        let (gathered, at) = produce_position(1.0, slot, wire);
        assert_eq!(gathered, 1.0);
        assert!((at.0 - wire.0).abs() < 1e-9);
    }

    #[test]
    fn a_grid_holds_every_record_within_its_box() {
        for n in [1, 2, 7, 16, 100, 499, 2000] {
            for (w, h) in [(44.0, 18.0), (10.0, 40.0), (26.0, 14.0), (5.0, 40.0)] {
                let g = Grid::new(n, w, h);
                assert!(g.cols * g.rows >= n, "{n} in {w}×{h}");
                assert!(
                    g.width() <= w + 1e-9 && g.height() <= h + 1e-9,
                    "{n} in {w}×{h}: {g:?}"
                );
                assert!(g.cell <= MAX_CELL);
                let last = g.cell_origin(n - 1);
                assert!(last.0 + g.cell <= w + 1e-9 && last.1 + g.cell <= h + 1e-9);
            }
        }
        // A few records get roomy cells, many records small ones.
        assert!(Grid::new(4, 44.0, 18.0).cell > Grid::new(400, 44.0, 18.0).cell);
    }
}
