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
from rag.generators.base import Generator  # noqa: E402
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
    progress, summary, failures = updates[-1]
    assert "hit@1" in summary and "citation_precision" in summary and "3 questions" in summary
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
