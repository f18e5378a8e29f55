"""Spreadsheets and slide decks (rag.ingest.loaders.xlsx, .pptx), on files written here:
rows become sentences naming their columns, sheets and slides are sections, and a chunk
cites its sheet or slide number as its page."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rag.cli import main
from rag.ingest.corpus import LOADERS, chunk_documents, load_documents
from rag.ingest.loaders.xlsx import cell_text, row_sentence

openpyxl = pytest.importorskip("openpyxl")
pptx = pytest.importorskip("pptx")


def write_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "经营数据"
    sheet.append(["年份", "指标", "数值"])
    sheet.append(["2024年", "营收", "12亿"])
    sheet.append([2025, "利润", 3.5])
    sheet.append([None, None, None])  # an empty row is no sentence
    sheet.append([dt.datetime(2025, 6, 30), "订单", "=1+1"])
    notes = book.create_sheet("说明")
    notes.append(["本表数据来自重庆市统计局。"])
    book.save(str(path))


def write_pptx(path: Path) -> None:
    from pptx.util import Inches

    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    first.shapes.title.text = "数字经济概况"
    first.placeholders[1].text = "数字经济增加值 1.2 万亿元\n同比增长 8%"
    first.notes_slide.notes_text_frame.text = "数据截至2024年底，来源为市统计局"
    second = deck.slides.add_slide(deck.slide_layouts[5])  # title only, plus a table
    second.shapes.title.text = "区县增速"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for (r, c), text in {(0, 0): "区县", (0, 1): "增速", (1, 0): "两江新区", (1, 1): "11%"}.items():
        table.cell(r, c).text = text
    deck.save(str(path))


def test_the_new_formats_are_registered():
    assert ".xlsx" in LOADERS and ".pptx" in LOADERS


def test_cells_read_as_people_write_them():
    assert [cell_text(v) for v in (None, 3.0, 0.1 + 0.2, True, dt.datetime(2025, 6, 30), " 12 亿 ")] == [
        "", "3", "0.3", "是", "2025-06-30", "12 亿"]
    assert row_sentence(["2024年", "", "12亿"], ["年份", "指标", "数值"]) == "年份：2024年，数值：12亿。"
    assert row_sentence(["a", "b"], None) == "a | b。"
    assert row_sentence(["", ""], ["x", "y"]) == ""


def test_xlsx_sheets_are_sections_and_rows_name_their_columns(tmp_path):
    write_xlsx(tmp_path / "report.xlsx")
    chunks = chunk_documents(load_documents(tmp_path))
    assert [(c.id, c.section, c.page) for c in chunks] == [
        ("report.xlsx#p01", "经营数据", 1), ("report.xlsx#p02", "说明", 2)]
    rows = chunks[0].text
    assert "年份：2024年，指标：营收，数值：12亿。" in rows
    assert "年份：2025，指标：利润，数值：3.5。" in rows
    # a date reads as a date; an uncomputed formula cell (never opened in Excel) has no value
    assert "年份：2025-06-30，指标：订单。" in rows
    assert chunks[1].text == "本表数据来自重庆市统计局。"


def test_a_big_sheet_becomes_several_passages(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["区县", "企业数"])
    for i in range(200):
        book.active.append([f"第{i}区", i])
    book.save(str(tmp_path / "big.xlsx"))
    chunks = chunk_documents(load_documents(tmp_path))
    assert len(chunks) > 5 and all(len(c.text) <= 400 for c in chunks)
    assert "区县：第199区，企业数：199。" in chunks[-1].text


def test_pptx_slides_are_sections_with_notes_and_tables(tmp_path):
    write_pptx(tmp_path / "deck.pptx")
    chunks = chunk_documents(load_documents(tmp_path))
    assert [(c.section, c.page, c.text) for c in chunks] == [
        ("数字经济概况", 1, "数字经济增加值 1.2 万亿元；同比增长 8%。"),
        ("数字经济概况", 1, "备注：数据截至2024年底，来源为市统计局。"),
        ("区县增速", 2, "区县 | 增速；两江新区 | 11%。"),
    ]


def test_broken_office_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "ok.txt").write_text("正文在这里。", encoding="utf-8")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    (tmp_path / "broken.pptx").write_bytes(b"not a zip at all")
    reasons = {s.file: s.reason for s in load_documents(tmp_path).skipped}
    assert "not a readable Excel" in reasons["broken.xlsx"]
    assert "not a readable PowerPoint" in reasons["broken.pptx"]


def test_search_finds_a_row_and_cites_its_sheet(env, corpus_dir, capsys):
    write_xlsx(corpus_dir / "report.xlsx")
    write_pptx(corpus_dir / "deck.pptx")
    assert main(["search", "2024年营收", "-k", "3", "--retrieval", "bm25", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)[0]
    assert top["chunk_id"] == "report.xlsx#p01" and top["page"] == 1 and top["section"] == "经营数据"
    assert main(["search", "两江新区增速", "-k", "1", "--retrieval", "bm25", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)[0]
    assert top["chunk_id"].startswith("deck.pptx#") and top["page"] == 2 and "11%" in top["text"]


def test_the_panel_and_the_api_take_the_new_types(hash_settings, tmp_path):
    import base64

    pytest.importorskip("gradio")
    from rag import Assistant
    from ui.api import add_document
    from ui.backend import Backend

    write_xlsx(tmp_path / "report.xlsx")
    backend = Backend(Assistant.load(hash_settings.replace(generator="extractive"))).start()
    data = base64.b64encode((tmp_path / "report.xlsx").read_bytes()).decode()
    out = json.loads(add_document(backend, "report.xlsx", "", data_base64=data))
    assert out["added"] == ["uploads/report.xlsx"] and out["chunks"] == 2
    assert "error" in json.loads(add_document(backend, "x.pptx", "", data_base64="not base64!"))
