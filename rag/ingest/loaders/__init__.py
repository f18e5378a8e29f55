"""One small module per document format, each turning a file into plain text.

Every loader takes a Path and returns an `Extracted`: the text, with paragraphs
separated by blank lines and titles/headings on lines of their own that start with
"# " (the chunker's markdown convention, so they become the chunk `section`), plus
for paged formats the offset in that text where each page starts.

A file that cannot be read raises `UnreadableFileError` with a reason a person can act
on; a missing package raises `DependencyError` naming the pip command. The format
modules import their third-party packages lazily, inside the loader, so `import rag`
does not need them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import UnreadableFileError
from ...text.script import CJK_PUNCTUATION, IDEOGRAPHS

__all__ = ["Extracted", "UnreadableFileError", "clean_line", "join_lines", "join_paragraphs", "paged"]


@dataclass(frozen=True)
class Extracted:
    text: str
    page_starts: tuple[int, ...] = ()  # offset in text where page 1, 2, ... starts (paged formats only)


def paged(pages) -> Extracted:
    """The text of a paged document (PDF pages, spreadsheet sheets, slides) from the
    paragraphs of each page, with the offset where each page starts; a page without
    text still counts, so page n stays page n."""
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for paragraphs in pages:
        starts.append(pos)
        block = "".join(f"{p}\n\n" for p in paragraphs if p.strip())
        parts.append(block)
        pos += len(block)
    return Extracted("".join(parts), tuple(starts))


# C0/C1 control characters other than tab and newline: PDF text layers carry NULs and the like
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# a space between two CJK characters (or CJK punctuation) is an artefact of line layout, not text
_CJK = IDEOGRAPHS + CJK_PUNCTUATION
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


def clean_line(text: str) -> str:
    """One line of running text: control characters gone, white space runs collapsed,
    no spaces left between Chinese characters."""
    text = _CONTROL.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _CJK_SPACE.sub("", text)


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph as one line: no space where Chinese meets Chinese, one elsewhere."""
    out = ""
    for line in (clean_line(x) for x in lines):
        if not line:
            continue
        if out and not (re.match(rf"[{_CJK}]", out[-1]) and re.match(rf"[{_CJK}]", line[0])):
            out += " "
        out += line
    return out


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n\n".join(p for p in paragraphs if p.strip()) + "\n"


def table_text(rows) -> str:
    """A table as one paragraph: each row "cell | cell" (a cell repeated by merged columns
    kept once, empty cells left out), rows separated by "；", so the chunker reads it as body
    text (its short rows would otherwise pass for titles). "" for a table with no text."""
    lines = [" | ".join(c for c in dict.fromkeys(cells) if c) for cells in rows]
    lines = [line for line in lines if line]
    return "；".join(lines) + "。" if lines else ""
