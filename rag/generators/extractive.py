"""The "extractive" generator: no language model at all.

It reads the numbered passages out of the prompt (rag.prompts builds it, so the
format is ours), picks the sentences that best match the question and returns
them verbatim with their [n]. Instant, deterministic, never invents anything:
useful offline, in tests, and as the fallback when a model gives no answer.

Chinese questions are matched by shared character bigrams; English questions
against Chinese passages need meaning, so they are ranked with the configured
multilingual embedder (loaded on first English question).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import numpy as np

from .. import evidence, prompts, relevance
from .base import Generator, Message

# A second sentence is added when it scores at least this share of the best one:
# questions such as "分别..." or "which two..." are often answered across two sentences.
SECOND_SENTENCE_RATIO = 0.8
MAX_SENTENCE_CHARS = 160
SHORT_LEAD_CHARS = 30  # a run-on sentence is cut around its best-matching stretch


def pick_sentences(
    question: str,
    passages: Sequence[tuple[int, str, str]],
    *,
    embedder=None,
    limit: int = 2,
) -> list[tuple[float, int, str]]:
    """[(score, n, sentence)] best first: the passage sentences that best answer the question."""
    candidates = [(n, s) for n, _section, text in passages for s in _units(text)]
    if not candidates:
        return []
    scores = relevance.scores(question, [s for _, s in candidates], embedder)
    if not relevance.uses_embeddings(question, embedder):
        terms = len(evidence.question_terms(question)) or 1
        wants_figure = evidence.asks_quantity(question)
        years = evidence.asks_year(question)
        for i, (_, s) in enumerate(candidates):
            scores[i] /= terms
            if wants_figure and evidence.quantities(s, years=years):
                scores[i] += 0.15  # the question asks "how many": prefer sentences holding a figure
    # earlier passages rank higher in retrieval: break near-ties in their favour
    ranked = sorted(((sc - 0.01 * n, n, s) for (n, s), sc in zip(candidates, scores)), key=lambda x: -x[0])
    best = ranked[0]
    picked = [best]
    for cand in ranked[1:]:
        if len(picked) >= limit:
            break
        if best[0] > 0 and cand[0] >= SECOND_SENTENCE_RATIO * best[0] and cand[2] != best[2]:
            picked.append(cand)
    return [(sc, n, _shorten(s, question)) for sc, n, s in picked]


def _units(text: str) -> list[str]:
    """Sentences, with a short lead sentence ("二是深化产业融合。") joined to the one after
    it: such leads name the topic and the next sentence holds the facts."""
    out: list[str] = []
    pending = ""
    for sentence in evidence.split_sentences(text):
        if pending:
            out.append(pending + sentence)
            pending = ""
        elif len(sentence) < SHORT_LEAD_CHARS:
            pending = sentence
        else:
            out.append(sentence)
    if pending:
        out.append(pending)
    return out


def _shorten(sentence: str, question: str) -> str:
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return sentence
    clauses = [c for c in sentence.replace("，", "，\n").split("\n") if c]
    terms = evidence.question_terms(question)
    scores = [len(terms & evidence.units(c)) for c in clauses]
    best = int(np.argmax(scores))
    start, end = best, best + 1
    # grow the window towards whichever neighbour matches more, within the size cap
    while True:
        grown = False
        for cand in sorted((i for i in (start - 1, end) if 0 <= i < len(clauses)), key=lambda i: -scores[i]):
            lo, hi = min(start, cand), max(end, cand + 1)
            if sum(len(c) for c in clauses[lo:hi]) <= MAX_SENTENCE_CHARS:
                start, end, grown = lo, hi, True
                break
        if not grown:
            break
    return "".join(clauses[start:end]).rstrip("，")


class ExtractiveGenerator(Generator):
    name = "extractive"
    wants_full_passages = True  # no prompt-length cost, so give it whole passages

    def __init__(self, settings):
        super().__init__(settings)
        self._embedder = None
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return "extractive (no language model: best-matching passage sentences)"

    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from ..embedders import make_embedder

                self._embedder = make_embedder(self.settings.embedder, self.settings)
            return self._embedder

    def stream(self, messages: list[Message], *, max_tokens=None, temperature=None, stop=None) -> Iterator[str]:
        parsed = prompts.parse_messages(messages)
        if parsed is None:
            return  # not an answering prompt (e.g. a rewrite request): nothing to extract
        question, passages, english = parsed
        embedder = self.embedder() if english else None
        picked = pick_sentences(question, passages, embedder=embedder)
        if not picked:
            return
        text = "".join(f"{s.rstrip('。；;')}[{n}]。" for _, n, s in sorted(picked, key=lambda p: p[1]))
        if english:
            text = prompts.EXTRACTIVE_EN_LEAD + text
        yield text
