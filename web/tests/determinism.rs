//! The core compiled to wasm gives the same trace as natively: every scenario file's
//! `trace_hash` is pinned once (`scenarios/trace_hashes`), and checked here in Chromium
//! and natively in `tests/simulation.rs`. The files cover retries, failovers, unclean
//! elections, transactions, retention and consumers, so iteration order, arithmetic and
//! randomness all feed the hashes.

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! scenarios {
    ($($file:literal),* $(,)?) => {
        [$(($file, include_str!(concat!("../../scenarios/", $file)))),*]
    };
}

#[wasm_bindgen_test]
fn every_scenario_file_s_trace_hash_matches_native() {
    let files = scenarios!(
        "acks1-loss.json",
        "hanging-transaction.json",
        "leader-failover.json",
        "lost-response.json",
        "quickstart.json",
        "retention.json",
        "slow-follower.json",
        "transactions.json",
        "unclean-election.json",
    );
    let pins = include_str!("../../scenarios/trace_hashes");
    assert_eq!(
        pins.lines().count(),
        files.len(),
        "every pinned file is run"
    );
    for (line, (file, text)) in pins.lines().zip(files) {
        let (pinned, hash) = line.split_once(' ').expect("<file> <hash>");
        assert_eq!(pinned, file);
        let result = kafka_lab::run_scenario(text).expect("a valid scenario");
        assert_eq!(result.trace_hash, hash, "{file}");
    }
}
