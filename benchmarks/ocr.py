"""Scanned PDFs read by OCR, measured on a scan of known text: the seed document printed
to PDF by Chromium (Noto CJK, running header, footer and page numbers as Chromium prints
them), rasterised to page images with no text layer at 150 and 300 dpi, plus its first
page "photographed" (rotated 2 degrees, greyish uneven paper, noise, mild blur).

    .venv/bin/python benchmarks/ocr.py [--out /tmp/ocr-bench] [--no-eval] [--only 150,300,photo]
                                       [--engine rapidocr,tesseract]
    .venv/bin/python benchmarks/ocr.py --memory 300     # peak memory of `rag index`, 300 pages

Reported, with the CPU model and the load average (the machine may be shared):
- character accuracy of the text read against the seed: 1 - edit distance / seed length,
  on the whole document, white space removed (the photographed page: against the best-
  matching stretch of the seed, over the page's own length);
- seconds per page, wall and CPU (this process's and its finished children's), side by side with the text-layer path
  (the printed PDF before rasterising);
- gold retrieval hit@5 (`rag eval --gold evals/gold.jsonl --generator extractive`) over a
  corpus holding only the 300-dpi scan (its OCR reused from the run above through the
  cache) against a corpus holding only the text seed.
- with --engine tesseract (or rapidocr,tesseract), the same for Tesseract 5 with its
  chi_sim model in RapidOCR's place (same renders, same line-to-paragraph code): a
  comparison only, Tesseract is not a dependency of the project.
Peak memory for a long scan (--memory N): the resident memory of `rag index` (a child
process, default embedder, fresh OCR cache) over a corpus holding only an N-page scan whose
pages are full-size 300-dpi A4 page images (2480x3508 greyscale JPEG, as the 300-dpi
fixture's) holding a few lines of text each (sparse_scan), so OCR of 300 pages takes
minutes, not hours; printed every 30 s, and the peak (getrusage of the child) at the end.
(--pages N repeats the real 300-dpi scan's full pages to N instead: hours for 300 pages.)
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
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # fonts-noto-cjk
sys.path.insert(0, str(Path(__file__).resolve().parent))
from retrieval import cpu_model, ws  # noqa: E402  (benchmarks/retrieval.py)

from rag.ingest import OcrOptions, load_documents, reading_scans  # noqa: E402
from ocr_tesseract import TesseractEngine, join_words  # noqa: E402,F401  (the comparison engine, its own file)


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


def jpeg_pdf(pages, out: Path) -> Path:
    """A PDF of page images with no text layer, written page by page: `pages` yields
    (JPEG bytes, width px, height px, dpi), each drawn over a whole page of that size. Only
    one page's JPEG is in memory at a time (Pillow's PDF writer holds every page)."""
    offsets: list[int] = []
    with open(out, "wb") as f:
        def obj(body: bytes, stream: bytes | None = None) -> int:
            offsets.append(f.tell())
            f.write(b"%d 0 obj\n" % len(offsets) + body)
            if stream is not None:
                f.write(b"\nstream\n" + stream + b"\nendstream")
            f.write(b"\nendobj\n")
            return len(offsets)

        f.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        obj(b"<< /Type /Catalog /Pages 2 0 R >>")
        offsets.append(0)  # object 2, the page tree, is written last, when its kids are known
        kids = []
        for data, width, height, dpi in pages:
            w, h = width * 72 / dpi, height * 72 / dpi
            image = obj(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                        b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>" % (width, height, len(data)), data)
            draw = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (w, h)
            content = obj(b"<< /Length %d >>" % len(draw), draw)
            kids.append(obj(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R "
                            b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (w, h, content, image)))
        offsets[1] = f.tell()
        f.write(b"2 0 obj\n<< /Type /Pages /Count %d /Kids [%s] >>\nendobj\n"
                % (len(kids), b" ".join(b"%d 0 R" % k for k in kids)))
        xref = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        f.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
        f.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    return out


def sparse_scan(out: Path, count: int, dpi: int = 300, lines_per_page: int = 4) -> Path:
    """A long scan that OCR reads quickly: `count` full-size A4 page images at `dpi`
    (greyscale JPEG, quality 80, as rasterise() makes them), each holding only a few lines:
    `lines_per_page` lines of the seed (about 30 characters each, 12 pt Noto Sans CJK, drawn
    by Pillow) and a page number. The pages are as large as a real scan's, so rendering and
    detection cost as much memory per page; only recognition has less to do."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    seed = ws(SEED.read_text(encoding="utf-8"))
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    font = ImageFont.truetype(CJK_FONT, round(12 / 72 * dpi), index=2)  # 12 pt; face 2 is SC
    per_line = 30

    def pages():
        for n in range(count):
            image = Image.new("L", (width, height), 255)
            draw = ImageDraw.Draw(image)
            for k in range(lines_per_page):
                start = ((n * lines_per_page + k) * per_line) % (len(seed) - per_line)
                draw.text((dpi, dpi * (1.5 + 0.4 * k)), seed[start:start + per_line], font=font, fill=0)
            draw.text((width // 2 - dpi // 4, height - dpi), f"- {n + 1} -", font=font, fill=0)
            data = io.BytesIO()
            image.save(data, "JPEG", quality=80, dpi=(dpi, dpi))
            yield data.getvalue(), width, height, dpi

    return jpeg_pdf(pages(), out)


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


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have finished (an OCR command)."""
    import resource

    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + child.ru_utime + child.ru_stime


def read_timed(pdf: Path, options: OcrOptions) -> tuple[str, int, float, float]:
    """(text, pages, wall seconds, CPU seconds) of reading one PDF through the corpus loader."""
    folder = pdf.parent / f"corpus-{pdf.stem}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copy(pdf, folder / pdf.name)
    wall, cpu = time.perf_counter(), cpu_seconds()
    with reading_scans(options):
        docs = load_documents(folder)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
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


ENGINES = {"rapidocr": "RapidOCR (the project's: rapidocr-onnxruntime, PP-OCRv4, 1 thread)",
           "tesseract": "Tesseract (comparison only: chi_sim, 1 thread)"}


def machine() -> str:
    return f"CPU {cpu_model()}, {os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/ocr-bench", help="folder for the fixtures, caches and reports")
    ap.add_argument("--only", default="150,300,photo", help="which scans to read: 150, 300, photo")
    ap.add_argument("--pages", type=int, default=0, help="repeat the 300-dpi scan's pages to this many (memory)")
    ap.add_argument("--no-eval", action="store_true", help="skip the gold retrieval comparison")
    ap.add_argument("--engine", default="rapidocr",
                    help="OCR engine(s) to measure, comma-separated: rapidocr (the project's), tesseract "
                         "(comparison only: Debian's tesseract-ocr + tesseract-ocr-chi-sim)")
    ap.add_argument("--memory", type=int, default=0, metavar="N",
                    help="only measure the peak memory of `rag index` over an N-page 300-dpi scan of sparse pages")
    ap.add_argument("--memory-embedder", default=None, help="embedder for --memory (default: the settings' default)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.memory:
        from ocr_memory import peak_memory  # the --memory mode, its own file

        peak_memory(args.memory, out, args.memory_embedder)
        return 0
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
    engines = args.engine.split(",")
    for engine in engines:
        if engine not in ENGINES:
            raise SystemExit(f"unknown engine {engine!r}: {', '.join(ENGINES)}")
        reader = TesseractEngine() if engine == "tesseract" else None
        print(f"engine: {ENGINES[engine]}{f', version {reader.version}' if reader else ''}", flush=True)
        # a fresh cache per engine, so every page is read here; the eval below reuses RapidOCR's
        pages_cache = cache / ("ocr" if engine == "rapidocr" else f"ocr-{engine}")
        shutil.rmtree(pages_cache, ignore_errors=True)
        for name, pdf in scans.items():
            if pdf is None:
                continue
            progress = memory_line if args.pages else None
            text, pages, wall, cpu = read_timed(pdf, OcrOptions(mode="auto", max_pages=max(300, args.pages),
                                                                 cache_dir=pages_cache, on_pages=progress,
                                                                 engine=reader))
            score = accuracy(text, seed, free_ends=name == "photo") if not args.pages else float("nan")
            suffix = "" if engine == "rapidocr" else f".{engine}"
            (out / f"{pdf.stem}{suffix}.ocr.txt").write_text(text, encoding="utf-8")
            # CPU: this process's, plus its finished children's (the tesseract command runs in one)
            print(f"{engine:<9} scan {name:<6} {pages} pages  accuracy {score:.4f}  {wall / pages:.2f} s/page wall, "
                  f"{cpu / pages:.2f} s/page CPU, {pages / wall:.3f} pages/s  ({machine()})", flush=True)
    if not args.no_eval and scans["300"] and not args.pages:
        base = hit_at_5(SEED, out, cache)
        scanned = hit_at_5(scans["300"], out, cache)
        print(f"gold hit@5: text seed {base:.3f}, 300-dpi scan {scanned:.3f} (difference {scanned - base:+.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
