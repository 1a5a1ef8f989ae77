#!/usr/bin/env bash
# Installs what building and testing Kafka Lab needs, skipping what is already there:
# the wasm32 target, wasm-bindgen-cli at the exact version Cargo.lock pins, wasm-pack,
# npm packages (binaryen's wasm-opt, playwright-core) and, unless --build-only, Debian's
# chromium + chromium-driver. Nothing downloads a browser or a binary from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=false
[ "${1:-}" = "--build-only" ] && build_only=true

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

# The CLI must equal the wasm-bindgen crate in Cargo.lock (TOOLCHAIN.md: no --locked).
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

if ! $build_only && [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "0.15.1" ]; then
  cargo install wasm-pack --locked --version 0.15.1
fi

if [ ! -x node_modules/.bin/wasm-opt ] || { ! $build_only && [ ! -d node_modules/playwright-core ]; }; then
  npm ci --no-audit --no-fund
fi

if ! $build_only && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  sudo_if_needed apt-get update
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi
