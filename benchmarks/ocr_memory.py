"""`benchmarks/ocr.py --memory N`: the peak resident memory of `rag index` over an N-page
scan (issue 19's bound: under 1.5 GB for 300 pages)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr import ROOT, machine, sparse_scan  # noqa: E402


def peak_memory(pages: int, out: Path, embedder: str | None = None) -> int:
    """Peak resident memory of `rag index` (a child process: the default embedder, and every
    page read by OCR, none from a cache) over a corpus holding only a `pages`-page 300-dpi
    scan of sparse pages (sparse_scan). Prints the resident memory every 30 s while it runs
    and the peak (getrusage of the child, the kernel's high-water mark) at the end."""
    import resource

    pdf = sparse_scan(out / f"sparse_scan_300_x{pages}.pdf", pages)
    corpus, index, cache = out / "memory-corpus", out / "memory-index", out / "memory-cache"
    for d in (corpus, index, cache):
        shutil.rmtree(d, ignore_errors=True)
    corpus.mkdir()
    shutil.copy(pdf, corpus / pdf.name)
    env = {**os.environ, "RAG_CACHE_DIR": str(cache), "RAG_OCR_MAX_PAGES": str(max(300, pages)), "PYTHONPATH": str(ROOT)}
    if embedder:
        env["RAG_EMBEDDER"] = embedder
    print(f"memory: `rag index` over {pdf.name} ({pages} pages of 2480x3508 px, 300 dpi, "
          f"{pdf.stat().st_size / 2**20:.1f} MB), embedder {embedder or 'default'}; {machine()}", flush=True)
    log = out / "memory-index.log"
    wall = time.perf_counter()
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "index", "--corpus", str(corpus), "--out", str(index)],
                                env=env, cwd=ROOT, stdout=err, stderr=err)
        status = Path(f"/proc/{proc.pid}/status")
        last = 0.0
        while proc.poll() is None:
            time.sleep(1)
            if time.perf_counter() - last >= 30:
                last = time.perf_counter()
                try:
                    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
                    print(f"  {last - wall:5.0f} s: resident {int(fields['VmRSS'].split()[0]) / 1024:.0f} MB, "
                          f"peak {int(fields['VmHWM'].split()[0]) / 1024:.0f} MB", flush=True)
                except (OSError, KeyError, ValueError):
                    pass
    wall = time.perf_counter() - wall
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"rag index failed ({proc.returncode}); see {log}")
    tail = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.startswith("Indexed")]
    print(f"memory: peak resident {usage.ru_maxrss / 1024:.0f} MB (max RSS {usage.ru_maxrss:,} kB) for {pages} pages; "
          f"{wall:.0f} s wall, {wall / pages:.2f} s/page, CPU {usage.ru_utime + usage.ru_stime:.0f} s; "
          f"{tail[-1] if tail else ''} ({machine()})", flush=True)
    return usage.ru_maxrss
