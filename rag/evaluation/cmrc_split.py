"""CMRC 2018 in a split-corpus protocol: half of the articles become documents that are
indexed, the other half stay out, so questions about them must be refused.

The split depends only on the article ids and a seed (each id is ranked by the sha256 of
"seed:id"), not on file order or Python's hash seed: the same articles are indexed on every
machine, and the hand-written English questions in evals/suites/cmrc_en.jsonl stay on the
right side of it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError

SPLIT_SEED = 2018

# A sentence ends at a Chinese full stop, question or exclamation mark (closing quotes stay
# with it), or at a line break.
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』）)]*|\n|$)")


@dataclass(frozen=True)
class CmrcQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    answer_start: int  # of the first answer in the article's paragraph


@dataclass(frozen=True)
class CmrcArticle:
    id: str
    title: str
    text: str  # the article's one paragraph (every CMRC dev article has exactly one)
    questions: tuple[CmrcQuestion, ...]


def load_articles(path: str | os.PathLike) -> list[CmrcArticle]:
    """The CMRC/SQuAD file as articles, their paragraphs joined by a blank line."""
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"CMRC file {p} does not exist; pass the path of cmrc2018_dev.json.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))["data"]
        articles = []
        for no, art in enumerate(data):
            texts, questions, offset = [], [], 0
            for para in art["paragraphs"]:
                for qa in para["qas"]:
                    seen: list[str] = []
                    for a in qa["answers"]:
                        if a["text"].strip() and a["text"].strip() not in seen:
                            seen.append(a["text"].strip())
                    if seen:
                        first = qa["answers"][0]
                        questions.append(CmrcQuestion(str(qa["id"]), qa["question"].strip(), tuple(seen),
                                                      offset + int(first["answer_start"])))
                texts.append(para["context"])
                offset += len(para["context"]) + 2
            articles.append(CmrcArticle(str(art.get("id", f"ART_{no}")), str(art.get("title", "")).strip(),
                                        "\n\n".join(texts), tuple(questions)))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as e:
        raise CorpusError(f"{p} is not a SQuAD/CMRC-format JSON file ({e}).") from None
    if len({a.id for a in articles}) != len(articles):
        raise CorpusError(f"{p}: article ids are not unique; the split is keyed on them.")
    return articles


def split_ids(ids, seed: int = SPLIT_SEED) -> tuple[list[str], list[str]]:
    """(indexed, held_out): the ids ranked by sha256("seed:id"); the first half (rounded up)
    is indexed. Both lists come back sorted."""
    ranked = sorted(set(ids), key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    half = (len(ranked) + 1) // 2
    return sorted(ranked[:half]), sorted(ranked[half:])


def answer_sentence(text: str, start: int, answer: str) -> str:
    """The sentence of `text` that holds the answer span at `start` (all sentences it spans
    when it crosses a boundary), verbatim and stripped. Falls back to the first occurrence
    of the answer nearest to it when CMRC's offset does not point at it (a few dev offsets
    are off by some characters)."""
    if text[start:start + len(answer)] != answer:
        found = [m.start() for m in re.finditer(re.escape(answer), text)]
        if not found:
            raise CorpusError(f"answer {answer!r} does not occur in its paragraph.")
        start = min(found, key=lambda at: abs(at - start))
    end = start + len(answer)
    lo = hi = None
    for m in _SENTENCE.finditer(text):
        if m.start() == m.end() and m.start() >= len(text):
            break
        if lo is None and m.end() > start:
            lo = m.start()
        if m.end() >= end:
            hi = m.end()
            break
    sentence = text[lo or 0:hi if hi is not None else len(text)]
    return sentence.strip()
