"""Scanned PDFs (rag.ingest.ocr, rag.ingest.ocr_layout, the PDF loader's OCR path): which
pages are read by OCR, the page limit, progress, the cache, missing packages, and how OCR
lines become paragraphs. A fake engine stands in for RapidOCR here (fast); the real engine
reads a real scan in the `slow` tests at the end."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rag import ConfigError, Settings
from rag.ingest import OcrOptions, chunk_documents, load_documents, reading_scans
from rag.ingest import ocr
from rag.ingest.loaders.pdf import text_layer, usable_text
from rag.ingest.ocr_layout import Line, PageLines, chinese_marks, drop_furniture, page_paragraphs, reading_order

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
pytest.importorskip("pypdfium2")
needs_font = pytest.mark.skipif(not CJK_FONT.is_file(), reason="fonts-noto-cjk is not installed (scripts/setup.sh)")

SCAN_TEXT = "两江新区数字经济增加值达到一千二百亿元，同比增长百分之十一。"


def write_pdf(path: Path, pages: list[str | None]) -> None:
    """A PDF whose pages are text (a string, in the CJK font) or a grey image (None)."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.add_font("noto", fname=str(CJK_FONT), collection_font_number=2)
    pdf.set_font("noto", size=12)
    for i, text in enumerate(pages):
        pdf.add_page()
        if text is None:
            image = path.parent / f"_page{i}.png"
            Image.new("L", (200, 100), 180).save(image)
            pdf.image(str(image), x=20, y=20, w=120)
        else:
            pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


class FakeEngine:
    """Reads every image as the same lines (boxes scaled to the image), counting calls."""

    def __init__(self, lines=((0.1, 0.02, 0.3, 0.04, "内部资料"), (0.1, 0.2, 0.9, 0.23, SCAN_TEXT),
                              (0.45, 0.96, 0.55, 0.98, "- 2 -"))):
        self.lines, self.calls = lines, 0

    def __call__(self, image, use_cls=True):
        self.calls += 1
        h, w = image.shape[:2]
        boxes = [([[x0 * w, y0 * h], [x1 * w, y0 * h], [x1 * w, y1 * h], [x0 * w, y1 * h]], text, 0.99)
                 for x0, y0, x1, y1, text in self.lines]
        return boxes, [0.1, 0.0, 0.1]


@pytest.fixture
def engine(monkeypatch):
    fake = FakeEngine()
    monkeypatch.setattr(ocr, "_engine", fake)
    return fake


# ------------------------------------------------------------------ which pages, which way

def test_a_text_layer_is_usable_unless_empty_or_garbage():
    assert usable_text("重庆推动人工智能与汽车产业深度融合。")
    assert not usable_text("  3 \n")  # a scanned page with a stamped page number
    assert not usable_text("\ue000\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008\ue009\ue00a")  # private use
    assert not usable_text("¸ñ¹¤³§µÄÉú²úÏßÕýÔÚ")  # GBK bytes read as Latin-1
    assert text_layer("  3 \n") == "empty" and text_layer("\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f") == "garbage"
    # pypdf puts a NUL before each character of some two-byte fonts (fpdf2's among them): not garbage
    assert text_layer("\x00重\x00庆\x00推\x00动\x00人\x00工\x00智\x00能\x00与\x00汽\x00车") == "usable"


GARBLED_TEXT = ["重庆推动人工智能与汽车产业深度融合。", "算力券发放三亿元，支持中小企业使用智能算力。"]


def garble_font_map(src: Path, dst: Path, kind: str = "private") -> None:
    """The PDF with its fonts' ToUnicode maps broken the way real files break them: each
    glyph mapped to a private-use code point (kind "private") or to a Latin-1 letter
    ("latin1", mojibake). The glyphs drawn are unchanged, so the page still shows Chinese;
    only the text a reader extracts is garbage."""
    import re

    from pypdf import PdfWriter

    def broken(m):
        cid = int(m.group(1), 16)
        if cid in (0, 0x20):  # keep NUL and the space as they were
            return m.group(0)
        return f"<{m.group(1)}> <{0xE000 + cid if kind == 'private' else 0xC0 + cid % 0x40:04X}>"

    writer = PdfWriter(clone_from=str(src))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            cmap = font.get_object()["/ToUnicode"].get_object()
            data = cmap.get_data().decode("latin-1")
            cmap.set_data(re.sub(r"<([0-9A-Fa-f]{4})> <[0-9A-Fa-f]{4}>", broken, data).encode("latin-1"))
    writer.write(str(dst))


@needs_font
@pytest.mark.parametrize("kind", ["private", "latin1"])
def test_a_garbage_text_layer_is_read_by_ocr_in_auto_mode(tmp_path, engine, kind):
    import pypdfium2
    from pypdf import PdfReader

    write_pdf(tmp_path / "printed.pdf", ["\n".join(GARBLED_TEXT)])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    garble_font_map(tmp_path / "printed.pdf", corpus / "garbled.pdf", kind)
    # what a reader extracts is garbage; what PDFium draws is the Chinese text (ink on the page)
    page = PdfReader(str(corpus / "garbled.pdf")).pages[0]
    raw = page.extract_text()
    assert text_layer(raw) == "garbage" and "重庆" not in raw
    assert not page.images  # no scan: text drawn with a broken map
    assert text_layer(PdfReader(str(tmp_path / "printed.pdf")).pages[0].extract_text()) == "usable"
    document = pypdfium2.PdfDocument(str(corpus / "garbled.pdf"))
    assert (ocr.render(document[0]) < 128).sum() > 5000
    document.close()
    docs = load_documents(corpus)  # auto, the default
    assert engine.calls == 1 and not docs.skipped
    assert SCAN_TEXT in docs[0].text
    assert not any("\ue000" <= c <= "\uf8ff" or "\xc0" <= c <= "\xff" for c in docs[0].text)
    with reading_scans(OcrOptions(mode="off")):  # OCR off: the text layer, garbage and all
        assert "重庆" not in load_documents(corpus)[0].text
    assert engine.calls == 1


@needs_font
def test_a_mixed_file_takes_each_page_its_own_way(tmp_path, engine):
    write_pdf(tmp_path / "mixed.pdf", ["第一页是文字层，重庆推动人工智能与汽车产业深度融合。", None, None])
    (tmp_path / "mixed.pdf").parent.joinpath("_page1.png").unlink()
    (tmp_path / "_page2.png").unlink()
    seen: list[tuple[str, int, int]] = []
    with reading_scans(OcrOptions(on_pages=lambda *a: seen.append(a))):
        docs = load_documents(tmp_path)
    chunks = chunk_documents(docs)
    assert engine.calls == 2  # the two image pages, not the text page
    assert seen == [("mixed.pdf", 0, 2), ("mixed.pdf", 1, 2), ("mixed.pdf", 2, 2)]
    assert [(c.page, c.text) for c in chunks] == [
        (1, "第一页是文字层，重庆推动人工智能与汽车产业深度融合。"), (2, SCAN_TEXT), (3, SCAN_TEXT)]
    # the running header ("内部资料", on every scanned page) and the page number are gone
    assert "内部资料" not in docs[0].text and "- 2 -" not in docs[0].text


@needs_font
def test_force_reads_text_pages_by_ocr_and_off_skips_scans(tmp_path, engine):
    write_pdf(tmp_path / "text.pdf", ["文字层的内容，足够长的一句话。"])
    write_pdf(tmp_path / "scan.pdf", [None])
    for png in tmp_path.glob("*.png"):
        png.unlink()
    with reading_scans(OcrOptions(mode="force")):
        docs = load_documents(tmp_path)
    # one page each: a header cannot be told from a title without other pages to compare
    assert {d.source: d.text.split() for d in docs} == {"scan.pdf": ["内部资料", SCAN_TEXT], "text.pdf": ["内部资料", SCAN_TEXT]}
    with reading_scans(OcrOptions(mode="off")):
        docs = load_documents(tmp_path)
    assert [d.source for d in docs] == ["text.pdf"]
    assert "OCR is off (setting ocr)" in docs.skipped[0].reason


@needs_font
def test_the_page_limit_applies_before_any_page_is_read(tmp_path, engine):
    write_pdf(tmp_path / "long.pdf", [None, None, None])
    (tmp_path / "ok.txt").write_text("正文在这里。", encoding="utf-8")
    for png in tmp_path.glob("*.png"):
        png.unlink()
    with reading_scans(OcrOptions(max_pages=2)):
        docs = load_documents(tmp_path)
    assert engine.calls == 0 and [d.source for d in docs] == ["ok.txt"]
    assert "3 scanned pages" in docs.skipped[0].reason and "ocr_max_pages" in docs.skipped[0].reason


@needs_font
def test_the_upload_check_counts_scanned_pages_but_leaves_reading_to_the_index_build(tmp_path, engine):
    from rag.ingest.limits import Limits, measure

    write_pdf(tmp_path / "scan.pdf", [None, None, None])
    limits = Limits.of(Settings(ocr_max_pages=5, max_file_seconds=7))
    assert (limits.ocr, limits.ocr_pages, limits.seconds) == ("auto", 5, 7)
    # within the limits, and no page read: OCR runs once, in the index build, with its progress
    # and cache, not in the check's child process under max_file_seconds
    assert measure(tmp_path / "scan.pdf", limits, 500) is None and engine.calls == 0
    reason = measure(tmp_path / "scan.pdf", Limits.of(Settings(ocr_max_pages=2)), 500)
    assert "3 scanned pages" in reason and "ocr_max_pages" in reason
    assert "OCR is off" in measure(tmp_path / "scan.pdf", Limits.of(Settings(ocr="off")), 500)
    assert engine.calls == 0


@needs_font
def test_read_pages_are_cached_by_content(tmp_path, engine):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "scan.pdf", [None])
    (corpus / "_page0.png").unlink()
    options = OcrOptions(cache_dir=tmp_path / "cache")
    with reading_scans(options):
        first = load_documents(corpus)[0].text
    with reading_scans(options):
        second = load_documents(corpus)[0].text
    assert engine.calls == 1 and first == second and SCAN_TEXT in first
    (corpus / "scan.pdf").rename(corpus / "renamed.pdf")  # the same content under another name
    with reading_scans(options):
        load_documents(corpus)
    assert engine.calls == 1


@needs_font
def test_another_engine_can_be_given_for_a_comparison_and_is_cached_apart(tmp_path, engine):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "scan.pdf", [None])
    (corpus / "_page0.png").unlink()
    other = FakeEngine(lines=((0.1, 0.2, 0.9, 0.23, "另一个引擎读出的文字，足够长的一句话。"),))
    other.key = "other-engine"
    with reading_scans(OcrOptions(cache_dir=tmp_path / "cache", engine=other)):
        assert "另一个引擎" in load_documents(corpus)[0].text
    with reading_scans(OcrOptions(cache_dir=tmp_path / "cache")):  # RapidOCR's (here the fake) is not served from it
        assert SCAN_TEXT in load_documents(corpus)[0].text
    assert (other.calls, engine.calls) == (1, 1)


@needs_font
def test_missing_ocr_packages_skip_the_scan_naming_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails
    write_pdf(tmp_path / "scan.pdf", [None])
    (tmp_path / "_page0.png").unlink()
    (tmp_path / "ok.txt").write_text("正文在这里。", encoding="utf-8")
    docs = load_documents(tmp_path)
    assert [d.source for d in docs] == ["ok.txt"]
    assert "pip install rapidocr-onnxruntime" in docs.skipped[0].reason


def test_ocr_settings_are_checked():
    assert Settings().ocr == "auto" and Settings().ocr_max_pages == 300
    with pytest.raises(ConfigError, match="ocr must be auto, off or force"):
        Settings(ocr="always")
    with pytest.raises(ConfigError, match="ocr_max_pages"):
        Settings(ocr_max_pages=0)


# ------------------------------------------------------------------ lines to paragraphs

def line(x0, y0, x1, text, h=20):
    return Line(x0, y0, x1, y0 + h, text)


def test_headers_footers_and_page_numbers_are_dropped():
    def page(n):
        return PageLines(1000, 1400, (line(50, 20, 300, "重庆日报 2025年3月"), line(100, 200, 900, f"正文第{n}页的内容。"),
                                      line(480, 1360, 520, str(n))))
    pages = drop_furniture([page(1), page(2), page(3)])
    assert [[x.text for x in p.lines] for p in pages] == [["正文第1页的内容。"], ["正文第2页的内容。"], ["正文第3页的内容。"]]
    # one page: no header can repeat, but its page number still goes; body text near the edge stays
    only = drop_furniture([PageLines(1000, 1400, (line(480, 1360, 520, "第 7 页"), line(50, 20, 900, "标题在页顶")))])
    assert [x.text for x in only[0].lines] == ["标题在页顶"]


def test_a_footer_read_differently_on_some_pages_is_still_a_footer():
    readings = ["file:///tmp/seed.html", "file://tmp/seed.html", "file:///tmp/seed.htm1", "file://tmp/seed.html"]
    pages = [PageLines(1000, 1400, (line(100, 200, 900, f"正文{i}。"), line(50, 1370, 400, text, h=15)))
             for i, text in enumerate(readings)]
    assert [[x.text for x in p.lines] for p in drop_furniture(pages)] == [["正文0。"], ["正文1。"], ["正文2。"], ["正文3。"]]


def test_ascii_marks_next_to_chinese_become_full_width():
    assert chinese_marks("重庆社会科学院(智库)处长)") == "重庆社会科学院（智库）处长）"
    assert chinese_marks("时间:12:30, see (a)") == "时间：12:30, see (a)"


def test_two_columns_are_read_column_by_column_under_a_spanning_title():
    lines = [line(100, 50, 900, "横跨两栏的标题")]
    lines += [line(100, 100 + 30 * i, 480, f"左{i}") for i in range(4)]
    lines += [line(520, 100 + 30 * i, 900, f"右{i}") for i in range(4)]
    order = [[x.text for x in col] for col in reading_order(lines)]
    assert order == [["横跨两栏的标题"], ["左0", "左1", "左2", "左3"], ["右0", "右1", "右2", "右3"]]


def test_lines_join_into_paragraphs_at_short_lines_and_indents():
    page = PageLines(1000, 1400, (
        line(140, 100, 900, "第一段第一行，写满了整行的文字"), line(100, 125, 900, "第一段第二行也写满了整行的文字"),
        line(100, 150, 400, "第一段到此结束。"),
        line(140, 175, 900, "第二段缩进开头，写满整行的文字"), line(100, 200, 600, "第二段结束。"),
    ))
    assert page_paragraphs(page) == ["第一段第一行，写满了整行的文字第一段第二行也写满了整行的文字第一段到此结束。",
                                     "第二段缩进开头，写满整行的文字第二段结束。"]


# ------------------------------------------------------------------ visible while it works

@needs_font
def test_an_uploaded_scan_reports_its_pages_and_is_cited_by_page(hash_assistant, engine, tmp_path):
    from rag import Assistant
    from ui.documents import progress_html

    # inline: the fake OCR engine is patched into this process, not into an indexing child
    a = Assistant(hash_assistant.settings.replace(cache_dir=str(tmp_path / "cache"), index_worker="inline"),
                  hash_assistant.index, hash_assistant.embedder)
    write_pdf(tmp_path / "扫描件.pdf", ["封面文字层的内容，足够长的一句话。", None, None])
    seen = []
    result = a.add_documents([tmp_path / "扫描件.pdf"], progress=seen.append)
    assert result.added == ["uploads/扫描件.pdf"] and not result.skipped
    pages = [p for p in seen if p.stage == "ocr"]
    assert [(p.done, p.total) for p in pages] == [(0, 2), (1, 2), (2, 2)]
    assert "Reading scanned pages (OCR)" in progress_html(pages[1]) and "1 / 2" in progress_html(pages[1])
    hit = a.retrieve("两江新区数字经济增加值", k=1, mode="bm25")[0]
    assert hit.chunk.source == "uploads/扫描件.pdf" and hit.chunk.page in (2, 3)
    # the upload rebuilt the index from the whole corpus: the pages came from the cache then
    assert engine.calls == 2
    a.add_documents([("notice.md", "# 通知\n\n另一份文件的正文。\n".encode())])
    assert engine.calls == 2


@needs_font
def test_rag_index_shows_a_bar_of_pages_per_scan(env, corpus_dir, engine, capsys, monkeypatch):
    from rag.cli import main

    monkeypatch.setenv("RAG_CACHE_DIR", str(env / "cache"))
    write_pdf(corpus_dir / "scan.pdf", [None, None])
    for png in corpus_dir.glob("*.png"):
        png.unlink()
    assert main(["index"]) == 0
    captured = capsys.readouterr()
    assert "OCR scan.pdf" in captured.err and "2/2" in captured.err and "page" in captured.err
    assert "Skipped" not in captured.out


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TimedEngine(FakeEngine):
    """The fake engine, taking `seconds[k]` of the fake clock for the k-th page it reads (the
    last figure repeats)."""

    def __init__(self, clock: FakeClock):
        super().__init__()
        self.clock, self.seconds = clock, [10.0]

    def __call__(self, image, use_cls=True):
        self.clock.now += self.seconds[min(self.calls, len(self.seconds) - 1)]
        return super().__call__(image, use_cls)


@pytest.fixture
def slow_pages(monkeypatch):
    """A fake clock for the progress reports and a fake engine that spends it."""
    from rag.ingest import progress

    clock = FakeClock()
    fake = TimedEngine(clock)
    monkeypatch.setattr(ocr, "clock", clock)
    monkeypatch.setattr(progress, "clock", clock)
    monkeypatch.setattr(ocr, "_engine", fake)
    return clock, fake.seconds


def test_the_time_left_is_this_files_seconds_per_page_times_its_pages_left(slow_pages):
    clock, _seconds = slow_pages
    timer = ocr.PageTimer()
    clock.now += 500  # other work before this file: not counted
    assert timer("a.pdf", 0, 4) is None
    clock.now += 30
    assert timer("a.pdf", 1, 4) == pytest.approx(90)  # 30 s a page, 3 pages left
    clock.now += 10
    assert timer("a.pdf", 2, 4) == pytest.approx(40)  # (30 + 10) / 2 a page, 2 left
    assert timer("b.pdf", 0, 2) is None
    clock.now += 5
    assert timer("b.pdf", 1, 2) == pytest.approx(5)  # b's own pace, not a's
    assert ocr.time_left(40, 2, 2) is None and ocr.time_left(0, 0, 5) is None


@needs_font
def test_the_panel_time_left_for_ocr_is_per_file_from_its_pages_so_far(hash_assistant, slow_pages, tmp_path,
                                                                        monkeypatch):
    from rag import Assistant
    from rag.ingest import uploads
    from ui.documents import progress_html

    clock, seconds = slow_pages
    seconds[:] = [10, 10, 40, 40, 40]  # a.pdf reads at 10 s a page, b.pdf at 40
    admit = uploads.admit

    def slow_check(*args, **kwargs):  # the upload check takes 600 s: not part of any page's time
        clock.now += 600
        return admit(*args, **kwargs)

    monkeypatch.setattr(uploads, "admit", slow_check)
    # inline: the patched OCR engine and clock live in this process, not in an indexing child
    a = Assistant(hash_assistant.settings.replace(cache_dir=str(tmp_path / "cache"), index_worker="inline"),
                  hash_assistant.index, hash_assistant.embedder)
    write_pdf(tmp_path / "a.pdf", [None, None])
    write_pdf(tmp_path / "b.pdf", [None, None, None])
    seen = []
    result = a.add_documents([tmp_path / "a.pdf", tmp_path / "b.pdf"], progress=seen.append)
    assert result.added == ["uploads/a.pdf", "uploads/b.pdf"]
    pages = [(p.done, p.total, p.eta) for p in seen if p.stage == "ocr"]
    assert pages == [(0, 2, None), (1, 2, pytest.approx(10)), (2, 2, None),
                     (0, 3, None), (1, 3, pytest.approx(80)), (2, 3, pytest.approx(40)), (3, 3, None)]
    b_first = [p for p in seen if p.stage == "ocr"][4]
    assert b_first.elapsed == pytest.approx(600 + 20 + 40)  # the whole upload so far, shown as such
    assert "3 / 3" not in progress_html(b_first) and "about 80 s left" in progress_html(b_first)


@needs_font
def test_rag_index_bar_shows_the_time_left_from_the_files_own_pages(env, corpus_dir, slow_pages, capsys,
                                                                     monkeypatch):
    from rag.cli import main

    _clock, seconds = slow_pages
    seconds[:] = [10, 10, 40, 40, 40]
    monkeypatch.setenv("RAG_CACHE_DIR", str(env / "cache"))
    write_pdf(corpus_dir / "a.pdf", [None, None])
    write_pdf(corpus_dir / "b.pdf", [None, None, None])
    for png in corpus_dir.glob("*.png"):
        png.unlink()
    assert main(["index"]) == 0
    err = capsys.readouterr().err
    assert "OCR a.pdf" in err and "1/2 pages" in err and "about 10 s left" in err
    assert "OCR b.pdf" in err and "1/3 pages" in err and "about 80 s left" in err and "about 40 s left" in err


def test_without_a_bar_pages_are_logged_with_the_time_left():
    lines: list[str] = []
    report = ocr.log_pages(lines.append)
    for done in range(0, 21):
        report("scan.pdf", done, 20)
    assert lines[0] == "Reading scan.pdf by OCR: 20 page(s)." and len(lines) == 3
    assert lines[1].startswith("Reading scan.pdf by OCR: 10/20 pages, about ") and lines[2].endswith("about 0 s left.")


def test_ocr_is_off_the_import_path():
    import subprocess

    code = ("import sys, rag, rag.ingest, rag.ingest.formats, rag.ingest.loaders.pdf; "
            "print(any(m.startswith(('rapidocr', 'onnxruntime', 'pypdfium2', 'cv2')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ the real engine on a real scan

SCANNED_PARAGRAPHS = [
    "重庆推动人工智能与汽车产业深度融合，智能网联新能源汽车产量持续增长，两江新区已经聚集了一批整车和零部件企业。",
    "算力券发放三亿元，支持中小企业使用智能算力，鼓励龙头企业开放数据资源。",
]


def scan_of(text_pdf: Path, out: Path, dpi: int) -> Path:
    """The PDF's pages as greyscale JPEG page images, no text layer (as a scanner makes them)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(text_pdf))
    images = [document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(document))]
    images[0].save(out, save_all=True, append_images=images[1:], resolution=dpi, quality=80)
    document.close()
    return out


@pytest.mark.slow
@needs_font
def test_rapidocr_reads_a_150_dpi_scan(tmp_path):
    pytest.importorskip("rapidocr_onnxruntime")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from ocr import accuracy  # benchmarks/ocr.py: 1 - edit distance / length, white space removed

    write_pdf(tmp_path / "printed.pdf", ["\n".join(SCANNED_PARAGRAPHS) + "\n\n\n- 1 -"])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    scan_of(tmp_path / "printed.pdf", corpus / "scan.pdf", 150)
    docs = load_documents(corpus)
    assert not docs.skipped and docs[0].page_starts == (0,)
    assert accuracy(docs[0].text, "".join(SCANNED_PARAGRAPHS)) >= 0.95, docs[0].text
    assert "- 1 -" not in docs[0].text  # the page number is dropped


@pytest.mark.slow
def test_rapidocr_reads_a_two_column_page_column_by_column(tmp_path):
    import html
    import re
    import shutil
    import subprocess

    pytest.importorskip("rapidocr_onnxruntime")
    if not shutil.which("chromium"):
        pytest.skip("chromium is not installed")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from ocr import SEED, rasterise  # benchmarks/ocr.py

    paras = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()][4:12]
    (tmp_path / "two.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"><style>body{font-family:"Noto Serif CJK SC";'
        "font-size:10.5pt;line-height:1.5}.cols{column-count:2;column-gap:2.2em}p{margin:0 0 .5em 0;text-indent:2em}"
        "</style></head><body><h1>从四个方面着力 持续激发数字经济创新活力</h1><div class=cols>"
        + "".join(f"<p>{html.escape(p)}</p>" for p in paras) + "</div></body></html>", encoding="utf-8")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={tmp_path / 'two.pdf'}", (tmp_path / "two.html").as_uri()],
                   check=True, capture_output=True, timeout=180)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rasterise(tmp_path / "two.pdf", corpus / "scan.pdf", 200, pages=[0])
    text = re.sub(r"\s", "", load_documents(corpus)[0].text)
    starts = [text.find(re.sub(r"\s", "", p)[:12]) for p in paras]
    assert text.startswith("从四个方面着力持续激发数字经济创新活力")
    assert all(s >= 0 for s in starts) and starts == sorted(starts), starts  # left column, then right


@pytest.mark.slow
@needs_font
def test_rapidocr_reads_a_page_whose_font_map_is_garbage(tmp_path):
    pytest.importorskip("rapidocr_onnxruntime")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from ocr import accuracy  # benchmarks/ocr.py

    write_pdf(tmp_path / "printed.pdf", ["\n".join(GARBLED_TEXT)])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    garble_font_map(tmp_path / "printed.pdf", corpus / "garbled.pdf")
    docs = load_documents(corpus)
    assert not docs.skipped and accuracy(docs[0].text, "".join(GARBLED_TEXT)) >= 0.95, docs[0].text
