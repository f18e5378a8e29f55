"""Prompt templates: fixed system prefix, numbered passages with titles, language follows the question."""
from pathlib import Path

from rag.answering import prompts
from rag.answering.selection import Scored, in_reading_order

ROOT = Path(__file__).resolve().parent.parent

PASSAGES = [
    (1, "深化数据资源开发利用", "数据编目16万类，归集15万类，数据需求满足率95%。"),
    (2, "推动平台经济规范健康发展", "针对头部平台，实行“穿透式监管+社会责任报告制”。"),
]


def test_fixed_prefix_is_identical_for_every_question_and_language():
    # llama.cpp reuses the evaluated prefix only when it is token-identical
    a = prompts.build_messages("重庆编目了多少类数据？", PASSAGES, english=False)
    b = prompts.build_messages("对头部平台怎样监管？", PASSAGES[:1], english=False)
    c = prompts.build_messages("What share of requests is met?", PASSAGES, english=True)
    assert a[:-1] == b[:-1] == c[:-1] == prompts.prefix_messages()
    assert a[0] == {"role": "system", "content": prompts.SYSTEM}
    roles = [m["role"] for m in a]
    assert roles[0] == "system" and roles[-1] == "user" and roles[1:-1] == ["user", "assistant"] * len(prompts.EXAMPLES)


def test_worked_examples_show_a_copied_span_an_english_quote_and_the_no_answer_reply():
    answers = [m["content"] for m in prompts.prefix_messages() if m["role"] == "assistant"]
    assert any(a.endswith("[1]。") for a in answers)  # Chinese: the span, then its marker
    assert any('"' in a and "[1]" in a and a.isascii() is False for a in answers)  # English quoting Chinese
    assert prompts.NO_ANSWER in answers
    # the examples are made up, not lines of the project's corpus
    corpus = (ROOT / "seeds" / "chongqing_digital_economy_2025.txt").read_text(encoding="utf-8")
    assert all(p[2][:10] not in corpus for ex in prompts.EXAMPLES for p in ex[0])


def test_user_turn_numbers_passages_then_asks():
    user = prompts.build_messages("对头部平台怎样监管？", PASSAGES, english=False)[-1]["content"]
    assert "[1]《深化数据资源开发利用》数据编目16万类" in user
    assert "[2]《推动平台经济规范健康发展》针对头部平台" in user
    assert user.index("[2]") < user.index("问题：对头部平台怎样监管？")  # question after the passages


def test_shown_sentences_carry_their_passage_title_once_in_reading_order():
    picked = [Scored(3.0, 2, 4, "乙二。"), Scored(2.0, 1, 0, "甲一。"), Scored(1.0, 2, 1, "乙一。")]  # best first
    lines = prompts.shown_lines([(s.n, s.text) for s in in_reading_order(picked)], {1: "甲篇", 2: "乙篇"})
    assert lines == [(1, "甲篇", "甲一。"), (2, "乙篇", "乙一。"), (2, "", "乙二。")]
    user = prompts.build_messages("问？", lines, english=False)[-1]["content"]
    assert "[1]《甲篇》甲一。\n[2]《乙篇》乙一。\n[2] 乙二。" in user
    # a passage without a title stays bare
    assert prompts.shown_lines([(3, "丙。")], {}) == [(3, "", "丙。")]


def test_a_long_title_is_cut_so_it_cannot_swell_every_prompt():
    long = "标题" * 50
    [(_, title, _)] = prompts.shown_lines([(1, "甲。")], {1: long})
    assert len(title) == prompts.MAX_TITLE_CHARS and title.endswith("…") and title.startswith("标题标题")


def test_an_example_refuses_a_sentence_whose_subject_is_another_title():
    # the sentence has the asked shape (a number of books) but its title names another subject
    refused = [ex for ex in prompts.EXAMPLES if ex[2] == prompts.NO_ANSWER]
    assert any(all(p[1] and p[1] not in ex[1] for p in ex[0]) for ex in refused)


def test_sentences_without_a_title_are_numbered_bare():
    user = prompts.build_messages("编目多少类？", [(3, "", "数据编目16万类。")], english=False)[-1]["content"]
    assert "[3] 数据编目16万类。" in user and "《" not in user


def test_english_question_gets_the_english_labels():
    user = prompts.build_messages("How are leading platforms supervised?", PASSAGES, english=True)[-1]["content"]
    assert user.startswith("Passages:\n<documents>\n[1] (深化数据资源开发利用) ")
    assert "Question: How are leading platforms supervised?" in user


def test_refusal_replies_are_recognised():
    assert prompts.is_refusal_reply(prompts.NO_ANSWER + "。")
    assert prompts.is_refusal_reply("The passages do not mention the number of employees.")
    assert prompts.is_refusal_reply("资料中没有提到这个数字。")
    assert not prompts.is_refusal_reply("数据编目16万类[1]。")


def test_passage_text_is_kept_on_one_line():
    msgs = prompts.build_messages("问？", [(1, "标题\n二", "第一行\n第二行  第三")], english=False)
    assert "[1]《标题 二》第一行 第二行 第三" in msgs[-1]["content"]


def test_refusal_text_follows_language_and_names_the_closest_passage():
    zh = prompts.refusal_text(False, "深化数据资源开发利用", "数据编目16万类")
    assert zh.startswith("文档中没有找到这个问题的答案") and "《深化数据资源开发利用》" in zh and "数据编目16万类" in zh
    en = prompts.refusal_text(True)
    assert en == "The documents do not contain the answer to this question."


def test_refusal_text_in_traditional_keeps_the_passage_and_question_as_written():
    """Only the refusal's own words are converted (OpenCC): the title and snippet are the
    passage's, the figures the question's; an English refusal is unchanged."""
    zh = prompts.refusal_text(False, "数据资源", "数据编目16万类", traditional=True)
    assert zh == "文檔中沒有找到這個問題的答案。最接近的內容在《数据资源》：“数据编目16万类”"
    premise = prompts.refusal_text(False, "王金璐", "1934年經校長推薦", traditional=True, figures=["1944年", "3次"])
    assert premise == "文檔中沒有找到問題所說的“1944年”、“3次”。最接近的內容在《王金璐》：“1934年經校長推薦”"
    other = prompts.refusal_text(False, "火斑笛鲷", "体侧具一大黑斑。", subject="交叉笛鲷")
    assert other == "文档中没有找到关于“交叉笛鲷”的内容。最接近的内容在《火斑笛鲷》：“体侧具一大黑斑。”"
    assert prompts.refusal_text(False) == "文档中没有找到这个问题的答案。"
    assert prompts.refusal_text(True, traditional=True) == "The documents do not contain the answer to this question."
