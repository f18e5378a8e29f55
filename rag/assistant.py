"""The facade: the one object the CLI, the UI and the eval runner use.

    a = Assistant.load()               # settings from defaults/rag.toml/env; index built if missing
    a.retrieve("问题", k=5)            # list[Hit]
    a.ask("问题")                      # Answer
    for ev in a.ask_stream("问题"):    # StreamEvent: status*, token*, then one "answer"
        ...
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

from .config import Settings
from .embedders import Embedder, make_embedder
from .errors import ConfigError, InputError
from .generators import Generator, make_generator
from .index import HybridIndex, open_index
from .types import Answer, Hit, StreamEvent

History = Sequence[tuple[str, str]]  # (user message, assistant reply) pairs, oldest first


def check_question(question: str, settings: Settings) -> str:
    """The question with white space folded, or InputError when it is empty or too long.
    A module function so front ends can reject bad input before loading any model."""
    if not isinstance(question, str) or not question.strip():
        raise InputError("The question is empty. Type a question about the documents.")
    q = " ".join(question.split())
    if len(q) > settings.max_question_chars:
        raise InputError(
            f"The question is {len(q)} characters long; the limit is {settings.max_question_chars}. "
            "Shorten it or ask several questions."
        )
    return q


class Assistant:
    def __init__(self, settings: Settings, index: HybridIndex, embedder: Embedder):
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self._generators: dict[str, Generator] = {}
        self._gen_lock = threading.Lock()  # guards the cache above, not generation itself

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        *,
        progress: bool = False,
        log=None,
        **overrides,
    ) -> "Assistant":
        """Open the index under settings.index_dir, building or rebuilding it when it is
        missing or stale and settings.auto_rebuild is on (otherwise raise IndexError_)."""
        settings = (settings or Settings.load()).replace(**overrides) if overrides else (settings or Settings.load())
        embedder = make_embedder(settings.embedder, settings)
        index = open_index(settings, embedder, progress=progress, log=log)
        return cls(settings, index, embedder)

    # ------------------------------------------------------------------ retrieval
    def check_question(self, question: str) -> str:
        return check_question(question, self.settings)

    def retrieve(self, question: str, k: int | None = None, *, mode: str | None = None,
                 timings: dict | None = None) -> list[Hit]:
        """Top-k passages for the question; `timings`, if given, gets embed/dense/bm25 seconds."""
        q = self.check_question(question)
        k = self.settings.k if k is None else k
        if not isinstance(k, int) or k < 1:
            raise ConfigError(f"k must be a positive whole number (got {k!r}).")
        mode = mode or self.settings.retrieval
        return self.index.search(q, k=k, mode=mode, timings=timings)

    # ------------------------------------------------------------------ generation
    def generator(self, name: str | None = None) -> Generator:
        """The loaded generator of that name (default from settings), created once and reused."""
        name = name or self.settings.generator
        with self._gen_lock:
            if name not in self._generators:
                self._generators[name] = make_generator(name, self.settings)
            return self._generators[name]

    def register_generator(self, generator: Generator, name: str | None = None) -> None:
        """Use an already-built generator under a name (tests, or a caller's own backend)."""
        with self._gen_lock:
            self._generators[name or generator.name] = generator

    def ask(self, question: str, **kwargs) -> Answer:
        final = None
        for event in self.ask_stream(question, **kwargs):
            if event.kind == "answer":
                final = event.answer
        assert final is not None  # ask_stream always ends with an answer event
        return final

    def ask_stream(
        self,
        question: str,
        *,
        history: History | None = None,
        k: int | None = None,
        generator: str | None = None,
        retrieval: str | None = None,
    ) -> Iterator[StreamEvent]:
        from . import answering, condense  # late import: keeps `import rag` light

        t0 = time.perf_counter()
        q = self.check_question(question)
        gen = self.generator(generator)
        standalone = q
        timings: dict[str, float] = {}
        if history:
            standalone = condense.condense_question(q, list(history), gen, self.settings)
            timings["condense"] = time.perf_counter() - t0
            if standalone != q:
                yield StreamEvent("status", text=standalone)
        t1 = time.perf_counter()
        hits = self.retrieve(standalone, k=k or self.settings.k, mode=retrieval, timings=timings)
        timings["retrieve"] = time.perf_counter() - t1
        for event in answering.answer_stream(
            standalone, hits, gen, self.settings, embedder=self.embedder
        ):
            if event.kind == "answer" and event.answer is not None:
                a = event.answer
                all_timings = {**timings, **a.timings, "total": time.perf_counter() - t0}
                event = StreamEvent(
                    "answer",
                    answer=Answer(
                        text=a.text,
                        refused=a.refused,
                        citations=a.citations,
                        hits=a.hits or tuple(hits),
                        warnings=a.warnings,
                        timings=all_timings,
                        question=q,
                        standalone_question=standalone,
                        generator=a.generator or gen.name,
                    ),
                )
            yield event
