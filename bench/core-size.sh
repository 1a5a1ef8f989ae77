#!/usr/bin/env bash
# How many of the shipped bytes the simulation core alone takes (issue 8's 250 KB budget):
# a throwaway wasm module that reads a scenario, runs it and clones it (a snapshot), built
# and optimized as scripts/build.sh builds the site, with nothing of the app around it.
# The app uses more of the core than this, so the figure is a floor. docs/perf.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/src"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "core-size"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
[dependencies]
kafka-lab-core = { path = "$root/core" }
[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
[profile.release.package.kafka-lab-core]
opt-level = 2
TOML
cat > "$dir/src/lib.rs" <<'RS'
/// Runs the scenario in `json` (`len` bytes at `ptr`) to its end; its events, doubled
/// through a clone so that snapshots are counted in.
#[no_mangle]
pub extern "C" fn run(ptr: *const u8, len: usize) -> u64 {
    // SAFETY: the caller hands over `len` readable bytes at `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    let Ok(json) = std::str::from_utf8(bytes) else { return 0 };
    let Ok(scenario) = kafka_lab::Scenario::from_json(json) else { return 0 };
    let Ok(mut sim) = kafka_lab::Simulation::new(&scenario) else { return 0 };
    sim.run();
    sim.clone().steps() + sim.steps()
}
RS
CARGO_TARGET_DIR="$dir/target" cargo build -q --release --manifest-path "$dir/Cargo.toml" \
  --target wasm32-unknown-unknown
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$dir/target/wasm32-unknown-unknown/release/core_size.wasm" -o "$dir/core.wasm"
echo "the core alone: $(wc -c < "$dir/core.wasm") bytes of wasm, $(gzip -9 -c "$dir/core.wasm" | wc -c) gzipped"
