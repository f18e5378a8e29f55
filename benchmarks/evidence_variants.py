"""What a change to the sentence ranking does to the evidence, before any model answers.

    RAG_SHARED_DATA=../shared/data .venv/bin/python benchmarks/evidence_variants.py --title-weight 1.0 \
        [--only SUITE ...] [--ids-json FILE]

The variant is a title weight (rag.answering.selection.W_TITLE: how much a question unit
that only the passage's title holds counts) in place of the shipped one. Every suite of
evals/suites.toml is read, the given-passage ones (NoMIRACL, cmrc-given) too: they order
their passages by the same lexical scores. Each question goes through what the Assistant
does before the model answers (Assistant.evidence_state: the model's Chinese rendering of an
English question, the search, the evidence selection) twice, as shipped and with the variant, for
each generator: the extractive path reads English questions as asked, the model path
through its rendering.

A stored answer (evals/fit_rows) no longer holds when anything it was made from changes:
the passages or their order, the sentences shown (best first: the refusal text quotes the
first), the three best-ranked sentences (the decision's figure check reads them) or the
sentences the extractive responder picks. Printed per suite: evidence recall on the
answerable questions with gold evidence, as shipped and with the variant (the model path),
the questions whose evidence the variant finds or loses, and the questions whose stored
rows change, per generator. `--ids-json` writes those ids, {generator: {suite: [id, ...]}},
for `fit_suites.py collect --ids`.
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
from rag.answering import extractive_pick, ranking_weights, title_weight_set  # noqa: E402
from rag.evaluation import SuiteAssistants, build_suite, evidence_shown, load_suites  # noqa: E402

SUITES = ROOT / "evals" / "suites.toml"
GENERATORS = ("llama-cpp", "extractive")


def row_inputs(state) -> tuple:
    """What a stored row was made from, short of the model's reply."""
    return (tuple(h.chunk.id for h in state.hits),
            tuple((s.n, s.text) for s in state.shown),
            tuple(s.text for s in state.ranked[:3]),
            tuple(s.text for s in extractive_pick(state)))


def compare_suite(assistant: Assistant, items, weight: float) -> dict:
    """Per question and generator, shipped against the variant."""
    from tqdm import tqdm

    found = {"shipped": 0, "variant": 0}
    scored, gained, lost = 0, [], []
    changed: dict[str, list[str]] = {name: [] for name in GENERATORS}
    for item in tqdm(items, unit="q", leave=False, disable=not sys.stderr.isatty()):
        for name in GENERATORS:
            before = assistant.evidence_state(item.question, generator=name)
            with title_weight_set(weight):
                after = assistant.evidence_state(item.question, generator=name)
            if row_inputs(before) != row_inputs(after):
                changed[name].append(item.id)
            if name == GENERATORS[0] and item.answerable and item.evidence:
                scored += 1
                a = evidence_shown([s.text for s in before.shown], item.evidence)
                b = evidence_shown([s.text for s in after.shown], item.evidence)
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
                    help=f"weight of question units only the passage's title holds (shipped: {ranking_weights()['title']})")
    ap.add_argument("--only", nargs="*", help="suite names (default: every suite)")
    ap.add_argument("--ids-json", help="write {generator: {suite: [ids whose rows change]}} here")
    args = ap.parse_args(argv)
    specs = load_suites(SUITES)
    unknown = sorted(set(args.only or ()) - {s.name for s in specs})
    if unknown:
        ap.error(f"no such suite in {SUITES.name}: {', '.join(unknown)} (there are: {', '.join(s.name for s in specs)})")
    base = Settings.load()
    print(f"CPU: {cpu_model()}   title weight {ranking_weights()['title']} -> {args.title_weight}", flush=True)
    print("| suite | questions | evidence recall shipped | with variant | found | lost | "
          + " | ".join(f"rows changed ({g})" for g in GENERATORS) + " |")
    print("|---|---:|---:|---:|---|---|" + "---:|" * len(GENERATORS))
    assistants = SuiteAssistants()  # one per corpus, one model for all of them
    changed: dict[str, dict[str, list[str]]] = {g: {} for g in GENERATORS}
    t0 = time.perf_counter()
    for spec in (s for s in specs if not args.only or s.name in args.only):
        built = build_suite(spec, base, specs)
        r = compare_suite(assistants.for_suite(built, base, GENERATORS), built.items, args.title_weight)
        n = r["with_evidence"]
        recall = (lambda k: f"{r['found'][k] / n:.3f}" if n else "—")
        print(f"| {spec.name} | {r['questions']} | {recall('shipped')} | {recall('variant')} | "
              f"{' '.join(r['gained']) or '—'} | {' '.join(r['lost']) or '—'} | "
              + " | ".join(str(len(r["changed"][g])) for g in GENERATORS) + " |", flush=True)
        for g in GENERATORS:
            changed[g][spec.name] = r["changed"][g]
    print(f"{time.perf_counter() - t0:.0f} s; rows changed in all: "
          + ", ".join(f"{g} {sum(map(len, changed[g].values()))}" for g in GENERATORS))
    if args.ids_json:
        Path(args.ids_json).write_text(json.dumps(changed, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
