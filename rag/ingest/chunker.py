"""Cutting documents into paragraph chunks that know where they came from: the layout's
paragraphs (rag.ingest.layout), very long ones split at sentence ends into near-equal
slices, each with its source offsets, section, authors and page."""
from __future__ import annotations

import bisect
import re
from pathlib import Path

from ..errors import CorpusError
from ..text.sentences import prose_cuts
from ..types import Chunk
from . import layout
from .folder import Document, id_stem

# Bump whenever chunk boundaries or texts could change: stored in the index manifest.
# v3: bylines, author lines and photo credits only on explicit markers (rag.ingest.layout);
# v4: no slice over the limit (fallback cuts)
CHUNKER_VERSION = "paragraph-v4"


# Where a slice that is still over the limit may be cut when running prose has no sentence
# end there (English text, one sentence per line, lists): after an ASCII full stop before a
# space, a line break, a clause mark, then any space; with none of those, at the limit.
_FALLBACK_CUTS = (re.compile(r"(?<=[.])(?=\s)|\n"), re.compile(r"(?<=[，、,：:；;])"), re.compile(r"(?<=\s)"))


def _nearest_cut(cuts: list[int], first: int, ideal: float) -> int | None:
    """The cut closest to `ideal` among cuts[first:] (sorted); on a tie the earlier one."""
    if first >= len(cuts):
        return None
    p = max(bisect.bisect_left(cuts, ideal), first)
    below = cuts[p - 1] if p - 1 >= first else None
    above = cuts[p] if p < len(cuts) else None
    if below is None or (above is not None and above - ideal < ideal - below):
        return above
    return below


def _cap(text: str, a: int, b: int, max_chars: int) -> list[int]:
    """Inner bounds that cut text[a:b] into slices of at most max_chars: at the last
    fallback cut that keeps a slice within the limit (and past its first half), else at
    the limit itself. One pass of each pattern over the slice, then a walk: linear."""
    if b - a <= max_chars:
        return []
    cuts = sorted({m.start() + a for rx in _FALLBACK_CUTS for m in rx.finditer(text, a, b)} - {a, b})
    bounds, last, i = [], a, 0
    while b - last > max_chars:
        limit, best = last + max_chars, None
        while i < len(cuts) and cuts[i] <= limit:
            if cuts[i] > last + max_chars // 2:
                best = cuts[i]
            i += 1
        last = best if best is not None else limit
        bounds.append(last)
    return bounds


def split_long(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Near-equal slices of text at sentence ends, none over max_chars; returns (start, end)
    offsets into text. Each cut is a binary search among the sentence ends, so the work
    grows with the text's length, not its square."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    cuts = prose_cuts(text)
    n = -(-len(text) // max_chars)
    target = len(text) / n
    bounds, first = [0], 0  # first: index of the first cut after the last bound
    for i in range(1, n):
        best = _nearest_cut(cuts, first, target * i)
        if best is None or best >= len(text):
            break
        bounds.append(best)
        first = bisect.bisect_right(cuts, best, first)
    bounds.append(len(text))
    capped = [bounds[0]]
    for a, b in zip(bounds, bounds[1:]):
        capped += _cap(text, a, b, max_chars) + [b]
    return [(a, b) for a, b in zip(capped, capped[1:]) if text[a:b].strip()]


def _source_offsets(source: str, start: int, end: int) -> list[int]:
    """Source index of every non-white-space character in source[start:end]."""
    return [i for i in range(start, end) if not source[i].isspace()]


def _non_space_counts(text: str, offsets: list[int]) -> list[int]:
    """How many non-white-space characters come before each of the (ascending) offsets."""
    out, count, pos = [], 0, 0
    for off in offsets:
        count += sum(1 for ch in text[pos:off] if not ch.isspace())
        pos = off
        out.append(count)
    return out


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
            # map text offsets to source offsets by counting non-space characters, in one pass
            befores = _non_space_counts(block.text, [a for a, _ in slices])
            for part, ((a, b), before) in enumerate(zip(slices, befores), start=1):
                text = block.text[a:b].strip()
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
