"""Thumbs up/down and an optional comment on an answer, appended to the feedback log
(rag.evaluation.feedback, the file in the feedback_path setting) that `rag feedback export` turns
into gold-file candidates."""
from __future__ import annotations

from rag import InputError, RagError
from rag.evaluation import FeedbackLog

from . import inputs
from .backend import Backend
from .render import notice, render_chat
from .state import Conversation

THANKS = "谢谢反馈 · Thanks, your rating is saved."
MAX_COMMENT_CHARS = 4000


def _rating(liked) -> str | None:
    """The chatbot's like payload: True / False, or the option's label; anything else withdraws."""
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return None


def rate(backend: Backend, conv: Conversation | None, message_index, liked,
         username: str | None = None) -> tuple[list[dict], Conversation, str, int | None]:
    """A thumb on the answer at chat message `message_index`. Returns (chat, conversation,
    notice, the turn a comment would go to, or None when there is nothing to comment on)."""
    conv = conv if isinstance(conv, Conversation) else Conversation()
    try:
        t = inputs.message_index("message index", message_index) // 2
        if not (liked is None or isinstance(liked, (bool, str))):
            raise InputError(f"the rating must be Like or Dislike, not {type(liked).__name__}.")
    except InputError as e:
        return render_chat(conv), conv, notice(str(e), "error"), None
    if t >= len(conv.turns) or conv.turns[t].answer is None:
        return render_chat(conv), conv, notice("只能评价已完成的回答 · Only a finished answer can be rated.", "info"), None
    turn, rating = conv.turns[t], _rating(liked)
    who = backend.access.who(username)  # the feedback line says who gave it
    log = FeedbackLog(backend.settings.path("feedback_path"))
    try:
        if turn.feedback_id:
            log.update(turn.feedback_id, rating=rating or "none", user=who)
        elif rating:
            turn.feedback_id = log.record(turn.answer, rating, settings=turn.settings, question=turn.question,
                                          user=who)
    except RagError as e:
        return render_chat(conv), conv, notice(str(e), "error"), None
    turn.rating = rating
    return render_chat(conv), conv, notice(THANKS, "info") if rating else "", t if rating else None


def comment(backend: Backend, conv: Conversation | None, target: int | None, text: str,
            username: str | None = None) -> tuple[str, str, None]:
    """The optional comment for the turn just rated. Returns (notice, the emptied comment box,
    no target any more)."""
    conv = conv if isinstance(conv, Conversation) else Conversation()
    try:
        text = inputs.text_field("comment", text, max_chars=MAX_COMMENT_CHARS)
        if target is not None:
            target = inputs.whole_number("comment target", target, 0, 100_000)
    except InputError as e:
        return notice(str(e), "error"), "", None
    if target is None or target >= len(conv.turns) or not conv.turns[target].feedback_id:
        return notice("请先点赞或点踩 · Rate an answer first.", "info"), text, None
    if not (text or "").strip():
        return "", "", None
    try:
        FeedbackLog(backend.settings.path("feedback_path")).comment(conv.turns[target].feedback_id, text,
                                                                     user=backend.access.who(username))
    except RagError as e:
        return notice(str(e), "error"), text, target
    return notice("评论已保存 · Comment saved.", "info"), "", None
