"""From retrieved passages to a cited, checked answer, streamed.

    for event in answer_stream(question, hits, generator, options, embedder=e, weights=w):
        event.kind == "evidence" -> first: the best passage sentences with their [n]
        event.kind == "queue"    -> waiting for the model behind other callers
        event.kind == "token"    -> a piece of the reply, as it arrives
        event.kind == "answer"   -> last event: the final Answer

One AnswerState (rag.answering.state) goes through an ordered list of stages
(rag.answering.stages), each `run(state) -> state`:

1. SelectEvidence: every sentence of the retrieved passages ranked, the best ones within
   the evidence budget are what the model is shown; the first of them go to the caller
   at once, before any model work (a user reads the source sentence within a second);
2. DecideBefore: the answer-or-refuse decision (rag.answering.refusal) from the evidence
   alone: when no reply could make the documents hold the answer, refuse without the model;
3. Respond: the responder's reply streamed (rag.answering.responders: a language model
   prompted with the selected sentences, or the extractive picker);
4. DecideAfter: the decision again with the reply's signals; a refusal replaces the draft;
5. RepairWording: a paraphrased span snapped to the documents' words, an answer that
   only echoes the question replaced by the evidence sentence (rag.answering.wording);
6. Cite: each sentence pointed at a passage that supports it, the citations resolved
   with their supporting spans (rag.answering.citations); an answer no passage supports
   is refused, not shown citing nothing;
7. Verify: the model asked, in a prompt of its own, whether the cited passages state the
   final answer (rag.answering.check); the decision once more with its reply.

A stage that refuses ends the run. The streamed tokens are the raw reply; Answer.text
is the checked result and may differ. Front ends show Answer.text once it arrives.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields

from ..errors import ConfigError
from ..types import Answer, Hit, StreamEvent
from . import refusal, selection as sentences
from .generators.base import Generator
from .stages import Cite, DecideAfter, DecideBefore, RepairWording, Respond, SelectEvidence, Stage, Verify
from .stages import evidence_items
from .stages import render_evidence
from .state import INPUTS, AnswerState, AskOptions, numbered_passages

_STATE_FIELDS = frozenset(f.name for f in fields(AnswerState))


class Pipeline:
    """An ordered list of stages. Built once; a stage that reads a field no earlier stage
    fills (or that is not an AnswerState field) is refused here."""

    def __init__(self, stages: Sequence[Stage]):
        stages = tuple(stages)
        if not stages:
            raise ConfigError("A Pipeline needs at least one stage.")
        filled = set(INPUTS)
        for stage in stages:
            if not isinstance(stage, Stage):
                raise ConfigError(f"Pipeline stages must be rag.answering.stages.Stage objects (got {stage!r}).")
            unknown = (stage.needs | stage.gives) - _STATE_FIELDS
            if unknown:
                raise ConfigError(f"Stage {stage!r} names fields AnswerState does not have: {', '.join(sorted(unknown))}.")
            missing = stage.needs - filled
            if missing:
                raise ConfigError(f"Stage {stage!r} reads {', '.join(sorted(missing))}, which no stage before it "
                                  "fills; put the stage that gives them first.")
            filled |= stage.gives
        self.stages = stages

    def replaced(self, kind: type[Stage], stage: Stage) -> "Pipeline":
        """The same pipeline with the stage of this kind replaced by `stage`."""
        if not any(isinstance(s, kind) for s in self.stages):
            raise ConfigError(f"This pipeline has no {kind.__name__} stage to replace.")
        return Pipeline([stage if isinstance(s, kind) else s for s in self.stages])

    def stream(self, state: AnswerState) -> Iterator[StreamEvent]:
        """Every stage's events in order, then the "answer" event."""
        for stage in self.stages:
            state = yield from stage.stream(state)
            if state.finished:
                break
        yield StreamEvent("answer", answer=to_answer(state))

    def run(self, state: AnswerState) -> AnswerState:
        for stage in self.stages:
            state = stage.run(state)
            if state.finished:
                break
        return state


DEFAULT = Pipeline([SelectEvidence(), DecideBefore(), Respond(), DecideAfter(), RepairWording(), Cite(), Verify()])
# settings.check_answers = false: no answer check; the decision reads its training mean
UNCHECKED = Pipeline([SelectEvidence(), DecideBefore(), Respond(), DecideAfter(check_follows=False), RepairWording(),
                      Cite()])


def to_answer(state: AnswerState) -> Answer:
    return Answer(
        text=state.text,
        refused=state.finished,
        citations=state.citations,
        hits=state.hits,
        notes=tuple(state.notes),
        timings=state.timings,
        question=state.question,
        generator=state.generator.name,
        evidence=evidence_items(state),
        refusal=state.refusal,
        signals=state.signals.rounded(),
        p_no_answer=round(state.p_no_answer(), 4),
    )


def answer_stream(
    question: str,
    hits: Sequence[Hit],
    generator: Generator,
    options: AskOptions,
    *,
    embedder=None,
    weights: sentences.UnitWeights = sentences.UNIFORM,
    decision: refusal.Decision | None = None,
    wait_turn: Callable[[], Iterator[StreamEvent]] | None = None,
    pipeline: Pipeline = DEFAULT,
    cancel: threading.Event | None = None,
    search_text: str = "",
) -> Iterator[StreamEvent]:
    """`wait_turn`, if given, is run just before the responder: it yields "queue" events
    until this caller may generate (rag.answering.model_line); nothing before it waits for
    other callers. `pipeline`: another stage list (DEFAULT.replaced(Respond, ...)).
    `cancel`: an event another thread sets to end the model's generation at once.
    `search_text`: what the hits were retrieved for, when not the question itself (an
    English question's Chinese rendering): the evidence is ranked against it."""
    # the decision fitted for this kind of generator (a model and the extractive picker give
    # the signals different meanings), as the Assistant picks it
    chosen = decision or refusal.load_decision(refusal.decision_key(generator.is_language_model))
    if embedder is None:
        # no embedder, no cosine (dense_best stays 0): the decision reads its embedding signals
        # as their training means, as for another embedder than the one it was fitted with
        chosen = chosen.for_embedder("")
    state = AnswerState.start(question, hits, generator, options, decision=chosen,
                              embedder=embedder, weights=weights, wait_turn=wait_turn, cancel=cancel,
                              search_text=search_text)
    yield from pipeline.stream(state)


__all__ = ["AskOptions", "DEFAULT", "Pipeline", "answer_stream", "numbered_passages", "render_evidence", "to_answer"]
