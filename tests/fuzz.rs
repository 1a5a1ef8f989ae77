//! A fuzz smoke of the scenario reader and the simulation (issue 9): every scenario file,
//! mutated at random — as text (characters deleted, inserted, replaced; values replaced by
//! huge, negative or fractional numbers and odd strings; pieces repeated) and as JSON (a
//! value anywhere replaced, a field removed, a list item repeated, which mostly stays
//! readable and reaches the simulation) — is read and, when valid, simulated for a bounded
//! number of events. Nothing may panic, and every rejection names its field.
//! `FUZZ_CASES=N` per file and kind (default 40 in the test command); it prints how many
//! cases ran.

use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::Gen;
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

const PIECES: &[&str] = &[
    "-1",
    "0",
    "4294967296",
    "18446744073709551616",
    "1e400",
    "0.5",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "\"all\"",
    "\"-1\"",
    "\"9999999999\"",
    "\"\\u0000\"",
    "\"판교\"",
    ",",
    ":",
];

fn mutate(text: &str, g: &mut Gen) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + g.index(3) {
        let at = g.index(chars.len());
        match g.index(5) {
            0 => {
                let n = 1 + g.index(8);
                chars.drain(at..(at + n).min(chars.len()));
            }
            1 => chars.insert(at, (b' ' + g.index(95) as u8) as char),
            2 => {
                // A number (or the value at `at`) replaced by a piece.
                let end = (at..chars.len())
                    .find(|&i| matches!(chars[i], ',' | '}' | ']'))
                    .unwrap_or(chars.len());
                let piece: Vec<char> = PIECES[g.index(PIECES.len())].chars().collect();
                chars.splice(at..end, piece);
            }
            3 => {
                let n = 1 + g.index(40);
                let piece: Vec<char> = chars[at..(at + n).min(chars.len())].to_vec();
                let to = g.index(chars.len());
                chars.splice(to..to, piece);
            }
            _ => {
                if let Some(c) = chars.get_mut(at) {
                    *c = ['{', '}', '[', ']', '"', '0', 'x', ' '][g.index(8)];
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn odd_value(g: &mut Gen) -> Value {
    match g.index(14) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(1),
        3 => json!(4_294_967_296u64),
        4 => json!(u64::MAX),
        5 => json!(1_000_000_000),
        6 => json!(0.5),
        7 => json!(""),
        8 => json!("x"),
        9 => json!("-1"),
        10 => json!("1000000"),
        11 => Value::Null,
        12 => json!(true),
        _ => json!([]),
    }
}

/// Every value's place in `v`, as a path of object keys and list indices.
fn places(v: &Value, at: &mut Vec<Vec<Place>>, path: Vec<Place>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = path.clone();
                p.push(Place::Key(k.clone()));
                places(x, at, p);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let mut p = path.clone();
                p.push(Place::Index(i));
                places(x, at, p);
            }
        }
        _ => {}
    }
    at.push(path);
}

#[derive(Clone)]
enum Place {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(v: &'a mut Value, path: &[Place]) -> &'a mut Value {
    path.iter().fold(v, |v, p| match p {
        Place::Key(k) => &mut v[k.as_str()],
        Place::Index(i) => &mut v[*i],
    })
}

fn mutate_json(text: &str, g: &mut Gen) -> String {
    let mut v: Value = serde_json::from_str(text).unwrap();
    for _ in 0..1 + g.index(2) {
        let mut all = Vec::new();
        places(&v, &mut all, Vec::new());
        let path = all[g.index(all.len())].clone();
        match (g.index(4), path.split_last()) {
            (0, Some((Place::Key(k), parent))) => {
                if let Value::Object(m) = at_mut(&mut v, parent) {
                    m.remove(k);
                }
            }
            (1, Some((Place::Index(i), parent))) => {
                if let Value::Array(a) = at_mut(&mut v, parent) {
                    let x = a[*i].clone();
                    a.insert(*i, x);
                }
            }
            _ => *at_mut(&mut v, &path) = odd_value(g),
        }
    }
    v.to_string()
}

/// Reads `text` and, if valid, runs it for at most `events` events.
fn exercise(text: &str, events: u32) -> Result<bool, String> {
    let scenario = match Scenario::from_json(text) {
        Ok(s) => s,
        Err(e) if e.path.is_empty() || e.message.is_empty() => {
            return Err(format!("a rejection without its field: {e:?}"))
        }
        Err(_) => return Ok(false),
    };
    match Simulation::new(&scenario) {
        Ok(mut sim) => {
            for _ in 0..events {
                if !sim.step() {
                    break;
                }
            }
            Ok(true)
        }
        Err(errors) => match errors
            .iter()
            .find(|e| e.path.is_empty() || e.message.is_empty())
        {
            Some(e) => Err(format!("a rejection without its field: {e:?}")),
            None => Ok(false),
        },
    }
}

#[test]
fn mutated_scenarios_never_panic_and_every_rejection_names_its_field() {
    let per_file: usize = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut cases, mut ran) = (0, 0);
    let mut g = Gen(2026);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for k in 0..per_file * 2 {
            let input = if k % 2 == 0 {
                mutate(&text, &mut g)
            } else {
                mutate_json(&text, &mut g)
            };
            let outcome = catch_unwind(AssertUnwindSafe(|| exercise(&input, 10_000)));
            match outcome {
                Ok(Ok(valid)) => ran += valid as u32,
                Ok(Err(e)) => panic!("{}: {e}\n{input}", file.display()),
                Err(_) => panic!("{}: panicked on\n{input}", file.display()),
            }
            cases += 1;
        }
    }
    assert!(ran > 0, "some mutations stay valid and run");
    println!(
        "fuzz cases: {cases} mutated scenarios ({ran} valid and simulated for up to 10,000 events)"
    );
}

#[test]
fn times_past_the_longest_run_are_refused_by_name() {
    // Found by the fuzzing above: an interval of u64::MAX overflowed the clock.
    let cases = [
        (
            r#"{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"v","count":2,"interval_ms":18446744073709551615}"#,
            "actions[0].interval_ms",
        ),
        (
            r#"{"at_ms":18446744073709551615,"action":"flush","producer":"p"}"#,
            "actions[0].at_ms",
        ),
        (
            r#"{"at_ms":0,"action":"slow_broker","broker":0,"extra_latency_ms":18446744073709551615}"#,
            "actions[0].extra_latency_ms",
        ),
    ];
    for (action, path) in cases {
        let json = format!(
            r#"{{"brokers":1,"topics":[{{"name":"t","partitions":1}}],"producers":[{{"name":"p"}}],"actions":[{action}],"until_ms":1000}}"#
        );
        let scenario = Scenario::from_json(&json).expect("readable");
        let Err(errors) = Simulation::new(&scenario) else {
            panic!("{path} accepted");
        };
        assert!(
            errors
                .iter()
                .any(|e| e.path == path && e.message.contains("at most 86400000 ms")),
            "{errors:?}"
        );
    }
}
