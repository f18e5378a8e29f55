"""The "extractive" generator: no language model at all.

It reads the numbered passages out of the prompt (rag.answering.prompts builds it, so the
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

from ...text import measures as evidence
from .. import prompts, selection as sentences
from .base import Generator, Message

# A second sentence is added when it scores at least this share of the best one:
# questions such as "分别..." or "which two..." are often answered across two sentences.
SECOND_SENTENCE_RATIO = 0.8


def pick_sentences(
    question: str,
    passages: Sequence[tuple[int, str, str]],
    *,
    embedder=None,
    limit: int = 2,
) -> list[tuple[float, int, str]]:
    """[(score, n, sentence)] best first: the passage sentences that best answer the
    question, ranked by rag.answering.selection (IDF from the passages themselves)."""
    weights = sentences.UnitWeights(t for _, _, t in passages)
    ranked = sentences.rank(question, passages, embedder=embedder, weights=weights)
    if not ranked:
        return []
    best = ranked[0]
    picked = [best]
    for cand in ranked[1:]:
        if len(picked) >= limit:
            break
        if best.score > 0 and cand.score >= SECOND_SENTENCE_RATIO * best.score and cand.text != best.text:
            picked.append(cand)
    return [(p.score, p.n, sentences.shorten(p.text, question)) for p in picked]


def render(picked: Sequence[tuple[float, int, str]], english: bool) -> str:
    """Picked sentences in passage order, each closed by its [n]."""
    text = "".join(f"{s.rstrip('。；;')}[{n}]。" for _, n, s in sorted(picked, key=lambda p: p[1]))
    return prompts.EXTRACTIVE_EN_LEAD + text if english and text else text


class ExtractiveGenerator(Generator):
    name = "extractive"
    concurrency = None  # picks sentences in milliseconds: nobody needs to wait in line
    is_language_model = False
    context_unit = "passages"  # no prompt-length cost, so give it whole passages

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
                from ...retrieval.embedders import make_embedder

                self._embedder = make_embedder(self.settings.embedder, self.settings)
            return self._embedder

    def use_embedder(self, embedder) -> None:
        """Share an already-loaded embedder (the Assistant's) instead of loading another."""
        with self._lock:
            self._embedder = embedder

    def stream(self, messages: list[Message], *, max_tokens=None, temperature=None, stop=None,
               probe=None) -> Iterator[str]:
        parsed = prompts.parse_messages(messages)
        if parsed is None:
            return  # not an answering prompt (e.g. a rewrite request): nothing to extract
        question, passages, english = parsed
        # Chinese questions are ranked by shared terms alone (instant); an English question
        # shares no characters with Chinese text and needs the multilingual embedder
        embedder = self.embedder() if not evidence.is_cjk(question) else None
        text = render(pick_sentences(question, passages, embedder=embedder), english)
        if text:
            yield text
