"""rag.answering.wording: an answer brought back to the documents' own words."""
from rag.answering import wording as spans

EVIDENCE = ["立足“东数西算”枢纽定位，联合新疆哈密、四川雅安建设跨区域算力枢纽。", "创新“算力券”跨境流通机制。"]


def test_a_reworded_short_span_is_snapped_and_keeps_its_marker():
    assert spans.snap("新疆哈密和四川雅安[1]。", EVIDENCE) == "新疆哈密、四川雅安[1]。"


def test_verbatim_long_or_unrelated_answers_are_left_alone():
    assert spans.snap("新疆哈密、四川雅安[1]。", EVIDENCE) is None  # already verbatim
    assert spans.snap("完全无关的回答[1]。", EVIDENCE) is None
    assert spans.snap("很长的回答" * 10 + "[1]。", EVIDENCE) is None


STATE_FISH = "银花鲈鱼原产于大西洋，是马里兰州、罗德岛州、南卡罗莱纳州、以及纽约州的州代表鱼。"


def test_a_snapped_stretch_is_whole_words_and_whole_quotations():
    # the model repeated an item; the stretch it matches starts inside "马里兰州"
    assert spans.snap("纽约州、罗德岛州、南卡罗莱纳州、以及纽约州[2]。", [STATE_FISH]) == \
        "马里兰州、罗德岛州、南卡罗莱纳州、以及纽约州[2]。"
    assert spans.snap("渝策汇平台[1]。", ["增强“渝策汇”平台规范管理和精准服务能力。"]) == "“渝策汇”平台[1]。"


def test_snap_keeps_to_one_sentence_and_ignores_white_space():
    assert spans.snap("1985年[1]。", ["外语学院成立于 1985 年，是重要学院之一。"]) is None  # verbatim already
    # the answer's words from two sentences of one unit: no stretch of either paraphrases it
    assert spans.snap("日本狼分布于本州、四国及九州[2]。", ["大家都熟悉的日本狼，是最小的狼。分布于本州、四国及九州。"]) is None


def test_a_chinese_answer_to_an_english_question_is_snapped_too():
    text, notes = spans.shape("纽约州、罗德岛州、南卡罗莱纳州、以及纽约州[2]。", "Which US states have it as state fish?",
                              [STATE_FISH])
    assert text.startswith("马里兰州、") and notes
    text, notes = spans.shape("Maryland and New York [2].", "Which US states have it as state fish?", [STATE_FISH])
    assert text == "Maryland and New York [2]." and not notes


def test_echo_detection():
    assert spans.is_echo("跨境流通机制[2]。", "文章提出要创新哪种跨境流通机制？")
    assert not spans.is_echo("“算力券”跨境流通机制[2]。", "文章提出要创新哪种跨境流通机制？")


def test_glosses_dropped_only_for_chinese_questions():
    text, notes = spans.shape('"算力券" (computing vouchers) [2].', "创新了什么机制？", EVIDENCE)
    assert "computing" not in text and notes
    text, notes = spans.shape('"算力券" (computing vouchers) [2].', "What mechanism?", EVIDENCE)
    assert "computing" in text and not notes


LISTING = ("特别是结合AI大模型发展需求，打造高质量的数据标注产业，强化跨领域跨模式语义对齐、4D标注、大模型标注等关键技术攻关和应用，"
           "构建高标准的数据标注标准体系框架，推动人工智能数据标注产业规模化、标准化、集约化发展。")


def test_a_reordered_list_mixed_with_another_lists_items_becomes_the_clause_that_lists_most_of_them():
    answer = '"4D标注"、"大模型标注"、"跨领域跨模式语义对齐"、"标准化"、"集约化"[1]。'
    assert spans.snap_list(answer, [LISTING]) == "强化跨领域跨模式语义对齐、4D标注、大模型标注等关键技术攻关和应用[1]。"


def test_snap_list_leaves_alone_what_no_clause_lists():
    assert spans.snap_list("数据标注产业[1]。", [LISTING]) is None  # not a list
    assert spans.snap_list("算力券、数据券[1]。", [LISTING]) is None  # items the text does not list
    assert spans.snap_list("规模化、标准化、集约化[1]。", [LISTING]) is None  # already verbatim
    # one item of four listed: not enough of the answer to replace it
    assert spans.snap_list("4D标注、算力券、数据券、人才券[1]。", [LISTING]) is None


def test_snap_list_leaves_sentences_and_bylines_alone():
    byline = "（作者系重庆市中国特色社会主义理论体系研究中心研究员、重庆社会科学院城市与区域经济研究所副所长）"
    assert spans.snap_list(byline + " （作者：唐于渝）[1]。", [byline]) is None


def test_an_answer_restating_the_question_is_given_the_sentence_it_copies_from():
    """The restated words ("阿马里洛是根据…改名的") are in no sentence; what the answer adds is
    all in one, which the best-sentence rule then gives whole (cmrc-split DEV_1672_QUERY_2)."""
    question = "阿马里洛是根据什么来改名的？"
    answer = "阿马里洛是根据西班牙语「黄色」的意思改名的[1]。"
    sentence = "后来取郊外黄色野花改名（Amarillo是西班牙语「黄色」的意思）。"
    core = "阿马里洛是根据西班牙语「黄色」的意思改名的"
    assert spans.drawn_share(core, sentence) < spans.SNAP_MIN_COVER  # read as a whole
    assert spans.drawn_share(core, sentence, question) == 1.0
    text, notes = spans.give_clause(answer, question, [sentence])
    assert text == "后来取郊外黄色野花改名（Amarillo是西班牙语「黄色」的意思）[1]。" and notes
    # what it adds must be in the sentence: an answer whose new words are elsewhere is not drawn
    # from it, however much of the question it restates
    assert spans.drawn_share("阿马里洛是根据当地的一种鸟改名的", sentence, question) < spans.SNAP_MIN_COVER


def test_a_restating_answer_longer_than_its_sentence_is_given_the_sentence():
    """The model restated the question and dropped the sentence's quotation marks and its 以:
    its answer is longer than the sentence it copies (cmrc-split DEV_514_QUERY_2). An answer
    that is the sentence's own words, and longer, keeps them: a shorter sentence says no more."""
    question = "货币“索莫尼”的名字怎么来的？"
    sentence = "该货币以“塔吉克民族之父”萨曼王朝创立者伊斯梅尔·索莫尼的名字命名。"
    answer = "“索莫尼”的名字是由塔吉克民族之父萨曼王朝创立者伊斯梅尔·索莫尼的名字命名的[1]。"
    assert spans.give_clause(answer, question, [sentence])[0] == sentence.rstrip("。") + "[1]。"
    # not restated: the answer is the sentence's words and more, which the sentence would lose
    longer = "以“塔吉克民族之父”萨曼王朝创立者伊斯梅尔·索莫尼的名字命名的货币[1]。"
    shorter = "以“塔吉克民族之父”萨曼王朝创立者伊斯梅尔·索莫尼的名字命名。"
    assert spans.drawn_share(longer[:-4], shorter) >= spans.SNAP_MIN_COVER  # drawn from it
    assert spans.whole_sentence(longer, [shorter], question) is None


def test_an_opening_mark_the_answer_ends_on_is_dropped_and_a_closing_one_in_its_glyph_kept():
    # a sentence cut inside a bracket: the clause ends on its opening mark
    assert spans.drop_dangling_opener("中国古动物馆（[1]。") == "中国古动物馆[1]。"
    assert spans.drop_dangling_opener("伏魔录第一单元《雷霆报》）青天衙门第一单元《[2]。") == "伏魔录第一单元《雷霆报》）青天衙门第一单元[2]。"
    assert spans.drop_dangling_opener("这则称为乏适（") == "这则称为乏适。"
    # the text before left a quotation open: the last mark closes it, written with the opening glyph
    assert spans.drop_dangling_opener("他说“有效对抗寄生虫疾病“[1]。") == "他说“有效对抗寄生虫疾病“[1]。"
    for kept in ("普通的回答[1]。", "（[1]。", "“渝策汇”平台[1]。"):
        assert spans.drop_dangling_opener(kept) == kept
