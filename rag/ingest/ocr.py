"""Reading page images by OCR: RapidOCR (PP-OCRv4 Chinese detection and recognition, the
models inside the wheel, onnxruntime on the CPU) over pages PDFium renders.

Pages are rendered and read one at a time and each image is released before the next, so
memory stays flat however long the file. The engine loads on first use (never at import)
and is shared by every file after it. What a page's lines were is cached by the file's
content (cache_dir/ocr/<sha256>.json), so re-indexing the corpus (every upload rebuilds
it, every load checks it) does not read a scan twice.

How OCR is used is set for a block of reading with `using(OcrOptions(...))`; the PDF
loader reads it with `current()`. The options travel this way, not as loader arguments,
because every other format's loader takes just a path.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .._files import sha256_file, write_text
from ..errors import DependencyError
from .ocr_layout import Line, PageLines

# the engine and how its lines are turned into boxes; a change makes cached pages stale
ENGINE_KEY = "rapidocr-onnxruntime-1.4/ppocrv4/2000px"
# RapidOCR shrinks any image whose longer side passes 2000 px before it reads it: render
# at that size and no pixel is drawn only to be thrown away (A4 at about 170 dpi)
RENDER_LONG_SIDE = 2000
# one onnxruntime thread: on the shared 2-core machine two threads per session ran a page
# in twice the wall time of one (101 s vs 55 s at load 14), and a second core stays free
# for the embedder and the page's other requests
THREADS = 1

PageProgress = Callable[[str, int, int], None]  # (file name, pages read, pages to read)


@dataclass(frozen=True)
class OcrOptions:
    mode: str = "auto"  # auto: pages without a usable text layer; force: every page; off: none
    max_pages: int = 300  # a file with more pages to read by OCR is skipped before any is read
    cache_dir: Path | None = None  # where read pages are kept; None = not kept
    on_pages: PageProgress | None = None
    # False: pages are only counted against max_pages, not read (the upload check does this:
    # reading is left to the index build, with its cache and progress)
    read: bool = True
    # another engine, called like RapidOCR's on a page image (a numpy array) and answering
    # ([box of 4 corner points, text, score] per line, anything); its `key` attribute names
    # it in the cache. None: RapidOCR. For comparisons (benchmarks/ocr.py --engine).
    engine: Callable | None = None


_current: contextvars.ContextVar[OcrOptions] = contextvars.ContextVar("rag_ocr_options", default=OcrOptions())


def current() -> OcrOptions:
    return _current.get()


@contextlib.contextmanager
def using(options: OcrOptions) -> Iterator[OcrOptions]:
    token = _current.set(options)
    try:
        yield options
    finally:
        _current.reset(token)


def options_from(settings, on_pages: PageProgress | None = None) -> OcrOptions:
    """The OCR options of these settings (rag.config.Settings)."""
    return OcrOptions(settings.ocr, settings.ocr_max_pages, settings.cache_path / "ocr", on_pages)


clock = time.perf_counter  # what page times are read from (tests put a fake clock here)


def time_left(spent: float, done: int, total: int) -> float | None:
    """Seconds left at the rate so far: `spent` seconds for `done` of `total` items; None
    before the first item is done or after the last."""
    if not total or done <= 0 or done >= total:
        return None
    return spent / done * (total - done)


class PageTimer:
    """The time left to read one file by OCR, from that file's own pages: the seconds per
    page so far, timed from when its first page began (not from the start of the upload
    or of the index build, nor from other files' pages), times the pages left. Called
    with the PageProgress arguments; returns None until a page is done."""

    def __init__(self):
        self.started: dict[str, float] = {}

    def __call__(self, name: str, done: int, total: int) -> float | None:
        now = clock()
        if not done:
            self.started[name] = now
            return None
        return time_left(now - self.started.setdefault(name, now), done, total)

    def spent(self, name: str) -> float:
        return clock() - self.started.get(name, clock())


def log_pages(say: Callable[[str], None]) -> PageProgress:
    """Page progress as log lines (where there is no progress bar): at the start, every ten
    pages and at the end, with the time left (PageTimer)."""
    timer = PageTimer()

    def on_pages(name: str, done: int, total: int) -> None:
        left = timer(name, done, total)
        if not done:
            say(f"Reading {name} by OCR: {total} page(s).")
        elif done % 10 == 0 or done == total:
            say(f"Reading {name} by OCR: {done}/{total} pages, about {left or 0:.0f} s left.")

    return on_pages


_engine = None
_engine_lock = threading.Lock()


def engine():
    """The RapidOCR engine, loaded on first use (about a second) and then shared."""
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as e:
                raise DependencyError("rapidocr-onnxruntime", purpose="reading scanned PDFs by OCR") from e
            _engine = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1)
        return _engine


def pdfium():
    try:
        import pypdfium2
    except ImportError as e:
        raise DependencyError("pypdfium2", purpose="rendering scanned PDF pages for OCR") from e
    return pypdfium2


def read_image(image, reader=None) -> PageLines:
    """The lines on one page image (a 2-D greyscale or 3-D colour numpy array), read by
    `reader` (an engine called like RapidOCR's; None: RapidOCR)."""
    height, width = image.shape[:2]
    # use_cls off: the 180-degree classifier is for photos held upside down; a scan is upright
    found, _ = (reader or engine())(image, use_cls=False)
    lines = []
    for box, text, _score in found or ():
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        if text.strip():
            lines.append(Line(float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)), text))
    return PageLines(float(width), float(height), tuple(lines))


def render(page):
    """A pypdfium2 page as a greyscale numpy image, its longer side RENDER_LONG_SIDE pixels."""
    width, height = page.get_size()
    bitmap = page.render(scale=RENDER_LONG_SIDE / max(width, height, 1), grayscale=True)
    try:
        return bitmap.to_numpy().copy()  # a copy: the bitmap's buffer is freed with it
    finally:
        bitmap.close()


class _Cache:
    """The lines of a file's pages read so far, by page index, kept by content hash."""

    def __init__(self, path: Path, cache_dir: Path | None, key: str = ENGINE_KEY):
        self.key = key
        self.file = cache_dir / f"{sha256_file(path)}.json" if cache_dir else None
        self.pages: dict[int, PageLines] = {}
        if self.file and self.file.is_file():
            try:
                data = json.loads(self.file.read_text(encoding="utf-8"))
                if data.get("engine") == self.key:
                    self.pages = {int(i): PageLines(p["w"], p["h"], tuple(Line(*ln) for ln in p["lines"]))
                                  for i, p in data["pages"].items()}
            except (OSError, ValueError, KeyError, TypeError):
                self.pages = {}  # a damaged cache file is read again, not trusted

    def save(self) -> None:
        if not self.file:
            return
        pages = {str(i): {"w": p.width, "h": p.height,
                          "lines": [[ln.x0, ln.y0, ln.x1, ln.y1, ln.text] for ln in p.lines]}
                 for i, p in sorted(self.pages.items())}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            write_text(self.file, json.dumps({"engine": self.key, "pages": pages}, ensure_ascii=False))
        except OSError:
            pass  # a cache that cannot be written costs time next run, not this result


def read_pages(path: Path, indices: list[int], options: OcrOptions) -> dict[int, PageLines]:
    """The lines on the given pages (0-based) of a PDF, read by OCR page by page (or taken
    from the cache); options.on_pages hears (name, done, total) before and after each page."""
    key = ENGINE_KEY if options.engine is None else str(getattr(options.engine, "key", type(options.engine).__name__))
    cache = _Cache(path, options.cache_dir, key)
    todo = [i for i in indices if i not in cache.pages]
    report = options.on_pages or (lambda _name, _done, _total: None)
    if todo:
        report(path.name, 0, len(todo))
        document = pdfium().PdfDocument(str(path))
        try:
            for done, i in enumerate(todo, start=1):
                page = document[i]
                try:
                    image = render(page)
                finally:
                    page.close()
                cache.pages[i] = read_image(image, options.engine)
                del image  # one page image in memory at a time
                if done % 10 == 0:
                    cache.save()  # an interrupted run keeps what it read
                report(path.name, done, len(todo))
        finally:
            document.close()
        cache.save()
    return {i: cache.pages[i] for i in indices}
