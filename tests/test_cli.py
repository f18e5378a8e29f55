"""The `rag index` / `rag search` commands, through the real entry point."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli import main


def test_index_then_search_json(env, capsys):
    assert main(["index", "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["embedder"] == "hash" and manifest["chunks"] > 20
    assert main(["search", "数据需求满足率是多少", "-k", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert {"rank", "chunk_id", "score", "section", "text"} <= set(rows[0])
    assert any("95%" in r["text"] for r in rows)


def test_search_text_output(env, capsys):
    assert main(["search", "算力券", "-k", "2", "--retrieval", "bm25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] ") and "算力券" in out


@pytest.mark.parametrize(
    "question, message",
    [("   ", "question is empty"), ("问" * 600, "limit is 500")],
)
def test_bad_questions(env, capsys, question, message):
    assert main(["search", question]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_bad_k(env, capsys):
    assert main(["search", "数据", "-k", "0"]) == 2
    assert "k must be" in capsys.readouterr().err


def test_missing_index_with_no_rebuild(env, capsys):
    assert main(["search", "数据", "--no-rebuild"]) == 2
    assert "rag index" in capsys.readouterr().err


def test_empty_corpus_folder(env, capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["index", "--corpus", str(empty)]) == 2
    assert "holds no non-empty" in capsys.readouterr().err


def test_gbk_file_is_indexed_and_undecodable_file_skipped(env, capsys, corpus_dir):
    (corpus_dir / "gbk.txt").write_bytes("重庆数字经济的关键词是智改数转。".encode("gbk"))
    (corpus_dir / "bad.txt").write_bytes(b"\x81\x30" * 50)
    assert main(["index", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "gbk.txt" in out["corpus_files"]
    assert [s["file"] for s in out["skipped"]] == ["bad.txt"] and "GB18030" in out["skipped"][0]["reason"]
    assert main(["search", "智改数转", "-k", "1", "--retrieval", "bm25", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["chunk_id"] == "gbk#p01"


def test_console_script_reports_errors_without_traceback(env):
    """The installed `rag` command itself: exit code and message, no Python traceback."""
    exe = [str(Path(sys.executable).with_name("rag"))]
    proc = subprocess.run(exe + ["search", ""], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "question is empty" in proc.stderr and "Traceback" not in proc.stderr
