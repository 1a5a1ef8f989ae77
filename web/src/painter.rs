//! Draws what moves — records on their way into the accumulator, requests and responses
//! on the wire — on a canvas over the stage, once per animation frame. The Yew tree only
//! holds what stays put.

use crate::layout::*;
use kafka_lab::coordinator::TxnRequest;
use kafka_lab::net::{Node, Payload};
use kafka_lab::Simulation;
use web_sys::CanvasRenderingContext2d;

/// Most records drawn in the send → accumulator trail at once.
const MAX_TRAIL: usize = 80;

/// Paints one frame at virtual time `t` (fractional ms). `trail_ms` is how long, in
/// virtual time, a record is shown travelling from `send()` to its batch.
pub fn paint(ctx: &CanvasRenderingContext2d, sim: &Simulation, t: f64, trail_ms: f64, scale: f64) {
    ctx.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0).ok();
    ctx.clear_rect(0.0, 0.0, WIDTH, HEIGHT);
    let n_partitions = sim.cluster().num_partitions(0);
    let n_brokers = sim.cluster().brokers;

    // Records: send() → serializer → partitioner → their partition's row.
    if let Some(producer) = sim.producers().first() {
        let recent = producer
            .sends
            .iter()
            .rev()
            .take_while(|s| (s.created_ms as f64) > t - trail_ms)
            .take(MAX_TRAIL);
        for s in recent {
            let progress = ((t - s.created_ms as f64) / trail_ms).clamp(0.0, 1.0);
            // A record send() rejected (e.g. a partitioner's InvalidRecordException) drops
            // out below the partitioner in red.
            let (end, color) = match s.partition {
                Some(p) => {
                    let (row_top, row_h) = acc_row(p, n_partitions);
                    ((ACC_X + 60.0, row_top + row_h / 2.0), partition_color(p))
                }
                None => ((PART_X + PART_W / 2.0, TRACK_Y + 90.0), "#dc2626"),
            };
            let waypoints = [
                (APP_X + APP_W - 10.0, TRACK_Y),
                (SER_X + SER_W / 2.0, TRACK_Y),
                (PART_X + PART_W - 8.0, TRACK_Y),
                end,
            ];
            let (x, y) = along(&waypoints, ease(progress));
            ctx.set_global_alpha(1.0 - 0.6 * progress.powi(4));
            ctx.set_fill_style_str(color);
            ctx.begin_path();
            ctx.arc(x, y, 5.0, 0.0, std::f64::consts::TAU).ok();
            ctx.fill();
        }
        ctx.set_global_alpha(1.0);
    }

    // Requests and responses on the wire.
    for msg in sim.network().in_flight() {
        let span = (msg.deliver_ms - msg.sent_ms).max(1) as f64;
        let progress = ease(((t - msg.sent_ms as f64) / span).clamp(0.0, 1.0));
        if let (Node::Broker(a), Node::Broker(b)) = (msg.from, msg.to) {
            // Replication: fetches and their answers travel between broker boxes, along
            // the brokers' left edge.
            let (ya, yb) = (broker_y(a, n_brokers), broker_y(b, n_brokers));
            let y = ya + (yb - ya) * progress;
            let x = BROKER_X - 8.0;
            let (fill, r) = match &msg.payload {
                Payload::FetchResponse(resp)
                    if resp.partitions.iter().any(|p| !p.records.is_empty()) =>
                {
                    ("#7c3aed", 4.5)
                }
                Payload::FetchResponse(_) => ("#c4b5fd", 3.0),
                // A coordinator's transaction markers on their way to a leader, and back.
                Payload::WriteTxnMarkers(_) => ("#ea580c", 5.0),
                Payload::WriteTxnMarkersResponse(_) => ("#fdba74", 3.5),
                _ => ("#94a3b8", 3.0),
            };
            ctx.set_fill_style_str(fill);
            ctx.begin_path();
            ctx.arc(x, y, r, 0.0, std::f64::consts::TAU).ok();
            ctx.fill();
            continue;
        }
        let (broker, to_broker) = match (msg.from, msg.to) {
            (Node::Producer(_), Node::Broker(b)) => (b, true),
            (Node::Broker(b), Node::Producer(_)) => (b, false),
            // Controller traffic is drawn by its effects (crowns, ISR), not in flight.
            _ => continue,
        };
        let y = broker_y(broker, n_brokers);
        let (x0, x1) = (NET_X0 + 4.0, BROKER_X - 4.0);
        let x = if to_broker {
            x0 + (x1 - x0) * progress
        } else {
            x1 - (x1 - x0) * progress
        };
        match &msg.payload {
            Payload::Produce(req) => {
                let records: usize = req.batches.iter().map(|b| b.records.len()).sum();
                let w = 30.0 + 4.0 * (req.batches.len() as f64 - 1.0).min(6.0);
                rounded(ctx, x - w / 2.0, y - 24.0, w, 18.0, 4.0, "#1e293b");
                // One stripe per batch, in its partition's colour.
                let stripe = (w - 6.0) / req.batches.len() as f64;
                for (i, b) in req.batches.iter().enumerate() {
                    ctx.set_fill_style_str(partition_color(b.tp.partition));
                    ctx.fill_rect(
                        x - w / 2.0 + 3.0 + stripe * i as f64,
                        y - 10.0,
                        stripe - 1.0,
                        3.0,
                    );
                }
                ctx.set_fill_style_str("#ffffff");
                ctx.set_font("600 10px system-ui, sans-serif");
                ctx.set_text_align("center");
                ctx.fill_text(&records.to_string(), x, y - 12.0).ok();
                // The idempotent producer's badge: producer id, epoch, first sequence.
                if let Some(b) = req.batches.first().filter(|b| b.producer_id >= 0) {
                    ctx.set_fill_style_str("#475569");
                    ctx.set_font("9px ui-monospace, monospace");
                    let txn = if b.transactional { " T" } else { "" };
                    let badge = format!(
                        "P{} e{} s{}{txn}",
                        b.producer_id, b.producer_epoch, b.base_sequence
                    );
                    ctx.fill_text(&badge, x, y - 27.0).ok();
                }
            }
            Payload::TxnRequest(req) => {
                let label = match req {
                    TxnRequest::FindCoordinator { .. } => "Find",
                    TxnRequest::InitProducerId { .. } => "Init",
                    TxnRequest::AddPartitionsToTxn { .. } => "AddP",
                    TxnRequest::AddOffsetsToTxn { .. } => "AddO",
                    TxnRequest::FindGroupCoordinator { .. } => "FindG",
                    TxnRequest::TxnOffsetCommit { .. } => "Offs",
                    TxnRequest::EndTxn { .. } => "End",
                };
                rounded(ctx, x - 15.0, y + 24.0, 30.0, 13.0, 3.0, "#f59e0b");
                ctx.set_fill_style_str("#1f2937");
                ctx.set_font("600 9px system-ui, sans-serif");
                ctx.set_text_align("center");
                ctx.fill_text(label, x, y + 34.0).ok();
            }
            Payload::TxnResponse(_) => {
                rounded(ctx, x - 8.0, y + 24.0, 16.0, 13.0, 6.0, "#fcd34d");
            }
            Payload::ProduceResponse(_) => {
                rounded(ctx, x - 12.0, y + 6.0, 24.0, 14.0, 7.0, "#16a34a");
                ctx.set_fill_style_str("#ffffff");
                ctx.set_font("600 9px system-ui, sans-serif");
                ctx.set_text_align("center");
                ctx.fill_text("ack", x, y + 16.0).ok();
            }
            Payload::MetadataRequest | Payload::MetadataResponse(_) => {
                ctx.set_fill_style_str("#2563eb");
                ctx.begin_path();
                ctx.arc(x, y + 26.0, 4.0, 0.0, std::f64::consts::TAU).ok();
                ctx.fill();
            }
            Payload::ConnectionClosed => {
                ctx.set_stroke_style_str("#dc2626");
                ctx.set_line_width(2.0);
                ctx.begin_path();
                ctx.move_to(x - 5.0, y - 5.0);
                ctx.line_to(x + 5.0, y + 5.0);
                ctx.move_to(x + 5.0, y - 5.0);
                ctx.line_to(x - 5.0, y + 5.0);
                ctx.stroke();
            }
            _ => {}
        }
    }
}

/// The point at fraction `f` of the polyline through `points`, by segment count.
fn along(points: &[(f64, f64)], f: f64) -> (f64, f64) {
    let segments = (points.len() - 1) as f64;
    let pos = (f * segments).min(segments - 1e-9);
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
