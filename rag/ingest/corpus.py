"""Load corpus documents and cut them into paragraph chunks that know where they came from.

Newspaper text as copied from a page has three habits this module undoes:
- paragraphs broken mid-sentence by a blank line ("破解“芯" / "难题，…"): a body
  paragraph that does not end a sentence is joined with the next body paragraph;
- short lines (titles, bylines, photo captions, "（作者系…）" lines) that say
  nothing on their own: titles become the `section` of what follows, and
  bylines, captions and author lines are folded into the neighbouring paragraph
  so that "who wrote it" / "who took the photo" stay answerable from a chunk;
- very long paragraphs: split at sentence ends into near-equal slices.
"""
from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorpusError
from ..types import Chunk

# Bump whenever chunk boundaries or texts could change: stored in the index manifest.
CHUNKER_VERSION = "paragraph-v2"

_TERMINAL = set("。！？!?；;…")
_CLOSERS = set("”’」』）)\"'】")
_AUTHOR_LINE = re.compile(r"^[（(]\s*(作者|作者单位|记者|通讯员|撰稿)[^）)]*[）)]$")
_CAPTION = re.compile(r"(摄影|摄|供图|图片来源|图为)")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；])")
_TAG = re.compile(r"^【[^】]{1,10}】\s*")
_EDITOR_SIGNOFF = re.compile(r"——\s*(\S{1,10})\s*$")


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the corpus folder, with forward slashes
    text: str
    page_starts: tuple[int, ...] = ()  # offset in text where each page starts (PDF); () for unpaged text

    def page_at(self, offset: int) -> int | None:
        """1-based page of the character at offset, or None for unpaged documents."""
        return bisect.bisect_right(self.page_starts, offset) if self.page_starts else None


@dataclass(frozen=True)
class Skipped:
    file: str  # path relative to the corpus folder
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason}


class DocumentList(list):
    """The documents that were read (a plain list of Document), plus `.skipped`: the files
    that were not, each with the reason."""

    def __init__(self, docs=(), skipped=()):
        super().__init__(docs)
        self.skipped: list[Skipped] = list(skipped)


# ------------------------------------------------------------------ loading

def _lazy(module: str, func: str) -> Callable[[Path], "object"]:
    """A loader that imports its format module (and that module its packages) on first use."""

    def load(path: Path):
        import importlib

        return getattr(importlib.import_module(f".loaders.{module}", __package__), func)(path)

    load.__name__ = f"{module}.{func}"
    return load


# Loaders by file suffix. Each returns a rag.ingest.loaders.Extracted (text with paragraphs separated
# by blank lines, "# " title lines, page offsets for paged formats) or raises
# UnreadableFileError / DependencyError; everything downstream stays the same.
LOADERS: dict[str, Callable[[Path], object]] = {
    ".txt": _lazy("text", "load_text"),
    ".md": _lazy("text", "load_text"),
    ".html": _lazy("html", "load_html"),
    ".htm": _lazy("html", "load_html"),
    ".pdf": _lazy("pdf", "load_pdf"),
    ".docx": _lazy("docx", "load_docx"),
}


def _read(path: Path) -> tuple[str, tuple[int, ...]]:
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


def load_documents(corpus_dir: Path, log: Callable[[str], None] | None = None) -> DocumentList:
    """Every readable file under corpus_dir (recursively), sorted by path for stable ids.

    A file that cannot be read (unknown type, corrupt or scanned PDF, undecodable text,
    no permission, a missing package for its format) is skipped, not fatal: it goes into
    the result's `.skipped` with the reason, and `log` gets one line naming it and why."""
    from ..errors import DependencyError
    from .loaders import UnreadableFileError

    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist. Put documents there "
                          f"({', '.join(LOADERS)}), or pass --corpus DIR / set RAG_CORPUS_DIR to your documents' folder.")
    docs, skipped = [], []
    stems: dict[str, str] = {}  # chunk id prefix -> the file that has it
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(corpus_dir).as_posix()
        reason = None
        try:
            text, pages = _read(path)
            if not text.strip():
                reason = "empty: no text in it"
        except (UnreadableFileError, DependencyError) as e:
            reason = str(e)
        except PermissionError:
            reason = "permission denied; check the file's permissions"
        except OSError as e:
            reason = f"cannot be read ({e.strerror or e})"
        except Exception as e:  # a parser failing in a way its loader did not foresee: still one file
            reason = f"could not be read ({type(e).__name__}: {e})"
        if reason is None and (other := stems.get(_id_stem(rel))) is not None:
            reason = f"its passages would get the same ids as {other}'s; rename one of the two files"
        if reason is not None:
            skipped.append(Skipped(rel, reason))
            if log:
                log(f"Skipped {rel}: {reason}")
            continue
        stems[_id_stem(rel)] = rel
        docs.append(Document(rel, text, pages))
    if not docs:
        detail = "; ".join(f"{s.file}: {s.reason}" for s in skipped[:5])
        raise CorpusError(
            f"Corpus folder {corpus_dir} holds no non-empty readable documents ({', '.join(LOADERS)})"
            f"{' (skipped ' + detail + ')' if detail else ''}. "
            "Add documents there or point --corpus at another folder."
        )
    return DocumentList(docs, skipped)


def corpus_hash(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(d.source.encode() + b"\0" + hashlib.sha256(d.text.encode()).digest())
        if d.page_starts:  # unpaged documents hash as they always did
            h.update(b"pages:" + ",".join(map(str, d.page_starts)).encode())
    return h.hexdigest()


# ------------------------------------------------------------------ paragraph structure

@dataclass
class _Block:
    """A run of non-blank lines, with its span in the source text."""

    text: str
    start: int
    end: int
    kind: str = "body"  # body | title | author | byline | caption
    parts: list["_Block"] = field(default_factory=list)  # blocks folded into this one, in order


def _split_blocks(text: str) -> list[_Block]:
    blocks, lines, start, pos = [], [], None, 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            if start is None:
                start = pos + (len(line) - len(line.lstrip()))
            lines.append(stripped)
            end = pos + len(line.rstrip())
        elif lines:
            blocks.append(_Block(" ".join(lines), start, end))
            lines, start = [], None
        pos += len(line)
    if lines:
        blocks.append(_Block(" ".join(lines), start, end))
    return blocks


def _ends_sentence(text: str) -> bool:
    t = text.rstrip()
    while t and t[-1] in _CLOSERS:
        t = t[:-1]
    return bool(t) and t[-1] in _TERMINAL


def _classify(blocks: list[_Block]) -> None:
    for i, b in enumerate(blocks):
        t = b.text
        if t.startswith("#"):
            b.kind, b.text = "title", t.lstrip("#").strip()
        elif _AUTHOR_LINE.match(t):
            b.kind = "author"
        elif len(t) <= 120 and _CAPTION.search(t) and not _ends_sentence(t) and ("记者" in t or "摄" in t):
            b.kind = "caption"
        elif len(t) <= 8 and i > 0 and blocks[i - 1].kind == "title" and re.fullmatch(r"[\u4e00-\u9fff·]{2,8}", t):
            b.kind = "byline"
        elif len(t) <= 40 and "。" not in t and not _ends_sentence(t) and "，" not in t:
            b.kind = "title"


def _repair_breaks(blocks: list[_Block]) -> list[_Block]:
    """Join a body paragraph that stops mid-sentence with the body paragraph after it."""
    out: list[_Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if prev and prev.kind == "body" and b.kind == "body" and not _ends_sentence(prev.text) and not _EDITOR_SIGNOFF.search(prev.text):
            prev.text += b.text
            prev.end = b.end
            continue
        out.append(b)
    return out


@dataclass
class _Section:
    title: str
    author_lines: list[str] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    title_blocks: list[_Block] = field(default_factory=list)


def _sections(blocks: list[_Block], default_title: str) -> list[_Section]:
    sections: list[_Section] = []
    for b in blocks:
        if b.kind == "title":
            # consecutive titles (kicker + headline) name one section
            if sections and not sections[-1].blocks and not sections[-1].author_lines:
                sections[-1].title += " " + _TAG.sub("", b.text)
            else:
                sections.append(_Section(_TAG.sub("", b.text)))
            sections[-1].title_blocks.append(b)
            continue
        if not sections:
            sections.append(_Section(default_title))
        sec = sections[-1]
        if b.kind in ("author", "byline"):
            sec.author_lines.append(b.text.strip("（）()"))
        elif b.kind == "body" and (m := _EDITOR_SIGNOFF.search(b.text)):
            sec.author_lines.append(m.group(1))
        sec.blocks.append(b)
    return sections


def _fold_short_blocks(blocks: list[_Block]) -> list[_Block]:
    """Attach bylines/captions/author lines to a neighbouring body paragraph."""
    if not blocks:  # a title with nothing under it (the last line of a file)
        return []
    bodies = [b for b in blocks if b.kind == "body"]
    if not bodies:  # a section of short lines only: keep them together as one chunk
        merged = _Block("\n".join(b.text for b in blocks), blocks[0].start, blocks[-1].end, kind="body")
        merged.parts = list(blocks)
        return [merged] if blocks else []
    out: list[_Block] = []
    pending_before: list[_Block] = []  # short blocks that come before any body paragraph
    for b in blocks:
        if b.kind == "body":
            b.parts = pending_before + [b]
            pending_before = []
            out.append(b)
        elif out:
            out[-1].parts.append(b)
        else:
            pending_before.append(b)
    for b in out:
        b.text = "\n".join(p.text for p in b.parts)
        b.start, b.end = b.parts[0].start, b.parts[-1].end
        kinds = {p.kind for p in b.parts} - {"body"}
        b.kind = "caption" if "caption" in kinds else ("byline" if kinds & {"author", "byline"} else "body")
    return out


# ------------------------------------------------------------------ slicing and ids

def _split_long(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Near-equal slices of text at sentence ends; returns (start, end) offsets into text."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    cuts = [m.start() for m in _SENTENCE_END.finditer(text) if 0 < m.start() < len(text)]
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


def _slice_kind(block: _Block, text: str) -> str:
    """caption / byline when the slice carries a folded caption or author line, else body."""
    kinds = {p.kind for p in block.parts if p.kind != "body" and p.text in text}
    return "caption" if "caption" in kinds else ("byline" if kinds else "body")


def _id_stem(source: str) -> str:
    """Chunk id prefix: the path without .txt/.md; other formats keep their extension
    ("report.pdf", "report.docx") so a PDF and a Word file of the same name do not clash."""
    path = Path(source)
    base = path.with_suffix("") if path.suffix.lower() in (".txt", ".md") else path
    return base.as_posix().replace("/", "__")


def chunk_document(doc: Document, max_chars: int = 400) -> list[Chunk]:
    stem = _id_stem(doc.source)
    blocks = _split_blocks(doc.text)
    _classify(blocks)
    blocks = _repair_breaks(blocks)
    chunks: list[Chunk] = []
    paragraph = 0
    for sec in _sections(blocks, default_title=Path(doc.source).stem):
        author = "；".join(dict.fromkeys(sec.author_lines))
        blocks_of_section = sec.blocks
        if not blocks_of_section and sec.title_blocks:
            # titles with nothing under them (a document of one line, headings at its end):
            # keep their text as a passage rather than lose it
            t = sec.title_blocks
            blocks_of_section = [_Block("\n".join(b.text for b in t), t[0].start, t[-1].end)]
        for block in _fold_short_blocks(blocks_of_section):
            paragraph += 1
            slices = _split_long(block.text, max_chars)
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
                        author=author,
                        paragraph=paragraph,
                        char_start=char_start,
                        char_end=char_end,
                        kind=_slice_kind(block, text),
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
    if chunk.kind != "byline" or not chunk.author:
        return chunk.text
    squeezed = "".join(chunk.text.split())
    missing = [part for part in chunk.author.split("；")
               if re.fullmatch(r"[\u3400-\u9fff·]{2,5}", part) and part not in squeezed]  # names, not affiliations
    return chunk.text if not missing else f"{chunk.text}\n（作者：{'；'.join(missing)}）"
