"""The reply as the decision sees it: its signals (rag.answering.signals), and the two
fixes made before they are measured, for the DecideAfter stage."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..text import measures as evidence
from . import prompts, refusal, selection as sentences
from .responders import render
from .signals import Signals
from .state import AnswerState


def has_content(reply: str) -> bool:
    return bool(re.search(rf"[\w{evidence.IDEOGRAPHS}]", evidence.strip_markers(reply)))


def reply_signals(state: AnswerState, reply: str, probe: Mapping[str, float] | None) -> Signals:
    """The decision's signals from the reply: the model's draft, or the extractive pick."""
    question = state.question
    titles = state.titles()
    if state.generator.is_language_model:
        by_n = {n: f"{h.chunk.section} {h.chunk.author} {h.chunk.text}" for n, h in state.context.items()}
        return refusal.draft_signals(question, reply, state.shown, probe, state.weights, state.passages_text(), by_n,
                                     titles)
    texts = " ".join(h.chunk.text for h in state.context.values())
    # the pick is the best sentence: its focus is the best sentence's lexical share
    return refusal.extractive_signals().merged(Signals(
        draft_focus=state.signals.lex_best,
        draft_lacks_asked=refusal.draft_lacks_asked(question, reply, texts),
        cited_echo=refusal.cited_echo(question, reply, state.shown, titles),
        # the pick copies its names from the passage it cites: only the figures can be missing
        subject_missing=refusal.figures_missing(question, reply, [(s.n, s.text) for s in state.shown], titles),
    ))


def name_repair(question: str, reply: str, shown: Sequence[sentences.Scored]) -> tuple[str, str | None]:
    """A question that asks for a name outright (evidence.asks_name_outright), answered
    without one ("作者是谁？" -> the author's affiliation), is answered with the best shown
    sentence that does name someone, if any: (reply, note) with note None when nothing changed."""
    if not evidence.asks_name_outright(question) or refusal.answers_name(question, reply) or prompts.is_refusal_reply(reply):
        return reply, None
    named = next((s for s in shown if evidence.person_names(s.text)), None)
    if named is None:
        return reply, None
    return (render([named], not evidence.is_cjk(question)),
            "the question wants a name and the model gave none; answering with the sentence that names it")


def figure_sentence(question: str, reply: str, shown: Sequence[sentences.Scored]) -> sentences.Scored | None:
    """The best-ranked shown sentence that gives the figure a question asks for, when the reply
    gives none (refusal.answers_figure: a figure from the passages, in the unit the question
    names): "钩鼻海蛇的毒素烈度约为眼镜蛇的多少倍？" answered "约1.5毫克的钩鼻海蛇毒素已足以致命", the
    neighbouring sentence of the answer's own passage, where the shown "…约为眼镜蛇的四至八倍" gives
    it. None when the question asks for no figure, the reply gives one, or no sentence does."""
    if prompts.is_refusal_reply(reply):
        return None
    text = " ".join(s.text for s in shown)
    if refusal.answers_figure(question, reply, text):  # also when the question asks for no figure
        return None
    return next((s for s in shown if refusal.answers_figure(question, s.text, text)), None)


def review_reply(state: AnswerState, reply: str, probe: Mapping[str, float] | None = None
                 ) -> tuple[str, Signals, list[str]]:
    """(reply, its signals, notes): a model's nameless answer to a name question repaired
    (name_repair), and a bare marker ("[1]") replaced by the best evidence sentence."""
    notes: list[str] = []
    if state.generator.is_language_model:
        reply, note = name_repair(state.question, reply, state.shown)
        notes.extend([note] if note else [])
    signals = reply_signals(state, reply, probe)
    if not has_content(reply) and not prompts.is_refusal_reply(reply):
        notes.append(f"the model gave no answer text ({reply!r}); answering with the best evidence sentence")
        reply = render(state.shown[:1], state.english)
        signals = signals.merged(refusal.extractive_signals())
    return reply, signals, notes
