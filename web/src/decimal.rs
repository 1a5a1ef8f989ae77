//! Decimals as the views show them: a fixed number of digits after the point. The
//! standard library's float formatting (shortest round trip, every precision, exact
//! ties) was about 10 KB of the bundle for this (issue 8).

use std::fmt;

/// `.0` with `.1` digits after the point, rounded half away from zero (`{:.N}` rounds
/// exact ties to even; no view shows a value where that differs). Width and alignment
/// apply as to a string: `{:>7}`.
#[derive(Clone, Copy, Debug)]
pub struct Fixed(pub f64, pub u8);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fixed(v, decimals) = *self;
        if !v.is_finite() {
            return f.pad(if v.is_nan() {
                "NaN"
            } else if v > 0.0 {
                "inf"
            } else {
                "-inf"
            });
        }
        let scale = 10u64.pow(decimals.min(18) as u32);
        // Saturates far beyond any value a view shows.
        let n = (v.abs() * scale as f64 + 0.5).floor() as u64;
        let mut s = String::new();
        if v < 0.0 && n != 0 {
            s.push('-');
        }
        s.push_str(&(n / scale).to_string());
        if decimals > 0 {
            let fraction = (n % scale).to_string();
            s.push('.');
            s.extend(std::iter::repeat_n('0', decimals as usize - fraction.len()));
            s.push_str(&fraction);
        }
        f.pad(&s)
    }
}

/// At most `decimals` digits after the point, none of them trailing zeros.
pub fn trimmed(v: f64, decimals: u8) -> String {
    let s = Fixed(v, decimals).to_string();
    match s.split_once('.') {
        Some((whole, fraction)) if fraction.bytes().all(|b| b == b'0') => whole.to_string(),
        Some(_) => s.trim_end_matches('0').to_string(),
        None => s,
    }
}

/// A coordinate or length for SVG: two decimals are finer than any screen shows.
pub fn svg(v: f64) -> String {
    trimmed(v, 2)
}

/// `v.clamp(lo, hi)` without its assertion, whose message formats floats (that
/// formatter is what this module keeps out of the bundle).
#[allow(clippy::manual_clamp)]
pub fn within(v: f64, lo: f64, hi: f64) -> f64 {
    v.max(lo).min(hi)
}

/// Broker ids as a list, `[0, 1, 2]` (what `{:?}` printed, without the Debug machinery).
pub struct Ids<'a>(pub &'a [u32]);

impl fmt::Display for Ids<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{id}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::{svg, trimmed, Fixed, Ids};

    #[test]
    fn ids_print_as_debug_did() {
        for ids in [&[][..], &[2], &[0, 1, 2]] {
            assert_eq!(Ids(ids).to_string(), format!("{ids:?}"));
        }
    }

    #[test]
    fn svg_numbers_are_short() {
        assert_eq!(svg(12.0), "12");
        assert_eq!(svg(12.5), "12.5");
        assert_eq!(svg(-0.333), "-0.33");
        assert_eq!(svg(99.999), "100");
        assert_eq!(trimmed(1234.5, 3), "1234.5");
        assert_eq!(trimmed(1e12, 0), "1000000000000");
    }

    #[test]
    fn like_a_precision_except_on_exact_ties() {
        for (v, d) in [
            (0.0, 3),
            (1.5, 0),
            (2.0004, 3),
            (12.3456, 1),
            (-3.24159, 2),
            (999.9996, 3),
            (0.05, 1),
            (1e9 / 7.0, 2),
            (61.0, 0),
        ] {
            assert_eq!(
                Fixed(v, d).to_string(),
                format!("{v:.*}", d as usize),
                "{v} {d}"
            );
        }
        assert_eq!(Fixed(-0.0001, 3).to_string(), "0.000");
        assert_eq!(format!("{:>7}s", Fixed(1.5, 3)), "  1.500s");
        assert_eq!(Fixed(f64::NAN, 1).to_string(), "NaN");
    }
}
