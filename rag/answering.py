"""From retrieved passages to a cited, checked answer, streamed.

    for event in answer_stream(question, hits, generator, settings, embedder=e):
        event.kind == "token"   -> a piece of the model's reply, as it arrives
        event.kind == "answer"  -> last event: the final Answer

Steps, each cheap next to generation:
1. context: the top `context_k` hits, numbered [1]..[k]; for a language model each
   passage is trimmed to its question-relevant sentences, because on this CPU the
   prompt's length decides the wait for the first token;
2. refuse before generating when the passages cannot hold the answer (the
   question's key terms are missing, or it asks for a figure and no sentence near
   its terms holds one). This saves ~10 s of generation and is where the small
   model would otherwise invent "10亿元";
3. stream the model's reply;
4. check the reply: the model saying "not mentioned", figures absent from the
   passages, or content the passages do not hold turn it into a refusal; a reply
   with no text (a bare "[1]") is replaced by the best passage sentence;
5. resolve and support-check the citations (rag.citations).

Every decision is written into Answer.warnings ("refused: ..." / "note: ...")
so a report or a user can see why.

The streamed tokens are the model's raw reply; Answer.text is the checked
result and may differ (markers normalised, or a refusal replacing an invented
answer). Front ends show Answer.text once it arrives.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import citations, evidence, prompts, relevance
from .config import Settings
from .generators.base import Generator
from .generators.extractive import pick_sentences
from .types import Answer, Hit, StreamEvent

Passage = tuple[int, str, str]  # (n, section, text)

# The model's own ways of saying the passages do not answer the question.
_MODEL_REFUSES = re.compile(
    r"(没有|未|并未|并没有)(明确|具体)?(提到|提及|说明|给出|指出|涉及|透露|介绍|披露|包含|记载)"
    r"|(资料|文中|文章|材料)(中|里)?(没有|并无|未)"
    r"|无法(回答|确定|得知|判断)|不(清楚|确定)|没有(相关|具体)(信息|数据|内容)"
    r"|\b(do(es)?|did) not (mention|specify|provide|contain|say|state|include|give|indicate)"
    r"|\bnot (mentioned|specified|provided|stated|given|available)\b|\bno (information|mention|data)\b"
    r"|\b(cannot|can't|unable to) (be )?(determine|answer|find)",
    re.IGNORECASE,
)
_SNIPPET_CHARS = 60
_NEAR_RATIO = 0.6  # see check_context: "near the question" = at least this share of the best match


@dataclass
class Check:
    """What the checks found; `refuse` holds the reasons to refuse (empty = answer stands)."""

    refuse: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- context
def context_passages(hits: Sequence[Hit], settings: Settings) -> list[Passage]:
    return [(n, h.chunk.section, h.chunk.text) for n, h in enumerate(hits[: settings.context_k], 1)]


def select_context(question: str, passages: Sequence[Passage], budget: int, embedder=None) -> list[Passage]:
    """The passages cut down to the sentences most relevant to the question, within
    `budget` characters in all, each passage keeping its number and its sentences in
    their original order ("…" marks a cut). Passages with nothing relevant left drop out.

    The budget goes to the best sentences wherever they are, not in equal shares: the
    answer usually sits in one or two sentences, and every character costs prompt time."""
    items = [(n, i, s) for n, _, text in passages for i, s in enumerate(evidence.split_sentences(text))]
    if not items:
        return []
    scores = relevance.scores(question, [s for _, _, s in items], embedder)
    # earlier passages and earlier sentences win ties (retrieval rank; topic sentences)
    order = sorted(range(len(items)), key=lambda k: (-scores[k], items[k][0], items[k][1]))
    keep: set[int] = set()
    used = 0
    lexical = not relevance.uses_embeddings(question, embedder)
    for k in order:
        size = len(items[k][2])
        # a sentence sharing no key term with the question is only worth its prompt time
        # while the context is still thin (the question may be worded unlike the text)
        limit = budget // 2 if lexical and scores[k] <= 0 else budget
        if used + size <= limit:
            keep.add(k)
            used += size
    if not keep:  # even the best sentence is over budget: keep its best stretch
        best = order[0]
        n, _, sentence = items[best]
        section = next(sec for m, sec, _ in passages if m == n)
        return [(n, section, _window(question, sentence, budget))]
    out: list[Passage] = []
    for n, section, _ in passages:
        chosen = sorted((items[k][1], items[k][2]) for k in keep if items[k][0] == n)
        if not chosen:
            continue
        parts, last = [], None
        for i, sentence in chosen:
            if last is not None and i != last + 1:
                parts.append("…")
            elif parts and not re.search(r"[。！？；;.!?…」”）)]$", parts[-1]):
                parts.append(" ")  # a line break (byline, title) split these: keep them apart
            parts.append(sentence)
            last = i
        out.append((n, section, "".join(parts)))
    return out


def _window(question: str, sentence: str, budget: int) -> str:
    """The budget-long stretch of a sentence holding the most question units."""
    terms = evidence.question_terms(question)
    best, best_start = -1, 0
    for start in range(0, max(1, len(sentence) - budget + 1), 5):
        score = len(terms & evidence.units(sentence[start : start + budget]))
        if score > best:
            best, best_start = score, start
    return sentence[best_start : best_start + budget]


def _sentences(passages: Sequence[Passage]) -> list[tuple[int, str]]:
    out = []
    for n, section, text in passages:
        if section:
            out.append((n, section))  # titles answer questions too ("从四个方面着力")
        out.extend((n, s) for s in evidence.split_sentences(text))
    return out


# ---------------------------------------------------------------------- refusal, before generation
def check_context(question: str, passages: Sequence[Passage], settings: Settings, embedder=None) -> Check:
    """Can these passages hold the answer at all?"""
    check = Check()
    if not passages:
        check.refuse.append("refused: no passage was retrieved")
        return check
    english = not evidence.is_cjk(question)
    pool = set().union(*(evidence.units(f"{s} {t}") for _, s, t in passages))
    if not english:
        cov = evidence.coverage(question, pool)
        check.notes.append(f"note: the passages hold {cov:.0%} of the question's key terms")
        if cov < settings.refuse_min_coverage:
            check.refuse.append(
                f"refused: the passages hold only {cov:.0%} of the question's key terms "
                f"(needs {settings.refuse_min_coverage:.0%})"
            )
            return check
    elif embedder is None:
        return check  # an English question over Chinese text cannot be judged without meaning
    if evidence.asks_quantity(question):
        ranked = relevance.ranked(question, _sentences(passages), embedder)[: settings.figure_window]
        if not relevance.uses_embeddings(question, embedder):
            # lexical scores are counts of shared terms: a sentence sharing far fewer terms
            # than the best one is about something else, even if it made the window
            ranked = [r for r in ranked if r[0] >= _NEAR_RATIO * ranked[0][0]]
        near = [(n, sent) for _, n, sent in ranked]
        if english:
            # sentence embeddings rank long fact-dense sentences low: also look at the whole
            # best passage, which retrieval already matched to the question
            near += [(1, s) for s in evidence.split_sentences(passages[0][2])]
        asked = evidence.numbers(question)
        years = evidence.asks_year(question)
        figures = [
            q for _, s in near for q in evidence.quantities(s, years=years) if not evidence.numbers(q) <= asked
        ]
        if not figures:
            check.refuse.append(
                "refused: the question asks for a figure, but none of the "
                f"{len(near)} passage sentences closest to it holds one"
            )
    return check


# ---------------------------------------------------------------------- refusal, after generation
def check_reply(question: str, reply: str, passages: Sequence[Passage], settings: Settings) -> Check:
    """Does the reply answer from the passages? (citations are checked separately)"""
    check = Check()
    body = evidence.strip_markers(reply).strip()
    if _MODEL_REFUSES.search(body):
        check.refuse.append("refused: the model said the passages do not give the answer")
        return check
    context = " ".join(f"{s} {t}" for _, s, t in passages)
    ctx_numbers = evidence.numbers(context) | evidence.numbers(question)
    invented = [q for q in evidence.quantities(body) if evidence.numbers(q) and not evidence.numbers(q) <= ctx_numbers]
    if invented:
        check.refuse.append(
            f"refused: the answer's figure(s) {', '.join(dict.fromkeys(invented))} do not appear in the passages"
        )
        return check
    if evidence.asks_quantity(question) and not (evidence.numbers(body) & evidence.numbers(context)):
        check.refuse.append("refused: the question asks for a figure and the answer gives none from the passages")
        return check
    if evidence.is_cjk(body):
        # share of the words the answer adds to the question that occur in the passages
        share, missing = evidence.word_support(body, context, exclude=question)
        check.notes.append(f"note: {share:.0%} of the answer's own words are in the passages")
        if share < settings.answer_min_support:
            check.refuse.append(
                f"refused: only {share:.0%} of the words the answer adds to the question are in the passages "
                f"(needs {settings.answer_min_support:.0%}; missing: {', '.join(missing[:8])})"
            )
    return check


def _has_content(reply: str) -> bool:
    return bool(re.search(r"[\w\u3400-\u9fff]", evidence.strip_markers(reply)))


# ---------------------------------------------------------------------- the stream
def answer_stream(
    question: str,
    hits: Sequence[Hit],
    generator: Generator,
    settings: Settings,
    embedder=None,
) -> Iterator[StreamEvent]:
    english = not evidence.is_cjk(question)
    passages = context_passages(hits, settings)
    context = citations.number_context(hits[: settings.context_k])
    timings: dict[str, float] = {}
    warnings: list[str] = []

    def finish(text: str, refused: bool, cites=()) -> StreamEvent:
        return StreamEvent(
            "answer",
            answer=Answer(
                text=text,
                refused=refused,
                citations=tuple(cites),
                hits=tuple(hits),
                warnings=tuple(warnings),
                timings=timings,
                question=question,
                generator=generator.name,
            ),
        )

    t0 = time.perf_counter()
    pre = check_context(question, passages, settings, embedder)
    warnings += pre.notes + pre.refuse
    timings["check_context"] = time.perf_counter() - t0
    if pre.refuse:
        text = _refusal(question, passages, embedder)
        yield StreamEvent("token", text=text)
        yield finish(text, True)
        return

    shown = passages
    if not getattr(generator, "wants_full_passages", False):
        shown = select_context(question, passages, settings.context_chars, embedder)
    messages = prompts.build_messages(question, shown, english)
    timings["prompt_chars"] = float(sum(len(m["content"]) for m in messages))

    pieces: list[str] = []
    t_gen = time.perf_counter()
    t_first = None
    for piece in generator.stream(messages, max_tokens=settings.max_tokens, temperature=settings.temperature):
        if not piece:
            continue
        if t_first is None:
            t_first = time.perf_counter()
        pieces.append(piece)
        yield StreamEvent("token", text=piece)
    t_end = time.perf_counter()
    reply = "".join(pieces).strip()
    n_tokens = _token_count(generator, len(pieces))
    timings["first_token"] = (t_first or t_end) - t_gen
    timings["generate"] = t_end - t_gen
    timings["answer_tokens"] = float(n_tokens)
    decode = t_end - (t_first or t_end)
    timings["tokens_per_s"] = (n_tokens - 1) / decode if n_tokens > 1 and decode > 0 else 0.0

    t_check = time.perf_counter()
    if not _has_content(reply):
        picked = pick_sentences(question, passages, embedder=embedder if english else None, limit=1)
        warnings.append(
            f"note: the model gave no answer text ({reply!r}); showing the passage sentence that best matches"
        )
        reply = "".join(f"{s.rstrip('。；;')}[{n}]。" for _, n, s in picked)
        if english and reply:
            reply = prompts.EXTRACTIVE_EN_LEAD + reply
    post = check_reply(question, reply, passages, settings)
    if not _has_content(reply):
        post.refuse.append("refused: no answer text, from the model or the passages")
    warnings += post.notes + post.refuse
    if post.refuse:
        timings["check"] = time.perf_counter() - t_check
        yield finish(_refusal(question, passages, embedder), True)
        return

    text = citations.drop_invalid_markers(reply, list(context))
    cites, cite_warnings = citations.resolve(reply, context, embedder=embedder, min_support=settings.support_min_overlap)
    warnings += cite_warnings
    if not cites and context:
        text, cites = _attribute(text, context, embedder, settings)
        if cites:
            warnings.append(
                f"note: the model cited nothing; added [{cites[0].n}], the passage that best supports the answer"
            )
    timings["check"] = time.perf_counter() - t_check
    yield finish(text, False, cites)


def _attribute(text: str, context: dict[int, Hit], embedder, settings: Settings):
    """Cite the passage that best supports an answer the model left uncited."""
    best_n = max(context, key=lambda n: citations.support_score(text, context[n].chunk.text, embedder))
    body = text.rstrip()
    end = re.search(r"[。！？.!?]*$", body).start()  # the marker goes before the closing full stop
    cited = f"{body[:end]}[{best_n}]{body[end:]}"
    cites, _ = citations.resolve(cited, context, embedder=embedder, min_support=settings.support_min_overlap)
    return (cited, cites) if cites and cites[0].supported else (text, [])


def _token_count(generator: Generator, pieces: int) -> int:
    usage = getattr(generator, "last_usage", None) or {}
    return int(usage.get("completion_tokens") or pieces)


def _refusal(question: str, passages: Sequence[Passage], embedder=None) -> str:
    """The refusal in the question's language, pointing at the closest passage sentence
    when one shares anything with the question."""
    english = not evidence.is_cjk(question)
    ranked = relevance.ranked(question, _sentences(passages), embedder)
    if not ranked or ranked[0][0] <= 0:
        return prompts.refusal_text(english)
    _, n, sentence = ranked[0]
    section = next((s for m, s, _ in passages if m == n), "")
    snippet = sentence if len(sentence) <= _SNIPPET_CHARS else sentence[: _SNIPPET_CHARS - 1] + "…"
    return prompts.refusal_text(english, section, snippet)
