"""Thumbs up/down and an optional comment on an answer, appended to the feedback log
(rag.evaluation.feedback, the file in the feedback_path setting) that `rag feedback export` turns
into gold-file candidates."""
from __future__ import annotations

from rag import RagError
from rag.evaluation import FeedbackLog

from .backend import Backend
from .render import notice, render_chat
from .state import Conversation, turn_of_message

THANKS = "谢谢反馈 · Thanks, your rating is saved."


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
    conv = conv if conv is not None else Conversation()
    t = turn_of_message(message_index)
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
    conv = conv if conv is not None else Conversation()
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
