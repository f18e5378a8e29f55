"""rag.evaluation.metrics on hand-made cases, with the expected numbers worked out by hand."""
import math

import pytest

from rag.evaluation import metrics as M


# ---------------------------------------------------------------------- normalisation
def test_tokenize_chinese_per_character_english_per_word():
    assert M.tokenize("数据满足率95%，The GDP grew!") == ["数", "据", "满", "足", "率", "95", "%", "the", "gdp", "grew"]


def test_tokenize_keeps_decimals_and_thousands_whole():
    assert M.tokenize("增长3.5倍，达1,000家.") == ["增", "长", "3.5", "倍", "达", "1,000", "家"]


def test_tokenize_drops_chinese_and_cmrc_punctuation():
    # "&" is Unicode punctuation (the CMRC scorer's own list misses it; ours drops it too)
    assert M.tokenize("《战国无双3》「战史演武」&『争霸』——“好”") == list("战国无双3战史演武争霸好")


def test_normalize_lowercases_folds_fullwidth_and_drops_space_and_punctuation():
    assert M.normalize(" ＡＩ＋ 行动。") == "ai行动"  # "＋" folds to "+", which the CMRC list drops
    assert M.normalize("Big Data, Inc.") == "bigdatainc"
    assert M.normalize("3.5%") == "3.5%"  # a decimal point inside a number is not punctuation
    assert M.normalize("35%") != M.normalize("3.5%")


def test_strip_citations():
    assert M.strip_citations("满足率为95%[1]。见[2, 3]") == "满足率为95%。见"


# ---------------------------------------------------------------------- EM / F1 / contains
def test_exact_match_ignores_punctuation_space_case_and_citations():
    assert M.exact_match("光荣 和 ω-force。[1]", ["光荣和ω-force"]) == 1.0
    assert M.exact_match("The Koei Company.", ["the koei company"]) == 1.0
    assert M.exact_match("光荣", ["光荣和ω-force"]) == 0.0


def test_exact_match_takes_any_gold_answer():
    assert M.exact_match("村雨城", ["任天堂游戏谜之村雨城", "村雨城"]) == 1.0


def test_f1_chinese_per_character():
    # gold 4 chars, prediction 6 chars sharing the run "满足率" (3): P=3/6, R=3/4, F1=0.6
    assert M.f1_score("需求的满足率", ["满足率高"]) == pytest.approx(0.6)


def test_f1_uses_longest_contiguous_run_like_cmrc_scorer():
    # shared characters "ab" and "cd" are not contiguous in both: the longest common run is 2
    assert M.f1_score("甲乙丁丙", ["甲乙丙丁"]) == pytest.approx(0.5)


def test_f1_english_per_word_not_per_letter():
    # pred tokens: the, data, rate, is, high (5); gold: data, rate (2); run 2 -> P=0.4 R=1
    assert M.f1_score("The data rate is high.", ["data rate"]) == pytest.approx(2 * 0.4 * 1 / 1.4)
    assert M.f1_score("datarate", ["data rate"]) == 0.0  # one different word, not 8 shared letters


def test_f1_max_over_answers_and_number_tokens():
    # "95%" is the tokens 95 and %: the prediction has 6 tokens (满 足 率 为 95 %), so against
    # "95%" P=2/6, R=1 -> 0.5; against "80%" only "%" is shared: P=1/6, R=1/2 -> 0.25; max 0.5
    assert M.f1_score("满足率为95%[1]", ["80%", "95%"]) == pytest.approx(0.5)
    assert M.f1_score("满足率为95%", ["80%"]) == pytest.approx(0.25)


def test_empty_prediction_or_answers_score_zero():
    assert M.f1_score("", ["95%"]) == 0.0
    assert M.exact_match("", ["95%"]) == 0.0
    assert M.contains("", ["95%"]) == 0.0
    assert M.f1_score("95%", []) == 0.0
    assert M.exact_match("。", ["95%"]) == 0.0


def test_contains():
    assert M.contains("重庆的数据需求满足率达到 95 %[1]。", ["95%"]) == 1.0
    assert M.contains("满足率是九成", ["95%"]) == 0.0
    assert M.contains("It is Chongqing Daily.", ["chongqing daily"]) == 1.0
    assert M.contains("anything", ["。"]) == 0.0  # an answer that normalizes to nothing never matches


# ---------------------------------------------------------------------- retrieval
def test_supports_ignores_whitespace():
    assert M.supports("数据需求 满足率\n95%", ["数据需求满足率95%"])
    assert not M.supports("数据需求满足率90%", ["数据需求满足率95%"])
    assert not M.supports("任何文本", [])
    assert not M.supports("任何文本", ["  "])  # blank evidence supports nothing



def test_evidence_shown_reads_each_sentence_and_all_of_them_joined():
    from rag.evaluation import evidence_shown

    evidence = ["体长可达52公分。"]
    assert evidence_shown(["数量多。", "体长可达52公分。"], evidence)
    assert evidence_shown(["体长可达", "52公分。"], evidence)  # split by the selection into two
    assert not evidence_shown(["体长可达", "数量多。", "52公分。"], evidence)
    assert not evidence_shown([], evidence) and not evidence_shown(["体长可达52公分。"], [])

def test_hit_rr_ndcg_first_rank():
    rel = [True, False, False]
    assert M.hit_at_k(rel, 1) == 1.0
    assert M.reciprocal_rank(rel) == 1.0
    assert M.ndcg_at_k(rel, 5, n_relevant=1) == 1.0


def test_hit_rr_ndcg_third_rank():
    rel = [False, False, True, False]
    assert M.hit_at_k(rel, 1) == 0.0 and M.hit_at_k(rel, 2) == 0.0
    assert M.hit_at_k(rel, 3) == 1.0
    assert M.reciprocal_rank(rel) == pytest.approx(1 / 3)
    assert M.ndcg_at_k(rel, 5, n_relevant=1) == pytest.approx(1 / math.log2(4))


def test_ndcg_with_two_relevant_passages_in_corpus():
    # only one of two relevant passages found, at rank 2: DCG = 1/log2(3), IDCG = 1 + 1/log2(3)
    got = M.ndcg_at_k([False, True, False], 5, n_relevant=2)
    assert got == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    # without the corpus count the ideal is what was found, which flatters: 1/log2(3) / 1
    assert M.ndcg_at_k([False, True, False], 5) == pytest.approx(1 / math.log2(3))


def test_ndcg_never_exceeds_one_when_corpus_count_is_too_low():
    assert M.ndcg_at_k([True, True], 5, n_relevant=1) == pytest.approx(1.0)


def test_empty_hits():
    assert M.hit_at_k([], 5) == 0.0
    assert M.reciprocal_rank([]) == 0.0
    assert M.ndcg_at_k([], 5, n_relevant=1) == 0.0
    assert M.ndcg_at_k([], 5) == 0.0


def test_relevant_beyond_k_does_not_count():
    rel = [False] * 5 + [True]
    assert M.hit_at_k(rel, 5) == 0.0
    assert M.ndcg_at_k(rel, 5, n_relevant=1) == 0.0
    assert M.reciprocal_rank(rel) == pytest.approx(1 / 6)


# ---------------------------------------------------------------------- citations
def test_citation_precision_pools_over_questions():
    # q1 cites 2 (1 good), q2 cites 1 (good): 2 of 3 citations support
    assert M.citation_precision([[True, False], [True]]) == pytest.approx(2 / 3)


def test_citation_recall_counts_questions_with_a_supporting_citation():
    assert M.citation_recall([[True, False], [False], []]) == pytest.approx(1 / 3)


def test_no_citations_at_all():
    assert M.citation_precision([[], []]) is None  # undefined, not a perfect 1.0
    assert M.citation_recall([[], []]) == 0.0
    assert M.citation_recall([]) is None


# ---------------------------------------------------------------------- refusals
def test_refusal_scores_count_false_refusals():
    refused = [True, True, False, True, False]
    answerable = [False, True, False, False, True]
    s = M.refusal_scores(refused, answerable)
    # 3 refusals, 2 correct (one false refusal of an answerable question); 3 unanswerable, 2 refused
    assert s["refusal_precision"] == pytest.approx(2 / 3)
    assert s["refusal_recall"] == pytest.approx(2 / 3)
    assert s["refusal_f1"] == pytest.approx(2 / 3)
    assert s["false_refusal_rate"] == pytest.approx(1 / 2)


def test_all_refused():
    s = M.refusal_scores([True] * 4, [True, True, False, False])
    assert s["refusal_precision"] == 0.5
    assert s["refusal_recall"] == 1.0
    assert s["refusal_f1"] == pytest.approx(2 / 3)
    assert s["false_refusal_rate"] == 1.0


def test_never_refused():
    s = M.refusal_scores([False] * 3, [True, False, False])
    assert s["refusal_precision"] is None
    assert s["refusal_recall"] == 0.0
    assert s["refusal_f1"] is None
    assert s["false_refusal_rate"] == 0.0


def test_no_unanswerable_questions():
    s = M.refusal_scores([False, True], [True, True])
    assert s["refusal_recall"] is None
    assert s["refusal_precision"] == 0.0
    assert s["false_refusal_rate"] == 0.5


def test_refusal_lengths_must_match():
    with pytest.raises(ValueError):
        M.refusal_scores([True], [True, False])


# ---------------------------------------------------------------------- latency
def test_percentiles_interpolate_like_numpy():
    xs = [4.0, 1.0, 3.0, 2.0, 10.0]
    assert M.percentile(xs, 50) == 3.0
    assert M.percentile(xs, 95) == pytest.approx(4 + 0.8 * 6)  # rank 3.8 between 4 and 10
    assert M.percentile([7.0], 95) == 7.0
    assert M.percentile([], 50) is None
    with pytest.raises(ValueError):
        M.percentile(xs, 101)


def test_mean_skips_none():
    assert M.mean([1.0, None, 0.0]) == 0.5
    assert M.mean([None]) is None
