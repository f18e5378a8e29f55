"""Yes/no ("polar") questions: telling them from other questions, and reading the verdict an
answer gives ("是的……" / "没有……" / "No, ...").

A reply "文档中没有找到…" to "苏镜宇进入过上海申花一队吗？" while the passage says "苏镜宇没有进入
上海申花一队" is wrong, and so is a "是的" to a claim the passage contradicts. The evaluation
scores yes/no questions by the verdict an answer gives (`verdict`, for a gold item's optional
"verdict"); the pipeline uses `is_polar` and `stated_verdict` to keep a negative answer away
from the answer check, which misreads it (rag.answering.check.misreads).
"""
from __future__ import annotations

import re

from .script import IDEOGRAPHS, has_cjk
from .sentences import MARKER, split_sentences

# Question words: a sentence holding one asks for a value, not for yes or no
# ("你知道复兴社是什么时候成立的吗？" ends in 吗 but asks "when").
_WH_ZH = re.compile(r"什么|甚麼|什麼|哪|谁|誰|多少|几[个個年月日次岁歲位种種家条條名号號部本座]|怎|为什么|為什麼|为何|為何|如何|何时|何時|何地|何人|何处|何處|啥")
# "A还是B？" asks for a choice; "还是" in a question ending in 吗 means "still" ("如今还是…吗？")
_CHOICE = re.compile(r"还是|還是")
_WH_EN = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
# "A不A" / "A没A" ("是不是", "有没有", "能不能", "会不会", "可不可以") and the written forms.
_REPEATED_VERB = rf"([{IDEOGRAPHS}])[不没沒]\1"
_A_NOT_A = re.compile(_REPEATED_VERB + r"|是否|能否|可否|有无|有無|对不对|對不對|好不好")
_ENDS_ZH = re.compile(r"[吗嗎么麼嘛][\s？?。！!]*$")
_AUX_EN = re.compile(r"^\s*(is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|shall|should|may|might|must)"
                     r"(n't)?\b", re.IGNORECASE)


def is_polar(question: str) -> bool:
    """True for a question answered by yes or no: "X吗？", "是否X", "X是不是Y", "有没有X",
    "Is X ...?", "Did X ...?"; not when it also holds a question word ("X是什么吗？", "哪个",
    "还是": a choice) or is English with a wh-word."""
    q = question.strip()
    if not q:
        return False
    if has_cjk(q):
        if _WH_ZH.search(q):
            return False
        if _ENDS_ZH.search(q):
            return True
        return bool(_A_NOT_A.search(q)) and not _CHOICE.search(q)
    # "Was X ...?", and after an opening phrase: "During the Regency, was George III ...?"
    return bool(_AUX_EN.match(q) or _AUX_EN.match(q.split(",", 1)[-1])) and not _WH_EN.search(q)


# An answer's verdict from its first words. "No" words first: "不是" starts with no "是".
_LEAD_NO_ZH = re.compile(r"^(不是|不对|不對|不会|不會|不能|不可以|不可能|不曾|没有|沒有|没|沒|并非|並非|并没有|並沒有|并不|並不|否|不(?=[\s，,。.！!、；;\u201d\x22\u300d\u300f]))")
_LEAD_YES_ZH = re.compile(r"^(是的|是|对的|對的|对|對|有的|有|会的|會的|会|會|能|可以|确实|確實|正确|正確)")
_LEAD_NO_EN = re.compile(r"^(no|not|nope|false|incorrect)\b", re.IGNORECASE)
_LEAD_YES_EN = re.compile(r"^(yes|yeah|yep|correct|true|indeed)\b", re.IGNORECASE)
# Negation words, for an answer that states its verdict without a leading yes or no
# ("苏镜宇没有进入上海申花一队"); words that only look negative are taken out first.
_NOT_NEGATION = re.compile(r"是否|能否|可否|与否|與否|不仅|不僅|不断|不斷|不少|不同|不久|不过|不過|不但|不管|不论|不論|不如|不得不|不错|不錯|"
                           r"无论|無論|未来|未來|非常|无线|無線|非洲|毫不|莫不")
_NEGATION_ZH = re.compile(r"没有|沒有|没|沒|从未|從未|未曾|并未|並未|未能|未|不是|并非|並非|不再|不曾|不能|不会|不會|不可|不|无法|無法|无|無|否")
_NEGATION_EN = re.compile(r"\b(not|never|no|none|neither|nor)\b|n't\b", re.IGNORECASE)
_LEAD_NOISE = re.compile(r"^[\s\"'“”‘’「」『』《》（）()：:，,。.!！-]+")


def _negations(text: str, about: str = "") -> int:
    """How many negations `text` holds; with `about`, only those in front of a character of
    `about` ("没有进入" for "…进入过…吗？"), so that a negation elsewhere in the answer (a
    quotation's "未若…") does not turn its verdict."""
    if not has_cjk(text):
        return len(_NEGATION_EN.findall(text))
    text = _NOT_NEGATION.sub("", text)
    if not about:
        return len(_NEGATION_ZH.findall(text))
    # "无双" in an answer about 《战国无双3》 is the question's own word, not a negation of it
    return sum(1 for m in _NEGATION_ZH.finditer(text)
               if text[m.end():m.end() + 1] and text[m.end()] in about and text[m.start():m.end() + 1] not in about)


def _body(answer: str) -> str:
    return _LEAD_NOISE.sub("", MARKER.sub("", answer)).strip()


def stated_verdict(answer: str, question: str = "") -> str | None:
    """The verdict an answer states: "yes" or "no" by its leading word ("是的，……",
    "没有。……", "No, ..."), "no" when its first sentence negates more than the question
    does ("苏镜宇没有进入上海申花一队" to "…进入过…吗？"); None when it states neither (a
    quoted sentence that affirms something, which may or may not be what was asked)."""
    text = _body(answer)
    if not text:
        return None
    if _LEAD_NO_ZH.match(text) or _LEAD_NO_EN.match(text):
        return "no"
    if _LEAD_YES_ZH.match(text) or _LEAD_YES_EN.match(text):
        return "yes"
    first = split_sentences(text)[0]
    # the question's "是不是" / "有没有" / "是否" asks; it negates nothing: its claim is read
    # ("需不需要数据库" -> "需要数据库", so that "不需要" in the answer is a no)
    asked = statement(question)
    return "no" if _negations(first, about=asked) > _negations(asked) else None


def verdict(answer: str, question: str = "") -> str | None:
    """How a reader takes an answer to a yes/no question: its stated verdict, and "yes" for
    an answer that affirms without a yes word; None for no answer text."""
    if not _body(answer):
        return None
    return stated_verdict(answer, question) or "yes"


def statement(question: str) -> str:
    """The claim a yes/no question asks about, as a sentence to check against passages:
    "复兴社是不是成立于南京？" -> "复兴社是成立于南京"; English is left as asked, without "?"."""
    s = re.sub(r"[\s？?。！!]+$", "", question.strip())
    if not has_cjk(s):
        return s
    s = re.sub(r"[吗嗎么麼嘛]$", "", s)
    s = re.sub(r"[，,]?(对|對|对不对|對不對|是不是)$", "", s)
    s = s.replace("是否", "").replace("能否", "能").replace("可否", "可以").replace("有无", "有").replace("有無", "有")
    return re.sub(_REPEATED_VERB, r"\1", s)
