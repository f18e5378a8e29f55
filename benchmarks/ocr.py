"""Scanned PDFs read by OCR, measured on a scan of known text: the seed document printed
to PDF by Chromium (Noto CJK, running header, footer and page numbers as Chromium prints
them), rasterised to page images with no text layer at 150 and 300 dpi, plus its first
page "photographed" (rotated 2 degrees, greyish uneven paper, noise, mild blur).

    .venv/bin/python benchmarks/ocr.py [--out /tmp/ocr-bench] [--no-eval] [--only 150,300,photo]

Reported, with the CPU model and the load average (the machine may be shared):
- character accuracy of the text read against the seed: 1 - edit distance / seed length,
  on the whole document, white space removed (the photographed page: against the best-
  matching stretch of the seed, over the page's own length);
- seconds per page, wall and this process's CPU, side by side with the text-layer path
  (the printed PDF before rasterising);
- gold retrieval hit@5 (`rag eval --gold evals/gold.jsonl --generator extractive`) over a
  corpus holding only the 300-dpi scan (its OCR reused from the run above through the
  cache) against a corpus holding only the text seed.
Peak memory for many pages: run it under /usr/bin/time -v with --pages N (the 300-dpi
scan's pages repeated to N pages; --only 300 --no-eval): the resident memory is printed
after every page.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "chongqing_digital_economy_2025.txt"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from retrieval import cpu_model, ws  # noqa: E402  (benchmarks/retrieval.py)

from rag.ingest import OcrOptions, load_documents, reading_scans  # noqa: E402


# ------------------------------------------------------------------ the fixtures

def print_seed(out: Path) -> Path:
    """The seed as Chromium prints it: one <p> per line, Noto CJK, with Chromium's own
    running header (date, title) and footer (file URL, "n/m")."""
    paras = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    page = ('<!doctype html><html><head><meta charset="utf-8"><title>重庆数字经济专题</title><style>'
            'body{font-family:"Noto Serif CJK SC","Noto Sans CJK SC";font-size:12pt;line-height:1.6}'
            'p{margin:0 0 .6em 0;text-indent:2em}</style></head><body>'
            + "".join(f"<p>{html.escape(p)}</p>" for p in paras) + "</body></html>")
    src, pdf = out / "seed.html", out / "seed_text.pdf"
    src.write_text(page, encoding="utf-8")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={pdf}", src.as_uri()],
                   check=True, capture_output=True, timeout=180)
    return pdf


def photographed(image):
    """A page image as a phone photo of paper: greyish uneven light, noise, 2 degrees, blur."""
    from PIL import Image, ImageFilter

    a = np.asarray(image, dtype=np.float32) / 255.0
    paper = 0.78 + 0.06 * np.linspace(0, 1, a.shape[1])[None, :]
    a = a * paper + np.random.default_rng(0).normal(0, 0.02, a.shape)
    out = Image.fromarray(np.clip(a * 255, 0, 255).astype(np.uint8))
    out = out.rotate(2.0, resample=Image.BICUBIC, expand=True, fillcolor=60)
    return out.filter(ImageFilter.GaussianBlur(0.8))


def rasterise(pdf: Path, out: Path, dpi: int, pages: list[int] | None = None, photo: bool = False) -> Path:
    """The PDF's pages as greyscale JPEG images in a PDF with no text layer."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    images = []
    for i in pages if pages is not None else range(len(document)):
        image = document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        images.append(photographed(image) if photo else image)
    images[0].save(out, save_all=True, append_images=images[1:], resolution=dpi, quality=80)
    return out


def repeat_pages(pdf: Path, out: Path, count: int) -> Path:
    """A long scan: the PDF's pages repeated until there are `count` of them."""
    from pypdf import PdfReader, PdfWriter

    reader, writer = PdfReader(str(pdf)), PdfWriter()
    for i in range(count):
        writer.add_page(reader.pages[i % len(reader.pages)])
    writer.write(str(out))
    return out


# ------------------------------------------------------------------ the measures

def edit_distance(a: str, b: str, free_ends: bool = False) -> int:
    """Levenshtein distance, one numpy row at a time. free_ends: a against the best-matching
    stretch of b (skipping b's start and end costs nothing)."""
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    row = np.zeros(len(b) + 1, dtype=np.int64) if free_ends else np.arange(len(b) + 1, dtype=np.int64)
    steps = np.arange(len(b) + 1, dtype=np.int64)
    for i, ch in enumerate(a, start=1):
        sub = row[:-1] + (bb != ord(ch))
        new = np.empty_like(row)
        new[0] = i
        new[1:] = np.minimum(sub, row[1:] + 1)
        # insertions along the row: new[j] = min over k <= j of new[k] + (j - k)
        row = np.minimum.accumulate(new - steps) + steps
    return int(row.min() if free_ends else row[-1])


def accuracy(text: str, reference: str, free_ends: bool = False) -> float:
    a, b = ws(text), ws(reference)
    return 1 - edit_distance(a, b, free_ends) / max(1, len(a) if free_ends else len(b))


def read_timed(pdf: Path, options: OcrOptions) -> tuple[str, int, float, float]:
    """(text, pages, wall seconds, CPU seconds) of reading one PDF through the corpus loader."""
    folder = pdf.parent / f"corpus-{pdf.stem}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copy(pdf, folder / pdf.name)
    wall, cpu = time.perf_counter(), time.process_time()
    with reading_scans(options):
        docs = load_documents(folder)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if docs.skipped:
        raise SystemExit(f"{pdf.name} was skipped: {docs.skipped[0].reason}")
    return docs[0].text, len(docs[0].page_starts), wall, cpu


def hit_at_5(corpus_file: Path, out: Path, cache: Path) -> float:
    corpus, index = out / f"eval-corpus-{corpus_file.stem}", out / f"eval-index-{corpus_file.stem}"
    for d in (corpus, index):
        shutil.rmtree(d, ignore_errors=True)
    corpus.mkdir()
    shutil.copy(corpus_file, corpus / corpus_file.name)
    env = {**os.environ, "RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(index), "RAG_CACHE_DIR": str(cache),
           "PYTHONPATH": str(ROOT)}
    report = out / f"eval-{corpus_file.stem}"
    subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--gold", str(ROOT / "evals" / "gold.jsonl"),
                    "--generator", "extractive", "--out", str(report), "--no-resume", "--json"],
                   check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return json.loads((report / "report.json").read_text(encoding="utf-8"))["summary"]["hit@5"]


def memory_line(_name: str, done: int, total: int) -> None:
    """Pages read so far with the resident memory now and at its peak: flat when pages are
    read one at a time and their images released."""
    import resource

    now = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  page {done}/{total}: resident {now:.0f} MB, peak {peak:.0f} MB", flush=True)


def machine() -> str:
    return f"CPU {cpu_model()}, {os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/ocr-bench", help="folder for the fixtures, caches and reports")
    ap.add_argument("--only", default="150,300,photo", help="which scans to read: 150, 300, photo")
    ap.add_argument("--pages", type=int, default=0, help="repeat the 300-dpi scan's pages to this many (memory)")
    ap.add_argument("--no-eval", action="store_true", help="skip the gold retrieval comparison")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "cache"
    seed = SEED.read_text(encoding="utf-8")
    print(machine(), flush=True)

    text_pdf = print_seed(out)
    text, pages, wall, cpu = read_timed(text_pdf, OcrOptions(mode="auto"))
    print(f"text layer   {pages} pages  accuracy {accuracy(text, seed):.4f}  "
          f"{wall / pages:.3f} s/page wall, {cpu / pages:.3f} s/page CPU  ({machine()})", flush=True)
    only = args.only.split(",")
    scans = {"150": rasterise(text_pdf, out / "seed_scan_150.pdf", 150) if "150" in only else None,
             "300": rasterise(text_pdf, out / "seed_scan_300.pdf", 300) if "300" in only else None,
             "photo": rasterise(text_pdf, out / "seed_photo_p1.pdf", 200, [0], photo=True) if "photo" in only else None}
    if args.pages and scans["300"]:
        scans["300"] = repeat_pages(scans["300"], out / f"seed_scan_300_x{args.pages}.pdf", args.pages)
    for name, pdf in scans.items():
        if pdf is None:
            continue
        progress = memory_line if args.pages else None
        # a fresh cache, so every page is read here; the eval below reuses it
        shutil.rmtree(cache / "ocr", ignore_errors=True) if name == "300" else None
        text, pages, wall, cpu = read_timed(pdf, OcrOptions(mode="auto", max_pages=max(300, args.pages),
                                                             cache_dir=cache / "ocr", on_pages=progress))
        score = accuracy(text, seed, free_ends=name == "photo") if not args.pages else float("nan")
        (out / f"{pdf.stem}.ocr.txt").write_text(text, encoding="utf-8")
        print(f"scan {name:<6} {pages} pages  accuracy {score:.4f}  {wall / pages:.2f} s/page wall, "
              f"{cpu / pages:.2f} s/page CPU, {pages / wall:.3f} pages/s  ({machine()})", flush=True)
    if not args.no_eval and scans["300"] and not args.pages:
        base = hit_at_5(SEED, out, cache)
        scanned = hit_at_5(scans["300"], out, cache)
        print(f"gold hit@5: text seed {base:.3f}, 300-dpi scan {scanned:.3f} (difference {scanned - base:+.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
