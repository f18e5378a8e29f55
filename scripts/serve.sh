#!/usr/bin/env bash
# The main job: set up (idempotent), then start the chat UI on http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/rag serve "$@"
