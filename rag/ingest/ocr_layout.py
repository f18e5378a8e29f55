"""From the lines an OCR engine read on page images to paragraphs in reading order.

An OCR engine gives boxes of text lines, each with its position; what a reader sees as
structure has to be rebuilt from the positions:
- running headers and footers (a title, a date, "file:///…  2/6") and page numbers sit
  in the top or bottom band of the page and repeat from page to page: a line there whose
  text, digits aside, comes back on other pages, or that is a bare page number, is dropped;
- a two-column page has an empty vertical band that almost no line crosses: the lines left
  of it are read before the lines right of it; a line spanning both columns (a title)
  cuts the page into bands read one after the other;
- within a column a line that stops well short of the column's right edge ends its
  paragraph, and an indented line or a wide vertical gap starts one, as in a printed page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..text.script import IDEOGRAPHS
from .loaders import join_lines

# the top and bottom share of a page where running headers, footers and page numbers live
FURNITURE_BAND = 0.08
_PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4})?(?:\s*[-–—])?$"
                          r"|^(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?$", re.I)


# the recogniser often reads a full-width mark (，：；（）！？) as its ASCII twin; next to a
# Chinese character it is the full-width one, which the sentence cutter and the gold
# evidence strings expect
_FULL_WIDTH = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"})
_ASCII_MARK_BY_CJK = re.compile(rf"(?<=[{IDEOGRAPHS}])[,:;()!?]|[,:;()!?](?=[{IDEOGRAPHS}])")


def chinese_marks(text: str) -> str:
    """ASCII punctuation touching a Chinese character made full-width: "机构(重庆)" -> "机构（重庆）"."""
    return _ASCII_MARK_BY_CJK.sub(lambda m: m.group().translate(_FULL_WIDTH), text)


@dataclass(frozen=True)
class Line:
    """One line the OCR engine read: its box in page pixels (x0, y0 top-left; x1, y1
    bottom-right) and its text."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class PageLines:
    width: float
    height: float
    lines: tuple[Line, ...]


def _shape(text: str) -> str:
    """A line's text with its digits and spaces made alike, so "2/6" and "3/6" match."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _in_band(line: Line, page: PageLines) -> bool:
    return line.y1 <= page.height * FURNITURE_BAND or line.y0 >= page.height * (1 - FURNITURE_BAND)


def _repeated(shapes_by_page: list[set[str]], repeats: int) -> set[str]:
    """The band-line shapes found on at least `repeats` pages, counting a near match (OCR
    reads "file:///a 2/6" as "file://a" on one page) as a repeat: a shape's pages are
    those holding it or a shape at least 80% like it."""
    pages_of: dict[str, set[int]] = {}
    for i, shapes in enumerate(shapes_by_page):
        for shape in shapes:
            pages_of.setdefault(shape, set()).add(i)
    out = {shape for shape, pages in pages_of.items() if len(pages) >= repeats}
    rest = [shape for shape in pages_of if shape not in out]
    for shape in rest:
        pages = set(pages_of[shape])
        for other in pages_of:
            size = len(shape) + len(other)
            if other == shape or 2 * min(len(shape), len(other)) < 0.8 * size or pages_of[other] <= pages:
                continue  # the same, too different in length to be 80% alike, or nothing to add
            m = SequenceMatcher(None, shape, other, autojunk=False)
            if m.quick_ratio() >= 0.8 and m.ratio() >= 0.8:
                pages |= pages_of[other]
        if len(pages) >= repeats:
            out.add(shape)
    return out


def drop_furniture(pages: list[PageLines]) -> list[PageLines]:
    """The pages without running headers, footers and page numbers."""
    repeats = max(2, len(pages) // 2)  # on half of the pages or more (at least two)
    repeated = _repeated([{_shape(x.text) for x in p.lines if _in_band(x, p)} for p in pages], repeats)
    out = []
    for p in pages:
        keep = tuple(x for x in p.lines if not (_in_band(x, p) and (
            _PAGE_NUMBER.match(x.text.strip()) or _shape(x.text) in repeated)))
        out.append(PageLines(p.width, p.height, keep))
    return out


def _gutter(lines: list[Line]) -> float | None:
    """The x of the empty band between two columns, or None for a one-column page: a
    position in the middle of the text that at most one line in ten (or one line) crosses, with at least
    three lines wholly on each side."""
    if len(lines) < 6:
        return None
    left, right = min(x.x0 for x in lines), max(x.x1 for x in lines)
    width = right - left
    best = None
    for step in range(30, 71, 2):  # candidates from 30% to 70% of the text width
        x = left + width * step / 100
        crossing = sum(1 for ln in lines if ln.x0 < x < ln.x1)
        on_left = sum(1 for ln in lines if ln.x1 <= x)
        on_right = sum(1 for ln in lines if ln.x0 >= x)
        if on_left >= 3 and on_right >= 3 and crossing <= max(1, len(lines) // 10):
            if best is None or crossing < best[0]:
                best = (crossing, x)
    return best[1] if best else None


def reading_order(lines: list[Line]) -> list[list[Line]]:
    """The page's lines as columns in reading order, each column's lines top to bottom."""
    lines = sorted(lines, key=lambda ln: (ln.cy, ln.x0))
    gutter = _gutter(lines)
    if gutter is None:
        return [lines] if lines else []
    columns: list[list[Line]] = []
    left: list[Line] = []
    right: list[Line] = []
    for ln in lines:
        if ln.x0 < gutter < ln.x1:  # spans both columns: closes the band above it
            columns += [c for c in (left, right) if c] + [[ln]]
            left, right = [], []
        elif ln.x1 <= gutter:
            left.append(ln)
        else:
            right.append(ln)
    return columns + [c for c in (left, right) if c]


def column_paragraphs(column: list[Line]) -> list[str]:
    """The paragraphs of one column: a short line ends one; an indent or a wide gap starts one."""
    if not column:
        return []
    heights = sorted(ln.height for ln in column)
    size = heights[len(heights) // 2]  # the usual line height, about one character wide
    left = min(ln.x0 for ln in column)
    right = max(ln.x1 for ln in column)
    paragraphs: list[list[str]] = []
    previous: Line | None = None
    for ln in column:
        starts = (previous is None
                  or previous.x1 < right - 1.5 * size  # the line before stopped short
                  or ln.x0 > left + 1.2 * size  # indented
                  or ln.y0 - previous.y1 > 0.9 * size)  # a wide gap
        if starts:
            paragraphs.append([])
        paragraphs[-1].append(ln.text)
        previous = ln
    return [chinese_marks(text) for text in (join_lines(p) for p in paragraphs) if text]


def page_paragraphs(page: PageLines) -> list[str]:
    return [p for column in reading_order(list(page.lines)) for p in column_paragraphs(column)]
