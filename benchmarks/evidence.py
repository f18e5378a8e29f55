"""Evidence recall: is the gold evidence inside what the model is shown?

    .venv/bin/python benchmarks/evidence.py [--gold evals/gold.jsonl] [--budgets 120,160,200,300]

For every answerable gold question: retrieve k passages (Assistant.retrieve, default
settings), rank their sentences (rag.answering.selection) and select within the character
budget, exactly as the answering step does; a question counts when one of its gold
evidence strings (white space ignored) is inside the selected sentences. Also prints
how often the first shown sentence (the first thing a user reads) holds it, the time
the selection takes, and the CPU model.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)
sys.path.insert(0, str(ROOT))

from rag import Assistant  # noqa: E402
from rag.answering import (  # noqa: E402
    in_reading_order, number_context, numbered_passages, rank_sentences, select_sentences,
)
from rag.text import is_cjk  # noqa: E402


def squeeze(s: str) -> str:
    return re.sub(r"\s", "", s)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", default=str(ROOT / "evals" / "gold.jsonl"))
    ap.add_argument("--budgets", default="120,160,200,300")
    ap.add_argument("-k", type=int, default=None)
    ap.add_argument("--no-dense-zh", action="store_true", help="rank Chinese questions' sentences lexically only")
    ap.add_argument("--misses", action="store_true", help="list the questions whose evidence is not shown")
    args = ap.parse_args()
    a = Assistant.load()
    rows = [json.loads(x) for x in Path(args.gold).read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if r["answerable"] and r["evidence"]]
    budgets = [int(b) for b in args.budgets.split(",")]
    k = args.k or a.settings.k
    found = {b: 0 for b in budgets}
    first = 0
    times = []
    misses = {b: [] for b in budgets}
    for r in rows:
        q = r["question"]
        hits = a.retrieve(q, k=k)
        passages = numbered_passages(number_context(hits))
        use_dense = not (args.no_dense_zh and is_cjk(q))
        t0 = time.perf_counter()
        ranked = rank_sentences(q, passages, embedder=a.embedder if use_dense else None, weights=a.unit_weights)
        times.append(time.perf_counter() - t0)
        gold = [squeeze(e) for e in r["evidence"]]
        if ranked and any(g in squeeze(ranked[0].text) for g in gold):
            first += 1
        for b in budgets:
            shown = "".join(s.text for s in in_reading_order(select_sentences(ranked, b, question=q)))
            if any(g in squeeze(shown) for g in gold):
                found[b] += 1
            else:
                misses[b].append(r["id"])
    n = len(rows)
    print(f"CPU: {cpu_model()}   questions: {n} answerable   k={k}   dense for Chinese: {not args.no_dense_zh}")
    print(f"first-ranked sentence holds the evidence: {first}/{n} = {first / n:.3f}")
    for b in budgets:
        print(f"evidence recall at {b} chars: {found[b]}/{n} = {found[b] / n:.3f}" + (f"   misses: {' '.join(misses[b])}" if args.misses else ""))
    print(f"sentence ranking time: p50 {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
