"""Fit retrieval and evidence constants on the development suites, leave one suite out.

    .venv/bin/python benchmarks/fit_constants.py lexical-weight [--grid 0.2,0.3,...]

lexical-weight: hybrid score fusion is (1 - w) * rescaled cosine + w * normalised BM25
(rag.retrieval.hybrid). For each suite with its own index (not NoMIRACL, whose questions
are answered from their own ten passages), every question is retrieved at every w of the
grid (the question's vector is embedded once), and MRR over the answerable questions with
evidence is taken. For each development suite in turn, w is chosen on the OTHER development
suites (the mean of their MRRs) and scored on the one left out; test-only suites (the
seed gold) are scored at the w chosen on all development suites. Prints one table, with
the CPU model.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)
sys.path.insert(0, str(ROOT))

from rag import Assistant, Settings  # noqa: E402
from rag.evaluation import GIVEN_PASSAGE_KINDS, build_suite, hit_at_k, load_suites, reciprocal_rank  # noqa: E402
from rag.ingest import reading_text  # noqa: E402

SUITES = ROOT / "evals" / "suites.toml"


def _cached_queries(index) -> None:
    """The question's vector does not depend on w: embed it once for the whole grid."""
    embed = index.embed_query
    seen: dict[str, object] = {}

    def cached(query, timings=None):
        if query not in seen:
            seen[query] = embed(query, timings)
        return seen[query]

    index.embed_query = cached


def mrr_by_weight(assistant, items, grid: list[float], k: int) -> dict[float, dict[str, float]]:
    index = assistant.index
    _cached_queries(index)
    scored = [i for i in items if i.answerable and i.has_evidence]
    out = {}
    for w in grid:
        index.settings = dataclasses.replace(index.settings, lexical_weight=w)
        rels = [[i.supported_by(h.chunk.id, reading_text(h.chunk)) for h in index.search(i.question, k, "hybrid")]
                for i in scored]
        out[w] = {"mrr": statistics.fmean(reciprocal_rank(r) for r in rels),
                  "hit@1": statistics.fmean(hit_at_k(r, 1) for r in rels),
                  "hit@5": statistics.fmean(hit_at_k(r, 5) for r in rels), "n": len(rels)}
    return out


def lexical_weight(args) -> int:
    grid = [float(x) for x in args.grid.split(",")]
    specs = [s for s in load_suites(args.suites) if s.kind not in GIVEN_PASSAGE_KINDS]  # no index to weigh
    print(f"CPU: {cpu_model()}", flush=True)
    base = Settings.load()
    by_suite, test_only = {}, {s.name for s in specs if s.test_only}
    loaded: dict[str, Assistant] = {}
    for spec in specs:
        t0 = time.perf_counter()
        built = build_suite(spec, base, specs)
        key = str(built.settings.index_path)
        if key not in loaded:
            loaded[key] = Assistant.load(built.settings, progress=True)
        if not any(i.answerable and i.has_evidence for i in built.items):
            print(f"{spec.name}: no answerable question with evidence, no MRR to score (skipped)", flush=True)
            continue
        by_suite[spec.name] = mrr_by_weight(loaded[key], built.items, grid, args.k)
        print(f"{spec.name}: {len(built.items)} questions, {time.perf_counter() - t0:.0f} s", flush=True)
    dev = [s for s in by_suite if s not in test_only]

    def best(on: list[str]) -> float:
        return max(grid, key=lambda w: (statistics.fmean(by_suite[s][w]["mrr"] for s in on), -abs(w - 0.5)))

    print("\n| suite | w chosen on the others | MRR at it | hit@1 at it | MRR at 0.6 | best w on this suite alone |")
    print("|---|---:|---:|---:|---:|---:|")
    for s, table in by_suite.items():
        w = best([d for d in dev if d != s])
        own = max(grid, key=lambda x: table[x]["mrr"])
        mark = " (test only)" if s in test_only else ""
        at06 = table.get(0.6, {}).get("mrr")
        print(f"| {s}{mark} | {w:.2f} | {table[w]['mrr']:.3f} | {table[w]['hit@1']:.3f} | "
              f"{'—' if at06 is None else f'{at06:.3f}'} | {own:.2f} |")
    print(f"\nw chosen on all development suites ({', '.join(dev)}): {best(dev):.2f}")
    for s, table in by_suite.items():
        print(s, " ".join(f"{w:.2f}:{v['mrr']:.3f}" for w, v in table.items()))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suites", default=str(SUITES))
    sub = ap.add_subparsers(dest="cmd", required=True)
    lw = sub.add_parser("lexical-weight")
    lw.add_argument("--grid", default="0.2,0.3,0.4,0.5,0.6,0.7,0.8")
    lw.add_argument("-k", type=int, default=5)
    lw.set_defaults(func=lexical_weight)
    args = ap.parse_args()
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
