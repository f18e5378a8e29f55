"""English questions over Chinese documents, searched in Chinese.

The lexical index sees nothing of an English question over Chinese passages, and the
general dictionary (rag.retrieval.bilingual) knows common words but not a question's
names or phrasing. The answering model does: it renders the question in Chinese once,
and retrieval and the ranking of evidence sentences read that rendering, while the model
still answers the English question in English. Measured on cmrc-en (77 answerable
English questions over the Chinese CMRC split, benchmarks in the README): passages
holding the answer in the top 5, 0.83 -> 0.88-0.94, at about a second of model time.

The prompt shares the answering prompt's fixed prefix (rag.answering.prompts), so the
llama.cpp context keeps that prefix evaluated: a prompt of its own would cost the next
answer a re-evaluation of the whole prefix (several seconds on two cores).

The passages are those of two searches fused by reciprocal rank: the rendering's and the
English question's. Neither wins everywhere: a rendering loses names the model cannot
transliterate (cmrc-en2, with pinyin and usual English names: top-5 0.94 as asked, 0.86
rendered), the English question misses what only Chinese words find (cmrc-en: 0.83 as
asked, 0.92 rendered); fused, 0.96 and 0.91.

The model guesses the characters of a name given in pinyin (白羽峰 for "Bai Yuefeng"): the
corpus' own spellings of such names (rag.retrieval.pinyin) are added to the rendering the
caller searches with (rag.assistant).

A rendering is used only when it looks like one: Chinese, not a refusal, not much longer
than the question, no figure the question does not give. Otherwise, and whenever the model fails, the English question is
searched as before. Renderings are cached per model and question.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict

from ..text.script import has_cjk, is_chinese
from ..types import Hit
from . import prompts
from .generators.base import Generator

log = logging.getLogger(__name__)

MAX_TOKENS = 80  # a question, not an essay: a longer reply is cut and then refused as too long
CACHE_SIZE = 1024

# One worked example inside the turn: the answering prompt's examples teach copying
# passages, so the turn says what to do and shows the shape of the reply once. The example
# holds no figure: with one ("in the 1960s") the model put "1960年" into renderings of
# questions that gave no year (19 of the English development suites' 179 renderings held a
# figure the question does not give, 9 without it; those left are refused by clean()).
TURN = ("翻译成中文（只输出译文）：\nWhich animal killed many birds on Guam?\n"
        "哪种动物杀死了关岛的大量鸟类？\n\n翻译成中文（只输出译文）：\n{question}")

FUSION_DEPTH = 20  # passages read from each search
FUSION_C = 10  # reciprocal rank constant: 1 / (C + rank)

_LABEL = re.compile(r"^(译文|翻译|中文|问题|translation|chinese)\s*[:：]\s*", re.IGNORECASE)
_cache: OrderedDict[tuple[str, str], str] = OrderedDict()
_cache_lock = threading.Lock()


def wanted(question: str, generator: Generator | None, mode: str, corpus_is_chinese: bool) -> bool:
    """Is this question to be searched in a Chinese rendering?"""
    # English as the rest of the pipeline reads it (AnswerState.english): a question that
    # names one Chinese word ("How many users does 渝快办 have?") is still English
    return (mode == "model" and corpus_is_chinese and not is_chinese(question)
            and generator is not None and generator.is_language_model)


def clean(reply: str, question: str) -> str | None:
    """The rendering in a model reply, or None when the reply is not one."""
    lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    text = _LABEL.sub("", lines[0]).strip().strip("\"'“”「」")
    if not has_cjk(text) or prompts.is_refusal_reply(text) or len(text) > 2 * len(question) + 20:
        return None
    if any(figure not in question for figure in re.findall(r"\d+", text)):
        return None  # a figure the question does not give: the model answered, or made it up
    return text


def search_text(question: str, generator: Generator) -> str | None:
    """The question rendered in Chinese by the answering model (cached), or None."""
    key = (getattr(generator, "description", generator.name), question.strip())
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    messages = prompts.prefix_messages() + [{"role": "user", "content": TURN.format(question=question.strip())}]
    try:
        reply = generator.complete(messages, max_tokens=MAX_TOKENS, temperature=0.0)
    except Exception as e:  # noqa: BLE001 - any backend failure: search the English question
        log.warning("rendering the question in Chinese with %s failed (%s); searching it as asked", generator.name, e)
        return None
    text = clean(reply, question)
    if text is None:
        log.info("question rendering %r rejected; searching the question as asked", reply[:120])
        return None
    with _cache_lock:
        _cache[key] = text
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return text


def fuse(as_asked: list[Hit], rendered: list[Hit], k: int) -> list[Hit]:
    """The top k passages of two searches by reciprocal rank fusion, renumbered."""
    score: dict[str, float] = {}
    by_id: dict[str, Hit] = {}
    for hits in (as_asked, rendered):  # on a tie the order as asked comes first
        for h in hits:
            score[h.chunk.id] = score.get(h.chunk.id, 0.0) + 1.0 / (FUSION_C + h.rank)
            by_id.setdefault(h.chunk.id, h)
    best = sorted(score, key=lambda cid: -score[cid])[:k]
    return [Hit(rank=r, score=score[cid], chunk=by_id[cid].chunk) for r, cid in enumerate(best, 1)]
