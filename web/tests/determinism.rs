//! The core compiled to wasm gives the same trace as natively: the quickstart scenario's
//! `trace_hash` is pinned once, and checked here in Chromium and in `tests/simulation.rs`.

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn quickstart_trace_hash_matches_native() {
    let result = kafka_lab::run_scenario(include_str!("../../scenarios/quickstart.json"))
        .expect("quickstart is valid");
    assert_eq!(
        result.trace_hash,
        include_str!("../../scenarios/quickstart.trace_hash").trim()
    );
}
