"""Slide decks (.pptx): each slide a section headed by its title, its text boxes, tables and
speaker notes as the section's text. Slide n is "page" n of the document, so a chunk
cites its slide the way a PDF chunk cites its page.

Slide bullets are short lines without sentence ends, which the chunker would take for
titles; the lines of one text box are therefore joined into one paragraph with "；".
"""
from __future__ import annotations

from pathlib import Path

from ...errors import DependencyError
from ...text.sentences import ends_sentence
from . import Extracted, UnreadableFileError, clean_line, paged, table_text


def lines_paragraph(lines: list[str]) -> str:
    """Lines of one text box (bullets) as one paragraph ending a sentence."""
    lines = [clean_line(x) for x in lines]
    lines = [x for x in lines if x]
    if not lines:
        return ""
    joined = "".join(x if ends_sentence(x) or i == len(lines) - 1 else f"{x}；" for i, x in enumerate(lines))
    return joined if ends_sentence(joined) else f"{joined}。"


def _shapes(shapes):
    """Every shape, with the members of groups in place."""
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(shape.shapes)
        else:
            yield shape


def slide_paragraphs(slide, number: int) -> list[str]:
    title_shape = slide.shapes.title
    title = clean_line(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
    out = [f"# {title or f'幻灯片 {number}'}"]
    for shape in _shapes(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if getattr(shape, "has_table", False) and shape.has_table:
            text = table_text([clean_line(c.text) for c in row.cells] for row in shape.table.rows)
        elif shape.has_text_frame:
            text = lines_paragraph([p.text for p in shape.text_frame.paragraphs])
        else:
            continue
        if text:
            out.append(text)
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        text = lines_paragraph(notes.text.splitlines()) if notes is not None else ""
        if text:
            out.append(f"备注：{text}")
    return out if len(out) > 1 or title else []


def load_pptx(path: Path) -> Extracted:
    try:
        from pptx import Presentation
    except ImportError as e:
        raise DependencyError("python-pptx", purpose="reading .pptx files") from e
    try:
        deck = Presentation(str(path))
    except Exception as e:  # BadZipFile, PackageNotFoundError, XML errors...
        raise UnreadableFileError(f"is not a readable PowerPoint .pptx file ({type(e).__name__}: {e})") from None
    out = paged(slide_paragraphs(slide, number) for number, slide in enumerate(deck.slides, start=1))
    if not out.text.strip():
        raise UnreadableFileError("holds no text (no slides, or slides with pictures only)")
    return out
