"""Cheap, model-free measures of how well one text is backed by another.

Used by citation checking (does the sentence carrying [n] overlap passage n?),
by context trimming (which sentences of a passage matter for this question?)
and by refusal (does the context hold what the question asks for, and does the
answer stay inside the context?).

Chinese has no spaces, so "words" here are character bigrams for CJK text and
lower-cased word tokens for everything else; both are robust to the small
rewordings a model makes when it copies a fact.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from .names import foreign_names, is_chinese_name
from .script import CJK_CHAR as _CJK, CJK_RUN, IDEOGRAPHS
from .script import is_chinese as is_cjk  # noqa: F401  (the name callers of the measures use)
from .sentences import LIST_ITEM_NUMBER, PARENTHESIZED_ITEM  # a list's item numbers are no figures
from .sentences import MARKER, list_lines, split_sentences  # noqa: F401  (re-exported for the measures' callers)
from .variants import fold

# Bigrams that say what kind of question it is, not what it is about: they must
# not count as evidence that a passage holds the answer.
_ZH_QUESTION_WORDS = (
    "多少", "几个", "哪些", "哪个", "哪家", "哪位", "哪里", "哪儿", "哪种", "哪两", "哪三", "哪一", "什么", "怎样",
    "怎么", "如何", "是否", "是谁", "为何", "为什么", "有多", "多大", "文章", "文中", "专题", "这篇", "那篇",
    "提出", "建议", "提到", "认为", "主张", "目前", "具体", "分别", "其中", "我们", "一下", "请问", "吗",
)
_STOP_CHARS = set("的了和与及是在等为对将把被从以其之也都而或并向中上下个这那有要吗呢么呀啊吧哪谁几")
_EN_STOP = set(
    "the a an of to in on for and or is are was were be been by with as at from that this these those what "
    "which who whom whose how does do did it its about into than then there their they them he she his her "
    "has have had can could should would will shall may might must not no yes so such any some each per "
    "piece article feature document documents text according says say said want wants".split()
)
_ZH_NUMERAL = "零〇一二两三四五六七八九十百千万亿"
# Chinese measure words (a closed class: counters, calendar, metric and customary units) that follow a figure
MEASURE_WORDS = "个类家名项座倍年月日天时分秒元角条种所人台套户次件位只张本部辆架艘层级期届批份页章节岁周米里克吨升亩度瓦尺寸斤磅顷"
# after Chinese numerals only plain counters: "三角", "百度" and "一批" are words, not amounts
_ZH_COUNTERS = "个类家名项座倍年元条种所人台套户"
# a unit's prefix: metric (千米, 公里, 厘米, 毫克), the market units' 公 (公尺, 公斤, 公顷) and the
# imperial and nautical units' 英 and 海 (英尺, 英里, 海里)
_CJK_UNIT = rf"(?:平方|立方)?(?:千|公|厘|毫|英|海)?[{MEASURE_WORDS}]"
# a Latin unit word: glued to the number or after a space ("16PFlops", "5 km/h", "3 million");
# one letter glued to a number names a thing ("5G", "4D"), so a unit has two letters or more
_LATIN_UNIT = r"[A-Za-z]{2,}(?:/[A-Za-z]+)?"
# A quantity: a number (digits with decimals/separators, with an optional scale and a unit
# word or percent sign), or Chinese numerals followed by a measure word. Ordinals in lists
# ("一是") are deliberately not matched.
_QUANTITY = re.compile(
    rf"(?:\d+(?:[.,，]\d+)*\s*(?:%|％|‰|[万亿千百]+)?\s*(?:{_CJK_UNIT}|per\s*cent|{_LATIN_UNIT})?)"
    rf"|(?:[{_ZH_NUMERAL}]+(?:[{_ZH_COUNTERS}]|成|方面|维度|大类))"
)
_TRAILING_WORD = re.compile(r"\s+([A-Za-z]+)$")
# a list item's number ("1. ", "2、", "3）" opening a line or following a sentence end or a
# colon, "…：1. 甲；2. 乙"; "(1)", "（二）" anywhere) orders the items, it states no amount: a
# model's numbered list must not read as invented figures
_ENUMERATOR = re.compile(rf"(?m)(^[ \t]*|(?<=[。；;：:！？!?])[ \t]*)(?:{LIST_ITEM_NUMBER})|{PARENTHESIZED_ITEM}")
_DIGIT_TOKEN = re.compile(r"\d+(?:\.\d+)?")
_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def clipped(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the last of them "…" when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unspaced(text: str) -> str:
    """Without any white space (a passage's line breaks and a PDF's spacing fall away)."""
    return "".join(text.split())


def squeeze(text: str) -> str:
    """Folded, lower-cased, without white space: the form in which a phrase is looked up
    in a passage."""
    return unspaced(fold(text).lower())


def squeeze_undotted(text: str) -> str:
    """squeeze() without a transliterated name's middle dots: passages join its parts with
    one dot or another ("·", "・"), or with none."""
    return squeeze(text).translate(_NO_NAME_DOTS)


def units(text: str) -> set[str]:
    """The comparison units of a text: CJK character bigrams and lower-cased Latin words/numbers."""
    text = fold(strip_markers(text)).lower()
    grams: set[str] = set()
    for run in CJK_RUN.findall(text):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    grams.update(w for w in re.findall(r"[a-z]+|\d+(?:\.\d+)?", text) if w not in _EN_STOP)
    return grams


def sharing_most(wanted: set[str], texts: Sequence[str]) -> int:
    """Index of the text holding most of the units in `wanted` (the first on ties): the
    sentence an answer was taken from, the passage sentence a cited sentence rests on."""
    return max(range(len(texts)), key=lambda i: len(wanted & units(texts[i])))


def content_units(text: str) -> set[str]:
    """units() without question words and bigrams made only of function characters."""
    out = set()
    for u in units(text):
        if any(q in u or u in q for q in _ZH_QUESTION_WORDS if _CJK.match(u)):
            continue
        if _CJK.match(u) and all(c in _STOP_CHARS for c in u):
            continue
        out.add(u)
    return out


def coverage(text: str, other: str | set[str]) -> float:
    """Share of text's content units that also occur in other (0 when text has none)."""
    mine = content_units(text)
    if not mine:
        return 0.0
    theirs = other if isinstance(other, set) else units(other)
    return len(mine & theirs) / len(mine)


def question_terms(question: str) -> set[str]:
    return content_units(question)


def quantities(text: str, *, years: bool = True) -> list[str]:
    """Figures in a text ("95%", "16万类", "31个", "四个方面"). With years=False a
    bare year ("2025年") is skipped: it dates a report, it does not answer "how many"."""
    found = []
    plain = without_enumerators(strip_markers(text))
    for m in _QUANTITY.finditer(plain):
        q = m.group(0).strip()
        word = _TRAILING_WORD.search(q)
        if word and word.group(1).lower() in _EN_STOP:  # "in 2024 the city": "the" is no unit
            q = q[: word.start()]
        if not q:
            continue
        before, after = plain[m.start() - 1 : m.start()], plain[m.end() : m.end() + 1]
        bare = not re.search(r"[^\d.,，\s]", q)
        # "5G", "4D", "1+3": a number glued to letters or "+" names a thing, it is not an amount
        if bare and ((after.isascii() and after.isalpha()) or "+" in (before, after)):
            continue
        if before == "+" or after == "+":
            continue
        if not years and re.fullmatch(r"(19|20)\d\d\s*年", q):
            continue
        found.append(q)
    return found


def without_enumerators(text: str) -> str:
    """The text with its list items' numbers blanked out (each by one space, the line's
    indentation kept): "1. 建设…\n2. 加强…" -> " 建设…\n 加强…"."""
    return _ENUMERATOR.sub(lambda m: (m.group(1) or "") + " ", text)


def numbers(text: str) -> set[str]:
    """The bare numeric values in a text (digits, and Chinese numerals up to 99), for
    checking that a figure in an answer also appears in the context."""
    plain = re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", without_enumerators(strip_markers(text)))  # "100,000" is one number
    vals = {v.rstrip("0").rstrip(".") if "." in v else v for v in _DIGIT_TOKEN.findall(plain)}
    for m in re.finditer(r"[零〇一二两三四五六七八九十]+", plain):
        v = _zh_small_number(m.group(0))
        if v is not None:
            vals.add(str(v))
    return vals


def _zh_small_number(s: str) -> int | None:
    if s == "十":
        return 10
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = _ZH_DIGITS.get(head, 1 if head == "" else -1)
        ones = _ZH_DIGITS.get(tail, 0 if tail == "" else -1)
        return None if tens < 0 or ones < 0 else tens * 10 + ones
    if len(s) == 1 and s in _ZH_DIGITS:
        return _ZH_DIGITS[s]
    return None


_ASKS_YEAR = re.compile(r"哪一年|哪年|哪几年|何年|什么时候|何时|\b(?:which|what) year\b|\bwhen\b", re.IGNORECASE)
# "哪几种/哪几位/哪几个" asks which ones, not how many ("有哪几种颜色？"); "哪几年" still asks for years
_ASKS_QUANTITY_ZH = re.compile(r"多少|(?<!哪)几[个项类家名种位条所方大]|几年|多大|多高|多长|多深|多宽|多远|多重|多久|比例|比重|占比|哪一年|哪年|何年|什么时候|何时")
_ASKS_QUANTITY_EN = re.compile(
    r"\bhow (?:many|much|long|big|large)\b|\bwhat (?:share|percentage|proportion|amount|number|year)\b"
    r"|\bhow (?:tall|high|deep|wide|far|heavy)\b"
    r"|\bwhich year\b|\bin what year\b|\bwhen\b|\b(?:rate|ratio)\b",
    re.IGNORECASE,
)


# The question readers below match simplified forms; a traditional question is folded first
# ("幾個", "什麼時候", "誰" read as "几个", "什么时候", "谁"), so both scripts ask alike.
def asks_quantity(question: str) -> bool:
    """Does the question ask for a figure (an amount, a share, a count, a year)?"""
    question = fold(question)
    return bool(_ASKS_QUANTITY_ZH.search(question) or _ASKS_QUANTITY_EN.search(question))


_ASKED_UNIT = re.compile(rf"(?:多少|(?<!哪)几)\s*((?:[万亿千百]+)?{_CJK_UNIT}|[万亿])")


def asked_unit(question: str) -> str:
    """The measure word a quantity question names ("多少家" -> "家", "多少亿元" -> "亿元"), or "",
    in simplified characters."""
    m = _ASKED_UNIT.search(fold(question))
    return m.group(1) if m else ""


# What a quantity question measures when it names no unit ("体长是多少？", "面积多大？", "how
# tall"), and the units that measure it: an answer in another unit ("体长为体高之15.6倍") gives
# a figure, not the one asked for. Only the physical dimensions whose units are a closed class.
_ASKS_DIMENSION = {
    "length": re.compile(r"长度|体长|身长|全长|总长|高度|身高|体高|海拔|深度|水深|宽度|直径|半径|翼展|多长(?!的?时间)|多高|多深"
                         r"|多宽|多远|\bhow (?:tall|high|deep|wide|far)\b"
                         r"|\b(?:length|height|depth|width|diameter|altitude|elevation)\b", re.IGNORECASE),
    "area": re.compile(r"面积|占地|\barea\b", re.IGNORECASE),
    "mass": re.compile(r"重量|体重|多重|\bhow heavy\b|\bweigh", re.IGNORECASE),
}
# read in this order: an area's unit holds a length's ("平方公里"), a volume's too ("立方米")
_UNITS_OF = (
    ("area", re.compile(r"平方|公?顷|亩|㎡|\d\s*(?:km2|m2|sq)", re.IGNORECASE)),
    ("volume", re.compile(r"立方|升|\d\s*(?:m3|ml|l)\b", re.IGNORECASE)),
    ("mass", re.compile(r"[千公毫]?克|[公市]?斤|吨|磅|\d\s*(?:kg|mg|g|lbs?)\b", re.IGNORECASE)),
    ("length", re.compile(r"[千公厘毫分]?米|[公英市]?尺|[英市]?寸|[公英海市]?里|公分|光年|\d\s*(?:km|cm|mm|m|ft|mi)\b",
                          re.IGNORECASE)),
)


def unit_dimension(text: str) -> str:
    """The dimension the unit of a figure (or a unit alone) measures: "length" for "52公分",
    "area" for "5.6万平方米", "mass" for "1.7公斤", "volume", or ""."""
    folded = fold(text)
    return next((d for d, units in _UNITS_OF if units.search(folded)), "")


def asked_dimension(question: str) -> str:
    """The dimension a quantity question measures: the one its unit measures when it names
    one ("多少公里" -> "length"), else the one its words ask for ("体长是多少？", "how tall");
    "" for any other question."""
    if not asks_quantity(question):
        return ""
    unit = asked_unit(question)
    if unit:
        return unit_dimension(unit)
    folded = fold(question)
    return next((d for d, asks in _ASKS_DIMENSION.items() if asks.search(folded)), "")


def asks_year(question: str) -> bool:
    return bool(_ASKS_YEAR.search(fold(question)))


# "称为什么？" / "作为什么用途" ask what, not why: 为 is the verb there (after 称, 作, 译, 成 ...),
# or 什么 ends the question
_ASKS_REASON = re.compile(
    r"(?<![称作译成视认名改列])为什么(?![？?]|$)|为何|什么原因|\bwhy\b|\bwhat (?:caused|led to)\b", re.IGNORECASE)


def asks_reason(question: str) -> bool:
    """Does the question ask why (为什么/为何/什么原因, why/what caused)?"""
    return bool(_ASKS_REASON.search(fold(question)))


@functools.lru_cache(maxsize=1)
def _jieba():
    """jieba with its part-of-speech cutter, loaded on first use (it announces dictionary
    loading otherwise, hence the log level)."""
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba


# Words that point at the documents themselves ("第一篇", "两篇", "篇文章", "一文"): a question
# names articles by their place in the feature, which the passages never say of themselves,
# so these are neither content an answer adds nor a premise it echoes. (Openings that refer to the
# document, for the question's leading name, are _DOCUMENT_REFERENCES below.)
_DOC_REFERENCE = re.compile(r"^(?:第?[一二三四五六七八九十两几首\d]+篇|篇文章|[一本该全原]文)$")


def segment(text: str) -> list[str]:
    """The text cut into jieba's words, as written: the words join back into the text."""
    return _jieba().lcut(text)


def words(text: str) -> list[str]:
    """Content words of a text (jieba segmentation; words of 2+ characters, figures and
    Latin terms), lower-cased. Used where bigrams would straddle word boundaries: a
    faithful answer glues copied words together in new ways ("记者张锦辉拍的")."""
    out = []
    for w in _jieba().lcut(fold(strip_markers(text)).lower()):
        w = w.strip()
        if not w or not re.search(rf"[\w{IDEOGRAPHS}]", w):
            continue
        if _CJK.match(w) and not _dictionary_frequency(w):
            # a pair jieba guessed across a word boundary ("满足率为" -> "满足", "率为"):
            # its function characters are not content
            w = w.strip("".join(_STOP_CHARS))
        if _CJK.match(w) and (len(w) < 2 or all(c in _STOP_CHARS for c in w)):
            continue
        if w in _EN_STOP or any(w == q for q in _ZH_QUESTION_WORDS) or _DOC_REFERENCE.match(w):
            continue
        out.append(w)
    return out


def word_support(text: str, context: str, exclude: str = "") -> tuple[float, list[str]]:
    """Share of text's content words (leaving out those of `exclude`, e.g. the question)
    that occur in context, and the words that do not."""
    squeezed = squeeze(context)
    skip = set(words(exclude))
    mine = [w for w in dict.fromkeys(words(text)) if w not in skip]
    if not mine:
        return 1.0, []
    missing = [w for w in mine if w not in squeezed]
    return 1 - len(missing) / len(mine), missing


_ENTITY_TAGS = {"ns", "nr", "nrt", "nt", "nrfg"}  # not nz ("other proper noun"): mostly segmentation slips ("和谈")
_PERSON_TAGS = {"nr", "nrfg"}
# jieba tags some everyday words as given names ("智慧", "阳光") or places ("城市"): a word
# its dictionary knows this often is not a name (real names it knows are rarely that common
# in its corpus, and a false premise names something specific).
_COMMON_WORD_FREQ = 500
_GENERIC_PLACES = {"城市", "地区", "地方", "全国", "全球", "世界", "国内", "国外", "海外", "城乡", "农村", "乡村", "中央"}


def _dictionary_frequency(word: str) -> int:
    dt = _jieba().dt
    dt.check_initialized()  # the dictionary loads on first use
    return dt.FREQ.get(word) or 0


def entities(text: str) -> list[str]:
    """Names in a text (places, people, organisations: jieba's part-of-speech tags) and
    figures with their units, for checking that what a question names is in the documents."""
    out = []
    for w, flag in _jieba().posseg.cut(fold(strip_markers(text))):
        if flag not in _ENTITY_TAGS or len(w) < 2 or w in _GENERIC_PLACES:
            continue
        if flag in _PERSON_TAGS and _dictionary_frequency(w) >= _COMMON_WORD_FREQ:
            continue
        out.append(w)
    out += [q for q in quantities(text) if re.search(r"\d", q)]  # "60%", not the "两个" of "哪两个"
    out += ordinal_phrases(text)
    return list(dict.fromkeys(out))


# Where a Chinese question's opening phrase ends: its first function word, question word or
# punctuation ("沼鹿|的生活习性…", "交叉笛鲷|哪里有…", "唐于渝|在哪所大学…"), read on
# jieba's words so that a name holding such a character ("唐于渝") stays whole
_LEAD_STOP = frozenset("的 是 在 有 被 于 由 和 与 及 曾 为 对 从 把 将 会 能 要 也 都 就 还 又 最 更 所 啥 谁 几 咋 吗 呢".split())
_LEAD_STOP_START = ("哪", "什么", "多少", "为什么", "为何", "如何", "怎么", "怎样", "是否", "有没有", "是不是")
# ...and within it, where the name ends: at a verb, a time or number word, an adverb,
# preposition, conjunction, particle, pronoun or localiser (jieba's tags; a verbal noun
# "vn" stays), or a figure. A reader's reworded question opens with more than the name
# ("汇丰|2005年买下的…", "演员凌云|当年是靠…"), and only the name is looked up.
# the middle dots that join the parts of a transliterated name ("拉姆·巴兰·亚达夫")
NAME_DOTS = "·・•‧"
_NO_NAME_DOTS = str.maketrans("", "", NAME_DOTS)
_NAME_END_TAGS = ("v", "t", "m", "d", "p", "c", "u", "r", "f", "q", "y", "e", "o", "zg")
# A question that opens with the document itself or its writer ("文章提到…", "文中…", "作者认为…")
# names no subject of its own: the reader asks about the text they were given. (_DOC_REFERENCE
# above is the word-level twin that content words skip; 文章 and 作者 stay content words there.)
_DOCUMENT_REFERENCES = ("文章", "文中", "本文", "该文", "此文", "原文", "全文", "这篇", "该篇", "文档", "作者", "笔者")
# ...nor one that opens with an instruction to the reader ("简述黄埔港的重要性", "请问…")
_INSTRUCTIONS = ("简述", "试述", "略述", "概述", "详述", "描述", "阐述", "论述", "列举", "请问", "说说", "谈谈", "介绍",
                 "说明", "解释")
_BOOK_TITLE = re.compile(r"《([^《》]{2,})》")


def leading_phrase(question: str) -> str:
    """A Chinese question's opening name, in simplified characters: what it is asked about
    when it opens with it ("交叉笛鲷哪里…" -> "交叉笛鲷", "唐于渝在哪所大学…" -> "唐于渝");
    "" when it opens with its question word, a figure or a common verb, a reference to the
    document ("文章…", "文中…") or an instruction ("简述…"), or the name is one character. A
    transliterated name is read whole, its parts joined by middle dots ("拉姆·巴兰·亚达"), up to
    two characters into its last part. A
    title in 《》 that the opening leads into is the name ("电视剧《无字碑歌》是哪年…" -> "无字碑歌":
    电视剧 only says what kind).
    jieba's tags cut some rare names short ("黑尾前肛鳗" -> "黑尾"): the rest is still looked up."""
    text = fold(question).strip()
    lead = ""
    for w in _jieba().lcut(text):
        if lead and w in NAME_DOTS:
            lead += w  # a transliterated name's parts ("拉姆·巴兰·亚达夫") are one name
            continue
        if w in _LEAD_STOP or w.startswith(_LEAD_STOP_START) or not re.search(rf"[\w{IDEOGRAPHS}]", w):
            break  # a function or question word, or punctuation and white space
        lead += w
    lead = lead.rstrip(NAME_DOTS)
    if lead.startswith(_DOCUMENT_REFERENCES + _INSTRUCTIONS):
        return ""
    name = ""
    tagged = [(p.word, p.flag) for p in _jieba().posseg.cut(lead)]
    for i, (w, flag) in enumerate(tagged):
        if _ends_name(w, flag) and not (i == 0 and _rare_word_opening_a_name(w, flag, tagged[1:2])):
            break
        name += w
    title = _BOOK_TITLE.match(text, len(lead))
    if title and name == lead:  # nothing but the kind of work before it ("88年那部《…》" opens with a figure)
        return title.group(1)
    dot = max(name.rfind(d) for d in NAME_DOTS)
    if dot >= 0:
        # jieba cannot tell where a transliterated name's last part ends ("罗伯特·霍顿效力",
        # "尼高·高华以"): its first two characters tell the name apart, and no more is read
        name = name[: dot + 3]
    return name if len(name) >= 2 else ""


def _ends_name(word: str, flag: str) -> bool:
    """Does this word of a question's opening end the name in it: a word of _NAME_END_TAGS (a
    verbal noun "vn" stays) or a figure? A Latin word or code ("TVB", "JR", "城巴E23P线") is part
    of the name: jieba tags it "eng", which the interjection tag "e" would match by its start."""
    if (flag == "eng" and re.search(r"[A-Za-z]", word)) or word in NAME_DOTS:
        return False
    return (flag.startswith(_NAME_END_TAGS) and not flag.startswith("vn")) or any(ch.isdigit() for ch in word)


def _rare_word_opening_a_name(word: str, flag: str, following: Sequence[tuple[str, str]]) -> bool:
    """Is a question's first word, tagged a verb, the start of a rare name instead? jieba tags a
    word it barely knows by guess ("截尾鹦嘴鱼" -> 截尾/v 鹦嘴/n 鱼/n), and the name would end
    before it began. A question that opens with a real verb ("发现青霉素的是谁") opens with a
    common one; a rare one (under _COMMON_WORD_FREQ in jieba's dictionary) of two or more
    characters with a noun after it is read as the name's first word."""
    return (flag == "v" and bool(re.fullmatch(rf"[{IDEOGRAPHS}]{{2,}}", word))
            and _dictionary_frequency(word) < _COMMON_WORD_FREQ
            and bool(following) and following[0][1].startswith("n"))


_ORDINAL = re.compile(r"^第(?:[一二三四五六七八九十百千]+|\d+)")


def ordinal_phrases(text: str) -> list[str]:
    """Ordinals with what they rank ("第一梯队", "第一批", "第10次"): a claim of rank or
    order is a figure, and a false premise often states the wrong one. References to the
    articles themselves ("第一篇") are left out: the passages never number themselves."""
    tokens = [t for t in _jieba().lcut(fold(strip_markers(text))) if t.strip()] + [""]
    out = []
    for i, tok in enumerate(tokens[:-1]):
        after = tokens[i + 1]
        if tok == "第" and after.isdigit():  # "第", "10", "次"
            tok, after = tok + after, tokens[i + 2] if i + 2 < len(tokens) else ""
        m = _ORDINAL.match(tok)
        if not m:
            continue
        # a bare "第一" takes the next word: the rank needs what it ranks ("第一" + "梯队")
        phrase = tok + after if m.end() == len(tok) and _CJK.match(after) else tok
        if m.end() < len(phrase) and "篇" not in phrase:
            out.append(phrase)
    return out


def person_names(text: str) -> list[str]:
    """Personal names in a text: Chinese ones (words jieba tags as a person's name that have
    the shape of one (rag.text.names) and are not everyday dictionary words: jieba tags
    "高水平" and "智能化" as names too), then transliterated and Latin-script ones
    ("弗莱明", "巴拉克·欧巴马", "Alexander Fleming")."""
    out = []
    folded = fold(strip_markers(text))
    for w, flag in _jieba().posseg.cut(folded):
        known = _dictionary_frequency(w)
        # a word jieba guessed (not in its dictionary) is a name; a dictionary word rarely is
        # ("成渝" is the Chengdu-Chongqing region, "高水平" a phrase), unless a rare 3-character one
        if flag in _PERSON_TAGS and is_chinese_name(w) and (not known or (len(w) == 3 and known < 50)):
            out.append(w)
    return list(dict.fromkeys(out + foreign_names(folded)))


# Questions that ask for a name outright: an author, a photographer, "叫什么名字". (Plain 谁
# often wants an organisation: "谁主办".)
_ASKS_NAME_OUTRIGHT = re.compile(
    r"作者是谁|作者叫|谁写|谁撰写|由谁|谁拍|谁摄|摄影(?:师|者)?是谁|记者是谁|叫什么名字|什么名字|姓名|名字是|哪位(?:作者|记者|学者|专家|教授)"
    r"|\bwho (?:wrote|authored|took|photographed|is the author)\b|\bname of the (?:author|professor|researcher|reporter|photographer|writer)\b"
    r"|\bwhat is the (?:author|photographer|reporter)'?s name\b",
    re.IGNORECASE,
)
# ... and any "哪位 / 哪一位 / 哪个人" (位 counts people: "哪位建筑师", "哪位博物学家")
_ASKS_PERSON_BY_CLASSIFIER = re.compile(r"哪一?位|哪个人")


def asks_name(question: str) -> bool:
    """Does the question want a person's name (the evidence ranking's name bonus, the
    refusal's `draft_lacks_asked`)?"""
    folded = fold(question)
    return bool(_ASKS_NAME_OUTRIGHT.search(folded) or _ASKS_PERSON_BY_CLASSIFIER.search(folded))


def asks_name_outright(question: str) -> bool:
    """Does the question say in words that it wants a name or an author ("作者是谁", "叫什么
    名字", "由谁")? Then a reply naming nobody is wrong for certain (rag.answering.review's
    repair); "哪位…" is also answered by a title or a pen name ("仁穆王后", "古龙") that the
    name reader (person_names) does not see as a name."""
    return bool(_ASKS_NAME_OUTRIGHT.search(fold(question)))
