//! Retry backoff (`common/utils/ExponentialBackoff.java`, KIP-580): exponential with
//! jitter since 3.7, a constant `retry.backoff.ms` before.

use crate::rng::Rng;
use crate::version::KafkaVersion;

/// `CommonClientConfigs.RETRY_BACKOFF_EXP_BASE` and `RETRY_BACKOFF_JITTER`.
const EXP_BASE: u64 = 2;
const JITTER: f64 = 0.2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExponentialBackoff {
    initial_ms: u64,
    max_ms: u64,
    /// False before 3.7: every retry waits exactly `initial_ms`.
    exponential: bool,
}

impl ExponentialBackoff {
    pub fn new(version: KafkaVersion, retry_backoff_ms: u64, retry_backoff_max_ms: u64) -> Self {
        ExponentialBackoff {
            initial_ms: retry_backoff_ms,
            max_ms: retry_backoff_max_ms,
            exponential: version.at_least(3, 7) && retry_backoff_max_ms > retry_backoff_ms,
        }
    }

    /// `backoff(attempts)`: `initial · 2^min(attempts, log2(max/initial)) · U[0.8, 1.2)`,
    /// truncated, capped at `max`. Kafka draws a fresh factor at every call, so do we.
    ///
    /// Kafka computes `2^min(n, expMax)` with `Math.pow` and `Math.log`; past `expMax` the
    /// term is `max` itself. Only `+ − × /` on f64 are used here, which IEEE 754 makes
    /// identical on every target, so the trace is the same natively and in wasm.
    pub fn backoff(&self, attempts: u32, rng: &mut Rng) -> u64 {
        if !self.exponential || self.initial_ms == 0 {
            return self.initial_ms;
        }
        let initial = self.initial_ms;
        let mut term = self.max_ms;
        let mut grown = initial;
        for _ in 0..attempts.min(63) {
            grown = grown.saturating_mul(EXP_BASE);
            if grown >= self.max_ms {
                break;
            }
        }
        if grown < self.max_ms {
            term = grown;
        }
        let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let factor = (1.0 - JITTER) + unit * (2.0 * JITTER);
        ((factor * term as f64) as u64).min(self.max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_kafkas_ranges() {
        let b = ExponentialBackoff::new(KafkaVersion::latest(), 100, 1000);
        let mut rng = Rng::new(3);
        let ranges = [(80, 120), (160, 240), (320, 480), (640, 960), (800, 1000)];
        for (n, (lo, hi)) in ranges.into_iter().enumerate() {
            for _ in 0..200 {
                let v = b.backoff(n as u32, &mut rng);
                assert!((lo..=hi).contains(&v), "attempt {n}: {v}");
            }
        }
    }

    #[test]
    fn constant_before_3_7_or_when_max_is_not_above_initial() {
        let mut rng = Rng::new(3);
        let old = ExponentialBackoff::new(KafkaVersion::parse("3.6").unwrap(), 100, 1000);
        assert_eq!(old.backoff(4, &mut rng), 100);
        let flat = ExponentialBackoff::new(KafkaVersion::latest(), 500, 500);
        assert_eq!(flat.backoff(4, &mut rng), 500);
    }
}
