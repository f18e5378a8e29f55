"""The chat bubbles and the sources panel as HTML, from a `Conversation`. Support, spans
and refusals come decided on the Answer and its Citations; this module only shows them."""
from __future__ import annotations

import html

from rag import Citation, Hit
from rag.answering import parse_markers

from .state import Conversation, Turn


def esc(text: str) -> str:
    return html.escape(text or "", quote=False)


def attr(text: str) -> str:
    return html.escape(text or "", quote=True)


def link_markers(text: str, turn: int, citations: tuple[Citation, ...]) -> str:
    """Escape the answer text and turn each [n] into a marker that selects passage n in
    the sources panel. Markers such as [1,2] become [1][2]; numbers with no citation
    behind them stay plain text."""
    by_n = {c.n: c for c in citations}
    out, pos = [], 0
    for m in parse_markers(text):
        out.append(esc(text[pos : m.start]))
        links = []
        for n in m.numbers:
            c = by_n.get(n)
            if c is None:
                links.append(f"[{n}]")
            elif c.supported:
                links.append(f'<a class="cite" href="#cite-{turn}-{n}" title="{attr(c.section)}">[{n}]</a>')
            else:
                links.append(
                    f'<a class="cite unsupported" href="#cite-{turn}-{n}" '
                    f'title="⚠ 未得到该段落支持 · not supported by passage {n}">[{n}]</a>'
                )
        out.append("".join(links))
        pos = m.end
    out.append(esc(text[pos:]))
    return "".join(out)


def render_evidence(items, refused: bool = False) -> str:
    """The evidence sentences, quoted with their passage numbers: the first thing a user
    reads, before the model's answer arrives."""
    label = "最相关的原文 · Closest passages" if refused else "原文依据 · From the documents"
    quotes = "".join(
        f'<div class="evidence-item"><span class="source-n">[{e.n}]</span> {esc(e.text)}</div>' for e in items
    )
    return f'<div class="evidence"><div class="evidence-label">{label}</div>{quotes}</div>'


def render_turn(index: int, turn: Turn) -> str:
    """The assistant bubble of one turn: streaming text, a checked answer, or an error."""
    parts = []
    if turn.standalone and turn.standalone != turn.question:
        parts.append(f'<div class="rewritten">→ 改写为 · Searched as: {esc(turn.standalone)}</div>')
    a = turn.answer
    shown_evidence = a.first_evidence if a is not None else turn.evidence  # as many as the stream showed
    if shown_evidence:
        parts.append(render_evidence(shown_evidence, refused=a is not None and a.refused))
    if a is not None:
        if a.refused:
            parts.append('<div class="refusal-label">∅ 文档中没有答案 · Not answered by the documents</div>')
        parts.append(link_markers(a.text, index, a.citations))
        meta = [a.generator] if a.generator else []
        if "total" in a.timings:
            meta.append(f"{a.timings['total']:.1f} s")
        if a.refusal is not None:
            meta.append(a.refusal.message)
        rated = {"up": " · 已赞 · liked", "down": " · 已踩 · disliked"}.get(turn.rating or "", "")
        # the copy link's key travels in href, like the citation markers' (see assets.JS)
        copy = f' · <a class="copy-md" href="#copy-{index}" title="连同来源复制 · copy with its sources">复制 · Copy Markdown</a>'
        parts.append(f'<div class="answer-meta">{esc(" · ".join(meta))}{rated}{copy}</div>')
    elif turn.stopped:
        if turn.partial:
            parts.append(esc(turn.partial))
        parts.append('<div class="stopped-label">■ 已停止 · Stopped</div>')
    elif turn.error:
        if turn.partial:
            parts.append(esc(turn.partial))
        parts.append(f'<div class="rag-error">⚠ {esc(turn.error)}</div>')
    elif turn.partial:
        parts.append(f"{esc(turn.partial)}▌")
        if turn.checking:  # written, not final yet: it may still be withdrawn
            parts.append(f'<div class="pending">{esc(turn.status)}</div>')
    else:
        parts.append(f'<div class="pending">{esc(turn.status or "…")}</div>')
    # blank lines: the chatbot renders Markdown, and HTML blocks need them to end
    return "\n\n".join(parts)


def render_chat(conv: Conversation) -> list[dict]:
    messages = []
    for i, turn in enumerate(conv.turns):
        messages.append({"role": "user", "content": esc(turn.question)})
        messages.append({"role": "assistant", "content": render_turn(i, turn)})
    return messages


def highlight_passage(passage: str, spans: tuple[str, ...] | list[str]) -> str:
    """The passage as HTML with the spans the answer rests on (Citation.spans, decided by
    the library's support check) in <mark>."""
    marks: list[tuple[int, int]] = []
    for span in spans:
        at = passage.find(span) if span else -1
        if at >= 0:
            marks.append((at, at + len(span)))
    out, pos = [], 0
    for a, b in sorted(marks):
        if a < pos:
            continue  # overlapping spans: the first one is marked
        out.append(esc(passage[pos:a]))
        out.append(f"<mark>{esc(passage[a:b])}</mark>")
        pos = b
    out.append(esc(passage[pos:]))
    return "".join(out)


SOURCES_EMPTY = (
    '<div class="sources-empty">引用的段落会显示在这里：点击回答中的 [n] 查看原文。<br>'
    "Cited passages appear here: click a [n] in an answer to see its passage.</div>"
)


def _source_card(turn: int, c: Citation, hit: Hit | None, selected: bool) -> str:
    classes = "source-card" + (" selected" if selected else "") + ("" if c.supported else " unsupported")
    chunk = hit.chunk if hit else None
    section = chunk.section if chunk else c.section
    meta = []
    if chunk and chunk.author:
        meta.append(esc(chunk.author))
    if chunk and chunk.page is not None:
        meta.append(f"第 {chunk.page} 页 · p. {chunk.page}")
    if chunk:
        meta.append(f"第 {chunk.paragraph} 段 · paragraph {chunk.paragraph}")
    meta.append(f"<code>{esc(c.chunk_id)}</code>")
    text = chunk.text if chunk else c.text
    warn = (
        f'<div class="source-warn">⚠ 回答中带 [{c.n}] 的句子未得到这段原文的支持 · '
        f"The sentence citing [{c.n}] is not supported by this passage.</div>"
        if not c.supported else ""
    )
    return (
        f'<div class="{classes}" id="src-{turn}-{c.n}">'
        f'<div class="source-head"><span class="source-n">[{c.n}]</span> '
        f'<span class="source-section">{esc(section)}</span></div>'
        f'<div class="source-meta">{" · ".join(meta)}</div>'
        f'<div class="source-text">{highlight_passage(text, c.spans)}</div>{warn}</div>'
    )


def render_sources(conv: Conversation) -> str:
    """The sources panel: the passages cited by the selected answer (the latest one until
    a marker is clicked), then the other passages retrieval found for it."""
    index = conv.shown_turn()
    if index is None or index >= len(conv.turns) or conv.turns[index].answer is None:
        return SOURCES_EMPTY
    turn = conv.turns[index]
    a = turn.answer
    selected_n = conv.selected[1] if conv.selected and conv.selected[0] == index else None
    parts = [f'<div class="sources-title">来源 · Sources — {esc(turn.question)}</div>']
    cited_ids = set()
    seen = set()
    for c in sorted(a.citations, key=lambda c: c.n):
        if c.n in seen:
            continue
        seen.add(c.n)
        cited_ids.add(c.chunk_id)
        parts.append(_source_card(index, c, a.hit_for(c.chunk_id), c.n == selected_n))
    if not a.citations:
        parts.append(
            '<div class="sources-empty">这个回答没有引用段落 · This answer cites no passage.</div>'
        )
    others = [h for h in a.hits if h.chunk.id not in cited_ids]
    if others:
        items = "".join(
            f'<li><span class="source-section">{esc(h.chunk.section)}</span> · 第 {h.chunk.paragraph} 段 — '
            f"{esc(h.chunk.text[:120])}{'…' if len(h.chunk.text) > 120 else ''}</li>"
            for h in others
        )
        opened = " open" if not a.citations else ""
        parts.append(
            f'<details class="retrieved"{opened}><summary>检索到的其他段落 · Other retrieved passages '
            f"({len(others)})</summary><ol>{items}</ol></details>"
        )
    return "".join(parts)


def notice(message: str, kind: str = "warn") -> str:
    return f'<div class="notice notice-{kind}">{esc(message)}</div>' if message else ""
