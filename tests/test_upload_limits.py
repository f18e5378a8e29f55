"""Uploads that cannot hurt the server (rag.ingest.limits, rag.ingest.uploads): each limit
refuses a file made here past it, before or while parsing, with a reason naming the
setting; a refused or failed upload leaves nothing behind and the index as it was; the
chunker is linear in the text's length and never makes a chunk over the limit."""
from __future__ import annotations

import io
import time
import zipfile

import pytest

from rag.assistant import Assistant
from rag.ingest.chunker import chunk_document, split_long
from rag.ingest.folder import Document
from rag.ingest.limits import LimitError, check_archive

NOTICE = "# 低空通知\n\n璧山区低空物流试点首批开通十二条无人机航线，单架次配送时间缩短到十八分钟。\n"


def zip_bomb(expanded_mb: int) -> bytes:
    """A .docx-shaped zip whose word/document.xml inflates to expanded_mb of zeros (a few KB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"0" * (expanded_mb * 1024 * 1024))
    return buf.getvalue()


def many_page_pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(200, 200)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def limited(a: Assistant, **limits) -> Assistant:
    return Assistant(a.settings.replace(**limits), a.index, a.embedder)


def assert_fully_out(a: Assistant, before: int, source: str) -> None:
    uploads = a.settings.corpus_path / "uploads"
    assert not any(p.name.endswith(source.rsplit("/", 1)[-1]) for p in uploads.iterdir()) if uploads.exists() else True
    assert len(a.index.chunks) == before and source not in {c.source for c in a.index.chunks}


@pytest.mark.parametrize("name, data, limits, setting", [
    ("bomb.docx", zip_bomb(8), {"max_archive_mb": 2}, "max_archive_mb"),
    ("huge.pdf", many_page_pdf(60), {"max_pdf_pages": 50}, "max_pdf_pages"),
    ("long.txt", ("长" * 3000).encode(), {"max_file_chars": 2000}, "max_file_chars"),
    ("many.md", "\n\n".join(f"第{i}段。内容{i}。" for i in range(40)).encode(), {"max_file_chunks": 10},
     "max_file_chunks"),
    ("slow.md", NOTICE.encode(), {"max_file_seconds": 0.001}, "max_file_seconds"),
])
def test_each_limit_refuses_the_file_and_leaves_nothing(hash_assistant, name, data, limits, setting):
    a = limited(hash_assistant, **limits)
    before = len(a.index.chunks)
    result = a.add_documents([(name, data)])
    assert result.added == [] and len(result.skipped) == 1
    assert result.skipped[0]["file"] == f"uploads/{name}" and setting in result.skipped[0]["reason"]
    assert_fully_out(a, before, f"uploads/{name}")
    assert not list((a.settings.corpus_path / "uploads").glob(".*-*"))  # no pending or backup left


def test_zip_sizes_are_checked_before_and_while_inflating(tmp_path):
    path = tmp_path / "bomb.docx"
    path.write_bytes(zip_bomb(3))
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitError, match="expands to 3 MB"):
        check_archive(path, limit=1024 * 1024)
    check_archive(path, limit=4 * 1024 * 1024)  # within the limit: no complaint


def test_within_the_limits_the_upload_is_in(hash_assistant):
    a = limited(hash_assistant, max_file_chunks=5, max_file_chars=1000)
    assert a.add_documents([("notice.md", NOTICE.encode())]).added == ["uploads/notice.md"]


def test_a_replacement_past_a_limit_keeps_the_old_version(hash_assistant):
    a = hash_assistant
    a.add_documents([("notice.md", NOTICE.encode())], user="ed")
    b = limited(a, max_file_chars=100)
    result = b.add_documents([("notice.md", ("长" * 500).encode())], user="ed", replace=True)
    assert "max_file_chars" in result.skipped[0]["reason"]
    assert (a.settings.corpus_path / "uploads" / "notice.md").read_text(encoding="utf-8") == NOTICE


def test_indexing_that_fails_puts_everything_back(hash_assistant, monkeypatch):
    a = hash_assistant
    a.add_documents([("notice.md", NOTICE.encode())], user="ed")
    before = len(a.index.chunks)

    def boom(*_, **__):
        raise MemoryError("faiss")

    monkeypatch.setattr(a, "_reindex", boom)
    with pytest.raises(MemoryError):
        a.add_documents([("other.md", NOTICE.encode()), ("notice.md", b"# new\n\nnew text.\n")], user="ed",
                        replace=True)
    uploads = a.settings.corpus_path / "uploads"
    assert sorted(p.name for p in uploads.iterdir() if not p.name.startswith(".")) == ["notice.md"]
    assert (uploads / "notice.md").read_text(encoding="utf-8") == NOTICE and len(a.index.chunks) == before


def test_chunking_is_linear_and_no_chunk_is_over_the_limit():
    # one paragraph per line, no blank lines: one block of 1.6 MB (was 20 s: a prefix sum per slice)
    text = ("重庆推进数字经济发展，这是第一个句子。这是第二个句子！" * 3 + "\n") * 20_000
    t0 = time.perf_counter()
    chunks = chunk_document(Document("big.txt", text, ()), 400)
    assert time.perf_counter() - t0 < 10
    assert max(len(c.text) for c in chunks) <= 400 and len(chunks) > 4000
    # English, one sentence per line and per page: ASCII "." and line breaks end sentences
    english = "\n".join(f"This is sentence number {i} on its own page." for i in range(3000))
    chunks = chunk_document(Document("en.txt", english, ()), 400)
    assert max(len(c.text) for c in chunks) <= 400 and len(chunks) > 300
    # no sentence end at all: cut at the limit
    assert max(b - a for a, b in split_long("字" * 5000, 300)) <= 300


def test_chunk_offsets_still_point_at_their_text():
    text = "\n".join(f"第{i}句话在这里，说明一件事。" * 7 for i in range(50))
    doc = Document("t.txt", text, ())
    for c in chunk_document(doc, 120):
        span = text[c.char_start:c.char_end]
        assert "".join(span.split()) == "".join(c.text.split())


def test_a_pending_upload_is_never_read_so_a_crash_midway_leaves_it_out(corpus_dir):
    from rag.ingest import load_documents

    uploads = corpus_dir / "uploads"
    uploads.mkdir(exist_ok=True)
    (uploads / ".pending-bomb.md").write_text(NOTICE, encoding="utf-8")  # as left by kill -9 before admission
    (uploads / ".replaced-old.md").write_text(NOTICE, encoding="utf-8")
    assert all("uploads/" not in d.source for d in load_documents(corpus_dir))
