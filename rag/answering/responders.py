"""Responders: what the respond stage (rag.answering.stages.Respond) runs to get a reply.

- ModelResponder: a language model's reply to the prompt (the fixed prefix + the
  selected evidence, rag.answering.prompts), streamed piece by piece;
- ExtractiveResponder: no model at all. It answers with the best passage sentences
  verbatim, each closed by its [n]: instant, deterministic, never invents anything.

A responder yields text pieces and may record what it measured on the state (the
prompt's length, the model's usage); the stage around it times it, forwards the pieces
as "token" events and keeps the reply.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from ..errors import ConfigError
from . import prompts, selection as sentences
from .state import AnswerState

# A second sentence is added when it scores at least this share of the best one:
# questions such as "分别..." or "which two..." are often answered across two sentences.
SECOND_SENTENCE_RATIO = 0.8


def render(picked: Sequence[sentences.Scored], english: bool) -> str:
    """Sentences as an answer, in passage order, each closed by its [n]."""
    text = "".join(f"{s.text.rstrip('。；;')}[{s.n}]。" for s in sorted(picked, key=lambda s: s.n))
    return prompts.EXTRACTIVE_EN_LEAD + text if english and text else text


class Responder(ABC):
    @abstractmethod
    def stream(self, state: AnswerState) -> Iterator[str]:
        """The reply, piece by piece."""


class ModelResponder(Responder):
    """The state's generator, prompted with the evidence it is shown (or, for a backend
    whose context_unit is "passages", the whole passages)."""

    def stream(self, state: AnswerState) -> Iterator[str]:
        gen = state.generator
        if gen.context_unit == "passages":
            shown = state.passages
        else:
            ordered = sentences.in_reading_order(state.shown)
            shown = prompts.shown_lines([(s.n, s.text) for s in ordered], state.titles())
        # the search text is shown beside an English question when it is a rendering (prompts.user_turn)
        messages = prompts.build_messages(state.question, shown, state.english, state.search_text)
        state.timings["prompt_chars"] = float(len(messages[-1]["content"]))
        extra: dict = {}
        if gen.supports_probe:
            extra["probe"] = [prompts.NO_ANSWER]
        if gen.supports_cancel and state.cancel is not None:
            extra["cancel"] = state.cancel
        yield from gen.stream(messages, max_tokens=state.options.max_tokens, temperature=state.options.temperature,
                              **extra)
        state.usage = gen.last_usage or {}


class ExtractiveResponder(Responder):
    """The best sentence, and a second one scoring at least SECOND_SENTENCE_RATIO of it,
    taken from the pipeline's own ranking (`state.ranked`): what the model would be shown
    first is what the extractive answer says. There is no second ranking (the extractive
    generator used to rank the passages again with other weights)."""

    def __init__(self, *, limit: int = 2):
        if not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"ExtractiveResponder limit must be a whole number of at least 1 (got {limit!r}).")
        self.limit = limit

    def stream(self, state: AnswerState) -> Iterator[str]:
        text = render(self.pick(state), state.english)
        if text:
            yield text

    def pick(self, state: AnswerState) -> list[sentences.Scored]:
        """The picked sentences, best first, each cut to its best clauses when long."""
        ranked = state.ranked
        if not ranked:
            return []
        best = ranked[0]
        picked = [best]
        for cand in ranked[1:]:
            if len(picked) >= self.limit:
                break
            if best.score > 0 and cand.score >= SECOND_SENTENCE_RATIO * best.score and cand.text != best.text:
                picked.append(cand)
        return [sentences.Scored(p.score, p.n, p.index, sentences.shorten(p.text, state.question), p.lexical, p.dense)
                for p in picked]


def extractive_pick(state: AnswerState) -> list[sentences.Scored]:
    """The sentences the extractive path answers with (and the model path falls back to)."""
    return ExtractiveResponder().pick(state)


def responder_for(generator) -> Responder:
    """A generator that is not a language model picks text from the passages: the
    extractive responder answers for it; any other is prompted."""
    return ModelResponder() if generator.is_language_model else ExtractiveResponder()
