"""From retrieved passages to a cited, checked answer, streamed.

    for event in answer_stream(question, hits, generator, options, embedder=e, weights=w):
        event.kind == "evidence" -> first: the best passage sentences with their [n]
        event.kind == "token"    -> a piece of the model's reply, as it arrives
        event.kind == "answer"   -> last event: the final Answer

Steps:
1. evidence: every sentence of the retrieved passages is ranked (rag.answering.selection) and
   the best ones, within `context_chars`, are what the model is shown. The best of
   them go to the caller at once, before any model work: a user reads the source
   sentence within a second, and the model's short answer streams in after it;
2. the answer-or-refuse decision (rag.answering.refusal) from the evidence alone: when no model
   output could make the documents hold the answer, refuse without running the model;
3. stream the model's reply (the prompt is the fixed prefix + the selected sentences);
4. the decision again, now with the model's own signals (its probability of
   declining, the support of its draft). A refusal replaces the draft;
5. wording repaired (rag.answering.wording: a paraphrased span snapped to the documents' words,
   an answer that only echoes the question replaced by the evidence sentence);
6. citations repaired (each sentence pointed at a passage that supports it) and
   resolved with their supporting spans (rag.answering.citations).

The streamed tokens are the model's raw reply; Answer.text is the checked result and
may differ. Front ends show Answer.text once it arrives.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from . import citations, prompts, refusal, selection as sentences, wording as spans
from ..text import measures as evidence
from ..config import call_options
from ..ingest.corpus import reading_text
from .generators.base import Generator
from .generators.extractive import render
from ..types import Answer, Evidence, Hit, Refusal, StreamEvent

_SNIPPET_CHARS = 60
SHOW_FIRST = 2  # evidence sentences in the first event
UNSUPPORTED_DRAFT = 0.25  # draft_support under this: the draft's content is not from the passages


@dataclass(frozen=True)
class AskOptions:
    """Per-call options, resolved once by the facade from its settings and the caller's
    keywords, and passed down as one value."""

    k: int  # passages retrieved, all of them searched for evidence
    retrieval: str  # dense | bm25 | hybrid
    generator: str  # registry name
    context_chars: int  # characters of evidence sentences the model is shown
    max_tokens: int
    temperature: float
    support_min_overlap: float

    @classmethod
    def from_settings(cls, settings, **overrides) -> "AskOptions":
        """The settings' values, with the given ones instead (checked by rag.config.call_options)."""
        return cls(**call_options(settings, **overrides))


def render_evidence(items: Sequence[Evidence]) -> str:
    """The evidence as one line of text with its markers: "sentence[1] sentence[3]"."""
    return " ".join(f"{e.text.rstrip()}[{e.n}]" for e in items)


def _evidence(selected: Sequence[sentences.Scored], context: dict[int, Hit]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(n=s.n, chunk_id=context[s.n].chunk.id, text=s.text, section=context[s.n].chunk.section,
                 score=round(s.score, 4))
        for s in selected
    )


def _has_content(reply: str) -> bool:
    return bool(re.search(rf"[\w{evidence.IDEOGRAPHS}]", evidence.strip_markers(reply)))


def _sentence_reply(sentence: sentences.Scored, english: bool) -> str:
    """An evidence sentence as the answer, in the extractive generator's form."""
    return render([(sentence.score, sentence.n, sentence.text)], english)


def _evidence_reply(shown: Sequence[sentences.Scored], english: bool) -> str:
    """The best evidence sentence as the answer."""
    return _sentence_reply(shown[0], english)


def numbered_passages(context: dict[int, Hit]) -> list[sentences.Passage]:
    """(n, section, text) of each numbered passage, as the answering step reads it."""
    return [(n, h.chunk.section, reading_text(h.chunk)) for n, h in context.items()]


def _passages_text(context: dict[int, Hit]) -> str:
    """Every retrieved passage with its title, as read (byline names included): what the
    question's names and the answer's echoed words are looked up in."""
    return " ".join(f"{h.chunk.section} {reading_text(h.chunk)}" for h in context.values())


def pre_signals(question: str, context: dict[int, Hit], ranked: Sequence[sentences.Scored],
                shown: Sequence[sentences.Scored], weights: sentences.UnitWeights) -> dict[str, float]:
    """The decision's signals from the evidence alone (before any model output)."""
    return refusal.context_signals(question, ranked, shown, weights, _passages_text(context))


def reply_signals(question: str, reply: str, context: dict[int, Hit], shown: Sequence[sentences.Scored], *,
                  language_model: bool, probe: dict | None, weights: sentences.UnitWeights,
                  lex_best: float) -> dict[str, float]:
    """The decision's signals from the reply: the model's draft, or the extractive pick."""
    if language_model:
        by_n = {n: f"{h.chunk.section} {h.chunk.author} {h.chunk.text}" for n, h in context.items()}
        return refusal.draft_signals(question, reply, shown, probe, weights, _passages_text(context), by_n)
    texts = " ".join(h.chunk.text for h in context.values())
    return {**refusal.extractive_signals(), "draft_focus": lex_best,
            "draft_no_figure": 0.0 if refusal.answers_figure(question, reply, texts) else 1.0,
            "draft_no_name": 0.0 if refusal.answers_name(question, reply) else 1.0}


def name_repair(question: str, reply: str, shown: Sequence[sentences.Scored]) -> tuple[str, str | None]:
    """A question that wants a person's name, answered without one ("作者是谁？" -> the
    author's affiliation), is answered with the best shown sentence that does name someone,
    if any: (reply, note) with note None when nothing changed."""
    if not evidence.asks_name(question) or refusal.answers_name(question, reply) or prompts.is_refusal_reply(reply):
        return reply, None
    named = next((s for s in shown if evidence.person_names(s.text)), None)
    if named is None:
        return reply, None
    return (_sentence_reply(named, not evidence.is_cjk(question)),
            "the question wants a name and the model gave none; answering with the sentence that names it")


def review_reply(question: str, reply: str, context: dict[int, Hit], shown: Sequence[sentences.Scored], *,
                 language_model: bool, probe: dict | None, weights: sentences.UnitWeights,
                 lex_best: float) -> tuple[str, dict[str, float], list[str]]:
    """The reply as the decision sees it, with its signals and notes: a model's nameless
    answer to a name question repaired (name_repair), and a bare marker ("[1]") replaced by
    the best evidence sentence. One place for answer_stream and the refusal fit's recompute."""
    notes: list[str] = []
    if language_model:
        reply, note = name_repair(question, reply, shown)
        notes.extend([note] if note else [])
    signals = reply_signals(question, reply, context, shown, language_model=language_model, probe=probe,
                            weights=weights, lex_best=lex_best)
    if not _has_content(reply) and not prompts.is_refusal_reply(reply):
        notes.append(f"the model gave no answer text ({reply!r}); answering with the best evidence sentence")
        reply = _evidence_reply(shown, not evidence.is_cjk(question))
        signals.update(refusal.extractive_signals())
    return reply, signals, notes


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
) -> Iterator[StreamEvent]:
    """`wait_turn`, if given, is run just before the model: it yields "queue" events
    until this caller may generate (rag.answering.model_line); nothing before it waits for other callers."""
    decision = decision or refusal.load_decision()
    english = not evidence.is_cjk(question)
    context = citations.number_context(hits)
    passages = numbered_passages(context)
    timings: dict[str, float] = {}
    notes: list[str] = []
    shown: list[sentences.Scored] = []
    signals: dict[str, float] = {}

    def rounded() -> dict[str, float]:
        return {k: round(v, 4) for k, v in signals.items()}

    def finish(text: str, cites=(), refused: Refusal | None = None) -> StreamEvent:
        timings["p_no_answer"] = round(decision.probability(signals), 4) if signals else 1.0
        return StreamEvent(
            "answer",
            answer=Answer(
                text=text,
                refused=refused is not None,
                citations=tuple(cites),
                hits=tuple(hits),
                notes=tuple(notes),
                timings=timings,
                question=question,
                generator=generator.name,
                evidence=_evidence(shown, context),
                refusal=refused,
                signals=rounded(),
            ),
        )

    def refuse(code: str, message: str) -> Iterator[StreamEvent]:
        text = _refusal_text(question, shown, context)
        yield StreamEvent("token", text=text)
        p = decision.probability(signals) if signals else 1.0
        yield finish(text, refused=Refusal(code, message, round(p, 4), rounded()))

    # 1. evidence, shown before any model work
    t0 = time.perf_counter()
    ranked = sentences.rank(question, passages, embedder=embedder, weights=weights)
    shown = sentences.select(ranked, options.context_chars, question=question)
    timings["evidence"] = time.perf_counter() - t0
    if not shown:
        yield from refuse("no_passages", "no passage was retrieved for the question")
        return
    first = _evidence(shown[:SHOW_FIRST], context)
    yield StreamEvent("evidence", text=render_evidence(first), evidence=first)

    # 2. can anything the model says make the answer stand?
    signals.update(pre_signals(question, context, ranked, shown, weights))
    lowest, _ = decision.bounds(signals)
    if lowest >= decision.threshold:
        notes.append(f"refused before generating: P(no answer) is at least {lowest:.2f} whatever the model says")
        yield from refuse("not_in_documents", "the passages do not hold what the question asks for")
        return

    # 3. the model (or the extractive picker) answers
    if generator.context_unit == "passages":
        prompt_passages = passages
    else:
        prompt_passages = [(s.n, "", s.text) for s in sentences.in_reading_order(shown)]
    messages = prompts.build_messages(question, prompt_passages, english)
    timings["prompt_chars"] = float(len(messages[-1]["content"]))
    probe = [prompts.NO_ANSWER] if generator.supports_probe else None
    pieces: list[str] = []
    if wait_turn is not None:
        yield from wait_turn()
    t_gen = time.perf_counter()
    t_first = None
    stream = generator.stream(messages, max_tokens=options.max_tokens, temperature=options.temperature,
                              **({"probe": probe} if probe else {}))
    for piece in stream:
        if not piece:
            continue
        if t_first is None:
            t_first = time.perf_counter()
        pieces.append(piece)
        yield StreamEvent("token", text=piece)
    t_end = time.perf_counter()
    reply = "".join(pieces).strip()
    usage = generator.last_usage or {}
    n_tokens = int(usage.get("completion_tokens") or len(pieces))
    timings["first_token"] = (t_first or t_end) - t_gen
    timings["generate"] = t_end - t_gen
    timings["answer_tokens"] = float(n_tokens)
    decode = t_end - (t_first or t_end)
    timings["tokens_per_s"] = (n_tokens - 1) / decode if n_tokens > 1 and decode > 0 else 0.0

    # 4. the decision with the model's signals
    t_check = time.perf_counter()
    reply, reviewed, review_notes = review_reply(
        question, reply, context, shown, language_model=generator.is_language_model, probe=usage.get("probe"),
        weights=weights, lex_best=signals["lex_best"])
    signals.update(reviewed)
    notes.extend(review_notes)
    p = decision.probability(signals)
    if p >= decision.threshold:
        timings["check"] = time.perf_counter() - t_check
        if prompts.is_refusal_reply(reply):
            yield from refuse("model_declined", "the model found no answer in the passages")
        elif signals.get("draft_support", 1.0) < 0.5:
            yield from refuse("unsupported_answer", "the draft answer is not backed by the passages")
        else:
            yield from refuse("not_in_documents", "the passages do not hold what the question asks for")
        return
    if prompts.is_refusal_reply(reply):
        # the decision overrules the model: answer with the evidence it was shown
        notes.append("the model declined, but the evidence holds the question's terms; answering with it")
        reply = _evidence_reply(shown, english)
    elif generator.is_language_model and signals.get("draft_support", 1.0) < UNSUPPORTED_DRAFT:
        # the documents hold the answer, but the draft's words are not from them (a small
        # model may echo its worked examples): the evidence sentence is the safer answer
        notes.append(f"the model's answer {reply[:40]!r} is not in the passages; answering with the best evidence sentence")
        reply = _evidence_reply(shown, english)

    # 5. wording: the documents' own words for a paraphrased span; the evidence sentence
    # for an answer that only echoes the question (rag.answering.wording)
    reply, shaping = spans.shape(reply, question, [s.text for s in shown])
    notes.extend(shaping)
    if generator.is_language_model and spans.is_echo(reply, question):
        notes.append(f"the answer {reply!r} only repeats the question; answering with the best evidence sentence")
        reply = _evidence_reply(shown, english)

    # 6. citations: every sentence pointed at a passage that supports it
    text = citations.drop_invalid_markers(reply, list(context))
    text, repair_notes = citations.repair(text, context, embedder=embedder, min_support=options.support_min_overlap)
    notes.extend(repair_notes)
    cites, cite_notes = citations.resolve(text, context, embedder=embedder, min_support=options.support_min_overlap)
    notes.extend(cite_notes)
    timings["check"] = time.perf_counter() - t_check
    yield finish(text, cites)


def _refusal_text(question: str, shown: Sequence[sentences.Scored], context: dict[int, Hit]) -> str:
    """The refusal in the question's language, pointing at the closest evidence sentence
    when it shares anything with the question."""
    english = not evidence.is_cjk(question)
    if not shown or (shown[0].lexical <= 0 and not english):
        return prompts.refusal_text(english)
    best = shown[0]
    section = context[best.n].chunk.section if best.n in context else ""
    snippet = best.text if len(best.text) <= _SNIPPET_CHARS else best.text[: _SNIPPET_CHARS - 1] + "…"
    return prompts.refusal_text(english, section, snippet)
