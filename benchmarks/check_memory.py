"""What the answer check's own llama.cpp context costs in memory (the embedded path).

    .venv/bin/python benchmarks/check_memory.py

Loads the llama-cpp generator (settings as configured: the embedded model by default) with
one short prompt, then the check's context (LlamaCppGenerator.checker) the same way, and
prints the process's proportional set size (PSS, from
/proc/self/smaps_rollup: pages of the memory-mapped model file shared by both contexts are
counted once) after each step, with the CPU model.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)
sys.path.insert(0, str(ROOT))

from rag import Settings  # noqa: E402
from rag.answering.generators import make_generator  # noqa: E402

# any short prompt loads a context: its cache is allocated whole (settings.llama_ctx tokens)
HELLO = [{"role": "user", "content": "你好"}]


def pss_mb() -> float:
    with open("/proc/self/smaps_rollup", encoding="ascii") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no Pss line in /proc/self/smaps_rollup")


def main() -> int:
    print(f"CPU: {cpu_model()}")
    gen = make_generator("llama-cpp", Settings.load())
    print(f"before loading:                 PSS {pss_mb():7.0f} MB")
    gen.complete(HELLO, max_tokens=1)
    print(f"answering context loaded:       PSS {pss_mb():7.0f} MB")
    checker = gen.checker()
    if checker is gen:
        print("this generator checks in its own context: nothing more to load")
        return 0
    checker.complete(HELLO, max_tokens=1)
    print(f"+ the check's context loaded:   PSS {pss_mb():7.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
