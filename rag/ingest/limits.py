"""Limits on the work one uploaded file may cause, each a setting, each refused with a
message that says which limit and how to raise it:

    max_archive_mb     bytes a .docx (a zip) may expand to: declared sizes checked before
                       parsing, actual sizes counted while decompressing (a zip can lie)
    max_pdf_pages      pages of a PDF, counted before any text is extracted
    max_file_chars     characters of text extracted from one file
    max_file_chunks    passages one file may add to the index (each is embedded)
    max_file_seconds   time to read and chunk one file: done in a child process that is
                       killed when the time is up, so a parser stuck on a crafted file
                       cannot hold the server
    ocr_max_pages      pages of a PDF to read by OCR (rag.ingest.ocr): counted here, not
                       read; OCR runs in the index build, page by page with its progress
                       and cache, so it is bounded by this limit, not max_file_seconds

    inspect_upload(path, settings)  -> None when the file is within every limit, else the reason

The loaders consult `active()` (the defaults, or what the child process was given), so
the archive and page checks happen before the expensive parsing, not after it.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import UnreadableFileError

MB = 1024 * 1024


class LimitError(UnreadableFileError):
    """A file is past one of the upload limits (the reason names the setting)."""


@dataclass(frozen=True)
class Limits:
    archive_bytes: int = 200 * MB
    pdf_pages: int = 2000
    chars: int = 2_000_000
    chunks: int = 5000
    seconds: float = 120.0
    ocr: str = "auto"
    ocr_pages: int = 300

    @classmethod
    def of(cls, settings) -> "Limits":
        return cls(int(settings.max_archive_mb * MB), settings.max_pdf_pages, settings.max_file_chars,
                   settings.max_file_chunks, settings.max_file_seconds, settings.ocr, settings.ocr_max_pages)


_active = Limits()


def active() -> Limits:
    return _active


def configure(limits: Limits) -> None:
    global _active
    _active = limits


@contextlib.contextmanager
def using(limits: Limits):
    """The loaders check against `limits` inside this block (the settings' values, not the
    defaults: a server with max_pdf_pages raised must be able to index what it admitted)."""
    global _active
    before, _active = _active, limits
    try:
        yield limits
    finally:
        _active = before


def check_archive(path: Path, limit: int | None = None, kind: str = "zip archive") -> None:
    """LimitError when the zip at path expands to more than `limit` bytes. Declared sizes
    first (free); then every member is decompressed in blocks and counted, stopping at the
    limit, because the declared sizes are written by whoever made the file."""
    limit = active().archive_bytes if limit is None else limit
    mb = f"{limit / MB:g} MB"
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
            declared = sum(m.file_size for m in members)
            if declared > limit:
                raise LimitError(f"expands to {declared / MB:.0f} MB, over the {mb} limit for archives "
                                 "(setting max_archive_mb); a document this large is refused")
            total = 0
            for m in members:
                with z.open(m) as f:
                    while block := f.read(1 << 20):
                        total += len(block)
                        if total > limit:
                            raise LimitError(f"expands to more than {mb} (its sizes say {declared / MB:.1f} MB), "
                                             "over the limit for archives (setting max_archive_mb)")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
        raise UnreadableFileError(f"is not a readable {kind} ({type(e).__name__}: {e})") from None


def check_pages(pages: int) -> None:
    if pages > active().pdf_pages:
        raise LimitError(f"has {pages} pages; the limit is {active().pdf_pages} (setting max_pdf_pages). "
                         "Split the document")


def check_chars(chars: int) -> None:
    if chars > active().chars:
        raise LimitError(f"holds {chars:,} characters of text; the limit is {active().chars:,} per file "
                         "(setting max_file_chars). Split the document")


def check_chunks(chunks: int) -> None:
    if chunks > active().chunks:
        raise LimitError(f"would add {chunks:,} passages; the limit is {active().chunks:,} per file "
                         "(setting max_file_chunks). Split the document")


def measure(path: Path, limits: Limits, chunk_max_chars: int) -> str | None:
    """Read and chunk one file under `limits`; None when it is within them, else the reason."""
    from .chunker import chunk_document
    from .folder import Document
    from .formats import read_file
    from .ocr import OcrOptions, using

    configure(limits)
    try:
        # scanned pages are counted against ocr_max_pages, not read: the index build reads them
        with using(OcrOptions(mode=limits.ocr, max_pages=limits.ocr_pages, read=False)):
            text, pages = read_file(Path(path))
        check_chars(len(text))
        check_chunks(len(chunk_document(Document(Path(path).name, text, pages), chunk_max_chars)))
    except UnreadableFileError as e:
        return str(e)
    except MemoryError:
        return "needs more memory than the server has to read"
    except Exception as e:  # noqa: BLE001 - a parser failing on a crafted file: a reason, not a crash
        return f"could not be read ({type(e).__name__}: {e})"
    return None


def _child(path: str, limits: dict, chunk_max_chars: int, out, nice: int = 0) -> None:
    if nice:
        try:  # reading a big file is background work, as the indexing after it (rag.retrieval.worker)
            import os

            os.nice(nice)
        except OSError:
            pass
    out.put(measure(Path(path), Limits(**limits), chunk_max_chars))


def inspect_upload(path: Path, settings) -> str | None:
    """measure() in a child process, killed after max_file_seconds: None when the file is
    within every limit, else the reason to show. A child, not a thread: a parser stuck in
    a loop cannot be stopped from outside in Python, but a process can, and its memory
    goes back with it."""
    limits = Limits.of(settings)
    # spawn: a fresh interpreter, never a fork of a server with model threads in it
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, daemon=True,
                       args=(str(path), asdict(limits), settings.chunk_max_chars, out,
                             getattr(settings, "index_worker_nice", 0)))
    proc.start()
    proc.join(limits.seconds)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return (f"took more than {limits.seconds:g} s to read (setting max_file_seconds); "
                "the file is too large or too complex")
    try:
        return out.get(timeout=5)
    except Exception:  # noqa: BLE001 - the child died without a word (killed for memory, say)
        return f"could not be read (the reader stopped with exit code {proc.exitcode})"
