"""Scoring: one gold question through the Assistant into a scored row, retrieval alone by
mode, and the summary of a run's rows. Metric definitions live in rag.evaluation.metrics;
this module decides which questions each metric is averaged over (see `summarize`)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from . import metrics as M
from ..ingest.corpus import reading_text
from ..config import RETRIEVAL_MODES
from .gold import GoldItem
from ..text import polar

HIT_KS = (1, 3, 5)
NDCG_K = 5


def support_counter(assistant) -> Callable[[GoldItem], int | None]:
    """How many corpus passages support an item (the ideal ranking for nDCG), when the
    index exposes its chunks; otherwise None and nDCG falls back to what was retrieved."""
    chunks = getattr(getattr(assistant, "index", None), "chunks", None)
    if not chunks:
        return lambda item: None
    return lambda item: sum(1 for c in chunks if item.supported_by(c.id, reading_text(c)))


def score_row(item: GoldItem, retrieved: list[dict], answer: str, refused: bool,
              citations: list[dict], n_relevant: int | None = None,
              shown_evidence: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-question scores; a metric that does not apply to the question (retrieval without
    evidence, answer scores for an unanswerable question) is left out."""
    rel = [r["supports"] for r in retrieved]
    scores: dict[str, Any] = {"refusal_correct": refused == (not item.answerable)}
    if item.answerable and item.has_evidence:
        for k in HIT_KS:
            scores[f"hit@{k}"] = M.hit_at_k(rel, k)
        scores["rr"] = M.reciprocal_rank(rel)
        scores[f"ndcg@{NDCG_K}"] = M.ndcg_at_k(rel, NDCG_K, n_relevant)
    if item.answerable:
        text = "" if refused else answer  # a refusal never earns answer credit
        if item.verdict:
            # a yes/no question: right is the verdict the answer gives, not its characters
            right = float(bool(text) and polar.verdict(text, item.question) == item.verdict)
            scores["em"] = scores["f1"] = scores["contains"] = right
        else:
            scores["em"] = M.exact_match(text, item.answers)
            scores["f1"] = M.f1_score(text, item.answers)
            scores["contains"] = M.contains(text, item.answers)
        if item.has_evidence:
            scores["citations_supported"] = [c["supports"] for c in citations]
            # the promise in one number: the answer holds a gold answer and cites a passage
            # that supports it
            scores["correct_cited"] = bool(scores["contains"]) and any(c["supports"] for c in citations)
            if shown_evidence is not None and item.evidence:
                # is the gold evidence inside the sentences the generator was shown?
                scores["evidence_recall"] = M.evidence_shown(shown_evidence, item.evidence)
    return scores


def _retrieved_rows(item: GoldItem, hits) -> list[dict]:
    return [
        {"rank": h.rank, "chunk_id": h.chunk.id, "score": round(float(h.score), 6),
         "section": h.chunk.section, "supports": item.supported_by(h.chunk.id, reading_text(h.chunk))}
        for h in hits
    ]


def evaluate_one(assistant, item: GoldItem, *, generator: str | None, k: int | None,
                 retrieval: str | None, n_relevant: int | None = None) -> dict[str, Any]:
    """Ask one gold question; any exception becomes a failure row instead of ending the run."""
    row: dict[str, Any] = {
        "id": item.id, "question": item.question, "lang": item.lang, "answerable": item.answerable,
        "gold_answers": list(item.answers),
    }
    try:
        ans = assistant.ask(item.question, k=k, generator=generator, retrieval=retrieval)
    except Exception as e:  # noqa: BLE001 - recorded in the report; the run goes on
        row.update(retrieved=[], answer="", citations=[], refused=False, warnings=[], timings={},
                   error=f"{type(e).__name__}: {e}")
        row["scores"] = score_row(item, [], "", False, [], n_relevant)
        return row
    texts = {h.chunk.id: reading_text(h.chunk) for h in ans.hits}  # a byline paragraph with its name
    citations = [
        {"n": c.n, "chunk_id": c.chunk_id, "supported": c.supported,
         "supports": item.supported_by(c.chunk_id, texts.get(c.chunk_id, c.text))}
        for c in ans.citations
    ]
    retrieved = _retrieved_rows(item, ans.hits)
    row.update(
        retrieved=retrieved, answer=ans.text, citations=citations, refused=bool(ans.refused),
        warnings=list(ans.warnings), timings={k_: round(float(v), 4) for k_, v in ans.timings.items()},
        error=None,
    )
    shown = [e.text for e in sorted(getattr(ans, "evidence", ()), key=lambda e: e.n)]
    row["evidence"] = [{"n": e.n, "chunk_id": e.chunk_id, "text": e.text} for e in getattr(ans, "evidence", ())]
    row["refusal"] = ans.refusal.to_dict() if getattr(ans, "refusal", None) else None
    # what the answer-or-refuse decision was made from: a refusal fit reads these rows
    # (per suite, leave one out) instead of asking every question again
    row["signals"] = signals_dict(getattr(ans, "signals", None))
    row["scores"] = score_row(item, retrieved, ans.text, bool(ans.refused), citations, n_relevant, shown)
    return row


def signals_dict(signals) -> dict[str, float]:
    """The Answer's refusal signals as a plain name -> number dict, whether the pipeline
    hands them over as a mapping or as a dataclass of features."""
    if signals is None:
        return {}
    if is_dataclass(signals):
        signals = asdict(signals)
    elif hasattr(signals, "to_dict"):
        signals = signals.to_dict()
    return {str(k): round(float(v), 4) for k, v in dict(signals).items() if isinstance(v, (int, float))}




def retrieval_by_mode(assistant, items: Sequence[GoldItem], k: int,
                      modes: Sequence[str] = RETRIEVAL_MODES) -> dict[str, dict[str, float | None]]:
    """hit@k and MRR of retrieval alone in each mode, over the answerable questions with
    evidence (what the hit@k-by-mode chart shows; retrieval costs milliseconds a question)."""
    scored = [i for i in items if i.answerable and i.has_evidence]
    out: dict[str, dict[str, float | None]] = {}
    for mode in modes:
        rels = []
        for item in scored:
            try:
                hits = assistant.retrieve(item.question, k=k, mode=mode)
            except Exception:  # noqa: BLE001 - a mode that cannot run (no embedder) counts as misses
                hits = []
            rels.append([item.supported_by(h.chunk.id, reading_text(h.chunk)) for h in hits])
        metrics = {f"hit@{n}": M.mean(M.hit_at_k(r, n) for r in rels) for n in HIT_KS}
        metrics["mrr"] = M.mean(M.reciprocal_rank(r) for r in rels)
        out[mode] = metrics
    return out


# ---------------------------------------------------------------------- summary
def summarize(rows: Sequence[dict]) -> dict[str, float | int | None]:
    """Flat metric name -> number (None when undefined, e.g. no citations at all).

    Retrieval and answer metrics average over answerable questions; a question that
    errored counts as a miss everywhere (nothing retrieved, no answer, not refused) so
    a crash never improves a score. Latencies use successful questions only."""
    ans = [r for r in rows if r["answerable"]]
    with_ev = [r for r in ans if "rr" in r["scores"]]
    out: dict[str, float | int | None] = {
        "n_questions": len(rows),
        "n_answerable": len(ans),
        "n_unanswerable": len(rows) - len(ans),
        "n_errors": sum(1 for r in rows if r.get("error")),
    }
    for k in HIT_KS:
        out[f"hit@{k}"] = M.mean(r["scores"][f"hit@{k}"] for r in with_ev)
    out["mrr"] = M.mean(r["scores"]["rr"] for r in with_ev)
    out[f"ndcg@{NDCG_K}"] = M.mean(r["scores"][f"ndcg@{NDCG_K}"] for r in with_ev)
    for name in ("em", "f1", "contains"):
        out[name] = M.mean(r["scores"][name] for r in ans)
    out["correct_cited"] = M.mean(r["scores"].get("correct_cited", False) for r in with_ev)
    shown = [r["scores"]["evidence_recall"] for r in with_ev if "evidence_recall" in r["scores"]]
    out["evidence_recall"] = M.mean(shown) if shown else None
    flags = [r["scores"]["citations_supported"] for r in with_ev]
    out["citation_precision"] = M.citation_precision(flags)
    out["citation_recall"] = M.citation_recall(flags)
    out.update(M.refusal_scores([bool(r["refused"]) for r in rows], [r["answerable"] for r in rows]))
    ok = [r for r in rows if not r.get("error")]
    for stage in _STAGES:
        values = [r["timings"][stage] for r in ok if stage in r["timings"]]
        if not values:
            continue
        out[f"latency.{stage}.p50"] = M.percentile(values, 50)
        out[f"latency.{stage}.p95"] = M.percentile(values, 95)
    tps = [r["timings"]["tokens_per_s"] for r in ok if r["timings"].get("tokens_per_s")]
    if tps:
        out["tokens_per_s.p50"] = M.percentile(tps, 50)
    return out


# Timing keys that are durations in seconds, in pipeline order. Answer.timings also holds
# counts (prompt_chars, answer_tokens) and a rate (tokens_per_s), which are not latencies.
_STAGES = ("condense", "embed", "retrieve", "first_visible", "first_token", "generate", "total")
