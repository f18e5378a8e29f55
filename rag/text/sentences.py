"""Where sentences end, in Chinese and English text: one rule for the chunker's long-
paragraph slicing, the evidence sentences and citation checking."""
from __future__ import annotations

import re

# punctuation that ends a sentence (the semicolon too: Chinese lists whole clauses with it)
SENTENCE_END_MARKS = "。！？!?；;"
# characters that may close a sentence after its end mark (quotes, brackets)
_CLOSERS = set("”’」』）)\"'】")
# A citation marker in any of the shapes models produce: [1] [1,2] [1-3] 【1】 ［1］
MARKER = re.compile(r"[\[【［]\s*\d+(?:\s*(?:[,，、;；]|[-–~～])\s*\d+)*\s*[\]】］]")
# A list item's number or bullet opening a line ("1. ", "2、", "3）", "(4)", "- "): it orders
# the items and is kept apart from the item's sentences (a model's numbered list answer)
_ITEM_NUMERAL = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
PARENTHESIZED_ITEM = rf"[(（]{_ITEM_NUMERAL}[)）]"  # "(1)", "（二）": an item number wherever it stands
LIST_ITEM_NUMBER = rf"{_ITEM_NUMERAL}[.、)）](?!\d)|{PARENTHESIZED_ITEM}"
_LIST_ITEM_START = re.compile(rf"^[ \t]*(?:{LIST_ITEM_NUMBER}|[-*•·](?=\s))[ \t]*")
_SENT_END = re.compile(rf"(?<=[{SENTENCE_END_MARKS}])|(?<=\.)(?=\s)|\n+")
# In running Chinese prose (the chunker's slicing) only the full-width marks and ! ? end a
# sentence: an ASCII ";" or ". " there is inside a formula, a URL or an abbreviation.
_PROSE_END = re.compile(r"(?<=[。！？!?；])")


def ends_sentence(text: str) -> bool:
    """Does the text stop at a sentence end (an end mark or an ellipsis, maybe then a closing quote)?"""
    t = text.rstrip()
    while t and t[-1] in _CLOSERS:
        t = t[:-1]
    return bool(t) and t[-1] in SENTENCE_END_MARKS + "…"


def prose_cuts(text: str) -> list[int]:
    """Offsets just after each sentence end of running prose (inside the text, not at its ends)."""
    return [m.start() for m in _PROSE_END.finditer(text) if 0 < m.start() < len(text)]


def split_sentences(text: str) -> list[str]:
    """Sentences with their end punctuation; a citation marker written after the
    full stop ("……。[1]") stays with the sentence before it."""
    pieces = [p for p in _SENT_END.split(text) if p and p.strip()]
    out: list[str] = []
    for piece in pieces:
        lead = re.match(rf"^\s*(?:{MARKER.pattern}\s*)+", piece)
        if lead and out:
            out[-1] += lead.group(0).strip()
            piece = piece[lead.end() :]
        if piece.strip():
            out.append(piece.strip())
    return out


def list_lines(text: str) -> list[tuple[str, str]]:
    """(item number or bullet with its spacing, rest of the line) for each non-blank line:
    "1. 建设…\n2. 加强…" -> [("1. ", "建设…"), ("2. ", "加强…")]; ("", line) for a line
    that opens with no item number."""
    out = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        m = _LIST_ITEM_START.match(line)
        out.append((m.group(0), line[m.end():]) if m else ("", line))
    return out
