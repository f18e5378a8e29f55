"""The rules stage Cite refuses by, whatever the decision says:
- rag.answering.subject: a question about one thing answered from a passage on another of its
  kind (交叉笛鲷 asked, 火斑笛鲷 cited), code "other_subject"; a question about the thing a
  passage is titled with, or named in anything retrieved, is not;
- refusal.figure_not_given: a question asking for a figure that no shown sentence holds,
  answered without one, code "not_in_documents";
- refusal.premise_figure_missing: a question resting on a figure the answer's passage does
  not give (1944 asked, 1934 written), code "false_premise"."""
import pytest

from fakes import FakeGenerator
from rag.answering import cite_rule_refusal, pipeline as answering, refusal
from rag.answering.generators import make_generator
from rag.answering.pipeline import AskOptions
from rag.answering.selection import UnitWeights
from rag.answering.subject import other_subject
from rag.config import Settings
from rag.types import REFUSAL_CODES, Chunk, Hit

FIRE_SNAPPER = "火斑笛鲷为辐鳍鱼纲鲈形目笛鲷科的其中一种。体侧在背鳍软条部的下方具一大黑斑。分布于印度西太平洋区。"
ASKED = "交叉笛鲷哪里有一个大黑斑？"


@pytest.mark.parametrize("question, seen, cited, expected", [
    # another species of the same genus word: the documents never name the one asked about
    (ASKED, [FIRE_SNAPPER], ["火斑笛鲷"], ("交叉笛鲷", "火斑笛鲷")),
    # traditional script: read folded, both names given back as written
    ("交叉笛鯛哪裡有一個大黑斑？", ["火斑笛鯛體側在背鰭軟條部的下方具一大黑斑。"], ["火斑笛鯛"], ("交叉笛鯛", "火斑笛鯛")),
    # the opening runs on past the name ("…鹦嘴鱼一般"): the name ends with the kind word
    ("截尾鹦嘴鱼一般分布在什么地方？", ["分布于印度西太平洋区。"], ["新加坡鹦嘴鱼"], ("截尾鹦嘴鱼", "新加坡鹦嘴鱼")),
    ("北京大学是哪一年建校的？", ["1911年建校。"], ["清华大学"], ("北京大学", "清华大学")),
])
def test_a_question_about_a_neighbour_of_what_is_cited(question, seen, cited, expected):
    assert other_subject(question, seen, cited) == expected


@pytest.mark.parametrize("question, seen, cited", [
    (ASKED, [FIRE_SNAPPER, "外形与交叉笛鲷相似。"], ["火斑笛鲷"]),  # named in a retrieved passage
    (ASKED, ["体侧具一大黑斑。"], ["交叉笛鲷"]),  # the cited passage is on it
    (ASKED, [FIRE_SNAPPER], []),  # nothing cited
    ("漫画家张静美最出名的两部作品是什么？", ["她的作品有……"], ["张静美"]),  # the title, said with more words
    ("香港遮打杯赛马全程多少米？", ["全程2000米。"], ["香港冠军暨遮打杯"]),  # no opening name of four characters
    ("无锡遮打杯赛马全程多少米？", ["全程2000米。"], ["无锡冠军暨遮打杯"]),  # the modifier is in the title
    # a long shared ending is a shared topic, not a kind word
    ("城乡高标准农田建设资金从哪里来？", ["资金由各级财政统筹。"], ["全面推进高标准农田建设"]),
    ("罗伯特·霍顿效力于哪两个俱乐部？", ["他效力于两个俱乐部。"], ["鲍比·霍顿"]),  # transliterations vary more
    ("黑笛鲷分布在哪里？", [FIRE_SNAPPER], ["火斑笛鲷"]),  # a one-character modifier
    ("Where is the cross snapper found?", [FIRE_SNAPPER], ["火斑笛鲷"]),  # English: no opening name read
])
def test_not_a_question_about_another_thing(question, seen, cited):
    assert other_subject(question, seen, cited) is None


def _hit(n, text, section):
    chunk = Chunk(id=f"fish#p{n}", text=text, source="fish.md", section=section, author="", paragraph=n,
                  char_start=0, char_end=len(text))
    return Hit(rank=n, score=1.0 / n, chunk=chunk)


OPTS = AskOptions(k=5, retrieval="hybrid", generator="fake", context_chars=160, max_tokens=64, temperature=0.0,
                  support_min_overlap=0.4)
NEVER_REFUSES = refusal.Decision(weights={}, bias=-10.0, threshold=0.5)


def _ask(question, section, generator):
    hits = [_hit(1, FIRE_SNAPPER, section)]
    events = list(answering.answer_stream(question, hits, generator, OPTS, weights=UnitWeights([FIRE_SNAPPER]),
                                          decision=NEVER_REFUSES))
    return events[-1].answer


@pytest.mark.parametrize("make", [lambda: FakeGenerator("体侧在背鳍软条部的下方具一大黑斑[1]。"),
                                  lambda: make_generator("extractive", Settings())], ids=["model", "extractive"])
def test_the_pipeline_refuses_an_answer_about_another_thing_whatever_the_decision(make):
    assert "other_subject" in REFUSAL_CODES
    answer = _ask(ASKED, "火斑笛鲷", make())
    assert answer.refused and answer.refusal.code == "other_subject" and answer.citations == ()
    assert "火斑笛鲷" in answer.refusal.message and "交叉笛鲷" in answer.refusal.message
    # the refusal names what was asked about and shows the sentence the answer came from
    assert answer.text.startswith("文档中没有找到关于“交叉笛鲷”的内容。最接近的内容在《火斑笛鲷》")
    assert "体侧在背鳍软条部的下方具一大黑斑" in answer.text
    # the same question over a passage titled with the fish it asks about is answered from it
    same = _ask(ASKED, "交叉笛鲷", make())
    assert not same.refused and "大黑斑" in same.text and same.citations[0].chunk_id == "fish#p1"


BRIDGE = "这座桥横跨长江，连接南北两岸。桥面宽阔，是城市的地标。"


@pytest.mark.parametrize("make", [lambda: FakeGenerator("这座桥横跨长江，连接南北两岸[1]。"),
                                  lambda: make_generator("extractive", Settings())], ids=["model", "extractive"])
def test_the_pipeline_refuses_a_figure_question_no_shown_sentence_can_answer(make):
    hits = [_hit(1, BRIDGE, "长江大桥")]
    events = list(answering.answer_stream("这座桥是哪一年建成的？", hits, make(), OPTS, weights=UnitWeights([BRIDGE]),
                                          decision=NEVER_REFUSES))
    answer = events[-1].answer
    assert answer.refused and answer.refusal.code == "not_in_documents" and "figure" in answer.refusal.message
    # asked what the passage does say, it answers
    events = list(answering.answer_stream("这座桥横跨哪条河？", hits, make(), OPTS, weights=UnitWeights([BRIDGE]),
                                          decision=NEVER_REFUSES))
    assert not events[-1].answer.refused and "长江" in events[-1].answer.text


OPERA = "王金璐出身北京中华戏曲学校，1934年经校长焦菊隐推荐，拜马连良先生门下。1948年起自行组班演出。"


@pytest.mark.parametrize("make", [lambda: FakeGenerator("经校长焦菊隐推荐[1]。"),
                                  lambda: make_generator("extractive", Settings())], ids=["model", "extractive"])
def test_the_pipeline_refuses_a_question_resting_on_a_figure_the_passage_does_not_give(make):
    hits = [_hit(1, OPERA, "王金璐")]

    def ask(question):
        events = list(answering.answer_stream(question, hits, make(), OPTS, weights=UnitWeights([OPERA]),
                                              decision=NEVER_REFUSES))
        return events[-1].answer

    wrong = ask("王金璐1944年经谁推荐拜入马连良门下？")
    assert "false_premise" in REFUSAL_CODES
    assert wrong.refused and wrong.refusal.code == "false_premise" and wrong.citations == ()
    # the refusal names the figure asked about and shows the sentence giving the documents' own
    assert wrong.text.startswith("文档中没有找到问题所说的“1944年”。最接近的内容在《王金璐》")
    assert "1934年经校长焦菊隐推荐" in wrong.text and "1948年" not in wrong.text
    right = ask("王金璐1934年经谁推荐拜入马连良门下？")
    assert not right.refused and "焦菊隐" in right.text


def test_a_collection_for_the_fit_notes_the_rule_and_records_the_answer_whole():
    """Under a decision that records every signal (benchmarks/fit_suites.py collect), the rules
    do not stop the answer: the decision is fitted as if they did not exist."""
    hits = [_hit(1, FIRE_SNAPPER, "火斑笛鲷")]
    record_all = refusal.Decision(weights={}, bias=-10.0, threshold=2.0, meta={"record_all": True})
    events = list(answering.answer_stream(ASKED, hits, FakeGenerator("体侧在背鳍软条部的下方具一大黑斑[1]。"), OPTS,
                                          weights=UnitWeights([FIRE_SNAPPER]), decision=record_all))
    answer = events[-1].answer
    assert not answer.refused and answer.citations and "draft_support" in answer.signals
    assert any("stage Cite would refuse this (other_subject" in n for n in answer.notes)


FIRE_SNAPPER_TRAD = "火斑笛鯛為輻鰭魚綱鱸形目笛鯛科的其中一種。體側在背鰭軟條部的下方具一大黑斑。分布於印度西太平洋區。"


@pytest.mark.parametrize("make", [lambda: FakeGenerator("體側在背鰭軟條部的下方具一大黑斑[1]。"),
                                  lambda: make_generator("extractive", Settings())], ids=["model", "extractive"])
def test_a_refusal_to_a_traditional_question_is_written_in_traditional_characters(make):
    hits = [_hit(1, FIRE_SNAPPER_TRAD, "火斑笛鯛")]
    events = list(answering.answer_stream("交叉笛鯛哪裡有一個大黑斑？", hits, make(), OPTS,
                                          weights=UnitWeights([FIRE_SNAPPER_TRAD]), decision=NEVER_REFUSES))
    answer = events[-1].answer
    assert answer.refused and answer.refusal.code == "other_subject"
    # the refusal's own words converted; the name as asked, the snippet as its passage writes it
    assert answer.text.startswith("文檔中沒有找到關於“交叉笛鯛”的內容。最接近的內容在《火斑笛鯛》")
    assert "體側在背鰭軟條部的下方具一大黑斑" in answer.text


def test_a_false_premise_in_traditional_characters_is_refused_in_them():
    opera = "王金璐出身北京中華戲曲學校，1934年經校長焦菊隱推薦，拜馬連良先生門下。1948年起自行組班演出。"
    events = list(answering.answer_stream("王金璐1944年經誰推薦拜入馬連良門下？", [_hit(1, opera, "王金璐")],
                                          FakeGenerator("經校長焦菊隱推薦[1]。"), OPTS, weights=UnitWeights([opera]),
                                          decision=NEVER_REFUSES))
    answer = events[-1].answer
    assert answer.refused and answer.refusal.code == "false_premise"
    assert answer.text.startswith("文檔中沒有找到問題所說的“1944年”。最接近的內容在《王金璐》：“王金璐出身北京中華戲曲學校，1934年經校長焦菊隱推薦")


def test_a_rule_says_what_the_documents_lack_for_the_refusal_text():
    shown = [(1, OPERA)]
    premise = cite_rule_refusal("王金璐1944年经谁推荐拜入马连良门下？", "经校长焦菊隐推荐[1]。", shown, {1: "王金璐"}, [OPERA], ["王金璐"])
    assert premise.code == "false_premise" and premise.named == ("1944年",)
    other = cite_rule_refusal(ASKED, "体侧在背鳍软条部的下方具一大黑斑[1]。", [(1, FIRE_SNAPPER)], {1: "火斑笛鲷"},
                              [FIRE_SNAPPER], ["火斑笛鲷"])
    assert other.code == "other_subject" and other.named == ("交叉笛鲷",)
    assert cite_rule_refusal("火斑笛鲷哪里有一个大黑斑？", "体侧在背鳍软条部的下方具一大黑斑[1]。", [(1, FIRE_SNAPPER)],
                             {1: "火斑笛鲷"}, [FIRE_SNAPPER], ["火斑笛鲷"]) is None
