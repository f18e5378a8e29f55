"""Evaluation metrics as pure functions (no I/O, no models), defined once for the
eval runner, the CMRC benchmark and the UI.

Answer scoring follows the CMRC 2018 scorer (cmrc2018_evaluate.py):
  * text is lower-cased and punctuation dropped;
  * Chinese is compared character by character, runs of other text (English words,
    numbers) token by token, as the scorer's `mixed_segmentation` does with nltk;
  * F1 is built on the longest common *contiguous* token run (the scorer's `find_lcs`),
    not on a bag of tokens; EM compares the punctuation-free strings;
  * both take the maximum over the gold answers.
Two deliberate differences, both so that generated prose can be scored: white space is
ignored in EM (the scorer keeps it), and the punctuation set is the scorer's list plus
every other Unicode punctuation mark except the ones that change a figure's meaning
(% ‰ and a decimal point inside a number). Citation markers such as "[1]" are removed
before scoring because they are not part of the answer.

Retrieval metrics work on a list of booleans: does the passage at rank i support the
question (see `supports`)? Undefined values (a ratio with nothing to divide by) are
None, never a made-up 0 or 1, so a report can say "n/a".
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

from ..text.measures import unspaced
from ..text.script import is_ideograph

# The CMRC 2018 scorer's own punctuation list (sp_char), kept verbatim for reference.
CMRC_PUNCT = frozenset(
    ["-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=", "，", "。", "：", "？", "！", "“", "”",
     "；", "’", "《", "》", "…", "·", "、", "「", "」", "（", "）", "－", "～", "『", "』"]
)
# Punctuation that carries meaning in figures ("95%", "3.5‰"): kept as tokens.
_KEEP = frozenset("%‰％")

_CITATION = re.compile(r"\[\s*\d+(?:\s*[,，、]\s*\d+)*\s*\]")
# a token of non-CJK text: a number (with decimal point / thousands separators), a word, or one symbol
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?|\S", re.UNICODE)


def _is_punct(ch: str) -> bool:
    if ch in _KEEP:
        return False
    return ch in CMRC_PUNCT or unicodedata.category(ch).startswith("P")


def strip_citations(text: str) -> str:
    """Remove [n] / [1,2] markers from a generated answer."""
    return _CITATION.sub("", text)


def tokenize(text: str) -> list[str]:
    """CMRC mixed segmentation without punctuation: one token per Chinese character,
    one per English word or number; lower-cased; full-width forms folded (NFKC)."""
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            for tok in _TOKEN.findall("".join(run)):
                if not all(_is_punct(c) for c in tok):
                    out.append(tok)
            run.clear()

    for ch in text:
        if is_ideograph(ch):
            flush()
            out.append(ch)
        elif _is_punct(ch) and not (ch in ".," and run and run[-1].isdigit()):
            # a boundary, like white space; "3.5" and "1,000" stay whole numbers
            flush()
        else:
            run.append(ch)
    flush()
    return out


def normalize(text: str) -> str:
    """The EM form of a string: lower-cased, NFKC, punctuation and white space removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    kept = []
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        if _is_punct(ch):
            # keep a decimal point / thousands separator between digits: "3.5" != "35"
            between_digits = ch in ".," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
            if not between_digits:
                continue
        kept.append(ch)
    return "".join(kept)


def _longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest contiguous run of tokens shared by a and b (the scorer's find_lcs)."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                cur[j + 1] = prev[j] + 1
                if cur[j + 1] > best:
                    best = cur[j + 1]
        prev = cur
    return best


def f1_score(prediction: str, answers: Iterable[str]) -> float:
    """CMRC char-F1 of a prediction against the best-matching gold answer (0.0 with no answers)."""
    pred = tokenize(strip_citations(prediction))
    best = 0.0
    for ans in answers:
        gold = tokenize(ans)
        common = _longest_common_run(gold, pred)
        if common == 0:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def exact_match(prediction: str, answers: Iterable[str]) -> float:
    """1.0 when the normalized prediction equals a normalized gold answer."""
    pred = normalize(strip_citations(prediction))
    return 1.0 if any(pred == normalize(a) for a in answers) else 0.0


def contains(prediction: str, answers: Iterable[str]) -> float:
    """1.0 when a normalized gold answer appears inside the normalized prediction.

    Generated answers are sentences, so EM is near zero even when they are right;
    this is the forgiving companion measure. An answer that normalizes to "" never counts."""
    pred = normalize(strip_citations(prediction))
    return 1.0 if any((g := normalize(a)) and g in pred for a in answers) else 0.0


# ---------------------------------------------------------------------- retrieval
def text_lang(text: str) -> str:
    """"zh" when the text holds any CJK character, else "en": a gold line's default language."""
    return "zh" if any(is_ideograph(c) for c in text) else "en"


def supports(passage: str, evidence: Iterable[str]) -> bool:
    """Does the passage contain one of the evidence strings, white space ignored?"""
    p = unspaced(passage)
    return any((e := unspaced(ev)) and e in p for ev in evidence)


def evidence_shown(shown: Sequence[str], evidence: Iterable[str]) -> bool:
    """Is the gold evidence inside the sentences a generator was shown: in one of them, or
    across them joined (an evidence string the selection split into two sentences)?"""
    evidence = tuple(evidence)
    return supports("".join(shown), evidence) or any(supports(s, evidence) for s in shown)


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when a supporting passage is among the first k (0.0 for an empty list)."""
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: Sequence[bool]) -> float:
    """1/rank of the first supporting passage, 0.0 when none was retrieved."""
    for i, r in enumerate(relevant):
        if r:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at_k(relevant: Sequence[bool], k: int, n_relevant: int | None = None) -> float:
    """Binary-gain nDCG@k.

    n_relevant is how many supporting passages exist in the whole corpus (the ideal
    ranking puts min(k, n_relevant) of them first); without it, the number found in
    the list is used, which can only flatter the score. 0.0 when nothing relevant exists."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(relevant[:k]) if r)
    ideal_n = sum(bool(r) for r in relevant) if n_relevant is None else n_relevant
    ideal_n = min(k, max(ideal_n, sum(bool(r) for r in relevant[:k])))
    if ideal_n == 0:
        return 0.0
    idcg = sum(1.0 / math.log2(i + 2) for i in range(ideal_n))
    return dcg / idcg


# ---------------------------------------------------------------------- citations and refusals
def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def citation_precision(supported_flags: Sequence[Sequence[bool]]) -> float | None:
    """Cited passages that contain evidence / all cited passages, pooled over questions.

    supported_flags holds one list per question (one bool per citation). None when no
    question cited anything: precision of zero citations is undefined, not perfect."""
    total = sum(len(f) for f in supported_flags)
    return ratio(sum(sum(bool(x) for x in f) for f in supported_flags), total)


def citation_recall(supported_flags: Sequence[Sequence[bool]]) -> float | None:
    """Share of (answerable) questions with at least one supporting citation; a question
    answered without citations, or refused, counts as a miss. None for no questions."""
    return ratio(sum(1 for f in supported_flags if any(f)), len(supported_flags))


def refusal_scores(refused: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Refusal as a classifier of unanswerable questions.

    precision = correct refusals / all refusals: every refusal of an answerable
    question (a false refusal) pulls it down. recall = correct refusals / unanswerable
    questions. false_refusal_rate = refused answerable / answerable questions."""
    if len(refused) != len(answerable):
        raise ValueError("refused and answerable must have the same length")
    tp = sum(1 for r, a in zip(refused, answerable) if r and not a)
    fp = sum(1 for r, a in zip(refused, answerable) if r and a)
    n_unans = sum(1 for a in answerable if not a)
    n_ans = len(answerable) - n_unans
    precision = ratio(tp, tp + fp)
    recall = ratio(tp, n_unans)
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {
        "refusal_precision": precision,
        "refusal_recall": recall,
        "refusal_f1": f1,
        "false_refusal_rate": ratio(fp, n_ans),
    }


# ---------------------------------------------------------------------- latency
def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between ranks, like numpy's
    default; None for no values."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, not {q}")
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Iterable[float | None]) -> float | None:
    xs = [float(v) for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None
