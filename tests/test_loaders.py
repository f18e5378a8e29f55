"""Document formats (rag.ingest.loaders) and skipping what cannot be read, on real files built here:
a Chinese PDF with an embedded CJK font, a Word file, a web page with boilerplate, GB18030
and BOM text, a corrupt PDF, a scanned (image-only) PDF, an unknown file type."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from rag.cli import main
from rag.ingest.corpus import LOADERS, chunk_documents, load_documents
from rag.errors import CorpusError, DependencyError
from rag.ingest.loaders import UnreadableFileError
from rag.ingest.loaders.pdf import normalize, page_paragraphs
from rag.ingest.loaders.text import decode_text

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
needs_font = pytest.mark.skipif(not CJK_FONT.is_file(), reason="fonts-noto-cjk is not installed (scripts/setup.sh)")

PAGE1_BODY = ("重庆推动人工智能与汽车产业深度融合，智能网联新能源汽车产量持续增长，两江新区已经聚集了一批"
              "整车和零部件企业，车联网覆盖率达到百分之九十以上，并且正在建设更多的测试场景。")
PAGE2_BODY = "算力券发放三亿元，支持中小企业使用智能算力，鼓励龙头企业开放数据资源。"


def write_chinese_pdf(path: Path, pages: list[list[str]]) -> None:
    """A PDF whose text layer is Chinese, with the Noto CJK font embedded (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("noto", fname=str(CJK_FONT), collection_font_number=2)  # 2: the SC face
    pdf.set_font("noto", size=12)
    for paragraphs in pages:
        pdf.add_page()
        for p in paragraphs:
            pdf.multi_cell(0, 8, p)
            pdf.ln(6)
    pdf.output(str(path))


def write_image_only_pdf(path: Path) -> None:
    """A 'scanned' PDF: one page with a drawn rectangle and no text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(90, 90, 90)
    pdf.rect(20, 20, 120, 80, style="F")
    pdf.output(str(path))


NOTICE_DOCX = [
    ("关于推进数据要素市场化配置改革的通知", "各区县人民政府：为推动数据要素市场化配置改革，现将有关事项通知如下。"),
    ("一、工作目标", "到2027年，全市数据交易规模突破百亿元，公共数据开放率达到百分之八十。"),
]


def write_docx(path: Path, sections: list[tuple[str, str]] = NOTICE_DOCX, table: bool = True) -> None:
    """A Word file: (heading, paragraph) pairs, the first heading a Title-level one."""
    import docx

    d = docx.Document()
    for level, (heading, paragraph) in enumerate(sections, 1):
        d.add_heading(heading, level=min(level, 2))
        d.add_paragraph(paragraph)
    if table:
        t = d.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "指标", "目标值"
        t.cell(1, 0).text, t.cell(1, 1).text = "智能算力", "10万P"
    d.save(str(path))


NEWS_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>两江新区新闻 - 重庆日报网</title>
<style>.x{color:red}</style><script>var tracking = "脚本内容不应出现";</script></head><body>
<header class="site-header"><div class="logo">重庆日报网</div>
<nav><ul><li><a href="/">首页</a></li><li><a href="/news">要闻</a></li><li>登录注册</li></ul></nav></header>
<div class="breadcrumb">首页 &gt; 要闻 &gt; 正文</div>
<main><article>
<h1>两江新区建设智能网联汽车产业园</h1>
<p>两江新区今年新增智能网联汽车企业30家，
   产值同比增长百分之二十。</p>
<h2>下一步计划</h2>
<p>园区负责人表示，将继续加大对<b>车规级芯片</b>的投入。<br>预计明年建成第二期厂房。</p>
</article></main>
<aside class="sidebar">热门推荐：其他新闻标题</aside>
<form><input name="q"><button>搜索本站</button></form>
<div class="share-bar">分享到微信</div>
<footer>版权所有 © 重庆日报网 联系我们 渝ICP备</footer>
</body></html>"""


# ------------------------------------------------------------------ text encodings

def test_text_encodings_are_detected():
    s = "重庆数字经济发展迅速。"
    assert decode_text(s.encode("utf-8")) == (s, "utf-8")
    assert decode_text(b"\xef\xbb\xbf" + s.encode("utf-8")) == (s, "utf-8")  # BOM dropped
    assert decode_text(s.encode("gb18030")) == (s, "gb18030")
    assert decode_text(s.encode("gbk")) == (s, "gb18030")
    assert decode_text(s.encode("utf-16")) == (s, "utf-16")
    with pytest.raises(UnreadableFileError, match="binary"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnreadableFileError):
        decode_text(bytes(range(128, 256)) * 20)


def test_gb18030_and_bom_files_are_read(tmp_path):
    (tmp_path / "gbk.txt").write_bytes("重庆的数据需求满足率达到95%。\n".encode("gb18030"))
    (tmp_path / "bom.md").write_bytes("# 标题\n\n带字节顺序标记的文件也能读取。\n".encode("utf-8-sig"))
    docs = load_documents(tmp_path)
    by = {d.source: d.text for d in docs}
    assert by["gbk.txt"].startswith("重庆的数据需求满足率达到95%")
    assert by["bom.md"].startswith("# 标题")  # no \ufeff in front of the heading
    chunks = chunk_documents(docs)
    assert [c.section for c in chunks if c.source == "bom.md"] == ["标题"]
    assert all(c.page is None for c in chunks)


# ------------------------------------------------------------------ PDF

def test_pdf_normalisation_of_radicals_and_lines():
    # what pypdf gives for a Chromium-printed Chinese page: radicals and layout line breaks
    assert normalize("汽⻋⽣产，⼈⼯智能，⻔⼾⽹站，⻓安") == "汽车生产，人工智能，门户网站，长安"
    assert normalize("算⼒券：三亿元（试点）") == "算力券：三亿元（试点）"  # full-width punctuation kept
    raw = ("重庆汽车产业报告\n重庆是全国重要的汽车生产基地，新能源汽车产量持续\n"
           "增长，人工智能赋能车联网与智能驾驶，长安汽车和赛\n力斯等企业加快转型升级。\n- 3 -")
    assert page_paragraphs(raw) == [
        "重庆汽车产业报告",
        "重庆是全国重要的汽车生产基地，新能源汽车产量持续增长，人工智能赋能车联网与智能驾驶，长安汽车和赛力斯等企业加快转型升级。",
    ]
    # Latin text keeps a space where lines are joined
    assert page_paragraphs("Line one of an English\nsentence that goes on\nto the end.\nNext one.") == [
        "Line one of an English sentence that goes on to the end.", "Next one."]


@needs_font
def test_chinese_pdf_text_sections_and_pages(tmp_path):
    write_chinese_pdf(tmp_path / "report.pdf", [["重庆汽车产业报告", PAGE1_BODY], ["算力发展", PAGE2_BODY]])
    docs = load_documents(tmp_path)
    chunks = chunk_documents(docs)
    assert [(c.id, c.section, c.page) for c in chunks] == [
        ("report.pdf#p01", "重庆汽车产业报告", 1),
        ("report.pdf#p02", "算力发展", 2),
    ]
    assert chunks[0].text == PAGE1_BODY  # lines broken by the layout joined back, no spaces, no NULs
    assert chunks[1].text == PAGE2_BODY
    assert chunks[1].to_dict()["page"] == 2


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_chromium_printed_pdf_reads_as_ordinary_chinese(tmp_path):
    """Chromium's PDFs map CJK glyphs to radical code points (⻋ for 车): they must come out readable."""
    html = tmp_path / "page.html"
    html.write_text(
        '<html><head><meta charset="utf-8"><style>body{font-family:"Noto Sans CJK SC";font-size:14pt;width:12cm}'
        "</style></head><body><h1>重庆汽车产业报告</h1>"
        "<p>重庆是全国重要的汽车生产基地，新能源汽车产量持续增长，人工智能赋能车联网与智能驾驶，"
        "长安汽车和赛力斯等企业加快转型升级，门户网站与风险监测平台同步上线。</p>"
        '<p style="page-break-before:always">第二页：算力券发放三亿元，支持中小企业使用智能算力。</p>'
        "</body></html>", encoding="utf-8")
    out = tmp_path / "corpus" / "printed.pdf"
    out.parent.mkdir()
    subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
         f"--print-to-pdf={out}", html.as_uri()],
        check=True, capture_output=True, timeout=120)
    chunks = chunk_documents(load_documents(out.parent))
    assert [(c.section, c.page) for c in chunks] == [("重庆汽车产业报告", 1), ("重庆汽车产业报告", 2)]
    assert chunks[0].text == ("重庆是全国重要的汽车生产基地，新能源汽车产量持续增长，人工智能赋能车联网与智能驾驶，"
                              "长安汽车和赛力斯等企业加快转型升级，门户网站与风险监测平台同步上线。")
    assert chunks[1].text == "第二页：算力券发放三亿元，支持中小企业使用智能算力。"


# ------------------------------------------------------------------ Word and HTML

def test_docx_paragraphs_headings_and_tables(tmp_path):
    write_docx(tmp_path / "notice.docx")
    chunks = chunk_documents(load_documents(tmp_path))
    assert [(c.id, c.section, c.text) for c in chunks] == [
        ("notice.docx#p01", "关于推进数据要素市场化配置改革的通知",
         "各区县人民政府：为推动数据要素市场化配置改革，现将有关事项通知如下。"),
        ("notice.docx#p02", "一、工作目标", "到2027年，全市数据交易规模突破百亿元，公共数据开放率达到百分之八十。"),
        ("notice.docx#p03", "一、工作目标", "指标 | 目标值；智能算力 | 10万P。"),
    ]


def test_html_main_text_without_boilerplate(tmp_path):
    (tmp_path / "news.html").write_text(NEWS_HTML, encoding="utf-8")
    chunks = chunk_documents(load_documents(tmp_path))
    assert [(c.section, c.text) for c in chunks] == [
        ("两江新区建设智能网联汽车产业园", "两江新区今年新增智能网联汽车企业30家，产值同比增长百分之二十。"),
        ("下一步计划", "园区负责人表示，将继续加大对车规级芯片的投入。预计明年建成第二期厂房。"),
    ]
    everything = " ".join(c.text + c.section for c in chunks)
    for boilerplate in ("首页", "登录", "热门推荐", "搜索", "分享", "版权所有", "脚本", "color"):
        assert boilerplate not in everything


def test_html_in_gbk_without_article_uses_body_and_title(tmp_path):
    page = ('<html><head><meta charset="gbk"><title>通知公告</title></head><body><div class="menu">网站导航</div>'
            "<div><p>请各单位于五月底前报送材料。</p></div></body></html>")
    (tmp_path / "notice.htm").write_bytes(page.encode("gbk"))
    chunks = chunk_documents(load_documents(tmp_path))
    assert [(c.section, c.text) for c in chunks] == [("通知公告", "请各单位于五月底前报送材料。")]


# ------------------------------------------------------------------ nothing lost, nothing stopped

@needs_font
def test_unreadable_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "good.txt").write_text("一段正文，足够长的句子。\n", encoding="utf-8")
    write_chinese_pdf(tmp_path / "report.pdf", [["重庆汽车产业报告", PAGE1_BODY]])
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\x00\xff" * 3)
    write_image_only_pdf(tmp_path / "scan.pdf")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "garbage.txt").write_bytes(bytes(range(128, 256)) * 10)
    (tmp_path / "empty.md").write_text("\n\n", encoding="utf-8")
    lines: list[str] = []
    docs = load_documents(tmp_path, log=lines.append)
    assert [d.source for d in docs] == ["good.txt", "report.pdf"]
    reasons = {s.file: s.reason for s in docs.skipped}
    assert set(reasons) == {"corrupt.pdf", "scan.pdf", "broken.docx", "photo.png", "garbage.txt", "empty.md"}
    assert "not a readable PDF" in reasons["corrupt.pdf"]
    assert "no text layer" in reasons["scan.pdf"] and "OCR" in reasons["scan.pdf"]
    assert "not a readable Word" in reasons["broken.docx"]
    assert "unsupported file type .png" in reasons["photo.png"]
    assert "UTF-8" in reasons["garbage.txt"] and "GB18030" in reasons["garbage.txt"]
    assert "empty" in reasons["empty.md"]
    # one line per skipped file, naming it and why
    assert len(lines) == 6 and all(line.startswith("Skipped ") for line in lines)
    assert any(line.startswith("Skipped scan.pdf: ") for line in lines)


def test_os_errors_and_missing_packages_are_skipped_not_fatal(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("正文。", encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "c.docx").write_bytes(b"")

    def denied(path):
        raise PermissionError(13, "Permission denied")

    def no_package(path):
        raise DependencyError("pypdf", purpose="reading .pdf files")

    def parser_bug(path):
        raise AttributeError("'NoneType' object has no attribute 'get'")

    (tmp_path / "d.html").write_text("<p>x</p>", encoding="utf-8")
    monkeypatch.setitem(LOADERS, ".docx", denied)
    monkeypatch.setitem(LOADERS, ".pdf", no_package)
    monkeypatch.setitem(LOADERS, ".html", parser_bug)
    docs = load_documents(tmp_path)
    reasons = {s.file: s.reason for s in docs.skipped}
    assert [d.source for d in docs] == ["a.txt"]
    assert "AttributeError" in reasons["d.html"]
    assert "pip install pypdf" in reasons["b.pdf"]
    assert "permission denied" in reasons["c.docx"]


def test_missing_package_names_the_pip_command(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in ("pypdf", "docx", "bs4"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    from rag.ingest.loaders.docx import load_docx
    from rag.ingest.loaders.html import load_html
    from rag.ingest.loaders.pdf import load_pdf

    for load, package in ((load_pdf, "pypdf"), (load_docx, "python-docx"), (load_html, "beautifulsoup4")):
        (tmp_path / "f").write_bytes(b"<p>x</p>")
        with pytest.raises(DependencyError, match=f"pip install {package}"):
            load(tmp_path / "f")


def test_a_corpus_of_only_unreadable_files_names_them(tmp_path):
    (tmp_path / "corrupt.pdf").write_bytes(b"not a pdf at all")
    with pytest.raises(CorpusError, match=r"holds no non-empty readable documents.*corrupt\.pdf: .*not a readable PDF"):
        load_documents(tmp_path)


@needs_font
def test_rag_index_lists_skipped_files_and_search_shows_pages(env, capsys, corpus_dir):
    write_chinese_pdf(corpus_dir / "report.pdf", [["重庆汽车产业报告", PAGE1_BODY], ["算力发展", PAGE2_BODY]])
    write_docx(corpus_dir / "notice.docx")
    (corpus_dir / "news.html").write_text(NEWS_HTML, encoding="utf-8")
    (corpus_dir / "corrupt.pdf").write_bytes(b"%PDF-1.4 broken")
    (corpus_dir / "data.numbers").write_bytes(b"PK\x03\x04")
    assert main(["index", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["file"] for s in out["skipped"]] == ["corrupt.pdf", "data.numbers"]
    assert all(s["reason"] for s in out["skipped"])
    assert {"report.pdf", "notice.docx", "news.html"} <= set(out["corpus_files"])

    assert main(["index"]) == 0
    captured = capsys.readouterr()
    assert "Skipped 2 file(s)" in captured.out
    assert "corrupt.pdf: is not a readable PDF" in captured.out and "data.numbers: unsupported file type .numbers" in captured.out

    assert main(["search", "算力券发放多少", "-k", "3", "--retrieval", "bm25", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["chunk_id"] == "report.pdf#p02" and rows[0]["page"] == 2 and rows[0]["section"] == "算力发展"
    assert main(["search", "算力券发放多少", "-k", "1", "--retrieval", "bm25"]) == 0
    assert "《算力发展》 para 2 p. 2" in capsys.readouterr().out


def test_files_whose_ids_would_clash_do_not_stop_the_index(tmp_path):
    (tmp_path / "notes.md").write_text("# 笔记\n\n第一份笔记的正文。\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("第二份笔记的正文。\n", encoding="utf-8")
    docs = load_documents(tmp_path)
    assert [d.source for d in docs] == ["notes.md"]
    assert docs.skipped[0].file == "notes.txt" and "rename" in docs.skipped[0].reason
    assert [c.id for c in chunk_documents(docs)] == ["notes#p01"]


def test_html_tables_and_headline_blocks(tmp_path):
    page = ('<html><body><div class="entry-header"><h1>算力指标一览</h1></div>'
            "<table><tr><th>指标</th><th>目标值</th></tr><tr><td>智能算力</td><td>10万P</td></tr></table>"
            "<p>以上指标由市经济信息委负责统计。</p></body></html>")
    (tmp_path / "table.html").write_text(page, encoding="utf-8")
    chunks = chunk_documents(load_documents(tmp_path))
    assert [(c.section, c.text) for c in chunks] == [
        ("算力指标一览", "指标 | 目标值；智能算力 | 10万P。"),
        ("算力指标一览", "以上指标由市经济信息委负责统计。"),
    ]


def test_cli_source_lines_show_the_page():
    from rag.cli.ask_cmd import render_after_stream
    from rag.types import Answer, Chunk, Citation, Hit

    chunk = Chunk("report.pdf#p02", "算力券发放三亿元。", "report.pdf", "算力发展", "", 2, 0, 9, page=3)
    answer = Answer(text="三亿元[1]。", refused=False, citations=(Citation(1, chunk.id, chunk.text, "算力发展"),),
                    hits=(Hit(1, 1.0, chunk),))
    assert "[1] 《算力发展》 p. 3 report.pdf#p02" in render_after_stream("三亿元[1]。", answer)
    assert Hit(1, 1.0, chunk).to_dict()["page"] == 3 and chunk.to_dict()["page"] == 3


def test_pdf_page_numbers_dropped_only_at_the_page_edges():
    assert page_paragraphs("第 3 页\n指标\n2027\n目标\n- 3 -") == ["指标", "2027", "目标"]
