"""The text views of a chunk: what gets indexed, and what the answering step reads."""
from __future__ import annotations

from ..text.names import is_name_shaped
from ..types import Chunk


def index_text(chunk: Chunk) -> str:
    """What gets embedded and BM25-indexed: the section title gives a paragraph its topic, and a
    paragraph carrying an author line also gets the byline name that stands far above it."""
    if chunk.kind == "byline" and chunk.author:
        return f"{chunk.section}\n{chunk.author}\n{chunk.text}"
    return f"{chunk.section}\n{chunk.text}"


def reading_text(chunk: Chunk) -> str:
    """The passage as the answering step reads it: its text, plus the byline name that
    stands far above a paragraph carrying an author line ("唐于渝" heads a piece whose
    "（作者系…）" line closes it), so "作者是谁？" can be answered and cited from it."""
    if chunk.kind != "byline" or not chunk.authors:
        return chunk.text
    squeezed = "".join(chunk.text.split())
    missing = [a for a in chunk.authors if is_name_shaped(a) and a not in squeezed]  # names, not affiliations
    return chunk.text if not missing else f"{chunk.text}\n（作者：{Chunk.author_line(missing)}）"
