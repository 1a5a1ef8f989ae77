//! Where each stage sits on the stage (a fixed 1200×540 coordinate space that the SVG
//! and the canvas both scale to the window). Pure functions of the cluster shape.

use crate::decimal::within;

pub const WIDTH: f64 = 1200.0;
pub const HEIGHT: f64 = 540.0;
pub const TOP: f64 = 70.0;
pub const BOTTOM: f64 = 528.0;

pub const APP_X: f64 = 16.0;
pub const APP_W: f64 = 118.0;
pub const SER_X: f64 = 150.0;
pub const SER_W: f64 = 104.0;
pub const PART_X: f64 = 270.0;
pub const PART_W: f64 = 118.0;
pub const ACC_X: f64 = 404.0;
pub const ACC_W: f64 = 300.0;
pub const SENDER_X: f64 = 720.0;
pub const SENDER_W: f64 = 96.0;
pub const NET_X0: f64 = SENDER_X + SENDER_W;
pub const BROKER_X: f64 = 932.0;
pub const BROKER_W: f64 = 252.0;

/// Vertical centre of the producer-side pipeline boxes.
pub const MID_Y: f64 = (TOP + BOTTOM) / 2.0;
/// Height of those boxes, and the track records travel along, below their text.
pub const BOX_H: f64 = 150.0;
pub const TRACK_Y: f64 = MID_Y + 52.0;

/// Row of partition `p` of `n` in the accumulator: (top, height).
pub fn acc_row(p: u32, n: u32) -> (f64, f64) {
    let h = ((BOTTOM - TOP - 34.0) / n.max(1) as f64).min(84.0);
    (TOP + 30.0 + p as f64 * h, h)
}

/// Box of broker `b` of `n`: (top, height).
pub fn broker_box(b: u32, n: u32) -> (f64, f64) {
    let gap = 12.0;
    let h = (BOTTOM - TOP - gap * (n.max(1) - 1) as f64) / n.max(1) as f64;
    (TOP + b as f64 * (h + gap), h)
}

/// Vertical centre of broker `b`'s connection, in the sender and on the wire.
pub fn broker_y(b: u32, n: u32) -> f64 {
    let (top, h) = broker_box(b, n);
    top + h / 2.0
}

/// How many partition colours there are before they repeat.
pub const PALETTE_LEN: usize = 12;

/// A colour per partition, readable on white and on a projector.
pub fn partition_color(p: u32) -> &'static str {
    const PALETTE: [&str; PALETTE_LEN] = [
        "#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#65a30d",
        "#9333ea", "#0d9488", "#ea580c", "#4f46e5",
    ];
    PALETTE[p as usize % PALETTE_LEN]
}

/// Baseline of the `i`-th replica row in a broker box whose top is `top`.
pub fn log_row_y(top: f64, i: usize) -> f64 {
    top + 38.0 + i as f64 * 22.0
}

/// Ease-in-out, so things leave and arrive gently.
pub fn ease(t: f64) -> f64 {
    let t = within(t, 0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_boxes_fit_the_stage() {
        for n in 1..=12 {
            let (top, h) = acc_row(n - 1, n);
            assert!(top + h <= BOTTOM + 0.5, "{n} partitions");
        }
        for n in 1..=9 {
            let (top, h) = broker_box(n - 1, n);
            assert!((top + h - BOTTOM).abs() < 0.5);
        }
    }
}
