//! Shared helpers for the cross-crate tests in this folder.

use std::path::PathBuf;

pub mod wire_cases;

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
    serde_json::to_value(result).expect("result serializes")
}
