#!/usr/bin/env bash
# Cross-checks the record batch encoder against kafka-python: builds and runs the
# wire_batches example, then decodes every batch with tests/wire/crosscheck.py in a venv
# under target/wire-venv (created and filled from requirements.txt only when missing or
# when requirements.txt changed). Exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/wire-venv
req=tests/wire/requirements.txt
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ ! -x "$venv/bin/python" ]; then
  # Debian ships venv's pip bootstrap (ensurepip) separately, in python3-venv.
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    sudo_if_needed apt-get update
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv
  fi
  python3 -m venv "$venv"
fi
if ! cmp -s "$req" "$venv/requirements.installed"; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$venv/requirements.installed"
fi
mkdir -p target/wire
cargo run --quiet -p kafka-lab-tests --example wire_batches > target/wire/batches.jsonl
"$venv/bin/python" tests/wire/crosscheck.py target/wire/batches.jsonl
