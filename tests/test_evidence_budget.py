"""Evidence sized to the question: lists, reasons and ways get more sentences, a single
figure or name gets one (rag.answering.selection.budget_for), in Chinese and English,
with the sizes taken from the settings."""
from dataclasses import replace

import pytest

from rag.answering import selection as S
from rag.answering.state import AskOptions
from rag.config import Settings
from rag.errors import ConfigError


@pytest.mark.parametrize("question, kind", [
    ("重庆要和哪些西部城市一起建设产业走廊？", "many"),
    ("为什么要建设公共算力平台？", "many"),
    ("供给方式应当怎样转变？", "many"),
    ("如何保障平台从业者的权益？", "many"),
    ("文章提出要从哪三个维度发力？", "many"),
    ("Why does Chongqing build computing hubs?", "many"),
    ("How are leading platforms supervised?", "many"),
    ("重庆拥有多少个制造业大类？", "one"),
    ("这篇决策建议的作者是谁？", "one"),
    ("How many data classes are catalogued?", "one"),
    ("Who wrote the piece on platforms?", "one"),
    ("唐于渝担任什么职务？", "some"),
    ("What does the platform-economy piece propose?", "some"),
])
def test_question_kind_from_its_wording(question, kind):
    assert S.question_kind(question) == kind


def test_the_budget_comes_from_the_settings_sizes():
    opts = AskOptions.from_settings(Settings(), context_chars=150)
    assert opts.context_chars_wide == Settings().context_chars_wide
    wide = S.budget_for("有哪些举措？", opts)
    assert (wide.kind, wide.chars, wide.sentences) == ("many", opts.context_chars_wide, opts.context_sentences_wide)
    assert S.budget_for("编目了多少类？", opts) == S.Budget("one", opts.context_chars_one, opts.context_sentences_one)
    assert S.budget_for("文章的主题是什么？", replace(opts, context_sentences=2)) == S.Budget("some", 150, 2)


def test_a_figure_question_is_shown_fewer_sentences_than_a_list_question():
    ranked = [S.Scored(1.0 - i / 10, 1, i, f"第{i}句话，说了一件相关的事情，还有一些细节补充在这里。") for i in range(8)]
    opts = AskOptions.from_settings(Settings())
    one = S.budget_for("有多少家？", opts)
    many = S.budget_for("有哪些举措？", opts)
    shown_one = S.select(ranked, one.chars, max_sentences=one.sentences)
    assert len(shown_one) == opts.context_sentences_one
    assert len(S.select(ranked, many.chars, max_sentences=many.sentences)) > len(shown_one)
    narrow = replace(opts, context_chars=60, context_sentences=1)
    assert len(S.select(ranked, narrow.context_chars, max_sentences=narrow.context_sentences)) == 1


def test_the_sizes_are_validated_settings():
    assert Settings.load(context_sentences_wide=8).context_sentences_wide == 8
    with pytest.raises(ConfigError):
        Settings().replace(context_sentences_one=0)
