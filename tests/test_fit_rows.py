"""The collected suite rows committed in evals/fit_rows (`benchmarks/fit_suites.py export`),
which fit, score, rank and fallback read with `--rows` instead of collecting again (90-180
minutes of the model on 2 cores): what they hold, and that export and reading keep them."""
from __future__ import annotations

import gzip
import json
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import fit_suites  # noqa: E402

from rag import ConfigError  # noqa: E402
from rag.answering import DECISIONS_FILE as DECISIONS, check  # noqa: E402
from rag.evaluation import load_suites  # noqa: E402


def test_the_shipped_rows_hold_every_suite_of_both_generators():
    specs = load_suites(fit_suites.SUITES)
    for generator in ("extractive", "llama-cpp"):
        rows = fit_suites.read_shipped_rows(fit_suites.ROWS, generator)
        assert {s.name for s in specs} <= set(rows), (generator, {s.name for s in specs} - set(rows))
        for suite, suite_rows in rows.items():
            ids = [r["id"] for r in suite_rows]
            assert len(ids) == len(set(ids)) > 0, suite
            read = [r for r in suite_rows if not fit_suites.refused_by_rule(r)]
            assert read and all(r["signals"] for r in read), suite
            if generator == "llama-cpp":  # the model's rows carry its answer checks, but where they misread
                assert all("model_unverified" in r["signals"] and "model_unanswered" in r["signals"] for r in read
                           if not check.misreads(r["question"], r.get("answer") or "")), suite


@pytest.mark.parametrize("kind", ["language_model", "no_model"])
def test_the_shipped_decision_is_what_its_recorded_command_fits_on_the_shipped_rows(kind):
    """rag/answering/refusal_model.json ships with its rows: the command it records, run on
    evals/fit_rows, fits the same weights, bias, threshold, level and dropped features, and
    its leave-one-suite-out figures are the ones the decision's meta states (and the README
    quotes)."""
    decision = json.loads(DECISIONS.read_text(encoding="utf-8"))["decisions"][kind]
    command = shlex.split(decision["meta"]["command"])
    assert command[0] == "benchmarks/fit_suites.py" and command[-1] == "--write"
    assert command[1:3] == ["--rows", "evals/fit_rows"], "fitted on a collection that is not shipped"
    args = fit_suites.parser().parse_args(["--rows", str(fit_suites.ROWS), *command[3:-1]])
    rows_by_suite, test_only = fit_suites._rows(args)
    dev = [s for s in rows_by_suite if s not in test_only]
    level = fit_suites.threshold_level(rows_by_suite, dev, args)
    refit, dropped = fit_suites._fit([r for s in dev for r in rows_by_suite[s]], args, level)
    assert level == decision["meta"]["max_false_refusal"]
    assert dropped == decision["meta"]["dropped_features"]
    assert refit.weights == pytest.approx(decision["weights"], abs=1e-6)
    assert refit.bias == pytest.approx(decision["bias"], abs=1e-6)
    assert refit.threshold == pytest.approx(decision["threshold"], abs=1e-6)
    figures = fit_suites.leave_one_out(rows_by_suite, test_only, args)
    stated = {s: {k: f[k] for k in fit_suites.COLUMNS[:3]} for s, f in figures.items()}
    assert stated == decision["meta"]["leave_one_suite_out"]


def test_both_generators_answered_the_same_questions():
    model = fit_suites.read_shipped_rows(fit_suites.ROWS, "llama-cpp")
    extractive = fit_suites.read_shipped_rows(fit_suites.ROWS, "extractive")
    for suite, rows in model.items():
        assert [(r["id"], r["question"]) for r in rows] == [(r["id"], r["question"]) for r in extractive[suite]], suite


def test_export_writes_the_shipped_file_byte_for_byte(tmp_path):
    """What `export` writes from the shipped rows is the shipped file: reading measures the
    stored signals again by the pipeline's rules, and they are already what the rules give."""
    for generator in ("llama-cpp", "extractive"):
        args = fit_suites.parser().parse_args(["--rows", str(fit_suites.ROWS), "--generator", generator,
                                               "export", str(tmp_path)])
        assert args.func(args) == 0
        name = f"{generator}.jsonl.gz"
        assert (tmp_path / name).read_bytes() == (fit_suites.ROWS / name).read_bytes(), generator


def test_a_missing_rows_file_says_how_to_write_it(tmp_path):
    with pytest.raises(ConfigError, match="export"):
        fit_suites.read_shipped_rows(tmp_path, "llama-cpp")


def _write_rows(folder: Path, generator: str, suites: dict[str, list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / f"{generator}.jsonl.gz", "wt", encoding="utf-8") as f:
        for suite, ids in suites.items():
            for i in ids:
                f.write(json.dumps({"suite": suite, "id": i, "question": "苏镜宇的原名是什么？", "answerable": True,
                                    "evidence": [], "retrieved": [], "signals": {"lex_best": 0.5}}) + "\n")


def test_export_adds_the_suites_it_collected_to_those_already_shipped(tmp_path):
    """Suites collected apart (`collect --only`) add up in one file, in evals/suites.toml's
    order; a suite collected again replaces its old rows."""
    _write_rows(tmp_path / "new", "llama-cpp", {"cmrc-en": ["en-1"], "cmrc-split": ["s-9"]})
    _write_rows(tmp_path / "shipped", "llama-cpp", {"seed-gold": ["g-1"], "cmrc-split": ["s-1", "s-2"]})
    args = fit_suites.parser().parse_args(["--rows", str(tmp_path / "new"), "--generator", "llama-cpp",
                                           "export", str(tmp_path / "shipped")])
    assert args.func(args) == 0
    merged = fit_suites.read_shipped_rows(tmp_path / "shipped", "llama-cpp")
    assert list(merged) == ["cmrc-split", "cmrc-en", "seed-gold"]
    assert [r["id"] for r in merged["cmrc-split"]] == ["s-9"]
    # measured again on export, as on every read: the collected rows and the kept ones alike
    assert merged["cmrc-en"][0]["signals"]["lead_missing"] == merged["seed-gold"][0]["signals"]["lead_missing"] == 1.0


def test_export_by_id_replaces_only_the_rows_asked_again(tmp_path):
    """`collect --ids` asks a few questions again (those a changed rule reaches), or a suite's
    questions past its old limit; `export --by-id` puts each in its old row's place, or after
    the suite's rows when it had none, and keeps the suite's other rows."""
    _write_rows(tmp_path / "new", "llama-cpp", {"cmrc-split": ["s-2"]})
    _write_rows(tmp_path / "shipped", "llama-cpp", {"cmrc-split": ["s-1", "s-2", "s-3"], "seed-gold": ["g-1"]})
    with gzip.open(tmp_path / "new" / "llama-cpp.jsonl.gz", "rt", encoding="utf-8") as f:
        fresh = json.loads(f.read())
    fresh["question"] = "苏镜宇后来转会去了哪里？"
    with gzip.open(tmp_path / "new" / "llama-cpp.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps(fresh, ensure_ascii=False) + "\n")
    args = fit_suites.parser().parse_args(["--rows", str(tmp_path / "new"), "--generator", "llama-cpp",
                                           "export", "--by-id", str(tmp_path / "shipped")])
    assert args.func(args) == 0
    merged = fit_suites.read_shipped_rows(tmp_path / "shipped", "llama-cpp")
    assert [r["id"] for r in merged["cmrc-split"]] == ["s-1", "s-2", "s-3"] and list(merged["seed-gold"])
    assert [r["question"] for r in merged["cmrc-split"]] == ["苏镜宇的原名是什么？", "苏镜宇后来转会去了哪里？",
                                                             "苏镜宇的原名是什么？"]
    # a question the file does not hold yet (the suite collected past its old limit) follows
    _write_rows(tmp_path / "new", "llama-cpp", {"cmrc-split": ["s-9", "s-1"]})
    assert args.func(args) == 0
    merged = fit_suites.read_shipped_rows(tmp_path / "shipped", "llama-cpp")
    assert [r["id"] for r in merged["cmrc-split"]] == ["s-1", "s-2", "s-3", "s-9"]
    assert merged["cmrc-split"][1]["question"] == "苏镜宇后来转会去了哪里？"  # kept: not asked again


def test_best_sentence_changes_are_read_off_stored_answers():
    best = "2017年林俊贤再次加盟《邵氏兄弟电影公司》，参演《风林火山》。"
    base = {"question": "2017年林俊贤参与了什么剧？", "answerable": True, "refused": False,
            "evidence": [{"n": 1, "text": best}, {"n": 2, "text": "林俊贤于香港出生，是香港男演员。"}],
            "citations": [{"n": 1}]}
    made_right = {**base, "answer": "2017年林俊贤再次加盟《邵氏兄弟电影公司》[1]。", "gold_answers": ["《风林火山》"],
                  "scores": {"correct_cited": False}}
    stays_right = {**made_right, "gold_answers": ["邵氏兄弟电影公司"], "scores": {"correct_cited": True}}
    untouched = {**made_right, "answer": "是香港男演员[2]。"}  # from a sentence ranked lower
    changes = fit_suites._growth_changes({"s": [made_right, stays_right, untouched]})["s"]
    ratio = len(best) / len("2017年林俊贤再次加盟《邵氏兄弟电影公司》。")  # the answers' lengths, markers left out
    assert changes == [(pytest.approx(ratio), 1), (pytest.approx(ratio), 0)]
