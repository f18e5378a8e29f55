"""Answer latency, side by side with a baseline checkout: first visible content, time to
the model's first token, prompt size, decode speed, total.

    .venv/bin/python benchmarks/answer.py                        # this checkout, 10 questions
    git worktree add /tmp/base ee97c1b
    .venv/bin/python benchmarks/answer.py --baseline /tmp/base   # both, in one run
    # the baseline with the environment its own setup built (e.g. a copy of .venv kept
    # from before a change to how llama-cpp-python is compiled):
    .venv/bin/python benchmarks/answer.py --baseline /tmp/base --baseline-python /tmp/venv-old/bin/python
    .venv/bin/python benchmarks/answer.py --generator extractive -n 20 --json

Each checkout is measured in a child process that imports that checkout's own `rag`
(so the baseline runs its own code) with an index of its own in a temporary folder,
through the public API both share: Assistant.load() and ask_stream() events, and
prints which SIMD extensions that child's llama.cpp build uses. Per
question:
- visible: from calling ask_stream() to the first event a user sees (an "evidence"
  event where the code has one, else the first token);
- model TTFT: the model's own time to its first token (Answer.timings["first_token"]);
- prompt tokens: the whole prompt, from the generator's token counts (the evaluated
  part is smaller when a prefix is reused);
- tokens/s and the total.
Model load and the first prompt (which evaluates any fixed prefix) are paid in a
warm-up question before timing. Refusals decided before generation are listed but
left out of the model medians. Run it on an idle machine; the CPU model is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)


def pick_questions(gold: Path, n: int) -> list[dict]:
    """n answerable questions spread evenly over the file (both languages, every piece)."""
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    answerable = [r for r in rows if r["answerable"]]
    step = max(1, len(answerable) // n)
    return answerable[::step][:n]


# ---------------------------------------------------------------------- the child process
def worker(code: Path, questions: list[dict], generator: str | None) -> list[dict]:
    sys.path.insert(0, str(code))
    from rag import Assistant  # the checkout's own code

    assistant = Assistant.load()
    gen = assistant.generator(generator)
    if hasattr(assistant, "warm_up"):  # what `rag serve` and `rag ask` do before the first question
        assistant.warm_up(gen.name)
    else:  # the baseline commit has no warm_up: load the model the way it did
        gen.warm_up()

    def one(question: str) -> dict:
        t0 = time.perf_counter()
        visible = first_token = None
        answer = None
        for event in assistant.ask_stream(question, generator=generator):
            now = time.perf_counter() - t0
            if event.kind in ("evidence", "token") and visible is None:
                visible = now
            if event.kind == "token" and first_token is None:
                first_token = now
            if event.kind == "answer":
                answer = event.answer
        total = time.perf_counter() - t0
        t = answer.timings
        usage = getattr(gen, "last_usage", {}) or {}
        generated = "generate" in t
        prompt_tokens = None
        if generated and usage.get("context_tokens"):
            prompt_tokens = int(usage["context_tokens"]) - int(usage.get("completion_tokens") or 0)
        return {
            "question": question, "visible": visible if visible is not None else total,
            "first_token": first_token, "model_ttft": t.get("first_token"), "prompt_tokens": prompt_tokens,
            "tokens": t.get("answer_tokens"), "tokens_per_s": t.get("tokens_per_s"), "total": total,
            "refused": answer.refused, "generated": generated, "answer": answer.text,
        }

    one("重庆数字经济专题讲了什么？")  # warm-up: caches, the fixed prompt prefix
    return [one(q["question"]) | {"id": q["id"]} for q in questions]


def llama_build(python: str) -> str:
    """The CPU features the llama.cpp library of `python` was compiled for (read with this
    checkout's rag, whichever checkout that interpreter then measures)."""
    code = ("from rag.answering.generators import llama_build_features\n"
            "try:\n    print(' '.join(llama_build_features()))\n"
            "except Exception as e:\n    print(f'unknown ({e})')")
    proc = subprocess.run([python, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    return proc.stdout.strip() or f"unknown ({proc.stderr.strip()[-200:]})"


def run_checkout(code: Path, questions: list[dict], generator: str | None, python: str = sys.executable) -> dict:
    """Measure one checkout in a child process (with the given interpreter) and its own index folder."""
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        env = dict(os.environ, RAG_INDEX_DIR=str(Path(tmp) / "index"), RAG_CORPUS_DIR=str(code / "seeds"),
                   PYTHONPATH=str(code))
        args = [python, str(Path(__file__).resolve()), "--worker", str(code), "--questions", json.dumps(questions)]
        if generator:
            args += ["--generator", generator]
        proc = subprocess.run(args, env=env, cwd=str(code), capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"benchmark of {code} failed:\n{proc.stderr[-3000:]}")
        rows = json.loads(proc.stdout.strip().splitlines()[-1])
        return {"rows": rows, "python": python, "llama_build": llama_build(python)}


def median(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def report(name: str, run: dict) -> dict:
    rows = run["rows"]
    print(f"\n== {name}\n   python: {run['python']}\n   llama.cpp build: {run['llama_build']}")
    print(f"{'id':<5}{'visible':>8}{'model TTFT':>11}{'prompt tok':>11}{'tok/s':>7}{'total':>8}  answer")
    for r in rows:
        mark = " (refused before generating)" if not r["generated"] else (" (refused)" if r["refused"] else "")
        print(f"{r['id']:<5}{r['visible']:>8.2f}{(r['model_ttft'] or 0):>11.2f}{(r['prompt_tokens'] or 0):>11}"
              f"{(r['tokens_per_s'] or 0):>7.1f}{r['total']:>8.2f}  {r['answer'][:40]!r}{mark}")
    timed = [r for r in rows if r["generated"]]
    summary = {k: median(timed, k) for k in ("model_ttft", "prompt_tokens", "tokens_per_s", "total")}
    summary["visible"] = median(rows, "visible")
    summary["n_generated"] = len(timed)
    print(f"median: visible {summary['visible']:.2f} s; over {len(timed)} generated answers: model TTFT "
          f"{(summary['model_ttft'] or 0):.2f} s, prompt {summary['prompt_tokens'] or 0:.0f} tokens, "
          f"{(summary['tokens_per_s'] or 0):.1f} tokens/s, total {(summary['total'] or 0):.2f} s")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generator", default=None, help="generator name (default from settings: llama-cpp)")
    ap.add_argument("-n", type=int, default=10, help="number of gold questions")
    ap.add_argument("--gold", default=str(ROOT / "evals" / "gold.jsonl"))
    ap.add_argument("--baseline", default=None, help="a second checkout (e.g. a git worktree of ee97c1b)")
    ap.add_argument("--baseline-python", default=sys.executable,
                    help="interpreter for the baseline (its own environment); default: this one")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--questions", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(Path(args.worker), json.loads(args.questions), args.generator)))
        return 0

    questions = pick_questions(Path(args.gold), args.n)
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores)   load average before: {os.getloadavg()[0]:.2f}   "
          f"generator: {args.generator or 'default'}   questions: {len(questions)}")
    results = {}
    if args.baseline:
        base = Path(args.baseline).resolve()
        results["baseline"] = (base, run_checkout(base, questions, args.generator, args.baseline_python))
    results["current"] = (ROOT, run_checkout(ROOT, questions, args.generator))
    summaries = {name: report(f"{name}: {code}", run) for name, (code, run) in results.items()}
    if "baseline" in summaries:
        b, c = summaries["baseline"], summaries["current"]
        print("\ncurrent / baseline (medians):")
        for key in ("visible", "model_ttft", "prompt_tokens", "total"):
            if b.get(key) and c.get(key):
                print(f"  {key:<14} {c[key]:.2f} / {b[key]:.2f} = {c[key] / b[key]:.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        print(json.dumps({name: run for name, (_, run) in results.items()}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
