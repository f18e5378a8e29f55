"""rag.answering.condense: follow-ups become standalone questions; standalone questions pass through."""
from __future__ import annotations

import pytest

from rag.answering.condense import condense_question, looks_like_followup, rule_rewrite
from rag.config import Settings
from rag.answering.generators.base import Generator
from rag.answering.generators.extractive import ExtractiveGenerator
from fakes import FakeGenerator

SETTINGS = Settings(condense="model")  # most tests here are about the model rewrite
FIRST = "重庆公共数据资源体系的数据需求满足率是多少？"
HISTORY = [(FIRST, "数据需求满足率为95%[1]。")]


class BrokenGenerator(Generator):
    name = "broken"

    def stream(self, messages, **kwargs):
        raise ConnectionError("server went away")
        yield  # pragma: no cover - makes this a generator function


@pytest.mark.parametrize(
    "question",
    ["那数据安全方面呢？", "那么平台经济呢？", "还有呢？", "它的目标是什么？", "这些措施由谁负责？", "数据安全方面呢",
     "What about data security?", "And the platform economy?", "How is it funded?"],
)
def test_follow_ups_are_recognised(question):
    assert looks_like_followup(question)


@pytest.mark.parametrize(
    "question",
    [FIRST, "重庆2030年的人口目标是多少？", "重庆如何持续推进“人工智能+”行动？",
     "What national designation does Chongqing hold in the digital economy?",
     "Who took the photo of the Changan factory?", ""],
)
def test_standalone_questions_are_not_follow_ups(question):
    assert not looks_like_followup(question)


def test_standalone_question_passes_through_without_asking_the_model():
    gen = FakeGenerator("重写的问题？")
    q = "重庆如何持续推进“人工智能+”行动？"
    assert condense_question(q, HISTORY, gen, SETTINGS) == q
    assert gen.prompts == []


def test_no_history_means_no_rewrite():
    gen = FakeGenerator("重写的问题？")
    assert condense_question("那数据安全方面呢？", [], gen, SETTINGS) == "那数据安全方面呢？"
    assert gen.prompts == []


def test_extractive_generator_uses_the_rule_and_keeps_topic_and_aspect():
    gen = ExtractiveGenerator(SETTINGS)
    out = condense_question("那数据安全方面呢？", HISTORY, gen, SETTINGS)
    assert out == "重庆公共数据资源体系：数据安全方面呢？"


def test_rule_for_bare_more_and_english():
    assert rule_rewrite("还有呢？", HISTORY) == "重庆公共数据资源体系：还有哪些？"
    en = [("How does Chongqing build computing power?", "It builds hubs [1].")]
    assert rule_rewrite("And data security?", en) == "How does Chongqing build computing power: data security?"


def test_rule_swaps_the_aspect_but_keeps_the_whole_topic_for_pronouns():
    # "那Z呢？" asks the previous question about Z: the previous aspect (满足率) would drag
    # retrieval back to the old answer, so only the part before "的" is kept
    assert rule_rewrite("那数据安全方面呢？", HISTORY) == "重庆公共数据资源体系：数据安全方面呢？"
    # a pronoun points at the whole previous subject
    assert rule_rewrite("它的目标是什么？", HISTORY) == "重庆公共数据资源体系的数据需求满足率：它的目标是什么？"


def test_rule_keeps_leading_pronouns():
    # "那些" is a pronoun: dropping its "那" as a connective would leave "些措施"
    assert rule_rewrite("那些措施的效果呢？", HISTORY).endswith("：那些措施的效果呢？")


def test_language_model_rewrite_is_used_and_sees_the_conversation():
    gen = FakeGenerator("独立问题：重庆公共数据资源体系在数据安全方面采取了哪些措施？")
    out = condense_question("那数据安全方面呢？", HISTORY, gen, SETTINGS)
    assert out == "重庆公共数据资源体系在数据安全方面采取了哪些措施？"  # label stripped
    prompt = "\n".join(m["content"] for m in gen.prompts[0])
    assert FIRST in prompt and "那数据安全方面呢？" in prompt and "95%" in prompt


def test_only_the_last_turns_go_into_the_prompt():
    history = [(f"第{i}个问题是什么？", f"回答{i}") for i in range(10)]
    gen = FakeGenerator("第9个问题的数据安全方面如何？")
    condense_question("那数据安全方面呢？", history, gen, SETTINGS)
    prompt = gen.prompts[0][-1]["content"]
    assert "第9个问题" in prompt and "第0个问题" not in prompt


@pytest.mark.parametrize(
    "reply",
    [
        "",  # nothing
        "```python\nprint('数据安全')\n```",  # the coder model writing code
        "重庆强化数据安全治理，打造全链路安全防护体系[2]。",  # an answer, with a citation
        "What measures does Chongqing take on data security?",  # wrong language
        "重庆公共数据资源体系的数据需求满足率是多少？",  # dropped what the follow-up asked
        "那数据安全方面呢？",  # echoed the follow-up
        "重庆" + "数据安全" * 80 + "？",  # far too long
    ],
)
def test_unusable_model_replies_fall_back_to_the_rule(reply):
    gen = FakeGenerator(reply)
    out = condense_question("那数据安全方面呢？", HISTORY, gen, SETTINGS)
    assert out == rule_rewrite("那数据安全方面呢？", HISTORY)
    assert len(gen.prompts) == 1


def test_failing_generator_falls_back_to_the_rule():
    out = condense_question("那数据安全方面呢？", HISTORY, BrokenGenerator(SETTINGS), SETTINGS)
    assert out == rule_rewrite("那数据安全方面呢？", HISTORY)


def test_english_follow_up_with_model():
    history = [("How does Chongqing build computing power?", "It builds cross-region hubs [1].")]
    gen = FakeGenerator("How does Chongqing handle data security in building computing power?")
    out = condense_question("What about data security?", history, gen, SETTINGS)
    assert out == "How does Chongqing handle data security in building computing power?"


def test_default_setting_rewrites_by_rule_without_calling_the_model():
    gen = FakeGenerator("独立问题：重庆公共数据资源体系在数据安全方面采取了哪些措施？")
    out = condense_question("那数据安全方面呢？", HISTORY, gen, Settings())
    assert out == rule_rewrite("那数据安全方面呢？", HISTORY) and gen.prompts == []


@pytest.mark.parametrize("question", ["還有呢？", "這些措施由誰負責？", "這個目標是什麼？", "另外，數據安全方面呢"])
def test_traditional_follow_ups_are_recognised_as_their_simplified_twins(question):
    # before, "還有" and "這些" / "這個" were not in the (simplified) word lists
    assert looks_like_followup(question)


def test_the_rule_rewrites_a_traditional_follow_up_in_traditional():
    history = [("重慶如何推進什麼行動？", "…")]
    # the question words are cut from the topic as written; the connective goes
    assert rule_rewrite("那麼平台經濟呢？", history) == "重慶推進行動：平台經濟呢？"
    assert rule_rewrite("還有呢？", history) == "重慶推進行動：還有哪些？"
    assert rule_rewrite("还有呢？", [("重庆如何推进什么行动？", "…")]) == "重庆推进行动：还有哪些？"
