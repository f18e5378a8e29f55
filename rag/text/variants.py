"""Simplified and traditional characters (OpenCC): folding text for comparison, telling
which of the two a text is written in, and writing an answer in the script of the
passages it comes from.

A small model reading traditional passages tends to answer in simplified characters
("聯合國" -> "联合国"): wrong for a reader of traditional text, and the answer no longer
matches the passage it cites. The repair takes, for each character, the form the
passages use; OpenCC's phrase-level conversion decides the characters the passages do
not settle (干 -> 幹 / 乾 / 干 by the word around it).
"""
from __future__ import annotations

import functools

from .script import has_cjk

SIMPLIFIED, TRADITIONAL = "simplified", "traditional"


@functools.lru_cache(maxsize=2)
def _converter(config: str):
    """An OpenCC converter, built on first use (t2s: to simplified, s2t: to traditional)."""
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text) if has_cjk(text) else text


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text) if has_cjk(text) else text


def fold(text: str) -> str:
    """The text in simplified characters, for comparing (never for display)."""
    return to_simplified(text)


def folded_in_place(text: str) -> str:
    """`fold(text)` when folding keeps every character in its place (so a match found in the
    folded text has the same span in the text as written: "還有" at 0 is "还有" at 0); the text
    itself otherwise. For reading a traditional text with word lists written in simplified."""
    folded = fold(text)
    return folded if len(folded) == len(text) else text


def cut_folded(pattern, text: str, replacement: str = "") -> str:
    """The text with every match of `pattern` in its folded form replaced, each span cut
    from the text as written (a traditional question loses "什麼" as a simplified one loses "什么")."""
    folded = folded_in_place(text)
    out, last = [], 0
    for m in pattern.finditer(folded):
        out += [text[last:m.start()], replacement]
        last = m.end()
    return "".join(out) + text[last:]


def script_of(text: str) -> str | None:
    """SIMPLIFIED or TRADITIONAL by the characters that differ between the two forms
    (most characters are written alike in both); None when none of them occurs."""
    if not has_cjk(text):
        return None
    simp, trad = to_simplified(text), to_traditional(text)
    traditional_only = sum(a != b for a, b in zip(text, simp)) if len(simp) == len(text) else 0
    simplified_only = sum(a != b for a, b in zip(text, trad)) if len(trad) == len(text) else 0
    if traditional_only == simplified_only:
        return None
    return TRADITIONAL if traditional_only > simplified_only else SIMPLIFIED


def _forms_in(passages: list[str], script: str) -> dict[str, str]:
    """For each character written differently in the other script, the form the passages use:
    {other-script form: passage form} (the commonest, when a passage uses several). A form the
    passages write unchanged counts too: a traditional text converted by rule may hold "齣入"
    beside many a "出", and 出 is then the passages' form of 出."""
    to_other = to_simplified if script == TRADITIONAL else to_traditional
    counts: dict[str, dict[str, int]] = {}
    for text in passages:
        other = to_other(text)
        if len(other) != len(text):
            continue
        # a passage in the other script (a mixed collection) writes that script's forms
        # unchanged: they are not the forms of the script the answer is brought to
        own = script_of(text) in (script, None)
        for mine, theirs in zip(text, other):
            if mine != theirs or own:
                seen = counts.setdefault(theirs, {})
                seen[mine] = seen.get(mine, 0) + 1
    return {k: max(v, key=v.get) for k, v in counts.items() if len(v) > 1 or k not in v}


def in_script_of(answer: str, passages: list[str]) -> str:
    """The answer written in the script of the passages it comes from: the passages'
    own form of each character they settle, OpenCC's conversion for the rest. An answer
    already in that script, or passages of no definite script, leave it as it is."""
    target = script_of("".join(passages))
    if target is None:
        return answer
    forms = _forms_in(passages, target)
    # a mixed answer ("楼曾瑞现任…學校校監": as many characters of each script) is repaired
    # too: any character the passages write in their own, other form is converted
    if script_of(answer) in (None, target) and not any(forms.get(c, c) != c for c in answer):
        return answer
    converted = to_traditional(answer) if target == TRADITIONAL else to_simplified(answer)
    if len(converted) != len(answer):  # a phrase rule changed the length: go character by character
        converted = "".join(to_traditional(c) if target == TRADITIONAL else to_simplified(c) for c in answer)
    return "".join(forms.get(a, c) for a, c in zip(answer, converted))


def converted_away(answer: str, passages: list[str]) -> list[str]:
    """Characters of the answer written in the other script than the passages' own form of
    the same character (empty when the answer keeps the passages' script)."""
    target = script_of("".join(passages))
    if target is None:
        return []
    forms = _forms_in(passages, target)
    return [c for c in answer if c in forms and forms[c] != c]
