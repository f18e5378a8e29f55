"""The model's own check of its answer, after the answer is written (the Verify stage).

A small model copies confidently from a sentence about something next to what was asked
(asked for Guiyang's mayor, it names the city's party secretary; asked what a fish's
body length is, it gives a neighbour species'). Asked afterwards, in a short prompt of its
own, whether the passages the answer cites state that answer for what the question asks
about, the same model is less easily fooled than while writing: its probability of "否"
(no) against "是" (yes) on the first token is the decision's signal `model_unverified`.

A second question in the same prompt's frame asks whether those passages answer the question
at all, without the answer: `model_unanswered`. Shown an answer, the small model tends to
accept it when its words are in the passages ("郭麐号白眉生的原因是运载火箭第三级在轨发生爆炸",
confirmed at 0.92); asked only whether the passages answer "郭麐号白眉生的原因是什么", it is less
easily led. Both prompts open with the same passages and question, so the second reads only a
few new tokens from the model's cached prefix.

`check_messages` and `answered_messages` build those prompts from what an Answer and a stored
evaluation row both hold (the question, the final text, the shown sentences with their passage
numbers, the passages' titles), so a decision fitted on stored rows reads the value the
pipeline measures.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..text import polar
from ..text.variants import fold
from . import prompts
from .generators.base import Generator, Message

CHECK_SYSTEM = "你是严谨的核查员：只根据给出的资料判断，不用自己的知识。"
CHECK_USER = ("资料：\n{passages}\n\n问题：{question}\n回答：{answer}\n\n"
              "资料有没有明确说出这个回答？回答里说的对象必须就是问题问的对象。只答“是”或“否”。")
# asked without the answer. Chosen on stored development rows (cmrc-given and NoMIRACL, the
# suites whose unanswerable answers the first check confirms most): the cited passages rank
# their unanswerable questions above the others at AUC 0.923 / 0.804 (the first check 0.851 /
# 0.788), every shown passage at 0.898 / 0.709
ANSWERED_USER = ("资料：\n{passages}\n\n问题：{question}\n\n"
                 "资料里有没有直接回答这个问题的话？问题问的对象必须就是资料说的对象。只答“是”或“否”。")
YES, NO = "是", "否"
_MARKER = re.compile(r"\[(\d+)\]")


def cited_passages(answer: str, shown: Sequence[tuple[int, str]], titles: Mapping[int, str]) -> str:
    """What both checks show of the passages. `shown`: the sentences the model was shown as
    (passage number, text), best first; only the passages the answer cites are put in (all,
    when it cites none of them), each on one line headed by its title."""
    cited = {int(n) for n in _MARKER.findall(answer)}
    kept = [(n, t) for n, t in shown if n in cited] or list(shown)
    by_passage: dict[int, list[str]] = {}
    for n, text in kept:
        by_passage.setdefault(n, []).append(text)
    return "\n".join(f"《{titles.get(n, '')}》" + "".join(texts) for n, texts in sorted(by_passage.items()))


def _messages(user: str) -> list[Message]:
    # read in simplified characters, the script the small model knows best: on the traditional
    # CMRC split the check alone ranks the answers to unanswerable questions above the others
    # with AUC 0.959 as written, 0.971 in simplified. The checks only answer 是/否: nothing
    # they read is shown to the user, whose answer keeps the passages' script
    return [{"role": "system", "content": CHECK_SYSTEM}, {"role": "user", "content": fold(user)}]


def check_messages(question: str, answer: str, shown: Sequence[tuple[int, str]],
                   titles: Mapping[int, str]) -> list[Message]:
    """The check's prompt: the cited passages (`cited_passages`), the question, the answer
    without its citation markers."""
    return _messages(CHECK_USER.format(passages=cited_passages(answer, shown, titles), question=question,
                                       answer=_MARKER.sub("", answer).strip()))


def answered_messages(question: str, answer: str, shown: Sequence[tuple[int, str]],
                      titles: Mapping[int, str]) -> list[Message]:
    """The second check's prompt: the same passages and question as `check_messages`, no answer
    (the answer only chooses the passages)."""
    return _messages(ANSWERED_USER.format(passages=cited_passages(answer, shown, titles), question=question))


def misreads(question: str, answer: str) -> bool:
    """Would the check misread this answer? "苏镜宇进入过上海申花一队吗？" answered "苏镜宇没有进入
    上海申花一队" from a passage that says so: asked whether the passages state that answer, the
    small model reads the answer's "没有" as its own "否" (0.62-0.76 on such answers in the
    cmrc-polar suite). So a yes/no question answered no by negating its claim is not checked."""
    return polar.is_polar(question) and polar.stated_verdict(answer, question) == "no"


def _said_no(build, generator: Generator, question: str, answer: str, shown: Sequence[tuple[int, str]],
             titles: Mapping[int, str]) -> float | None:
    """P("否") / (P("是") + P("否")) on the first token of the reply to `build`'s prompt (0.5
    when neither is seen): 1.0 for an answer that is a refusal or empty (nothing the passages
    could state), None when the backend reports no first-token probabilities or the model would
    misread the answer (`misreads`)."""
    if not answer.strip() or prompts.is_refusal_reply(answer):
        return 1.0
    if not generator.supports_probe or misreads(question, answer):
        return None
    generator.complete(build(question, answer, shown, titles), max_tokens=1, temperature=0.0, probe=[YES, NO])
    seen = (generator.last_usage or {}).get("probe") or {}
    yes, no = float(seen.get(YES, 0.0)), float(seen.get(NO, 0.0))
    return no / (yes + no) if yes + no > 0 else 0.5


def unverified(generator: Generator, question: str, answer: str, shown: Sequence[tuple[int, str]],
               titles: Mapping[int, str]) -> float | None:
    """The check's "no" to whether the cited passages state the answer (`check_messages`,
    read by `_said_no`)."""
    return _said_no(check_messages, generator, question, answer, shown, titles)


def unanswered(generator: Generator, question: str, answer: str, shown: Sequence[tuple[int, str]],
               titles: Mapping[int, str]) -> float | None:
    """The second check's "no" to whether the cited passages answer the question at all
    (`answered_messages`, read by `_said_no`). Its prompt holds no answer, yet the model still
    reads the passage's negation in a yes/no question answered no as its own "否"
    ("青溪市图书馆新馆设立了古籍修复中心吗？" over "新馆没有设立古籍修复中心": 0.90), so it is not asked
    of those either."""
    return _said_no(answered_messages, generator, question, answer, shown, titles)
