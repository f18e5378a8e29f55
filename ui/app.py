"""Gradio chat over the documents, on top of rag.Assistant and rag.evaluation.runner.

    demo = build_app(Settings.load())      # or build_app(assistant)
    launch(demo, host="127.0.0.1", port=7860)

The page holds no retrieval or generation logic; it turns what the Assistant
yields into HTML. Everything a browser sees is a function of its session's
`Conversation` (kept in gr.State, so each browser has its own, and saved in that
browser's localStorage so a reload brings it back), which is why the handlers can be
called directly in tests:

    respond(backend, message, conv, generator, k, retrieval)  -> yields page updates
    stop_answer(conv) / regenerate(backend, conv, ...) / edit_question(backend, conv, i, text, ...)
    select_citation(conv, "cite-0-1")                          -> sources panel
    rate(backend, conv, i, liked) / comment(backend, conv, turn, text)  -> the feedback log
    copy_answer(conv, "copy-0") / export_conversation(conv)   -> Markdown with sources
    clear_chat() / restore(saved) / save(conv)                -> empty, reloaded, stored page
    run_evaluation(backend, gold, upload, generator, k, retrieval, limit) -> yields progress, report, charts

Loading the index and warming up the model happen in a background thread
(`Backend`), so the page comes up at once and shows what it is waiting for.

This module is the package's front door: `rag serve` and the tests import from it.
The work lives in one module per job:

    backend     the Assistant, loaded in the background
    state       Conversation and Turn, one per browser
    render      chat bubbles and the sources panel as HTML
    chat        the chat tab's handlers: answer, stop, regenerate, edit, select, clear, restore
    feedback    thumbs up/down and comments, into rag.evaluation.feedback's log
    export      an answer or the conversation as Markdown (rag.answering.transcript)
    chat_tab    the chat tab's components and their event wiring
    evaluation  the evaluation tab
    assets      CSS, JS and the theme
    layout      the Blocks page, the settings and tabs, and launch()
"""
from __future__ import annotations

from .backend import Backend
from .chat import clear_chat, edit_question, regenerate, respond, restore, save, select_citation, stop_answer
from .evaluation import DEFAULT_GOLD, gold_choices, run_evaluation
from .export import copy_answer, export_conversation
from .feedback import comment, rate
from .layout import build_app, launch, poll_status
from .render import SOURCES_EMPTY, esc, highlight_passage, link_markers, render_chat, render_sources
from .state import Conversation, Turn

__all__ = [
    "DEFAULT_GOLD", "SOURCES_EMPTY", "Backend", "Conversation", "Turn", "build_app", "clear_chat", "comment",
    "copy_answer", "edit_question", "esc", "export_conversation", "gold_choices", "highlight_passage", "launch",
    "link_markers", "poll_status", "rate", "regenerate", "render_chat", "render_sources", "respond", "restore",
    "run_evaluation", "save", "select_citation", "stop_answer",
]
