"""CMRC 2018 with given passages: each question is answered from five passages handed to it,
not from an index, the way a caller of the Python API passes its own passages (and the way
NoMIRACL is asked).

An answerable question gets the passage holding its answer, up to two other passages of its
own article that do not hold the answer (on the topic, wrong for the question), and passages
of other articles as noise. An unanswerable question gets only passages without its answer:
up to three of its own article, the rest noise. Topical passages that do not answer are what
a refusal decision fitted only on "the question's article is not indexed" never sees; this
suite puts them among the rows it is fitted on.

Passages are pieces of an article of at most PIECE_CHARS characters, cut at sentence ends.
The questions come from the articles the split suite does not index, leaving out any question
that suite asks (`exclude_of`), so no question is in two suites.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from ..types import Chunk
from .cmrc_split import SENTENCE, CmrcArticle, answer_sentence, split_ids
from .gold import GoldItem

PIECE_CHARS = 260   # about one index chunk of a CMRC article
PASSAGES = 5
SAME_ARTICLE_ANSWERABLE = 2    # topical passages beside the answer's own
SAME_ARTICLE_UNANSWERABLE = 3
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Piece:
    article_id: str
    title: str
    text: str


def pieces(article: CmrcArticle, limit: int = PIECE_CHARS) -> list[Piece]:
    """The article's text cut into runs of whole sentences of at most `limit` characters (a
    longer sentence is a piece of its own)."""
    out, current = [], ""
    for m in SENTENCE.finditer(article.text):
        sentence = m.group()
        if not sentence:
            continue
        if current and len(current) + len(sentence) > limit:
            out.append(current)
            current = ""
        current += sentence
    if current.strip():
        out.append(current)
    return [Piece(article.id, article.title, p.strip()) for p in out if p.strip()]


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1) if _CJK.match(text[i]) and _CJK.match(text[i + 1])}


def _overlap(question: set[str], piece: Piece) -> int:
    return len(question & _bigrams(piece.text))


def _holds(piece: Piece, answers: tuple[str, ...]) -> bool:
    return any(a in piece.text for a in answers)


def _as_chunks(qid: str, chosen: list[Piece]) -> list[Chunk]:
    return [Chunk(id=f"cmrc-given:{qid}:{i}", text=p.text, source=p.article_id, section=p.title, author="",
                  paragraph=i + 1, char_start=0, char_end=len(p.text)) for i, p in enumerate(chosen, 1)]


def _fill(rng: random.Random, chosen: list[Piece], pool: list[Piece], qgrams: set[str],
          answers: tuple[str, ...], article_id: str) -> list[Piece]:
    """Noise up to PASSAGES: the other article's piece closest to the question first, then
    random ones; none from the question's own article, none holding an answer."""
    others = [p for p in pool if p.article_id != article_id and not _holds(p, answers)]
    closest = max(others, key=lambda p: _overlap(qgrams, p))
    out = chosen + [closest]
    while len(out) < PASSAGES:
        p = rng.choice(others)
        if p not in out:
            out.append(p)
    return out


def build_given_suite(articles: list[CmrcArticle], *, n_answerable: int, n_unanswerable: int, seed: int,
                      split_seed: int, exclude: set[str] = frozenset(),
                      piece_chars: int = PIECE_CHARS) -> tuple[list[GoldItem], list[GoldItem], dict[str, list[Chunk]]]:
    """(answerable, unanswerable, passages): gold items of both kinds and each question's
    passages by question text. Deterministic in its arguments."""
    _, held_out = split_ids([a.id for a in articles], split_seed)
    by_id = {a.id: a for a in articles}
    cut = {aid: pieces(by_id[aid], piece_chars) for aid in held_out}
    pool = [p for aid in held_out for p in cut[aid]]
    candidates = [(by_id[aid], q) for aid in held_out for q in by_id[aid].questions if q.id not in exclude]
    rng = random.Random(seed)
    rng.shuffle(candidates)
    answerable: list[GoldItem] = []
    unanswerable: list[GoldItem] = []
    passages: dict[str, list[Chunk]] = {}
    for article, q in candidates:
        if q.question in passages or len(cut[article.id]) < 2:
            continue
        qgrams = _bigrams(q.question)
        own = [p for p in cut[article.id] if not _holds(p, q.answers)]
        own.sort(key=lambda p: -_overlap(qgrams, p))
        if len(answerable) < n_answerable:
            evidence = answer_sentence(article.text, q.answer_start, q.answers[0])
            home = next((p for p in cut[article.id] if evidence in p.text and _holds(p, q.answers)), None)
            if home is None:
                continue  # the answer's sentence crosses a piece boundary
            chosen = _fill(rng, [home] + own[:SAME_ARTICLE_ANSWERABLE], pool, qgrams, q.answers, article.id)
            answerable.append(GoldItem(f"given-{q.id}", q.question, q.answers, (evidence,), True, "zh"))
        elif len(unanswerable) < n_unanswerable:
            chosen = _fill(rng, own[:SAME_ARTICLE_UNANSWERABLE], pool, qgrams, q.answers, article.id)
            unanswerable.append(GoldItem(f"given-{q.id}", q.question, (), (), False, "zh"))
        else:
            break
        rng.shuffle(chosen)
        passages[q.question] = _as_chunks(q.id, chosen)
    return answerable, unanswerable, passages
