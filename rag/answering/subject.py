"""Is the question about something the documents do not hold, next to something they do?

A question about "交叉笛鲷" over a corpus that has an article on 火斑笛鲷 but none on 交叉笛鲷
retrieves the neighbour, and a small model answers from it ("体侧具一大黑斑", which is true of
the other fish). The signals see a passage that shares most of the question's words; the
model's own checks read the answer in the passage and confirm it. What gives it away is a
name: the question opens with one that nothing retrieved holds, while the passage the answer
cites is titled with another of the same kind, the same final word after a different
modifier (交叉|笛鲷, 火斑|笛鲷; 米泽|车站, 新花卷|车站). Then the documents answer about another
thing, and the answer is refused (stage Cite, code "other_subject").

Only the opening name of a Chinese question is read (rag.text.measures.leading_phrase), in
ideographs alone: a transliterated or Latin name has spellings that differ by more than a
modifier ("罗伯特·霍顿" is "鲍比·霍顿"), and an English question has no opening name here.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..text import measures
from ..text.script import IDEOGRAPHS

# The shared ending that makes two names "of the same kind" is the kind word: 笛鲷, 车站,
# 鹦嘴鱼, 法学院, 足球俱乐部. A longer shared ending is a shared topic, not a kind:
# "城乡高标准农田建设" and a section titled "全面推进高标准农田建设" speak of one thing.
KIND_WORD_MAX = 5
# what tells two things of a kind apart is a modifier of two characters or more ("交叉", "米泽"):
# a one-character difference is as often another spelling of one name
MODIFIER_MIN = 2
_ONLY_IDEOGRAPHS = re.compile(rf"[{IDEOGRAPHS}]+")


def other_subject(question: str, seen: Iterable[str], cited_titles: Iterable[str]) -> tuple[str, str] | None:
    """(the question's subject as it spells it, the cited title) when the question opens with a name that
    `seen` (everything retrieved: the passages' text and titles) never holds, and a cited
    passage's title ends with that name's kind word after another modifier; else None.
    "交叉笛鲷哪里有一个大黑斑？" citing 火斑笛鲷 -> ("交叉笛鲷", "火斑笛鲷"); citing 交叉笛鲷, or
    with 交叉笛鲷 named anywhere retrieved -> None. A title that the opening holds whole is
    the same thing said with more words ("漫画家张静美" and 张静美): None."""
    if not measures.is_cjk(question):
        return None
    lead = measures.squeeze(measures.leading_phrase(question))
    if len(lead) < MODIFIER_MIN + 2 or not _ONLY_IDEOGRAPHS.fullmatch(lead):
        return None  # no opening name, or a transliterated or Latin one (its dots are not ideographs)
    held = measures.squeeze_undotted(" ".join(seen))
    for title in cited_titles:
        plain_title = measures.squeeze_undotted(title)
        if len(plain_title) < 3 or plain_title in lead:
            continue
        kind = _shared_kind_word(lead, plain_title)
        if not kind:
            continue
        name = lead[: lead.index(kind) + len(kind)]  # the opening may run on past the name ("…鹦嘴鱼一般")
        modifier = name[: -len(kind)]
        if len(modifier) < MODIFIER_MIN or modifier in plain_title or name in held:
            continue
        return _as_written(name, question), title
    return None


def _as_written(name: str, question: str) -> str:
    """The name as the question spells it (交叉笛鯛 in a traditional one), when folding kept
    the question's length; else as read (simplified)."""
    folded = measures.fold(question)
    at = folded.find(name)
    return question[at: at + len(name)] if at >= 0 and len(folded) == len(question) else name


def _shared_kind_word(lead: str, title: str) -> str:
    """The longest ending of the title (2 to KIND_WORD_MAX characters, shorter than the
    title) that the question's opening holds, or "" (also when a longer one is held: a
    shared topic, not a kind)."""
    longest = next((k for k in range(len(title) - 1, 1, -1) if title[-k:] in lead), 0)
    return title[-longest:] if 2 <= longest <= KIND_WORD_MAX else ""
