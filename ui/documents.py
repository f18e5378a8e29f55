"""The documents panel: upload files into the index, watch the indexing progress, see
every document with its chunk count, remove an uploaded one.

The work is rag.Assistant.add_documents / remove_document (files are stored under the
corpus folder's uploads/, only their chunks are embedded, the new index is swapped in);
this module shows it. Adding runs in a thread while the handler yields a progress bar
with the time left, then the new list. The handlers are plain functions, so tests call
them directly:

    add_files(backend, ["/tmp/report.pdf"], username="ann")   -> yields (progress, list, remove choices, upload box)
    remove_file(backend, "uploads/report.pdf", username="ann") -> (message HTML, list HTML, remove choices)
    list_view(backend)                                          -> (list HTML, remove choices)

Adding and removing need the editor role (rag.security), checked here on the server
whatever the page shows; readers do not see the controls. Every attempt, allowed or
refused, goes to the audit log with who made it.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import gradio as gr

from rag import RagError
from rag.ingest import LOADERS, DocumentInfo, IndexProgress
from rag.security import AccessError

from .checked import checked
from .assets import PRIVATE
from .backend import Backend, wait_for
from . import inputs
from .inputs import guarded, public_message
from .render import esc, notice

MAX_FILES = 50  # files in one press of "Add to the index"
STAGES = {
    "saving": "保存文件 · Saving the files",
    "reading": "读取文档 · Reading the documents",
    "ocr": "识别扫描页 · Reading scanned pages (OCR), pages",
    "embedding": "嵌入段落 · Embedding passages",
    "sentences": "嵌入句子 · Embedding sentences for the evidence",
    "done": "完成 · Done",
}


def progress_html(p: IndexProgress) -> str:
    label = STAGES.get(p.stage, p.stage)
    if p.total:
        eta = f", 约剩 · about {p.eta:.0f} s left" if p.eta is not None else ""
        count = f"{p.done} / {p.total}{eta}"
        bar = f'<progress value="{p.done}" max="{p.total}"></progress>'
    else:
        count, bar = (f"{p.done}" if p.done else ""), "<progress></progress>"
    return (f'<div class="doc-progress" data-stage="{esc(p.stage)}">{bar}'
            f'<span>{esc(label)} {esc(count)} · {p.elapsed:.1f} s</span></div>')


def _instructions_mark(n: int) -> str:
    if not n:
        return ""
    return (f' <span class="doc-flag" title="这些段落不会作为证据 · its passages are never used as evidence">'
            f'⚠ 含 {n} 句对助手的指令 · {n} sentence(s) give orders to the assistant</span>')


def render_list(docs: list[DocumentInfo]) -> str:
    if not docs:
        return '<div class="doc-empty">（没有文档 · no documents）</div>'
    rows = "".join(
        f'<tr data-source="{esc(d.source)}"{" data-instructions" if d.instructions else ""}><td>{esc(d.source)}'
        f'{_instructions_mark(d.instructions)}</td><td class="num">{d.chunks}</td>'
        f'<td class="num">{d.pages or ""}</td><td>{"上传 · uploaded" if d.uploaded else "种子 · seed"}</td></tr>'
        for d in docs
    )
    total = sum(d.chunks for d in docs)
    return (f'<table class="doc-list"><thead><tr><th>文档 · Document</th><th>段 · Chunks</th><th>页 · Pages</th>'
            f'<th></th></tr></thead><tbody>{rows}</tbody></table>'
            f'<div class="doc-total">{len(docs)} documents, {total} chunks</div>')


def _choices(docs: list[DocumentInfo]):
    uploaded = [d.source for d in docs if d.uploaded]
    return gr.Dropdown(choices=uploaded, value=uploaded[0] if uploaded else None)


def list_view(backend: Backend):
    if not backend.ready or backend.assistant is None:
        return '<div class="doc-empty">正在加载索引… · Loading the index…</div>', gr.Dropdown(choices=[], value=None)
    docs = backend.assistant.documents()
    return render_list(docs), _choices(docs)


def allowed(backend: Backend, username: str | None, action: str, **details) -> str:
    """The user's name when their role allows `action`; AccessError (and an audit line) if not."""
    try:
        return backend.access.require(username, action)
    except AccessError:
        backend.audit.record(str(username or ""), action, "refused: role", **details)
        raise


def _upload_paths(paths) -> list:
    """The upload box's files: a list of paths (strings, or objects with .name); InputError
    for anything else or a name that is not valid Unicode."""
    if paths is None or paths == "":
        return []
    if isinstance(paths, (str, os.PathLike)) or hasattr(paths, "name"):
        paths = [paths]
    if not isinstance(paths, (list, tuple)) or len(paths) > MAX_FILES:
        raise RagError(f"files must be a list of at most {MAX_FILES} uploaded files.")
    out = []
    for i, p in enumerate(paths):
        if not p:
            continue
        name = getattr(p, "name", p)
        inputs.text_field(f"files[{i}]", name if isinstance(name, str) else os.fspath(name)
                          if isinstance(name, os.PathLike) else name, max_chars=4096)
        out.append(p)
    return out


def add_files(backend: Backend, paths, username: str | None = None, replace: bool = False) -> Iterator[tuple]:
    """Add the uploaded files; yields (progress, list, remove choices, upload box) while it works.
    `replace`: an upload of the same name is replaced (only when this user uploaded it)."""
    keep = gr.update()
    try:
        paths = _upload_paths(paths)
        replace = inputs.flag("replace", replace)
    except RagError as e:
        yield notice(str(e), "error"), keep, keep, keep
        return
    names = [getattr(p, "name", None) or str(p).rsplit("/", 1)[-1] for p in paths]
    try:
        who = allowed(backend, username, "add", files=names)
    except AccessError as e:
        yield notice(str(e), "error"), keep, keep, keep
        return
    if not paths:
        yield notice("先选择文件 · Choose one or more files first."), keep, keep, keep
        return
    for message in wait_for(backend):
        yield notice(message, "info"), keep, keep, keep
    if backend.assistant is None:
        yield notice(backend.status(), "error"), keep, keep, keep
        return
    latest: list[IndexProgress] = [IndexProgress("saving")]
    outcome: dict = {}

    def work():
        try:
            outcome["result"] = backend.assistant.add_documents(paths, progress=latest.append, user=who,
                                                                replace=bool(replace))
        except RagError as e:
            outcome["error"] = str(e)
        except Exception as e:  # noqa: BLE001 - shown on the page, not lost in a thread
            outcome["error"] = f"{type(e).__name__}: {e}"

    thread = threading.Thread(target=work, name="rag-ui-add-documents", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
        yield progress_html(latest[-1]), keep, keep, keep
    if "error" in outcome:
        outcome["error"] = public_message(outcome["error"], backend.settings.corpus_path)
        backend.audit.record(who, "add", "failed", files=names, reason=outcome["error"])
        yield notice(outcome["error"], "error"), keep, keep, keep
        return
    r = outcome["result"]
    backend.audit.record(who, "add", "done", files=names, added=r.added, replaced=r.replaced,
                         skipped=r.skipped, chunks=r.chunks)
    lines = [f"已添加 · Added {len(r.added)} file(s): {', '.join(r.added) or '—'} — {r.chunks} chunks "
             f"({r.embedded} embedded) in {r.seconds:.1f} s. 现在可以提问 · Ask about them now."]
    if r.replaced:
        lines.append(f"替换了同名文件 · Replaced: {', '.join(r.replaced)}")
    for s in r.skipped:
        lines.append(f"无法读取 · Not readable, not kept: {s['file']}: "
                     f"{public_message(s['reason'], backend.settings.corpus_path)}")
    html = "".join(notice(line, "warn" if line.startswith("无法") else "info") for line in lines)
    docs = backend.assistant.documents()
    yield html, render_list(docs), _choices(docs), None


def remove_file(backend: Backend, source: str | None, username: str | None = None):
    keep = gr.update()
    try:
        source = inputs.text_field("document", source, max_chars=1024)
    except RagError as e:
        return notice(str(e), "error"), keep, keep
    try:
        who = allowed(backend, username, "remove", source=source)
    except AccessError as e:
        return notice(str(e), "error"), keep, keep
    if not source:
        return notice("先选择一个上传的文档 · Choose an uploaded document first."), keep, keep
    if not backend.ready or backend.assistant is None:
        return notice(backend.status(), "info"), keep, keep
    try:
        n = backend.assistant.remove_document(source)
    except RagError as e:
        message = public_message(str(e), backend.settings.corpus_path)
        backend.audit.record(who, "remove", "failed", source=source, reason=message)
        return notice(message, "error"), keep, keep
    backend.audit.record(who, "remove", "done", source=source, chunks=n)
    docs = backend.assistant.documents()
    return notice(f"已删除 · Removed {source} ({n} chunks).", "info"), render_list(docs), _choices(docs)


def editing_controls(backend: Backend, username: str | None):
    """Whether the add and remove controls show for this user (the handlers check again)."""
    return gr.Column(visible=backend.access.can(username, "add"))


def build_documents_panel(demo: gr.Blocks, backend: Backend) -> None:
    """The panel (an accordion above the chat) and its events."""
    with gr.Accordion("文档 · Documents: 上传并提问 · upload and ask", open=False, elem_id="documents"):
        with gr.Column(visible=backend.access.open, elem_id="doc-editing") as editing, gr.Row():
            upload = checked(gr.File(label=f"上传文件 · Upload ({' '.join(LOADERS)}; ≤ {backend.settings.max_upload_mb:g} MB each)",
                                     file_count="multiple", file_types=list(LOADERS), type="filepath",
                                     elem_id="doc-upload", scale=3))
            with gr.Column(scale=2):
                add = gr.Button("添加到索引 · Add to the index", variant="primary", elem_id="doc-add")
                replace = gr.Checkbox(False, label="替换我上传的同名文件 · Replace my upload of the same name",
                                      elem_id="doc-replace")
                remove_choice = gr.Dropdown([], label="上传的文档 · Uploaded documents", elem_id="doc-remove-choice")
                remove = gr.Button("删除所选 · Remove selected", size="sm", variant="stop", elem_id="doc-remove")
        message = gr.HTML("", elem_id="doc-progress")
        listing = gr.HTML("", elem_id="doc-list")

    def _add(paths, replace_own, request: gr.Request):
        yield from add_files(backend, paths, request.username, replace_own)

    def _remove(source, request: gr.Request):
        return remove_file(backend, source, request.username)

    _add, _remove = guarded(_add, backend.settings.corpus_path), guarded(_remove, backend.settings.corpus_path)
    add.click(_add, [upload, replace], [message, listing, remove_choice, upload], concurrency_id="documents",
              concurrency_limit=1, **PRIVATE)
    remove.click(_remove, [remove_choice], [message, listing, remove_choice],
                 concurrency_id="documents", concurrency_limit=1, **PRIVATE)
    def _controls(request: gr.Request):
        return editing_controls(backend, request.username)

    demo.load(_controls, None, [editing], queue=False, **PRIVATE)
    # the list fills in once the index is loaded (the backend loads in the background)
    timer = gr.Timer(1.0)
    timer.tick(lambda: (*list_view(backend), gr.Timer(active=not backend.ready)), None,
               [listing, remove_choice, timer], concurrency_limit=None, **PRIVATE)
