"""English questions mapped onto the Chinese vocabulary of the corpus, for the lexical retriever.

The dense retriever is multilingual, but BM25 over a Chinese corpus sees nothing in an
English question: "data demand satisfaction rate" shares no token with "数据需求满足率".
A small bilingual term table (rag/retrieval/en_zh_terms.tsv: English phrase -> Chinese term, the
Chinese side drawn from the corpus' own vocabulary) turns the English phrases it knows into
Chinese terms, so BM25 can vote on English questions too. No model is involved: it is a
dictionary look-up, microseconds per question.

Matching is on lower-cased words with plural endings and British spellings folded
("supercomputers" ~ "supercomputer", "labelling" ~ "labeling"), longest phrase first.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..text.script import CJK_CHAR

TABLE = Path(__file__).with_name("en_zh_terms.tsv")
MAX_PHRASE_WORDS = 5

_WORD = re.compile(r"[a-z0-9]+")
_CJK = CJK_CHAR
_BRITISH = re.compile(r"is(e|ed|es|ing|ation|ations)$")


def _fold(word: str) -> str:
    """One spelling per word: plural and British endings removed ("utilisations" -> "utilization")."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5:
        word = _BRITISH.sub(r"iz\1", word)
    return word.replace("ll", "l") if word.endswith(("lled", "lling")) else word


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(_fold(w) for w in _WORD.findall(phrase.lower()))


@lru_cache(maxsize=4)
def load_table(path: Path = TABLE) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Folded English phrase -> its Chinese terms. Lines are `english<TAB>中文`; one English
    phrase may have several lines (several terms), # starts a comment."""
    table: dict[tuple[str, ...], list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        en, _, zh = line.partition("\t")
        key, zh = _key(en), zh.strip()
        if key and zh and zh not in table.setdefault(key, []):
            table[key].append(zh)
    return {k: tuple(v) for k, v in table.items()}


def is_english(text: str) -> bool:
    """More Latin words than CJK characters: an English question (a Chinese question that
    mentions "AI" or "GPU" keeps its words as they are)."""
    return len(_WORD.findall(text.lower())) > len(_CJK.findall(text))


def translate(text: str, table: dict[tuple[str, ...], tuple[str, ...]] | None = None) -> tuple[str, list[str]]:
    """(text with the translated English phrases cut out, their Chinese terms in order).
    Text that is not mainly English comes back unchanged with no terms."""
    if not is_english(text):
        return text, []
    table = load_table() if table is None else table
    lowered = text.lower()
    words = [(m.start(), m.end(), _fold(m.group())) for m in _WORD.finditer(lowered)]
    terms: list[str] = []
    cut: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        for n in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
            # a phrase may only span words joined by spaces, hyphens or apostrophes
            gaps = [lowered[words[j][1]:words[j + 1][0]] for j in range(i, i + n - 1)]
            if any(not re.fullmatch(r"[\s\-'’]+", g) for g in gaps):
                continue
            zh = table.get(tuple(w for _, _, w in words[i:i + n]))
            if zh:
                terms.extend(t for t in zh if t not in terms)
                cut.append((words[i][0], words[i + n - 1][1]))
                i += n
                break
        else:
            i += 1
    rest, last = [], 0
    for a, b in cut:
        rest.append(text[last:a])
        last = b
    rest.append(text[last:])
    return " ".join(part.strip() for part in rest if part.strip()), terms
