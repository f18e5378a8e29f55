"""What `rag serve` offers besides the page: API endpoints for programs (load tests, other
front ends; gradio_client calls them by name), and how the page words a place in the
line for the model.

    from gradio_client import Client
    c = Client("http://127.0.0.1:7860/")
    hits = json.loads(c.predict("数据需求满足率", 5, api_name="/search"))
    for update in c.submit("重庆公共数据资源体系的数据需求满足率是多少？", api_name="/ask"):
        event = json.loads(update)      # {"kind": "evidence"|"queue"|"token"|"checking"|"answer", ...}
    json.loads(c.predict("notes.md", "# 标题\n\n正文……", api_name="/add_document"))
    json.loads(c.predict("scan.pdf", "", False, base64.b64encode(pdf_bytes).decode(), api_name="/add_document"))

Both are stateless: a conversation's history travels with the request (the page keeps it
in the browser session), so any worker behind a load balancer can serve any call.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterator

import gradio as gr

from rag import InputError, RagError
from rag.answering.generators import available

from . import inputs
from .backend import Backend

log = logging.getLogger(__name__)


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def queue_label(position: int) -> str:
    """A waiting user's place in line for the model, both languages: "第 3 位 · 3rd in line"."""
    return f"排队中：第 {position} 位 · {ordinal(position)} in line for the model"


def page_concurrency(settings) -> int:
    """Requests the page works on at once. Each retrieves and shows its evidence straight
    away, then waits in the Assistant's line for the model (settings.generation_slots), so
    this is well above the number of generations that run at once."""
    return max(settings.serve_requests, settings.generation_slots)


def _ready(backend: Backend):
    backend.wait()
    if backend.assistant is None:
        raise RagError(backend.status())
    return backend.assistant


def _error(backend: Backend, e: Exception) -> str:
    """An error's message as callers may see it: no absolute server paths. Anything not a
    RagError is a bug: logged with its traceback, reported by kind only."""
    if isinstance(e, RagError):
        return inputs.public_message(str(e), backend.settings.corpus_path)
    log.exception("API call failed")
    return f"Internal error ({type(e).__name__}); the server log has the details."


def search(backend: Backend, question: str, k: int = 5) -> str:
    """Top-k passages as JSON (the `rag search --json` rows), or {"error": message}."""
    try:
        question = inputs.text_field("question", question, max_chars=backend.settings.max_question_chars,
                                     allow_empty=False)
        k = inputs.whole_number("k", 5 if k is None else k, 1, inputs.MAX_K)
        hits = _ready(backend).retrieve(question, k=k)
    except Exception as e:  # noqa: BLE001 - every failure is an error object, never a null
        return json.dumps({"error": _error(backend, e)}, ensure_ascii=False)
    return json.dumps([h.to_dict() for h in hits], ensure_ascii=False)


def ask(backend: Backend, question: str, history_json: str = "[]", generator: str = "",
        session: str | None = None) -> Iterator[str]:
    """Answer one question, streaming: one JSON object per event; the last is the answer
    (`rag ask --json`), or {"kind": "error", "text": ...}. `session`: the client's (one
    model slot at a time per session)."""
    try:
        limit = backend.settings.max_question_chars
        question = inputs.text_field("question", question, max_chars=limit, allow_empty=False)
        history = inputs.history_field(history_json, limit)
        generator = inputs.text_field("generator", generator, max_chars=64)
        if generator and generator not in available():
            raise RagError(f"generator must be one of {', '.join(available())} (or empty for the default), "
                           f"not {generator[:64]!r}.")
        events = _ready(backend).ask_stream(question, history=history, generator=generator or None, session=session)
        for event in events:
            if event.kind == "answer" and event.answer is not None:
                yield json.dumps({"kind": "answer", **event.answer.to_dict()}, ensure_ascii=False)
            else:
                yield json.dumps({"kind": event.kind, "text": event.text, "position": event.position},
                                 ensure_ascii=False)
    except Exception as e:  # noqa: BLE001 - the stream always ends with an event saying why
        yield json.dumps({"kind": "error", "text": _error(backend, e)}, ensure_ascii=False)


def add_document(backend: Backend, name: str, text: str, replace: bool = False, username: str | None = None,
                 data_base64: str = "") -> str:
    """Store a document under <corpus>/uploads/ and index it, as the documents panel does
    (Assistant.add_documents): a text one (.txt, .md, .html) as `text`, any other format the
    panel takes (.pdf, scans too, .docx, .xlsx, .pptx) as its bytes in base64 in `data_base64`.
    JSON of what was added, or {"error"}. Needs the editor role; `replace` replaces this
    user's own upload of the same name. With a shared index every worker finds it within
    index_check_seconds."""
    try:
        who = backend.access.require(username, "add")
    except RagError as e:
        backend.audit.record(str(username or ""), "add", "refused: role", files=[str(name)[:255]], via="api")
        return json.dumps({"error": str(e)}, ensure_ascii=False)
    try:
        name = inputs.text_field("name", name, max_chars=inputs.MAX_NAME_CHARS, allow_empty=False)
        max_chars = int(backend.settings.max_upload_mb * 1024 * 1024)  # a character is at least a byte
        text = inputs.text_field("text", text, max_chars=max_chars)
        encoded = inputs.text_field("data_base64", data_base64, max_chars=max_chars * 4 // 3 + 4)
        replace = inputs.flag("replace", replace)
        try:
            data = base64.b64decode(encoded, validate=True) if encoded else text.encode("utf-8")
        except binascii.Error as e:
            raise InputError(f"data_base64 is not valid base64 ({e}).") from None
        result = _ready(backend).add_documents([(name, data)], user=who, replace=replace)
    except Exception as e:  # noqa: BLE001 - reported, audited, never a null error
        message = _error(backend, e)
        backend.audit.record(who, "add", "failed", files=[str(name)[:255]], reason=message, via="api")
        return json.dumps({"error": message}, ensure_ascii=False)
    backend.audit.record(who, "add", "done", files=[name], added=result.added, replaced=result.replaced,
                         skipped=result.skipped, chunks=result.chunks, via="api")
    out = result.to_dict()
    out["skipped"] = [{**s, "reason": inputs.public_message(s["reason"], backend.settings.corpus_path)}
                      for s in out["skipped"]]
    return json.dumps(out, ensure_ascii=False)


def add_api(backend: Backend, model_queue: str, concurrency: int) -> None:
    """Register /search, /ask and /add_document on the Blocks being built (call inside
    `with gr.Blocks()`). gr.Request parameters carry the signed-in user (Gradio resolves
    their type hints in this module's globals, hence gradio imported at the top)."""

    # the checks above take the values as sent: the hints say what is expected
    def _search(question: str, k: int = 5, request: gr.Request = None) -> str:
        if not backend.access.can(request.username if request else None, "search"):
            return json.dumps({"error": "Sign in as a user of this server."})
        return search(backend, question, k)

    def _ask(question: str, history_json: str = "[]", generator: str = "",
             request: gr.Request = None) -> Iterator[str]:
        if not backend.access.can(request.username if request else None, "ask"):
            yield json.dumps({"kind": "error", "text": "Sign in as a user of this server."})
            return
        yield from ask(backend, question, history_json, generator, request.session_hash if request else None)

    def _add_document(name: str, text: str, replace: bool = False, data_base64: str = "",
                      request: gr.Request = None) -> str:
        return add_document(backend, name, text, replace, request.username if request else None, data_base64)

    gr.api(_search, api_name="search", concurrency_limit=None)  # retrieval waits for nobody
    gr.api(_add_document, api_name="add_document", concurrency_limit=1, concurrency_id="documents")
    gr.api(_ask, api_name="ask", concurrency_id=model_queue, concurrency_limit=concurrency)
