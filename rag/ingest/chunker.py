"""Cutting documents into paragraph chunks that know where they came from: the layout's
paragraphs (rag.ingest.layout), very long ones split at sentence ends into near-equal
slices, each with its source offsets, section, authors and page."""
from __future__ import annotations

from pathlib import Path

from ..errors import CorpusError
from ..text.sentences import prose_cuts
from ..types import Chunk
from . import layout
from .folder import Document, id_stem

# Bump whenever chunk boundaries or texts could change: stored in the index manifest.
# v3: bylines, author lines and photo credits only on explicit markers (rag.ingest.layout)
CHUNKER_VERSION = "paragraph-v3"


def split_long(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Near-equal slices of text at sentence ends; returns (start, end) offsets into text."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    cuts = prose_cuts(text)
    n = -(-len(text) // max_chars)
    target = len(text) / n
    bounds, last = [0], 0
    for i in range(1, n):
        ideal = target * i
        best = min((c for c in cuts if c > last), key=lambda c: abs(c - ideal), default=None)
        if best is None or best >= len(text):
            break
        bounds.append(best)
        last = best
    bounds.append(len(text))
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def _source_offsets(source: str, start: int, end: int) -> list[int]:
    """Source index of every non-white-space character in source[start:end]."""
    return [i for i in range(start, end) if not source[i].isspace()]


def chunk_document(doc: Document, max_chars: int = 400) -> list[Chunk]:
    stem = id_stem(doc.source)
    blocks = layout.split_blocks(doc.text)
    layout.classify(blocks)
    blocks = layout.repair_breaks(blocks)
    chunks: list[Chunk] = []
    paragraph = 0
    for sec in layout.sections(blocks, default_title=Path(doc.source).stem):
        authors = sec.authors
        blocks_of_section = sec.blocks
        if not blocks_of_section and sec.title_blocks:
            # titles with nothing under them (a document of one line, headings at its end):
            # keep their text as a passage rather than lose it
            t = sec.title_blocks
            blocks_of_section = [layout.Block("\n".join(b.text for b in t), t[0].start, t[-1].end)]
        for block in layout.fold_short_blocks(blocks_of_section):
            paragraph += 1
            slices = split_long(block.text, max_chars)
            src_index = _source_offsets(doc.text, block.start, block.end)
            for part, (a, b) in enumerate(slices, start=1):
                text = block.text[a:b].strip()
                # map text offsets to source offsets by counting non-space characters
                before = sum(1 for ch in block.text[:a] if not ch.isspace())
                inside = sum(1 for ch in text if not ch.isspace())
                char_start = src_index[before] if before < len(src_index) else block.start
                char_end = src_index[before + inside - 1] + 1 if inside else char_start
                suffix = f".{part}" if len(slices) > 1 else ""
                chunks.append(
                    Chunk(
                        id=f"{stem}#p{paragraph:02d}{suffix}",
                        text=text,
                        source=doc.source,
                        section=sec.title,
                        author=Chunk.author_line(authors),
                        authors=authors,
                        paragraph=paragraph,
                        char_start=char_start,
                        char_end=char_end,
                        kind=layout.slice_kind(block, text),
                        page=doc.page_at(char_start),
                    )
                )
    return chunks


def chunk_documents(docs: list[Document], max_chars: int = 400) -> list[Chunk]:
    chunks = [c for d in docs for c in chunk_document(d, max_chars)]
    seen: set[str] = set()
    for c in chunks:
        if c.id in seen:  # two files whose paths flatten to the same stem
            raise CorpusError(f"Two chunks got the id {c.id}; rename one of the files in the corpus so their names differ.")
        seen.add(c.id)
    return chunks
