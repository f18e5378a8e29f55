"""The refusal threshold's level calibrated by leaving suites out (benchmarks/fit_suites.py
--calibrate), on synthetic rows: a decision whose threshold is set on its own training rows
refuses more answerable questions on a suite it has not seen, and the calibration lowers
the level until a left-out suite's answerable questions are refused at most the target."""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import fit_suites  # noqa: E402


def _suite(name: str, shift: float, seed: int) -> list[dict]:
    """Answerable rows with a strong best sentence, unanswerable ones with a weak one;
    `shift` lowers the answerable rows' lexical match (a harder corpus)."""
    rng = random.Random(seed)
    rows = []
    for i in range(60):
        answerable = i % 2 == 0
        lex = rng.gauss(0.55 - shift if answerable else 0.25, 0.12)
        rows.append({"id": f"{name}-{i}", "suite": name, "answerable": answerable,
                     "signals": {"lex_best": min(1.0, max(0.0, lex)), "dense_best": 0.85, "english": 0.0},
                     "scores": {"correct_cited": answerable}, "timings": {}})
    return rows


def _args(**kw) -> argparse.Namespace:
    base = dict(l2=0.3, max_false_refusal=0.05, scales="", balance=True, calibrate=True, target_refused=0.05,
                calibrate_by="mean")
    return argparse.Namespace(**{**base, **kw})


ROWS = {"easy": _suite("easy", 0.0, 1), "medium": _suite("medium", 0.08, 2), "hard": _suite("hard", 0.16, 3)}


def test_the_level_is_chosen_on_the_grid_by_the_left_out_suites():
    suites = list(ROWS)
    strict = fit_suites.calibrated_level(ROWS, suites, _args(target_refused=0.0))
    loose = fit_suites.calibrated_level(ROWS, suites, _args(target_refused=1.0))
    assert strict == min(fit_suites.LEVELS) and loose == max(fit_suites.LEVELS)
    chosen = fit_suites.calibrated_level(ROWS, suites, _args())

    def held_out_refused(level: float) -> float:
        refused = []
        for out in suites:
            d, _ = fit_suites._fit([r for s in suites if s != out for r in ROWS[s]], _args(), level)
            refused.append(fit_suites.score(d, ROWS[out])["answerable_refused"])
        return sum(refused) / len(refused)

    # refusing 5% of the training rows refuses more of a harder suite left out ...
    assert held_out_refused(0.05) > 0.05
    # ... so a lower level is chosen, the highest that keeps the left-out suites at the target
    assert chosen < 0.05 and held_out_refused(chosen) <= 0.05 + 1e-9
    higher = [lv for lv in fit_suites.LEVELS if lv > chosen]
    assert all(held_out_refused(lv) > 0.05 for lv in higher)


def test_by_median_one_hard_suite_left_out_does_not_set_the_level():
    suites = list(ROWS)

    def refused_by_suite(level: float) -> list[float]:
        out = []
        for left in suites:
            d, _ = fit_suites._fit([r for s in suites if s != left for r in ROWS[s]], _args(), level)
            out.append(fit_suites.score(d, ROWS[left])["answerable_refused"])
        return sorted(out)

    by_median = fit_suites.calibrated_level(ROWS, suites, _args(calibrate_by="median"))
    by_mean = fit_suites.calibrated_level(ROWS, suites, _args())
    assert by_median >= by_mean
    assert refused_by_suite(by_median)[1] <= 0.05 + 1e-9  # the middle of three suites
    assert all(refused_by_suite(lv)[1] > 0.05 for lv in fit_suites.LEVELS if lv > by_median)


def test_leave_one_out_never_sees_the_left_out_suite():
    seen = []
    original = fit_suites.calibrated_level

    def spy(rows_by_suite, suites, args):
        seen.append(list(suites))
        return original(rows_by_suite, suites, args)

    fit_suites.calibrated_level = spy
    try:
        figures = fit_suites.leave_one_out(ROWS, set(), _args())
    finally:
        fit_suites.calibrated_level = original
    assert seen == [[s for s in ROWS if s != out] for out in ROWS]
    assert all(f["level"] in fit_suites.LEVELS for f in figures.values())
    # without --calibrate the stated level is used as before
    plain = fit_suites.leave_one_out(ROWS, set(), _args(calibrate=False))
    assert {f["level"] for f in plain.values()} == {0.05}


def test_rank_reads_the_ordering_apart_from_any_threshold():
    assert fit_suites.auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert fit_suites.auc([0.5], [0.5]) == 0.5  # a tie counts half
    assert fit_suites.auc([], [0.1]) is None
    answerable = [i / 20 for i in range(20)]  # 0.0 .. 0.95
    # the best threshold may refuse 1 of 20 answerable questions (5%): it refuses above 0.9
    assert fit_suites.best_threshold_refusals([0.92, 0.99, 0.5, 0.85], answerable, 0.05) == 0.5
    assert fit_suites.best_threshold_refusals([0.92, 0.99], answerable, 0.0) == 0.5  # none: above 0.95
    assert fit_suites.best_threshold_refusals([0.2], answerable, 1.0) == 1.0  # all may be refused


def test_a_stored_row_gives_the_answer_check_what_the_pipeline_gives_it(tmp_path):
    from rag.answering.check import check_messages

    row = {"question": "积分可以兑换什么？", "answer": "积分可兑换算力资源[2]。",
           "retrieved": [{"chunk_id": "d#1", "section": "数据"}, {"chunk_id": "d#2", "section": "算力积分"}],
           "evidence": [{"n": 2, "chunk_id": "d#2", "text": "积分可兑换算力资源。"},
                        {"n": 1, "chunk_id": "d#1", "text": "数据编目16万类。"}]}
    shown, titles = fit_suites.row_check_inputs(row)
    assert shown == [(2, "积分可兑换算力资源。"), (1, "数据编目16万类。")] and titles == {2: "算力积分", 1: "数据"}
    assert "《算力积分》积分可兑换算力资源。" in check_messages(row["question"], row["answer"], shown, titles)[-1]["content"]


def test_stored_checks_are_read_into_the_rows_signals(tmp_path, monkeypatch):
    import json

    out = tmp_path / "llama-cpp"
    folder = out / "s1-llama-cpp"
    folder.mkdir(parents=True)
    rows = [{"id": "a", "answerable": True, "signals": {"lex_best": 0.5}},
            {"id": "b", "answerable": False, "signals": {"lex_best": 0.1}}]
    (folder / "checks.json").write_text(json.dumps({"a": 0.1, "b": None}))
    (folder / "answered.json").write_text(json.dumps({"a": 0.3, "b": 0.9}))
    (out / "suites.json").write_text(json.dumps({"results": [
        {"suite": "s1", "generator": "llama-cpp", "out_dir": str(folder), "test_only": False}]}))
    monkeypatch.setattr(fit_suites, "fit_rows", lambda *a, **k: {"s1": rows})
    monkeypatch.setattr(fit_suites, "load_suites", lambda path: [])
    monkeypatch.setattr(fit_suites, "stored_lead_missing", lambda r: 0.0)
    got, _ = fit_suites._rows(argparse.Namespace(suites="x", out=str(tmp_path), generator="llama-cpp", skip=None))
    assert got["s1"][0]["signals"]["model_unverified"] == 0.1
    assert "model_unverified" not in got["s1"][1]["signals"]  # a backend that could not check: unmeasured
    assert [r["signals"]["model_unanswered"] for r in got["s1"]] == [0.3, 0.9]  # the second check's own file


def test_a_copied_results_folder_reads_its_own_suite_folders_not_the_ones_it_was_written_to(tmp_path):
    import json
    import shutil

    from rag.evaluation import suite_dirs

    first = tmp_path / "first" / "llama-cpp"
    (first / "s1-llama-cpp").mkdir(parents=True)
    (first / "suites.json").write_text(json.dumps({"results": [
        {"suite": "s1", "generator": "llama-cpp", "out_dir": str(first / "s1-llama-cpp"), "test_only": False},
        {"suite": "gone", "generator": "llama-cpp", "out_dir": "/nowhere/gone-llama-cpp", "test_only": True}]}))
    copy = tmp_path / "copy" / "llama-cpp"
    shutil.copytree(first, copy)
    assert suite_dirs(copy, "llama-cpp")["s1"] == copy / "s1-llama-cpp"
    assert suite_dirs(first, "llama-cpp")["s1"] == first / "s1-llama-cpp"
    # a folder that is not beside suites.json is read where it was recorded
    assert suite_dirs(copy, "llama-cpp")["gone"] == Path("/nowhere/gone-llama-cpp")


def test_an_answer_that_cites_nothing_counts_as_refused_whatever_the_decision():
    from rag.answering import Decision

    never = Decision({}, -9.0, threshold=0.5)
    rows = [{"answerable": True, "answer": "积分可兑换算力资源[2]。", "citations": [{"n": 2}], "signals": {},
             "gold_answers": ["算力资源"],
             "scores": {"correct_cited": True}, "timings": {}},
            # collected before the rule (session 14): the text went out citing nothing
            {"answerable": False, "answer": "会长是冯伟华。", "citations": [], "signals": {}, "scores": {}, "timings": {}},
            # collected with it: the never-refusing run's only refusals are the rules'
            {"answerable": False, "answer": "文档中没有找到这个问题的答案。", "citations": [], "refused": True,
             "signals": {}, "scores": {}, "timings": {}}]
    assert [fit_suites.refused_by_rule(r) for r in rows] == [False, True, True]
    got = fit_suites.score(never, rows)
    assert got["answerable_refused"] == 0.0 and got["unanswerable_refused"] == 1.0 and got["right_and_cited"] == 1.0


def test_a_stored_row_gets_the_figure_part_of_subject_missing_as_the_pipeline_measures_it():
    row = {"question": "林俊贤在1995年的《人海骄阳》里扮演了什么角色？", "answer": "男主角钟文轩[1]。",
           "retrieved": [{"chunk_id": "d#1", "section": "林俊贤"}],
           "evidence": [{"n": 1, "chunk_id": "d#1", "text": "后来林俊贤在1991年的《人海骄阳》里演男主角钟文轩。"}],
           "signals": {"subject_missing": 0.0}}
    assert fit_suites.stored_subject_missing(row) == 1.0
    # the names part stored by the pipeline is kept when it is the larger
    row = {**row, "question": "张学友在1991年演了谁？", "signals": {"subject_missing": 1.0}}
    assert fit_suites.stored_subject_missing(row) == 1.0
    row = {**row, "signals": {"subject_missing": 0.0}}
    assert fit_suites.stored_subject_missing(row) == 0.0


def test_rank_puts_a_row_a_rule_refuses_at_the_top_whatever_its_probability(monkeypatch, capsys):
    def row(i, answerable, lex, **extra):
        return {"id": f"r{i}", "suite": "s1" if i < 40 else "s2", "answerable": answerable,
                "answer": "甲[1]。", "citations": [{"n": 1}], "signals": {"lex_best": lex, "dense_best": 0.85},
                "scores": {}, "timings": {}, **extra}
    # s2: answerable rows rank low, unanswerable high, but one answerable answer cites nothing
    s1 = [row(i, i % 2 == 0, 0.7 if i % 2 == 0 else 0.1) for i in range(40)]
    s2 = [row(40 + i, i % 2 == 0, 0.7 if i % 2 == 0 else 0.1) for i in range(10)]
    def s2_auc(rows):
        monkeypatch.setattr(fit_suites, "_rows", lambda args: ({"s1": s1, "s2": rows}, set()))
        fit_suites.rank_cmd(_args(at_most=0.0, suites=None, without=None, generator="llama-cpp"))
        return next(x for x in capsys.readouterr().out.splitlines() if x.startswith("| s2 |")).split(" | ")[1]

    assert s2_auc(s2) == "1.000"
    # 5 x 5 pairs: the answerable answer that cites nothing ranks above all 5 unanswerable ones
    assert s2_auc([{**s2[0], "citations": []}, *s2[1:]]) == "0.800"


def test_a_row_a_cite_rule_refuses_counts_as_refused_and_is_still_fitted_on():
    """rag.answering.cite_rules read off a stored row: the row is refused whatever the decision
    (score), yet fitted on as if the rule did not exist (_fit), unlike a row refused in the run."""
    from rag.answering import Decision

    fish = {"id": "f", "suite": "s", "answerable": False, "question": "交叉笛鲷哪里有一个大黑斑？",
            "answer": "体侧在背鳍软条部的下方具一大黑斑[1]。", "citations": [{"n": 1, "chunk_id": "d#1"}],
            "retrieved": [{"chunk_id": "d#1", "section": "火斑笛鲷"}],
            "evidence": [{"n": 1, "chunk_id": "d#1", "text": "成鱼体色偏黄，体侧在背鳍软条部的下方具一大黑斑。"}],
            "signals": {"lex_best": 0.3, "lead_missing": 1.0}, "scores": {}, "timings": {}}
    same_fish = {**fish, "id": "g", "retrieved": [{"chunk_id": "d#1", "section": "交叉笛鲷"}]}
    rows = fit_suites.measured({"s": [fish, same_fish]})["s"]
    assert [r["cite_rule"] for r in rows] == ["other_subject", None]
    assert fit_suites.refused_by_rule(rows[0]) and not fit_suites.refused_in_run(rows[0])
    never = Decision({}, -9.0, threshold=0.5)
    assert fit_suites.score(never, rows)["unanswerable_refused"] == 0.5
    # fitted on: both rows reach the regression (a row refused in the run would not)
    seen = []
    original = fit_suites.fit_decision
    def spy(rows_, labels, **kw):
        seen.append(len(rows_))
        return original(rows_, labels, **kw)
    try:
        fit_suites.fit_decision = spy
        fit_suites._fit(rows + [{**fish, "id": "h", "refused": True}], _args(without=None))
    finally:
        fit_suites.fit_decision = original
    assert seen == [2]
