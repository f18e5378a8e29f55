"""Search latency while a big upload is indexed: does /search (and the chat's evidence)
stay fast for everyone else?

    flock /work/cpu.lock .venv/bin/python benchmarks/upload_search.py                 # 5,000 pages, the defaults
    flock /work/cpu.lock .venv/bin/python benchmarks/upload_search.py --worker inline # indexing in the serving process
    .venv/bin/python benchmarks/upload_search.py --pages 300 --idle 20                # a quick look

It makes a PDF of --pages pages, one English sentence on each (written here, no PDF
library), copies the seed corpus and its index (with the embedding caches) into a
temporary folder, loads the Assistant with the real embedder, and then, in this one
process, as `rag serve` would:

    idle     --idle searches one after another (Assistant.retrieve, what /search runs), then as many
             evidence requests (Assistant.ask_stream with the extractive generator, up to the
             "evidence" event: what the chat shows first)
    upload   Assistant.add_documents(the PDF) in a thread (the documents panel runs it so),
             while the main thread goes on searching and asking for evidence until the upload is in

and prints p50 / p95 / max of each, the ratio upload p95 / idle p95, how long the upload took
by stage, the CPU model and the load average before and after. The PDF is past the default
max_pdf_pages (2000), so the run raises that limit (and max_file_seconds) for itself.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from retrieval import cpu_model  # noqa: E402

WORDS = ("budget", "harbour", "railway", "school", "clinic", "bridge", "market", "library", "factory", "park")


def sentence(i: int) -> str:
    return (f"On page {i} the district office reported that the {WORDS[i % 10]} project number {i} "
            f"used {(i * 37) % 1000} tonnes of steel in quarter {i % 4 + 1}.")


def make_pdf(pages: int) -> bytes:
    """A PDF with one sentence of Helvetica text per page, objects and xref written by hand."""
    objects: list[bytes] = []  # object i + 1
    kids = []
    objects.append(b"")  # 1: catalog, filled below
    objects.append(b"")  # 2: page tree, filled below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")  # 3
    for i in range(1, pages + 1):
        text = sentence(i).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 10 Tf 40 400 Td ({text}) Tj ET".encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(objects)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % content)
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, b" ".join(b"%d 0 R" % k for k in kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def questions() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def summary(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "p50_ms": round(statistics.median(xs) * 1000, 1), "p95_ms": round(pct(xs, 95) * 1000, 1),
            "max_ms": round(max(xs) * 1000, 1)}


def timed_search(a, q: str) -> float:
    t0 = time.perf_counter()
    a.retrieve(q, k=5)
    return time.perf_counter() - t0


def timed_evidence(a, q: str) -> float:
    t0 = time.perf_counter()
    events = a.ask_stream(q, generator="extractive")
    try:
        for ev in events:
            if ev.kind == "evidence":
                break
    finally:
        events.close()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--idle", type=int, default=60, help="searches (and evidence requests) measured idle")
    ap.add_argument("--worker", choices=("process", "inline"), default=None, help="settings.index_worker (default: the setting)")
    ap.add_argument("--threads", type=int, default=None, help="settings.index_worker_threads")
    ap.add_argument("--nice", type=int, default=None, help="settings.index_worker_nice")
    ap.add_argument("--pause", type=float, default=0.05, help="seconds between requests (users do not ask back to back)")
    ap.add_argument("--index", default=str(ROOT / "index"), help="the seed index to start from (copied)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from rag import Assistant, Settings

    cpu, load0 = cpu_model(), os.getloadavg()
    t0 = time.perf_counter()
    pdf = make_pdf(args.pages)
    made = time.perf_counter() - t0
    overrides = {k: v for k, v in (("index_worker", args.worker), ("index_worker_threads", args.threads),
                                  ("index_worker_nice", args.nice)) if v is not None}
    with tempfile.TemporaryDirectory(prefix="rag-upload-bench-") as tmp:
        tmp = Path(tmp)
        shutil.copytree(ROOT / "seeds", tmp / "corpus", ignore=shutil.ignore_patterns("uploads"))
        if Path(args.index).is_dir():
            shutil.copytree(args.index, tmp / "index")
        settings = Settings.load().replace(corpus_dir=str(tmp / "corpus"), index_dir=str(tmp / "index"),
                                           max_pdf_pages=max(args.pages, 2000), max_file_seconds=900.0,
                                           generator="extractive", **overrides)
        a = Assistant.load(settings)
        a.warm_up()
        qs = questions()
        for q in qs[:5]:  # first calls load lazily
            timed_search(a, q)
            timed_evidence(a, q)
        idle_search, idle_evidence = [], []
        for i in range(args.idle):
            idle_search.append(timed_search(a, qs[i % len(qs)]))
            time.sleep(args.pause)
            idle_evidence.append(timed_evidence(a, qs[(i + 7) % len(qs)]))
            time.sleep(args.pause)

        stages: list[tuple[float, str]] = []
        outcome: dict = {}

        def progress(p):
            if not stages or stages[-1][1] != p.stage:
                stages.append((time.perf_counter(), p.stage))

        def upload():
            try:
                outcome["result"] = a.add_documents([("long-report.pdf", pdf)], progress=progress, user="bench")
            except Exception as e:  # noqa: BLE001 - printed below
                outcome["error"] = f"{type(e).__name__}: {e}"

        up_search, up_evidence, by_stage = [], [], {}
        thread = threading.Thread(target=upload, name="bench-upload")
        t_up = time.perf_counter()
        thread.start()
        i = 0
        while thread.is_alive():
            stage = stages[-1][1] if stages else "saving"
            s = timed_search(a, qs[i % len(qs)])
            up_search.append(s)
            by_stage.setdefault(stage, []).append(s)
            time.sleep(args.pause)
            up_evidence.append(timed_evidence(a, qs[(i + 7) % len(qs)]))
            time.sleep(args.pause)
            i += 1
        thread.join()
        upload_seconds = time.perf_counter() - t_up
        load1 = os.getloadavg()
        r = outcome.get("result")
        report = {
            "cpu": cpu, "cores": os.cpu_count(), "load_average_before": [round(x, 2) for x in load0],
            "load_average_after": [round(x, 2) for x in load1],
            "pdf": {"pages": args.pages, "bytes": len(pdf), "made_seconds": round(made, 2)},
            "settings": {"index_worker": settings.index_worker, "index_worker_threads": settings.index_worker_threads,
                         "index_worker_nice": settings.index_worker_nice, "embed_engine": a.embedder.engine
                         if hasattr(a.embedder, "engine") else None},
            "upload": {"seconds": round(upload_seconds, 1), "error": outcome.get("error"),
                       "added": r.added if r else None, "chunks": r.chunks if r else None,
                       "embedded": r.embedded if r else None, "skipped": r.skipped if r else None,
                       "stages": [[round(t - t_up, 1), s] for t, s in stages]},
            "search_idle": summary(idle_search), "search_during_upload": summary(up_search),
            "evidence_idle": summary(idle_evidence), "evidence_during_upload": summary(up_evidence),
            "search_by_stage": {k: summary(v) for k, v in by_stage.items()},
        }
        for name in ("search", "evidence"):
            idle, busy = report[f"{name}_idle"], report[f"{name}_during_upload"]
            if idle.get("n") and busy.get("n"):
                report[f"{name}_p95_ratio"] = round(busy["p95_ms"] / idle["p95_ms"], 2)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(f"CPU: {report['cpu']} ({report['cores']} cores); load average before {report['load_average_before']}, "
              f"after {report['load_average_after']}")
        print(f"PDF: {args.pages} pages, {len(pdf) / 1e6:.1f} MB; settings {report['settings']}")
        u = report["upload"]
        print(f"upload: {u['seconds']} s, added {u['added']}, {u['chunks']} chunks ({u['embedded']} embedded), "
              f"error {u['error']}, skipped {u['skipped']}")
        print("  stages (s from start):", ", ".join(f"{s} {t}" for t, s in u["stages"]))
        for name in ("search", "evidence"):
            print(f"{name:9s} idle {report[f'{name}_idle']}")
            print(f"{name:9s} upload {report[f'{name}_during_upload']}  p95 ratio {report.get(f'{name}_p95_ratio')}")
        for stage, v in report["search_by_stage"].items():
            print(f"  search during {stage}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
