"""The chat page's handlers, called directly: a real Assistant over a copy of the corpus
with the hash embedder, and FakeGenerator (or the real extractive generator) for speed."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

gr = pytest.importorskip("gradio")  # the UI is an optional extra: pip install '.[ui]'

from rag import Assistant, BackendUnavailableError, Settings  # noqa: E402
from rag.answering.generators.base import Generator  # noqa: E402
from rag.types import Answer, Chunk, Citation, Hit  # noqa: E402
from ui import app as ui  # noqa: E402

from fakes import FakeGenerator  # noqa: E402

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
QUESTION = "重庆公共数据资源体系的数据需求满足率是多少？"
EVIDENCE = "数据需求满足率95%"
UNANSWERABLE = "重庆2030年的人口目标是多少？"


class FailingGenerator(Generator):
    """Fails the way a real backend does: a down server, or a bug."""

    name = "failing"

    def __init__(self, error: Exception):
        super().__init__(Settings())
        self.error = error

    def stream(self, messages, **kwargs):
        raise self.error
        yield  # pragma: no cover


class WarmUpFails(FakeGenerator):
    name = "broken-default"

    def warm_up(self):
        from rag.errors import ModelError

        raise ModelError("The model file /nowhere/model.gguf does not exist. Run `rag model fetch`.")


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    shutil.copytree(SEEDS, root / "seeds")
    return Settings(embedder="hash", corpus_dir=str(root / "seeds"), index_dir=str(root / "index"),
                    generator="extractive")


@pytest.fixture(scope="module")
def assistant(settings):
    return Assistant.load(settings)


@pytest.fixture()
def backend(assistant):
    b = ui.Backend(assistant).start()
    assert b.wait(30)
    return b


def supported_reply(assistant, question=QUESTION) -> str:
    """A reply citing the context passage that holds the evidence, by its number."""
    hits = assistant.retrieve(question, k=assistant.settings.k)
    n = next(i for i, h in enumerate(hits, 1) if EVIDENCE in h.chunk.text)
    return f"重庆公共数据资源体系的数据需求满足率为95%[{n}]。"


def run(backend, message, conv=None, generator="fake", k=5, retrieval="hybrid"):
    return list(ui.respond(backend, message, conv, generator, k, retrieval))


# ---------------------------------------------------------------------- answering
def test_answer_streams_then_renders_clickable_citations_and_sources(backend, assistant):
    reply = supported_reply(assistant)
    assistant.register_generator(FakeGenerator(reply, chunk_chars=3), "fake")
    updates = run(backend, QUESTION)
    box, chat, conv, sources, note = updates[-1]

    # streamed: several updates show a growing partial reply with a cursor before the answer
    partials = [u[1][-1]["content"] for u in updates if u[1] and u[1][-1]["content"].endswith("▌")]
    assert len(partials) >= 3
    assert all(len(a) < len(b) for a, b in zip(partials, partials[1:]))
    assert updates[0][0] == ""  # the textbox is cleared as soon as the question is taken

    assert box == "" and note == ""
    assert [m["role"] for m in chat] == ["user", "assistant"]
    n = int(re.search(r"\[(\d)\]", reply).group(1))
    assert f'<a class="cite" href="#cite-0-{n}"' in chat[1]["content"]
    assert "95%" in chat[1]["content"] and "▌" not in chat[1]["content"]
    answer = conv.turns[0].answer
    assert answer is not None and not answer.refused
    cited = answer.citations[0]
    chunk = next(h.chunk for h in answer.hits if h.chunk.id == cited.chunk_id)
    # the panel shows section, author, paragraph number and the passage with its sentence marked
    assert chunk.section in sources and chunk.author in sources and f"第 {chunk.paragraph} 段" in sources
    marked = re.findall(r"<mark>(.*?)</mark>", sources)
    assert marked and any(EVIDENCE in m for m in marked)
    assert f'id="src-0-{n}"' in sources


def test_settings_reach_the_assistant(backend, assistant):
    assistant.register_generator(FakeGenerator(supported_reply(assistant)), "fake")
    conv = run(backend, QUESTION, k=2, retrieval="bm25")[-1][2]
    hits = conv.turns[0].answer.hits
    assert len(hits) == 2
    assert all(set(h.sources) == {"bm25_rank", "bm25_score"} for h in hits)


def test_refused_answer_is_styled_and_lists_what_was_retrieved(backend):
    _, chat, conv, sources, _ = run(backend, UNANSWERABLE, generator="extractive")[-1]
    answer = conv.turns[0].answer
    assert answer.refused
    assert 'class="refusal-label"' in chat[1]["content"]
    assert "文档中没有找到这个问题的答案" in chat[1]["content"]
    assert "cites no passage" in sources and "Other retrieved passages" in sources


def test_extractive_generator_answers_with_real_citations(backend):
    _, chat, conv, sources, _ = run(backend, QUESTION, generator="extractive")[-1]
    assert EVIDENCE in conv.turns[0].answer.text
    assert 'class="cite"' in chat[1]["content"]
    assert any(EVIDENCE in m for m in re.findall(r"<mark>(.*?)</mark>", sources))


# ---------------------------------------------------------------------- bad input and failures
@pytest.mark.parametrize("message", ["", "   \n  ", None])
def test_empty_message_shows_a_notice_and_leaves_the_chat_alone(backend, message):
    conv = ui.Conversation()
    updates = run(backend, message, conv)
    box, chat, conv, _, note = updates[-1]
    assert "empty" in note and 'class="notice' in note
    assert chat == [] and conv.turns == []


def test_too_long_message_is_kept_for_editing(backend, assistant):
    long = "数据" * (assistant.settings.max_question_chars)
    box, chat, conv, _, note = run(backend, long)[-1]
    assert box == long
    assert str(assistant.settings.max_question_chars) in note
    assert conv.turns == []


def test_backend_down_shows_in_chat_and_the_chat_goes_on(backend, assistant):
    down = BackendUnavailableError("Cannot reach the generation server at http://127.0.0.1:9/v1. Start it first.")
    assistant.register_generator(FailingGenerator(down), "failing")
    conv = run(backend, QUESTION, generator="failing")[-1][2]
    chat = ui.render_chat(conv)
    assert 'class="rag-error"' in chat[1]["content"] and "Cannot reach the generation server" in chat[1]["content"]
    assert "Traceback" not in chat[1]["content"]

    assistant.register_generator(FakeGenerator(supported_reply(assistant)), "fake")
    _, chat, conv, _, _ = run(backend, QUESTION, conv)[-1]
    assert len(conv.turns) == 2 and conv.turns[1].answer is not None
    assert 'class="cite"' in chat[3]["content"]
    assert conv.history() == [(QUESTION, conv.turns[1].answer.text)]  # the failed turn is not history


def test_unexpected_exception_is_a_message_not_a_traceback(backend, assistant):
    assistant.register_generator(FailingGenerator(RuntimeError("boom")), "failing")
    _, chat, _, _, _ = run(backend, QUESTION, generator="failing")[-1]
    assert "Something went wrong: RuntimeError: boom" in chat[1]["content"]


def test_unknown_generator_is_reported(backend):
    _, chat, _, _, _ = run(backend, QUESTION, generator="no-such-backend")[-1]
    assert "Unknown generator 'no-such-backend'" in chat[1]["content"]


# ---------------------------------------------------------------------- multi-turn
def test_follow_up_is_rewritten_and_the_rewrite_is_shown(backend, assistant, monkeypatch):
    monkeypatch.setattr(assistant, "settings", assistant.settings.replace(condense="model"))
    rewrite = "重庆公共数据资源体系在数据安全方面有哪些措施？"
    gen = FakeGenerator([supported_reply(assistant), rewrite, "依托数据脱敏、隐私计算等技术保障数据安全[1]。"])
    assistant.register_generator(gen, "fake")
    conv = run(backend, QUESTION)[-1][2]
    _, chat, conv, _, _ = run(backend, "那数据安全方面呢？", conv)[-1]

    assert conv.turns[1].standalone == rewrite
    assert conv.turns[1].answer.standalone_question == rewrite
    assert 'class="rewritten"' in chat[3]["content"] and rewrite in chat[3]["content"]
    assert 'class="rewritten"' not in chat[1]["content"]  # the first question needed no rewrite
    condense_prompt = "\n".join(m["content"] for m in gen.prompts[1])
    assert QUESTION in condense_prompt and "那数据安全方面呢？" in condense_prompt
    # the rewritten question, not the bare follow-up, went to retrieval and the answer prompt
    assert rewrite in gen.prompts[2][-1]["content"]


def test_follow_up_with_extractive_uses_the_rule(backend):
    conv = run(backend, QUESTION, generator="extractive")[-1][2]
    conv = run(backend, "那数据安全方面呢？", conv, generator="extractive")[-1][2]
    assert conv.turns[1].standalone == "重庆公共数据资源体系：数据安全方面呢？"


def test_conversations_are_independent(backend, assistant):
    assistant.register_generator(FakeGenerator(supported_reply(assistant)), "fake")
    a = run(backend, QUESTION, ui.Conversation())[-1][2]
    b = ui.Conversation()
    assert b.turns == [] and len(a.turns) == 1
    fresh = ui.build_app(backend)  # a new page starts empty too
    state = next(blk for blk in fresh.blocks.values() if isinstance(blk, gr.State))
    assert isinstance(state.value, ui.Conversation) and state.value.turns == []


# ---------------------------------------------------------------------- citations and sources
def test_clicking_a_marker_selects_that_answers_passage(backend, assistant):
    reply = supported_reply(assistant)
    n = int(re.search(r"\[(\d)\]", reply).group(1))
    assistant.register_generator(FakeGenerator(reply), "fake")
    conv = run(backend, QUESTION)[-1][2]
    conv = run(backend, UNANSWERABLE, conv, generator="extractive")[-1][2]
    assert UNANSWERABLE in ui.render_sources(conv)  # the latest answer is shown first

    conv, sources = ui.select_citation(conv, f"cite-0-{n}")
    assert conv.selected == (0, n)
    assert QUESTION in sources and f'class="source-card selected" id="src-0-{n}"' in sources

    for bad in ("", "cite-9-1", f"cite-0-{n + 5}", "javascript:alert(1)"):
        fresh = ui.Conversation(turns=conv.turns)
        _, sources = ui.select_citation(fresh, bad)
        assert fresh.selected is None and "selected" not in sources


def _citation(n, supported=True, sentences=("数据需求满足率95%",)):
    return Citation(n=n, chunk_id=f"doc#p{n}", text="", section=f"第{n}节", supported=supported,
                    support=1.0 if supported else 0.1, sentences=sentences)


def test_markers_become_links_and_unsupported_ones_are_marked():
    cites = (_citation(1), _citation(2, supported=False))
    out = ui.link_markers("甲<b>[1]。乙[2]。丙[1,2]。丁[7]。", 3, cites)
    assert out.count('href="#cite-3-1"') == 2 and out.count('href="#cite-3-2"') == 2
    assert 'class="cite unsupported" href="#cite-3-2"' in out
    assert "[7]" in out and "cite-3-7" not in out  # no passage behind [7]
    assert "&lt;b&gt;" in out and "<b>" not in out  # model text is escaped


def test_unsupported_citation_is_flagged_in_the_sources_panel():
    chunk = Chunk(id="doc#p1", text="第一句。数据需求满足率95%。", source="doc.txt", section="节", author="作者",
                  paragraph=4, char_start=0, char_end=10)
    answer = Answer(text="虚构的句子[1]。", refused=False, citations=(_citation(1, supported=False, sentences=("虚构的句子",)),),
                    hits=(Hit(rank=1, score=1.0, chunk=chunk),))
    conv = ui.Conversation(turns=[ui.Turn(question="q", answer=answer)])
    sources = ui.render_sources(conv)
    assert "source-card unsupported" in sources and "not supported by this passage" in sources
    assert "<mark>" not in sources  # nothing in the passage backs the sentence


def test_highlight_marks_only_the_sentences_the_answer_rests_on():
    passage = "2025年政府工作报告提出，加快完善数据基础制度。重庆数据编目16万类，数据需求满足率95%。立足新起点，持续突破。"
    out = ui.highlight_passage(passage, ["重庆数据编目16万类，数据需求满足率95%。"])  # Citation.spans
    assert re.findall(r"<mark>(.*?)</mark>", out) == ["重庆数据编目16万类，数据需求满足率95%。"]
    assert re.sub(r"</?mark>", "", out) == passage  # nothing lost or reordered
    assert ui.highlight_passage("<script>x</script>。", []) == "&lt;script&gt;x&lt;/script&gt;。"


def test_clear_chat_empties_everything():
    box, chat, conv, sources, note = ui.clear_chat()
    assert (box, chat, note) == ("", [], "") and conv.turns == [] and sources == ui.SOURCES_EMPTY


# ---------------------------------------------------------------------- loading
def test_backend_loads_settings_in_the_background(settings):
    b = ui.Backend(settings)
    assert not b.ready and "Loading" in b.status()
    text, timer = ui.poll_status(b)
    assert "Loading" in text and timer.active is True
    b.start()
    assert b.wait(60)
    assert b.assistant is not None and b.status().startswith("✓")
    text, timer = ui.poll_status(b)
    assert "Ready" in text and "extractive" in text and timer.active is False


def test_failed_start_is_shown_and_questions_get_the_reason(tmp_path):
    b = ui.Backend(Settings(embedder="hash", corpus_dir=str(tmp_path / "missing"), index_dir=str(tmp_path / "ix")))
    b.start()
    assert b.wait(30)
    assert b.assistant is None and "could not start" in b.status()
    box, chat, conv, _, note = run(b, QUESTION)[-1]
    assert "could not start" in note and b.error and ui.esc(b.error) in note
    assert box == QUESTION and chat == []


def test_default_generator_failing_to_load_leaves_other_backends_usable(assistant, settings):
    broken = Assistant(settings.replace(generator="broken-default"), assistant.index, assistant.embedder)
    broken.register_generator(WarmUpFails(), "broken-default")
    b = ui.Backend(broken).start()
    assert b.wait(30)
    assert "could not load" in b.status() and "rag model fetch" in b.status()
    _, chat, conv, _, _ = run(b, QUESTION, generator="extractive")[-1]
    assert conv.turns[0].answer is not None and 'class="cite"' in chat[1]["content"]


# ---------------------------------------------------------------------- evaluation tab
def _gold(tmp_path) -> Path:
    items = [
        {"id": "g1", "question": QUESTION, "answers": ["95%"], "evidence": [EVIDENCE], "answerable": True, "lang": "zh"},
        {"id": "g2", "question": UNANSWERABLE, "answers": [], "evidence": [], "answerable": False, "lang": "zh"},
        {"id": "g3", "question": "重庆的数据编目有多少类？", "answers": ["4000万类"], "evidence": ["数据编目16万类"],
         "answerable": True, "lang": "zh"},  # wrong gold answer on purpose: must show as a failure
    ]
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8")
    return path


def test_evaluation_reports_progress_summary_and_failures(backend, tmp_path):
    updates = list(ui.run_evaluation(backend, str(_gold(tmp_path)), None, "extractive", 5, "hybrid", 0,
                                     out_root=tmp_path / "runs"))
    counts = [re.search(r"(\d+) / 3", u[0]).group(1) for u in updates if re.search(r"(\d+) / 3", u[0])]
    assert counts[0] == "0" and counts[-1] == "3" and "1" in counts and "2" in counts
    progress, summary, failures, charts = updates[-1]
    assert "hit@1" in summary and "citation_precision" in summary and "3 questions" in summary
    for name in ("hit_at_k", "answer_metrics", "latency", "refusal_confusion"):  # the run's PNGs, inlined
        assert f'id="chart-{name}"' in charts and "data:image/png;base64,iVBOR" in charts
    assert "g3" in failures  # a wrong gold answer: answered without it, or refused
    assert "does not contain a gold answer" in failures or "refused an answerable question" in failures
    assert "g1" not in re.sub(r"<details.*?g3.*?</details>", "", failures)  # g1 passed
    reports = list((tmp_path / "runs").glob("ui-*/report.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text(encoding="utf-8"))
    assert report["summary"]["n_questions"] == 3 and report["config"]["generator"] == "extractive"


def test_evaluation_limit_and_uploaded_file(backend, tmp_path):
    updates = list(ui.run_evaluation(backend, "evals/does-not-matter.jsonl", str(_gold(tmp_path)), "extractive",
                                     5, "hybrid", 1, out_root=tmp_path / "runs"))
    assert "1 questions" in updates[-1][1]


def test_evaluation_with_a_missing_gold_file_says_so(backend, tmp_path):
    updates = list(ui.run_evaluation(backend, str(tmp_path / "nope.jsonl"), None, "extractive", 5, "hybrid", 0,
                                     out_root=tmp_path / "runs"))
    assert len(updates) == 1
    assert "does not exist" in updates[0][0] and updates[0][1] == ""


def test_project_gold_file_is_the_default_choice():
    assert ui.DEFAULT_GOLD in ui.gold_choices()


# ---------------------------------------------------------------------- rag serve
def test_serve_refuses_a_busy_port_before_loading_anything(capsys):
    import socket

    from rag.cli import main
    from rag.cli.serve_cmd import port_problem

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert "already in use" in port_problem("127.0.0.1", port)
        assert main(["serve", "--port", str(port), "--embedder", "hash"]) == 2
    err = capsys.readouterr().err
    assert f"Port {port} on 127.0.0.1 is already in use" in err and "--port" in err
    assert port_problem("127.0.0.1", port) is None  # free again once the listener is gone
    assert "not a valid port" in port_problem("127.0.0.1", 70000)


# ---------------------------------------------------------------------- stop, regenerate, edit
class WatchedGenerator(FakeGenerator):
    """A long reply, one character a piece, that notes how far it got and whether its
    consumer closed it before the end (what stopping must do to a real model)."""

    name = "watched"

    def __init__(self, reply: str):
        super().__init__(reply, chunk_chars=1)
        self.pieces, self.closed_early = 0, False

    def stream(self, messages, **kwargs):
        self.pieces, self.closed_early = 0, False
        try:
            for piece in super().stream(messages, **kwargs):
                self.pieces += 1
                yield piece
        except GeneratorExit:
            self.closed_early = True
            raise


def _stream_until_tokens(updates, n_updates: int = 5):
    """Drive respond() until the reply is streaming; returns the last page."""
    for page in updates:
        conv = page[2]
        if conv.turns and len(conv.turns[-1].partial) >= n_updates:
            return page
    raise AssertionError("the reply never streamed")


def test_stop_ends_the_models_stream_and_keeps_what_was_written(backend, assistant):
    gen = WatchedGenerator(supported_reply(assistant) + "数据" * 200)
    assistant.register_generator(gen, "watched")
    updates = ui.respond(backend, QUESTION, ui.Conversation(), "watched", 5, "hybrid")
    _, _, conv, _, _ = _stream_until_tokens(updates)
    chat, conv, _, _ = ui.stop_answer(conv)
    rest = list(updates)  # respond sees the flag at its next event and stops
    assert gen.closed_early and gen.pieces < 50, gen.pieces  # the model did not run to the end
    turn = conv.turns[0]
    assert turn.stopped and turn.answer is None and not turn.error and turn.partial
    final = rest[-1][1][-1]["content"]
    assert 'class="stopped-label"' in final and "▌" not in final and "95%" in final
    assert conv.history() == []  # a stopped answer is no context for a follow-up


def test_cancelling_the_handler_closes_the_models_stream(backend, assistant):
    """What the page's stop button does to the running event: close its generator."""
    gen = WatchedGenerator(supported_reply(assistant) + "数据" * 200)
    assistant.register_generator(gen, "watched")
    updates = ui.respond(backend, QUESTION, ui.Conversation(), "watched", 5, "hybrid")
    _stream_until_tokens(updates)
    updates.close()
    assert gen.closed_early and gen.pieces < 50


def test_regenerate_replaces_the_last_answer(backend, assistant):
    gen = FakeGenerator([supported_reply(assistant)])
    assistant.register_generator(gen, "fake")
    conv = run(backend, "重庆如何打造数字产业集群？", generator="extractive")[-1][2]
    conv = run(backend, QUESTION, conv)[-1][2]
    calls = len(gen.prompts)
    _, chat, conv, _, note = list(ui.regenerate(backend, conv, "fake", 5, "hybrid"))[-1]
    assert len(gen.prompts) == calls + 1  # asked the model again
    assert [t.question for t in conv.turns] == ["重庆如何打造数字产业集群？", QUESTION]
    assert conv.turns[1].answer is not None and len(chat) == 4 and note == ""
    empty = list(ui.regenerate(backend, ui.Conversation(), "fake", 5, "hybrid"))[-1]
    assert "no answer to regenerate" in empty[4] and empty[2].turns == []


def test_edited_question_replaces_it_and_everything_after(backend):
    conv = run(backend, "重庆如何打造数字产业集群？", generator="extractive")[-1][2]
    conv = run(backend, UNANSWERABLE, conv, generator="extractive")[-1][2]
    # the chat's message 0 is the first question: editing it drops both turns and asks anew
    _, chat, conv, _, _ = list(ui.edit_question(backend, conv, 0, QUESTION, "extractive", 5, "hybrid"))[-1]
    assert [t.question for t in conv.turns] == [QUESTION]
    assert EVIDENCE in conv.turns[0].answer.text and len(chat) == 2
    _, _, conv, _, note = list(ui.edit_question(backend, conv, 0, "  ", "extractive", 5, "hybrid"))[-1]
    assert "empty" in note and [t.question for t in conv.turns] == [QUESTION]  # unchanged
    # an overlong edit is refused before anything is dropped, as respond would refuse it
    too_long = "问" * (backend.settings.max_question_chars + 1)
    _, _, conv, _, note = list(ui.edit_question(backend, conv, 0, too_long, "extractive", 5, "hybrid"))[-1]
    assert "limit" in note and [t.question for t in conv.turns] == [QUESTION]


# ---------------------------------------------------------------------- saved in the browser
def test_conversation_survives_a_save_and_restore(backend):
    conv = run(backend, QUESTION, generator="extractive")[-1][2]
    conv = run(backend, UNANSWERABLE, conv, generator="extractive")[-1][2]
    conv.turns.append(ui.Turn(question="停下的问题", partial="写到一半", stopped=True))
    saved = json.loads(json.dumps(ui.save(conv)))  # what localStorage holds: plain JSON
    chat, restored, sources = ui.restore(saved)
    assert chat == ui.render_chat(conv) and sources == ui.render_sources(conv)
    for was, now in zip(conv.turns[:2], restored.turns):  # citations, spans, evidence, refusal: all back
        a, r = was.answer, now.answer
        assert (r.text, r.refused, r.citations, r.evidence, r.refusal) == (a.text, a.refused, a.citations, a.evidence, a.refusal)
        assert [(h.rank, h.chunk.id, h.chunk.text, h.chunk.section, h.chunk.paragraph) for h in r.hits] == \
               [(h.rank, h.chunk.id, h.chunk.text, h.chunk.section, h.chunk.paragraph) for h in a.hits]
    assert restored.turns[1].answer.refused and restored.turns[2].stopped and restored.turns[2].partial == "写到一半"
    assert restored.history() == conv.history()
    n = restored.turns[0].answer.citations[0].n
    _, panel = ui.select_citation(restored, f"cite-0-{n}")
    assert "selected" in panel and "<mark>" in panel


@pytest.mark.parametrize("saved", [None, {}, "junk", {"version": 99, "turns": []}, {"version": 1, "turns": [5]}])
def test_nothing_or_something_unreadable_saved_gives_an_empty_chat(saved):
    chat, conv, sources = ui.restore(saved)
    assert chat == [] and conv.turns == [] and sources == ui.SOURCES_EMPTY


def test_clear_saves_an_empty_conversation(backend):
    run(backend, QUESTION, generator="extractive")
    _, _, conv, _, _ = ui.clear_chat()
    assert ui.restore(ui.save(conv))[1].turns == []


# ---------------------------------------------------------------------- feedback
def test_rating_and_comment_land_in_the_feedback_log(backend, tmp_path, monkeypatch):
    log_path = tmp_path / "fb" / "feedback.jsonl"
    monkeypatch.setattr(backend, "settings", backend.settings.replace(feedback_path=str(log_path)))
    conv = run(backend, QUESTION, generator="extractive", k=4, retrieval="bm25")[-1][2]
    chat, conv, note, target = ui.rate(backend, conv, 1, True)  # message 1: the first answer
    assert target == 0 and "saved" in note and "liked" in chat[1]["content"]
    note, box, target = ui.comment(backend, conv, 0, "数字对，来源也对")
    assert "Comment saved" in note and box == "" and target is None
    from rag.evaluation.feedback import FeedbackLog

    [entry] = FeedbackLog(log_path).entries()
    answer = conv.turns[0].answer
    assert entry["question"] == QUESTION and entry["answer"] == answer.text and entry["rating"] == "up"
    assert entry["comment"] == "数字对，来源也对" and entry["generator"] == "extractive"
    assert entry["settings"] == {"generator": "extractive", "k": 4, "retrieval": "bm25"}
    assert [c["chunk_id"] for c in entry["citations"]] == [c.chunk_id for c in answer.citations]
    assert entry["time"].endswith("Z")
    ui.rate(backend, conv, 1, False)  # changed mind: the same entry, now down
    assert [e["rating"] for e in FeedbackLog(log_path).entries()] == ["down"]
    _, conv, note, target = ui.rate(backend, conv, 1, None)  # withdrawn
    assert FeedbackLog(log_path).entries() == [] and target is None


def test_only_finished_answers_can_be_rated(backend):
    conv = ui.Conversation(turns=[ui.Turn(question="q", partial="半", stopped=True)])
    _, _, note, target = ui.rate(backend, conv, 1, True)
    assert target is None and "finished answer" in note
    assert "Rate an answer first" in ui.comment(backend, conv, None, "x")[0]


# ---------------------------------------------------------------------- copy and export
def test_copy_and_export_carry_the_sources(backend):
    conv = run(backend, QUESTION, generator="extractive")[-1][2]
    conv = run(backend, "重庆如何打造数字产业集群？", conv, generator="extractive")[-1][2]
    conv.turns.append(ui.Turn(question="停下的问题", partial="写到一半", stopped=True))
    first = conv.turns[0].answer
    copied = ui.copy_answer(conv, "copy-0")
    assert copied.startswith(f"**Q:** {QUESTION}") and "## 来源 · Sources" in copied
    assert first.citations[0].chunk_id in copied and EVIDENCE in copied.replace(" ", "")
    assert ui.copy_answer(conv, "copy-2") == "" and ui.copy_answer(conv, "cite-0-1") == ""
    doc = ui.export_conversation(conv)
    assert doc.index("## 1. ") < doc.index("## 2. ") < doc.index("## 3. 停下的问题") < doc.index("## 来源 · Sources")
    assert "no answer: stopped or failed" in doc
    cited = {c.chunk_id for t in conv.turns if t.answer for c in t.answer.citations}
    sources = doc[doc.index("## 来源 · Sources"):]
    assert all(f"`{cid}`" in sources for cid in cited)
    assert sources.count("\n[") == len(cited)  # one number per passage, however often cited
