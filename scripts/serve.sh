#!/usr/bin/env bash
# The serve command: installs the build tools if missing, builds the site into www/
# and serves it on http://127.0.0.1:8080/ (PORT overrides). Opens nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --build-only
bash scripts/build.sh
exec node scripts/serve.mjs
