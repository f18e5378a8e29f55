"""NoMIRACL (zh) as an evaluation suite: each question is answered from its own 10 passages
only, the protocol NoMIRACL was measured with before the suites (the passages ranked lexically
against the question, with term weights over all the suite's passages, the top k kept).
"relevant" questions have an answering passage among them and count as answerable;
"non_relevant" ones have none and must be refused. There are no gold answer strings: the suite
measures the refusal decision, both ways.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

from ..answering import selection
from ..assistant import Assistant
from ..errors import ConfigError, CorpusError
from ..types import Chunk, Hit
from .gold import GoldItem


def _chunks(row: dict) -> list[Chunk]:
    """A passage is "title: text"; the title becomes the chunk's section."""
    out = []
    for i, (docid, text) in enumerate(zip(row["docids"], row["passages"])):
        title, _, body = text.partition(": ")
        if not body:
            title, body = "", text
        out.append(Chunk(id=f"nomiracl:{docid}", text=body, source="nomiracl", section=title, author="",
                         paragraph=i + 1, char_start=0, char_end=len(body)))
    return out


def load_nomiracl(path: str | os.PathLike, *, relevant: int, non_relevant: int,
                  seed: int = 13) -> tuple[list[GoldItem], dict[str, list[Chunk]]]:
    """A seeded sample of each subset, interleaved (any prefix, e.g. --limit, stays balanced),
    and each question's passages by question text."""
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"NoMIRACL file {p} does not exist; set RAG_SHARED_DATA to the folder holding "
                          "nomiracl/zh.test.parsed.jsonl or give the suite's path.")
    try:
        rows = [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
        rng = random.Random(seed)
        rel = [r for r in rows if r["subset"] == "relevant"]
        non = [r for r in rows if r["subset"] != "relevant"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise CorpusError(f"{p} is not a NoMIRACL parsed file ({e}).") from None
    rng.shuffle(rel)
    rng.shuffle(non)
    rel, non = rel[:relevant], non[:non_relevant]
    order = [x for pair in zip(rel, non) for x in pair] + rel[len(non):] + non[len(rel):]
    items, passages = [], {}
    for row in order:
        q = row["query"].strip()
        if q in passages:
            continue  # the same question twice would share one passage list
        passages[q] = _chunks(row)
        items.append(GoldItem(f"nomiracl-{row['query_id']}", q, (), (), row["subset"] == "relevant", "zh"))
    return items, passages


class OwnPassagesAssistant(Assistant):
    """The Assistant with retrieval replaced: a question's hits are its own passages, ranked
    lexically against it. Everything after retrieval (the answering pipeline, the refusal
    decision, the generators) is the base assistant's.

    Term weights (IDF) come from every passage the suite hands out, each once, standing in for
    the corpus an index would hold. Counted over one question's own passages instead, the
    question's subject, which nearly all of them name, weighs almost nothing, and a passage
    about another subject that shares a rarer phrase outranks the answer's ("以色列国土面积多大？"
    ranked "俄罗斯国土面积1707.54万平方公里" above the passage giving Israel's area)."""

    def __init__(self, base: Assistant, passages: dict[str, list[Chunk]]):
        super().__init__(base.settings, base.index, base.embedder)
        self.decisions = base.decisions
        self._passages = passages
        self._pool_weights = None

    def retrieve(self, question: str, k: int | None = None, *, mode: str | None = None,
                 timings: dict | None = None) -> list[Hit]:
        chunks = self._passages.get(question.strip())
        if chunks is None:
            raise ConfigError(f"No given passages for the question {question[:40]!r}.")
        k = self.settings.k if k is None else k
        scores = selection.lexical_scores(question, [c.text for c in chunks], self.unit_weights,
                                          [c.section for c in chunks])
        order = sorted(range(len(chunks)), key=lambda i: -scores[i])[:k]
        return [Hit(rank=r, score=float(scores[i]), chunk=chunks[i]) for r, i in enumerate(order, 1)]

    @property
    def unit_weights(self):
        if self._pool_weights is None:
            # by text: a passage handed to several questions (a NoMIRACL docid, a CMRC piece) is one
            unique = dict.fromkeys(c.text for chunks in self._passages.values() for c in chunks)
            self._pool_weights = selection.UnitWeights(unique)
        return self._pool_weights
