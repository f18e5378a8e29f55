"""The answering stages as parts: the stage list is checked when built, a stage can be
replaced, the streamed events keep their order around a replaced responder, the
extractive responder reads the ranked sentences from the state, and the decision's
signals are one record whose fields are the features."""
import json
from dataclasses import replace

import pytest

from fakes import FakeGenerator
from test_answering import DECISION, HITS, OPTS, WEIGHTS
from rag.answering import pipeline, refusal
from rag.answering.generators import make_generator
from rag.answering.responders import ExtractiveResponder, Responder
from rag.answering.signals import FEATURES, REPLY_FEATURES, Signals
from rag.answering.stages import Cite, DecideAfter, DecideBefore, RepairWording, Respond, SelectEvidence, Verify
from rag.answering.state import AnswerState
from rag.config import Settings
from rag.errors import ConfigError
from rag.answering.selection import Scored
from rag.types import EVIDENCE_SHOWN_FIRST, StreamEvent

Q = "重庆公共数据资源体系目前编目了多少类数据？"


class Canned(Responder):
    def __init__(self, *pieces):
        self.pieces = pieces

    def stream(self, state):
        yield from self.pieces


def _state(question=Q, generator=None):
    return AnswerState.start(question, HITS, generator or FakeGenerator(""), OPTS, decision=DECISION, weights=WEIGHTS)


# ---------------------------------------------------------------- the stage list
def test_a_stage_reading_what_no_earlier_stage_fills_is_refused_when_built():
    with pytest.raises(ConfigError, match="shown"):
        pipeline.Pipeline([Respond(), SelectEvidence()])
    with pytest.raises(ConfigError, match="reply"):
        pipeline.Pipeline([SelectEvidence(), DecideBefore(), Cite()])
    with pytest.raises(ConfigError):
        pipeline.Pipeline([SelectEvidence(), "not a stage"])
    with pytest.raises(ConfigError):
        pipeline.Pipeline([])


def test_bad_stage_arguments_raise_at_construction():
    with pytest.raises(ConfigError):
        Respond("a string is not a responder")
    with pytest.raises(ConfigError):
        ExtractiveResponder(limit=0)
    with pytest.raises(ConfigError, match="no Respond"):
        pipeline.Pipeline([SelectEvidence()]).replaced(Respond, Respond())


def test_a_replaced_responder_streams_between_the_evidence_and_the_answer():
    queued = []

    def wait_turn():
        queued.append(True)
        yield StreamEvent("queue", position=1)

    custom = pipeline.DEFAULT.replaced(Respond, Respond(Canned("重庆数据编目", "16万类[1]。")))
    gen = FakeGenerator("never used")
    events = list(pipeline.answer_stream(Q, HITS, gen, OPTS, weights=WEIGHTS, decision=DECISION,
                                         wait_turn=wait_turn, pipeline=custom))
    assert [e.kind for e in events] == ["evidence", "queue", "token", "token", "answer"]
    answer = events[-1].answer
    assert gen.prompts == [] and queued == [True]
    assert answer.text == "重庆数据编目16万类[1]。" and not answer.refused
    assert answer.timings["answer_tokens"] == 2.0


def test_the_stages_run_without_streaming_give_the_same_answer():
    streamed = list(pipeline.answer_stream(Q, HITS, FakeGenerator("重庆数据编目16万类[1]。"), OPTS, weights=WEIGHTS,
                                           decision=DECISION))[-1].answer
    state = pipeline.DEFAULT.run(_state(generator=FakeGenerator("重庆数据编目16万类[1]。")))
    assert state.text == streamed.text and [c.n for c in state.citations] == [c.n for c in streamed.citations]


def test_the_evidence_event_shows_what_the_answer_shows_first():
    wide = replace(OPTS, context_chars=600)
    events = list(pipeline.answer_stream("数据共享和算力资源怎样发展？", HITS, FakeGenerator("积分可兑换算力资源[2]。"), wide,
                                         weights=WEIGHTS, decision=DECISION))
    answer = events[-1].answer
    assert len(answer.evidence) > EVIDENCE_SHOWN_FIRST  # the model saw more than the page shows first
    assert events[0].evidence == answer.first_evidence == answer.evidence[:EVIDENCE_SHOWN_FIRST]


# ---------------------------------------------------------------- the extractive responder
def test_the_extractive_responder_answers_from_the_states_ranking_with_no_second_ranking():
    state = _state()
    # a ranking that puts the compute sentence first, whatever the question says
    state.ranked = [Scored(1.0, 3, 0, "二是建立算力资源智能调度平台。"), Scored(0.1, 1, 0, "数据编目16万类。")]
    assert "".join(ExtractiveResponder().stream(state)) == "二是建立算力资源智能调度平台[3]。"


def test_the_extractive_generator_answers_through_the_pipeline_not_a_prompt():
    gen = make_generator("extractive", Settings())
    assert list(gen.stream([{"role": "user", "content": "资料：\n[1] 数据编目16万类。\n\n问题：编目了多少类？"}])) == []
    events = list(pipeline.answer_stream(Q, HITS, gen, OPTS, weights=WEIGHTS, decision=DECISION))
    assert "16万类" in events[-1].answer.text and [e.kind for e in events][0] == "evidence"


# ---------------------------------------------------------------- the signals record
def test_the_features_are_the_signal_fields_and_the_stored_weights_load():
    assert FEATURES[:7] == ("lex_best", "lex_shown", "dense_best", "english", "figure_missing", "entity_missing",
                            "lead_missing")
    assert set(REPLY_FEATURES) == set(FEATURES[7:]) and "draft_lacks_asked" in REPLY_FEATURES
    stored = json.loads(refusal.MODEL_FILE.read_text(encoding="utf-8"))["decisions"]
    for kind in stored:
        assert set(refusal.load_decision(kind).weights) == set(FEATURES)


def test_signals_hold_what_was_measured_and_read_like_the_old_dicts():
    sig = Signals(lex_best=0.5, english=0.0).merged(Signals(model_refuse=0.25, lex_best=0.75))
    assert sig.as_dict() == {"lex_best": 0.75, "english": 0.0, "model_refuse": 0.25}
    assert sig["lex_best"] == 0.75 and sig.draft_support is None
    with pytest.raises(KeyError):
        sig["draft_support"]
    assert Signals.from_dict({**sig.as_dict(), "old_feature": 1.0}) == sig
    d = refusal.Decision({"lex_best": -2.0, "model_refuse": 3.0}, bias=0.5)
    assert d.probability(sig) == d.probability(sig.as_dict())


def test_the_probability_is_on_the_answer_not_in_its_timings():
    answer = list(pipeline.answer_stream("法国的首都是哪里？", HITS, FakeGenerator("巴黎[1]。"), OPTS, weights=WEIGHTS,
                                         decision=DECISION))[-1].answer
    assert answer.refused and "p_no_answer" not in answer.timings
    assert answer.p_no_answer == answer.refusal.confidence == pytest.approx(DECISION.probability(answer.signals), abs=1e-4)
    assert answer.to_dict()["p_no_answer"] == answer.p_no_answer
    assert type(answer).from_dict(answer.to_dict()).p_no_answer == answer.p_no_answer


def test_the_default_stage_order():
    kinds = [type(s) for s in pipeline.DEFAULT.stages]
    assert kinds == [SelectEvidence, DecideBefore, Respond, DecideAfter, RepairWording, Cite, Verify]
