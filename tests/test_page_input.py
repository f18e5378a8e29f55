"""The chat page's own handlers check what they are sent as the three APIs do (ui.inputs):
a lone surrogate, a wrong type or a value out of range gets a clear message on the page
(or a gr.Error with that message), never a null error, a traceback or a silent end; and
through a real server, called the way the page calls them (queue/join), the event stream
carries that message."""
from __future__ import annotations

import json
import shutil

import gradio as gr
import pytest

from ui import app as ui
from rag import InputError
from rag.assistant import Assistant
from rag.config import Settings
from ui import chat, documents, evaluation, export, feedback, inputs
from ui.state import Conversation

from conftest import SEEDS

LONE = "重庆\ud800数据"


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    root = tmp_path_factory.mktemp("page-input")
    shutil.copytree(SEEDS, root / "seeds")
    settings = Settings(embedder="hash", corpus_dir=str(root / "seeds"), index_dir=str(root / "index"),
                        generator="extractive", feedback_path=str(root / "feedback.jsonl"),
                        audit_path=str(root / "audit.jsonl"))
    b = ui.Backend(Assistant.load(settings)).start()
    assert b.wait(30)
    return b


def sendable(value) -> None:
    """What Gradio would send to the browser: JSON, encodable as UTF-8."""
    json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")


def last_notice(updates) -> str:
    for u in updates:
        sendable([u[0], u[1], u[3], u[4]])
    return updates[-1][4]


@pytest.mark.parametrize("kwargs, expected", [
    ({"message": LONE}, "unpaired surrogate"),
    ({"message": ["a list"]}, "question must be a string"),
    ({"message": "数据需求满足率是多少？", "k": "abc"}, "k must be a whole number"),
    ({"message": "数据需求满足率是多少？", "k": 10**9}, "k must be a whole number"),
    ({"message": "数据需求满足率是多少？", "retrieval": "sideways"}, "retrieval must be one of"),
    ({"message": "数据需求满足率是多少？", "generator": {"x": 1}}, "generator must be a string"),
    ({"message": "数据需求满足率是多少？", "generator": "no-such-model"}, "no-such-model"),
])
def test_respond_says_what_is_wrong_and_leaves_the_chat_alone(backend, kwargs, expected):
    conv = Conversation()
    updates = list(chat.respond(backend, kwargs.pop("message"), conv, **kwargs))
    note = last_notice(updates)
    shown = note + json.dumps(updates[-1][1], ensure_ascii=False)
    assert expected in shown
    assert "\ud800" not in updates[-1][0]  # the box never gets back what cannot be sent


def test_edit_regenerate_rate_and_comment_check_their_fields(backend):
    conv = Conversation()
    list(chat.respond(backend, "数据需求满足率是多少？", conv))
    assert conv.turns and conv.turns[0].answer is not None
    assert "unpaired surrogate" in last_notice(list(chat.edit_question(backend, conv, 0, LONE)))
    assert "message index" in last_notice(list(chat.edit_question(backend, conv, "abc", "新问题？")))
    assert "no longer in the conversation" in last_notice(list(chat.edit_question(backend, conv, 40, "新问题？")))
    assert "k must be" in last_notice(list(chat.regenerate(backend, conv, None, "abc", None)))
    assert len(conv.turns) == 1 and conv.turns[0].answer is not None  # nothing was dropped
    _, _, note, target = feedback.rate(backend, conv, {"index": 1}, True)
    assert "message index" in note and target is None
    _, _, note, target = feedback.rate(backend, conv, 1, {"liked": 1})
    assert "rating must be" in note
    _, _, note, target = feedback.rate(backend, conv, 1, True)
    assert target == 0
    note, box, target = feedback.comment(backend, conv, 0, LONE)
    assert "unpaired surrogate" in note and box == ""
    note, _, _ = feedback.comment(backend, conv, "zero", "好")
    assert "comment target" in note


def test_hidden_fields_and_the_saved_conversation(backend):
    conv = Conversation()
    with pytest.raises(InputError, match="surrogate"):
        chat.select_citation(conv, "cite-0-\ud800")
    with pytest.raises(Exception, match="must be a string"):
        export.copy_answer(conv, 12)
    # a saved conversation holding what cannot be shown again starts empty instead
    chat_html, restored, _ = chat.restore({"version": 1, "turns": [{"question": LONE}]})
    assert restored.turns == [] and chat_html == []
    chat_html, restored, _ = chat.restore({"version": 1, "turns": [{"question": "好", "answer": {"x": [1]}}]})
    sendable(chat_html)


def test_documents_panel_and_evaluation_check_their_fields(backend):
    note, _, _ = documents.remove_file(backend, LONE, None)
    assert "unpaired surrogate" in note
    note, _, _ = documents.remove_file(backend, ["uploads/a.md"], None)
    assert "document must be a string" in note
    (note, *_), = list(documents.add_files(backend, 5, None))
    assert "files must be a list" in note
    (note, *_), = list(documents.add_files(backend, [LONE], None))
    assert "unpaired surrogate" in note
    (note, *_), = list(documents.add_files(backend, ["/tmp/x.md"], None, replace="maybe"))
    assert "replace must be true or false" in note
    (progress, *_), = list(evaluation.run_evaluation(backend, "evals/gold.jsonl", None, None, "abc"))
    assert "k must be a whole number" in progress
    (progress, *_), = list(evaluation.run_evaluation(backend, LONE, None))
    assert "unpaired surrogate" in progress


def test_guarded_turns_every_failure_into_a_clear_error(tmp_path):
    from rag import InputError

    def plain(x):
        raise InputError(f"{tmp_path}/secret.md is bad")

    def gen(x):
        yield 1
        raise ValueError("boom")

    with pytest.raises(gr.Error) as e:
        inputs.guarded(plain, tmp_path)(1)
    assert e.value.message == "secret.md is bad"
    g = inputs.guarded(gen, tmp_path)(1)
    assert next(g) == 1
    with pytest.raises(gr.Error, match=r"Internal error \(ValueError\)"):
        next(g)
    import inspect

    def with_request(message: str, request: gr.Request):
        return message

    assert list(inspect.signature(inputs.guarded(with_request)).parameters) == ["message", "request"]


def test_a_raw_call_of_the_page_handler_gets_the_message_not_a_null(backend):
    pytest.importorskip("httpx")
    import httpx

    from browser_support import free_port

    demo = ui.build_app(backend)
    port = free_port()
    ui.launch(demo, port=port, block=False, quiet=True)
    try:
        base = f"http://127.0.0.1:{port}"
        config = httpx.get(f"{base}/config", timeout=30).json()
        by_id = {c["props"].get("elem_id"): c["id"] for c in config["components"] if c.get("props")}

        def call(elem_id: str, data_json: str, event: str | None = None) -> str:
            dep = next(d for d in config["dependencies"]
                       if any(t[0] == by_id[elem_id] and (event is None or t[1] == event) for t in d["targets"]))
            session = f"s{elem_id}"
            body = ('{"data": %s, "fn_index": %d, "session_hash": "%s", "trigger_id": %d, "event_data": null}'
                    % (data_json, dep["id"], session, by_id[elem_id]))
            join = httpx.post(f"{base}/gradio_api/queue/join", content=body,
                              headers={"Content-Type": "application/json"}, timeout=30)
            assert join.status_code == 200, join.text
            text = ""
            with httpx.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session},
                              timeout=60) as r:
                for line in r.iter_lines():
                    text += line + "\n"
                    if "process_completed" in line:
                        break
            return text

        # the send button with a lone surrogate (valid JSON, \\ud800), then junk for k
        stream = call("send", '["\\u6570\\ud800", null, "extractive", 5, "hybrid"]')
        assert "unpaired surrogate" in stream and '"success": true' in stream.replace('":true', '": true'), stream
        stream = call("send", '["数据需求满足率是多少？", null, "extractive", "abc", "hybrid"]')
        assert "Top-k: 'abc' is not a value this slider takes" in stream, stream
        # the chatbot's like and edit events with no event data (gr.LikeData would fail before the handler)
        stream = call("chat", "[null]", "like")
        assert "message index must be a whole number" in stream, stream
        stream = call("chat", '[null, "extractive", 5, "hybrid"]', "edit")
        assert "message index must be a whole number" in stream, stream
        # a hidden field the page's script writes: a clear gr.Error, not a null
        stream = call("cite-go", '[null, "cite-\\ud800"]')
        assert "surrogate" in stream and '"error": null' not in stream and '"error":null' not in stream, stream
    finally:
        demo.close()
