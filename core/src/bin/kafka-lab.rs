//! `kafka-lab`: the native runner of the scenario contract (`shared/SCENARIO.md`).
//!
//!   kafka-lab run FILE.json [--until-ms N] [--seed N]
//!   kafka-lab validate FILE.json
//!   kafka-lab trace FILE.json [--until-ms N] [--seed N]   (the events `trace_hash` hashes, a line each)
//!   kafka-lab partition --partitions N [--hex] KEY...
//!
//! Bad input exits 2 with one `error: <json.path>: <message>` line per problem on stderr.

use kafka_lab::producer::partitioner::partition_for_key;
use kafka_lab::result::RunResult;
use kafka_lab::serializer::parse_hex;
use kafka_lab::{Scenario, ScenarioError, Simulation};
use std::process::ExitCode;

const USAGE: &str = "usage:
  kafka-lab run FILE.json [--until-ms N] [--seed N]
  kafka-lab validate FILE.json
  kafka-lab trace FILE.json [--until-ms N] [--seed N]
  kafka-lab partition --partitions N [--hex] KEY...";

fn fail(errors: &[ScenarioError]) -> ExitCode {
    for e in errors {
        eprintln!("{e}");
    }
    ExitCode::from(2)
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("error: {problem}\n{USAGE}");
    ExitCode::from(2)
}

fn load(path: &str) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::new("$", format!("cannot read {path}: {e}")))?;
    Scenario::from_json(&text)
}

fn flag_value(args: &[String], i: usize, name: &str) -> Result<u64, String> {
    let raw = args.get(i + 1).ok_or(format!("{name} needs a value"))?;
    raw.parse()
        .map_err(|_| format!("{name}: '{raw}' is not a non-negative integer"))
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Run,
    Validate,
    Trace,
}

fn run(args: &[String], mode: Mode) -> ExitCode {
    let execute = mode != Mode::Validate;
    let mut file = None;
    let mut until = None;
    let mut seed = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--until-ms" if execute => match flag_value(args, i, "--until-ms") {
                Ok(v) => {
                    until = Some(v);
                    i += 1;
                }
                Err(e) => return usage(&e),
            },
            "--seed" if execute => match flag_value(args, i, "--seed") {
                Ok(v) => {
                    seed = Some(v);
                    i += 1;
                }
                Err(e) => return usage(&e),
            },
            a if a.starts_with("--") => return usage(&format!("unknown option {a}")),
            a if file.is_none() => file = Some(a.to_string()),
            a => return usage(&format!("unexpected argument {a}")),
        }
        i += 1;
    }
    let Some(file) = file else {
        return usage("a scenario file is required");
    };
    let mut scenario = match load(&file) {
        Ok(s) => s,
        Err(e) => return fail(&[e]),
    };
    if let Some(u) = until {
        scenario.until_ms = u;
    }
    if let Some(s) = seed {
        scenario.seed = s;
    }
    let mut sim = match Simulation::new(&scenario) {
        Ok(sim) => sim,
        Err(es) => return fail(&es),
    };
    match mode {
        Mode::Validate => {}
        Mode::Run => {
            sim.run();
            println!("{}", RunResult::of(&sim).to_json_pretty());
        }
        Mode::Trace => {
            sim.record_trace();
            sim.run();
            let mut out = String::new();
            for (at, event) in sim.trace() {
                out.push_str(&format!("{at} {event}\n"));
            }
            print!("{out}");
        }
    }
    ExitCode::SUCCESS
}

fn partition(args: &[String]) -> ExitCode {
    let mut n = None;
    let mut hex = false;
    let mut keys = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--partitions" => match flag_value(args, i, "--partitions") {
                Ok(v) if (1..=i32::MAX as u64).contains(&v) => {
                    n = Some(v as u32);
                    i += 1;
                }
                Ok(_) => return usage("--partitions must be at least 1"),
                Err(e) => return usage(&e),
            },
            "--hex" => hex = true,
            "--" => {
                keys.extend(args[i + 1..].iter().cloned());
                break;
            }
            a if a.starts_with("--") => return usage(&format!("unknown option {a}")),
            a => keys.push(a.to_string()),
        }
        i += 1;
    }
    let Some(n) = n else {
        return usage("--partitions N is required");
    };
    if keys.is_empty() {
        return usage("at least one KEY is required");
    }
    let mut lines = String::new();
    for key in &keys {
        let bytes = if hex {
            match parse_hex(key) {
                Some(b) => b,
                None => return usage(&format!("'{key}' is not hex bytes")),
            }
        } else {
            key.as_bytes().to_vec()
        };
        lines.push_str(&format!("{key}\t{}\n", partition_for_key(&bytes, n)));
    }
    print!("{lines}");
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..], Mode::Run),
        Some("validate") => run(&args[1..], Mode::Validate),
        Some("trace") => run(&args[1..], Mode::Trace),
        Some("partition") => partition(&args[1..]),
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => usage(&format!("unknown command '{other}'")),
        None => usage("a command is required"),
    }
}
