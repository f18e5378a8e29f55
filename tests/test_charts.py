"""rag.evaluation.charts and the charts `rag eval` writes: real matplotlib, real PNG files."""
from __future__ import annotations

import json
import shutil
import struct
import sys

import pytest

pytest.importorskip("matplotlib", reason="charts need matplotlib: pip install '.[charts]'")

from rag.evaluation import charts  # noqa: E402
from rag.cli import main  # noqa: E402
from rag.errors import DependencyError  # noqa: E402
from rag.evaluation.runner import load_gold, retrieval_by_mode  # noqa: E402

from conftest import GOLD, SEEDS  # noqa: E402


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def _row(answerable, refused, total):
    return {"answerable": answerable, "refused": refused, "timings": {"total": total}, "error": None}


def _report(generator, mode, rows, **summary):
    return {"config": {"generator": generator, "retrieval": mode, "k": 5},
            "summary": {"hit@1": 0.5, "hit@3": 0.75, "hit@5": 1.0, "mrr": 0.7, "contains": 0.8, **summary},
            "rows": rows}


def test_confusion_counts_each_question_once():
    rows = [_row(True, False, 1), _row(True, True, 2), _row(False, True, 3), _row(False, True, 4), _row(False, False, 5)]
    assert charts.confusion({"rows": rows}) == [[1, 1], [1, 2]]


def test_four_charts_for_several_reports(tmp_path):
    a = _report("llama-cpp", "hybrid", [_row(True, False, 9.0), _row(False, True, 4.0)], f1=0.6)
    b = _report("extractive", "bm25", [_row(True, False, 0.2), _row(False, False, 0.1)], f1=None)
    paths = charts.write_charts([a, b], tmp_path / "out", prefix="x-")
    assert [p.name for p in paths] == [f"x-{name}.png" for name in charts.CHARTS]
    for p in paths:
        w, h = _png_size(p)
        assert w >= 400 and h >= 300 and p.stat().st_size > 5_000  # drawn, not an empty canvas
    assert charts._retrieval_table([a, b]).keys() == {"hybrid", "bm25"}  # each report's own mode


def test_missing_matplotlib_names_the_pip_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    with pytest.raises(DependencyError, match=r"pip install '\.\[charts\]'"):
        charts.write_charts([_report("g", "hybrid", [])], tmp_path)


def test_retrieval_by_mode_scores_every_mode(shared_hash_assistant):
    items = [i for i in load_gold(GOLD) if i.answerable][:6]
    table = retrieval_by_mode(shared_hash_assistant, items, k=5)
    assert set(table) == {"dense", "bm25", "hybrid"}
    for metrics in table.values():
        assert set(metrics) == {"hit@1", "hit@3", "hit@5", "mrr"}
        assert 0.0 <= metrics["hit@1"] <= metrics["hit@3"] <= metrics["hit@5"] <= 1.0
    assert table["bm25"]["hit@5"] > 0.5  # the lexical side finds these verbatim questions


def test_rag_eval_writes_charts_beside_the_report_and_draws_several_runs(tmp_path, monkeypatch, capsys):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.setenv("RAG_EMBEDDER", "hash")
    base = ["--corpus", str(tmp_path / "seeds"), "--index", str(tmp_path / "index")]
    assert main(["eval", "--gold", str(GOLD), "--out", str(tmp_path / "extractive"), "--generator", "extractive",
                 "--limit", "5", "--json", *base]) == 0
    report = json.loads((tmp_path / "extractive" / "report.json").read_text(encoding="utf-8"))
    assert set(report["retrieval_modes"]) == {"dense", "bm25", "hybrid"}
    for name in charts.CHARTS:
        _png_size(tmp_path / "extractive" / f"{name}.png")
    capsys.readouterr()
    r = str(tmp_path / "extractive" / "report.json")
    assert main(["eval", "--charts", r, r, "--out", str(tmp_path / "docs"), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["charts"]
    assert sorted(listed) == sorted(str(tmp_path / "docs" / f"{n}.png") for n in charts.CHARTS)
    assert main(["eval", "--charts", r]) == 2  # no --out: a message, not a traceback
    assert "--out DIR" in capsys.readouterr().err
