#!/usr/bin/env bash
# Builds the site into www/: the Yew app as one wasm module plus its JS glue, with
# relative paths so the same output works under a GitHub Pages sub-path.
set -euo pipefail
cd "$(dirname "$0")/.."
# --crate-type cdylib alone keeps LTO (the manifest also lists rlib for the tests).
cargo rustc -p kafka-lab-web --release --target wasm32-unknown-unknown --crate-type cdylib
rm -rf www/pkg
wasm-bindgen --target web --no-typescript --out-dir www/pkg \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/kafka_lab_web.wasm"
# --converge: the passes again until nothing shrinks (0.4 KB gzipped, ~12 s more).
node_modules/.bin/wasm-opt -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int \
  www/pkg/kafka_lab_web_bg.wasm -o www/pkg/kafka_lab_web_bg.wasm
echo "built: $(du -b www/pkg/kafka_lab_web_bg.wasm | cut -f1) bytes of wasm," \
  "$(gzip -9 -c www/pkg/kafka_lab_web_bg.wasm | wc -c) gzipped"
# Lessons are fetched when opened (web/src/lesson.rs), not built into the wasm.
rm -rf www/lessons
mkdir -p www/lessons
cp lessons/*.json www/lessons/
# The sample slide deck (www/deck/) uses reveal.js, served from the site itself: no
# third-party requests (its white theme carries its fonts as data: URLs).
mkdir -p www/deck/vendor
cp node_modules/reveal.js/dist/reveal.js node_modules/reveal.js/dist/reveal.css \
  node_modules/reveal.js/dist/theme/white.css www/deck/vendor/
