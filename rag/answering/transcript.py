"""Answers and whole conversations as Markdown, with their sources numbered at the end.

    answer_markdown(answer)                         # one answer: text, then its sources
    conversation_markdown([(question, answer), ...])  # the whole chat, sources numbered once

Each answer numbers its passages [1]..[k] on its own; in a conversation the same number
means different passages in different answers. The export renumbers every marker into one
list of sources for the whole conversation (a passage cited twice keeps one number), so
the document reads on its own once copied out of the page.
"""
from __future__ import annotations

from collections.abc import Sequence

from .citations import parse_markers
from ..types import Answer, Citation


def _source_entry(n: int, answer: Answer, c: Citation) -> str:
    hit = answer.hit_for(c.chunk_id)
    chunk = hit.chunk if hit else None
    where = [chunk.section if chunk else c.section]
    if chunk and chunk.author:
        where.append(chunk.author)
    if chunk and chunk.page is not None:
        where.append(f"p. {chunk.page}")
    if chunk:
        where.append(f"paragraph {chunk.paragraph}")
    where.append(f"`{c.chunk_id}`")
    head = f"[{n}] " + " · ".join(w for w in where if w)
    if not c.supported:
        head += " — ⚠ not supported by this passage"
    text = " ".join((chunk.text if chunk else c.text).split())
    return f"{head}\n\n   > {text}"


def _renumber(text: str, mapping: dict[int, int]) -> str:
    """The answer text with each [n] (and [n,m]) written as the global numbers."""
    out, pos = [], 0
    for m in parse_markers(text):
        out.append(text[pos : m.start])
        out.append("".join(f"[{mapping[n]}]" if n in mapping else f"[{n}]" for n in m.numbers))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)


def _meta(answer: Answer) -> str:
    parts = []
    if answer.refused and answer.refusal is not None:
        parts.append(f"not answered by the documents: {answer.refusal.message}")
    if answer.generator:
        parts.append(answer.generator)
    if "total" in answer.timings:
        parts.append(f"{answer.timings['total']:.1f} s")
    return f"*{' · '.join(parts)}*" if parts else ""


class _Sources:
    """The numbered source list shared by every answer of one document."""

    def __init__(self):
        self.by_chunk: dict[str, int] = {}
        self.entries: list[str] = []

    def number(self, answer: Answer) -> dict[int, int]:
        """answer's own [n] -> the document's number, adding passages not yet listed."""
        mapping: dict[int, int] = {}
        for c in sorted(answer.citations, key=lambda c: c.n):
            if c.n in mapping:
                continue
            if c.chunk_id not in self.by_chunk:
                self.by_chunk[c.chunk_id] = len(self.entries) + 1
                self.entries.append(_source_entry(self.by_chunk[c.chunk_id], answer, c))
            mapping[c.n] = self.by_chunk[c.chunk_id]
        return mapping

    def markdown(self) -> str:
        if not self.entries:
            return ""
        return "## 来源 · Sources\n\n" + "\n\n".join(self.entries) + "\n"


def _answer_block(answer: Answer | None, sources: _Sources, no_answer: str) -> list[str]:
    if answer is None:
        return [f"*{no_answer}*", ""]
    out = [_renumber(answer.text, sources.number(answer)).strip(), ""]
    meta = _meta(answer)
    if meta:
        out += [meta, ""]
    return out


def answer_markdown(answer: Answer, question: str | None = None) -> str:
    """One answer with its question (the answer's own when not given) and its sources."""
    sources = _Sources()
    q = question if question is not None else answer.question
    lines = [f"**Q:** {q}", ""] if q else []
    lines += _answer_block(answer, sources, "")
    return "\n".join(lines) + "\n" + sources.markdown()


def conversation_markdown(
    turns: Sequence[tuple[str, Answer | None]], title: str = "Conversation", no_answer: str = "(no answer)"
) -> str:
    """The whole conversation: each question as a heading, its answer with markers renumbered
    into one list of sources at the end. A turn without an answer (stopped, failed) shows
    `no_answer`."""
    sources = _Sources()
    lines = [f"# {title}", ""]
    for i, (question, answer) in enumerate(turns, 1):
        lines += [f"## {i}. {question}", ""]
        if answer is not None and answer.standalone_question and answer.standalone_question != question:
            lines += [f"*Searched as: {answer.standalone_question}*", ""]
        lines += _answer_block(answer, sources, no_answer)
    return "\n".join(lines) + "\n" + sources.markdown()
