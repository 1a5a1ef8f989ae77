//! Shared helpers for the cross-crate tests in this folder.

use std::path::PathBuf;

pub mod wire_cases;

/// SplitMix64: the random cases' own randomness (`properties.rs`, `fuzz.rs`), independent
/// of the simulation's.
pub struct Gen(pub u64);

impl Gen {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An index into `n` things.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.index(xs.len())]
    }
}

/// Partitions 0 and 1 of the first topic, as Kafka's client tests name them.
pub const TP0: kafka_lab::metadata::TopicPartition = kafka_lab::metadata::TopicPartition {
    topic: 0,
    partition: 0,
};
pub const TP1: kafka_lab::metadata::TopicPartition = kafka_lab::metadata::TopicPartition {
    topic: 0,
    partition: 1,
};

/// `../shared/` next to the repository (where CI puts it), or `KAFKA_LAB_SHARED`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("KAFKA_LAB_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// Runs a scenario given as JSON text and returns the result JSON.
pub fn run_json(scenario: &str) -> serde_json::Value {
    let result = kafka_lab::run_scenario(scenario).unwrap_or_else(|e| panic!("invalid: {e:?}"));
    serde_json::from_str(&result.to_json_pretty()).expect("the result is JSON")
}

/// The `ProduceResponse`s among a broker's outgoing messages.
pub fn produce_responses(
    out: &kafka_lab::effects::Effects,
) -> Vec<kafka_lab::net::ProduceResponse> {
    out.messages
        .iter()
        .filter_map(|(_, _, payload)| match payload {
            kafka_lab::net::Payload::ProduceResponse(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// `RecordAccumulator.append` with memory always at hand: Kafka's accumulator tests give
/// it a pool larger than they use, so a new batch's buffer is allocated at once.
#[allow(clippy::too_many_arguments)]
pub fn append(
    acc: &mut kafka_lab::producer::accumulator::RecordAccumulator,
    topic: u32,
    partition: Option<u32>,
    index: u32,
    data: &kafka_lab::record::RecordRef,
    abort_on_new_batch: bool,
    now: u64,
    rng: &mut impl kafka_lab::rng::RandomSource,
    cluster: &kafka_lab::metadata::Cluster,
) -> kafka_lab::producer::accumulator::AppendResult {
    let fields = kafka_lab::record::FieldsSize::of(data.key_len(), data.value_len());
    let first = acc.append(
        topic,
        partition,
        index,
        data,
        fields,
        abort_on_new_batch,
        None,
        now,
        rng,
        cluster,
    );
    match first.needs_buffer {
        Some(size) => acc.append(
            topic,
            partition,
            index,
            data,
            fields,
            false,
            Some(size),
            now,
            rng,
            cluster,
        ),
        None => first,
    }
}
