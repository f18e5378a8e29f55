"""Copy one answer, or download the whole conversation, as Markdown with numbered sources
(the text comes from rag.answering.transcript; the page's script puts it on the clipboard or in a file)."""
from __future__ import annotations

from rag.answering import answer_markdown, conversation_markdown

from . import inputs
from .state import Conversation

TITLE = "对话记录 · Conversation"


def answer_key_turn(key: str) -> int | None:
    """The turn of the page's own copy key "copy-<turn>" (see render.render_turn)."""
    head, _, tail = (key or "").strip().lstrip("#").partition("-")
    return int(tail) if head == "copy" and tail.isdigit() else None


def copy_answer(conv: Conversation | None, key: str) -> str:
    """One answer with its question and sources, as Markdown ("" when there is none)."""
    conv = conv if isinstance(conv, Conversation) else Conversation()
    t = answer_key_turn(inputs.text_field("copy key", key, max_chars=64))
    if t is None or t >= len(conv.turns) or conv.turns[t].answer is None:
        return ""
    return answer_markdown(conv.turns[t].answer, conv.turns[t].question)


def export_conversation(conv: Conversation | None) -> str:
    """The whole conversation as one Markdown document, sources numbered at the end."""
    conv = conv if isinstance(conv, Conversation) else Conversation()
    turns = [(t.question, t.answer) for t in conv.turns]
    return conversation_markdown(turns, title=TITLE, no_answer="（未完成的回答 · no answer: stopped or failed）")
