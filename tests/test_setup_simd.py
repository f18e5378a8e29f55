"""scripts/setup.sh builds llama.cpp for the SIMD extensions this CPU really executes:
each one is probed by compiling and running a tiny program (cpuinfo is not trusted:
VMs here advertise AMX they do not enable)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from rag.answering.generators.llama_cpp import build_features

SETUP = Path(__file__).resolve().parent.parent / "scripts" / "setup.sh"


def _setup_functions() -> str:
    """setup.sh's probe functions (simd_probe, llama_cmake_args), without running the rest of it."""
    lines = SETUP.read_text(encoding="utf-8").splitlines()
    start = next(i for i, s in enumerate(lines) if s.startswith("LLAMA_VERSION="))
    end = next(i for i, s in enumerate(lines) if s.startswith("install_llama_cpp()"))
    return "\n".join(lines[start:end])


def _bash(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", _setup_functions() + "\n" + script], capture_output=True, text=True, timeout=120)


def test_probe_says_yes_to_code_that_runs_and_no_to_code_that_does_not_compile():
    ran = _bash('simd_probe "-O0" "printf(\\"%d\\", x + 1)" && echo yes || echo no')
    broken = _bash('simd_probe "-O0" "this is not C(" && echo yes || echo no')
    assert ran.stdout.strip() == "yes", ran.stderr
    assert broken.stdout.strip() == "no", broken.stderr


def test_probe_says_no_quietly_to_an_instruction_that_traps():
    # ud2 is the instruction defined to raise "illegal instruction" on every x86 CPU
    out = _bash('simd_probe "-O0" "__asm__ volatile(\\"ud2\\")" && echo yes || echo no')
    assert out.stdout.strip() == "no"
    assert "Illegal instruction" not in out.stderr  # a "no", not a shell message in the set-up log


def test_cmake_args_are_portable_and_keep_amx_off():
    args = _bash("llama_cmake_args").stdout.split()
    assert "-DGGML_NATIVE=OFF" in args and "-DGGML_AVX2=ON" in args
    assert {"-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"} <= set(args)
    on = {a[len("-DGGML_"):-len("=ON")] for a in args if a.endswith("=ON")}
    if on & {"AVX512_VNNI", "AVX512_VBMI", "AVX512_BF16"}:
        assert "AVX512" in on  # the AVX-512 sub-extensions are probed only on top of the base set


def test_installed_llama_cpp_was_built_for_what_the_probe_found():
    """The wheel setup.sh installed matches this machine's probe (a stale wheel from another
    machine, or a build that ignored the flags, shows up here)."""
    built = set(build_features())  # llama-cpp-python is installed by setup.sh (the llama extra)
    args = _bash("llama_cmake_args").stdout.split()
    for ext in ("AVX512", "AVX512_VNNI", "AVX512_VBMI", "AVX512_BF16", "AVX_VNNI"):
        if f"-DGGML_{ext}=ON" in args:
            assert ext in built, f"the probe found {ext} but llama.cpp was built without it: {sorted(built)}"
        else:
            assert ext not in built, f"llama.cpp uses {ext}, which the probe did not find here: {sorted(built)}"
