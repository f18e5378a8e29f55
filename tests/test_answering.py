"""answer_stream with a fake generator: evidence first, the prompt, the refusal decision
taken from signals, citation repair; and the extractive generator, which needs no model.

The decision used here is written out in the test (not the fitted rag/answering/refusal_model.json),
so these tests pin the pipeline's behaviour, not the current fit."""
import re

import pytest

from fakes import FakeGenerator
from rag.answering import pipeline as answering, prompts, refusal
from rag.answering.pipeline import AskOptions
from rag.config import Settings
from rag.errors import ConfigError
from rag.answering.generators import make_generator
from rag.answering.selection import UnitWeights, rank as rank_sentences
from rag.types import Chunk, Hit

DATA = (
    "数据是数字经济发展的关键生产要素，是国家基础性战略性资源。目前，重庆已建成全国首个市域一体建设、两级管理、"
    "三级贯通的公共数据资源体系，数据编目16万类，归集15万类，数据需求满足率95%，实现秒级数据共享。"
    "立足新起点，需从精准供给、安全共享、深化应用三重维度持续突破，深化数据资源开发利用，持续激发数字经济创新活力。"
)
POINTS = (
    "要完善数据共享激励机制，提高供给动力。共享积分制度方面，根据企事业单位数据贡献度等建立积分制度，"
    "积分可兑换算力资源、优先获取高价值数据等权益；收益分配和反哺机制方面，设立“数据共享增值池”，"
    "对跨部门共享产生的市场化收益，反哺一定比例给供给单位。"
)
COMPUTE = "二是建立算力资源智能调度平台。整合政务云、行业云和公有云资源池，创新“算力券”跨境流通机制，对接国家“东数西算”战略。"


def _hit(n, text, section="深化数据资源开发利用"):
    chunk = Chunk(id=f"doc#p{n}", text=text, source="doc.txt", section=section, author="", paragraph=n,
                  char_start=0, char_end=len(text))
    return Hit(rank=n, score=1.0 / n, chunk=chunk)


HITS = [_hit(1, DATA), _hit(2, POINTS), _hit(3, COMPUTE, "持续推进“人工智能+”行动")]
WEIGHTS = UnitWeights([DATA, POINTS, COMPUTE])
OPTS = AskOptions(k=5, retrieval="hybrid", generator="fake", context_chars=160, max_tokens=64, temperature=0.0,
                  support_min_overlap=0.4)
# A decision that refuses when the question's terms are missing, the model declines or the
# draft is unsupported; answers otherwise.
DECISION = refusal.Decision(
    weights={"lex_best": -8.0, "figure_missing": 3.0, "model_refuse": 6.0, "draft_support": -4.0},
    bias=4.0, threshold=0.5,
)


def run(question, reply, hits=HITS, opts=OPTS, decision=DECISION, generator=None):
    gen = generator or FakeGenerator(reply)
    events = list(answering.answer_stream(question, hits, gen, opts, weights=WEIGHTS, decision=decision))
    return gen, events, events[-1].answer


# ---------------------------------------------------------------- evidence first, then the stream
def test_evidence_comes_first_then_tokens_then_one_answer():
    reply = "重庆公共数据资源体系编目了16万类数据[1]。"
    gen, events, answer = run("重庆公共数据资源体系目前编目了多少类数据？", reply)
    kinds = [e.kind for e in events]
    assert kinds[0] == "evidence" and kinds[-1] == "answer" and set(kinds[1:-1]) == {"token"}
    first = events[0]
    assert first.evidence[0].n == 1 and "数据编目16万类" in first.evidence[0].text
    assert first.text.endswith("[1]") and first.evidence[0].chunk_id == "doc#p1"
    assert "".join(e.text for e in events[1:-1]) == reply
    assert answer.text == reply and not answer.refused and answer.refusal is None
    assert [(c.n, c.chunk_id, c.supported) for c in answer.citations] == [(1, "doc#p1", True)]
    assert answer.evidence[0] == first.evidence[0]
    assert {"evidence", "first_token", "generate", "prompt_chars"} <= set(answer.timings)
    # every signal measured but the answer checks': this fake reports no first-token
    # probabilities, so there is nothing to read them from (a decision reads their training means)
    assert set(refusal.FEATURES) - set(answer.signals) == {"model_unverified", "model_unanswered"}


def test_prompt_is_the_fixed_prefix_then_the_selected_sentences():
    gen, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源[2]。")
    prompt = gen.prompts[0]
    assert prompt[:-1] == prompts.prefix_messages()  # the cached part, identical every time
    user = prompt[-1]["content"]
    head, _, question = user.partition("\n\n问题：")
    assert question == "积分可以兑换什么权益？" and head.startswith("资料：\n")
    fenced = head.split("\n")[1:]
    assert fenced[0] == prompts.FENCE_OPEN and fenced[-1] == prompts.FENCE_CLOSE  # documents are quoted data
    lines = [re.fullmatch(r"\[(\d+)\](?:《([^》]*)》| )(.*)", line) for line in fenced[1:-1]]
    assert lines and all(lines)  # "[n]《title》sentence" on a passage's first line, "[n] sentence" after
    titled = [(int(m.group(1)), m.group(2)) for m in lines if m.group(2) is not None]
    numbers = [int(m.group(1)) for m in lines]
    # each shown passage's title once, on its first line (the subject is often only there)
    assert titled == [(n, HITS[n - 1].chunk.section) for n in dict.fromkeys(numbers)]
    passages = [(int(m.group(1)), m.group(3)) for m in lines]
    assert sum(len(t) for _, t in passages) <= OPTS.context_chars  # sentences, not passages
    assert sorted(passages) == sorted((e.n, e.text) for e in answer.evidence)  # what the answer says it showed
    assert any(n == 2 and "积分可兑换算力资源" in t for n, t in passages)  # numbered by passage, not sentence


def test_extractive_generator_gets_whole_passages():
    gen = make_generator("extractive", Settings())
    assert gen.context_unit == "passages" and not gen.is_language_model
    _, events, answer = run("重庆公共数据资源体系目前编目了多少类数据？", "", generator=gen)
    assert not answer.refused and "16万类" in answer.text
    assert answer.citations[0].n == 1 and answer.citations[0].supported and answer.generator == "extractive"


# ---------------------------------------------------------------- the decision
def test_off_topic_question_is_refused_without_calling_the_model():
    gen, events, answer = run("法国的首都是哪里？", "巴黎[1]。")
    assert gen.prompts == []  # no generation at all: no model output could save it
    assert answer.refused and answer.refusal.code == "not_in_documents"
    assert answer.text.startswith("文档中没有找到这个问题的答案")
    assert answer.refusal.confidence >= 0.5 and answer.refusal.signals["lex_best"] == 0.0
    assert [e.kind for e in events][-2:] == ["token", "answer"] and answer.citations == ()


def test_no_hits_is_a_refusal():
    gen, events, answer = run("重庆编目了多少类数据？", "16万类", hits=[])
    assert answer.refused and answer.refusal.code == "no_passages" and gen.prompts == []


def test_model_declining_is_a_refusal():
    _, _, answer = run("积分可以兑换什么权益？", prompts.NO_ANSWER)
    assert answer.refused and answer.refusal.code == "model_declined"


def test_invented_figure_is_an_unsupported_answer():
    _, events, answer = run("重庆公共数据资源体系目前编目了多少类数据？", "编目了10亿类数据[1]。")
    assert "".join(e.text for e in events if e.kind == "token").startswith("编目了10亿类数据[1]。")
    assert answer.refused and answer.refusal.code == "unsupported_answer"
    assert answer.signals["draft_support"] == 0.0


def test_invented_content_is_an_unsupported_answer():
    _, _, answer = run("积分可以兑换什么权益？", "积分可以兑换免费高铁车票和景区门票[2]。")
    assert answer.refused and answer.signals["draft_support"] < 0.5


def test_the_decision_can_overrule_a_declining_model_and_answers_from_the_evidence():
    lenient = refusal.Decision(weights={"model_refuse": 1.0}, bias=-3.0, threshold=0.5)
    _, _, answer = run("积分可以兑换什么权益？", prompts.NO_ANSWER, decision=lenient)
    assert not answer.refused and "积分可兑换算力资源" in answer.text
    assert any("the model declined" in n for n in answer.notes)


def test_warnings_property_keeps_the_old_shape():
    _, _, answer = run("法国的首都是哪里？", "巴黎[1]。")
    assert answer.warnings[-1].startswith("refused: ")
    d = answer.to_dict()
    assert d["refused"] and d["refusal"]["code"] == "not_in_documents" and d["evidence"]


# ---------------------------------------------------------------- citations repaired
def test_bare_marker_reply_falls_back_to_the_best_evidence_sentence():
    _, _, answer = run("积分可以兑换什么权益？", "[1]")
    assert not answer.refused and "积分可兑换算力资源" in answer.text
    assert answer.citations[0].n == 2 and answer.citations[0].supported
    assert any("gave no answer text" in n for n in answer.notes)


def test_out_of_range_citation_is_dropped():
    _, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源[2][9]。")
    # (the span is also given the clause it stands in: wording.widen)
    assert answer.text == "积分可兑换算力资源、优先获取高价值数据等权益[2]。" and [c.n for c in answer.citations] == [2]


def test_uncited_answer_gets_the_supporting_passage():
    _, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源和高价值数据。")
    # (the paraphrase is also snapped to the passage's own words, then given its clause)
    assert answer.text == "积分可兑换算力资源、优先获取高价值数据等权益[2]。" and answer.citations[0].n == 2
    assert any("added [2]" in n for n in answer.notes)


def test_an_answer_no_passage_supports_is_refused_rather_than_shown_without_a_citation():
    # words from three passages joined into a claim none of them makes: every word is in
    # the documents (so the draft is not "unsupported" as a whole), no passage backs it
    reply = "数据编目归集积分兑换公有云资源池。"
    _, events, answer = run("积分可以兑换什么权益？", reply, decision=ANSWER_ALL)
    assert answer.refused and answer.refusal.code == "unsupported_answer" and not answer.citations
    assert "could cite none" in answer.refusal.message
    tokens = [e.text for e in events if e.kind == "token"]
    assert "".join(tokens).startswith(reply) and tokens[-1] == answer.text != reply  # streamed, then withdrawn
    # the same decision answers a reply a passage does back
    _, _, kept = run("积分可以兑换什么权益？", "积分可兑换算力资源[2]。", decision=ANSWER_ALL)
    assert not kept.refused and [c.n for c in kept.citations] == [2]


def test_wrong_citation_number_is_re_pointed_to_the_passage_that_supports_it():
    _, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源和高价值数据[3]。")
    assert not answer.refused and answer.text == "积分可兑换算力资源、优先获取高价值数据等权益[2]。"
    assert [(c.n, c.supported) for c in answer.citations] == [(2, True)]
    assert any(n.startswith("re-pointed [3] to [2]") for n in answer.notes)
    assert any("积分可兑换算力资源" in span for span in answer.citations[0].spans)


def test_a_sentence_no_passage_supports_is_dropped_when_others_stand():
    reply = "积分可兑换算力资源[2]。积分还能兑换免费的高铁车票和景区门票[2]。"
    _, _, answer = run("积分可以兑换什么权益？", reply, decision=refusal.Decision({}, -5.0))
    assert answer.text == "积分可兑换算力资源[2]。"
    assert any(n.startswith("dropped a sentence") for n in answer.notes)


def test_a_numbered_list_answer_reaches_the_reader_as_a_list_with_each_item_cited():
    # asked "what", a model may write a numbered list with no markers: its item numbers once
    # read as invented figures, and the right list was swapped for the best evidence sentence
    reply = "重庆从以下方面推进：\n1. 完善数据共享激励机制，提高供给动力\n2. 建立算力资源智能调度平台"
    _, _, answer = run("重庆在数据和算力上做了哪些部署？", reply, decision=ANSWER_ALL)
    assert not answer.refused and answer.signals["draft_support"] > 0.5
    assert answer.text == ("重庆从以下方面推进：\n1. 完善数据共享激励机制，提高供给动力[2]。\n"
                           "2. 建立算力资源智能调度平台[3]。")
    assert [c.n for c in answer.citations] == [2, 3] and all(c.supported for c in answer.citations)


# ---------------------------------------------------------------- wording
def test_a_paraphrased_span_is_snapped_to_the_documents_words():
    _, _, answer = run("数据编目和归集各有多少类？", "数据编目16万类和归集15万类[1]。")
    assert answer.text == "数据编目16万类，归集15万类[1]。"
    assert any("documents' own words" in n for n in answer.notes)


def test_an_answer_that_only_echoes_the_question_becomes_the_evidence_sentence():
    _, _, answer = run("文章提出要创新哪种跨境流通机制？", "跨境流通机制[3]。")
    assert "“算力券”跨境流通机制" in answer.text and answer.citations[0].n == 3
    assert any("only repeats the question" in n for n in answer.notes)


def test_english_glosses_are_dropped_from_an_answer_to_a_chinese_question():
    _, _, answer = run("积分可以兑换哪些权益？", '"算力资源" (computing resources) and "高价值数据" (valuable data) [2].')
    assert "computing" not in answer.text and "算力资源" in answer.text


def test_a_bare_span_is_given_the_clause_it_stands_in():
    from rag.answering import wording

    sentence = "将军澳华人永远坟场位于香港，九龙观塘区的油塘是车辆通往该坟场唯一的出入口。"
    assert wording.widen("油塘[1]。", [sentence]) == "九龙观塘区的油塘是车辆通往该坟场唯一的出入口[1]。"
    # a year keeps the reign-year it was given with; a list stays whole ("、" ends no clause)
    assert wording.widen("1678年[2]。", ["吴三桂于康熙十七年（1678年）在湖南衡阳称帝，国号大周。"]) == \
        "吴三桂于康熙十七年（1678年）在湖南衡阳称帝[2]。"
    assert wording.widen("算力资源[1]。", ["积分可兑换算力资源、优先获取高价值数据等权益。"]) == \
        "积分可兑换算力资源、优先获取高价值数据等权益[1]。"
    # traditional text stays as written: the clause is copied, not converted
    assert wording.widen("無線電視[1]。", ["林俊賢，香港男演員，為無線電視當家小生。"]) == "為無線電視當家小生[1]。"
    # left alone: already its clause, not copied verbatim, a whole sentence, a clause past SNAP_MAX_CHARS
    assert wording.widen("重庆日报[1]。", ["重庆日报"]) is None
    assert wording.widen("油塘区[1]。", [sentence]) is None
    assert wording.widen("坟场位于香港，九龙观塘区的油塘[1]。", [sentence]) is None
    long_clause = "该坟场" + "位于一处很长很长的" * 5 + "油塘"
    assert wording.widen("油塘[1]。", [long_clause + "。"]) is None


def test_a_clause_end_inside_quotation_marks_ends_no_clause():
    from rag.answering import wording

    sentence = "校训为「纯洁仁爱：纯朴廉洁律己、仁厚关爱待人」，拉丁文：Puritas Et Caritas。"
    # the model copied the motto's second half (with its closing bracket, or without):
    # the motto is given whole, with the clause it stands in, not cut at its colon
    for span in ("纯朴廉洁律己、仁厚关爱待人」", "纯朴廉洁律己、仁厚关爱待人"):
        assert wording.widen(f"{span}[1]。", [sentence]) == "校训为「纯洁仁爱：纯朴廉洁律己、仁厚关爱待人」[1]。"
    # a title is one thing too
    assert wording.widen("樱花大战[1]。", ["被视为《樱花大战系列》中的一个外传游戏，亦被指为fan disc。"]) == \
        "被视为《樱花大战系列》中的一个外传游戏[1]。"
    # an unclosed quotation is no quotation: the clause ends as before
    assert wording.widen("纯朴廉洁律己[1]。", ["校训为「纯洁仁爱：纯朴廉洁律己，仁厚关爱待人。"]) is None


def test_the_clause_is_given_to_chinese_spans_only():
    from rag.answering import wording

    passage = ["《世纪大崩解》是美国乐队Green Day的第八张录音专辑，于2009年发行。"]
    english = "Which band recorded 21st Century Breakdown?"
    assert wording.give_clause("Green Day [1].", english, passage) == ("Green Day [1].", [])
    # a Chinese span answering it is widened to its clause, and that clause, most of the best
    # sentence, is given the whole sentence as for a Chinese question
    widened, notes = wording.give_clause("第八张[1]。", english, passage)
    assert widened == "《世纪大崩解》是美国乐队Green Day的第八张录音专辑，于2009年发行[1]。"
    assert "clause" in notes[0] and "best sentence" in notes[1]
    # the model's own English gloss, which no passage holds, does not keep a span from it
    glossed, notes = wording.give_clause("《世纪大崩解》(The Century Breakdown) [1].", english, passage)
    assert glossed == "《世纪大崩解》是美国乐队Green Day的第八张录音专辑，于2009年发行[1]." and notes
    assert wording.give_clause("Green Day (the band) [1].", english, passage) == ("Green Day (the band) [1].", [])


def test_an_answer_drawn_from_the_best_sentence_is_given_it_whole():
    from rag.answering import wording

    best = "2017年林俊贤再次加盟《邵氏兄弟电影公司》，参演《风林火山》。"
    other = "林俊贤于香港出生，是香港男演员。"
    question = "2017年林俊贤参与了什么剧？"
    # the model found the right sentence but cut out the wrong part of it
    whole, notes = wording.give_clause("2017年林俊贤再次加盟《邵氏兄弟电影公司》[1]。", question, [best, other])
    assert whole == "2017年林俊贤再次加盟《邵氏兄弟电影公司》，参演《风林火山》[1]。" and "best sentence" in notes[0]
    # traditional passages keep their script: the sentence is the passage's own
    trad = "2017年林俊賢再次加盟《邵氏兄弟電影公司》，參演《風林火山》。"
    assert wording.give_clause("2017年林俊賢加盟《邵氏兄弟電影公司》[1]。", "2017年林俊賢參與了什麼劇？", [trad])[0] == \
        trad[:-1] + "[1]。"
    # from a sentence ranked lower: the clause it stands in, as before; so for a bare span
    # of the best sentence (its clause says it briefly)
    assert wording.give_clause("香港男演员[1]。", "林俊贤的职业是什么？", [best, other])[0] == "是香港男演员[1]。"
    assert wording.give_clause("风林火山[1]。", question, [best, other])[0] == "参演《风林火山》[1]。"
    # an English question's Chinese answer too
    assert wording.give_clause("2017年林俊贤再次加盟《邵氏兄弟电影公司》[1]。", "What did he do in 2017?", [best])[0] == \
        best[:-1] + "[1]。"
    # left alone: an answer under half the sentence's length, a yes/no answer (its verdict
    # would be lost), an English answer, a span under half the sentence answering an English
    # question, an answer that is already the sentence, an answer drawn from no sentence
    long_best = "2017年林俊贤再次加盟《邵氏兄弟电影公司》，参演《风林火山》，" + "并在多部电视剧中担任主要角色，" * 3 + "广受好评。"
    assert wording.give_clause("2017年林俊贤再次加盟《邵氏兄弟电影公司》[1]。", question, [long_best]) == \
        ("2017年林俊贤再次加盟《邵氏兄弟电影公司》[1]。", [])
    assert wording.give_clause("是的，他加盟了《邵氏兄弟电影公司》[1]。", "林俊贤加盟过邵氏兄弟电影公司吗？", [best])[0] == \
        "是的，他加盟了《邵氏兄弟电影公司》[1]。"
    assert wording.give_clause("Shaw Brothers [1].", "Which company did he join in 2017?", [best]) == \
        ("Shaw Brothers [1].", [])
    assert wording.give_clause("\"邵氏兄弟电影公司\" [1].", "Which company did he join in 2017?", [best])[0] == \
        "\"邵氏兄弟电影公司\" [1]."
    assert wording.give_clause(best[:-1] + "[1]。", question, [best]) == (best[:-1] + "[1]。", [])
    assert wording.give_clause("他拍过很多电影[1]。", question, [best]) == ("他拍过很多电影[1]。", [])


def test_a_reason_is_given_the_whole_sentence_it_comes_from():
    from rag.answering import wording

    sentence = ("“鑫诺二号”发生技术故障，致使太阳帆板二次展开和通信天线展开未能完成，"
                "卫星无法提供通信广播传输服务。")
    question = "鑫诺二号为什么无法提供广播传输服务？"
    # the model copied the consequence, reworded; the reason is the clause before it
    answer = "鑫诺二号太阳帆板二次展开和通信天线展开未能完成，卫星无法提供通信广播传输服务[1]。"
    whole, notes = wording.give_clause(answer, question, ["该卫星于10月29日发射。", sentence])
    assert whole == sentence[:-1] + "[1]。" and "whole sentence" in notes[0]
    # a shown unit of two sentences: only the one the answer comes from
    assert wording.give_clause(answer, question, ["该卫星于10月29日发射。" + sentence])[0] == sentence[:-1] + "[1]。"
    # verbatim, traditional, and an English "why" with a Chinese answer
    trad = "由於建春門院的作梗，以仁王最終未能成為太子。"
    assert wording.give_clause("以仁王最終未能成為太子[2]。", "以仁王為什麼沒有成為太子？", [trad])[0] == \
        "由於建春門院的作梗，以仁王最終未能成為太子[2]。"
    assert wording.give_clause("以仁王最終未能成為太子[2]。", "Why did Mochihito not become crown prince?",
                               [trad])[0] == "由於建春門院的作梗，以仁王最終未能成為太子[2]。"
    # not a reason question, and a sentence ranked below the best one: the clause only
    assert wording.give_clause("卫星无法提供通信广播传输服务[1]。", "鑫诺二号出了什么事？",
                               ["该卫星于10月29日发射。", sentence])[0] == "卫星无法提供通信广播传输服务[1]。"
    # left alone: already the whole sentence, drawn from no sentence, two sentences, an English answer
    assert wording.whole_sentence(sentence[:-1] + "[1]。", [sentence]) is None
    assert wording.whole_sentence("因为资金不足[1]。", [sentence]) is None
    assert wording.whole_sentence("发生技术故障。卫星无法提供服务[1]。", [sentence]) is None
    assert wording.give_clause("Because of a fault [1].", "Why did the satellite fail?", [sentence]) == \
        ("Because of a fault [1].", [])


@pytest.mark.parametrize("question, reason", [
    ("鑫诺二号为什么无法提供服务？", True), ("為何停播？", True), ("停播是什么原因？", True),
    ("Why did the station close?", True), ("What caused the fault?", True),
    ("他因为什么而离开？", True),
    ("鑫诺二号何时发射？", False), ("卫星如何运作？", False), ("How was the fault found?", False),
    # 为 as the verb: "called what", "used as what", "what is the motto"
    ("罗素-爱因斯坦宣言最初称为什么？", False), ("又被稱為什麼？", False), ("敷岛主要作为什么用途？", False),
    ("他的名言为什么？", False), ("这个词译为什么?", False),
])
def test_asks_reason(question, reason):
    from rag.text import measures

    assert measures.asks_reason(question) is reason


def test_a_reason_answer_reaches_the_reader_as_its_whole_sentence():
    _, _, answer = run("为什么要设立“数据共享增值池”？", "反哺一定比例给供给单位[2]。")
    assert answer.text == "收益分配和反哺机制方面，设立“数据共享增值池”，对跨部门共享产生的市场化收益，反哺一定比例给供给单位[2]。"
    assert answer.citations[0].n == 2 and answer.citations[0].supported
    assert any("whole sentence" in n for n in answer.notes)


def test_a_bare_span_answer_reaches_the_reader_with_its_clause():
    _, _, answer = run("数据需求满足率是多少？", "95%[1]。")
    assert answer.text == "数据需求满足率95%[1]。"  # the passage's clause, verbatim
    assert answer.citations[0].n == 1 and answer.citations[0].supported
    assert any("clause it stands in" in n for n in answer.notes)


# ---------------------------------------------------------------- through the facade
def test_assistant_ask_stream_with_a_registered_fake(shared_hash_assistant):
    fake = FakeGenerator("重庆公共数据资源体系的数据需求满足率为95%[1]。")
    shared_hash_assistant.register_generator(fake, "fake")
    events = list(shared_hash_assistant.ask_stream("重庆公共数据资源体系的数据需求满足率是多少？", generator="fake"))
    assert events[0].kind == "evidence" and "95%" in events[0].text
    answer = events[-1].answer
    assert events[-1].kind == "answer" and not answer.refused
    assert {"retrieve", "total", "first_visible"} <= set(answer.timings)
    assert answer.timings["first_visible"] <= answer.timings["total"]
    cited = answer.citations[0]
    assert "95%" in cited.text and cited.supported


def test_evidence_state_is_what_the_answer_is_made_from(shared_hash_assistant):
    from rag.answering import extractive_pick

    q = "重庆公共数据资源体系的数据需求满足率是多少？"
    state = shared_hash_assistant.evidence_state(q, generator="extractive")
    answer = shared_hash_assistant.ask(q, generator="extractive")
    assert [h.chunk.id for h in state.hits] == [h.chunk.id for h in answer.hits]
    assert [(s.n, s.text) for s in state.shown] == [(e.n, e.text) for e in answer.evidence]
    assert state.ranked[0].text == state.shown[0].text and "95%" in extractive_pick(state)[0].text


def test_title_weight_set_holds_only_inside_its_block():
    from rag.answering import ranking_weights, title_weight_set

    shipped = ranking_weights()["title"]
    passages = [(1, "前肛鳗", "前肛鳗属于底栖鱼类，多分布在海底，以小型鱼类为食，数量多但无经济价值。体长可达52公分。")]
    ranked = lambda: [s.text for s in rank_sentences("前肛鳗的体长是多少？", passages, cue_scale=0.0)]  # noqa: E731
    with title_weight_set(1.0):
        assert ranking_weights()["title"] == 1.0 and ranked()[0] == "体长可达52公分。"
    with title_weight_set(0.0):
        assert ranked()[0] != "体长可达52公分。"
    assert ranking_weights()["title"] == shipped


def test_title_weight_set_is_seen_by_its_own_thread_only():
    """A tool's override must not reach another request a serving process answers meanwhile."""
    import threading

    from rag.answering import ranking_weights, title_weight_set

    shipped = ranking_weights()["title"]
    seen = {}
    inside, checked = threading.Event(), threading.Event()

    def other_request():
        inside.wait(5)
        seen["other"] = ranking_weights()["title"]
        checked.set()

    worker = threading.Thread(target=other_request)
    worker.start()
    with title_weight_set(shipped + 0.5):
        seen["own"] = ranking_weights()["title"]
        inside.set()
        checked.wait(5)
    worker.join(5)
    assert seen == {"own": shipped + 0.5, "other": shipped}


def test_options_are_resolved_once_at_the_facade(shared_hash_assistant):
    opts = shared_hash_assistant.options(k=7, generator="extractive")
    assert (opts.k, opts.generator, opts.retrieval) == (7, "extractive", shared_hash_assistant.settings.retrieval)
    for bad in ({"k": 0}, {"k": "5"}, {"retrieval": "fuzzy"}, {"context_chars": 5}):
        with pytest.raises(ConfigError):
            shared_hash_assistant.options(**bad)


@pytest.mark.parametrize("name", ["context_chars", "max_tokens"])
def test_bad_answering_settings_are_rejected(name):
    with pytest.raises(ConfigError):
        Settings().replace(**{name: 0})


def test_warm_up_keeps_sentence_vectors_beside_the_index(hash_assistant):
    from pathlib import Path

    from rag.retrieval import sentence_vectors as relevance

    hash_assistant.warm_up()
    [vec_file] = Path(hash_assistant.settings.index_path).glob("sentvec-*.npz")
    relevance._cache.clear()
    # a second process reads the file and embeds nothing
    assert relevance.warm(hash_assistant.embedder, ["数据编目16万类。"], vec_file.parent, embed_missing=False) == 0
    hash_assistant.warm_up(embed_missing=False)
    assert any(k[0] == hash_assistant.embedder.key for k in relevance._cache)


# ---------------------------------------------------------------- who-questions and drafts not from the passages
BYLINE = "（作者系重庆社会科学院城市与区域经济研究所副所长）"
# a decision that always answers: for tests about the wording and the signals, not the refusal
ANSWER_ALL = refusal.Decision(weights={}, bias=-5.0, threshold=0.5)


def _byline_hit(n, author):
    chunk = Chunk(id=f"doc#p{n}", text=BYLINE, source="doc.txt", section="加快推动人工智能产业创新发展",
                  author=author, paragraph=n, char_start=0, char_end=len(BYLINE), kind="byline")
    return Hit(rank=n, score=1.0 / n, chunk=chunk)


def test_a_name_question_answered_with_an_affiliation_gets_the_sentence_that_names_the_author():
    hits = [_byline_hit(1, "唐于渝；作者系重庆社会科学院城市与区域经济研究所副所长"), _hit(2, DATA)]
    gen, events, answer = run("这篇文章的作者是谁？", "重庆社会科学院城市与区域经济研究所副所长[1]。", hits=hits,
                              decision=ANSWER_ALL)
    assert "唐于渝" in gen.prompts[-1][-1]["content"], "the byline name far above the paragraph is shown to the model"
    assert "唐于渝" in answer.text and not answer.refused
    assert any("wants a name" in n for n in answer.notes)
    assert answer.citations and answer.citations[0].n == 1 and answer.citations[0].supported
    assert answer.signals["draft_lacks_asked"] == 0.0


def test_a_name_question_with_no_name_in_the_documents_raises_the_no_name_signal():
    hits = [_byline_hit(1, "作者系重庆社会科学院城市与区域经济研究所副所长"), _hit(2, DATA)]
    _, _, answer = run("这篇文章的作者叫什么名字？", "重庆社会科学院城市与区域经济研究所副所长[1]。", hits=hits,
                       decision=ANSWER_ALL)
    assert answer.signals["draft_lacks_asked"] == 1.0
    refuse_nameless = refusal.Decision(weights={"draft_lacks_asked": 6.0}, bias=-3.0, threshold=0.5)
    _, _, answer = run("这篇文章的作者叫什么名字？", "重庆社会科学院城市与区域经济研究所副所长[1]。", hits=hits,
                       decision=refuse_nameless)
    assert answer.refused


def test_a_byline_name_counts_as_in_the_passages_for_the_refusal_signals():
    # "唐于渝" heads the piece, far above the paragraph with the author line: a question that
    # names her is not naming someone the documents lack
    hits = [_byline_hit(1, "唐于渝；作者系重庆社会科学院城市与区域经济研究所副所长"), _hit(2, DATA)]
    _, _, answer = run("唐于渝担任什么职务？", "唐于渝是重庆社会科学院城市与区域经济研究所副所长[1]。", hits=hits,
                       decision=ANSWER_ALL)
    assert answer.signals["entity_missing"] == 0.0
    assert answer.signals["subject_missing"] == 0.0


def test_a_draft_whose_words_are_not_in_the_passages_is_replaced_by_the_evidence_sentence():
    # a small model echoing its worked examples ("北山大学") while the evidence holds the answer
    _, _, answer = run("What is the data demand satisfaction rate?", '"北山大学" and "南湖研究院" [1].',
                       decision=ANSWER_ALL)
    assert "北山大学" not in answer.text and "95%" in answer.text
    assert any("not in the passages" in n for n in answer.notes)


def test_a_draft_without_the_asked_figure_is_answered_with_the_sentence_that_gives_it():
    _, _, answer = run("重庆公共数据资源体系的数据需求满足率是多少？", "重庆已实现秒级数据共享[1]。", decision=ANSWER_ALL)
    assert "95%" in answer.text and not answer.refused
    assert any("asks for a figure" in n for n in answer.notes)
    assert answer.citations and answer.citations[0].supported
    # a draft that gives it is kept
    _, _, kept = run("重庆公共数据资源体系的数据需求满足率是多少？", "数据需求满足率95%[1]。", decision=ANSWER_ALL)
    assert kept.text == "数据需求满足率95%[1]。"


def test_without_an_embedder_the_decision_reads_the_cosine_as_its_training_mean():
    # the shipped decision weighs dense_best, which stays 0 when no embedder ranks the
    # sentences: read as a cosine of 0 it refused an obvious answer before asking the model
    text = "目前，重庆已建成公共数据资源体系，数据编目16万类，归集15万类，数据需求满足率95%。"
    hit = Hit(1, 1.0, Chunk("d#1", text, "d.txt", "深化数据资源开发利用", "", 1, 0, len(text)))
    shipped = refusal.load_decision()
    assert shipped.weights.get("dense_best", 0.0) < 0 and "dense_best" in shipped.meta.get("means", {})
    lm = FakeGenerator("数据编目16万类[1]。")
    events = list(answering.answer_stream("重庆数据编目了多少类？", [hit], lm, AskOptions.from_settings(Settings())))
    assert lm.prompts  # the model was asked
    assert not events[-1].answer.refused and "16万类" in events[-1].answer.text


def test_without_a_decision_answer_stream_reads_the_one_fitted_for_its_kind_of_generator():
    # the extractive picker's signals mean other things than a model's: a direct API call
    # without `decision=` must not score an extractive answer with the model's weights
    text = "目前，重庆已建成公共数据资源体系，数据编目16万类，归集15万类，数据需求满足率95%。"
    hit = Hit(1, 1.0, Chunk("d#1", text, "d.txt", "深化数据资源开发利用", "", 1, 0, len(text)))
    opts = AskOptions.from_settings(Settings())
    extractive = make_generator("extractive", Settings())
    answer = list(answering.answer_stream("重庆数据编目了多少类？", [hit], extractive, opts))[-1].answer
    no_model = refusal.load_decision(refusal.decision_key(False)).for_embedder("")
    model = refusal.load_decision(refusal.decision_key(True)).for_embedder("")
    assert answer.p_no_answer == pytest.approx(round(no_model.probability(answer.signals), 4), abs=1e-4)
    # ...and the model's decision would have given another value (apart by more than the
    # tolerance above, so the first assertion tells the two decisions apart)
    assert abs(model.probability(answer.signals) - no_model.probability(answer.signals)) > 3e-4


def test_an_answer_ending_on_an_opening_mark_goes_out_without_it():
    # the corpus dropped the English inside the bracket ("（，缩写…"), so the clause the model
    # copies ends on the bracket it opened (CMRC DEV_1668_QUERY_0)
    museum = "中国古动物馆（，缩写“PMC”），位于北京市西城区西直门外大街142号，是亚洲最大的古动物博物馆。"
    hits = [_hit(1, museum, "中国古动物馆")]
    gen = FakeGenerator("中国古动物馆（[1]。")
    events = list(answering.answer_stream("亚洲最大的古动物博物馆是哪个？", hits, gen, OPTS, weights=UnitWeights([museum]),
                                          decision=DECISION))
    answer = events[-1].answer
    assert not answer.refused and answer.text == "中国古动物馆[1]。", answer.text
    assert any("opening mark" in n for n in answer.notes)
