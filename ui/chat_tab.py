"""The chat tab: its components and the wiring of their events to the handlers in
ui.chat, ui.feedback and ui.export.

The conversation lives in gr.State (this session's copy, what handlers read and change)
and is saved after every change to gr.BrowserState, i.e. this browser's localStorage, from
where the page's load event brings it back after a reload. Nothing of it is kept on the
server beyond the session, so another browser never sees it; "clear" saves the empty one.
"""
from __future__ import annotations

import gradio as gr

from .assets import COPY_MARKDOWN, DOWNLOAD_MARKDOWN, FOCUS_QUESTION, PRIVATE, SCROLL_TO_SELECTED
from .backend import Backend
from .chat import clear_chat, edit_question, page, regenerate, respond, restore, save, select_citation, stop_answer
from .export import copy_answer, export_conversation
from .feedback import comment, rate
from .render import SOURCES_EMPTY, notice
from . import inputs
from .inputs import guarded
from .state import Conversation

STORAGE_KEY = "rag-chongqing-conversation"
# BrowserState encrypts what it stores with this; a fixed one keeps a conversation readable
# after the server restarts. (It travels with the page, so it is no secret from the browser's
# owner; what keeps a conversation private is that it stays in that browser.)
STORAGE_SECRET = "rag-chongqing-chat-v1"


def build_chat_tab(demo: gr.Blocks, backend: Backend, generator, top_k, retrieval, *, examples: list[str],
                   model_queue: str, concurrency: int) -> None:
    """The chat tab's components, inside the caller's gr.Tabs, and their events."""
    with gr.Tab("对话 · Chat", id="chat-tab"):
        # inside the tab: anything else placed directly in gr.Tabs shows up as a tab of its own
        conv = gr.State(Conversation())
        stored = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=STORAGE_SECRET)
        fb_target = gr.State(None)  # the turn a comment goes to: the one rated last
        with gr.Row(equal_height=False, elem_id="chat-row"):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    value=[], elem_id="chat", height=560, show_label=False,
                    examples=[{"text": q} for q in examples], feedback_options=("Like", "Dislike"),
                    editable="user", buttons=["copy"], placeholder="问一个关于文档的问题 · Ask about the documents",
                )
                note = gr.HTML("", elem_id="notice")
                with gr.Row(elem_id="ask-row"):
                    box = gr.Textbox(show_label=False, scale=5, elem_id="question", autofocus=True, lines=1,
                                     max_lines=6, placeholder="输入问题，回车发送，Shift+回车换行 · Enter sends, Shift+Enter breaks a line")
                    send = gr.Button("发送 · Send", variant="primary", scale=1, min_width=80, elem_id="send")
                    stop = gr.Button("■ 停止 · Stop", variant="stop", scale=1, min_width=80, elem_id="stop")
                with gr.Row(elem_id="chat-actions"):
                    regen = gr.Button("↻ 重新生成 · Regenerate", size="sm", elem_id="regenerate")
                    export = gr.Button("⤓ 导出 · Export (.md)", size="sm", elem_id="export")
                    clear = gr.Button("清空对话 · Clear chat", size="sm", elem_id="clear")
                with gr.Row(visible=False, elem_id="comment-row") as comment_row:
                    comment_box = gr.Textbox(show_label=False, scale=5, elem_id="fb-comment",
                                             placeholder="可选：哪里好、哪里不对？ · Optional: what was right or wrong?")
                    comment_send = gr.Button("提交评论 · Send comment", size="sm", scale=1, elem_id="fb-send")
            with gr.Column(scale=2, min_width=300, elem_id="sources-col"):
                sources = gr.HTML(SOURCES_EMPTY, elem_id="sources")
        # a click on a [n] marker or a "Markdown" link in the chat writes its key here (assets.JS)
        cite_key = gr.Textbox(visible="hidden", elem_id="cite-key")
        cite_go = gr.Button(visible="hidden", elem_id="cite-go")
        copy_key = gr.Textbox(visible="hidden", elem_id="copy-key")
        copy_go = gr.Button(visible="hidden", elem_id="copy-go")
        md_out = gr.Textbox(visible="hidden", elem_id="md-out")

    page = [box, chatbot, conv, sources, note]
    settings = [generator, top_k, retrieval]
    queued = {"concurrency_id": model_queue, "concurrency_limit": concurrency, **PRIVATE}
    answering = []  # every event that runs the model: what the stop button cancels

    def after(event):
        """Save the conversation in the browser, then give the question box the focus back."""
        return event.then(save, [conv], [stored], queue=False, **PRIVATE).then(None, js=FOCUS_QUESTION)

    def _respond(message, state, gen, k, mode, request: gr.Request):
        if not backend.access.can(request.username, "ask"):  # removed from the users file since signing in
            yield page(state or Conversation(), message, notice("请重新登录 · Sign in again.", "error"))
            return
        yield from respond(backend, message, state, gen, k, mode, request.session_hash)

    def _regenerate(state, gen, k, mode, request: gr.Request):
        yield from regenerate(backend, state, gen, k, mode, request.session_hash)

    # event data read from the plain gr.EventData: gr.EditData and the like fail on a
    # malformed payload before the handler runs, and Gradio then sends a null error
    def _edit(state, gen, k, mode, evt: gr.EventData, request: gr.Request):
        data = evt._data if isinstance(evt._data, dict) else {}
        yield from edit_question(backend, state, data.get("index"), data.get("value"), gen, k, mode,
                                 request.session_hash)

    def _stop(state, request: gr.Request):
        return stop_answer(state, backend, request.session_hash)

    def _closed(request: gr.Request):
        """The tab closed or reloaded: its running answer stops, and its model slot is free."""
        backend.cancel(request.session_hash)

    def _example(evt: gr.EventData):
        value = evt._data.get("value") if isinstance(evt._data, dict) else None
        value = value.get("text", "") if isinstance(value, dict) else value
        return inputs.text_field("example", value, max_chars=backend.settings.max_question_chars)

    def _rate(state, evt: gr.EventData, request: gr.Request):
        data = evt._data if isinstance(evt._data, dict) else {}
        chat, state, message, target = rate(backend, state, data.get("index"), data.get("liked", True),
                                            request.username)
        return chat, state, message, target, gr.Row(visible=target is not None)

    def _comment(state, target, text, request: gr.Request):
        message, text, target = comment(backend, state, target, text, request.username)
        return message, text, target, gr.Row(visible=target is not None)

    corpus = backend.settings.corpus_path
    _respond, _regenerate, _edit, _example, _rate, _comment = (
        guarded(f, corpus) for f in (_respond, _regenerate, _edit, _example, _rate, _comment))

    for trigger in (box.submit, send.click):
        answering.append(trigger(_respond, [box, conv, *settings], page, **queued))
    example = chatbot.example_select(_example, None, [box], queue=False, **PRIVATE)
    answering.append(example.then(_respond, [box, conv, *settings], page, **queued))
    for trigger in (regen.click, chatbot.retry):
        answering.append(trigger(_regenerate, [conv, *settings], page, **queued))
    answering.append(chatbot.edit(_edit, [conv, *settings], page, **queued))
    for event in answering:
        after(event)
    demo.unload(_closed)
    after(stop.click(guarded(_stop, corpus), [conv], [chatbot, conv, sources, note], cancels=answering,
                     concurrency_limit=None, **PRIVATE))
    for trigger in (clear.click, chatbot.clear):  # the chatbot's own trash icon forgets it all too
        after(trigger(guarded(clear_chat, corpus), None, page, queue=False, **PRIVATE))

    rated = chatbot.like(_rate, [conv], [chatbot, conv, note, fb_target, comment_row], concurrency_limit=None, **PRIVATE)
    rated.then(save, [conv], [stored], queue=False, **PRIVATE)
    for trigger in (comment_send.click, comment_box.submit):
        trigger(_comment, [conv, fb_target, comment_box], [note, comment_box, fb_target, comment_row],
                concurrency_limit=None, **PRIVATE)

    cite_go.click(guarded(select_citation, corpus), [conv, cite_key], [conv, sources], concurrency_limit=None,
                  **PRIVATE).then(None, js=SCROLL_TO_SELECTED)
    copy_go.click(guarded(copy_answer, corpus), [conv, copy_key], [md_out], concurrency_limit=None,
                  **PRIVATE).then(None, [md_out], None, js=COPY_MARKDOWN)
    export.click(guarded(export_conversation, corpus), [conv], [md_out], concurrency_limit=None,
                 **PRIVATE).then(None, [md_out], None, js=DOWNLOAD_MARKDOWN)
    demo.load(guarded(restore, corpus), [stored], [chatbot, conv, sources], queue=False, **PRIVATE)
