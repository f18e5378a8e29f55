"""Spreadsheets (.xlsx): each sheet a section, each row a sentence that names its columns.

A table cell on its own ("12亿") answers nothing; the row with its column headers does:
"年份：2024年，项目：营收，金额：12亿。" is a sentence the index can match to "2024年营收"
and the answer can cite. The first row holding text is a sheet's header row when every
filled cell in it is text and rows follow it; otherwise the cells are joined with " | ".
Rows are grouped into paragraphs of a few hundred characters, so a big sheet becomes
several passages rather than one huge block. Sheet n is "page" n of the document: a
chunk cites the sheet it came from as a PDF chunk cites its page.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ...errors import DependencyError
from ...text.sentences import ends_sentence
from . import Extracted, UnreadableFileError, clean_line, paged

PARAGRAPH_CHARS = 300  # rows are gathered into paragraphs of about this size


def cell_text(value) -> str:
    """A cell's value as a person would read it: whole numbers without ".0", floats without
    binary noise (0.30000000000000004), dates without a midnight time."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.10g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return clean_line(str(value))


def _is_header(row: list) -> bool:
    filled = [v for v in row if v not in (None, "")]
    return bool(filled) and all(isinstance(v, str) for v in filled)


def row_sentence(cells: list[str], headers: list[str] | None) -> str:
    """One row as a sentence: "header：value" pairs when the sheet has headers, else the cells
    joined with " | "; "" for an empty row."""
    if headers:
        parts = []
        for i, value in enumerate(cells):
            if not value:
                continue
            head = headers[i] if i < len(headers) else ""
            parts.append(f"{head}：{value}" if head and head != value else value)
        body = "，".join(parts)
    else:
        body = " | ".join(v for v in cells if v)
    return body if not body or ends_sentence(body) else f"{body}。"


def sheet_paragraphs(rows: list[list]) -> list[str]:
    rows = [r for r in rows if any(v not in (None, "") for v in r)]
    if not rows:
        return []
    headers = None
    if len(rows) > 1 and _is_header(rows[0]):
        headers = [cell_text(v) for v in rows[0]]
        rows = rows[1:]
    paragraphs, current = [], ""
    for row in rows:
        sentence = row_sentence([cell_text(v) for v in row], headers)
        if current and len(current) + len(sentence) > PARAGRAPH_CHARS:
            paragraphs.append(current)
            current = ""
        current += sentence
    if current:
        paragraphs.append(current)
    return paragraphs


def load_xlsx(path: Path) -> Extracted:
    try:
        import openpyxl
    except ImportError as e:
        raise DependencyError("openpyxl", purpose="reading .xlsx files") from e
    try:
        # data_only: a formula cell reads as the value Excel last computed, not "=SUM(B2:B9)"
        book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except Exception as e:  # BadZipFile, InvalidFileException, KeyError on a damaged package...
        raise UnreadableFileError(f"is not a readable Excel .xlsx file ({type(e).__name__}: {e})") from None
    try:
        pages = []
        for sheet in book.worksheets:
            paragraphs = sheet_paragraphs([list(r) for r in sheet.iter_rows(values_only=True)])
            pages.append([f"# {clean_line(sheet.title)}"] + paragraphs if paragraphs else [])
    finally:
        book.close()
    out = paged(pages)
    if not out.text.strip():
        raise UnreadableFileError("holds no text (every sheet is empty)")
    return out
