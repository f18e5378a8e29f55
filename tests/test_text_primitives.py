"""The shared text primitives (rag.text.script, sentences, names): one rule each."""
from rag.text import measures, names, script, sentences


def test_cjk_class_covers_every_ideograph_block_and_nothing_else():
    for ch in "中㐀豈𠮷":  # unified, extension A, compatibility, extension B
        assert script.is_ideograph(ch), ch
    for ch in "a1。，䷀":  # Latin, digits, CJK punctuation, a Yijing hexagram (U+4DC0)
        assert not script.is_ideograph(ch), ch


def test_is_chinese_weighs_characters_against_latin_letters():
    assert script.is_chinese("DeepSeek是什么公司？")
    assert not script.is_chinese("What is the GDP of 重庆 in 2024?")
    assert not script.is_chinese("no Chinese at all")
    assert script.has_cjk("What is the GDP of 重庆 in 2024?")


def test_sentences_keep_a_trailing_marker_and_the_chunker_cuts_only_prose_ends():
    assert sentences.split_sentences("第一句。[1]第二句！Third one. Fourth") == ["第一句。[1]", "第二句！", "Third one.", "Fourth"]
    assert sentences.prose_cuts("甲。乙; 丙") == [2]
    assert sentences.ends_sentence("他说：“好。”") and not sentences.ends_sentence("标题")


def test_name_shape():
    assert names.is_name_shaped("唐于渝") and names.is_name_shaped("巴拉克·歐巴馬")
    assert not names.is_name_shaped("作者系西南大学经济管理学院副院长") and not names.is_name_shaped("唐")
    assert names.is_chinese_name("张锦辉") and not names.is_chinese_name("高水平建设")


def test_the_text_sharing_most_units_is_found_first_on_ties():
    from rag.text.measures import sharing_most, units

    texts = ["数据编目16万类。", "积分可兑换算力资源。", "算力资源积分兑换。"]
    assert sharing_most(units("积分兑换算力资源"), texts) == 1  # tied with [2]: the first
    assert sharing_most(units("数据编目"), texts) == 0
    assert sharing_most(units("巴黎"), texts) == 0  # nothing shared: the first


def test_list_item_numbers_are_kept_apart_and_are_no_figures():
    from rag.text import measures
    from rag.text.sentences import list_lines

    text = "目标如下：\n1. 建设超算中心，占比12.5%。\n2、投资30亿元\n (3) 共建平台\n- 其他"
    assert list_lines(text) == [("", "目标如下："), ("1. ", "建设超算中心，占比12.5%。"), ("2、", "投资30亿元"),
                                (" (3) ", "共建平台"), ("- ", "其他")]
    assert measures.quantities(text) == ["12.5%", "30亿元"]
    assert measures.numbers(text) == {"12.5", "30"}
    # numbered items in one line, after a colon or a sentence end
    assert measures.quantities("目标有：1. 建设超算中心；2. 投资30亿元。3、共建平台") == ["30亿元"]
    # a decimal, a year or a negative figure opening a line is a figure, not an item number
    assert measures.quantities("增长率为：1.5%；比分2、3") == ["1.5%", "2", "3"]
    assert measures.quantities("1.5万人\n2025年\n-5度") == ["1.5万人", "2025年", "5度"]



def test_clipped_keeps_short_text_and_ends_a_cut_one_with_an_ellipsis():
    assert measures.clipped("重庆数字经济", 6) == "重庆数字经济"
    assert measures.clipped("重庆数字经济发展", 6) == "重庆数字经…"
    assert len(measures.clipped("x" * 500, 240)) == 240
