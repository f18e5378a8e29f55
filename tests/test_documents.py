"""Adding and removing documents on a running Assistant (rag.ingest.uploads): safe names, the
size limit, allowed formats, searchable at once, only the new chunks embedded, seeds kept."""
from __future__ import annotations

import pytest

from rag.assistant import Assistant
from rag.ingest.uploads import IndexProgress, describe, safe_filename
from rag.errors import InputError

NOTICE = ("# 关于开展低空经济试点的通知\n\n"
          "璧山区低空物流试点首批开通十二条无人机航线，单架次配送时间缩短到十八分钟。\n\n"
          "试点期间，运营企业须每季度报送飞行安全数据。\n")


@pytest.mark.parametrize("name, stored", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.docx", "evil.docx"),
    ("/abs/path/政府工作报告 2026.PDF", "政府工作报告_2026.pdf"),
    (".hidden.md", "hidden.md"),
    ("a b;rm -rf*.html", "a_b_rm_-rf.html"),
])
def test_safe_filename_keeps_base_name_and_allowed_characters(name, stored):
    assert safe_filename(name) == stored


@pytest.mark.parametrize("name", ["notes.exe", "archive.tar.gz", "no_extension", "....pdf", "../.pdf"])
def test_safe_filename_refuses_other_formats_and_empty_names(name):
    with pytest.raises(InputError):
        safe_filename(name)


def test_added_document_is_searchable_at_once_and_only_its_chunks_are_embedded(hash_assistant: Assistant):
    a = hash_assistant
    before = len(a.index.chunks)
    seen: list[IndexProgress] = []
    result = a.add_documents([("低空 通知.md", NOTICE.encode())], progress=seen.append)
    assert result.added == ["uploads/低空_通知.md"] and not result.skipped
    assert result.chunks == 2 and result.embedded == 2  # the seed chunks came from the cache
    assert len(a.index.chunks) == before + 2
    assert (a.settings.corpus_path / "uploads" / "低空_通知.md").is_file()
    hits = a.retrieve("璧山区无人机航线有多少条？", k=1, mode="bm25")
    assert hits[0].chunk.source == "uploads/低空_通知.md" and hits[0].chunk.section == "关于开展低空经济试点的通知"
    stages = [p.stage for p in seen]
    assert stages[0] == "reading" and stages[-1] == "done" and "embedding" in stages
    embedding = [p for p in seen if p.stage == "embedding"]
    assert embedding[-1].done == embedding[-1].total == 2
    docs = {d.source: d for d in a.documents()}
    assert docs["uploads/低空_通知.md"].chunks == 2 and docs["uploads/低空_通知.md"].uploaded
    assert not docs["chongqing_digital_economy_2025.txt"].uploaded
    # a fresh Assistant sees the same index without rebuilding it
    again = Assistant.load(a.settings)
    assert len(again.index.chunks) == before + 2 and again.index.manifest == a.index.manifest


def test_remove_uploaded_document_but_not_a_seed(hash_assistant: Assistant):
    a = hash_assistant
    before = len(a.index.chunks)
    a.add_documents([("notice.md", NOTICE.encode())])
    assert a.remove_document("uploads/notice.md") == 2
    assert len(a.index.chunks) == before
    assert not (a.settings.corpus_path / "uploads" / "notice.md").exists()
    assert all(h.chunk.source != "uploads/notice.md" for h in a.retrieve("璧山区无人机航线", k=5))
    with pytest.raises(InputError, match="seed documents stay"):
        a.remove_document("chongqing_digital_economy_2025.txt")
    with pytest.raises(InputError, match="seed documents stay"):
        a.remove_document("uploads/../chongqing_digital_economy_2025.txt")
    with pytest.raises(InputError, match="No uploaded document"):
        a.remove_document("uploads/notice.md")
    assert (a.settings.corpus_path / "chongqing_digital_economy_2025.txt").is_file()


def test_size_limit_and_format_are_checked_before_anything_is_stored(hash_assistant: Assistant):
    a = Assistant(hash_assistant.settings.replace(max_upload_mb=0.001), hash_assistant.index, hash_assistant.embedder)
    with pytest.raises(InputError, match="upload limit is 0.001 MB"):
        a.add_documents([("small.md", NOTICE.encode()), ("big.md", b"x" * 2000)])
    with pytest.raises(InputError, match="cannot be read; upload one of"):
        a.add_documents([("small.md", b"ok"), ("tool.exe", b"MZ")])
    assert not (a.settings.corpus_path / "uploads").exists() or not any((a.settings.corpus_path / "uploads").iterdir())


def test_unreadable_upload_is_reported_and_removed_again(hash_assistant: Assistant):
    a = hash_assistant
    result = a.add_documents([("broken.pdf", b"%PDF-1.4 this is not really a pdf"), ("notice.md", NOTICE.encode())])
    assert result.added == ["uploads/notice.md"]
    assert [s["file"] for s in result.skipped] == ["uploads/broken.pdf"] and result.skipped[0]["reason"]
    assert not (a.settings.corpus_path / "uploads" / "broken.pdf").exists()


def test_progress_eta_from_the_rate_so_far():
    assert IndexProgress("embedding", 10, 40, elapsed=5.0).eta == pytest.approx(15.0)
    assert IndexProgress("embedding", 0, 40, elapsed=1.0).eta is None
    assert IndexProgress("sentences", 3, 0, elapsed=1.0).eta is None


def test_describe_counts_chunks_and_pages(shared_hash_assistant: Assistant):
    from dataclasses import replace

    chunks = [replace(c, source="uploads/r.pdf", page=p) for c, p in zip(shared_hash_assistant.index.chunks[:3], (1, 2, 4))]
    (info,) = describe(chunks)
    assert (info.source, info.chunks, info.pages, info.uploaded) == ("uploads/r.pdf", 3, 4, True)
