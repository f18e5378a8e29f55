"""Answer latency of a generator over gold questions: time to first token, tokens/s, total.

    python benchmarks/answer.py                       # default generator (llama-cpp), 10 questions
    python benchmarks/answer.py --generator extractive -n 20 --json

Time to first token is measured the way a user feels it: from calling
ask_stream() to the first streamed token (retrieval, checks and prompt
processing included). Refusals decided before generation stream their text at
once, so they are reported but left out of the medians by default: they would
flatter the figures. Model loading and the first prompt's system prefix are
paid in a warm-up question before timing starts.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import Assistant, Settings  # noqa: E402


def pick_questions(gold: Path, n: int) -> list[dict]:
    """n answerable questions spread evenly over the file (both languages, every piece)."""
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    answerable = [r for r in rows if r["answerable"]]
    step = max(1, len(answerable) // n)
    return answerable[::step][:n]


def run_one(assistant: Assistant, question: str, generator: str | None) -> dict:
    t0 = time.perf_counter()
    first = None
    answer = None
    for event in assistant.ask_stream(question, generator=generator):
        if event.kind == "token" and first is None:
            first = time.perf_counter() - t0
        elif event.kind == "answer":
            answer = event.answer
    total = time.perf_counter() - t0
    t = answer.timings
    return {
        "question": question,
        "ttft": first if first is not None else total,
        "model_ttft": t.get("first_token"),
        "tokens": t.get("answer_tokens"),
        "tokens_per_s": t.get("tokens_per_s"),
        "prompt_chars": t.get("prompt_chars"),
        "total": total,
        "refused": answer.refused,
        "generated": "generate" in t,
        "answer": answer.text,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generator", default=None, help="generator name (default from settings: llama-cpp)")
    ap.add_argument("-n", type=int, default=10, help="number of gold questions")
    ap.add_argument("--gold", default=str(ROOT / "evals" / "gold.jsonl"))
    ap.add_argument("--index", default=None, help="index folder (default from settings)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = ap.parse_args(argv)

    settings = Settings.load().replace(index_dir=args.index)
    t = time.perf_counter()
    assistant = Assistant.load(settings)
    gen = assistant.generator(args.generator)
    gen.warm_up()
    load = time.perf_counter() - t
    questions = pick_questions(Path(args.gold), args.n)
    run_one(assistant, "重庆数字经济专题讲了什么？", args.generator)  # warm-up: caches, system prefix
    print(f"generator: {gen.description}   load: {load:.1f} s   questions: {len(questions)}")
    print(f"{'id':<5}{'TTFT s':>8}{'model s':>9}{'tok':>6}{'tok/s':>7}{'total s':>9}  answer")
    rows = []
    for q in questions:
        row = run_one(assistant, q["question"], args.generator) | {"id": q["id"]}
        rows.append(row)
        mark = " (refused before generating)" if not row["generated"] else (" (refused)" if row["refused"] else "")
        print(
            f"{row['id']:<5}{row['ttft']:>8.2f}{(row['model_ttft'] or 0):>9.2f}{int(row['tokens'] or 0):>6}"
            f"{(row['tokens_per_s'] or 0):>7.1f}{row['total']:>9.2f}  {row['answer'][:50]!r}{mark}",
            flush=True,
        )
    timed = [r for r in rows if r["generated"]]
    if timed:
        med = {k: statistics.median(r[k] or 0 for r in timed) for k in ("ttft", "model_ttft", "tokens_per_s", "total")}
        print(
            f"median over {len(timed)} generated answers: TTFT {med['ttft']:.2f} s (model {med['model_ttft']:.2f} s), "
            f"{med['tokens_per_s']:.1f} tokens/s, total {med['total']:.2f} s"
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
