"""The chat tab's handlers: answer a message (streaming), stop it, regenerate the last
answer, edit and resend a question, select a cited passage, clear, and bring a saved
conversation back. Each takes and returns the session's `Conversation`, so tests call
them directly."""
from __future__ import annotations

import logging
from collections.abc import Iterator

from rag import InputError, RagError, check_question
from rag import RETRIEVAL_MODES

from . import inputs
from .api import queue_label
from .backend import Backend, wait_for
from .render import notice, render_chat, render_sources
from .state import Conversation, Turn

log = logging.getLogger(__name__)

Page = tuple[str, list[dict], Conversation, str, str]  # (question box, chat, conversation, sources, notice)


def page(conv: Conversation, box: str = "", note: str = "") -> Page:
    return box, render_chat(conv), conv, render_sources(conv), note


def check_request(backend: Backend, message, generator=None, k=None, retrieval=None,
                  field: str = "question") -> tuple[str, str | None, int | None, str | None]:
    """The page's fields checked as the APIs check theirs (ui.inputs): the message a string
    of valid Unicode (no lone surrogate) within a generous length (check_question applies
    the real limit after folding white space), k a whole number, the generator's name a
    short string (an unknown one is a ConfigError when it is looked up), the retrieval mode
    one of RETRIEVAL_MODES. InputError names the field."""
    limit = backend.settings.max_question_chars
    message = inputs.text_field(field, message, max_chars=limit * 4)
    generator = inputs.text_field("generator", generator, max_chars=64) or None  # unknown names: ConfigError later
    k = None if k in (None, "", 0) else inputs.whole_number("k", k, 1, inputs.MAX_K)
    retrieval = inputs.choice("retrieval", retrieval, RETRIEVAL_MODES)
    return message, generator, k, retrieval


def respond(
    backend: Backend,
    message: str,
    conv: Conversation | None,
    generator: str | None = None,
    k: int | float | None = None,
    retrieval: str | None = None,
    session: str | None = None,
) -> Iterator[Page]:
    """Answer one chat message, streaming. Yields (textbox, chat, conversation, sources,
    notice). Problems with the question show in the notice line and leave the chat as it
    was; problems while answering show in the chat; neither ends the session.

    Stopping: `stop_answer` marks the turn stopped and the page cancels this generator;
    either way the answer stream is closed, which closes the generator's stream and so
    ends the model's generation (llama.cpp stops decoding; see rag.answering.generators.llama_cpp).
    `session` (the browser's): one model slot at a time per session, and `stop_answer(conv,
    backend, session)` ends the generation at once through the answer's stop event, even
    while the model is still reading the prompt (a model server's slot is freed)."""
    conv = conv if isinstance(conv, Conversation) else Conversation()
    try:
        message, generator, k, retrieval = check_request(backend, message or "", generator, k, retrieval)
    except InputError as e:  # the box keeps the message only when it can be shown again
        kept = message if isinstance(message, str) and not _unwritable(message) else ""
        yield page(conv, kept, notice(str(e), "error"))
        return
    for status in wait_for(backend):
        yield page(conv, message, notice(status, "info"))
    assistant = backend.assistant
    if assistant is None:
        yield page(conv, message, notice(backend.status(), "error"))
        return
    try:
        question = assistant.check_question(message)
    except InputError as e:
        yield page(conv, message, notice(str(e)))
        return

    turn = Turn(question=question, status="正在检索… · Searching the documents…")
    history = conv.history()  # before the new turn: it has no answer yet
    conv.turns.append(turn)
    conv.selected = None
    yield page(conv)
    events = None
    cancel = backend.running(session)
    try:
        # the page's choices, the settings' defaults where it has none (Assistant.options decides)
        opts = assistant.options(k=k, retrieval=retrieval, generator=generator)
        turn.settings = {"generator": opts.generator, "k": opts.k, "retrieval": opts.retrieval}
        events = assistant.ask_stream(question, history=history, k=opts.k, generator=opts.generator,
                                      retrieval=opts.retrieval, session=session, cancel=cancel)
        for event in events:
            if turn.stopped:  # stop pressed: leave now, the finally closes the stream
                break
            _apply(turn, event)
            yield page(conv)
    except RagError as e:
        turn.error = str(e)
    except Exception as e:  # noqa: BLE001 - the page shows it; the log keeps the traceback
        log.exception("answering %r failed", question)
        turn.error = f"出错了 · Something went wrong: {type(e).__name__}: {e}"
    finally:
        backend.finished(session, cancel)
        if events is not None:
            events.close()  # also when the page cancels us (GeneratorExit): the model stops here
    if turn.answer is None and not turn.error and not turn.stopped:
        turn.error = "没有得到回答 · The assistant returned no answer."
    # the model server would not start or stopped for good: say so beside the extractive answer
    unavailable = backend.fallback and turn.answer is not None and turn.answer.generator == "extractive" \
        and turn.settings.get("generator") == "llama-cpp"
    yield page(conv, note=notice(backend.status()) if unavailable else "")


def _unwritable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def _apply(turn: Turn, event) -> None:
    if event.kind == "status":
        turn.standalone = event.text
        turn.status = "正在生成… · Writing the answer…"
    elif event.kind == "evidence":
        turn.evidence = event.evidence
        turn.status = "正在生成… · Writing the answer…"
    elif event.kind == "queue":  # waiting for the model behind other users (rag.answering.model_line)
        turn.status = queue_label(event.position)
    elif event.kind == "token":
        turn.partial += event.text
    elif event.kind == "checking":  # the streamed answer is being checked (rag.answering.check)
        turn.status, turn.checking = event.text, True
    elif event.kind == "answer" and event.answer is not None:
        turn.answer = event.answer
        turn.standalone = event.answer.standalone_question or turn.standalone


def stop_answer(conv: Conversation | None, backend: Backend | None = None,
                session: str | None = None) -> tuple[list[dict], Conversation, str, str]:
    """The stop button: the running turn keeps what it has streamed and is marked stopped.
    (The page also cancels the running `respond`; this flag stops it at its next event
    when the cancel has not reached it yet. With the backend and session, the model's
    generation ends at once, as when the tab is closed.)"""
    if backend is not None:
        backend.cancel(session)
    conv = conv if isinstance(conv, Conversation) else Conversation()
    for turn in conv.turns:
        if turn.busy:
            turn.stopped = True
    _, chat, conv, sources, _ = page(conv)
    return chat, conv, sources, ""


def regenerate(backend: Backend, conv: Conversation | None, generator=None, k=None, retrieval=None,
               session: str | None = None) -> Iterator[Page]:
    """Ask the last question again (with the settings now chosen), replacing its answer."""
    conv = conv if isinstance(conv, Conversation) else Conversation()
    try:
        check_request(backend, "", generator, k, retrieval)
    except InputError as e:
        yield page(conv, note=notice(str(e), "error"))
        return
    if not conv.turns:
        yield page(conv, note=notice("还没有可以重新生成的回答 · There is no answer to regenerate yet.", "info"))
        return
    question = conv.turns.pop().question
    conv.selected = None
    yield from respond(backend, question, conv, generator, k, retrieval, session)


def edit_question(backend: Backend, conv: Conversation | None, message_index, text: str,
                  generator=None, k=None, retrieval=None, session: str | None = None) -> Iterator[Page]:
    """A question edited in place (the chat's pencil on a user message): the conversation
    from that question on is dropped and the edited question asked in its place."""
    conv = conv if isinstance(conv, Conversation) else Conversation()
    try:  # an emptied, overlong or malformed question changes nothing: the conversation stays as it was
        turn = inputs.message_index("message index", message_index) // 2
        text, *_ = check_request(backend, text, generator, k, retrieval, field="edited question")
        if turn >= len(conv.turns):
            raise InputError("That question is no longer in the conversation; ask it again.")
        check_question(text, backend.settings)
    except InputError as e:
        yield page(conv, note=notice(str(e), "error"))
        return
    del conv.turns[turn:]
    conv.selected = None
    yield from respond(backend, text, conv, generator, k, retrieval, session)


def parse_cite_key(key: str) -> tuple[int, int] | None:
    """(turn, n) from the page's own marker key "cite-<turn>-<n>" (see render.link_markers)."""
    parts = (key or "").strip().lstrip("#").split("-")
    if len(parts) != 3 or parts[0] != "cite" or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return int(parts[1]), int(parts[2])


def select_citation(conv: Conversation | None, key: str) -> tuple[Conversation, str]:
    """A click on marker "cite-<turn>-<n>": show that answer's passages with n selected."""
    conv = conv if isinstance(conv, Conversation) else Conversation()
    picked = parse_cite_key(inputs.text_field("citation key", key, max_chars=64))
    if picked:
        turn, n = picked
        if turn < len(conv.turns) and conv.turns[turn].answer is not None:
            if any(c.n == n for c in conv.turns[turn].answer.citations):
                conv.selected = (turn, n)
    return conv, render_sources(conv)


def clear_chat() -> Page:
    return page(Conversation())


def restore(saved) -> tuple[list[dict], Conversation, str]:
    """On page load: the conversation this browser saved (gr.BrowserState), if any."""
    try:  # a saved value this page cannot show again (a lone surrogate, say) is left behind
        inputs.json_text("saved conversation", saved)
        conv = Conversation.from_json(saved)
    except (InputError, RecursionError):
        log.warning("a saved conversation could not be read; starting an empty one")
        conv = Conversation()
    _, chat, conv, sources, _ = page(conv)
    return chat, conv, sources


def save(conv: Conversation | None) -> dict:
    """What the browser keeps (gr.BrowserState): the conversation as JSON."""
    return (conv or Conversation()).to_json()
