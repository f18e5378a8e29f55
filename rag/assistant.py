"""The facade: the one object the CLI, the UI and the eval runner use.

    a = Assistant.load()               # settings from defaults/rag.toml/env; index built if missing
    a.retrieve("问题", k=5)            # list[Hit]
    a.ask("问题")                      # Answer
    for ev in a.ask_stream("问题"):    # StreamEvent: status*, token*, then one "answer"
        ...
"""
from __future__ import annotations

import logging
import threading
import time
from collections import abc
from collections.abc import Iterator, Sequence
from dataclasses import replace

from .config import Settings, call_options
from .retrieval.embedders import Embedder, make_embedder
from .errors import BackendUnavailableError, IndexError_, InputError
from .answering.model_line import Gate
from .answering.generators import Generator, make_generator
from .answering.pipeline import AskOptions
from .library import DocumentsMixin, recover_uploads  # noqa: F401  (recover_uploads: re-exported)
from .retrieval.index import HybridIndex, open_index
from .answering.refusal import decision_key, load_decision
from .answering.selection import UnitWeights
from .text.script import has_cjk
from .types import Answer, Hit, StreamEvent

log = logging.getLogger(__name__)

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


class Assistant(DocumentsMixin):
    def __init__(self, settings: Settings, index: HybridIndex, embedder: Embedder):
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self._generators: dict[str, Generator] = {}
        self._gen_lock = threading.Lock()  # guards the caches here, not generation itself
        self._weights: tuple[HybridIndex, UnitWeights] | None = None
        self._chinese: tuple[HybridIndex, bool] | None = None
        self._gates: dict[str, Gate] = {}  # the line for each generator (rag.answering.model_line)
        self._index_lock = threading.Lock()  # one reload at a time
        self._index_checked = time.monotonic()
        self._docs_lock = threading.Lock()  # one add or remove of documents at a time
        self._rebuilding = False  # an add or remove is rebuilding the index files now
        # the answer-or-refuse decisions (rag.answering.refusal), by kind of generator; replaceable
        self.decisions = {kind: load_decision(kind).for_embedder(settings.embedder) for kind in ("language_model", "no_model")}

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
        recover_uploads(settings)
        embedder = make_embedder(settings.embedder, settings)
        index = open_index(settings, embedder, progress=progress, log=log)
        return cls(settings, index, embedder)

    def warm_up(self, generator: str | None = None, *, embed_missing: bool = True, progress=None) -> None:
        """Do now what the first question would otherwise wait for: lazy loads in
        retrieval, the vectors of every corpus sentence (kept in a file beside the
        index, so only new sentences are embedded), and, if named, a generator's model
        with its fixed prompt prefix evaluated."""
        from .retrieval import sentence_vectors as relevance
        from .answering import selection as sentences

        self.retrieve("预热", k=1)  # loads whatever the lexical side and the embedder load lazily
        if self.settings.translate_terms:
            self.index.glossary.table  # the dictionary, read now rather than at the first English question
            self.index.pinyin_names.warm()  # the syllable table and the joined corpus, likewise
        relevance.warm(self.embedder, sentences.corpus_units(self.index.chunks), self.settings.index_path,
                       embed_missing=embed_missing, progress=progress)
        if generator:
            gen = self.generator(generator)
            gen.warm_up()
            if gen.is_language_model:
                # evaluate the fixed prompt prefix now; every answer reuses it
                from .answering import prompts

                messages = prompts.build_messages("你好", [(1, "", "你好。")], english=False)
                slots = gen.concurrency or 1
                if slots == 1:
                    gen.complete(messages, max_tokens=1)
                else:  # a server with several slots: each gets the prefix, in parallel
                    workers = [threading.Thread(target=gen.complete, args=(messages,), kwargs={"max_tokens": 1},
                                                daemon=True) for _ in range(slots)]
                    for w in workers:
                        w.start()
                    for w in workers:
                        w.join()
                checker = gen.checker()
                if self.settings.check_answers and checker is not gen and checker.supports_probe:
                    # the answer check's own context (rag.answering.check): loaded and its
                    # system prompt evaluated now, not after the first answer
                    from .answering import check

                    checker.complete(check.check_messages("你好", "你好。", [(1, "你好。")], {1: ""}), max_tokens=1)

    # ------------------------------------------------------------------ shared index
    def refresh(self, force: bool = False) -> bool:
        """Reload the index if another process wrote a new one since it was loaded: several
        `rag serve` workers share one index (a folder, or a Milvus collection) and each sees
        a document indexed through another without a restart. Checked at most every
        settings.index_check_seconds; a damaged or half-written new index is ignored until
        it verifies (the one in memory keeps serving). True when it reloaded."""
        every = self.settings.index_check_seconds
        index = self.index
        store = getattr(index, "store", None)
        if store is None or self._rebuilding or (
                not force and (every <= 0 or time.monotonic() - self._index_checked < every)):
            return False
        with self._index_lock:
            self._index_checked = time.monotonic()
            if self.index is not index:  # another thread reloaded meanwhile
                return True
            try:
                if store.version() == index.version:
                    return False
                fresh = HybridIndex.load(store.index_dir, self.embedder, self.settings)
            except (IndexError_, BackendUnavailableError) as e:  # half-written, or the server is away
                log.warning("a new index in %s is not usable yet (%s); keeping the loaded one", store.location, e)
                return False
            self.index = fresh
            return True

    # ------------------------------------------------------------------ retrieval
    def check_question(self, question: str) -> str:
        return check_question(question, self.settings)

    def retrieve(self, question: str, k: int | None = None, *, mode: str | None = None,
                 timings: dict | None = None) -> list[Hit]:
        """Top-k passages for the question; `timings`, if given, gets embed/dense/bm25 seconds."""
        q = self.check_question(question)
        chosen = call_options(self.settings, k=k, retrieval=mode or None)
        k, mode = chosen["k"], chosen["retrieval"]
        self.refresh()
        try:
            return self.index.search(q, k=k, mode=mode, timings=timings)
        except IndexError_:
            # the store dropped what this worker had loaded (rebuilt twice by another one)
            if not self.refresh(force=True):
                raise
            return self.index.search(q, k=k, mode=mode, timings=timings)

    # ------------------------------------------------------------------ generation
    def generator(self, name: str | None = None) -> Generator:
        """The loaded generator of that name (default from settings), created once and reused."""
        name = name or self.settings.generator
        with self._gen_lock:
            if name not in self._generators:
                gen = make_generator(name, self.settings)
                gen.use_embedder(self.embedder)  # backends that rank text share the loaded embedder
                self._generators[name] = gen
            return self._generators[name]

    def gate(self, name: str | None = None) -> Gate:
        """The line for the named generator: settings.generation_slots at once, or the
        backend's own default (Generator.concurrency) when that setting is 0."""
        name = name or self.settings.generator
        gen = self.generator(name)
        with self._gen_lock:
            if name not in self._gates:
                self._gates[name] = Gate(self.settings.generation_slots or gen.concurrency)
            return self._gates[name]

    def register_generator(self, generator: Generator, name: str | None = None) -> None:
        """Use an already-built generator under a name (tests, or a caller's own backend)."""
        with self._gen_lock:
            self._generators[name or generator.name] = generator

    def options(
        self,
        *,
        k: int | None = None,
        retrieval: str | None = None,
        generator: str | None = None,
        context_chars: int | None = None,
    ) -> AskOptions:
        """The per-call options: the caller's values where given, the settings' otherwise,
        checked once here (rag.config.call_options) so nothing downstream re-decides them."""
        return AskOptions.from_settings(self.settings, k=k, retrieval=retrieval or None, generator=generator or None,
                                        context_chars=context_chars)

    @property
    def corpus_is_chinese(self) -> bool:
        """Are most indexed passages Chinese (so an English question is worth rendering in
        Chinese before searching)? Read once per loaded index."""
        cached = self._chinese
        if cached is None or cached[0] is not self.index:
            chunks = list(self.index.chunks)
            share = sum(has_cjk(c.text) for c in chunks) / len(chunks) if chunks else 0.0
            cached = self._chinese = (self.index, share >= 0.5)
        return cached[1]

    @property
    def unit_weights(self) -> UnitWeights:
        """IDF of comparison units over the indexed passages, computed once per index."""
        with self._gen_lock:
            if self._weights is None or self._weights[0] is not self.index:
                self._weights = (self.index, UnitWeights((c.text for c in self.index.chunks), self.index.glossary))
            return self._weights[1]

    def ask(self, question: str, **kwargs) -> Answer:
        final = None
        for event in self.ask_stream(question, **kwargs):
            if event.kind == "answer":
                final = event.answer
        assert final is not None  # ask_stream always ends with an answer event
        return final

    def rendered_search(self, question: str, rendered: str) -> str:
        """What an English question is searched and its evidence ranked with, given the
        model's Chinese rendering of it (rag.answering.translate)."""
        if not self.settings.translate_terms:
            return rendered
        # the rendering guesses the characters of a name given in pinyin (白羽峰 for
        # "Bai Yuefeng"); the corpus' own spellings go with it into the search and the
        # ranking of evidence (rag.retrieval.pinyin), unless it already wrote one of them
        # (嘉兴 for "Jiaxing" needs no 加行 beside it)
        spelled = [w for found in self.index.pinyin_spellings(question)
                   if not any(w in rendered for w in found) for w in found]
        return " ".join([rendered, *dict.fromkeys(spelled)])

    def search_hits(self, question: str, search: str, opts: AskOptions, timings: dict | None = None) -> list[Hit]:
        """The passages a question is answered from: those found for `search`, or, when it
        is another text than the question (a rendering), both searches fused."""
        from .answering import translate

        if search == question:
            return self.retrieve(search, k=opts.k, mode=opts.retrieval, timings=timings)
        depth = max(opts.k, translate.FUSION_DEPTH)
        return translate.fuse(self.retrieve(question, k=depth, mode=opts.retrieval, timings=timings),
                              self.retrieve(search, k=depth, mode=opts.retrieval, timings=timings), opts.k)

    def _search(self, question: str, gen: Generator, opts: AskOptions, timings: dict[str, float],
                wait_turn) -> abc.Generator[StreamEvent, None, tuple[str, list[Hit]]]:
        """The search step, ask_stream's and evidence_state's alike: an English question over a
        Chinese corpus rendered in Chinese by the model first (a model call: `wait_turn` queues
        for it, and a "status" event shows the rendering), then the passages found. Its value
        (`search, hits = yield from ...`) is the text searched and the hits."""
        from .answering import translate

        search = question
        if translate.wanted(question, gen, self.settings.translate_questions, self.corpus_is_chinese):
            # the rendering is a model call: it waits in line like an answer, and the turn is
            # kept for the answer (retrieval and evidence take milliseconds)
            yield from wait_turn()
            t_tr = time.perf_counter()
            rendered = translate.search_text(question, gen)  # cached per model and question
            timings["translate"] = time.perf_counter() - t_tr
            if rendered:
                yield StreamEvent("status", text=rendered)
                search = self.rendered_search(question, rendered)
        t1 = time.perf_counter()
        hits = self.search_hits(question, search, opts, timings)
        timings["retrieve"] = time.perf_counter() - t1
        return search, hits

    def evidence_state(self, question: str, *, generator: str | None = None):
        """What a question's answer would be made from, short of the model's reply: the
        answering state (rag.answering.state.AnswerState) once SelectEvidence has run, with
        its hits, every ranked sentence and the shown ones, as ask_stream builds it for this
        generator (no history; an English question through the model's rendering, which is
        a model call). For tools that measure the ranking (benchmarks/evidence_variants.py)."""
        from .answering.stages import SelectEvidence
        from .answering.state import AnswerState

        q = self.check_question(question)
        opts = self.options(generator=generator)
        gen = self.generator(opts.generator)
        steps = self._search(q, gen, opts, {}, wait_turn=lambda: iter(()))  # no queue: a tool's own process
        while True:
            try:
                next(steps)  # the rendering's status event: nobody to show it to
            except StopIteration as done:
                search, hits = done.value
                break
        state = AnswerState.start(q, hits, gen, opts, decision=self.decisions[decision_key(gen.is_language_model)],
                                  embedder=self.embedder, weights=self.unit_weights, search_text=search)
        return SelectEvidence().run(state)

    def ask_stream(
        self,
        question: str,
        *,
        history: History | None = None,
        k: int | None = None,
        generator: str | None = None,
        retrieval: str | None = None,
        context_chars: int | None = None,
        session: str | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        """Events: "status" (the rewritten question), "evidence" (the best passage
        sentences, before any model output), "token"s, then one "answer".

        `session`: who asks (a browser session): one session holds at most one of the
        model's slots at a time (rag.answering.model_line). `cancel`: an event another
        thread sets (a stop button) to end the model's generation at once, even while no
        piece is arriving, for a generator with supports_cancel."""
        from .answering import pipeline as answering, condense

        t0 = time.perf_counter()
        q = self.check_question(question)
        opts = self.options(k=k, retrieval=retrieval, generator=generator, context_chars=context_chars)
        gen = self.generator(opts.generator)
        standalone = q
        timings: dict[str, float] = {}
        gate = self.gate(opts.generator)
        ticket = None

        def wait_turn() -> Iterator[StreamEvent]:
            """Queue for the model; everything before this ran without waiting for anyone.
            Once admitted, the turn is held to the end: a second call returns at once."""
            nonlocal ticket
            if ticket is not None:
                return
            t_wait = time.perf_counter()
            ticket = gate.enter(owner=session)
            place = gate.position(ticket)
            while place:  # 0 = admitted
                yield StreamEvent("queue", text=f"{place} in line for the model", position=place)
                place = gate.moved(ticket, place, timeout=30.0)
            timings["queue_wait"] = time.perf_counter() - t_wait

        try:
            if history:
                past = list(history)
                if condense.asks_model(q, past, gen, self.settings):
                    # a model call too: it waits in line, and the turn is kept for the answer
                    yield from wait_turn()
                t_c = time.perf_counter()
                standalone = condense.condense_question(q, past, gen, self.settings)
                timings["condense"] = time.perf_counter() - t_c
                if standalone != q:
                    yield StreamEvent("status", text=standalone)
            search, hits = yield from self._search(standalone, gen, opts, timings, wait_turn)
            for event in answering.answer_stream(
                standalone, hits, gen, opts, embedder=self.embedder, weights=self.unit_weights,
                decision=self.decisions[decision_key(gen.is_language_model)], wait_turn=wait_turn, cancel=cancel,
                search_text=search, pipeline=answering.DEFAULT if self.settings.check_answers else answering.UNCHECKED,
            ):
                if event.kind == "evidence":
                    timings["first_visible"] = time.perf_counter() - t0
                if event.kind == "answer" and event.answer is not None:
                    a = event.answer
                    all_timings = {**timings, **a.timings, "total": time.perf_counter() - t0}
                    if search != standalone:
                        a = replace(a, notes=(f"searched in Chinese as: {search}",) + tuple(a.notes))
                    event = StreamEvent("answer", answer=replace(
                        a, hits=a.hits or tuple(hits), timings=all_timings, question=q,
                        standalone_question=standalone, generator=a.generator or gen.name,
                    ))
                yield event
        finally:  # also when the caller stops reading (a closed browser tab)
            if ticket is not None:
                gate.leave(ticket)
