"""`benchmarks/load.py --compare BASE_DIR`: the baseline checkout's `rag serve` and this
one's, started one after the other on the same machine, each driven by load.py's simulated
users, and one side-by-side table (answers per minute, first token, whole answer, peak
memory of the serving processes, the answers against the baseline's)."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import WARMUP, ROOT, Record, api_asker, cpu_model, load_average, pid_listening_on, run, tree_rss_mb  # noqa: E402,F401


def start_serve(code_dir: Path, port: int, env_extra: dict[str, str], log_path: Path):
    """`rag serve` from a checkout (its own code on PYTHONPATH), on loopback."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(code_dir), **env_extra}
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port)], cwd=code_dir, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"rag serve in {code_dir} exited; see {log_path}")
        if pid_listening_on(port) == proc.pid:
            return proc
        time.sleep(0.5)
    raise SystemExit(f"rag serve in {code_dir} did not listen on {port} within 300 s; see {log_path}")


def stop_serve(proc) -> None:
    import signal
    import subprocess

    proc.send_signal(signal.SIGTERM)  # `rag serve` stops its llama-server on the way out
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def right_and_cited(rec: Record) -> bool | None:
    """The gold answer in the text and a citation of a passage holding the gold evidence;
    None for a question that has no such score (unanswerable, no evidence)."""
    from rag.evaluation import contains, load_gold

    gold = {g.question: g for g in load_gold(ROOT / "evals" / "gold.jsonl")}
    item = gold.get(rec.question)
    if item is None or not item.answerable or not item.has_evidence or rec.answer is None:
        return None
    text = "" if rec.answer.get("refused") else rec.answer.get("answer", "")
    return bool(contains(text, item.answers)) and any(
        item.supported_by(c.get("chunk_id", ""), c.get("text", "")) for c in rec.answer.get("citations", []))


def compare(args) -> int:
    """This checkout's `rag serve` against a baseline checkout's (main: the embedded model,
    one answer at a time), one after the other in one run on this machine: the same
    scenarios, questions and measurements for each."""
    import socket

    base = Path(args.compare).resolve()
    if not (base / "rag" / "__init__.py").is_file():
        raise SystemExit(f"--compare {base}: not a checkout of this project (no rag/__init__.py)")
    scenarios = [("1 user", 1, args.sample), ("8 users x 1", args.users, 1), ("8 users x 3", args.users, 3)]
    if args.only_single:
        scenarios = scenarios[:1]
    # (label, checkout, environment, scenarios): the embedded path with prompt lookup is
    # measured for one user only (it serves one answer at a time whatever the load)
    embedded = {"RAG_MODEL_SERVER": "embedded"} if "model_server" in (base / "rag" / "config.py").read_text() else {}
    sides = [("baseline: embedded, 1 slot", base, {"RAG_GENERATION_SLOTS": "0", **embedded}, scenarios)]
    for lookup in args.lookup:
        sides.append((f"this: llama-server, {args.slots} slots, lookup {lookup}", ROOT,
                      {"RAG_MODEL_SERVER": "llama-server", "RAG_GENERATION_SLOTS": str(args.slots),
                       "RAG_PROMPT_LOOKUP": lookup}, scenarios))
    for x in args.embedded_lookup:
        sides.append((f"this: embedded, lookup {x}", ROOT, {"RAG_MODEL_SERVER": "embedded", "RAG_PROMPT_LOOKUP": x},
                      scenarios[:1]))
    print(f"CPU: {cpu_model()}; load average before: {load_average()}", flush=True)
    results: dict[str, dict] = {}
    answers: dict[str, dict[str, list[Record]]] = {}
    for label, code_dir, env, side_scenarios in sides:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        log_path = Path(args.logs) / f"serve-{len(results)}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        proc = start_serve(code_dir, port, env, log_path)
        url = f"http://127.0.0.1:{port}"
        ask = api_asker(url, "")
        results[label], answers[label] = {}, {}
        try:
            for i, (name, users, per_user) in enumerate(side_scenarios):
                kept: list[Record] = []
                load_before = load_average()
                r = run(ask, users, per_user, args.max_seconds, proc.pid, warmup=WARMUP if i == 0 else 0,
                        memory_of=tree_rss_mb, keep=kept)
                r["load_before"], r["load_after"] = load_before, load_average()
                results[label][name] = r
                answers[label][name] = kept
                print(f"[{label}] {name}: total p50 {r['total']['p50']} p95 {r['total']['p95']}, first token p50 "
                      f"{r['ttft']['p50']}, {r['answers_per_min']} answers/min, errors {r['errors']}, peak memory "
                      f"{r['memory_mb']['peak']} MB; load {r['load_before']} -> {r['load_after']}", flush=True)
        finally:
            stop_serve(proc)
    print()
    print(compare_table(results, answers, scenarios))
    if args.json_out:
        out = {label: {name: {k: v for k, v in r.items()} for name, r in rs.items()} for label, rs in results.items()}
        out["answers"] = {label: {name: [{"question": rec.question, "answer": (rec.answer or {}).get("answer"),
                                          "refused": rec.refused, "error": rec.error} for rec in recs]
                                  for name, recs in by.items()} for label, by in answers.items()}
        Path(args.json_out).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


def compare_table(results: dict, answers: dict, scenarios) -> str:
    labels = list(results)
    base = labels[0]
    ref = {rec.question: rec for rec in answers[base][scenarios[0][0]]}  # the single-slot path's answers
    lines = [f"CPU: {cpu_model()}; load average now: {load_average()}",
             "| side | scenario | wall s | answers/min | first token p50 / p95 | total p50 / p95 / max | "
             "peak memory MB (worker + server) | same answer as baseline 1 user | right and cited | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for label in labels:
        for name, _, _ in scenarios:
            r = results[label].get(name)
            if r is None:
                continue
            recs = answers[label][name]
            same = [rec for rec in recs if rec.question in ref and ref[rec.question].answer is not None]
            equal = sum((rec.answer or {}).get("answer") == ref[rec.question].answer.get("answer") for rec in same)
            rc = [x for x in (right_and_cited(rec) for rec in recs) if x is not None]
            lines.append(
                f"| {label} | {name} | {r['wall_s']} | {r['answers_per_min']} | {r['ttft']['p50']} / {r['ttft']['p95']} | "
                f"{r['total']['p50']} / {r['total']['p95']} / {r['total']['max']} | {r['memory_mb']['peak']} | "
                f"{equal}/{len(same)} | {sum(rc)}/{len(rc)} ({sum(rc) / len(rc):.3f}) | {r['load_before']} |"
                if rc else
                f"| {label} | {name} | {r['wall_s']} | {r['answers_per_min']} | {r['ttft']['p50']} / {r['ttft']['p95']} | "
                f"{r['total']['p50']} / {r['total']['p95']} / {r['total']['max']} | {r['memory_mb']['peak']} | "
                f"{equal}/{len(same)} | - | {r['load_before']} |")
    for label in labels[1:]:
        for name, _, _ in scenarios:
            a, b = results[base].get(name), results[label].get(name)
            if a and b and a["total"]["p95"] and a["answers_per_min"]:
                lines.append(f"{label} / baseline, {name}: total p95 x{b['total']['p95'] / a['total']['p95']:.2f}, "
                             f"total p50 x{b['total']['p50'] / a['total']['p50']:.2f}, first token p50 "
                             f"x{b['ttft']['p50'] / a['ttft']['p50']:.2f}, answers/min "
                             f"x{b['answers_per_min'] / a['answers_per_min']:.2f}")
    return "\n".join(lines)
