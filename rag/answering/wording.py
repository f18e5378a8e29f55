"""Answer shaping: the model's short answer brought back to the words of the documents.

A 1.5B model that has found the right sentence still rewords what it copies
("新疆哈密和四川雅安" for "新疆哈密、四川雅安"), echoes the question without the
answer ("跨境流通机制[1]" for "哪种跨境流通机制"), or carries the English style of
a worked example into a Chinese answer ('"长安领航" (Chang'an Leading) and ...').
These repairs run after the answer-or-refuse decision and change only wording:

- snap: a short Chinese answer (to a Chinese or an English question) whose characters
  appear, in order, in one stretch of an evidence sentence is replaced by that stretch,
  verbatim, in whole words and quotations; a list answer whose items an evidence clause
  lists (in another order, or mixed with items from elsewhere) is replaced by that clause;
- echo: an answer that adds nothing to the question is replaced by the best
  evidence sentence;
- gloss: English glosses in parentheses are dropped from an answer to a Chinese
  question;
- script: an answer written in simplified characters from traditional passages (or the
  reverse) is written in the passages' script ("联合国" -> "聯合國"), before the snaps,
  which compare characters as they are written;
- clause: a bare span copied from an evidence sentence ("油塘", "1678年") is given the
  clause of that sentence it stands in ("九龙观塘区的油塘是车辆通往该坟场唯一的出入口",
  "于康熙十七年（1678年）在湖南衡阳称帝"): the answer reads on its own, in the documents'
  words, and keeps the qualifiers a span cut too short drops;
- reason: the answer to a "why" question that is drawn from one evidence sentence is given
  that whole sentence. A sentence often states the cause before its consequence ("“鑫诺二号”
  发生技术故障，致使太阳帆板……未能完成，卫星无法提供……服务"), and a small model copies
  the consequence, the part that shares the question's words, leaving the reason out;
- best sentence: a Chinese answer, to a Chinese or an English question (or the clause a span
  was widened to), that is drawn from the best-ranked evidence sentence and is at least half
  that sentence's length is given that whole sentence. The model finds the right sentence more often
  than it cuts the right part out of it ("2017年林俊贤再次加盟《邵氏兄弟电影公司》" to
  "2017年林俊贤参与了什么剧？" from "…加盟《邵氏兄弟电影公司》，参演《风林火山》"): its
  answers drawn from the best sentence were right and cited 0.88, the extractive path's
  answers to the same questions 0.95 (the Chinese development suites, session 24's rows). An
  answer that restates a Chinese question around what it copies is drawn from the sentence
  that holds what it adds (`drawn_share`).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from ..text import measures as evidence, polar
from ..text.sentences import split_sentences
from ..text.variants import in_script_of

SNAP_MAX_CHARS = 40  # longer answers are sentences, not spans: leave them alone
# the best-ranked sentence replaces an answer drawn from it when it is at most this many times
# the answer's length: it completes an answer that is most of it, and does not turn a short
# answer into a long sentence. Set by hand from the grid benchmarks/fit_suites.py best-sentence
# prints on the development suites' stored answers (session 24): at 1.5x it changes 66 answers,
# 5 wrong ones to right; at 2x 111 and 7; 3x 211 and 7; no limit 324 and 12; none right made
# wrong. 2x keeps 7 of the 12 at a third of the changes: most of what a larger limit adds is a
# short right answer made a long sentence
BEST_SENTENCE_MAX_GROWTH = 2.0
SNAP_MIN_COVER = 0.8  # share of the answer's characters that must match the stretch in order
SNAP_MAX_STRETCH = 1.5  # the stretch may be at most this much longer than the answer
LIST_MIN_SHARE = 0.6  # share of a list answer's items one evidence clause must list
LIST_MAX_ITEM_CHARS = 24  # a longer "item" is a clause: the answer is not a list
_MARKERS_AT_END = re.compile(rf"((?:\s*{evidence.MARKER.pattern})+)\s*([。.!！]?)\s*$")
_GLOSS = re.compile(r"\s*[（(][A-Za-z0-9][\x20-\x7e]*[)）]")


def _split_markers(answer: str) -> tuple[str, str, str]:
    """(body, markers, closing punctuation) of a one-sentence answer."""
    m = _MARKERS_AT_END.search(answer)
    if not m:
        body = answer.rstrip()
        end = re.search(r"[。.!！]*$", body).start()
        return body[:end], "", body[end:]
    return answer[: m.start()], m.group(1).strip(), m.group(2)


def _parts(answer: str) -> tuple[str, str, str, str]:
    """(body, core, markers, closing) of a one-sentence answer: the core is the body without
    citation markers, what the repairs compare with the evidence."""
    body, markers, closing = _split_markers(answer)
    return body, evidence.strip_markers(body).strip(), markers, closing


def _rebuilt(text: str, markers: str, closing: str) -> str:
    """A repaired answer: the new text with the old answer's markers and closing punctuation."""
    return f"{text}{markers}{closing or '。'}"


def snap(answer: str, sentences: Sequence[str]) -> str | None:
    """The verbatim evidence stretch a short answer paraphrases, or None. The stretch is whole
    words and whole quotations ("渝策汇”平台" is given its opening mark, a list's first item
    "…州" its "马里兰"), and lies within one sentence: one reaching over a sentence end joins
    pieces of two, which no answer paraphrased."""
    body, core, markers, closing = _parts(answer)
    if not core or len(core) > SNAP_MAX_CHARS or evidence.MARKER.search(body):
        return None
    if any(evidence.unspaced(core) in evidence.unspaced(s) for s in sentences):
        return None  # already verbatim, white space aside ("1985年" from "成立于 1985 年")
    best: tuple[float, str] | None = None
    for s in sentences:
        cover, (i, j) = _matched_span(core, s)
        if cover < SNAP_MIN_COVER or _SENTENCE_END.search(s, i, j):
            continue
        i, j = _outside_quotes(s, *_word_bounds(s, i, j))
        stretch = s[i:j].strip()
        if len(stretch) <= SNAP_MAX_STRETCH * len(core) and (best is None or cover > best[0]):
            best = (cover, stretch)
    if best is None:
        return None
    return _rebuilt(best[1], markers, closing)


_SENTENCE_END = re.compile(r"[。！？!?]")


def _word_bounds(sentence: str, i: int, j: int) -> tuple[int, int]:
    """The span sentence[i:j] grown to the words (jieba's) it cuts at either end."""
    start = end = 0
    for word in evidence.segment(sentence):
        start, end = end, end + len(word)
        if start < i < end:
            i = start
        if start < j < end:
            j = end
    return i, j


def _blocks(core: str, sentence: str) -> list:
    """The runs of two or more characters the answer shares with the sentence, in order."""
    return [b for b in SequenceMatcher(None, core, sentence, autojunk=False).get_matching_blocks() if b.size >= 2]


def _matched_span(core: str, sentence: str) -> tuple[float, tuple[int, int]]:
    """(share of the answer's characters found in the sentence in order, in runs of two or
    more; the span of the sentence from the first run to the last)."""
    blocks = _blocks(core, sentence)
    if not blocks:
        return 0.0, (0, 0)
    return sum(b.size for b in blocks) / len(core), (blocks[0].b, blocks[-1].b + blocks[-1].size)


def whole_sentence(answer: str, sentences: Sequence[str], question: str = "") -> str | None:
    """The evidence sentence a one-sentence answer is drawn from (verbatim, or most of its
    characters in order, `drawn_share`), when that sentence says more than the answer or the
    answer restates the question around it; None otherwise."""
    body, core, markers, closing = _parts(answer)
    if not core or evidence.MARKER.search(body) or len(split_sentences(core)) > 1:  # a list's lines are sentences too
        return None
    best: tuple[float, str, bool] | None = None
    # a shown unit may hold several sentences (a short one is kept with its neighbour): only
    # the one the answer is drawn from is given
    for s in (x for unit in sentences for x in split_sentences(unit)):
        plain, of_added = (1.0, 1.0) if core in s else _drawn_shares(core, s, question)
        cover = max(plain, of_added)
        if cover >= SNAP_MIN_COVER and (best is None or cover > best[0]):
            best = (cover, s.strip(), plain < SNAP_MIN_COVER)
    if best is None:
        return None
    _, sentence, restated = best
    sentence = sentence.rstrip("。.！!；;")
    # a sentence no longer than the answer says no more than it, unless the answer is drawn
    # from it only once its restatement of the question is set aside: then the restated words
    # are the model's and the rest is the sentence's ("“索莫尼”的名字是由…的名字命名的" for
    # "该货币以“塔吉克民族之父”…的名字命名")
    if sentence == core or (len(sentence) <= len(core) and not restated):
        return None
    return _rebuilt(sentence, markers, closing)


# punctuation and spaces: no content of their own, whoever wrote them
_NOT_CONTENT = set(" \u3000，,。、：:；;！!？?（）()“”‘’「」『』《》\"'")
_MIN_ADDED = 2  # an answer that adds fewer characters to its question is read as a whole


def drawn_share(core: str, sentence: str, question: str = "") -> float:
    """How much of an answer is drawn from a sentence: the share of its characters found there
    in order, in runs of two or more; or, when larger, that share of the characters it adds to
    a Chinese question (at least _MIN_ADDED of them). A small model restates the question
    around the words it copies ("阿马里洛是根据西班牙语「黄色」的意思改名的" for "阿马里洛是根据什么来
    改名的？"): the restated words are in no sentence, yet the answer is drawn from the one that
    holds the rest ("后来取郊外黄色野花改名（Amarillo是西班牙语「黄色」的意思）")."""
    return max(_drawn_shares(core, sentence, question))


def _drawn_shares(core: str, sentence: str, question: str) -> tuple[float, float]:
    """(the share of the answer's characters found in the sentence, in order, in runs of two or
    more; that share of the characters it adds to a Chinese question, or the first share again
    when the question is not Chinese or the answer adds under _MIN_ADDED characters to it): one
    match of the two texts for both."""
    matched = {k for b in _blocks(core, sentence) for k in range(b.a, b.a + b.size)}
    plain = len(matched) / len(core)
    if not evidence.is_cjk(question):  # an English question is not restated in Chinese words
        return plain, plain
    asked = set(evidence.fold(question))
    added = [k for k, ch in enumerate(core) if ch not in _NOT_CONTENT and evidence.fold(ch) not in asked]
    if len(added) < _MIN_ADDED:
        return plain, plain
    return plain, sum(k in matched for k in added) / len(added)


# the clause an answer span stands in ends at these (not at "、": a list stays whole)
_CLAUSE_ENDS = re.compile(r"[，,。；;！!？?：:]")


def widen(answer: str, sentences: Sequence[str]) -> str | None:
    """The clause of an evidence sentence that a short answer copies verbatim, when it
    is more than the answer and at most SNAP_MAX_CHARS long; None otherwise."""
    body, core, markers, closing = _parts(answer)
    if not core or len(core) > SNAP_MAX_CHARS or evidence.MARKER.search(body) or _CLAUSE_ENDS.search(core):
        return None
    for s in sentences:
        i = s.find(core)
        if i < 0:
            continue
        i, j = _outside_quotes(s, i, i + len(core))
        start = max((m.end() for m in _CLAUSE_ENDS.finditer(s, 0, i)), default=0)
        end_match = _CLAUSE_ENDS.search(s, j)
        clause = s[start:end_match.start() if end_match else len(s)].strip()
        if clause == core or len(clause) > SNAP_MAX_CHARS:
            return None
        return _rebuilt(clause, markers, closing)
    return None


_QUOTE_PAIRS = {"「": "」", "『": "』", "“": "”", "《": "》", "（": "）"}


def _outside_quotes(s: str, i: int, j: int) -> tuple[int, int]:
    """The span s[i:j] grown to the whole quotation or title it stands in, brackets included:
    a clause end inside quotation marks ends no clause ("校训为「纯洁仁爱：纯朴廉洁律己、仁厚
    关爱待人」": the motto is one thing, its colon notwithstanding)."""
    for opening, closing in _QUOTE_PAIRS.items():
        a = s.rfind(opening, 0, i + 1)
        if a < 0 or s.find(closing, a + 1, i) >= 0:
            continue  # no quotation open at the span's start
        b = s.find(closing, max(i, a + 1))
        if b >= 0 and b - a + 1 <= SNAP_MAX_CHARS:
            i, j = min(i, a), max(j, b + 1)
    return i, j


_ITEM_SEPARATORS = re.compile(r"[、，,；;]|和|及|以及|\band\b")
_QUOTES = " \"'“”‘’「」《》"


def _items(text: str) -> list[str]:
    return [i for i in (x.strip(_QUOTES) for x in _ITEM_SEPARATORS.split(text)) if len(i) >= 2]


def _enumerations(sentence: str) -> list[str]:
    """The clauses of a sentence that list things ("强化跨领域跨模式语义对齐、4D标注、大模型标注等关键技术攻关")."""
    return [c for c in re.split(r"[，,；;。！？：:]", sentence) if "、" in c]


def snap_list(answer: str, sentences: Sequence[str]) -> str | None:
    """A list answer rebuilt in another order or with items from elsewhere ('"4D标注"、"大模型标注"、
    "跨领域跨模式语义对齐"、"标准化"') -> the evidence clause that lists most of its items,
    verbatim; None when no clause lists at least two of them and most of the answer."""
    _, core, markers, closing = _parts(answer)
    items = _items(core)
    if (len(items) < 2 or len(core) > 2 * SNAP_MAX_CHARS or any(len(i) > LIST_MAX_ITEM_CHARS for i in items)
            or re.search(r"[。；;：:（）()\n]", core) or any(core in s for s in sentences)):
        return None  # not a short list (sentences, bylines, explanations), or already verbatim
    best: tuple[int, str] | None = None
    for s in sentences:
        for clause in _enumerations(s):
            listed = [x for x in clause.split("、") if x]
            found = sum(any(i in x or (len(x) >= 2 and x in i) for x in listed) for i in items)
            if found >= 2 and found >= LIST_MIN_SHARE * len(items) and (best is None or found > best[0]):
                best = (found, clause.strip())
    if best is None:
        return None
    return _rebuilt(best[1], markers, closing)


def is_echo(answer: str, question: str) -> bool:
    """Does the answer only repeat words of the question (nothing it adds is content)?"""
    added = evidence.content_units(evidence.strip_markers(answer)) - evidence.units(question)
    return not {u for u in added if not re.fullmatch(r"[a-z]+", u)}


def drop_glosses(answer: str) -> str:
    """'"长安领航" (Chang'an Leading) and "翔宇智联"' -> '"长安领航"、"翔宇智联"'."""
    out = _GLOSS.sub("", answer)
    return re.sub(r'(["”“」])\s+and\s+(["“”「])', r"\1、\2", out)


# the marks `_outside_quotes` keeps whole, and the ASCII bracket and single quotation mark an
# answer may also end on
_OPENERS = {**_QUOTE_PAIRS, "(": ")", "‘": "’"}


def drop_dangling_opener(answer: str) -> str:
    """The answer without an opening bracket or quotation mark it ends on: a sentence cut
    inside a bracket leaves "中国古动物馆（。". A mark that the text before it left open is
    kept: it is a closing one written with the opening glyph ("…疾病“。" after "“这种…")."""
    body, markers, closing = _split_markers(answer)
    text = body.rstrip()
    if not text or text[-1] not in _OPENERS:
        return answer
    before = text[:-1]
    if before.count(text[-1]) > before.count(_OPENERS[text[-1]]):
        return answer
    return _rebuilt(before.rstrip(), markers, closing) if before.strip() else answer


def shape(answer: str, question: str, sentences: Sequence[str]) -> tuple[str, list[str]]:
    """The answer with the repairs above applied, and a note for each one made."""
    notes: list[str] = []
    rewritten = in_script_of(answer, list(sentences))
    if rewritten != answer:
        notes.append("wrote the answer in the script of the passages it comes from")
        answer = rewritten
    if evidence.is_cjk(question):
        cleaned = drop_glosses(answer)
        if cleaned != answer:
            notes.append("dropped English glosses from an answer to a Chinese question")
            answer = cleaned
    # a Chinese answer to an English question copies the passages as one to a Chinese question
    # does (give_clause reads it alike); an English answer has no stretch of them to snap to
    if evidence.is_cjk(question) or evidence.is_cjk(answer):
        snapped = snap(answer, sentences) or snap_list(answer, sentences)
        if snapped:
            notes.append(f"matched the answer to the documents' own words: {evidence.strip_markers(snapped)[:40]!r}")
            answer = snapped
    return answer, notes


def give_clause(answer: str, question: str, sentences: Sequence[str], *,
                max_growth: float = BEST_SENTENCE_MAX_GROWTH) -> tuple[str, list[str]]:
    """`widen` where it applies (a Chinese question's answer, or a Chinese span answering an
    English question; never an English answer); `whole_sentence` instead for a reason; and
    then `whole_sentence` for a Chinese answer (or the clause it was widened to), to a Chinese
    or an English question, drawn from the best-ranked sentence (`sentences` best first) when
    it is at least 1 / `max_growth` of that sentence, but not a yes/no question's, whose
    verdict a quoted sentence would lose (`max_growth` other than BEST_SENTENCE_MAX_GROWTH:
    for the tool that chooses it, benchmarks/fit_suites.py best-sentence)."""
    # an English question's answer may carry the model's own English gloss ("《世纪大崩解》(The
    # Century Breakdown)"), which no passage holds: the answer is read, and its span matched,
    # without it (an answer to a Chinese question has had its glosses dropped already, by `shape`)
    original, answer = answer, drop_glosses(answer)
    if not (evidence.is_cjk(question) or evidence.is_cjk(answer)):
        return original, []
    if evidence.asks_reason(question):
        whole = _whole(whole_sentence(answer, sentences, question), question)
        if whole and whole != answer:
            return whole, [f"gave the reason the whole sentence it comes from: {evidence.strip_markers(whole)[:40]!r}"]
    notes = []
    widened = widen(answer, sentences)
    if widened and widened != original:  # a span copied verbatim: its clause says it in the documents' words
        notes.append(f"gave the answer the clause it stands in: {evidence.strip_markers(widened)[:40]!r}")
        answer = widened
    # past the guard above the answer is Chinese, or the question is: a Chinese answer to an
    # English question quotes the passages as one to a Chinese question does
    if sentences and not polar.is_polar(question):
        whole = _whole(whole_sentence(answer, sentences[:1], question), question)
        if whole and whole != answer and answer_length(whole) <= max_growth * answer_length(answer):
            notes.append(f"gave the answer the whole best sentence it comes from: {evidence.strip_markers(whole)[:40]!r}")
            answer = whole
    return (answer, notes) if notes else (original, [])


def answer_length(text: str) -> int:
    """Characters of an answer, its citation markers and spaces left out: what the best-sentence
    rule's length limit compares."""
    return len("".join(evidence.strip_markers(text).split()))


def _whole(sentence: str | None, question: str) -> str | None:
    # as `shape` did to the answer: the sentence's glosses stay out of an answer to a Chinese question
    return drop_glosses(sentence) if sentence and evidence.is_cjk(question) else sentence
