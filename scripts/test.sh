#!/usr/bin/env bash
# Set up (idempotent), then run the whole test suite: unit tests, then the slow group
# (real models, a real llama.cpp server, headless Chromium). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
