"""The chat tab's handlers: answer a message (streaming), select a cited passage, clear.
Each takes and returns the session's `Conversation`, so tests call them directly."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from rag.errors import InputError, RagError

from .api import queue_label
from .backend import Backend, wait_for
from .render import notice, render_chat, render_sources
from .state import Conversation, Turn

log = logging.getLogger(__name__)


def respond(
    backend: Backend,
    message: str,
    conv: Conversation | None,
    generator: str | None = None,
    k: int | float | None = None,
    retrieval: str | None = None,
) -> Iterator[tuple[str, list[dict], Conversation, str, str]]:
    """Answer one chat message, streaming. Yields (textbox, chat, conversation, sources,
    notice). Problems with the question show in the notice line and leave the chat as it
    was; problems while answering show in the chat; neither ends the session."""
    conv = conv if conv is not None else Conversation()
    message = message or ""

    def page(box: str = "", note: str = ""):
        return box, render_chat(conv), conv, render_sources(conv), note

    for status in wait_for(backend):
        yield page(message, notice(status, "info"))
    assistant = backend.assistant
    if assistant is None:
        yield page(message, notice(backend.status(), "error"))
        return
    try:
        question = assistant.check_question(message)
    except InputError as e:
        yield page(message, notice(str(e)))
        return

    turn = Turn(question=question, status="正在检索… · Searching the documents…")
    conv.turns.append(turn)
    conv.selected = None
    yield page()
    try:
        events = assistant.ask_stream(
            question,
            history=conv.history(),  # the new turn has no answer yet, so it is not in it
            k=int(k) if k else None,
            generator=generator or None,
            retrieval=retrieval or None,
        )
        for event in events:
            if event.kind == "status":
                turn.standalone = event.text
                turn.status = "正在生成… · Writing the answer…"
            elif event.kind == "evidence":
                turn.evidence = event.evidence
                turn.status = "正在生成… · Writing the answer…"
            elif event.kind == "queue":  # waiting for the model behind other users (rag.gate)
                turn.status = queue_label(event.position)
            elif event.kind == "token":
                turn.partial += event.text
            elif event.kind == "answer" and event.answer is not None:
                turn.answer = event.answer
                turn.standalone = event.answer.standalone_question or turn.standalone
            yield page()
    except RagError as e:
        turn.error = str(e)
    except Exception as e:  # noqa: BLE001 - the page shows it; the log keeps the traceback
        log.exception("answering %r failed", question)
        turn.error = f"出错了 · Something went wrong: {type(e).__name__}: {e}"
    if turn.answer is None and not turn.error:
        turn.error = "没有得到回答 · The assistant returned no answer."
    yield page()


def select_citation(conv: Conversation | None, key: str) -> tuple[Conversation, str]:
    """A click on marker "cite-<turn>-<n>": show that answer's passages with n selected."""
    conv = conv if conv is not None else Conversation()
    m = re.fullmatch(r"#?cite-(\d+)-(\d+)", (key or "").strip())
    if m:
        turn, n = int(m.group(1)), int(m.group(2))
        if turn < len(conv.turns) and conv.turns[turn].answer is not None:
            if any(c.n == n for c in conv.turns[turn].answer.citations):
                conv.selected = (turn, n)
    return conv, render_sources(conv)


def clear_chat() -> tuple[str, list[dict], Conversation, str, str]:
    conv = Conversation()
    return "", [], conv, render_sources(conv), ""
