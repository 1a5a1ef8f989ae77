#!/usr/bin/env bash
# The test command: every test, from a fresh machine with only Rust, node and apt.
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { printf '\n==== %s ====\n' "$*"; }

stage setup
bash scripts/setup.sh

stage "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p kafka-lab-core -p kafka-lab-web --target wasm32-unknown-unknown -- -D warnings

stage "native tests (cargo test --workspace)"
# The random cases run next, on their own, so that they print how many ran.
cargo test --workspace -- --skip invariants_hold_over_random_scenarios --skip mutated_scenarios_never_panic --skip random_configs_never_panic --skip mutated_links_never_panic

stage "property cases and fuzz smoke (docs/reliability.md)"
cargo test -p kafka-lab-tests --test properties --test fuzz -- --nocapture 2>&1 |
  grep -E "^(property|fuzz) cases:|^test result|panicked|FAILED"

stage "wire format cross-check (kafka-python decodes our record batches)"
bash tests/wire/run.sh

stage "browser tests (wasm-pack test --headless --chrome web)"
CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome web

stage "build the site"
bash scripts/build.sh

stage "shipped bytes (issue 8: the bundle may not grow back)"
bash scripts/size.sh

stage "end-to-end tests (Playwright, Debian chromium)"
node --test tests/e2e/
