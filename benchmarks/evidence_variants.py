"""What a change to the sentence ranking does to the evidence, before any model is asked.

    RAG_SHARED_DATA=../shared/data .venv/bin/python benchmarks/evidence_variants.py --title-weight 1.0 \
        [--only SUITE ...] [--ids-json FILE]

For every suite with an index (evals/suites.toml; the given-passage suites, NoMIRACL and
cmrc-given, order their passages by the same lexical scores and are left out here), each
question is retrieved once and its sentences ranked and selected twice: as shipped
(rag.answering.selection) and with the variant. Printed per suite: evidence recall on the
answerable questions with gold evidence both ways (as rag.evaluation scores it), the questions
whose evidence the variant finds or loses, and how many questions, answerable or not, are
shown other sentences. Those are the rows whose stored answers (evals/fit_rows) no longer
hold under the variant: `--ids-json` writes them per suite, for `fit_suites.py collect --ids`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)
sys.path.insert(0, str(ROOT))

from rag import Assistant, Settings  # noqa: E402
from rag.answering import (  # noqa: E402
    budget_for, number_context, numbered_passages, rank_sentences, select_sentences,
)
from rag.evaluation import build_suite, load_suites, supports  # noqa: E402

SUITES = ROOT / "evals" / "suites.toml"


def shown_sentences(assistant: Assistant, question: str, passages, options, **variant) -> list[str]:
    """The sentences the responder would be shown, with the ranking's keyword overrides."""
    ranked = rank_sentences(question, passages, embedder=assistant.embedder, weights=assistant.unit_weights,
                            **variant)
    budget = budget_for(question, options)
    return [s.text for s in select_sentences(ranked, budget.chars, question=question,
                                             max_sentences=budget.sentences)]


def holds_evidence(shown: list[str], evidence) -> bool:
    return supports("".join(shown), evidence) or any(supports(s, evidence) for s in shown)


def compare_suite(assistant: Assistant, items, variant: dict, progress: bool = True) -> dict:
    """Per question, shipped against variant: recall counts and the ids shown other sentences."""
    from tqdm import tqdm

    options = assistant.options()
    found = {"shipped": 0, "variant": 0}
    scored, gained, lost, changed = 0, [], [], []
    for item in tqdm(items, unit="q", leave=False, disable=not (progress and sys.stderr.isatty())):
        passages = numbered_passages(number_context(assistant.retrieve(item.question)))
        before = shown_sentences(assistant, item.question, passages, options)
        after = shown_sentences(assistant, item.question, passages, options, **variant)
        if before != after:
            changed.append(item.id)
        if item.answerable and item.evidence:
            scored += 1
            a, b = holds_evidence(before, item.evidence), holds_evidence(after, item.evidence)
            found["shipped"] += a
            found["variant"] += b
            if b and not a:
                gained.append(item.id)
            if a and not b:
                lost.append(item.id)
    return {"questions": len(items), "with_evidence": scored, "found": found, "gained": gained, "lost": lost,
            "changed": changed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--title-weight", type=float, required=True,
                    help="weight of question units only the passage's title holds (shipped: selection.W_TITLE)")
    ap.add_argument("--only", nargs="*", help="suite names (default: every suite with an index)")
    ap.add_argument("--ids-json", help="write {suite: [ids shown other sentences]} here")
    args = ap.parse_args(argv)
    variant = {"title_weight": args.title_weight}
    specs = load_suites(SUITES)
    print(f"CPU: {cpu_model()}   variant: {variant}", flush=True)
    print("| suite | questions | evidence recall shipped | with variant | found | lost | shown other sentences |")
    print("|---|---:|---:|---:|---|---|---:|")
    changed = {}
    t0 = time.perf_counter()
    unknown = sorted(set(args.only or ()) - {s.name for s in specs})
    if unknown:
        ap.error(f"no such suite in {SUITES.name}: {', '.join(unknown)} (there are: {', '.join(s.name for s in specs)})")
    for spec in (s for s in specs if not args.only or s.name in args.only):
        built = build_suite(spec, Settings.load(), specs)
        if built.settings is None:  # given passages: no index to retrieve from
            continue
        r = compare_suite(Assistant.load(built.settings), built.items, variant)
        n = r["with_evidence"]
        recall = (lambda k: f"{r['found'][k] / n:.3f}" if n else "—")
        print(f"| {spec.name} | {r['questions']} | {recall('shipped')} | {recall('variant')} | "
              f"{' '.join(r['gained']) or '—'} | {' '.join(r['lost']) or '—'} | {len(r['changed'])} |", flush=True)
        changed[spec.name] = r["changed"]
    print(f"{time.perf_counter() - t0:.0f} s")
    if args.ids_json:
        Path(args.ids_json).write_text(json.dumps(changed, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
