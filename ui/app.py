"""Gradio chat over the documents, on top of rag.Assistant and rag.evaluate.

    demo = build_app(Settings.load())      # or build_app(assistant)
    launch(demo, host="127.0.0.1", port=7860)

The page holds no retrieval or generation logic; it turns what the Assistant
yields into HTML. Everything a browser sees is a function of its session's
`Conversation` (kept in gr.State, so each browser has its own), which is why the
handlers below can be called directly in tests:

    respond(backend, message, conv, generator, k, retrieval)  -> yields page updates
    select_citation(conv, "cite-0-1")                          -> sources panel
    clear_chat()                                               -> empty page
    run_evaluation(backend, gold, upload, generator, k, retrieval, limit) -> yields progress, report

Loading the index and warming up the model happen in a background thread
(`Backend`), so the page comes up at once and shows what it is waiting for.
"""
from __future__ import annotations

import html
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline machines: no phoning home

import gradio as gr  # noqa: E402

from rag import evaluate, evidence  # noqa: E402
from rag.assistant import Assistant  # noqa: E402
from rag.citations import parse_markers  # noqa: E402
from rag.config import Settings, project_root  # noqa: E402
from rag.errors import InputError, RagError  # noqa: E402
from rag.generators import available as available_generators  # noqa: E402
from rag.types import Answer, Citation, Hit  # noqa: E402

log = logging.getLogger(__name__)

TITLE = "重庆“人工智能+”问答 · Chongqing AI+ Q&A"
EXAMPLES = [
    "重庆公共数据资源体系的数据需求满足率是多少？",
    "重庆如何持续推进“人工智能+”行动？",
    "What does the feature propose for Chongqing's platform economy?",
    "Which newspaper published this feature on the digital economy?",
]
DEFAULT_GOLD = "evals/gold.jsonl"
MODEL_QUEUE = "model"  # chat and evaluation share one model: one request at a time


# ---------------------------------------------------------------------- loading in the background
class Backend:
    """The Assistant behind the page. Loading the index (building it on first run) and
    the default generator takes seconds to minutes, so it happens in a thread while the
    page already shows a status line; handlers wait for it."""

    def __init__(self, source: Assistant | Settings | None = None):
        if isinstance(source, Assistant):
            self.assistant: Assistant | None = source
            self.settings = source.settings
        else:
            self.assistant = None
            self.settings = source or Settings.load()
        self.stage = "starting"
        self.error = ""  # the index or embedder failed: nothing can be answered
        self.generator_error = ""  # the default generator failed: other backends still work
        self.generator_description = self.settings.generator
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Backend":
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="rag-ui-loader", daemon=True)
            self._thread.start()
        return self

    def _load(self) -> None:
        try:
            if self.assistant is None:
                self.stage = "index"
                self.assistant = Assistant.load(self.settings)
                self.assistant.warm_up()  # sentence vectors: the first answer's evidence is instant
            self.stage = "model"
            gen = self.assistant.generator()
            self.generator_description = gen.description
            self.assistant.warm_up(gen.name)  # the model, and its fixed prompt prefix evaluated
        except Exception as e:  # noqa: BLE001 - shown on the page instead of killing the thread
            message = str(e) if isinstance(e, RagError) else f"{type(e).__name__}: {e}"
            if not isinstance(e, RagError):
                log.exception("loading the assistant failed")
            if self.assistant is None:
                self.error = message
            else:
                self.generator_error = message
        finally:
            self.stage = "failed" if self.error else "ready"
            self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def status(self) -> str:
        """One line of Markdown for the top of the page."""
        name = self.settings.generator
        if self.stage in ("starting", "index"):
            return "正在加载索引和嵌入模型… · Loading the index and embedder (the first run builds the index)…"
        if self.stage == "model":
            return f"正在加载生成模型 `{name}`… · Loading the `{name}` model; you can type already."
        if self.error:
            return f"✗ 助手无法启动 · The assistant could not start: {self.error}"
        if self.generator_error:
            return (f"⚠ 默认生成器 `{name}` 不可用 · The default generator `{name}` could not load: "
                    f"{self.generator_error} Choose another generator (e.g. `extractive`) under Settings.")
        return f"✓ 就绪 · Ready — default generator: {self.generator_description}"


# ---------------------------------------------------------------------- per-browser conversation
@dataclass
class Turn:
    question: str
    standalone: str = ""  # the question retrieval used, when the conversation rewrote it
    status: str = ""  # what the turn is waiting for, while it streams
    partial: str = ""  # the model's raw reply so far
    evidence: tuple = ()  # the best passage sentences, shown before the model's first token
    answer: Answer | None = None
    error: str = ""


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)
    selected: tuple[int, int] | None = None  # (turn, citation n) last clicked

    def history(self) -> list[tuple[str, str]]:
        """(question, answer) pairs for condensing follow-ups. The standalone form of each
        question goes in, so a follow-up of a follow-up still carries the topic."""
        return [(t.standalone or t.question, t.answer.text) for t in self.turns if t.answer is not None]

    def shown_turn(self) -> int | None:
        if self.selected is not None:
            return self.selected[0]
        answered = [i for i, t in enumerate(self.turns) if t.answer is not None]
        return answered[-1] if answered else None


# ---------------------------------------------------------------------- rendering
def _esc(text: str) -> str:
    return html.escape(text or "", quote=False)


def _attr(text: str) -> str:
    return html.escape(text or "", quote=True)


def link_markers(text: str, turn: int, citations: tuple[Citation, ...]) -> str:
    """Escape the answer text and turn each [n] into a marker that selects passage n in
    the sources panel. Markers such as [1,2] become [1][2]; numbers with no citation
    behind them stay plain text."""
    by_n = {c.n: c for c in citations}
    out, pos = [], 0
    for m in parse_markers(text):
        out.append(_esc(text[pos : m.start]))
        links = []
        for n in m.numbers:
            c = by_n.get(n)
            if c is None:
                links.append(f"[{n}]")
            elif c.supported:
                links.append(f'<a class="cite" href="#cite-{turn}-{n}" title="{_attr(c.section)}">[{n}]</a>')
            else:
                links.append(
                    f'<a class="cite unsupported" href="#cite-{turn}-{n}" '
                    f'title="⚠ 未得到该段落支持 · not supported by passage {n}">[{n}]</a>'
                )
        out.append("".join(links))
        pos = m.end
    out.append(_esc(text[pos:]))
    return "".join(out)


def render_evidence(items, refused: bool = False) -> str:
    """The evidence sentences, quoted with their passage numbers: the first thing a user
    reads, before the model's answer arrives."""
    label = "最相关的原文 · Closest passages" if refused else "原文依据 · From the documents"
    quotes = "".join(
        f'<div class="evidence-item"><span class="source-n">[{e.n}]</span> {_esc(e.text)}</div>' for e in items
    )
    return f'<div class="evidence"><div class="evidence-label">{label}</div>{quotes}</div>'


def render_turn(index: int, turn: Turn) -> str:
    """The assistant bubble of one turn: streaming text, a checked answer, or an error."""
    parts = []
    if turn.standalone and turn.standalone != turn.question:
        parts.append(f'<div class="rewritten">→ 改写为 · Searched as: {_esc(turn.standalone)}</div>')
    a = turn.answer
    shown_evidence = a.evidence[:2] if a is not None else turn.evidence
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
        if meta:
            parts.append(f'<div class="answer-meta">{_esc(" · ".join(meta))}</div>')
    elif turn.error:
        if turn.partial:
            parts.append(_esc(turn.partial))
        parts.append(f'<div class="rag-error">⚠ {_esc(turn.error)}</div>')
    elif turn.partial:
        parts.append(f"{_esc(turn.partial)}▌")
    else:
        parts.append(f'<div class="pending">{_esc(turn.status or "…")}</div>')
    # blank lines: the chatbot renders Markdown, and HTML blocks need them to end
    return "\n\n".join(parts)


def render_chat(conv: Conversation) -> list[dict]:
    messages = []
    for i, turn in enumerate(conv.turns):
        messages.append({"role": "user", "content": _esc(turn.question)})
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
        out.append(_esc(passage[pos:a]))
        out.append(f"<mark>{_esc(passage[a:b])}</mark>")
        pos = b
    out.append(_esc(passage[pos:]))
    return "".join(out)


SOURCES_EMPTY = (
    '<div class="sources-empty">引用的段落会显示在这里：点击回答中的 [n] 查看原文。<br>'
    "Cited passages appear here: click a [n] in an answer to see its passage.</div>"
)


def _hit_for(answer: Answer, chunk_id: str) -> Hit | None:
    return next((h for h in answer.hits if h.chunk.id == chunk_id), None)


def _source_card(turn: int, c: Citation, hit: Hit | None, selected: bool) -> str:
    classes = "source-card" + (" selected" if selected else "") + ("" if c.supported else " unsupported")
    chunk = hit.chunk if hit else None
    section = chunk.section if chunk else c.section
    meta = []
    if chunk and chunk.author:
        meta.append(_esc(chunk.author))
    if chunk and getattr(chunk, "page", None) is not None:
        meta.append(f"第 {chunk.page} 页 · p. {chunk.page}")
    if chunk:
        meta.append(f"第 {chunk.paragraph} 段 · paragraph {chunk.paragraph}")
    meta.append(f"<code>{_esc(c.chunk_id)}</code>")
    text = chunk.text if chunk else c.text
    warn = (
        f'<div class="source-warn">⚠ 回答中带 [{c.n}] 的句子未得到这段原文的支持 · '
        f"The sentence citing [{c.n}] is not supported by this passage.</div>"
        if not c.supported else ""
    )
    return (
        f'<div class="{classes}" id="src-{turn}-{c.n}">'
        f'<div class="source-head"><span class="source-n">[{c.n}]</span> '
        f'<span class="source-section">{_esc(section)}</span></div>'
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
    parts = [f'<div class="sources-title">来源 · Sources — {_esc(turn.question)}</div>']
    cited_ids = set()
    seen = set()
    for c in sorted(a.citations, key=lambda c: c.n):
        if c.n in seen:
            continue
        seen.add(c.n)
        cited_ids.add(c.chunk_id)
        parts.append(_source_card(index, c, _hit_for(a, c.chunk_id), c.n == selected_n))
    if not a.citations:
        parts.append(
            '<div class="sources-empty">这个回答没有引用段落 · This answer cites no passage.</div>'
        )
    others = [h for h in a.hits if h.chunk.id not in cited_ids]
    if others:
        items = "".join(
            f'<li><span class="source-section">{_esc(h.chunk.section)}</span> · 第 {h.chunk.paragraph} 段 — '
            f"{_esc(h.chunk.text[:120])}{'…' if len(h.chunk.text) > 120 else ''}</li>"
            for h in others
        )
        opened = " open" if not a.citations else ""
        parts.append(
            f'<details class="retrieved"{opened}><summary>检索到的其他段落 · Other retrieved passages '
            f"({len(others)})</summary><ol>{items}</ol></details>"
        )
    return "".join(parts)


def notice(message: str, kind: str = "warn") -> str:
    return f'<div class="notice notice-{kind}">{_esc(message)}</div>' if message else ""


# ---------------------------------------------------------------------- chat handlers
def _wait_for(backend: Backend) -> Iterator[str]:
    """Yield a loading message every second until the backend is loaded."""
    while not backend.wait(1.0):
        yield backend.status()


def respond(
    backend: Backend,
    message: str,
    conv: Conversation | None,
    generator: str | None = None,
    k: int | float | None = None,
    retrieval: str | None = None,
) -> Iterator[tuple[str, list[dict], Conversation, str, str]]:
    """Answer one chat message, streaming. Yields (textbox, chat, conversation, sources,
    notice). Problems with the question show in the notice line and leave the chat as it
    was; problems while answering show in the chat; neither ends the session."""
    conv = conv if conv is not None else Conversation()
    message = message or ""

    def page(box: str = "", note: str = ""):
        return box, render_chat(conv), conv, render_sources(conv), note

    for status in _wait_for(backend):
        yield page(message, notice(status, "info"))
    assistant = backend.assistant
    if assistant is None:
        yield page(message, notice(backend.status(), "error"))
        return
    try:
        question = assistant.check_question(message)
    except InputError as e:
        yield page(message, notice(str(e)))
        return

    turn = Turn(question=question, status="正在检索… · Searching the documents…")
    conv.turns.append(turn)
    conv.selected = None
    yield page()
    try:
        events = assistant.ask_stream(
            question,
            history=conv.history(),  # the new turn has no answer yet, so it is not in it
            k=int(k) if k else None,
            generator=generator or None,
            retrieval=retrieval or None,
        )
        for event in events:
            if event.kind == "status":
                turn.standalone = event.text
                turn.status = "正在生成… · Writing the answer…"
            elif event.kind == "evidence":
                turn.evidence = event.evidence
                turn.status = "正在生成… · Writing the answer…"
            elif event.kind == "token":
                turn.partial += event.text
            elif event.kind == "answer" and event.answer is not None:
                turn.answer = event.answer
                turn.standalone = event.answer.standalone_question or turn.standalone
            yield page()
    except RagError as e:
        turn.error = str(e)
    except Exception as e:  # noqa: BLE001 - the page shows it; the log keeps the traceback
        log.exception("answering %r failed", question)
        turn.error = f"出错了 · Something went wrong: {type(e).__name__}: {e}"
    if turn.answer is None and not turn.error:
        turn.error = "没有得到回答 · The assistant returned no answer."
    yield page()


def select_citation(conv: Conversation | None, key: str) -> tuple[Conversation, str]:
    """A click on marker "cite-<turn>-<n>": show that answer's passages with n selected."""
    conv = conv if conv is not None else Conversation()
    m = re.fullmatch(r"#?cite-(\d+)-(\d+)", (key or "").strip())
    if m:
        turn, n = int(m.group(1)), int(m.group(2))
        if turn < len(conv.turns) and conv.turns[turn].answer is not None:
            if any(c.n == n for c in conv.turns[turn].answer.citations):
                conv.selected = (turn, n)
    return conv, render_sources(conv)


def clear_chat() -> tuple[str, list[dict], Conversation, str, str]:
    conv = Conversation()
    return "", [], conv, render_sources(conv), ""


def poll_status(backend: Backend):
    """Status line for the timer; the timer stops once loading has finished."""
    return backend.status(), gr.Timer(active=not backend.ready)


# ---------------------------------------------------------------------- evaluation tab
def gold_choices() -> list[str]:
    root = project_root()
    found = sorted(str(p.relative_to(root)) for p in (root / "evals").glob("*.jsonl")) if (root / "evals").is_dir() else []
    return found or [DEFAULT_GOLD]


def _resolve_gold(choice: str | None, upload: str | None) -> Path:
    if upload:
        return Path(upload)
    p = Path((choice or DEFAULT_GOLD).strip()).expanduser()
    return p if p.is_absolute() else project_root() / p


def _progress_html(done: int, total: int, last: dict | None = None, note: str = "") -> str:
    pct = 100.0 * done / total if total else 0.0
    tail = ""
    if last is not None:
        ok = not evaluate.failure_reasons(last)
        tail = f" · {_esc(str(last.get('id')))} {'✓' if ok else '✗'}"
    return (
        f'<div class="eval-progress"><progress value="{done}" max="{total or 1}"></progress>'
        f'<span class="eval-count">{done} / {total} ({pct:.0f}%){tail}</span>'
        f'{f"<div>{_esc(note)}</div>" if note else ""}</div>'
    )


_SUMMARY_GROUPS = (
    ("检索 · Retrieval", ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5")),
    ("回答 · Answers", ("em", "f1", "contains")),
    ("引用 · Citations", ("citation_precision", "citation_recall")),
)


def render_summary(report: dict) -> str:
    s, c = report["summary"], report.get("config", {})
    head = (
        f'<div class="eval-config">{_esc(str(c.get("gold", "")))} · generator <b>{_esc(str(c.get("generator", "")))}</b>'
        f' · retrieval {_esc(str(c.get("retrieval", "")))} · k={_esc(str(c.get("k", "")))}'
        f' · {s.get("n_questions", 0)} questions ({s.get("n_unanswerable", 0)} unanswerable,'
        f' {s.get("n_errors", 0)} errors) · {c.get("seconds", "?")} s</div>'
    )
    shown = {"n_questions", "n_answerable", "n_unanswerable", "n_errors"}
    rows = []
    for group, names in _SUMMARY_GROUPS:
        for name in names:
            if name in s:
                shown.add(name)
                rows.append((group, name, s[name]))
    for name, value in s.items():  # refusal and latency metrics, whatever the runner reports
        if name not in shown:
            group = "延迟 · Latency (s)" if name.startswith(("latency.", "tokens_per_s")) else "拒答 · Refusal"
            rows.append((group, name, value))
    body = "".join(
        f"<tr><td>{_esc(g)}</td><td><code>{_esc(n)}</code></td><td class='num'>{_esc(evaluate.fmt(v))}</td></tr>"
        for g, n, v in rows
    )
    return f'{head}<table class="eval-summary"><thead><tr><th></th><th>metric</th><th>value</th></tr></thead><tbody>{body}</tbody></table>'


def render_failures(report: dict) -> str:
    failures = [(r, evaluate.failure_reasons(r)) for r in report["rows"]]
    failures = [(r, why) for r, why in failures if why]
    title = f'<div class="eval-fail-title">未通过的问题 · Failing questions: {len(failures)} of {len(report["rows"])}</div>'
    if not failures:
        return title
    cards = []
    for r, why in failures:
        gold = " / ".join(r.get("gold_answers") or []) or "（不可回答 · unanswerable）"
        retrieved = "".join(
            f"<li><code>{_esc(h['chunk_id'])}</code> {_esc(h.get('section', ''))}"
            f"{' <b>✓</b>' if h.get('supports') else ''}</li>"
            for h in r.get("retrieved", [])
        ) or "<li>（无 · nothing）</li>"
        cited = ", ".join(
            f"[{c['n']}] {_esc(c['chunk_id'])}{' ✓' if c.get('supports') else ''}" for c in r.get("citations", [])
        ) or "none"
        cards.append(
            f'<details class="eval-fail"><summary><b>{_esc(r["id"])}</b> {_esc(r["question"])} — '
            f'<span class="why">{_esc("; ".join(why))}</span></summary>'
            f"<div><b>Gold:</b> {_esc(gold)}</div>"
            f"<div><b>Answer{' (refused)' if r.get('refused') else ''}:</b> {_esc(r.get('answer') or '(empty)')}</div>"
            f"<div><b>Cited:</b> {cited}</div>"
            f"<div><b>Retrieved:</b><ol>{retrieved}</ol></div></details>"
        )
    return title + "".join(cards)


def run_evaluation(
    backend: Backend,
    gold: str | None,
    upload: str | None,
    generator: str | None = None,
    k: int | float | None = None,
    retrieval: str | None = None,
    limit: int | float | None = None,
    out_root: str | os.PathLike | None = None,
) -> Iterator[tuple[str, str, str]]:
    """Run the gold set with the page's settings through rag.evaluate.run_eval (the same
    runner as `rag eval`). Yields (progress, summary, failures) as questions finish."""
    for status in _wait_for(backend):
        yield notice(status, "info"), "", ""
    if backend.assistant is None:
        yield notice(backend.status(), "error"), "", ""
        return
    path = _resolve_gold(gold, upload)
    try:
        items = evaluate.load_gold(path)
    except RagError as e:
        yield notice(str(e), "error"), "", ""
        return
    n = int(limit) if limit else None
    total = min(len(items), n) if n else len(items)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    # RAG_UI_RUNS_DIR lets a test server write its reports outside the checkout
    out_root = out_root or os.environ.get("RAG_UI_RUNS_DIR")
    out_dir = Path(out_root) if out_root else project_root() / "evals" / "runs"
    out_dir = out_dir / f"ui-{stamp}-{generator or backend.settings.generator}"

    events: queue.Queue = queue.Queue()

    def work():
        try:
            report = evaluate.run_eval(  # the path, not the items: the report records which file
                backend.assistant, path, out_dir=out_dir, generator=generator or None,
                k=int(k) if k else None, retrieval=retrieval or None, resume=False, limit=n,
                progress=lambda done, tot, row: events.put(("row", (done, tot, row))),
            )
            events.put(("done", report))
        except RagError as e:
            events.put(("error", str(e)))
        except Exception as e:  # noqa: BLE001 - shown on the page
            log.exception("evaluation failed")
            events.put(("error", f"{type(e).__name__}: {e}"))

    threading.Thread(target=work, name="rag-ui-eval", daemon=True).start()
    yield _progress_html(0, total, note=f"{path.name} → {out_dir}"), "", ""
    while True:
        kind, payload = events.get()
        if kind == "row":
            done, tot, row = payload
            yield _progress_html(done, tot, row), "", ""
        elif kind == "error":
            yield notice(payload, "error"), "", ""
            return
        else:
            report = payload
            yield (
                _progress_html(total, total, note=f"报告 · report: {out_dir / 'report.md'}"),
                render_summary(report),
                render_failures(report),
            )
            return


# ---------------------------------------------------------------------- page
CSS = """
#status { font-size: .95em; }
#chat .message:has(.refusal-label) { background: #fff7ed !important; border-color: #fb923c !important; }
.refusal-label { color: #9a3412; font-weight: 600; margin-bottom: .3em; }
.rewritten { font-size: .85em; color: #475569; border-left: 3px solid #94a3b8; padding-left: .5em; margin-bottom: .4em; }
.pending { color: #64748b; }
.evidence { border-left: 3px solid #94a3b8; padding: .2em .6em; margin-bottom: .5em; color: #334155; font-size: .95em; }
.evidence-label { color: #64748b; font-size: .85em; margin-bottom: .2em; }
.answer-meta { font-size: .75em; color: #64748b; margin-top: .4em; }
.rag-error { color: #991b1b; background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; padding: .35em .6em; }
a.cite { display: inline-block; padding: 0 .3em; margin: 0 .1em; border-radius: 5px; background: #e0e7ff;
         color: #3730a3 !important; text-decoration: none !important; font-size: .85em; font-weight: 600; cursor: pointer; }
a.cite:hover { background: #c7d2fe; }
a.cite.unsupported { background: #fee2e2; color: #991b1b !important; text-decoration: line-through !important; }
#sources { max-height: 640px; overflow-y: auto; }
.sources-title { font-weight: 600; margin-bottom: .5em; }
.sources-empty { color: #64748b; padding: .5em 0; }
.source-card { border: 1px solid #e2e8f0; border-radius: 8px; padding: .6em .8em; margin-bottom: .6em; transition: box-shadow .2s; }
.source-card.selected { border-color: #6366f1; box-shadow: 0 0 0 3px #c7d2fe; background: #f8faff; }
.source-card.unsupported { border-style: dashed; border-color: #f87171; }
.source-n { display: inline-block; background: #e0e7ff; color: #3730a3; border-radius: 5px; padding: 0 .3em; font-weight: 600; }
.source-card.unsupported .source-n { background: #fee2e2; color: #991b1b; }
.source-section { font-weight: 600; }
.source-meta { font-size: .8em; color: #64748b; margin: .2em 0 .4em; }
.source-text { line-height: 1.7; }
.source-text mark { background: #fef08a; padding: 0 .1em; }
.source-warn { color: #b45309; font-size: .85em; margin-top: .3em; }
details.retrieved { font-size: .85em; color: #475569; }
.notice { border-radius: 6px; padding: .4em .7em; margin: .3em 0; }
.notice-warn { background: #fffbeb; border: 1px solid #fcd34d; color: #92400e; }
.notice-error { background: #fef2f2; border: 1px solid #fecaca; color: #991b1b; }
.notice-info { background: #f1f5f9; border: 1px solid #cbd5e1; color: #334155; }
.eval-progress progress { width: 60%; height: 1em; vertical-align: middle; margin-right: .6em; }
table.eval-summary td.num { text-align: right; font-variant-numeric: tabular-nums; }
.eval-config { margin-bottom: .5em; color: #475569; }
.eval-fail { border-bottom: 1px solid #e2e8f0; padding: .3em 0; }
.eval-fail .why { color: #b45309; }
"""

# A click on a [n] marker in the chat writes its key into a hidden textbox and presses a
# hidden button, so the server renders the sources panel for that answer. (The chatbot's
# HTML sanitiser drops data-* attributes; the key travels in href.)
JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.cite');
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    const box = document.querySelector('#cite-key textarea, #cite-key input');
    const btn = document.querySelector('#cite-go');
    if (!box || !btn) return;
    box.value = a.getAttribute('href').replace(/^#/, '');
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => btn.click(), 0);
  }, true);
}
"""

SCROLL_TO_SELECTED = """
() => {
  const el = document.querySelector('#sources .source-card.selected');
  if (el) el.scrollIntoView({block: 'nearest', behavior: 'smooth'});
}
"""

# System fonts only: the default theme pulls Google Fonts, which offline machines cannot reach.
FONTS = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", font=FONTS, font_mono=["DejaVu Sans Mono", "monospace"])


def build_app(source: Assistant | Settings | Backend | None = None, *, concurrency: int = 1) -> gr.Blocks:
    """The whole page. `source` is an Assistant (tests, embedding), Settings (load in the
    background), or None (settings from rag.toml/environment). Loading starts now."""
    backend = source if isinstance(source, Backend) else Backend(source)
    backend.start()
    settings = backend.settings
    choices = available_generators()
    if settings.generator not in choices:
        choices.append(settings.generator)

    with gr.Blocks(title="Chongqing AI+ Q&A") as demo:
        gr.Markdown(f"## {TITLE}\n基于重庆日报 2025 年数字经济专题回答问题，每句话标注来源段落。"
                    " Answers come from the Chongqing Daily 2025 digital-economy feature, with every claim cited.")
        status = gr.Markdown(backend.status(), elem_id="status")
        with gr.Accordion("设置 · Settings", open=False, elem_id="settings"):
            with gr.Row():
                generator = gr.Dropdown(choices, value=settings.generator, label="生成器 · Generator",
                                        info="llama-cpp: local model (5-15 s); extractive: instant, no model",
                                        elem_id="generator")
                top_k = gr.Slider(1, 10, value=settings.k, step=1, label="检索段落数 · Top-k", elem_id="top-k")
                retrieval = gr.Radio(["hybrid", "dense", "bm25"], value=settings.retrieval,
                                     label="检索方式 · Retrieval", elem_id="retrieval")
        conv = gr.State(Conversation())
        with gr.Tabs():
            with gr.Tab("对话 · Chat", id="chat-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            value=[], elem_id="chat", height=560, show_label=False,
                            examples=[{"text": q} for q in EXAMPLES], feedback_options=None,
                            buttons=["copy"], placeholder="问一个关于文档的问题 · Ask about the documents",
                        )
                        note = gr.HTML("", elem_id="notice")
                        with gr.Row():
                            box = gr.Textbox(show_label=False, scale=5, elem_id="question", autofocus=True,
                                             placeholder="输入问题，回车发送 · Type a question and press Enter")
                            send = gr.Button("发送 · Send", variant="primary", scale=1, elem_id="send")
                        clear = gr.Button("清空对话 · Clear chat", size="sm", elem_id="clear")
                    with gr.Column(scale=2):
                        sources = gr.HTML(SOURCES_EMPTY, elem_id="sources")
                cite_key = gr.Textbox(visible="hidden", elem_id="cite-key")
                cite_go = gr.Button(visible="hidden", elem_id="cite-go")
            with gr.Tab("评测 · Evaluation", id="eval-tab"):
                gr.Markdown("用当前设置运行金标问题集（与 `rag eval` 相同的评测程序）。"
                            " Run a gold QA file with the current settings (the same runner as `rag eval`).")
                with gr.Row():
                    gold = gr.Dropdown(gold_choices(), value=DEFAULT_GOLD, allow_custom_value=True,
                                       label="金标文件 · Gold file", elem_id="gold", scale=3)
                    upload = gr.File(label="或上传 · or upload (.jsonl)", file_types=[".jsonl"],
                                     type="filepath", scale=2, elem_id="gold-upload")
                    limit = gr.Number(0, precision=0, minimum=0, label="只跑前 N 题 · First N only (0 = all)",
                                      elem_id="eval-limit", scale=1)
                run = gr.Button("运行评测 · Run evaluation", variant="primary", elem_id="run-eval")
                progress = gr.HTML("", elem_id="eval-progress")
                summary = gr.HTML("", elem_id="eval-summary")
                failures = gr.HTML("", elem_id="eval-failures")
        timer = gr.Timer(1.0)

        chat_outputs = [box, chatbot, conv, sources, note]

        def _respond(message, state, gen, k, mode):
            yield from respond(backend, message, state, gen, k, mode)

        def _evaluate(gold_file, uploaded, gen, k, mode, first_n):
            yield from run_evaluation(backend, gold_file, uploaded, gen, k, mode, first_n)

        def _example(evt: gr.SelectData):
            value = evt.value
            return value.get("text", "") if isinstance(value, dict) else str(value)

        chat_inputs = [box, conv, generator, top_k, retrieval]
        for trigger in (box.submit, send.click):
            trigger(_respond, chat_inputs, chat_outputs, concurrency_id=MODEL_QUEUE, concurrency_limit=concurrency,
                    show_progress="hidden", api_visibility="private")
        chatbot.example_select(_example, None, [box], queue=False, api_visibility="private").then(
            _respond, chat_inputs, chat_outputs, concurrency_id=MODEL_QUEUE, concurrency_limit=concurrency,
            show_progress="hidden", api_visibility="private",
        )
        clear.click(clear_chat, None, chat_outputs, queue=False, api_visibility="private")
        # the chatbot's own trash icon must forget the conversation too, not just the bubbles
        chatbot.clear(clear_chat, None, chat_outputs, queue=False, api_visibility="private")
        cite_go.click(select_citation, [conv, cite_key], [conv, sources], concurrency_limit=None,
                      show_progress="hidden", api_visibility="private").then(None, js=SCROLL_TO_SELECTED)
        run.click(_evaluate, [gold, upload, generator, top_k, retrieval, limit], [progress, summary, failures],
                  concurrency_id=MODEL_QUEUE, concurrency_limit=concurrency, show_progress="hidden",
                  api_visibility="private")
        timer.tick(lambda: poll_status(backend), None, [status, timer], concurrency_limit=None,
                   show_progress="hidden", api_visibility="private")
        demo.load(lambda: poll_status(backend), None, [status, timer], concurrency_limit=None,
                  show_progress="hidden", api_visibility="private")

    demo.queue(default_concurrency_limit=concurrency)
    demo.backend = backend  # for launch() and tests
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True, **kwargs):
    """Serve the page. Gradio 6 takes theme, CSS and JS here rather than in Blocks()."""
    return demo.launch(
        server_name=host, server_port=port, theme=theme(), css=CSS, js=JS, ssr_mode=False,
        footer_links=[], prevent_thread_lock=not block, quiet=kwargs.pop("quiet", False),
        show_error=False, **kwargs,
    )
