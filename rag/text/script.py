"""Which characters are Chinese, and whether a text is Chinese: defined here once.

The character class is every CJK ideograph block Unicode has: the unified ideographs
(U+4E00-9FFF), extension A (U+3400-4DBF), the compatibility ideographs (U+F900-FAFF)
and extensions B onwards with the compatibility supplement (U+20000-2FA1F). Narrower
classes were in use before (U+4E00-9FFF in some places, U+3400-9FFF in others): with
them a rare character of a person's or place's name (extension B, such as 𠮷) or a
compatibility form found in traditional and Korean-sourced text stopped a name or a
bigram in the middle, and U+4DC0-4DFF (the Yijing hexagram symbols, which are not
letters) counted as Chinese. The wider class changes nothing on text without those
characters.
"""
from __future__ import annotations

import re

# for use inside a regular-expression character class: rf"[{IDEOGRAPHS}·]"
IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# CJK punctuation (U+3000-303F) and full-width forms (U+FF00-FFEF): the rest of a line of Chinese text
CJK_PUNCTUATION = "\u3000-\u303f\uff00-\uffef"

CJK_CHAR = re.compile(rf"[{IDEOGRAPHS}]")
CJK_RUN = re.compile(rf"[{IDEOGRAPHS}]+")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def is_ideograph(ch: str) -> bool:
    """One character: is it a Chinese character?"""
    return bool(CJK_CHAR.fullmatch(ch))


def has_cjk(text: str) -> bool:
    """Does the text hold any Chinese character at all?"""
    return bool(CJK_CHAR.search(text))


def is_chinese(text: str) -> bool:
    """True when Chinese characters make up a fair share of the letters: a Chinese text,
    also when it carries Latin terms ("DeepSeek是什么公司？"); an English sentence that
    names one Chinese place ("What is the GDP of 重庆 in 2024?") is not."""
    cjk = len(CJK_CHAR.findall(text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    return cjk > 0 and cjk * 3 >= latin  # a Chinese character carries ~3 letters' worth of meaning
