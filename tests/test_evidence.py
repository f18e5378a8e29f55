"""The model-free text measures behind citation checks and refusals."""
import pytest

from rag.text import measures as evidence


@pytest.mark.parametrize(
    "text, figures",
    [
        ("数据编目16万类，归集15万类，数据需求满足率95%", ["16万类", "15万类", "95%"]),
        ("拥有全部31个制造业大类", ["31个"]),
        ("GDP超3万亿元", ["3万亿元"]),
        ("从四个方面着力", ["四个"]),
        ("扩大5G规模化应用，4D标注", []),  # a digit glued to letters names a thing
        ("依托“1+3”政策体系", []),
        ("一是优化算力资源布局", []),  # list ordinals are not amounts
        ("编目了10亿类[1]", ["10亿类"]),  # the marker is not a figure
    ],
)
def test_quantities(text, figures):
    assert evidence.quantities(text) == figures


def test_years_count_only_when_asked_for():
    assert evidence.quantities("2025年政府工作报告指出") == ["2025年"]
    assert evidence.quantities("2025年政府工作报告指出", years=False) == []


@pytest.mark.parametrize(
    "question, figure, year",
    [
        ("重庆拥有多少个制造业大类？", True, False),
        ("专题从几个方面激发活力？", True, False),
        ("实验室是哪一年成立的？", True, True),
        ("What share of data requests is met?", True, False),
        ("In which year was it approved?", True, True),
        ("文章建议搭建什么平台？", False, False),
        ("英格兰国旗有哪几种颜色？", False, False),  # which ones, not how many
        ("「四聪」除了邓飏还有哪几位？", False, False),
        ("他在哪几年出任会长？", True, True),  # years are figures
        ("Which universities take part?", False, False),
    ],
)
def test_question_kinds(question, figure, year):
    assert evidence.asks_quantity(question) is figure
    assert evidence.asks_year(question) is year


def test_numbers_reads_digits_and_small_chinese_numerals():
    assert evidence.numbers("16万类和95%") == {"16", "95"}
    assert evidence.numbers("四个方面、三十一个") >= {"4", "31"}


def test_split_sentences_keeps_markers_with_their_sentence():
    assert evidence.split_sentences("甲是乙。[1]丙是丁[2]。\n标题") == ["甲是乙。[1]", "丙是丁[2]。", "标题"]


def test_is_cjk():
    assert evidence.is_cjk("重庆数据需求满足率95%")
    assert not evidence.is_cjk("The rate is 95% in 重庆")


def test_word_support_ignores_word_boundaries_but_not_invented_words():
    ctx = "位于两江新区的长安汽车两江工厂，机器人挥舞着手臂有序作业。 记者 张锦辉 摄影"
    assert evidence.word_support("专题配图是记者张锦辉拍的。", ctx, exclude="专题配图是哪位记者拍的？") == (1.0, [])
    share, missing = evidence.word_support("照片由新华社记者王小明拍摄。", ctx, exclude="专题配图是哪位记者拍的？")
    assert share < 0.5 and "王小明" in missing


def test_coverage_counts_content_not_question_words():
    assert evidence.coverage("重庆拥有多少个制造业大类？", "拥有全部31个制造业大类") > 0.6
    assert evidence.coverage("法国的首都是哪里？", "拥有全部31个制造业大类") == 0.0


@pytest.mark.parametrize(
    "text, phrases",
    [
        ("为什么重庆的竞争力已经位居全国第一梯队？", ["第一梯队"]),  # ordinal + what it ranks
        ("重庆是第一批试点城市吗", ["第一批"]),
        ("这是第10次会议", ["第10次"]),
        ("第一篇文章谈算力支撑时主张打破什么？", []),  # a reference to the articles, not a claim
        ("一是优化算力资源布局", []),
    ],
)
def test_ordinal_phrases_are_figures_a_premise_can_get_wrong(text, phrases):
    assert evidence.ordinal_phrases(text) == phrases
    assert set(phrases) <= set(evidence.entities(text))


def test_words_that_point_at_the_articles_are_not_content():
    words = evidence.words("第一篇文章谈城市治理，两篇文章都提到，平台经济一文的作者")
    assert "城市" in words and "治理" in words and "作者" in words
    assert not {"第一篇", "两篇", "一文", "篇文章"} & set(words)
