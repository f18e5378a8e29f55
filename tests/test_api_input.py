"""Malformed input to the APIs (ui.api, checked in ui.inputs): every bad field gets an
error naming it, never a null error or a stream that ends without an event, and error
messages never show absolute server paths."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("gradio")

from ui import inputs  # noqa: E402
from ui.api import add_document, ask, search  # noqa: E402
from ui.app import Backend, build_app, launch  # noqa: E402

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def backend(shared_hash_assistant, tmp_path_factory):
    audit = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    shared_hash_assistant.settings = shared_hash_assistant.settings.replace(generator="extractive",
                                                                            audit_path=str(audit))
    b = Backend(shared_hash_assistant).start()
    b.wait()
    return b


def _events(gen) -> list[dict]:
    return [json.loads(e) for e in gen]


@pytest.mark.parametrize("question, k, field", [
    ("数据需求满足率", "abc", "k"), ("数据需求满足率", 2.5, "k"), ("数据需求满足率", 0, "k"),
    ("数据需求满足率", 10 ** 9, "k"), ("数据需求满足率", [5], "k"), ("数据需求满足率", True, "k"),
    ("数据\ud800满足率", 5, "surrogate"), (12, 5, "question must be a string"), ("", 5, "question is empty"),
    ("问" * 5000, 5, "limit is"), ({"q": 1}, 5, "question must be a string"),
])
def test_search_rejects_each_bad_field_with_a_message(backend, question, k, field):
    out = json.loads(search(backend, question, k))
    assert isinstance(out, dict) and out["error"] and field in out["error"]


@pytest.mark.parametrize("history, field", [
    (DEEP, "nested"), ("[[1, 2]]", "pair of strings"), ('{"a": 1}', "list of"), ("[[", "not valid JSON"),
    ('[["\\ud800", "x"]]', "surrogate"), (json.dumps([["q", "a"]] * 500), "turns"), (7, "must be a string"),
    ("x" * 300_000, "limit is"),
])
def test_ask_ends_every_bad_history_with_an_error_event(backend, history, field):
    events = _events(ask(backend, "数据需求满足率是多少？", history))
    assert events[-1]["kind"] == "error" and field in events[-1]["text"], events


def test_ask_rejects_unknown_generator_and_bad_question(backend):
    assert "generator must be one of" in _events(ask(backend, "问题", "[]", "gpt-9"))[-1]["text"]
    assert "surrogate" in _events(ask(backend, "\udfff", "[]"))[-1]["text"]
    assert _events(ask(backend, "数据需求满足率是多少？", '[["上一问", "上一答"]]', "extractive"))[-1]["kind"] == "answer"


@pytest.mark.parametrize("name, text, replace, field", [
    (None, "x", False, "name"), ("a.md", 5, False, "text must be a string"), ("a.md", "x", "maybe", "replace"),
    ("a\ud800.md", "x", False, "surrogate"), ("n" * 300 + ".md", "x", False, "limit is"),
])
def test_add_document_rejects_bad_fields(backend, name, text, replace, field):
    out = json.loads(add_document(backend, name, text, replace))
    assert field in out["error"]


def test_error_messages_name_files_relative_to_the_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    msg = f"cannot read {corpus}/uploads/a.pdf: damaged; model at /home/me/.cache/x/model.gguf missing"
    out = inputs.public_message(msg, corpus)
    assert "uploads/a.pdf" in out and "model.gguf" in out and str(tmp_path) not in out and "/home/me" not in out
    assert inputs.public_message("see http://127.0.0.1:7860/x and 3/4", corpus) == "see http://127.0.0.1:7860/x and 3/4"


def test_a_real_client_gets_error_events_not_nulls(backend):
    pytest.importorskip("gradio_client")
    from gradio_client import Client

    from browser_support import free_port

    demo = build_app(backend)
    port = free_port()
    launch(demo, port=port, block=False, quiet=True)
    try:
        c = Client(f"http://127.0.0.1:{port}/", verbose=False)
        assert "k must be a whole number" in json.loads(c.predict("数据需求满足率", "abc", api_name="/search"))["error"]
        # a lone surrogate, as raw JSON (\\ud800 is valid JSON; the client library cannot send it)
        import httpx

        base = f"http://127.0.0.1:{port}/gradio_api/call/search"
        body = '{"data": ["\\u6570\\ud800", 5]}'
        event = httpx.post(base, content=body, headers={"Content-Type": "application/json"}).json()["event_id"]
        stream = httpx.get(f"{base}/{event}", timeout=30).text
        assert "event: complete" in stream and "surrogate" in stream, stream
        job = c.submit("数据需求满足率是多少？", DEEP, "", api_name="/ask")
        events = [json.loads(e) for e in job]
        assert events and events[-1]["kind"] == "error" and "nested" in events[-1]["text"]
    finally:
        demo.close()
