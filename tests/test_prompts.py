"""Prompt templates: fixed system prefix, numbered passages with titles, language follows the question."""
from rag import prompts

PASSAGES = [
    (1, "深化数据资源开发利用", "数据编目16万类，归集15万类，数据需求满足率95%。"),
    (2, "推动平台经济规范健康发展", "针对头部平台，实行“穿透式监管+社会责任报告制”。"),
]


def test_system_prompt_is_identical_for_every_question_and_language():
    # llama.cpp reuses the evaluated prefix only when it is byte-identical
    a = prompts.build_messages("重庆编目了多少类数据？", PASSAGES, english=False)
    b = prompts.build_messages("对头部平台怎样监管？", PASSAGES[:1], english=False)
    c = prompts.build_messages("What share of requests is met?", PASSAGES, english=True)
    assert a[0] == b[0] == c[0] == {"role": "system", "content": prompts.SYSTEM}
    assert [m["role"] for m in a] == ["system", "user"]


def test_user_turn_numbers_passages_with_titles_then_asks():
    user = prompts.build_messages("对头部平台怎样监管？", PASSAGES, english=False)[1]["content"]
    assert "[1]《深化数据资源开发利用》数据编目16万类" in user
    assert "[2]《推动平台经济规范健康发展》针对头部平台" in user
    assert user.index("[2]") < user.index("问题：对头部平台怎样监管？")  # question after the passages
    assert "中文" in user and "[1]" in user


def test_english_question_gets_english_instructions():
    user = prompts.build_messages("How are leading platforms supervised?", PASSAGES, english=True)[1]["content"]
    assert user.startswith("Passages:\n[1] (深化数据资源开发利用) ")
    assert "Question: How are leading platforms supervised?" in user
    assert "in English" in user


def test_prompt_offers_no_canned_refusal():
    # measured: offering a refusal sentence makes the 1.5B model refuse everything
    user = prompts.build_messages("问题？", PASSAGES, english=False)[1]["content"]
    for text in (prompts.SYSTEM, user):
        assert "没有找到" not in text and "do not contain" not in text


def test_passage_text_is_kept_on_one_line():
    msgs = prompts.build_messages("问？", [(1, "标题\n二", "第一行\n第二行  第三")], english=False)
    assert "[1]《标题 二》第一行 第二行 第三" in msgs[1]["content"]


def test_parse_messages_inverts_build_messages():
    for english, q in ((False, "对头部平台怎样监管？"), (True, "How are platforms supervised?")):
        msgs = prompts.build_messages(q, PASSAGES, english)
        assert prompts.parse_messages(msgs) == (q, PASSAGES, english)


def test_parse_messages_rejects_other_prompts():
    assert prompts.parse_messages([{"role": "user", "content": "把这个问题改写成独立的问题：那数据呢？"}]) is None
    assert prompts.parse_messages([]) is None


def test_refusal_text_follows_language_and_names_the_closest_passage():
    zh = prompts.refusal_text(False, "深化数据资源开发利用", "数据编目16万类")
    assert zh.startswith("文档中没有找到这个问题的答案") and "《深化数据资源开发利用》" in zh and "数据编目16万类" in zh
    en = prompts.refusal_text(True)
    assert en == "The documents do not contain the answer to this question."
