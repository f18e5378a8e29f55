"""The documents panel's handlers (ui.documents), called directly on a hash-embedder index."""
from __future__ import annotations

import pytest

pytest.importorskip("gradio")

from rag import Assistant, Settings  # noqa: E402
from rag.ingest.uploads import IndexProgress  # noqa: E402
from ui.backend import Backend  # noqa: E402
from ui.documents import add_files, list_view, progress_html, remove_file  # noqa: E402

NOTICE = "# 低空经济试点\n\n璧山区低空物流试点首批开通十二条无人机航线。\n"


@pytest.fixture()
def backend(tmp_path, corpus_dir):
    s = Settings(embedder="hash", corpus_dir=str(corpus_dir), index_dir=str(tmp_path / "index"),
                 generator="extractive")
    b = Backend(Assistant.load(s)).start()
    assert b.wait(30)
    return b


def test_add_shows_progress_then_the_list_and_answers_from_the_new_file(backend, tmp_path):
    f = tmp_path / "低空.md"
    f.write_text(NOTICE, encoding="utf-8")
    updates = list(add_files(backend, [str(f)]))
    message, listing, choices, box = updates[-1]
    assert "Added 1 file(s): uploads/低空.md" in message and "1 chunks" in message
    assert 'data-source="uploads/低空.md"' in listing and "uploaded" in listing
    assert choices.value == "uploads/低空.md" and box is None  # the upload box is emptied
    ans = backend.assistant.ask("璧山区开通了多少条无人机航线？", generator="extractive")
    assert any(h.chunk.source == "uploads/低空.md" for h in ans.hits[:1])


def test_bad_upload_shows_the_reason_and_stores_nothing(backend, tmp_path):
    f = tmp_path / "tool.exe"
    f.write_bytes(b"MZ")
    message, *_ = list(add_files(backend, [str(f)]))[-1]
    assert "notice-error" in message and "cannot be read; upload one of" in message
    assert not (backend.settings.corpus_path / "uploads").exists()
    message, *_ = list(add_files(backend, []))[-1]
    assert "Choose one or more files" in message


def test_remove_only_uploaded_documents(backend, tmp_path):
    f = tmp_path / "n.md"
    f.write_text(NOTICE, encoding="utf-8")
    list(add_files(backend, [str(f)]))
    message, listing, choices = remove_file(backend, "uploads/n.md")
    assert "Removed uploads/n.md (1 chunks)" in message and "uploads/n.md" not in listing
    assert choices.choices == [] and choices.value is None
    message, *_ = remove_file(backend, "chongqing_digital_economy_2025.txt")
    assert "seed documents stay" in message
    listing, _ = list_view(backend)
    assert 'data-source="chongqing_digital_economy_2025.txt"' in listing and "seed" in listing


def test_progress_bar_shows_count_and_time_left():
    html = progress_html(IndexProgress("embedding", 10, 40, elapsed=5.0))
    assert '<progress value="10" max="40">' in html and "10 / 40" in html and "about 15 s left" in html
    assert "<progress></progress>" in progress_html(IndexProgress("sentences", 0, 0, 1.0))
