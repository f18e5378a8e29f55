"""Word documents (.docx): paragraphs and tables in document order; Title and Heading
styles become "# " title lines."""
from __future__ import annotations

from pathlib import Path

from ...errors import DependencyError
from . import Extracted, UnreadableFileError, join_lines, join_paragraphs, table_text


def _is_heading(paragraph) -> bool:
    try:
        style = paragraph.style
    except (KeyError, ValueError):  # a style id the document does not define
        return False
    name = ((style.name if style is not None else "") or "").lower()
    return name.startswith(("heading", "title", "标题")) or name == "subtitle"


def load_docx(path: Path) -> Extracted:
    try:
        import docx
        from docx.table import Table
    except ImportError as e:
        raise DependencyError("python-docx", purpose="reading .docx files") from e
    from ..limits import check_archive

    check_archive(path, kind="Word .docx file")  # a zip bomb is refused before python-docx inflates it
    try:
        document = docx.Document(str(path))
    except Exception as e:  # BadZipFile, python-docx's PackageNotFoundError, lxml's XML errors, KeyError...
        raise UnreadableFileError(f"is not a readable Word .docx file ({type(e).__name__}: {e})") from None
    paragraphs: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            text = table_text([join_lines(c.text.splitlines()) for c in row.cells] for row in block.rows)
            if text:
                paragraphs.append(text)
            continue
        text = join_lines(block.text.splitlines())
        if not text:
            continue
        paragraphs.append(f"# {text}" if _is_heading(block) else text)
    if not paragraphs:
        raise UnreadableFileError("holds no text (an empty document, or only images)")
    return Extracted(join_paragraphs(paragraphs))
