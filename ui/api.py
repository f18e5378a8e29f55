"""What `rag serve` offers besides the page: API endpoints for programs (load tests, other
front ends; gradio_client calls them by name), and how the page words a place in the
line for the model.

    from gradio_client import Client
    c = Client("http://127.0.0.1:7860/")
    hits = json.loads(c.predict("数据需求满足率", 5, api_name="/search"))
    for update in c.submit("重庆公共数据资源体系的数据需求满足率是多少？", api_name="/ask"):
        event = json.loads(update)      # {"kind": "evidence"|"queue"|"token"|"answer", ...}
    json.loads(c.predict("notes.md", "# 标题\n\n正文……", api_name="/add_document"))
    json.loads(c.predict("scan.pdf", "", base64.b64encode(pdf_bytes).decode(), api_name="/add_document"))

Both are stateless: a conversation's history travels with the request (the page keeps it
in the browser session), so any worker behind a load balancer can serve any call.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from rag import RagError

from .backend import Backend


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


def search(backend: Backend, question: str, k: int = 5) -> str:
    """Top-k passages as JSON (the `rag search --json` rows)."""
    try:
        hits = _ready(backend).retrieve(question, k=int(k))
    except RagError as e:
        return json.dumps({"error": str(e)}, ensure_ascii=False)
    return json.dumps([h.to_dict() for h in hits], ensure_ascii=False)


def ask(backend: Backend, question: str, history_json: str = "[]", generator: str = "") -> Iterator[str]:
    """Answer one question, streaming: one JSON object per event; the last is the answer
    (`rag ask --json`), or {"kind": "error", "text": ...}."""
    try:
        history = [tuple(pair) for pair in json.loads(history_json or "[]")]
        events = _ready(backend).ask_stream(question, history=history, generator=generator or None)
        for event in events:
            if event.kind == "answer" and event.answer is not None:
                yield json.dumps({"kind": "answer", **event.answer.to_dict()}, ensure_ascii=False)
            else:
                yield json.dumps({"kind": event.kind, "text": event.text, "position": event.position},
                                 ensure_ascii=False)
    except (RagError, ValueError, TypeError) as e:
        yield json.dumps({"kind": "error", "text": str(e)}, ensure_ascii=False)


def add_document(backend: Backend, name: str, text: str, data_base64: str = "") -> str:
    """Store a document under <corpus>/uploads/ and index it, as the documents panel does
    (Assistant.add_documents): a text one (.txt, .md, .html) as `text`, any other format the
    panel takes (.pdf, scans too, .docx, .xlsx, .pptx) as its bytes in base64 in `data_base64`.
    JSON of what was added, or {"error"}. With a shared index every worker finds it within
    index_check_seconds."""
    import base64
    import binascii

    try:
        data = base64.b64decode(data_base64, validate=True) if data_base64 else (text or "").encode("utf-8")
        result = _ready(backend).add_documents([(name, data)])
    except binascii.Error as e:
        return json.dumps({"error": f"data_base64 is not valid base64 ({e})"}, ensure_ascii=False)
    except RagError as e:
        return json.dumps({"error": str(e)}, ensure_ascii=False)
    return json.dumps(result.to_dict(), ensure_ascii=False)


def add_api(backend: Backend, model_queue: str, concurrency: int) -> None:
    """Register /search, /ask and /add_document on the Blocks being built (call inside
    `with gr.Blocks()`)."""
    import gradio as gr

    def _search(question: str, k: int = 5) -> str:
        return search(backend, question, k)

    def _ask(question: str, history_json: str = "[]", generator: str = "") -> Iterator[str]:
        yield from ask(backend, question, history_json, generator)

    def _add_document(name: str, text: str, data_base64: str = "") -> str:
        return add_document(backend, name, text, data_base64)

    gr.api(_search, api_name="search", concurrency_limit=None)  # retrieval waits for nobody
    gr.api(_add_document, api_name="add_document", concurrency_limit=1, concurrency_id="documents")
    gr.api(_ask, api_name="ask", concurrency_id=model_queue, concurrency_limit=concurrency)
