"""rag.evaluation.runner: gold loading, the runner (real index with the hash embedder, canned
generator replies), reports, resume and compare."""
import json
import shutil
from pathlib import Path

import pytest

from rag.evaluation import metrics as M
from rag.assistant import Assistant
from rag.answering import Decision
from rag.config import Settings
from rag.evaluation.runner import (
    GoldFileError,
    GoldItem,
    compare_reports,
    format_comparison,
    load_gold,
    render_markdown,
    run_eval,
    summarize,
)
from fakes import FakeGenerator

ROOT = Path(__file__).resolve().parent.parent

# Hand-made questions over seeds/ with evidence copied from the corpus.
GOLD = [
    {"id": "a1", "question": "长安汽车两江工厂的配图是谁摄影的？", "answers": ["张锦辉"],
     "evidence": ["记者 张锦辉 摄影"], "answerable": True, "lang": "zh"},
    {"id": "a2", "question": "重庆联合新疆哈密和哪里建设跨区域算力枢纽？", "answers": ["四川雅安", "雅安"],
     "evidence": ["联合新疆哈密、四川雅安建设跨区域算力枢纽"], "answerable": True, "lang": "zh"},
    {"id": "u1", "question": "“算力券”每年发放总额是多少亿元？", "answers": [], "evidence": [],
     "answerable": False, "lang": "zh"},
]
PHOTO = "位于两江新区的长安汽车两江工厂，机器人挥舞着手臂有序作业。记者张锦辉摄影[1]。"


def write_gold(path: Path, items=GOLD) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def index_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("eval")
    shutil.copytree(ROOT / "seeds", home / "seeds")
    return home


@pytest.fixture
def assistant(index_home):
    settings = Settings(embedder="hash", corpus_dir=str(index_home / "seeds"), index_dir=str(index_home / "index"))
    return Assistant.load(settings)


@pytest.fixture
def gold_file(tmp_path):
    return write_gold(tmp_path / "gold.jsonl")


def fake(assistant, *replies, name="fake") -> FakeGenerator:
    gen = FakeGenerator(list(replies))
    assistant.register_generator(gen, name)
    return gen


# ---------------------------------------------------------------------- gold loading
def test_load_gold_reads_the_documented_format(gold_file):
    items = load_gold(gold_file)
    assert [i.id for i in items] == ["a1", "a2", "u1"]
    assert items[1].answers == ("四川雅安", "雅安")
    assert items[2].answerable is False and items[2].evidence == ()


def test_load_gold_accepts_the_project_gold_set():
    items = load_gold(ROOT / "evals" / "gold.jsonl")
    assert len(items) >= 50
    assert any(not i.answerable for i in items) and any(i.lang == "en" for i in items)


def test_lang_is_inferred_when_missing(tmp_path):
    items = load_gold(write_gold(tmp_path / "g.jsonl", [
        {"id": 1, "question": "Who took the photo?", "answers": ["Zhang Jinhui"], "evidence": ["张锦辉"], "answerable": True},
        {"id": 2, "question": "谁拍的照片？", "answers": ["张锦辉"], "evidence": ["张锦辉"], "answerable": True},
    ]))
    assert [(i.id, i.lang) for i in items] == [("1", "en"), ("2", "zh")]


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"id": "x", "question": "q?", "answers": ["a"], "evidence": [], "answerable": true}\n{"id": "y", oops}\n',
         r"g\.jsonl:2: not valid JSON"),
        ('["not", "an", "object"]\n', r"g\.jsonl:1: expected a JSON object"),
        ('{"id": "x", "answers": ["a"], "answerable": true}\n', r":1: missing field\(s\) question"),
        ('{"id": "x", "question": "q?", "answers": [], "evidence": [], "answerable": true}\n', "needs at least one entry in 'answers'"),
        ('{"id": "x", "question": "q?", "answers": ["a"], "evidence": [], "answerable": false}\n', "must have empty 'answers'"),
        ('{"id": "x", "question": "q?", "answers": "a", "evidence": [], "answerable": true}\n', "'answers' must be a list of strings"),
        ('{"id": "x", "question": "q?", "answers": ["a"], "evidence": [], "answerable": "yes"}\n', "'answerable' must be true or false"),
        ('{"id": "x", "question": " ", "answers": ["a"], "evidence": [], "answerable": true}\n', "'question' must be a non-empty string"),
        ('{"id": "x", "question": "q?", "answers": ["a"], "answerable": true}\n\n{"id": "x", "question": "r?", "answers": ["b"], "answerable": true}\n',
         r":3: duplicate id 'x' \(first used on line 1\)"),
        ("\n\n", "holds no questions"),
    ],
)
def test_bad_gold_files_raise_with_the_line(tmp_path, content, message):
    p = tmp_path / "g.jsonl"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(GoldFileError, match=message):
        load_gold(p)


def test_missing_and_non_utf8_gold(tmp_path):
    with pytest.raises(GoldFileError, match="does not exist"):
        load_gold(tmp_path / "nope.jsonl")
    p = tmp_path / "gbk.jsonl"
    p.write_bytes('{"id": "x", "question": "问题"}'.encode("gbk"))
    with pytest.raises(GoldFileError, match="not UTF-8"):
        load_gold(p)


# ---------------------------------------------------------------------- the runner
def test_report_files_rows_and_scores(assistant, gold_file, tmp_path):
    fake(assistant, PHOTO, "重庆联合新疆哈密、四川雅安建设跨区域算力枢纽[1]。", "重庆每年发放的算力券总额是10亿元[1]。")
    seen = []
    report = run_eval(assistant, gold_file, out_dir=tmp_path / "run", generator="fake",
                      progress=lambda done, total, row: seen.append((done, total, row["id"])))
    assert seen == [(1, 3, "a1"), (2, 3, "a2"), (3, 3, "u1")]
    assert report == json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert set(report) >= {"config", "summary", "rows"}
    assert report["config"]["generator"] == "fake" and report["config"]["k"] == 5

    rows = {r["id"]: r for r in report["rows"]}
    for qid, row in rows.items():
        assert set(row) >= {"id", "question", "lang", "answerable", "retrieved", "answer", "citations",
                            "refused", "scores", "timings", "error"}
        # what the row says was retrieved is what the assistant retrieves for that question
        ids = [h.chunk.id for h in assistant.retrieve(row["question"], k=5)]
        assert [h["chunk_id"] for h in row["retrieved"]] == ids
        assert [h["rank"] for h in row["retrieved"]] == [1, 2, 3, 4, 5]

    a1 = rows["a1"]
    assert not a1["refused"] and a1["error"] is None
    assert a1["scores"]["contains"] == 1.0
    assert a1["scores"]["f1"] == pytest.approx(M.f1_score(a1["answer"], ["张锦辉"]))
    flags = [h["supports"] for h in a1["retrieved"]]
    assert flags == [M.supports(assistant.index.by_id[h["chunk_id"]].text, ["记者 张锦辉 摄影"]) for h in a1["retrieved"]]
    assert a1["scores"]["rr"] == M.reciprocal_rank(flags)
    # the invented "10亿元" for the unanswerable question is caught and turned into a refusal
    assert rows["u1"]["refused"] and rows["u1"]["scores"]["refusal_correct"]
    assert "em" not in rows["u1"]["scores"] and "rr" not in rows["u1"]["scores"]

    s = report["summary"]
    assert (s["n_questions"], s["n_answerable"], s["n_unanswerable"], s["n_errors"]) == (3, 2, 1, 0)
    assert s["mrr"] == pytest.approx((rows["a1"]["scores"]["rr"] + rows["a2"]["scores"]["rr"]) / 2)
    assert s["refusal_recall"] == 1.0
    assert s["latency.total.p50"] > 0 and "latency.prompt_chars.p50" not in s

    md = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Evaluation report") and "| hit@1 |" in md and "## Failures" in md
    assert (tmp_path / "run" / "rows.jsonl").read_text(encoding="utf-8").count("\n") == 4  # header + 3 rows


def test_a_question_that_errors_is_a_failure_row_and_the_run_goes_on(assistant, tmp_path):
    items = load_gold(write_gold(tmp_path / "g.jsonl", [
        GOLD[0],
        {"id": "long", "question": "重庆" * 400, "answers": ["x"], "evidence": ["重庆"], "answerable": True},
        GOLD[1],
    ]))
    fake(assistant, PHOTO)
    report = run_eval(assistant, items, out_dir=tmp_path / "run", generator="fake")
    rows = {r["id"]: r for r in report["rows"]}
    assert rows["long"]["error"].startswith("InputError: The question is 800 characters long")
    assert rows["long"]["retrieved"] == [] and rows["long"]["scores"]["hit@1"] == 0.0
    assert rows["a1"]["error"] is None and rows["a2"]["error"] is None
    assert report["summary"]["n_errors"] == 1
    assert report["summary"]["f1"] == pytest.approx(sum(r["scores"]["f1"] for r in rows.values()) / 3)
    md = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "### long" in md and "error: InputError" in md


class Exploding(FakeGenerator):
    name = "boom"

    def stream(self, messages, **kw):
        raise RuntimeError("model crashed")


def test_generator_exception_is_recorded(assistant, gold_file, tmp_path):
    assistant.register_generator(Exploding(), "boom")
    report = run_eval(assistant, gold_file, out_dir=tmp_path / "run", generator="boom")
    # u1 may be refused before generation (no exception); the answerable ones reach the model
    errors = {r["id"]: r["error"] for r in report["rows"] if r["error"]}
    assert errors.get("a1") == "RuntimeError: model crashed"
    assert report["summary"]["n_errors"] == len(errors) >= 1
    assert report["summary"]["n_questions"] == 3


def test_resume_skips_finished_questions_after_an_interruption(assistant, gold_file, tmp_path):
    out = tmp_path / "run"
    gen = fake(assistant, PHOTO)

    def stop_after_two(done, total, row):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(assistant, gold_file, out_dir=out, generator="fake", progress=stop_after_two)
    asked_first = len(gen.prompts)
    assert not (out / "report.json").exists()
    with (out / "rows.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"id": "u1", "question": "half-writt')  # the run was killed mid-line
    notes = []
    report = run_eval(assistant, gold_file, out_dir=out, generator="fake", log=notes.append)
    assert [r["id"] for r in report["rows"]] == ["a1", "a2", "u1"]
    assert report["config"]["resumed_rows"] == 2
    assert any("Resuming: 2 of 3" in n for n in notes)
    # only u1 went through the pipeline again: at most one more prompt (none if refused early)
    assert len(gen.prompts) - asked_first <= 1
    before = len(gen.prompts)
    again = run_eval(assistant, gold_file, out_dir=out, generator="fake")
    assert len(gen.prompts) == before and again["config"]["resumed_rows"] == 3
    assert again["summary"] == report["summary"]


def test_changed_config_or_no_resume_starts_over(assistant, gold_file, tmp_path):
    out = tmp_path / "run"
    gen = fake(assistant, PHOTO)
    run_eval(assistant, gold_file, out_dir=out, generator="fake", k=5)
    n = len(gen.prompts)
    notes = []
    report = run_eval(assistant, gold_file, out_dir=out, generator="fake", k=3, log=notes.append)
    assert report["config"]["resumed_rows"] == 0 and len(gen.prompts) > n
    assert any("configuration changed" in m and "k" in m for m in notes)
    assert all(len(r["retrieved"]) == 3 for r in report["rows"] if not r["error"])
    m = len(gen.prompts)
    assert run_eval(assistant, gold_file, out_dir=out, generator="fake", k=3, resume=False)["config"]["resumed_rows"] == 0
    assert len(gen.prompts) > m


def test_a_finished_run_made_by_other_code_is_not_resumed(assistant, gold_file, tmp_path, monkeypatch):
    # e.g. a refitted refusal decision (rag/answering/refusal_model.json) or an edited rag/*.py
    from rag.evaluation import runner as evaluate

    out = tmp_path / "run"
    gen = fake(assistant, PHOTO)
    run_eval(assistant, gold_file, out_dir=out, generator="fake")
    n = len(gen.prompts)
    assert run_eval(assistant, gold_file, out_dir=out, generator="fake")["config"]["resumed_rows"] > 0
    monkeypatch.setattr(evaluate, "code_fingerprint", lambda: "other code")
    notes = []
    report = run_eval(assistant, gold_file, out_dir=out, generator="fake", log=notes.append)
    assert report["config"]["resumed_rows"] == 0 and len(gen.prompts) > n
    assert any("configuration changed" in m and "code" in m for m in notes)


def test_code_fingerprint_follows_the_shipped_decisions(tmp_path, monkeypatch):
    from rag.evaluation import runner as evaluate

    package = tmp_path / "rag"
    package.mkdir()
    (package / "refusal_model.json").write_text("{}")
    monkeypatch.setattr(evaluate, "__file__", str(package / "evaluate.py"))
    before = evaluate.code_fingerprint()
    (package / "refusal_model.json").write_text('{"decisions": {}}')
    assert evaluate.code_fingerprint() != before


def test_limit_and_bad_arguments(assistant, gold_file, tmp_path):
    fake(assistant, PHOTO)
    report = run_eval(assistant, gold_file, out_dir=tmp_path / "run", generator="fake", limit=1)
    assert [r["id"] for r in report["rows"]] == ["a1"]
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="limit"):
        run_eval(assistant, gold_file, out_dir=tmp_path / "x", generator="fake", limit=0)
    with pytest.raises(ConfigError, match="k must be"):
        run_eval(assistant, gold_file, out_dir=tmp_path / "x", generator="fake", k=0)
    with pytest.raises(GoldFileError):
        run_eval(assistant, tmp_path / "missing.jsonl", out_dir=tmp_path / "x")


def test_all_refused_and_no_citations(assistant, gold_file, tmp_path):
    # the metrics of a run where every question is refused: the model declines each one and
    # the decision follows it (the fitted one may answer a decline from strong evidence)
    fake(assistant, "资料中没有提到这个问题的答案。")
    assistant.decisions["language_model"] = Decision({"model_refuse": 10.0}, bias=-5.0, threshold=0.5)
    s = run_eval(assistant, gold_file, out_dir=tmp_path / "run", generator="fake")["summary"]
    assert s["false_refusal_rate"] == 1.0 and s["refusal_recall"] == 1.0
    assert s["refusal_precision"] == pytest.approx(1 / 3)
    assert s["em"] == s["f1"] == s["contains"] == 0.0  # a refusal earns no answer credit
    assert s["citation_precision"] is None and s["citation_recall"] == 0.0
    md = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "| citation_precision | n/a |" in md and "refused an answerable question" in md


def test_cmrc_style_items_use_chunk_ids_for_support(assistant, tmp_path):
    question = GOLD[0]["question"]
    target = assistant.retrieve(question, k=5)[2].chunk.id
    item = GoldItem("c1", question, ("张锦辉",), (), True, "zh", (target,))
    fake(assistant, PHOTO)
    row = run_eval(assistant, [item], out_dir=tmp_path / "run", generator="fake")["rows"][0]
    assert [h["supports"] for h in row["retrieved"]] == [False, False, True, False, False]
    assert row["scores"]["rr"] == pytest.approx(1 / 3)


def test_summarize_counts_errors_as_misses():
    rows = [
        {"answerable": True, "refused": False, "error": None, "timings": {"total": 2.0},
         "scores": {"hit@1": 1.0, "hit@3": 1.0, "hit@5": 1.0, "rr": 1.0, "ndcg@5": 1.0,
                    "em": 1.0, "f1": 1.0, "contains": 1.0, "citations_supported": [True]}},
        {"answerable": True, "refused": False, "error": "RuntimeError: x", "timings": {},
         "scores": {"hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "rr": 0.0, "ndcg@5": 0.0,
                    "em": 0.0, "f1": 0.0, "contains": 0.0, "citations_supported": []}},
    ]
    s = summarize(rows)
    assert s["hit@1"] == 0.5 and s["f1"] == 0.5 and s["citation_recall"] == 0.5
    assert s["citation_precision"] == 1.0
    assert s["latency.total.p50"] == 2.0  # the failed question has no latency to report
    assert s["refusal_recall"] is None  # no unanswerable questions


# ---------------------------------------------------------------------- compare
def test_compare_reports(assistant, gold_file, tmp_path):
    # a decision that follows the model, so the declining run refuses (the fitted one may answer
    # a decline from strong evidence): this tests the comparison, not the weights
    assistant.decisions["language_model"] = Decision({"model_refuse": 10.0}, bias=-5.0, threshold=0.5)
    fake(assistant, PHOTO)
    a = run_eval(assistant, gold_file, out_dir=tmp_path / "a", generator="fake")
    fake(assistant, "资料中没有提到。", name="refuser")
    b = run_eval(assistant, gold_file, out_dir=tmp_path / "b", generator="refuser")
    cmp = compare_reports(tmp_path / "a" / "report.json", tmp_path / "b")  # a folder works too
    by = {m["metric"]: m for m in cmp["metrics"]}
    assert by["false_refusal_rate"]["delta"] == pytest.approx(b["summary"]["false_refusal_rate"] - a["summary"]["false_refusal_rate"])
    assert by["n_questions"]["delta"] == 0
    assert cmp["config_diff"]["generator"] == ["fake", "refuser"]
    assert any(f["id"] == "a1" and f["a"] == "correct" and f["b"] == "refused" for f in cmp["flips"])
    text = format_comparison(cmp)
    assert "| contains |" in text and "generator: fake -> refuser" in text and "a1: correct -> refused" in text


def test_compare_rejects_non_reports(tmp_path):
    from rag.errors import ConfigError

    (tmp_path / "x.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match="no 'summary'"):
        compare_reports(tmp_path / "x.json", tmp_path / "x.json")
    with pytest.raises(ConfigError, match="does not exist"):
        compare_reports(tmp_path / "none.json", tmp_path / "x.json")


def test_markdown_lists_failures_with_retrieval_and_answer():
    row = {"id": "q9", "question": "谁？", "lang": "zh", "answerable": True, "gold_answers": ["张锦辉"],
           "retrieved": [{"rank": 1, "chunk_id": "c1", "score": 0.5, "section": "s", "supports": False}],
           "answer": "不知道是谁[1]。", "citations": [{"n": 1, "chunk_id": "c1", "supported": False, "supports": False}],
           "refused": False, "error": None, "timings": {},
           "scores": {"hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "rr": 0.0, "ndcg@5": 0.0, "em": 0.0, "f1": 0.0,
                      "contains": 0.0, "citations_supported": [False], "refusal_correct": True}}
    report = {"config": {"gold": "g", "generator": "x", "retrieval": "hybrid", "k": 5, "embedder": "e"},
              "summary": summarize([row]), "rows": [row]}
    md = render_markdown(report)
    assert "## Failures (1 of 1)" in md
    assert "answer does not contain a gold answer" in md and "no supporting passage retrieved" in md
    assert "1. `c1`" in md and "(nothing)" not in md and "不知道是谁" in md and "- **Gold:** 张锦辉" in md
