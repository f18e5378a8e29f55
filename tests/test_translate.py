"""English questions over Chinese documents searched in the model's Chinese rendering
(rag.answering.translate), with a fake model: when it is asked, what is kept, what the
search and the evidence ranking read, and what the answering prompt still says."""
from __future__ import annotations

import pytest

from rag.answering import prompts, translate
from rag.answering.generators.extractive import ExtractiveGenerator
from rag.config import Settings

from fakes import FakeGenerator

RENDERING = "重庆如何优化算力资源布局？"
QUESTION = "How will Chongqing optimise the layout of its computing-power resources?"


@pytest.fixture(autouse=True)
def empty_cache():
    translate._cache.clear()
    yield
    translate._cache.clear()


class Failing(FakeGenerator):
    def stream(self, messages, **kwargs):
        raise RuntimeError("model server down")


@pytest.mark.parametrize("reply, kept", [
    (RENDERING, RENDERING),
    ("译文：" + RENDERING + "\n(This asks about computing power.)", RENDERING),
    ("“" + RENDERING + "”", RENDERING),
    ("How will Chongqing optimise its computing power?", None),  # not Chinese
    (prompts.NO_ANSWER, None),  # the answering habit, not a rendering
    ("重庆" * 200, None),  # far longer than the question
    ("1960年代重庆如何优化算力资源布局？", None),  # a year the question does not give
    ("2025年", None),  # an answer, not a rendering
    ("", None),
])
def test_only_a_chinese_rendering_is_kept(reply, kept):
    assert translate.clean(reply, QUESTION) == kept


def test_asked_only_for_english_questions_over_chinese_documents_with_a_model():
    lm = FakeGenerator(RENDERING)
    assert translate.wanted(QUESTION, lm, "model", corpus_is_chinese=True)
    assert translate.wanted("How many users does the Yukuaiban (渝快办) app have?", lm, "model", corpus_is_chinese=True)
    assert not translate.wanted("重庆如何优化算力布局？", lm, "model", corpus_is_chinese=True)
    assert not translate.wanted(QUESTION, lm, "off", corpus_is_chinese=True)
    assert not translate.wanted(QUESTION, lm, "model", corpus_is_chinese=False)
    assert not translate.wanted(QUESTION, ExtractiveGenerator(Settings()), "model", corpus_is_chinese=True)


def test_rendering_shares_the_answering_prefix_and_is_cached():
    lm = FakeGenerator(RENDERING)
    assert translate.search_text(QUESTION, lm) == RENDERING
    assert translate.search_text(QUESTION, lm) == RENDERING
    assert len(lm.prompts) == 1  # the second time from the cache
    prompt = lm.prompts[0]
    # the llama.cpp context keeps the answering prompt's evaluated prefix
    assert prompt[: len(prompts.prefix_messages())] == prompts.prefix_messages()
    assert QUESTION in prompt[-1]["content"]


def test_a_failing_or_useless_model_means_searching_the_question_as_asked():
    assert translate.search_text(QUESTION, Failing()) is None
    assert translate.search_text(QUESTION, FakeGenerator("I cannot translate that.")) is None
    assert not translate._cache  # nothing useless is remembered


def test_english_question_is_searched_and_ranked_in_chinese_but_answered_in_english(hash_assistant):
    lm = FakeGenerator([RENDERING, "\"优化算力资源布局\" [1]."])
    hash_assistant.register_generator(lm, "fake")
    events = list(hash_assistant.ask_stream(QUESTION, generator="fake"))
    assert [e.text for e in events if e.kind == "status"] == [RENDERING]
    answer = events[-1].answer
    # the passages are those of both searches, fused: the rendering's count
    depth = translate.FUSION_DEPTH
    fused = translate.fuse(hash_assistant.retrieve(QUESTION, k=depth), hash_assistant.retrieve(RENDERING, k=depth),
                           hash_assistant.settings.k)
    assert [h.chunk.id for h in answer.hits] == [h.chunk.id for h in fused]
    assert [h.chunk.id for h in answer.hits] != [h.chunk.id for h in hash_assistant.retrieve(QUESTION)]
    assert f"searched in Chinese as: {RENDERING}" in answer.notes
    assert "translate" in answer.timings
    # the model still answers the English question, shown its Chinese rendering beside it
    assert len(lm.prompts) == 2
    turn = lm.prompts[1][-1]["content"]
    assert turn.endswith(f"Question: {QUESTION}" + prompts.RENDERING_EN.format(rendering=RENDERING))
    assert lm.prompts[1][:-1] == prompts.prefix_messages()  # the cached prefix is unchanged
    assert answer.question == QUESTION and answer.standalone_question == QUESTION


def test_fusion_ranks_by_reciprocal_rank_and_renumbers():
    from rag.types import Chunk, Hit

    def hits(*ids):
        return [Hit(rank=r, score=1.0, chunk=Chunk(id=i, text=i, source="s", section="", author="", paragraph=1, char_start=0, char_end=1)) for r, i in enumerate(ids, 1)]

    fused = translate.fuse(hits("a", "b", "c"), hits("c", "d", "a"), k=3)
    # a: 1/11 + 1/13, c: 1/13 + 1/11 (a tie, as asked first), then b (1/12) over d (1/12)
    assert [h.chunk.id for h in fused] == ["a", "c", "b"]
    assert [h.rank for h in fused] == [1, 2, 3]
    assert fused[0].score > fused[2].score


def test_setting_off_searches_the_english_question(hash_settings):
    from rag import Assistant

    a = Assistant.load(hash_settings.replace(translate_questions="off"))
    lm = FakeGenerator("\"优化算力资源布局\" [1].")
    a.register_generator(lm, "fake")
    answer = a.ask(QUESTION, generator="fake")
    assert len(lm.prompts) == 1
    assert "The question in Chinese" not in lm.prompts[0][-1]["content"]
    assert not any(n.startswith("searched in Chinese") for n in answer.notes)
    assert [h.chunk.id for h in answer.hits] == [h.chunk.id for h in a.retrieve(QUESTION)]


def test_unknown_mode_is_refused_with_the_choices():
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="translate_questions must be"):
        Settings(translate_questions="always")


def test_the_rendering_is_shown_only_beside_an_english_question():
    passages = [(1, "", "重庆将优化算力资源布局。")]
    english = prompts.user_turn(QUESTION, passages, True, RENDERING)
    assert english.endswith(f"Question: {QUESTION}\n(The question in Chinese: {RENDERING})")
    assert prompts.user_turn(QUESTION, passages, True) == prompts.user_turn(QUESTION, passages, True, "")
    assert "The question in Chinese" not in prompts.user_turn(QUESTION, passages, True, QUESTION)  # nothing rendered
    chinese = prompts.user_turn(RENDERING, passages, False, RENDERING)
    assert chinese.endswith(f"问题：{RENDERING}") and "The question in Chinese" not in chinese


def test_evidence_state_searches_an_english_question_as_ask_stream_does(hash_assistant):
    lm = FakeGenerator([RENDERING, "\"优化算力资源布局\" [1]."])
    hash_assistant.register_generator(lm, "fake")
    state = hash_assistant.evidence_state(QUESTION, generator="fake")
    answer = hash_assistant.ask(QUESTION, generator="fake")  # the rendering is cached: one model call each
    assert len(lm.prompts) == 2
    assert [h.chunk.id for h in state.hits] == [h.chunk.id for h in answer.hits]
    assert [h.chunk.id for h in state.hits] != [h.chunk.id for h in hash_assistant.retrieve(QUESTION)]
    assert [(s.n, s.text) for s in state.shown] == [(e.n, e.text) for e in answer.evidence]
