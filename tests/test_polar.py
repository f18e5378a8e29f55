"""Yes/no questions (rag.text.polar): which questions are, and the verdict an answer gives."""
import pytest

from rag.text.polar import is_polar, verdict


@pytest.mark.parametrize("question", [
    "苏镜宇进入过上海申花一队吗？", "复兴社是不是成立于南京？", "王沈有没有参与撰写《魏书》？",
    "苏镜宇是否打进过中超进球？", "吉芬能不能算美国海军将领", "這樣對嗎?",
    "Was the Revival Society founded in Nanjing?", "Didn't he join the first team?",
])
def test_a_question_answered_by_yes_or_no_is_polar(question):
    assert is_polar(question)


@pytest.mark.parametrize("question", [
    "你知道复兴社是什么时候成立的吗？",  # ends in 吗, asks "when"
    "复兴社成立于南京还是上海？",  # a choice between two
    "永明之治是哪位皇帝当政那些年的盛世？", "重庆提出了哪些目标？", "双方到底在争什么问题？",
    "Who founded the society?", "Is it known where he was born?", "", "   ",
])
def test_a_question_asking_for_a_value_or_a_choice_is_not_polar(question):
    assert not is_polar(question)


@pytest.mark.parametrize("answer, question, expected", [
    ("是的，复兴社成立于南京[1]。", "复兴社是不是成立于南京？", "yes"),
    ("有。王沈与荀顗、阮籍同撰《魏书》[1]", "王沈有没有参与撰写《魏书》？", "yes"),
    ("不是。吉芬是美国海军中将[1]。", "吉芬是美国陆军将领吗？", "no"),
    ("没有，苏镜宇没有进入上海申花一队[1]。", "苏镜宇进入过上海申花一队吗？", "no"),
    ("“不”，他是海军中将", "他是陆军将领吗？", "no"),
    ("No, he served in the navy [1].", "Was he in the army?", "no"),
    ("Yes. It was founded in Nanjing [1].", "Was it founded in Nanjing?", "yes"),
])
def test_a_leading_yes_or_no_word_is_the_verdict(answer, question, expected):
    assert verdict(answer, question) == expected


def test_without_a_leading_word_the_verdict_is_whether_the_answer_negates_more_than_the_question():
    assert verdict("苏镜宇没有进入上海申花一队。[1]", "苏镜宇进入过上海申花一队吗？") == "no"
    assert verdict("中华民族复兴社是中国国民党内部的一个军事组织[1]", "复兴社是中国国民党内部的组织吗？") == "yes"
    # the question's own negation is not the answer's: "没" in both is a yes to "没…吗"
    assert verdict("他确实没有去[1]。", "他没有去吗？") == "yes"
    # words that only look negative ("不仅", "未来", "非常") are no negation
    assert verdict("他不仅进了一队，还非常出色[1]。", "他进过一队吗？") == "yes"
    assert verdict("He was not in the team.", "Was he in the team?") == "no"


def test_an_empty_answer_has_no_verdict():
    assert verdict("", "他进过一队吗？") is None
    assert verdict("[1]", "他进过一队吗？") is None


def test_still_and_an_opening_phrase_do_not_hide_a_yes_no_question():
    assert is_polar("北土城站现在还是换乘站吗？")  # 还是 = "still" before 吗
    assert not is_polar("北土城站是换乘站还是终点站？")  # 还是 = "or"
    assert is_polar("During the Regency, was George III the king?")


def test_the_questions_own_a_not_a_form_is_no_negation():
    assert verdict("关岛秧鸡不会飞[1]。", "关岛秧鸡会不会飞？") == "no"
    assert verdict("刘备没有怪罪廖立[1]。", "刘备有没有怪罪廖立？") == "no"
    assert verdict("象鼩并非高度群居的动物[1]。", "象鼩是不是高度群居的动物？") == "no"
    assert verdict("关岛秧鸡会飞[1]。", "关岛秧鸡会不会飞？") == "yes"


def test_a_negation_elsewhere_in_the_answer_does_not_turn_its_verdict():
    # "未若" is in a quotation about the book, not a "no" to "did he write it"
    assert verdict('王沈撰写了《魏书》44卷，"多为时讳，未若陈寿之实录也"[1]。', "王沈有没有参与撰写《魏书》？") == "yes"
    assert verdict("他居住在学校附近，但是并没有在这所学校就读[1]。", "他是在这所学校读的高中吗？") == "no"


def test_a_negation_character_inside_the_questions_own_words_is_no_negation():
    assert verdict("《战国无双3》是由光荣和ω-force开发的战国无双系列的续作[1]。", "《战国无双3》是光荣参与开发的吗？") == "yes"


def test_the_negated_verb_of_an_a_not_a_question_is_read_as_a_no():
    assert verdict("PukiWiki不需要任何数据库程序支援[1]。", "PukiWiki需不需要数据库才能运行？") == "no"


def test_the_claim_a_yes_no_question_asks_about():
    from rag.text.polar import statement
    assert statement("复兴社是不是成立于南京？") == "复兴社是成立于南京"
    assert statement("PukiWiki需不需要数据库才能运行？") == "PukiWiki需要数据库才能运行"
    assert statement("植村秀的品牌后来是否被资生堂收购了？") == "植村秀的品牌后来被资生堂收购了"
    assert statement("复兴社解散以后，大部分成员都进了三民主义青年团，对吗？") == "复兴社解散以后，大部分成员都进了三民主义青年团"
    assert statement("Was it founded in Nanjing?") == "Was it founded in Nanjing"


# ---------------------------------------------------------------------- gold items with a verdict
def test_a_gold_yes_no_item_is_scored_by_the_verdict_of_the_answer():
    from rag.evaluation.gold import GoldFileError, parse_gold_item
    from rag.evaluation.scoring import score_row

    item = parse_gold_item({"id": "yn-1", "question": "苏镜宇进入过上海申花一队吗？", "answers": ["不是"], "verdict": "no",
                            "evidence": ["苏镜宇没有进入上海申花一队。"], "answerable": True})
    assert item.verdict == "no" and item.to_dict()["verdict"] == "no"
    cited = [{"supports": True}]
    right = score_row(item, [], "苏镜宇没有进入上海申花一队[1]。", False, cited)
    assert right["correct_cited"] and right["contains"] == 1.0
    # "不是" as a string would be "in" neither of these; the verdict decides
    wrong = score_row(item, [], "是的，苏镜宇进入了上海申花一队[1]。", False, cited)
    assert not wrong["correct_cited"] and wrong["contains"] == 0.0
    assert not score_row(item, [], "没有[1]。", True, cited)["correct_cited"]  # a refusal earns nothing
    # the field is optional, and checked when present
    assert "verdict" not in parse_gold_item({"id": "q", "question": "谁？", "answers": ["甲"], "answerable": True}).to_dict()
    for bad, message in (({"verdict": "maybe"}, "'verdict' must be"),
                         ({"verdict": "no", "answerable": False, "answers": []}, "no verdict")):
        obj = {"id": "q", "question": "是吗？", "answers": ["是"], "answerable": True, **bad}
        with pytest.raises(GoldFileError, match=message):
            parse_gold_item(obj)


def test_a_question_word_inside_the_answer_is_no_negation():
    # "是否" in "这些符号是否是…还有待研究" asks; it does not answer no
    assert verdict("这些符号是否是中国最古老的象形文字，还有待于进一步研究[1]。", "这些符号是不是中国最古老的象形文字？") == "yes"
