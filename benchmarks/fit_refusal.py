"""Fit the answer-or-refuse decision (rag.answering.refusal) and report it on held-out data.

    .venv/bin/python benchmarks/fit_refusal.py collect --gold evals/gold.jsonl --nomiracl 200
    .venv/bin/python benchmarks/fit_refusal.py fit [--write]

`collect` runs every question through the real pipeline with a decision that never
refuses, so every signal (including the model's) is recorded, and writes one JSON row
per question to evals/refusal/signals-<generator>.jsonl:
- the gold set, through Assistant.ask (retrieval over the index);
- NoMIRACL zh (../shared/data/nomiracl): a balanced sample of questions, each answered
  from its own 10 passages (ranked lexically, the top k kept), labelled by its subset.

`fit` fits the logistic decision on the gold set and reports, never on the rows it was
fitted on:
- gold: 5-fold cross-validation (fitted on 4/5 of the gold rows, scored on the rest);
- NoMIRACL: the whole sample held out (with --with-nomiracl its first half joins the fit
  and the second half is scored);
then, with --write, fits on all the gold rows and writes the decision for that kind of
generator into rag/answering/refusal_model.json, with the held-out figures in its "meta".
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)
sys.path.insert(0, str(ROOT))

from rag import Assistant  # noqa: E402
from rag.answering import pipeline as answering, refusal, selection as sentences  # noqa: E402
from rag.answering.review import review_reply  # noqa: E402
from rag.answering.stages import DecideBefore, SelectEvidence  # noqa: E402
from rag.answering.state import AnswerState  # noqa: E402
from rag.evaluation.runner import load_gold  # noqa: E402
from rag.types import Chunk, Hit  # noqa: E402

NOMIRACL = ROOT.parent / "shared" / "data" / "nomiracl" / "zh.test.parsed.jsonl"
OUT = ROOT / "evals" / "refusal"
NEVER = refusal.Decision(dict(refusal.PRIOR.weights), refusal.PRIOR.bias, threshold=2.0)  # p < 2: never refuses


def nomiracl_sample(n: int, seed: int = 13) -> list[dict]:
    rows = [json.loads(x) for x in NOMIRACL.read_text(encoding="utf-8").splitlines() if x.strip()]
    rng = random.Random(seed)
    rel = [r for r in rows if r["subset"] == "relevant"]
    non = [r for r in rows if r["subset"] != "relevant"]
    rng.shuffle(rel)
    rng.shuffle(non)
    half = n // 2
    sample = [x for pair in zip(rel[:half], non[:half]) for x in pair]  # interleaved: any prefix is balanced
    return sample


def nomiracl_hits(row: dict, k: int) -> tuple[list[Hit], sentences.UnitWeights]:
    chunks = []
    for i, (docid, text) in enumerate(zip(row["docids"], row["passages"])):
        title, _, body = text.partition(": ")
        if not body:
            title, body = "", text
        chunks.append(Chunk(id=f"nomiracl:{docid}", text=body, source="nomiracl", section=title, author="",
                            paragraph=i + 1, char_start=0, char_end=len(body)))
    weights = sentences.UnitWeights(c.text for c in chunks)
    scores = sentences.lexical_scores(row["query"], [c.text for c in chunks], weights, [c.section for c in chunks])
    order = sorted(range(len(chunks)), key=lambda i: -scores[i])[:k]
    return [Hit(rank=r, score=float(scores[i]), chunk=chunks[i]) for r, i in enumerate(order, 1)], weights


def collect(args) -> int:
    a = Assistant.load()
    a.decisions = {kind: NEVER for kind in a.decisions}
    gen = a.generator(args.generator)
    gen.warm_up()
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"signals-{gen.name}.jsonl"
    print(f"CPU: {cpu_model()}   generator: {gen.description}   -> {out}", flush=True)
    rows = []
    t0 = time.perf_counter()
    sink = out.open("w", encoding="utf-8")  # rows are written as they come: a long run can be cut short

    def keep(row: dict) -> None:
        rows.append(row)
        sink.write(json.dumps(row, ensure_ascii=False) + "\n")
        sink.flush()

    for item in load_gold(args.gold):
        reply, ans = [], None
        for ev in a.ask_stream(item.question, generator=args.generator):
            if ev.kind == "token":
                reply.append(ev.text)
            elif ev.kind == "answer":
                ans = ev.answer
        keep({"set": "gold", "id": item.id, "question": item.question, "no_answer": not item.answerable,
              "signals": ans.signals, "answer": ans.text, "reply": "".join(reply), "lang": item.lang})
        print(f"gold {item.id:<5} no_answer={not item.answerable!s:<5} {json.dumps(ans.signals)} {ans.text[:40]!r}", flush=True)
    opts = a.options(generator=args.generator)
    for row in nomiracl_sample(args.nomiracl):
        hits, weights = nomiracl_hits(row, opts.k)
        final, reply = None, []
        for ev in answering.answer_stream(row["query"], hits, gen, opts, embedder=a.embedder, weights=weights,
                                          decision=NEVER):
            if ev.kind == "token":
                reply.append(ev.text)
            elif ev.kind == "answer":
                final = ev.answer
        no_answer = row["subset"] != "relevant"
        keep({"set": "nomiracl", "id": row["query_id"], "question": row["query"], "no_answer": no_answer,
              "signals": final.signals, "answer": final.text, "reply": "".join(reply), "lang": "zh"})
        print(f"nomiracl {row['query_id']:<10} no_answer={no_answer!s:<5} {json.dumps(final.signals)} {final.text[:40]!r}", flush=True)
    sink.close()
    print(f"{len(rows)} rows in {time.perf_counter() - t0:.0f} s")
    return 0


def recompute(args) -> int:
    """Recompute every row's signals from its stored raw reply (no model run): for new or
    changed signal definitions. The model's first-token probability is kept as stored."""
    path = OUT / f"signals-{args.generator}.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    a = Assistant.load()
    opts = a.options(generator=args.generator)
    by_query = {r["query_id"]: r for r in nomiracl_sample(10_000)}
    gen = a.generator(args.generator)
    for row in rows:
        if row["set"] == "gold":
            hits, weights = a.retrieve(row["question"], k=opts.k), a.unit_weights
        else:
            hits, weights = nomiracl_hits(by_query[row["id"]], opts.k)
        # the answering stages up to the decision before the reply, then the stored reply reviewed
        state = AnswerState.start(row["question"], hits, gen, opts, decision=NEVER, embedder=a.embedder, weights=weights)
        state = DecideBefore().run(SelectEvidence().run(state))
        probe = {refusal.prompts.NO_ANSWER: row["signals"].get("model_refuse", 0.0)} if gen.is_language_model else None
        _, reviewed, _ = review_reply(state, row.get("reply", row["answer"]), probe)
        row["signals"] = state.signals.merged(reviewed).rounded()
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"recomputed {len(rows)} rows in {path}")
    return 0


def rates(decision: refusal.Decision, rows: list[dict]) -> dict:
    refused = [decision.probability(r["signals"]) >= decision.threshold for r in rows]
    unans = [x for x, r in zip(refused, rows) if r["no_answer"]]
    ans = [x for x, r in zip(refused, rows) if not r["no_answer"]]
    return {
        "unanswerable_refused": round(sum(unans) / len(unans), 3) if unans else None,
        "answerable_refused": round(sum(ans) / len(ans), 3) if ans else None,
        "n_unanswerable": len(unans), "n_answerable": len(ans),
    }


def fit_cmd(args) -> int:
    path = OUT / f"signals-{args.generator}.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    gold = [r for r in rows if r["set"] == "gold"]
    nom = [r for r in rows if r["set"] == "nomiracl"]
    # NoMIRACL is fitted on (its first half) only when asked: its passages are Wikipedia, its
    # questions another kind; by default all of it is held out, a test of generalisation
    nom_fit = nom[: len(nom) // 2] if args.with_nomiracl else []
    nom_test = nom[len(nom) // 2 :] if args.with_nomiracl else nom

    def fit(train):
        return refusal.fit([r["signals"] for r in train], [r["no_answer"] for r in train],
                           max_false_refusal=args.max_false_refusal, l2=args.l2)

    # gold: 5-fold cross-validation, folds by position (the file mixes topics and languages)
    folds = 5
    cv_refused = []
    for f in range(folds):
        test = [r for i, r in enumerate(gold) if i % folds == f]
        train = [r for i, r in enumerate(gold) if i % folds != f] + nom_fit
        d = fit(train)
        cv_refused += [(d.probability(r["signals"]) >= d.threshold, r) for r in test]
    false_premise = {f"q{i}" for i in range(91, 103)}
    unans = [x for x, r in cv_refused if r["no_answer"]]
    ans = [x for x, r in cv_refused if not r["no_answer"]]
    fp = [x for x, r in cv_refused if r["id"] in false_premise]
    gold_cv = {"unanswerable_refused": round(sum(unans) / len(unans), 3), "answerable_refused": round(sum(ans) / len(ans), 3),
               "false_premise_refused": round(sum(fp) / len(fp), 3) if fp else None,
               "n_unanswerable": len(unans), "n_answerable": len(ans)}
    final = fit(gold + nom_fit)
    nom_held = rates(final, nom_test)
    print(f"signals: {path} ({len(gold)} gold, {len(nom)} NoMIRACL rows; fitted on gold"
          f"{' + the first half of NoMIRACL' if nom_fit else ''})")
    print("gold, 5-fold cross-validated:", json.dumps(gold_cv))
    print(f"NoMIRACL held out ({len(nom_test)} questions):", json.dumps(nom_held),
          f"-> hallucination rate {1 - nom_held['unanswerable_refused']:.3f}, error rate {nom_held['answerable_refused']:.3f}")
    print("in-sample:", json.dumps(rates(final, gold + nom_fit)))
    print("final weights:", json.dumps({k: round(v, 3) for k, v in final.weights.items()}),
          "bias", round(final.bias, 3), "threshold", round(final.threshold, 4))
    if args.write:
        meta = {"fitted_on": f"{len(gold)} gold rows" + (f" + {len(nom_fit)} NoMIRACL zh rows" if nom_fit else "")
                + f" ({args.generator})",
                "gold_cv": gold_cv, "nomiracl_heldout": nom_held, "max_false_refusal": args.max_false_refusal,
                "l2": args.l2, "command": f"benchmarks/fit_refusal.py fit --generator {args.generator} --l2 {args.l2} --write"}
        kind = refusal.decision_key(args.generator != "extractive")
        refusal.save_decisions({kind: refusal.Decision(final.weights, final.bias, final.threshold, meta)})
        print(f"wrote the {kind!r} decision to {refusal.MODEL_FILE}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--gold", default=str(ROOT / "evals" / "gold.jsonl"))
    c.add_argument("--nomiracl", type=int, default=200, help="NoMIRACL questions (balanced)")
    c.add_argument("--generator", default="llama-cpp")
    c.set_defaults(func=collect)
    r = sub.add_parser("recompute")
    r.add_argument("--generator", default="llama-cpp")
    r.set_defaults(func=recompute)
    f = sub.add_parser("fit")
    f.add_argument("--generator", default="llama-cpp")
    f.add_argument("--max-false-refusal", type=float, default=0.05)
    f.add_argument("--write", action="store_true")
    f.add_argument("--l2", type=float, default=0.3, help="L2 penalty on the weights (larger: smoother, less fitted to the gold set)")
    f.add_argument("--with-nomiracl", action="store_true", help="fit on the first half of NoMIRACL too")
    f.set_defaults(func=fit_cmd)
    args = ap.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
