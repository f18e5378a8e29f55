"""The chat page while others' answers are being written: the user sees the evidence at
once and its place in line for the model ("第 2 位 · 2nd in line"); /search and /ask
give programs the same library calls."""
import json
import threading

from rag.assistant import Assistant
from test_gate import Q, REPLY, BlockingGenerator, _wait_until
from ui.api import ask, ordinal, page_concurrency, queue_label, search
from ui.backend import Backend
from ui.chat import respond


def test_ordinals_and_the_label():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
    assert queue_label(3) == "排队中：第 3 位 · 3rd in line for the model"


def test_a_waiting_user_sees_evidence_then_its_place(hash_settings):
    # the page's default generator loads in the background: the instant one, not a model
    assistant = Assistant.load(hash_settings.replace(generator="extractive"))
    gen = BlockingGenerator(REPLY)
    assistant.register_generator(gen, "slow")
    backend = Backend(assistant).start()
    first = threading.Thread(target=lambda: list(respond(backend, Q, None, "slow")), daemon=True)
    first.start()
    _wait_until(lambda: gen.running == 1)
    pages = respond(backend, Q, None, "slow")
    shown = []
    for _, chat, conv, _, _ in pages:
        shown.append(json.dumps(chat, ensure_ascii=False))
        if conv.turns and "1st in line" in conv.turns[-1].status:
            break
    assert "第 1 位 · 1st in line" in shown[-1]
    assert conv.turns[-1].evidence  # the evidence came before the wait
    gen.release.release(2)
    rest = list(pages)
    first.join(10)
    assert rest[-1][2].turns[-1].answer is not None


def test_api_search_and_ask_return_json(hash_settings):
    backend = Backend(Assistant.load(hash_settings.replace(generator="extractive"))).start()
    rows = json.loads(search(backend, "数据需求满足率", 2))
    assert len(rows) == 2 and "95%" in rows[0]["text"]
    events = [json.loads(e) for e in ask(backend, Q, "[]", "extractive")]
    assert events[0]["kind"] == "evidence" and events[-1]["kind"] == "answer"
    assert "95%" in events[-1]["answer"] and "timings" in events[-1]
    assert json.loads(list(ask(backend, "", "[]", "extractive"))[-1])["kind"] == "error"
    assert json.loads(search(backend, "   ", 2))["error"]


def test_the_page_takes_more_requests_than_the_model(hash_settings):
    assert page_concurrency(hash_settings) == 16
    assert page_concurrency(hash_settings.replace(generation_slots=32)) == 32


def test_api_add_document_makes_it_searchable(hash_settings):
    from ui.api import add_document

    backend = Backend(Assistant.load(hash_settings.replace(generator="extractive"))).start()
    out = json.loads(add_document(backend, "sat.md", "# 卫星\n\n重庆启动低轨卫星互联网星座地面站建设。\n"))
    assert out["added"] == ["uploads/sat.md"] and out["chunks"] == 1
    assert json.loads(search(backend, "低轨卫星互联网星座", 1))[0]["source"] == "uploads/sat.md"
    assert "error" in json.loads(add_document(backend, "virus.exe", "MZ"))


def test_one_browser_session_holds_one_slot(hash_settings):
    """Two answers at once from one session take one of the model's two slots; another
    session's answer takes the second at once."""
    assistant = Assistant.load(hash_settings.replace(generator="extractive", generation_slots=2))
    gen = BlockingGenerator(REPLY)
    assistant.register_generator(gen, "slow")
    backend = Backend(assistant).start()
    runs = [threading.Thread(target=lambda: list(respond(backend, Q, None, "slow", session="alice")), daemon=True)
            for _ in range(2)]
    for t in runs:
        t.start()
    _wait_until(lambda: gen.running == 1 and assistant.gate("slow").waiting == 1)
    bob = threading.Thread(target=lambda: list(respond(backend, Q, None, "slow", session="bob")), daemon=True)
    bob.start()
    _wait_until(lambda: gen.running == 2)  # bob went past alice's second request
    assert assistant.gate("slow").waiting == 1
    gen.release.release(3)
    for t in (*runs, bob):
        t.join(10)
    assert gen.most == 2 and assistant.gate("slow").running == 0
