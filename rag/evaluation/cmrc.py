"""CMRC 2018 (SQuAD-format JSON) as a second corpus plus a gold set for the eval runner.

Each paragraph becomes one Chunk (id = the CMRC paragraph id, section = the article
title) and each question one GoldItem whose support is that paragraph: retrieval is
right when it finds the passage the question was asked on (`evidence_chunks`), not any
passage that happens to contain the answer string.
"""
from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from .gold import GoldItem
from ..types import Chunk

SAMPLE_SEED = 2018  # fixed, so every run and every generator answers the same questions


@dataclass(frozen=True)
class CmrcSet:
    chunks: list[Chunk]
    items: list[GoldItem]
    source: str


def _unique(texts) -> tuple[str, ...]:
    """CMRC lists three annotator answers, often identical; keep each text once, in order."""
    out: list[str] = []
    for t in texts:
        t = t.strip()
        if t and t not in out:
            out.append(t)
    return tuple(out)


def load_cmrc(path: str | os.PathLike) -> CmrcSet:
    """Read a CMRC/SQuAD-format file: {"data": [{"title", "paragraphs": [{"id", "context", "qas"}]}]}."""
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"CMRC file {p} does not exist. Copy cmrc2018_dev.json there or pass its path.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise CorpusError(f"{p} is not a SQuAD/CMRC-format JSON file with a top-level 'data' list ({e}).") from None
    chunks: list[Chunk] = []
    items: list[GoldItem] = []
    try:
        for art_no, article in enumerate(data):
            title = str(article.get("title", ""))
            for par_no, para in enumerate(article["paragraphs"]):
                pid = str(para.get("id") or f"{article.get('id', art_no)}_{par_no}")
                text = para["context"]
                chunks.append(Chunk(id=pid, text=text, source=p.name, section=title, author="",
                                    paragraph=len(chunks) + 1, char_start=0, char_end=len(text)))
                for qa in para["qas"]:
                    answers = _unique(a["text"] for a in qa["answers"])
                    items.append(GoldItem(id=str(qa["id"]), question=qa["question"].strip(), answers=answers,
                                          evidence=(), answerable=bool(answers), lang="zh",
                                          evidence_chunks=(pid,) if answers else ()))
    except (KeyError, TypeError, AttributeError) as e:
        raise CorpusError(f"{p}: an article, paragraph or question lacks a field the SQuAD format requires ({e}).") from None
    ids = [c.id for c in chunks]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"{p}: paragraph ids are not unique; they are used as chunk ids.")
    if not chunks:
        raise CorpusError(f"{p} holds no paragraphs.")
    return CmrcSet(chunks, items, str(p))


def sample_items(items: list[GoldItem], n: int, seed: int = SAMPLE_SEED) -> list[GoldItem]:
    """A fixed random sample of n items, kept in file order (all of them when n >= len)."""
    if n >= len(items):
        return list(items)
    picked = set(random.Random(seed).sample(range(len(items)), n))
    return [item for i, item in enumerate(items) if i in picked]
