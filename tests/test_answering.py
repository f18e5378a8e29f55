"""answer_stream with a fake generator: prompt building, streaming events, refusal logic,
citation handling; and the extractive generator, which needs no model at all."""
import pytest

from fakes import FakeGenerator
from rag import answering, prompts
from rag.config import Settings
from rag.generators import make_generator
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
SETTINGS = Settings()


def run(question, reply, hits=HITS, settings=SETTINGS):
    gen = FakeGenerator(reply)
    events = list(answering.answer_stream(question, hits, gen, settings))
    return gen, events, events[-1].answer


# ---------------------------------------------------------------- streaming and prompt
def test_tokens_stream_in_order_then_one_answer_event():
    reply = "重庆公共数据资源体系编目了16万类数据[1]。"
    gen, events, answer = run("重庆公共数据资源体系目前编目了多少类数据？", reply)
    kinds = [e.kind for e in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"token"} and kinds.count("answer") == 1
    assert len(kinds) > 3  # the fake streams 3 characters at a time: several token events
    assert "".join(e.text for e in events[:-1]) == reply
    assert answer.text == reply and not answer.refused
    assert [(c.n, c.chunk_id, c.supported) for c in answer.citations] == [(1, "doc#p1", True)]
    assert answer.hits == tuple(HITS) and answer.generator == "fake"
    assert {"first_token", "generate", "tokens_per_s", "prompt_chars"} <= set(answer.timings)


def test_prompt_holds_numbered_trimmed_passages_and_the_question():
    gen, _, _ = run("积分可以兑换什么权益？", "积分可兑换算力资源[2]。")
    system, user = gen.prompts[0]
    assert system == {"role": "system", "content": prompts.SYSTEM}
    q, passages, english = prompts.parse_messages(gen.prompts[0])
    assert q == "积分可以兑换什么权益？" and not english
    numbers = [n for n, _, _ in passages]
    assert 2 in numbers and numbers == sorted(numbers)  # numbering kept even when a passage drops out
    # the context was cut to the relevant sentences, within the budget
    assert sum(len(t) for _, _, t in passages) <= SETTINGS.context_chars
    shown = dict((n, t) for n, _, t in passages)
    assert "积分可兑换算力资源" in shown[2] and "“算力券”" not in shown.get(3, "")


def test_only_context_k_passages_are_used():
    gen, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源[1]。", hits=[HITS[1], HITS[0], HITS[2]],
                         settings=Settings(context_k=1))
    _, passages, _ = prompts.parse_messages(gen.prompts[0])
    assert [n for n, _, _ in passages] == [1] and len(answer.hits) == 3


def test_select_context_spends_the_budget_on_the_best_sentences():
    passages = answering.context_passages(HITS, SETTINGS)
    chosen = answering.select_context("数据需求满足率是多少？", passages, 120)
    assert sum(len(t) for _, _, t in chosen) <= 120
    assert chosen[0][0] == 1 and "数据需求满足率95%" in chosen[0][2]
    assert answering.select_context("数据需求满足率是多少？", [(1, "t", "短文本，满足率。")], 120) == [(1, "t", "短文本，满足率。")]
    # an unrelated sentence may fill a thin context, but only up to half the budget
    [(_, _, thin)] = answering.select_context("唐于渝担任什么职务？", [(1, "t", "唐于渝\n" + "甲乙丙丁。" * 3)], 40)
    assert thin == "唐于渝 甲乙丙丁。甲乙丙丁。甲乙丙丁。"


def test_select_context_marks_gaps_and_cuts_an_overlong_sentence():
    filler = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥。"  # shares nothing with the question
    text = f"{filler}数据需求满足率很高。{filler}数据共享很快。"
    [(n, _, shown)] = answering.select_context("数据需求满足率和数据共享", [(1, "t", text)], 40)
    assert shown == "数据需求满足率很高。…数据共享很快。"
    [(_, _, cut)] = answering.select_context("数据需求满足率", [(1, "t", "很长" * 50 + "数据需求满足率95%" + "很长" * 50)], 30)
    assert len(cut) == 30 and "满足率" in cut


def test_english_question_gets_english_prompt_and_refusal():
    gen, _, answer = run("What share of data requests is satisfied?", "The documents do not mention it.")
    assert prompts.parse_messages(gen.prompts[0])[2] is True
    assert answer.refused and answer.text.startswith("The documents do not contain the answer")


# ---------------------------------------------------------------- refusal before generating
def test_off_topic_question_is_refused_without_calling_the_model():
    gen, events, answer = run("法国的首都是哪里？", "巴黎[1]。")
    assert gen.prompts == []  # no generation at all
    assert answer.refused and answer.text == "文档中没有找到这个问题的答案。"
    assert [e.kind for e in events] == ["token", "answer"] and events[0].text == answer.text
    assert any(w.startswith("refused: the passages hold only 0%") for w in answer.warnings)
    assert answer.citations == ()


def test_question_for_a_figure_the_passages_lack_is_refused_before_generating():
    gen, _, answer = run("“数据共享增值池”要把多大比例的收益反哺给供给单位？", "反哺30%[2]。")
    assert gen.prompts == []
    assert answer.refused
    assert any("asks for a figure" in w for w in answer.warnings)
    assert "最接近的内容在《深化数据资源开发利用》" in answer.text and "数据共享增值池" in answer.text


def test_no_hits_is_a_refusal():
    gen, _, answer = run("重庆编目了多少类数据？", "16万类", hits=[])
    assert answer.refused and gen.prompts == [] and "refused: no passage was retrieved" in answer.warnings


# ---------------------------------------------------------------- refusal after generating
def test_invented_figure_turns_the_answer_into_a_refusal():
    _, events, answer = run("重庆公共数据资源体系目前编目了多少类数据？", "编目了10亿类数据[1]。")
    assert "".join(e.text for e in events[:-1]) == "编目了10亿类数据[1]。"  # streamed as it came
    assert answer.refused and answer.text.startswith("文档中没有找到")
    assert any("10亿类" in w and w.startswith("refused:") for w in answer.warnings)


def test_model_saying_not_mentioned_is_a_refusal():
    _, _, answer = run("积分可以兑换什么权益？", "资料中没有提到积分兑换的内容。")
    assert answer.refused
    assert "refused: the model said the passages do not give the answer" in answer.warnings


def test_answer_content_missing_from_the_passages_is_refused():
    _, _, answer = run("积分可以兑换什么权益？", "积分可以兑换免费高铁车票和景区门票[2]。")
    assert answer.refused
    assert any("of the words the answer adds to the question are in the passages" in w and "高铁" in w
               for w in answer.warnings)


def test_figure_question_answered_without_a_figure_is_refused():
    _, _, answer = run("重庆公共数据资源体系目前编目了多少类数据？", "重庆建成了公共数据资源体系[1]。")
    assert answer.refused and any("gives none from the passages" in w for w in answer.warnings)


def test_correct_answer_is_not_refused():
    _, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源、优先获取高价值数据等权益[2]。")
    assert not answer.refused and answer.citations[0].supported
    assert not any(w.startswith("refused") for w in answer.warnings)


# ---------------------------------------------------------------- citations in the answer
def test_bare_marker_reply_falls_back_to_the_best_passage_sentence():
    _, _, answer = run("积分可以兑换什么权益？", "[1]")
    assert not answer.refused
    assert "积分可兑换算力资源" in answer.text and answer.text.endswith("[2]。")
    assert answer.citations[0].n == 2 and answer.citations[0].supported
    assert any("gave no answer text" in w for w in answer.warnings)


def test_out_of_range_citation_is_dropped_from_text_and_warned():
    _, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源[2][9]。")
    assert answer.text == "积分可兑换算力资源[2]。"
    assert [c.n for c in answer.citations] == [2]
    assert "citation [9] dropped: the context has only 3 passage(s)" in answer.warnings


def test_uncited_answer_gets_the_best_supporting_passage():
    _, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源和高价值数据。")
    assert answer.text == "积分可兑换算力资源和高价值数据[2]。"
    assert answer.citations[0].n == 2
    assert any("the model cited nothing" in w for w in answer.warnings)


def test_wrong_citation_is_flagged_unsupported_but_kept():
    _, _, answer = run("积分可以兑换什么权益？", "积分可兑换算力资源和高价值数据[3]。")
    assert not answer.refused
    assert [(c.n, c.supported) for c in answer.citations] == [(3, False)]
    assert any(w.startswith("citation [3] unsupported") for w in answer.warnings)


# ---------------------------------------------------------------- the extractive generator
def test_extractive_answers_with_the_best_sentence_and_cites_it():
    gen = make_generator("extractive", SETTINGS)
    events = list(answering.answer_stream("重庆公共数据资源体系目前编目了多少类数据？", HITS, gen, SETTINGS))
    answer = events[-1].answer
    assert not answer.refused and "16万类" in answer.text
    assert answer.citations[0].n == 1 and answer.citations[0].supported
    assert answer.generator == "extractive"


def test_extractive_sees_whole_passages():
    gen = make_generator("extractive", SETTINGS)
    msgs = prompts.build_messages("问？", [(1, "t", DATA)], english=False)
    assert gen.wants_full_passages and "".join(gen.stream(msgs))  # answers from the untrimmed text


def test_extractive_yields_nothing_for_a_non_answering_prompt():
    gen = make_generator("extractive", SETTINGS)
    assert list(gen.stream([{"role": "user", "content": "把问题改写完整：那数据安全呢？"}])) == []


# ---------------------------------------------------------------- through the facade
def test_assistant_ask_stream_with_a_registered_fake(shared_hash_assistant):
    fake = FakeGenerator("重庆公共数据资源体系的数据需求满足率为95%[1]。")
    shared_hash_assistant.register_generator(fake, "fake")
    events = list(shared_hash_assistant.ask_stream("重庆公共数据资源体系的数据需求满足率是多少？", generator="fake"))
    answer = events[-1].answer
    assert events[-1].kind == "answer" and not answer.refused
    assert "retrieve" in answer.timings and "total" in answer.timings
    cited = answer.citations[0]
    assert "95%" in cited.text and cited.chunk_id == answer.hits[0].chunk.id and cited.supported


@pytest.mark.parametrize("name", ["context_chars", "figure_window"])
def test_bad_answering_settings_are_rejected(name):
    from rag.errors import ConfigError

    with pytest.raises(ConfigError):
        Settings().replace(**{name: 0})

