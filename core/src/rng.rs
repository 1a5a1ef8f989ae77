//! The simulation's one seeded random source. Kafka draws from `ThreadLocalRandom`;
//! here every draw comes from this generator so a seed fixes the whole run.

/// Where Kafka's client code calls `ThreadLocalRandom.current().nextInt()`. Kafka's own
/// tests substitute a counter (0, 1, 2, …); so can ours.
pub trait RandomSource {
    fn next_int(&mut self) -> i32;
}

/// The substitute of Kafka's partitioner tests (`BuiltInPartitionerTest.SequentialPartitioner`).
#[derive(Clone, Debug, Default)]
pub struct Counter(pub i32);

impl RandomSource for Counter {
    fn next_int(&mut self) -> i32 {
        let v = self.0;
        self.0 = self.0.wrapping_add(1);
        v
    }
}

impl RandomSource for Rng {
    fn next_int(&mut self) -> i32 {
        self.next_i32()
    }
}

/// xoshiro256** seeded through SplitMix64: small, fast, identical on every target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A full-range `int`, like Java's `Random.nextInt()`.
    pub fn next_i32(&mut self) -> i32 {
        (self.next_u64() >> 32) as i32
    }

    /// Uniform in `0..n` (`n > 0`), by rejection so there is no modulo bias.
    pub fn below(&mut self, n: u32) -> u32 {
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return (v % n) as u32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(1);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
