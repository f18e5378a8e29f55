"""The layout of a document's text: blocks of lines, what each block is (body, title,
byline, caption, author line), and the sections titles open.

Newspaper text as copied from a page has habits this module undoes:
- paragraphs broken mid-sentence by a blank line ("破解“芯" / "难题，…"): a body
  paragraph that does not end a sentence is joined with the next body paragraph;
- short lines (titles, bylines, photo captions, "（作者系…）" lines) that say
  nothing on their own: titles become the `section` of what follows, and
  bylines, captions and author lines are folded into the neighbouring paragraph
  so that "who wrote it" / "who took the photo" stay answerable from a chunk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text.names import NAME_PATTERN, is_name_shaped
from ..text.sentences import ends_sentence

# Bylines, author lines and photo credits are recognised by their explicit markers only:
# a heading under a title ("概述") is not an author, and "摄入" is not a photo credit.
_NAMES = rf"{NAME_PATTERN}(?:\s*[、，,和]\s*{NAME_PATTERN})*"
# "（作者系…）", "（作者：…）", "（记者 …）": a whole line in brackets that names who wrote it
_AUTHOR_LINE = re.compile(r"^[（(]\s*(作者|作者单位|记者|通讯员|撰稿)[^）)]*[）)]$")
# "本报记者 张三", "记者 张三 李四", "文/张三", "作者：张三": a line that is only a byline
# (after a bare 记者 a space or colon is required: "记者招待会" is not a byline)
_MARKED_BYLINE = re.compile(
    rf"^(?:(?:本报|特约|新华社)记者\s*[:：]?\s*|(?:记者|通讯员)(?:\s+|\s*[:：]\s*)|(?:撰文|文|作者)\s*[:：/／]\s*){_NAMES}$"
)
# "记者 张锦辉 摄影", "张三 摄", "摄影：张三", "供图：…", "图片来源：…", "图为…"
_CAPTION = re.compile(
    rf"(?:记者|通讯员)\s*{_NAMES}\s*摄|{_NAMES}\s*摄(?:影)?\s*$"
    rf"|(?:摄影|摄|供图|图片来源)\s*[:：/／]\s*\S|^图为"
)
CAPTION_MAX_CHARS = 120
_TAG = re.compile(r"^【[^】]{1,10}】\s*")
# "——编者": a paragraph signed by the editors (an intro), a marker of who wrote it; any other
# dash-ended line ("——鲁迅") is a quotation's source, not the piece's author
EDITOR_SIGNOFF = re.compile(r"——\s*(编者|编辑部|本报编辑部|本刊编辑部)\s*$")
BYLINE_MAX_CHARS = 8


@dataclass
class Block:
    """A run of non-blank lines, with its span in the source text."""

    text: str
    start: int
    end: int
    kind: str = "body"  # body | title | author | byline | caption
    parts: list["Block"] = field(default_factory=list)  # blocks folded into this one, in order


def split_blocks(text: str) -> list[Block]:
    blocks, lines, start, pos = [], [], None, 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            if start is None:
                start = pos + (len(line) - len(line.lstrip()))
            lines.append(stripped)
            end = pos + len(line.rstrip())
        elif lines:
            blocks.append(Block(" ".join(lines), start, end))
            lines, start = [], None
        pos += len(line)
    if lines:
        blocks.append(Block(" ".join(lines), start, end))
    return blocks


def classify(blocks: list[Block]) -> None:
    for b in blocks:
        t = b.text
        if t.startswith("#"):
            b.kind, b.text = "title", t.lstrip("#").strip()
        elif _AUTHOR_LINE.match(t) or _MARKED_BYLINE.match(t):
            b.kind = "author"
        elif len(t) <= CAPTION_MAX_CHARS and _CAPTION.search(t) and not ends_sentence(t):
            b.kind = "caption"
        elif len(t) <= 40 and "。" not in t and not ends_sentence(t) and "，" not in t:
            b.kind = "title"
    _mark_bylines(blocks)


def _mark_bylines(blocks: list[Block]) -> None:
    """A bare name under a title ("唐于渝") is the piece's byline only when the piece also
    carries an explicit author line ("（作者系…）") before the next title; otherwise it is
    a heading like any other ("概述")."""
    for i, b in enumerate(blocks):
        if not (i > 0 and blocks[i - 1].kind == "title" and b.kind == "title"
                and len(b.text) <= BYLINE_MAX_CHARS and is_name_shaped(b.text)):
            continue
        piece = []
        for later in blocks[i + 1 :]:
            if later.kind == "title" and piece:
                break
            piece.append(later)
        if any(p.kind == "author" for p in piece):
            b.kind = "byline"


def repair_breaks(blocks: list[Block]) -> list[Block]:
    """Join a body paragraph that stops mid-sentence with the body paragraph after it."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if prev and prev.kind == "body" and b.kind == "body" and not ends_sentence(prev.text) and not EDITOR_SIGNOFF.search(prev.text):
            prev.text += b.text
            prev.end = b.end
            continue
        out.append(b)
    return out


@dataclass
class Section:
    title: str
    author_lines: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    title_blocks: list[Block] = field(default_factory=list)

    @property
    def authors(self) -> tuple[str, ...]:
        """The section's author entries (names, affiliation lines), each once, in order."""
        return tuple(dict.fromkeys(self.author_lines))


def sections(blocks: list[Block], default_title: str) -> list[Section]:
    out: list[Section] = []
    for b in blocks:
        if b.kind == "title":
            # consecutive titles (kicker + headline) name one section
            if out and not out[-1].blocks and not out[-1].author_lines:
                out[-1].title += " " + _TAG.sub("", b.text)
            else:
                out.append(Section(_TAG.sub("", b.text)))
            out[-1].title_blocks.append(b)
            continue
        if not out:
            out.append(Section(default_title))
        sec = out[-1]
        if b.kind in ("author", "byline"):
            sec.author_lines.append(b.text.strip("（）()"))
        elif b.kind == "body" and (m := EDITOR_SIGNOFF.search(b.text)):
            sec.author_lines.append(m.group(1))
        sec.blocks.append(b)
    return out


def fold_short_blocks(blocks: list[Block]) -> list[Block]:
    """Attach bylines/captions/author lines to a neighbouring body paragraph."""
    if not blocks:  # a title with nothing under it (the last line of a file)
        return []
    bodies = [b for b in blocks if b.kind == "body"]
    if not bodies:  # a section of short lines only: keep them together as one chunk
        merged = Block("\n".join(b.text for b in blocks), blocks[0].start, blocks[-1].end, kind="body")
        merged.parts = list(blocks)
        return [merged] if blocks else []
    out: list[Block] = []
    pending_before: list[Block] = []  # short blocks that come before any body paragraph
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


def slice_kind(block: Block, text: str) -> str:
    """caption / byline when the slice carries a folded caption or author line, else body."""
    kinds = {p.kind for p in block.parts if p.kind != "body" and p.text in text}
    return "caption" if "caption" in kinds else ("byline" if kinds else "body")
