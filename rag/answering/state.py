"""The one value the answering stages pass along (rag.answering.stages), and the per-call
options it carries.

A stage reads the fields earlier stages filled and fills its own; which ones, it
declares (`Stage.needs`, `Stage.gives`), so a stage list that reads a field nobody fills
is refused when it is built, not halfway through an answer.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields

from ..config import Settings, call_options
from ..ingest.corpus import reading_text
from ..types import Hit, Refusal, StreamEvent
from . import citations
from .generators.base import Generator
from .refusal import Decision
from .selection import UNIFORM, Passage, Scored, UnitWeights
from .signals import Signals
from ..text.measures import is_cjk


@dataclass(frozen=True)
class AskOptions:
    """Per-call options, resolved once by the facade from its settings and the caller's
    keywords, and passed down as one value."""

    k: int  # passages retrieved, all of them searched for evidence
    retrieval: str  # dense | bm25 | hybrid
    generator: str  # registry name
    context_chars: int  # characters of evidence sentences the model is shown (selection.budget_for)
    max_tokens: int
    temperature: float
    support_min_overlap: float
    # the evidence budget's other sizes, by the kind of question (rag.config documents them)
    context_chars_wide: int = Settings.context_chars_wide
    context_chars_one: int = Settings.context_chars_one
    context_sentences: int = Settings.context_sentences
    context_sentences_wide: int = Settings.context_sentences_wide
    context_sentences_one: int = Settings.context_sentences_one

    @classmethod
    def from_settings(cls, settings, **overrides) -> "AskOptions":
        """The settings' values, with the given ones instead (checked by rag.config.call_options)."""
        return cls(**call_options(settings, **overrides))


def numbered_passages(context: dict[int, Hit]) -> list[Passage]:
    """(n, section, text) of each numbered passage, as the answering step reads it."""
    return [(n, h.chunk.section, reading_text(h.chunk)) for n, h in context.items()]


@dataclass
class AnswerState:
    """Everything known about one answer so far. The inputs are set by `start`; each
    stage then fills the fields it `gives`."""

    # inputs
    question: str
    hits: tuple[Hit, ...]
    generator: Generator
    options: AskOptions
    decision: Decision
    embedder: object = None
    weights: UnitWeights = UNIFORM
    # run just before the responder: yields "queue" events until this caller may generate
    wait_turn: Callable[[], Iterator[StreamEvent]] | None = None
    # set from another thread (a stop button) to end the model's generation at once, for a
    # generator with supports_cancel
    cancel: threading.Event | None = None
    english: bool = False
    # what the evidence is ranked against: the question, or its Chinese rendering when an
    # English question was searched in Chinese (rag.answering.translate)
    search_text: str = ""
    context: dict[int, Hit] = field(default_factory=dict)  # passage number -> hit
    passages: list[Passage] = field(default_factory=list)  # (n, section, reading text)
    # filled by the stages
    ranked: list[Scored] = field(default_factory=list)  # every passage sentence, best first
    shown: list[Scored] = field(default_factory=list)  # the evidence the responder is shown
    signals: Signals = field(default_factory=Signals)
    reply: str = ""  # the responder's reply, then as the checks leave it
    usage: dict = field(default_factory=dict)  # the generator's last_usage after responding
    text: str = ""  # the final answer text (the refusal text when refused)
    citations: tuple = ()
    refusal: Refusal | None = None  # set by the stage that refuses; later stages are skipped
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def start(cls, question: str, hits: Sequence[Hit], generator: Generator, options: AskOptions, *,
              decision: Decision, embedder=None, weights: UnitWeights = UNIFORM,
              wait_turn: Callable[[], Iterator[StreamEvent]] | None = None,
              cancel: threading.Event | None = None, search_text: str = "") -> "AnswerState":
        context = citations.number_context(hits)
        return cls(question=question, hits=tuple(hits), generator=generator, options=options, decision=decision,
                   embedder=embedder, weights=weights, wait_turn=wait_turn, cancel=cancel, english=not is_cjk(question),
                   search_text=search_text or question, context=context, passages=numbered_passages(context))

    @property
    def finished(self) -> bool:
        """A stage has refused: the answer is decided."""
        return self.refusal is not None

    def p_no_answer(self) -> float:
        """The decision's probability that the documents hold no answer, from the signals
        measured so far (1.0 before any was: nothing was found)."""
        measured = self.signals.as_dict()
        return self.decision.probability(measured) if measured else 1.0

    def titles(self) -> dict[int, str]:
        """Each numbered passage's title, by number (shown to the model; read by cited_echo)."""
        return {n: h.chunk.section for n, h in self.context.items()}

    def passages_text(self) -> str:
        """Every retrieved passage with its title, as read (byline names included): what
        the question's names and the answer's echoed words are looked up in."""
        return " ".join(f"{h.chunk.section} {reading_text(h.chunk)}" for h in self.context.values())


# the fields `start` fills: what the first stage may read
INPUTS = frozenset({"question", "hits", "generator", "options", "decision", "embedder", "weights", "wait_turn", "cancel",
                    "english", "search_text", "context", "passages", "signals", "notes", "timings"})
