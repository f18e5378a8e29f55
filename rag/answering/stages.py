"""The answering stages, in the order a question meets them:

    SelectEvidence -> DecideBefore -> Respond -> DecideAfter -> RepairWording -> Cite -> Verify

Each is `run(state) -> state` over one AnswerState (rag.answering.state) and declares
the fields it reads (`needs`) and fills (`gives`); the Pipeline (rag.answering.pipeline)
checks the order when it is built. A stage that has something to show while it works
(the evidence, the reply's tokens, a place in the model's queue) overrides `stream`,
a generator of StreamEvents that returns the state, which the pipeline forwards.
Any stage can be replaced by another with the same needs and gives.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from ..errors import ConfigError
from ..text import variants
from ..text.measures import clipped
from ..types import EVIDENCE_SHOWN_FIRST, Evidence, Refusal, StreamEvent
from . import check, cite_rules, citations, prompts, refusal, selection as sentences, wording
from .responders import ExtractiveResponder, Responder, render, responder_for
from .review import figure_sentence, has_content, review_reply
from .refusal import CHECK_FEATURES
from .signals import Signals
from .state import AnswerState

_SNIPPET_CHARS = 60
UNSUPPORTED_DRAFT = 0.25  # draft_support under this: the draft's content is not from the passages


class Stage:
    needs: frozenset[str] = frozenset()
    gives: frozenset[str] = frozenset()

    def run(self, state: AnswerState) -> AnswerState:
        raise NotImplementedError

    def stream(self, state: AnswerState) -> Iterator[StreamEvent]:
        """The events this stage shows while it runs; returns the state. By default
        none: `run` alone."""
        return self.run(state)
        yield  # a generator, for `state = yield from stage.stream(state)`

    def __repr__(self) -> str:
        return type(self).__name__


class StreamingStage(Stage):
    """A stage whose work is its stream (the reply's tokens, a refusal's text): `run`
    drains it."""

    def run(self, state: AnswerState) -> AnswerState:
        for _ in self.stream(state):
            pass
        return state


def render_evidence(items: Sequence[Evidence]) -> str:
    """The evidence as one line of text with its markers: "sentence[1] sentence[3]"."""
    return " ".join(f"{e.text.rstrip()}[{e.n}]" for e in items)


def evidence_items(state: AnswerState) -> tuple[Evidence, ...]:
    """The shown sentences as the Answer's Evidence records."""
    return tuple(
        Evidence(n=s.n, chunk_id=state.context[s.n].chunk.id, text=s.text, section=state.context[s.n].chunk.section,
                 score=round(s.score, 4))
        for s in state.shown
    )


def evidence_reply(state: AnswerState, sentence: sentences.Scored | None = None) -> str:
    """The evidence as the answer: the given sentence, or by default what the extractive
    path would answer (ExtractiveResponder: the best ranked sentence, and a second one
    nearly as good), so that a model reply set aside is never worse than no model."""
    if sentence is not None:
        return render([sentence], state.english)
    picked = ExtractiveResponder().pick(state)
    return render(picked or [state.shown[0]], state.english)


def refusal_text(state: AnswerState, code: str = "", named: Sequence[str] = ()) -> str:
    """The refusal in the question's language and script (a question of no definite script:
    its passages'), pointing at the closest evidence sentence when it shares anything with
    the question. A rule of stage Cite that names what the documents lack (`named`: a false
    premise's figures, the thing asked about in place of another) has it said, and points at
    the sentence the answer was drawn from: it gives the documents' own figure, or shows what
    they are about."""
    # an English refusal has no script to choose and names nothing (the rules read Chinese questions)
    chinese = not state.english
    traditional = chinese and variants.TRADITIONAL == (
        variants.script_of(state.question) or variants.script_of("".join(s.text for s in state.shown)))
    named = tuple(named) if state.shown and chinese else ()
    figures = named if code == "false_premise" else ()
    subject = named[0] if named and not figures else ""
    best = state.shown[0] if state.shown else None
    if named:
        best = state.shown[refusal.drawn_from(state.text, [s.text for s in state.shown])]
    elif best is not None and best.lexical <= 0 and chinese:
        best = None
    section = state.context[best.n].chunk.section if best is not None and best.n in state.context else ""
    snippet = "" if best is None else clipped(best.text, _SNIPPET_CHARS)
    return prompts.refusal_text(state.english, section, snippet, traditional=traditional, figures=figures,
                                subject=subject)


def p_with_check(state: AnswerState, said_no: float) -> float:
    """The decision's probability were the answer checks (rag.answering.check) both to read
    `said_no`: 0 for confirming checks, 1 for a flat "no"."""
    return state.decision.probability({**state.signals.as_dict(), **{f: said_no for f in CHECK_FEATURES}})


def refuse(state: AnswerState, code: str, message: str, named: Sequence[str] = ()) -> Iterator[StreamEvent]:
    """Decide the answer as a refusal; its text goes out as one "token" event."""
    state.text = refusal_text(state, code, named)  # reads the answer (the sentence it was drawn from) before replacing it
    state.citations = ()  # a refusal cites nothing (Verify refuses after Cite)
    state.refusal = Refusal(code, message, round(state.p_no_answer(), 4), state.signals.rounded())
    yield StreamEvent("token", text=state.text)


class SelectEvidence(Stage):
    """Every sentence of the passages ranked (rag.answering.selection); the best ones
    within the evidence budget are what the responder is shown. The first of them go to
    the caller at once, before any model work."""

    needs = frozenset({"question", "search_text", "passages", "embedder", "weights", "options"})
    gives = frozenset({"ranked", "shown"})

    def run(self, state: AnswerState) -> AnswerState:
        t0 = time.perf_counter()
        # ranked against what was searched (an English question's Chinese rendering, if any)
        state.ranked = sentences.rank(state.search_text, state.passages, embedder=state.embedder, weights=state.weights)
        budget = sentences.budget_for(state.question, state.options)  # sized to what the question asks
        state.shown = sentences.select(state.ranked, budget.chars, question=state.search_text,
                                       max_sentences=budget.sentences)
        state.timings["evidence"] = time.perf_counter() - t0
        return state

    def stream(self, state: AnswerState) -> Iterator[StreamEvent]:
        state = self.run(state)
        if not state.shown:
            yield from refuse(state, "no_passages", "no passage was retrieved for the question")
            return state
        first = evidence_items(state)[:EVIDENCE_SHOWN_FIRST]
        yield StreamEvent("evidence", text=render_evidence(first), evidence=first)
        return state


class DecideBefore(Stage):
    """The decision from the evidence alone: when no reply could make the documents hold
    the answer, refuse without running the model."""

    needs = frozenset({"ranked", "shown", "decision", "search_text", "context"})
    gives = frozenset({"signals"})

    def run(self, state: AnswerState) -> AnswerState:
        measured = refusal.context_signals(state.question, state.ranked, state.shown, state.weights,
                                           state.passages_text(), search_text=state.search_text,
                                           titles=list(state.titles().values()))
        state.signals = state.signals.merged(measured)
        return state

    def stream(self, state: AnswerState) -> Iterator[StreamEvent]:
        state = self.run(state)
        lowest, _ = state.decision.bounds(state.signals)
        if lowest >= state.decision.threshold:
            state.notes.append(f"refused before generating: P(no answer) is at least {lowest:.2f} whatever the model says")
            yield from refuse(state, "not_in_documents", "the passages do not hold what the question asks for")
        return state


class Respond(StreamingStage):
    """The responder's reply, streamed as "token" events; before it, the caller's turn
    for the model ("queue" events, rag.answering.model_line). `responder` None: the one
    the state's generator calls for (responders.responder_for)."""

    needs = frozenset({"shown", "generator", "options"})
    gives = frozenset({"reply", "usage"})

    def __init__(self, responder: Responder | None = None):
        if responder is not None and not isinstance(responder, Responder):
            raise ConfigError(f"Respond needs a rag.answering.responders.Responder (got {type(responder).__name__}).")
        self.responder = responder

    def stream(self, state: AnswerState) -> Iterator[StreamEvent]:
        responder = self.responder or responder_for(state.generator)
        if state.wait_turn is not None:
            yield from state.wait_turn()
        pieces: list[str] = []
        t_gen = time.perf_counter()
        t_first = None
        for piece in responder.stream(state):
            if not piece:
                continue
            if t_first is None:
                t_first = time.perf_counter()
            pieces.append(piece)
            yield StreamEvent("token", text=piece)
        t_end = time.perf_counter()
        state.reply = "".join(pieces).strip()
        n_tokens = int(state.usage.get("completion_tokens") or len(pieces))
        state.timings["first_token"] = (t_first or t_end) - t_gen
        state.timings["generate"] = t_end - t_gen
        state.timings["answer_tokens"] = float(n_tokens)
        decode = t_end - (t_first or t_end)
        state.timings["tokens_per_s"] = (n_tokens - 1) / decode if n_tokens > 1 and decode > 0 else 0.0
        return state


class DecideAfter(StreamingStage):
    """The decision again, with the reply's signals (rag.answering.review). A refusal
    replaces the draft; when the documents hold the answer but the model declined or
    wrote what the passages do not hold, the best evidence sentence is the answer."""

    needs = frozenset({"reply", "usage", "signals", "shown"})
    gives = frozenset({"reply", "signals"})

    def __init__(self, *, check_follows: bool = True):
        # a Verify stage comes later (the default pipeline): refuse here only what even a
        # confirming check could not save; it decides the rest once the check is measured
        self.check_follows = check_follows

    def p_no_answer(self, state: AnswerState) -> float:
        if self.check_follows and state.generator.is_language_model and state.generator.checker().supports_probe:
            return p_with_check(state, 0.0)
        return state.p_no_answer()

    def stream(self, state: AnswerState) -> Iterator[StreamEvent]:
        t_check = time.perf_counter()
        lm = state.generator.is_language_model
        state.reply, reviewed, notes = review_reply(state, state.reply, probe=state.usage.get("probe"))
        state.signals = state.signals.merged(reviewed)
        state.notes.extend(notes)
        state.timings["check"] = time.perf_counter() - t_check
        support = state.signals.draft_support
        if self.p_no_answer(state) >= state.decision.threshold:
            if prompts.is_refusal_reply(state.reply):
                yield from refuse(state, "model_declined", "the model found no answer in the passages")
            elif (1.0 if support is None else support) < 0.5:
                yield from refuse(state, "unsupported_answer", "the draft answer is not backed by the passages")
            else:
                yield from refuse(state, "not_in_documents", "the passages do not hold what the question asks for")
            return state
        if prompts.is_refusal_reply(state.reply):
            # the decision overrules the model: answer with the evidence it was shown
            state.notes.append("the model declined, but the evidence holds the question's terms; answering with it")
            state.reply = evidence_reply(state)
        elif lm and (1.0 if support is None else support) < UNSUPPORTED_DRAFT:
            # the documents hold the answer, but the draft's words are not from them (a small
            # model may echo its worked examples): the evidence sentence is the safer answer
            state.notes.append(f"the model's answer {state.reply[:40]!r} is not in the passages; "
                               "answering with the best evidence sentence")
            state.reply = evidence_reply(state)
        elif lm and (figure := figure_sentence(state.question, state.reply, state.shown)) is not None:
            # after the decision, which read the draft: a draft without the asked figure is a
            # sign the documents do not hold it, and the repair should not hide that sign
            state.notes.append("the question asks for a figure and the model's answer gives none; "
                               "answering with the sentence that gives one")
            state.reply = evidence_reply(state, figure)
        return state


class RepairWording(Stage):
    """The documents' own words for a paraphrased span; the evidence sentence for a
    model's answer that only echoes the question; the clause a bare span stands in
    (rag.answering.wording)."""

    needs = frozenset({"reply", "shown"})
    gives = frozenset({"reply"})

    def run(self, state: AnswerState) -> AnswerState:
        t0 = time.perf_counter()
        state.reply, notes = wording.shape(state.reply, state.question, [s.text for s in state.shown])
        state.notes.extend(notes)
        if state.generator.is_language_model and wording.is_echo(state.reply, state.question):
            state.notes.append(f"the answer {state.reply!r} only repeats the question; answering with the best evidence sentence")
            state.reply = evidence_reply(state)
        else:
            state.reply, notes = wording.give_clause(state.reply, state.question, [s.text for s in state.shown])
            state.notes.extend(notes)
        trimmed = wording.drop_dangling_opener(state.reply)
        if trimmed != state.reply:
            state.notes.append("dropped the opening mark the answer ended on (its sentence was cut inside a bracket)")
            state.reply = trimmed
        state.timings["check"] = state.timings.get("check", 0.0) + time.perf_counter() - t0
        return state


class Cite(StreamingStage):
    """Every sentence of the answer pointed at a passage that supports it, and the
    citations resolved with their supporting spans (rag.answering.citations). An answer
    that no shown passage supports, so that it would go out citing nothing, is refused
    instead: every answer cites what it rests on (a small model can join words from
    several passages into a claim none of them makes, "教协会长冯伟华" becoming the head of
    another association). So is an answer one of rag.answering.cite_rules refuses: a figure
    question no shown sentence can answer, a false premise by figure ("1944年…" asked,
    "1934年…" written), a passage on another thing of the kind asked about (交叉笛鲷 asked,
    火斑笛鲷 cited). Under a decision that records every signal (a collection for the fit),
    those rules are noted and the answer goes on to be checked: the decision is fitted as if
    they did not exist."""

    needs = frozenset({"question", "reply", "context", "embedder", "options", "signals", "decision"})
    gives = frozenset({"text", "citations"})

    def stream(self, state: AnswerState) -> Iterator[StreamEvent]:
        state = self.cite(state)
        if not state.citations and has_content(state.text):
            yield from refuse(state, "unsupported_answer", "no passage supports the answer, so it could cite none")
        elif (ruled := self.rule_refusal(state)) is not None:
            if state.decision.meta.get("record_all"):
                state.notes.append(f"stage Cite would refuse this ({ruled.code}: {ruled.reason}); recorded whole for the fit")
            else:
                yield from refuse(state, ruled.code, ruled.reason, ruled.named)
        return state

    @staticmethod
    def rule_refusal(state: AnswerState) -> cite_rules.RuleRefusal | None:
        cited = dict.fromkeys(c.section for c in state.citations)  # each cited passage's title
        return cite_rules.rule_refusal(state.question, state.text, [(s.n, s.text) for s in state.shown],
                                       state.titles(), [state.passages_text()], cited)

    def cite(self, state: AnswerState) -> AnswerState:
        t0 = time.perf_counter()
        min_support = state.options.support_min_overlap
        text = citations.drop_invalid_markers(state.reply, list(state.context))
        text, notes = citations.repair(text, state.context, embedder=state.embedder, min_support=min_support,
                                      question=state.question)
        state.notes.extend(notes)
        cites, notes = citations.resolve(text, state.context, embedder=state.embedder, min_support=min_support)
        state.notes.extend(notes)
        state.text, state.citations = text, tuple(cites)
        state.timings["check"] = state.timings.get("check", 0.0) + time.perf_counter() - t0
        return state


CHECKING_TEXT = "正在核对答案与引用的原文… · Checking the answer against the passages it cites…"


class Verify(StreamingStage):
    """The model's own check of the final answer (rag.answering.check), then the decision
    once more with it: an answer the model, asked afterwards, does not find stated in the
    passages it cites is refused. Only a language model's answer is checked (the extractive
    one is copied from the passages); the check runs on the generator's `checker()`."""

    needs = frozenset({"question", "text", "shown", "context", "generator", "signals", "decision"})
    gives = frozenset({"signals", "text", "citations"})

    def stream(self, state: AnswerState) -> Iterator[StreamEvent]:
        if not state.generator.is_language_model or (state.cancel is not None and state.cancel.is_set()):
            return state  # nothing a model wrote, or a stopped answer: nothing to check
        if p_with_check(state, 1.0) < state.decision.threshold and not state.decision.meta.get("record_all"):
            return state  # not even a flat "no" would make the decision refuse: no need to ask
        if check.misreads(state.question, state.text):
            # a "no" to a yes/no question: the decision goes without the checks, as for a backend
            # that reports no probabilities (their training means)
            state.notes.append("a yes/no question answered no: the answer check misreads a negative answer, "
                               "so it is not asked")
            return state
        # the answer is on screen: say why it is not final yet (about a second and a half here)
        yield StreamEvent("checking", text=CHECKING_TEXT)
        t0 = time.perf_counter()
        checker, shown, titles = state.generator.checker(), [(s.n, s.text) for s in state.shown], state.titles()
        measured = {"model_unverified": check.unverified(checker, state.question, state.text, shown, titles)}
        # the second check only where the decision reads it (a decision fitted before it did not)
        if state.decision.weights.get("model_unanswered") or state.decision.meta.get("record_all"):
            # asked after the first: both prompts open alike, so the model reads it from its cached prefix
            measured["model_unanswered"] = check.unanswered(checker, state.question, state.text, shown, titles)
        state.timings["verify"] = time.perf_counter() - t0
        measured = {f: v for f, v in measured.items() if v is not None}
        if not measured:
            return state
        state.signals = state.signals.merged(Signals(**measured))
        if state.p_no_answer() >= state.decision.threshold:
            yield from refuse(state, "not_verified", "asked afterwards, the model did not find its answer in the passages")
        return state
