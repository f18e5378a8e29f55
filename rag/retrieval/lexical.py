"""Character n-gram analysis for the lexical (BM25) retriever.

Why characters rather than jieba words: a word segmenter cuts the same phrase
differently depending on its neighbours and its dictionary, so the exact phrase a
user types ("数据需求满足率") can fail to match itself in the passage. Overlapping
character bigrams match every shared substring of two or more characters whatever
the segmentation, and unigrams keep single-character words and rare names
matchable. Latin words and figures ("deepseek", "evtol", "16", "95%") are single
units, so "16万类" gives the bigrams "16万" and "万类".

No dictionary to load: analysis is a regular expression, fast and deterministic,
which is also why the index stores the analyser's name and version (ANALYZER) and
not a word list.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

from ..text.script import IDEOGRAPHS
from ..text.variants import cut_folded

ANALYZER = "char-1-2gram-v1"  # stored in the index; change it whenever tokens could change

_CJK = IDEOGRAPHS
# one unit: a CJK character, a Latin word or a figure (with a decimal part and a percent
# sign); anything else (punctuation, white space) ends the current run of units
_UNIT = re.compile(rf"([{_CJK}])|([a-z0-9]+(?:\.[0-9]+)?%?)|[^{_CJK}a-z0-9]+")

# Question words carry no topic; removed from queries (not from passages) before n-gramming
# so that "率是多少" does not add "多少" or bridge bigrams like "率是". Longest first.
_QUESTION_WORDS = sorted(
    """什么样 什么 哪些 哪个 哪里 哪儿 哪家 哪所 哪位 哪种 哪项 哪类 哪一 哪几 哪两 哪三 哪 多少 多大
    几个 如何 怎样 怎么 为什么 为何 是否 是不是 有没有 吗 呢 吧 请问 分别""".split(),
    key=len, reverse=True,
)
_QUESTION = re.compile("|".join(map(re.escape, _QUESTION_WORDS)))

# English function and question-frame words, dropped from queries only (a passage keeps
# every unit: "IT" in "IT产业" must stay matchable by a query that means it)
EN_STOP = frozenset(
    """a an the of to in on at for from by with about as into over under and or but not no is are was
    were be been being do does did has have had it its this that these those there their they them he
    she his her we our you your i me my what which who whom whose where when why how much many
    should would could can will may might must shall according piece article text feature
    than then so such also both each any all some more most other own same very just""".split()
)


def _normalise(text: str) -> str:
    # NFKC folds full-width Latin letters and digits ("ＡＩ", "９５％") into ASCII
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str, query: bool = False) -> list[list[str]]:
    """The text as runs of units (CJK characters, Latin words, figures); punctuation and
    white space end a run. With query=True, question words are cut out first."""
    text = _normalise(text)
    if query:  # found in simplified, cut as written: a traditional query loses "什麼" as well
        text = cut_folded(_QUESTION, text, " ")
    out: list[list[str]] = []
    cur: list[str] = []
    for m in _UNIT.finditer(text):
        unit = m.group(1) or m.group(2)
        if unit and not (query and unit in EN_STOP):
            cur.append(unit)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def tokens(text: str, query: bool = False) -> list[str]:
    """Unigrams and bigrams of units, within runs."""
    out: list[str] = []
    for run in runs(text, query):
        out.extend(run)
        out.extend(a + b for a, b in zip(run, run[1:]))
    return out


def term_counts(text: str) -> dict[str, int]:
    """A passage as BM25 sees it: token -> count (what the index stores)."""
    return dict(Counter(tokens(text)))
