"""`rag eval` through the CLI entry point, with the real extractive generator and the
hash embedder (selected by environment variable, as a user could)."""
import json
import shutil
from pathlib import Path

import pytest

from rag.cli import main

ROOT = Path(__file__).resolve().parent.parent

GOLD = [
    {"id": "a1", "question": "长安汽车两江工厂的配图是谁摄影的？", "answers": ["张锦辉"],
     "evidence": ["记者 张锦辉 摄影"], "answerable": True, "lang": "zh"},
    {"id": "a2", "question": "重庆联合新疆哈密和哪里建设跨区域算力枢纽？", "answers": ["四川雅安"],
     "evidence": ["联合新疆哈密、四川雅安建设跨区域算力枢纽"], "answerable": True, "lang": "zh"},
    {"id": "u1", "question": "“算力券”每年发放总额是多少亿元？", "answers": [], "evidence": [],
     "answerable": False, "lang": "zh"},
]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli")
    shutil.copytree(ROOT / "seeds", home / "seeds")
    (home / "gold.jsonl").write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in GOLD), encoding="utf-8")
    return home


@pytest.fixture
def rag(home, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDER", "hash")
    base = ["--corpus", str(home / "seeds"), "--index", str(home / "index")]

    def run(*args):
        return main(["eval", *args, *base])

    return run


def test_eval_writes_report_and_prints_summary(rag, home, tmp_path, capsys):
    out = tmp_path / "run"
    code = rag("--gold", str(home / "gold.jsonl"), "--out", str(out), "--generator", "extractive")
    captured = capsys.readouterr()
    assert code == 0
    assert "Evaluating" in captured.err and "3/3" in captured.err  # the tqdm bar, on stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["config"]["generator"] == "extractive"
    assert [r["id"] for r in report["rows"]] == ["a1", "a2", "u1"]
    assert (out / "report.md").is_file()
    lines = dict(line.split(None, 1) for line in captured.out.splitlines() if line.strip() and not line.startswith("report:"))
    assert lines["n_questions"] == "3"
    assert lines["hit@1"] == f"{report['summary']['hit@1']:.3f}"


def test_eval_json_limit_and_options(rag, home, tmp_path, capsys):
    out = tmp_path / "run"
    code = rag("--gold", str(home / "gold.jsonl"), "--out", str(out), "--generator", "extractive",
               "--limit", "2", "-k", "3", "--retrieval", "bm25", "--json")
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["n_questions"] == 2
    assert (data["config"]["k"], data["config"]["retrieval"]) == (3, "bm25")
    rows = json.loads((out / "report.json").read_text(encoding="utf-8"))["rows"]
    assert all(len(r["retrieved"]) == 3 for r in rows)


def test_eval_resumes_unless_told_not_to(rag, home, tmp_path, capsys):
    out = tmp_path / "run"
    args = ("--gold", str(home / "gold.jsonl"), "--out", str(out), "--generator", "extractive", "--json")
    assert rag(*args) == 0
    assert json.loads(capsys.readouterr().out)["config"]["resumed_rows"] == 0
    assert rag(*args) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["config"]["resumed_rows"] == 3 and "Resuming: 3 of 3" in captured.err
    assert rag(*args, "--no-resume") == 0
    assert json.loads(capsys.readouterr().out)["config"]["resumed_rows"] == 0


@pytest.mark.parametrize(
    "content, message",
    [(None, "does not exist"), ('{"id": "x", "question": "q?", "answerable": true, "answers": ["a"]}\nnot json\n', "gold.jsonl:2: not valid JSON")],
)
def test_bad_gold_file_exits_2_with_message(rag, tmp_path, capsys, content, message):
    gold = tmp_path / "gold.jsonl"
    if content is not None:
        gold.write_text(content, encoding="utf-8")
    assert rag("--gold", str(gold), "--out", str(tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_missing_arguments_exit_2(rag, home, tmp_path, capsys):
    assert rag("--out", str(tmp_path / "run")) == 2
    assert "needs --gold FILE and --out DIR" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["eval", "--gold", "g.jsonl", "--out", "x", "--retrieval", "fuzzy"])
    assert e.value.code == 2


def test_compare_prints_deltas(rag, home, tmp_path, capsys):
    gold = str(home / "gold.jsonl")
    assert rag("--gold", gold, "--out", str(tmp_path / "a"), "--generator", "extractive", "--retrieval", "bm25", "--json") == 0
    assert rag("--gold", gold, "--out", str(tmp_path / "b"), "--generator", "extractive", "--retrieval", "dense", "--json") == 0
    a = json.loads((tmp_path / "a" / "report.json").read_text(encoding="utf-8"))["summary"]
    b = json.loads((tmp_path / "b" / "report.json").read_text(encoding="utf-8"))["summary"]
    capsys.readouterr()
    assert main(["eval", "--compare", str(tmp_path / "a" / "report.json"), str(tmp_path / "b" / "report.json")]) == 0
    text = capsys.readouterr().out
    assert "| metric | A | B | B - A |" in text and "retrieval: bm25 -> dense" in text
    assert main(["eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    mrr = next(m for m in data["metrics"] if m["metric"] == "mrr")
    assert mrr["delta"] == pytest.approx(b["mrr"] - a["mrr"])


def test_compare_missing_report_exits_2(tmp_path, capsys):
    assert main(["eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
