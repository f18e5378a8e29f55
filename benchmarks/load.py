"""A load test that stops by itself: N simulated users ask at once, against a running
`rag serve` (its /ask API, through gradio_client) or against the library in-process.

    # a server started beforehand (loopback only); its memory is read from /proc
    flock /tmp/rag-heavy.lock .venv/bin/python benchmarks/load.py --url http://127.0.0.1:7860
    # the library, in this process
    flock /tmp/rag-heavy.lock .venv/bin/python benchmarks/load.py --library --generator extractive

Every user starts at the same moment and asks --questions questions one after another
(gold-set questions, a different one for each request). Per request it records:

    evidence  submit -> the first evidence sentences on screen (retrieval; never queued)
    wait      time in line for the model (the server's timings["queue_wait"])
    ttft      submit -> first answer token
    total     submit -> the checked answer

and prints p50/p95/max of each, errors, answers per minute, the serving process's
resident memory (after three warm-up questions, peak, end: flat means nothing piles up)
and the CPU model.
Bounded: at most 64 users x 20 questions, and --max-seconds (default 600) after which
unfinished requests are cancelled and counted as errors.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from retrieval import cpu_model  # noqa: E402

MAX_USERS, MAX_QUESTIONS, MAX_SECONDS = 64, 20, 3600
WARMUP = 3  # questions asked one by one before the clock starts
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (Linux /proc), None when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def tree_rss_mb(pid: int) -> float | None:
    """Resident memory of a process and all its descendants (a `rag serve` worker and the
    llama-server it started), in MB."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    total, todo, seen = 0.0, [pid], False
    while todo:
        p = todo.pop()
        m = rss_mb(p)
        if m is not None:
            total += m
            seen = True
        todo.extend(children.get(p, []))
    return total if seen else None


def pid_listening_on(port: int) -> int | None:
    """The process listening on a local TCP port, from /proc/net/tcp{,6} and /proc/*/fd."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(f[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def questions(n: int) -> list[str]:
    from rag.evaluation import load_gold

    gold = [g.question for g in load_gold(ROOT / "evals" / "gold.jsonl")]
    return [gold[i % len(gold)] for i in range(n)]


class Record:
    def __init__(self, user: int, question: str):
        self.user, self.question = user, question
        self.evidence = self.ttft = self.total = self.wait = None
        self.error = ""
        self.refused = None
        self.answer = None  # the answer payload (rag ask --json shape)

    def event(self, kind: str, t: float, payload: dict) -> None:
        if kind == "evidence" and self.evidence is None:
            self.evidence = t
        elif kind == "token" and self.ttft is None:
            self.ttft = t
        elif kind == "answer":
            self.total = t
            self.ttft = self.ttft if self.ttft is not None else t
            self.wait = (payload.get("timings") or {}).get("queue_wait", 0.0)
            self.refused = payload.get("refused")
            self.answer = payload
        elif kind == "error":
            self.error = payload.get("text", "error")


# ---------------------------------------------------------------------- the two ways to ask
def api_asker(url: str, generator: str):
    from gradio_client import Client

    def ask(rec: Record, deadline: float) -> None:
        client = Client(url, verbose=False)  # one connection per simulated user
        t0 = time.perf_counter()
        job = client.submit(rec.question, "[]", generator, api_name="/ask")
        seen = 0
        while True:
            outputs = job.outputs()
            for raw in outputs[seen:]:
                payload = json.loads(raw)
                rec.event(payload["kind"], time.perf_counter() - t0, payload)
            seen = len(outputs)
            if job.done():
                outputs = job.outputs()
                for raw in outputs[seen:]:
                    payload = json.loads(raw)
                    rec.event(payload["kind"], time.perf_counter() - t0, payload)
                if rec.total is None and not rec.error:
                    exc = job.exception()
                    rec.error = f"no answer ({type(exc).__name__}: {exc})" if exc else "no answer"
                return
            if time.perf_counter() > deadline:
                job.cancel()
                rec.error = "timed out (--max-seconds)"
                return
            time.sleep(0.02)

    return ask


def library_asker(assistant, generator: str):
    def ask(rec: Record, deadline: float) -> None:
        t0 = time.perf_counter()
        stream = assistant.ask_stream(rec.question, generator=generator or None)
        try:
            for event in stream:
                payload = event.answer.to_dict() if event.answer is not None else {"text": event.text}
                rec.event(event.kind, time.perf_counter() - t0, payload)
                if time.perf_counter() > deadline and rec.total is None:
                    rec.error = "timed out (--max-seconds)"
                    return
        except Exception as e:  # noqa: BLE001 - counted and shown, the run goes on
            rec.error = f"{type(e).__name__}: {e}"
        finally:
            stream.close()

    return ask


# ---------------------------------------------------------------------- the run
def run(ask, users: int, per_user: int, max_seconds: float, pid: int, *, warmup: int = WARMUP,
        memory_of=rss_mb, keep: list | None = None) -> dict:
    """`keep`: a list that gets the records (their answers compared across runs)."""
    qs = questions(users * per_user)
    records = [[Record(u, qs[u * per_user + i]) for i in range(per_user)] for u in range(users)]
    memory: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            m = memory_of(pid)
            if m is not None:
                memory.append(m)
            stop.wait(0.5)

    start = threading.Barrier(users + 1)
    deadline = time.perf_counter() + max_seconds

    def user(mine: list[Record]) -> None:
        start.wait()
        for rec in mine:
            if time.perf_counter() > deadline:
                rec.error = "not started before --max-seconds"
                continue
            try:
                ask(rec, deadline)
            except Exception as e:  # noqa: BLE001
                rec.error = f"{type(e).__name__}: {e}"

    # a few requests first, not counted: lazy loads (models, tables) are not a leak
    for q in questions(50 + warmup)[50:]:  # from the middle of the gold file
        ask(Record(-1, q), time.perf_counter() + max_seconds)
    sampler = threading.Thread(target=sample, daemon=True)
    mem_start = memory_of(pid)
    sampler.start()
    threads = [threading.Thread(target=user, args=(mine,), daemon=True) for mine in records]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(max(1.0, deadline - time.perf_counter() + 30))
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join(2)
    mem_end = memory_of(pid)
    flat = [r for mine in records for r in mine]
    if keep is not None:
        keep.extend(flat)
    return summarize(flat, wall, mem_start, memory, mem_end)


def pct(values: list[float], q: float) -> float | None:
    from rag.evaluation import percentile

    return percentile(values, q) if values else None


def summarize(records: list[Record], wall: float, mem_start, memory: list[float], mem_end) -> dict:
    ok = [r for r in records if r.total is not None and not r.error]
    out = {"requests": len(records), "answered": len(ok), "errors": len(records) - len(ok),
           "error_messages": sorted({r.error for r in records if r.error})[:5],
           "refused": sum(bool(r.refused) for r in ok), "wall_s": round(wall, 1),
           "answers_per_min": round(60 * len(ok) / wall, 2) if wall > 0 else None}
    for name in ("evidence", "wait", "ttft", "total"):
        vals = [getattr(r, name) for r in ok if getattr(r, name) is not None]
        out[name] = {"p50": pct(vals, 50), "p95": pct(vals, 95), "max": max(vals) if vals else None}
        out[name] = {k: (round(v, 2) if v is not None else None) for k, v in out[name].items()}
    out["memory_mb"] = {"start": round(mem_start, 1) if mem_start else None,
                        "peak": round(max(memory), 1) if memory else None,
                        "end": round(mem_end, 1) if mem_end else None}
    return out


def report(result: dict, label: str) -> str:
    lines = [f"{label}", f"CPU: {result['cpu']}",
             f"{result['users']} users x {result['per_user']} question(s): {result['answered']}/{result['requests']} "
             f"answered ({result['refused']} refusals), {result['errors']} errors, {result['wall_s']} s, "
             f"{result['answers_per_min']} answers/min",
             f"{'seconds':<10}{'p50':>8}{'p95':>8}{'max':>8}"]
    for name in ("evidence", "wait", "ttft", "total"):
        row = result[name]
        lines.append(f"{name:<10}" + "".join(f"{'-' if row[k] is None else row[k]:>8}" for k in ("p50", "p95", "max")))
    m = result["memory_mb"]
    lines.append(f"memory of the serving process (MB): after warm-up {m['start']}, peak {m['peak']}, end {m['end']}")
    if result["error_messages"]:
        lines.append("errors: " + "; ".join(result["error_messages"]))
    return "\n".join(lines)



# ---------------------------------------------------------------------- side by side
def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = ap.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="a running `rag serve`, e.g. http://127.0.0.1:7860 (loopback only)")
    target.add_argument("--library", action="store_true", help="drive rag.Assistant in this process")
    target.add_argument("--compare", metavar="BASE_DIR",
                        help="start `rag serve` from BASE_DIR (a checkout of the commit before: the embedded model) "
                             "and from this checkout (model_server = llama-server), one after the other, and print "
                             "both: 1 user x --sample questions, --users x 1 and --users x 3")
    ap.add_argument("--slots", type=int, default=4, help="--compare: llama-server slots (generation_slots)")
    ap.add_argument("--sample", type=int, default=8, help="--compare: questions the single user asks")
    ap.add_argument("--lookup", nargs="*", default=["off"], choices=["on", "off"],
                    help="--compare: llama-server sides, with prompt-lookup decoding on and/or off")
    ap.add_argument("--embedded-lookup", nargs="*", default=[], choices=["on", "off"],
                    help="--compare: also this checkout's embedded path with prompt lookup on and/or off")
    ap.add_argument("--only-single", action="store_true", help="--compare: only the single-user scenario")
    ap.add_argument("--logs", default="/tmp/rag-load-logs", help="--compare: where the servers' logs go")
    ap.add_argument("--users", type=int, default=8, help=f"simulated users (default 8, at most {MAX_USERS})")
    ap.add_argument("--questions", type=int, default=1, help=f"questions per user (default 1, at most {MAX_QUESTIONS})")
    ap.add_argument("--max-seconds", type=float, default=600, help="stop and count the rest as errors after this")
    ap.add_argument("--generator", default="", help="generator name (default: the server's or the settings')")
    ap.add_argument("--pid", type=int, default=None, help="server process whose memory to read (default: found by port)")
    ap.add_argument("--label", default="", help="a line printed above the results")
    ap.add_argument("--json", dest="json_out", default=None, help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS or not 1 <= args.questions <= MAX_QUESTIONS:
        ap.error(f"--users must be 1..{MAX_USERS} and --questions 1..{MAX_QUESTIONS}")
    if not 0 < args.max_seconds <= MAX_SECONDS:
        ap.error(f"--max-seconds must be in (0, {MAX_SECONDS}]")
    if args.compare:
        from load_compare import compare  # the side-by-side mode, in its own file

        return compare(args)
    if args.url:
        parsed = urlparse(args.url)
        if parsed.hostname not in LOOPBACK:
            ap.error(f"--url must be a loopback address ({', '.join(sorted(LOOPBACK))}), not {parsed.hostname!r}")
        pid = args.pid or pid_listening_on(parsed.port or 80)
        if pid is None:
            ap.error(f"nothing listens on port {parsed.port}; start `rag serve --port {parsed.port}` first")
        ask = api_asker(args.url, args.generator)
    else:
        from rag import Assistant

        assistant = Assistant.load()
        assistant.warm_up(args.generator or assistant.settings.generator)
        pid = os.getpid()
        ask = library_asker(assistant, args.generator)
    result = run(ask, args.users, args.questions, args.max_seconds, pid)
    result.update(cpu=cpu_model(), users=args.users, per_user=args.questions, target=args.url or "library",
                  generator=args.generator or "(default)")
    print(report(result, args.label or f"load test: {result['target']}, generator {result['generator']}"))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
