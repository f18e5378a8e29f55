"""Sentence selection (rag.answering.selection): what the model is shown and the user reads first."""
import pytest

from rag.answering import selection as sentences
from rag.config import Settings
from rag.retrieval.embedders.hash import HashEmbedder
from rag.answering.selection import UnitWeights, rank, select, split_units

COMMON = "重庆数据发展很快。" * 3


def test_rare_phrase_outweighs_common_words():
    # both sentences share terms with the question, but only one holds its rare phrase
    passages = [(1, "", "重庆数据资源发展迅速，重庆数据平台越来越多。"), (2, "", "数据需求满足率95%，实现秒级共享。")]
    weights = UnitWeights([passages[0][2], passages[1][2], COMMON, COMMON])
    ranked = rank("重庆的数据需求满足率是多少？", passages, weights=weights)
    assert ranked[0].n == 2 and "满足率95%" in ranked[0].text
    assert ranked[0].lexical > ranked[1].lexical


def test_title_words_count_for_the_passage_whose_title_holds_them():
    passages = [(1, "数据资源开发利用", "要完善激励机制。"), (2, "平台经济", "要完善激励机制。")]
    ranked = rank("数据资源开发利用一文怎样完善激励机制？", passages)
    assert ranked[0].n == 1 and ranked[0].lexical > ranked[1].lexical


def test_title_weight_one_lets_the_asked_words_choose_within_a_passage():
    # every sentence of an article is about its title: one repeats the subject's name, the
    # other holds the asked fact and names the subject only through the title
    passages = [(1, "前肛鳗", "前肛鳗属于底栖鱼类，多分布在海底，以小型鱼类为食，数量多但无经济价值。体长可达52公分。")]
    q = "前肛鳗的体长是多少？"
    fact = "体长可达52公分。"
    half, full = rank(q, passages, cue_scale=0.0, title_weight=0.5), rank(q, passages, cue_scale=0.0, title_weight=1.0)
    assert half[0].text != fact  # the name's two bigrams outweigh 体长 at half weight
    assert full[0].text == fact and full[0].score > full[1].score
    assert [s.score for s in rank(q, passages, title_weight=sentences.W_TITLE)] == [s.score for s in rank(q, passages)]
    # what the refusal decision reads (Scored.lexical, its lex_best) does not move with the
    # ranking's weight: the decision was fitted with the title at TITLE_IN_LEXICAL_SIGNAL
    lexical = lambda ranked: {s.text: s.lexical for s in ranked}  # noqa: E731
    assert lexical(half) == lexical(full)
    assert lexical(full) == pytest.approx(dict(zip((s.text for s in full), sentences.lexical_scores(
        q, [s.text for s in full], titles=["前肛鳗"] * len(full), title_weight=sentences.TITLE_IN_LEXICAL_SIGNAL))))


def test_figure_question_prefers_a_sentence_with_a_figure():
    passages = [(1, "", "重庆建成公共数据资源体系，覆盖全市。"), (2, "", "重庆公共数据资源体系编目16万类。")]
    assert rank("重庆公共数据资源体系编目了多少类？", passages)[0].n == 2


def test_cue_scale_zero_takes_the_figure_bonus_away():
    # equal words; the sentence with the figure is in the lower-ranked passage (the rank prior)
    passages = [(1, "", "重庆公共数据资源体系编目很多类。"), (2, "", "重庆公共数据资源体系编目16万类。")]
    q = "重庆公共数据资源体系编目了多少类？"
    shipped, off = rank(q, passages), rank(q, passages, cue_scale=0.0)
    assert shipped[0].lexical == shipped[1].lexical
    assert shipped[0].n == 2 and shipped[0].score - shipped[1].score > 0.1  # the figure's bonus
    assert off[0].n == 1 and [s.score for s in rank(q, passages, cue_scale=1.0)] == [s.score for s in shipped]


def test_who_question_prefers_a_byline():
    passages = [(1, "", "文章提出加快布局新赛道，推动产业集群发展。"), (2, "", "（作者系西南大学经济管理学院副院长、教授）")]
    assert rank("这篇文章的作者在哪里任职？", passages)[0].n == 2


def test_english_question_uses_the_embedder_and_the_corpus_glossary():
    from rag.retrieval.bilingual import Glossary

    emb = HashEmbedder(Settings(embedder="hash"))
    passages = [(1, "", "数据需求满足率95%。"), (2, "", "平台经济规范健康发展。")]
    ranked = rank("What is the data demand satisfaction rate?", passages, embedder=emb)
    assert len(ranked) == 2 and all(-1.0 <= s.dense <= 1.0 for s in ranked)
    glossary = Glossary([t for _, _, t in passages], entries=[("需求", "需求", "demand; requirement")])
    q = "What is the data demand satisfaction rate?"
    assert sentences.lexical_query(q, glossary) == "需求 " + q  # the corpus' word, then the question
    assert sentences.lexical_query(q) == q  # without a glossary: the question's own words
    texts = [t for _, _, t in passages]
    plain, glossed = (sentences.lexical_scores(q, texts, UnitWeights(texts, g)) for g in (None, glossary))
    assert glossed[0] > plain[0] and glossed[1] == plain[1] == 0.0  # "demand" -> 需求, in sentence 1 only


def test_short_topic_lead_is_joined_to_the_sentence_after_it_but_a_name_line_is_not():
    assert split_units("二是深化产业融合。实施“智改数转”攻坚行动，打造行业级平台。") == [
        "二是深化产业融合。实施“智改数转”攻坚行动，打造行业级平台。"
    ]
    assert split_units("唐于渝\n2025年政府工作报告提出，持续推进行动。")[0] == "唐于渝"


def test_select_keeps_the_budget_and_always_the_best_sentence():
    passages = [(1, "", "数据需求满足率95%。" + "无关的内容很长很长。" * 3), (2, "", "数据需求满足率很高，数据共享很快。")]
    ranked = rank("数据需求满足率是多少？", passages)
    chosen = select(ranked, 40, question="数据需求满足率是多少？")
    assert sum(len(s.text) for s in chosen) <= 40 and "95%" in chosen[0].text
    # an overlong best sentence is cut to its best clauses rather than dropped
    long = [(1, "", "很长的铺垫，" * 30 + "数据需求满足率95%，" + "很长的结尾，" * 30 + "。")]
    [only] = select(rank("数据需求满足率是多少？", long), 30, question="数据需求满足率是多少？")
    assert len(only.text) <= 30 and "满足率95%" in only.text


def test_select_leaves_out_sentences_far_below_the_best():
    ranked = [sentences.Scored(1.0, 1, 0, "最好的句子。"), sentences.Scored(0.2, 2, 0, "差得多的句子。")]
    assert [s.text for s in select(ranked, 200)] == ["最好的句子。"]


def test_reading_order_groups_by_passage():
    picked = [sentences.Scored(1.0, 2, 3, "c"), sentences.Scored(0.9, 1, 5, "b"), sentences.Scored(0.8, 1, 0, "a")]
    assert [s.text for s in sentences.in_reading_order(picked)] == ["a", "b", "c"]
