"""End to end, the chat page's everyday controls: stop, regenerate, edit, a conversation
kept across a reload (and only in its own browser), feedback into the log, copy and export.

The page is the real one, served by tests/ui_fake_server.py: a real Assistant over the
corpus with the hash embedder (its index builds in a second) and a scripted language-model
generator, so a test decides when an answer is slow enough to stop and can read what the
"model" did. The real models have their own browser tests in test_ui_browser.py.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("playwright.sync_api")
pytest.importorskip("gradio")

from browser_support import (  # noqa: E402
    ARTIFACTS, EVIDENCE, QUESTION, ROOT, Server, ask, browser, open_page, running, shot, wait_answer,
    wait_js,
)
from ui.chat_tab import STORAGE_KEY  # noqa: E402  (where this browser keeps its conversation)

__all__ = ["browser"]  # a fixture, used by name


OTHER = "重庆如何打造数字产业集群？"


class Scripted:
    """The server and the files through which a test steers and watches its generator."""

    def __init__(self, workdir: Path):
        self.control, self.log, self.feedback = workdir / "control", workdir / "calls.jsonl", workdir / "fb.jsonl"
        self.server = Server(workdir, "scripted", "scripted", {
            "SCRIPTED_CONTROL": str(self.control), "SCRIPTED_LOG": str(self.log),
            "RAG_FEEDBACK_PATH": str(self.feedback),
        }, cmd=[sys.executable, str(ROOT / "tests" / "ui_fake_server.py")])

    def slow(self, on: bool) -> None:
        self.control.write_text("slow" if on else "fast")

    def calls(self) -> list[dict]:
        return [json.loads(x) for x in self.log.read_text().splitlines()] if self.log.is_file() else []

    def settled_calls(self, quiet: float = 1.0) -> list[dict]:
        """The calls once the log has not grown for `quiet` seconds: a call's line is written
        when it ends, which can come just after the page shows its answer."""
        seen, since = self.calls(), time.time()
        while time.time() - since < quiet:
            time.sleep(0.1)
            now = self.calls()
            if len(now) != len(seen):
                seen, since = now, time.time()
        return seen


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    workdir = tmp_path_factory.mktemp("controls")
    shutil.copytree(ROOT / "seeds", workdir / "seeds")
    s = Scripted(workdir)
    with running(s.server):
        yield s


@pytest.fixture()
def context(browser, scripted):
    scripted.slow(False)
    # English UI strings: the tests find the chat's own buttons by their aria-label
    ctx = browser.new_context(viewport={"width": 1400, "height": 950}, locale="en-US", accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context, scripted):
    pg = context.new_page()
    open_page(pg, scripted.server, ready_timeout=60)
    return pg


def last_bot_text(pg) -> str:
    return pg.evaluate("() => [...document.querySelectorAll('#chat .bot')].at(-1)?.innerText || ''")


def test_stop_mid_answer_ends_the_generation_and_the_queue_moves_on(page, scripted):
    scripted.slow(True)
    before = len(scripted.calls())
    ask(page, QUESTION)
    wait_js(page, "() => ([...document.querySelectorAll('#chat .bot')].at(-1)?.innerText.match(/…/g) || []).length >= 5",
            30, scripted.server, what="while streaming")
    page.click("#stop")
    page.locator("#chat .bot .stopped-label").wait_for(timeout=15_000)
    deadline = time.time() + 15
    while len(scripted.calls()) == before and time.time() < deadline:
        time.sleep(0.2)  # the generator writes its line when its stream is closed
    call = scripted.calls()[-1]
    assert not call["finished"] and call["pieces"] < 200, call  # 602 pieces when nobody stops it
    text = last_bot_text(page)
    time.sleep(1.0)
    assert last_bot_text(page) == text and "▌" not in text  # nothing streams in any more
    assert "95%" in text  # what was written before the stop stays
    shot(page, "stopped")

    scripted.slow(False)  # the model is free again: the next question is answered at once
    ask(page, QUESTION)
    assert "95%" in wait_answer(page, timeout=20).inner_text()
    assert scripted.calls()[-1]["finished"]


def test_regenerate_and_edit_ask_again_in_place(page, scripted):
    ask(page, OTHER)
    wait_answer(page)
    ask(page, QUESTION)
    wait_answer(page)
    n_calls = len(scripted.settled_calls())
    page.click("#regenerate")  # the button takes the focus; it comes back to the question box
    # the old answer's meta is still on the page until the new call replaces it: wait for the
    # call itself first (on a loaded machine the page condition alone can hold before it starts)
    deadline = time.time() + 20
    while len(scripted.calls()) <= n_calls:
        assert time.time() < deadline, f"the model was not asked again: {scripted.calls()}"
        time.sleep(0.1)
    wait_js(page, f"() => document.querySelectorAll('#chat .bot .answer-meta').length === 2 "
                  f"&& document.activeElement?.closest('#question') !== null", 20, scripted.server)
    assert len(scripted.calls()) == n_calls + 1  # the model was asked again
    assert page.locator("#chat .user").count() == 2 and page.locator("#chat .bot").count() == 2
    assert "95%" in last_bot_text(page)

    # edit the first question: the conversation from there on is replaced by the new one
    page.locator("#chat button[aria-label='Edit']").first.click()
    editor = page.locator("#chat textarea").first
    editor.fill(QUESTION)
    page.locator("#chat button[aria-label='Submit']").click()
    wait_js(page, "() => document.querySelectorAll('#chat .user').length === 1 "
                  "&& document.querySelector('#chat .bot .answer-meta')", 20, scripted.server)
    assert QUESTION in page.inner_text("#chat .user") and OTHER not in page.inner_text("#chat")


def stored_conversation(pg) -> str | None:
    """What this browser keeps of its conversation (encrypted by BrowserState: compared, not read)."""
    return pg.evaluate("k => window.localStorage.getItem(k)", STORAGE_KEY)


def wait_saved(pg, before: str | None) -> None:
    """Until the page has written a conversation other than `before` (saving follows the page's
    update, so a reload right after an update can find the previous one)."""
    pg.wait_for_function("([k, old]) => window.localStorage.getItem(k) !== old", arg=[STORAGE_KEY, before],
                         timeout=30_000)


def test_reload_keeps_the_conversation_only_in_its_own_browser(browser, context, scripted):
    pg = context.new_page()
    open_page(pg, scripted.server, ready_timeout=60)
    empty = stored_conversation(pg)
    ask(pg, QUESTION)
    wait_answer(pg)
    wait_saved(pg, empty)  # the answer is on the page before it is in localStorage
    pg.reload()
    pg.wait_for_selector("#chat")
    wait_js(pg, "() => document.querySelector('#chat .bot .answer-meta')", 20)
    assert QUESTION in pg.inner_text("#chat .user") and "95%" in last_bot_text(pg)
    pg.locator("#chat .bot a.cite").first.click()  # the restored answer still opens its sources
    card = pg.locator("#sources .source-card.selected")
    card.wait_for(timeout=10_000)
    assert EVIDENCE in card.inner_text().replace(" ", "")

    other = browser.new_context(viewport={"width": 1400, "height": 950})
    try:
        b = other.new_page()
        open_page(b, scripted.server, ready_timeout=60)
        time.sleep(1.0)  # the load event that would restore a conversation has run
        assert b.locator("#chat .message").count() == 0
    finally:
        other.close()

    saved = stored_conversation(pg)
    assert saved
    pg.click("#clear")
    pg.wait_for_function("() => document.querySelectorAll('#chat .message').length === 0", timeout=10_000)
    wait_saved(pg, saved)  # the empty conversation is saved (a fixed 0.5 s sleep flaked under load)
    pg.reload()
    pg.wait_for_selector("#chat")
    time.sleep(1.5)
    assert pg.locator("#chat .message").count() == 0  # clear really cleared


def test_thumbs_and_comment_land_in_the_feedback_log(page, scripted):
    ask(page, QUESTION)
    wait_answer(page)
    page.locator("#chat button[aria-label='Like']").last.click()
    page.locator("#fb-comment textarea").wait_for(timeout=10_000)
    page.fill("#fb-comment textarea", "数字对，来源也对")
    page.click("#fb-send")
    wait_js(page, "() => /Comment saved/.test(document.querySelector('#notice')?.innerText || '')", 10)
    entries = [json.loads(x) for x in scripted.feedback.read_text(encoding="utf-8").splitlines()]
    rated = [e for e in entries if e.get("question") == QUESTION][-1]
    assert rated["rating"] == "up" and "95%" in rated["answer"] and rated["generator"] == "scripted"
    assert rated["citations"] and rated["citations"][0]["spans"]
    assert rated["settings"] == {"generator": "scripted", "k": 5, "retrieval": "hybrid"}
    assert {"id": rated["id"], "comment": "数字对，来源也对"}.items() <= entries[-1].items()
    assert "liked" in last_bot_text(page)


def test_copy_and_export_carry_the_sources(page, scripted):
    ask(page, OTHER)
    wait_answer(page)
    ask(page, QUESTION)
    wait_answer(page)
    page.locator("#chat .bot a.copy-md").last.click()
    wait_js(page, "() => !!window.__ragCopied", 10)
    copied = page.evaluate("() => window.__ragCopied")
    assert copied.startswith(f"**Q:** {QUESTION}") and "## 来源 · Sources" in copied
    assert EVIDENCE in copied.replace(" ", "") and "`chongqing_digital_economy_2025#p" in copied
    with page.expect_download() as download:
        page.click("#export")
    doc = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".md")
    assert doc.index(f"## 1. {OTHER}") < doc.index(f"## 2. {QUESTION}") < doc.index("## 来源 · Sources")
    sources = doc[doc.index("## 来源 · Sources"):]
    assert "[1] " in sources and EVIDENCE in sources.replace(" ", "")
    shot(page, "copy-export")
