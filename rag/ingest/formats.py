"""The file formats the corpus reads: one loader per file suffix, each imported on first use."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def _lazy(module: str, func: str) -> Callable[[Path], "object"]:
    """A loader that imports its format module (and that module its packages) on first use."""

    def load(path: Path):
        import importlib

        return getattr(importlib.import_module(f".loaders.{module}", __package__), func)(path)

    load.__name__ = f"{module}.{func}"
    return load


# Loaders by file suffix. Each returns a rag.ingest.loaders.Extracted (text with paragraphs separated
# by blank lines, "# " title lines, page offsets for paged formats: PDF pages, spreadsheet sheets, slides) or raises
# UnreadableFileError / DependencyError; everything downstream stays the same.
LOADERS: dict[str, Callable[[Path], object]] = {
    ".txt": _lazy("text", "load_text"),
    ".md": _lazy("text", "load_text"),
    ".html": _lazy("html", "load_html"),
    ".htm": _lazy("html", "load_html"),
    ".pdf": _lazy("pdf", "load_pdf"),
    ".docx": _lazy("docx", "load_docx"),
    ".xlsx": _lazy("xlsx", "load_xlsx"),
    ".pptx": _lazy("pptx", "load_pptx"),
}


def read_file(path: Path) -> tuple[str, tuple[int, ...]]:
    """(text, page_starts) of one file; raises UnreadableFileError/DependencyError/OSError."""
    from .loaders import Extracted, UnreadableFileError

    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        kind = f"type {path.suffix.lower()}" if path.suffix else "type (no extension)"
        raise UnreadableFileError(f"unsupported file {kind}; supported: {', '.join(LOADERS)}")
    out = loader(path)
    if isinstance(out, Extracted):
        return out.text, out.page_starts
    return str(out), ()  # a plain-text loader registered by a caller
