//! Kafka Lab core: a deterministic, sans-IO simulation of Kafka's producer and brokers.
//!
//! Every component is a state machine fed events and the current virtual time; the
//! [`sim::Simulation`] owns the clock, the seeded rng and the event queue, and is the
//! only thing that moves data between components. The same scenario and seed give the
//! same trace, byte for byte, natively and in wasm.

pub mod backoff;
pub mod broker;
pub mod chunked;
pub mod compression;
pub mod config;
pub mod consumer;
pub mod controller;
pub mod coordinator;
pub mod effects;
pub mod errors;
pub mod event_queue;
pub mod float;
pub mod group_coordinator;
pub mod json;
pub mod ledger;
pub mod lifecycle;
pub mod link;
pub mod metadata;
pub mod metrics;
pub mod net;
pub mod producer;
pub mod record;
pub mod record_batch;
pub mod result;
pub mod rng;
pub mod scenario;
pub mod serializer;
pub mod sim;
pub mod sort;
pub mod trace;
pub mod utils;
pub mod vec_map;
pub mod version;

pub use scenario::{Scenario, ScenarioError};
pub use sim::Simulation;

/// Parses, validates and runs a scenario to its end.
pub fn run_scenario(json: &str) -> Result<result::RunResult, Vec<ScenarioError>> {
    let scenario = Scenario::from_json(json).map_err(|e| vec![e])?;
    let mut sim = Simulation::new(&scenario)?;
    sim.run();
    Ok(result::RunResult::of(&sim))
}
