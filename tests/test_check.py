"""The model's own check of its answer (rag.answering.check, the Verify stage): the prompt
holds the cited passages only, the reading is P(no) against P(yes) on the first token, and
the decision refuses an answer the check does not find in the passages. Fakes for the model;
the real model's check is in test_generators_real."""
import math

import pytest

from fakes import FakeGenerator
from test_answering import HITS, OPTS, WEIGHTS
from rag.answering import pipeline, prompts, refusal
from rag.answering.check import NO, YES, check_messages, unverified
from rag.answering.generators.llama_cpp import LlamaCppGenerator
from rag.config import Settings

SHOWN = [(2, "积分可兑换算力资源。"), (1, "数据编目16万类。"), (2, "积分由平台发放。"), (3, "算力调度平台。")]
TITLES = {1: "深化数据资源开发利用", 2: "算力积分", 3: "人工智能+"}


class Checking(FakeGenerator):
    """A fake model that reports first-token probabilities: the answer it is given, then
    for the check the probabilities of 是 and 否 it is set to."""

    supports_probe = True

    def __init__(self, reply, yes, no):
        super().__init__(reply)
        self.seen = {YES: yes, NO: no}
        self._usage = {}

    @property
    def last_usage(self):
        return self._usage

    def stream(self, messages, *, max_tokens=None, temperature=None, stop=None, probe=None):
        if probe == [YES, NO]:
            self.prompts.append([dict(m) for m in messages])
            self._usage = {"probe": dict(self.seen)}
            yield YES if self.seen[YES] >= self.seen[NO] else NO
            return
        self._usage = {"probe": {prompts.NO_ANSWER: 0.001}} if probe else {}
        yield from super().stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop, probe=probe)


def test_the_check_shows_the_cited_passages_with_their_titles_and_the_answer_without_markers():
    messages = check_messages("积分可以兑换什么？", "积分可兑换算力资源[2]。", SHOWN, TITLES)
    user = messages[-1]["content"]
    assert messages[0]["role"] == "system" and len(messages) == 2
    assert "《算力积分》积分可兑换算力资源。积分由平台发放。" in user  # one line per passage, shown order
    assert "16万类" not in user and "调度" not in user  # passages the answer does not cite are left out
    assert "回答：积分可兑换算力资源。" in user and "[2]" not in user
    # an answer citing nothing is checked against every shown passage, in passage order
    every = check_messages("积分可以兑换什么？", "积分可兑换算力资源。", SHOWN, TITLES)[-1]["content"]
    assert every.index("《深化数据资源开发利用》") < every.index("《算力积分》") < every.index("《人工智能+》")


def test_a_traditional_passage_question_and_answer_are_checked_in_simplified_characters():
    user = check_messages("聯合國總部設在哪裡？", "聯合國總部設在紐約[1]。", [(1, "聯合國總部設在紐約。")],
                          {1: "聯合國"})[-1]["content"]
    assert "《联合国》联合国总部设在纽约。" in user and "问题：联合国总部设在哪里？" in user
    assert "回答：联合国总部设在纽约。" in user and "聯" not in user


def test_the_reading_is_no_against_yes_and_a_refusal_or_a_blind_backend_is_not_asked():
    gen = Checking("", yes=0.2, no=0.6)
    assert unverified(gen, "问？", "积分可兑换算力资源[2]。", SHOWN, TITLES) == pytest.approx(0.75)
    assert len(gen.prompts) == 1
    assert unverified(gen, "问？", prompts.NO_ANSWER, SHOWN, TITLES) == 1.0  # nothing the passages could state
    assert unverified(gen, "问？", "  ", SHOWN, TITLES) == 1.0
    assert len(gen.prompts) == 1  # neither was put to the model
    assert unverified(Checking("", yes=0.0, no=0.0), "问？", "答[1]。", SHOWN, TITLES) == 0.5
    assert unverified(FakeGenerator(""), "问？", "答[1]。", SHOWN, TITLES) is None  # reports no probabilities


DECISION = refusal.Decision(weights={"lex_best": -8.0, "model_refuse": 6.0, "model_unverified": 6.0}, bias=1.0,
                            threshold=0.5, meta={"means": {"model_unverified": 0.2}})


def _ask(gen, question="重庆公共数据资源体系目前编目了多少类数据？"):
    events = list(pipeline.answer_stream(question, HITS, gen, OPTS, weights=WEIGHTS, decision=DECISION))
    return events[-1].answer


def test_an_answer_the_check_confirms_stands_and_one_it_rejects_is_refused():
    kept = _ask(Checking("重庆公共数据资源体系编目了16万类数据[1]。", yes=0.9, no=0.1))
    assert not kept.refused and kept.signals["model_unverified"] == pytest.approx(0.1) and kept.citations
    assert "verify" in kept.timings
    gone = _ask(Checking("重庆公共数据资源体系编目了16万类数据[1]。", yes=0.05, no=0.95))
    assert gone.refused and gone.refusal.code == "not_verified" and gone.citations == ()
    assert gone.signals["model_unverified"] == pytest.approx(0.95)
    assert gone.text.startswith(prompts.refusal_text(False)[:6])


def test_while_the_check_runs_the_caller_is_told_the_streamed_answer_is_not_final_yet():
    from rag.answering.stages import CHECKING_TEXT
    from ui.chat import _apply
    from ui.render import render_turn
    from ui.state import Turn

    reply = "重庆公共数据资源体系编目了16万类数据[1]。"
    events = list(pipeline.answer_stream("重庆公共数据资源体系目前编目了多少类数据？", HITS,
                                         Checking(reply, yes=0.05, no=0.95), OPTS, weights=WEIGHTS, decision=DECISION))
    kinds = [e.kind for e in events]
    at = kinds.index("checking")
    assert "".join(e.text for e in events[:at] if e.kind == "token") == reply  # after the whole answer
    assert kinds[at + 1:] == ["token", "answer"] and events[-1].answer.refused  # then the withdrawal
    # the page keeps the streamed answer on screen and says it is being checked
    turn = Turn(question="问？")
    for e in events[:at + 1]:
        _apply(turn, e)
    shown = render_turn(0, turn)
    assert "16万类" in shown and CHECKING_TEXT.split(" · ")[0] in shown
    # an answer that needs no check (the extractive path) has no such event
    from rag.answering.generators import make_generator
    extractive = list(pipeline.answer_stream("重庆公共数据资源体系目前编目了多少类数据？", HITS,
                                             make_generator("extractive", Settings()), OPTS, weights=WEIGHTS,
                                             decision=DECISION))
    assert "checking" not in [e.kind for e in extractive]


def test_the_check_is_not_asked_when_no_reply_to_it_could_change_the_decision():
    sure = refusal.Decision(weights={"lex_best": -8.0, "model_unverified": 1.0}, bias=1.0, threshold=0.5)
    gen = Checking("重庆公共数据资源体系编目了16万类数据[1]。", yes=0.05, no=0.95)
    events = list(pipeline.answer_stream("重庆公共数据资源体系目前编目了多少类数据？", HITS, gen, OPTS, weights=WEIGHTS,
                                         decision=sure))
    answer = events[-1].answer
    assert not answer.refused and "model_unverified" not in answer.signals and "verify" not in answer.timings
    assert "checking" not in [e.kind for e in events]
    assert len(gen.prompts) == 1  # the answer's prompt only


def test_a_backend_without_probabilities_is_read_at_the_training_mean_and_the_extractive_path_is_not_checked():
    d = DECISION
    signals = {"lex_best": 0.5, "model_refuse": 0.0}
    assert d.probability(signals) == pytest.approx(d.probability({**signals, "model_unverified": 0.2}))
    # before any reply is read the bounds range over the check (it is a reply signal)
    lo, hi = d.bounds({"lex_best": 0.5})
    assert lo == pytest.approx(1 / (1 + math.exp(3.0))) and hi == pytest.approx(1 / (1 + math.exp(-9.0)))
    from rag.answering.generators import make_generator
    extractive = make_generator("extractive", Settings())
    answer = _ask(extractive)
    assert "model_unverified" not in answer.signals and "verify" not in answer.timings


def test_the_llama_cpp_check_runs_in_a_second_context_on_the_same_model_file(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")  # never loaded here: contexts load lazily
    gen = LlamaCppGenerator(Settings(model_path=str(model)))
    checker = gen.checker()
    assert checker is not gen and checker is gen.checker()  # one, made once
    assert checker.model_file == gen.model_file == model


def test_before_the_check_the_decision_refuses_only_what_a_confirming_check_could_not_save():
    from rag.answering.signals import Signals
    from rag.answering.stages import DecideAfter
    from rag.answering.state import AnswerState

    d = refusal.Decision(weights={"lex_best": -2.0, "model_unverified": 6.0}, bias=0.5, threshold=0.5,
                         meta={"means": {"model_unverified": 0.5}})

    def state(gen):
        s = AnswerState.start("问？", HITS, gen, OPTS, decision=d)
        s.signals = Signals(lex_best=0.5, model_refuse=0.0)
        return s

    with_check = state(Checking("", yes=0.9, no=0.1))
    assert DecideAfter().p_no_answer(with_check) == pytest.approx(1 / (1 + math.exp(0.5)))  # the check at 0
    # no check to come (another pipeline), or none possible (no probabilities): the training mean
    assert DecideAfter(check_follows=False).p_no_answer(with_check) == pytest.approx(1 / (1 + math.exp(-2.5)))
    assert DecideAfter().p_no_answer(state(FakeGenerator(""))) == pytest.approx(1 / (1 + math.exp(-2.5)))


def test_check_answers_off_leaves_the_check_out_and_reads_its_training_mean(tmp_path):
    from rag import Assistant
    from conftest import SEEDS

    gen = Checking("重庆公共数据资源体系编目了16万类数据[1]。", yes=0.05, no=0.95)
    for check_answers, asked in ((True, 2), (False, 1)):
        a = Assistant.load(Settings(corpus_dir=str(SEEDS), index_dir=str(tmp_path / "idx"), embedder="hash",
                                    check_answers=check_answers))
        a.register_generator(gen, name="checking")
        a.decisions["language_model"] = DECISION
        before = len(gen.prompts)
        answer = a.ask("重庆公共数据资源体系目前编目了多少类数据？", generator="checking")
        assert len(gen.prompts) - before == asked, check_answers
        assert ("model_unverified" in answer.signals) == check_answers


# ---------------------------------------------------------------------- yes/no questions
def test_a_yes_no_question_answered_no_is_not_put_to_the_check_which_misreads_the_negation():
    # the check's 否 would refuse it; the decision goes without the check (its training mean)
    question = "重庆公共数据资源体系编目了20万类数据吗？"
    gen = Checking("重庆公共数据资源体系没有编目20万类，编目了16万类数据[1]。", yes=0.05, no=0.95)
    answer = _ask(gen, question)
    assert not answer.refused and answer.text.startswith("重庆公共数据资源体系没有编目20万类")
    assert "model_unverified" not in answer.signals and "verify" not in answer.timings
    assert len(gen.prompts) == 1  # the answer's prompt only
    # a yes answer to the same question, and a "no" to a question that is not yes/no, are checked
    said_yes = _ask(Checking("重庆公共数据资源体系编目了16万类数据[1]。", yes=0.05, no=0.95), question)
    assert said_yes.refused and said_yes.refusal.code == "not_verified"
    not_polar = _ask(Checking("重庆公共数据资源体系没有编目20万类，编目了16万类数据[1]。", yes=0.05, no=0.95))
    assert not_polar.refused and not_polar.refusal.code == "not_verified"
    # the same reading for a stored row checked offline (benchmarks/fit_suites.py check)
    assert unverified(Checking("", yes=0.05, no=0.95), question, "重庆没有编目20万类[1]。", SHOWN, TITLES) is None
    assert unverified(Checking("", yes=0.05, no=0.95), question, "重庆编目了16万类[1]。", SHOWN, TITLES) == pytest.approx(0.95)


# ---------------------------------------------------------------------- the second check
class TwoChecks(Checking):
    """A fake that reports one reading to the first check (its prompt shows the answer, "回答：")
    and another to the second (no answer shown)."""

    def __init__(self, reply, first, second):
        super().__init__(reply, yes=1.0 - first, no=first)
        self.readings = {True: {YES: 1.0 - first, NO: first}, False: {YES: 1.0 - second, NO: second}}

    def stream(self, messages, *, max_tokens=None, temperature=None, stop=None, probe=None):
        if probe == [YES, NO]:
            self.seen = self.readings["回答：" in messages[-1]["content"]]
        yield from super().stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop, probe=probe)


def test_the_second_check_shows_the_first_checks_passages_and_question_but_not_the_answer():
    from rag.answering.check import answered_messages

    first = check_messages("积分可以兑换什么？", "积分可兑换算力资源[2]。", SHOWN, TITLES)[-1]["content"]
    second = answered_messages("积分可以兑换什么？", "积分可兑换算力资源[2]。", SHOWN, TITLES)[-1]["content"]
    assert "《算力积分》积分可兑换算力资源。积分由平台发放。" in second and "16万类" not in second  # cited only
    assert "回答：" not in second and "积分可兑换算力资源。" not in second.split("问题：")[1]
    # one prefix up to the question: the model reads the second from the first's cached tokens
    shared = first.index("问题：积分可以兑换什么？") + len("问题：积分可以兑换什么？")
    assert second[:shared] == first[:shared]
    trad = answered_messages("聯合國總部設在哪裡？", "在紐約[1]。", [(1, "聯合國總部設在紐約。")], {1: "聯合國"})
    assert "问题：联合国总部设在哪里？" in trad[-1]["content"]  # read in simplified, like the first


def test_the_second_check_reads_no_against_yes_and_is_not_asked_of_a_yes_no_question_answered_no():
    from rag.answering.check import unanswered

    gen = Checking("", yes=0.3, no=0.1)
    assert unanswered(gen, "问？", "积分可兑换算力资源[2]。", SHOWN, TITLES) == pytest.approx(0.25)
    assert unanswered(gen, "问？", prompts.NO_ANSWER, SHOWN, TITLES) == 1.0 and len(gen.prompts) == 1
    assert unanswered(FakeGenerator(""), "问？", "答[1]。", SHOWN, TITLES) is None
    # without the answer in its prompt the model still takes the passage's negation for its own 否
    question = "重庆公共数据资源体系编目了20万类数据吗？"
    assert unanswered(Checking("", yes=0.1, no=0.9), question, "重庆没有编目20万类[1]。", SHOWN, TITLES) is None
    assert unanswered(Checking("", yes=0.1, no=0.9), question, "重庆编目了16万类[1]。", SHOWN, TITLES) == pytest.approx(0.9)


SECOND = refusal.Decision(weights={"lex_best": -8.0, "model_refuse": 6.0, "model_unverified": 3.0,
                                   "model_unanswered": 6.0}, bias=1.0, threshold=0.5,
                          meta={"means": {"model_unverified": 0.2, "model_unanswered": 0.2}})


def test_a_decision_that_reads_the_second_check_asks_it_after_the_first_and_refuses_on_it():
    question = "重庆公共数据资源体系目前编目了多少类数据？"
    reply = "重庆公共数据资源体系编目了16万类数据[1]。"
    gen = TwoChecks(reply, first=0.1, second=0.05)
    kept = list(pipeline.answer_stream(question, HITS, gen, OPTS, weights=WEIGHTS, decision=SECOND))[-1].answer
    assert not kept.refused and kept.signals["model_unanswered"] == pytest.approx(0.05)
    assert kept.signals["model_unverified"] == pytest.approx(0.1)
    assert len(gen.prompts) == 3 and "回答：" in gen.prompts[1][-1]["content"]  # answer, first, second
    assert "回答：" not in gen.prompts[2][-1]["content"]
    # the first check confirms the answer, the second finds the passages do not answer the question
    gone = list(pipeline.answer_stream(question, HITS, TwoChecks(reply, first=0.1, second=0.97), OPTS,
                                       weights=WEIGHTS, decision=SECOND))[-1].answer
    assert gone.refused and gone.refusal.code == "not_verified"
    assert gone.signals["model_unanswered"] == pytest.approx(0.97)
    # a decision fitted without it (weight 0) does not ask it: the answer's prompt and the first check
    plain = TwoChecks(reply, first=0.1, second=0.97)
    _ask(plain)
    assert len(plain.prompts) == 2


def test_a_yes_no_question_answered_no_gets_neither_check():
    question = "重庆公共数据资源体系编目了20万类数据吗？"
    gen = TwoChecks("重庆公共数据资源体系没有编目20万类，编目了16万类数据[1]。", first=0.95, second=0.95)
    answer = list(pipeline.answer_stream(question, HITS, gen, OPTS, weights=WEIGHTS, decision=SECOND))[-1].answer
    assert not answer.refused and "model_unverified" not in answer.signals and "model_unanswered" not in answer.signals
    assert len(gen.prompts) == 1  # the answer's prompt only
