"""The answer-or-refuse decision: one calibrated probability from measurable signals.

    sig = context_signals(question, ranked, shown)          # before generation
    sig |= draft_signals(question, reply, shown, probe)     # after it
    p = DECISION.probability(sig)                           # P(the documents hold no answer)
    refuse = p >= DECISION.threshold

Signals, each in [0, 1]:
- lex_best    IDF-weighted share of the question's key units in the best sentence
- lex_shown   the same share over all sentences the model is shown
- dense_best  cosine (question, best sentence) with the multilingual embedder
- english     the question is English (its lexical signals mean less)
- figure_missing  it asks for a figure and no sentence near the top holds one
- model_refuse    the model's probability of starting its reply with NO_ANSWER
                  (or 1/0 when the backend cannot report it: did it decline?)
- draft_support   share of the draft answer's own content found in what it was shown
                  (0 when it states figures the passages lack)
- draft_focus     key-term share of the question in the sentence the answer copies
                  from: a false premise ("唐于渝在哪所大学任教？") is answered from a
                  sentence about something else

The weights are a logistic regression fitted by `fit` (benchmarks/fit_refusal.py)
on half of NoMIRACL zh and on the gold set, and reported on the other half and by
cross-validation; they live in refusal_model.json beside this file, with the
figures they were fitted to.

Before generation, the signals the model would add are unknown; `bounds` gives
the lowest and highest probability they could lead to. When even the lowest is
past the threshold the question is refused without running the model.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import evidence, prompts, sentences

FEATURES = (
    "lex_best", "lex_shown", "dense_best", "english", "figure_missing",
    "model_refuse", "draft_support", "draft_focus",
)
MODEL_FEATURES = ("model_refuse", "draft_support", "draft_focus")
MODEL_FILE = Path(__file__).with_name("refusal_model.json")


@dataclass(frozen=True)
class Decision:
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    meta: dict = field(default_factory=dict)

    def logit(self, signals: Mapping[str, float]) -> float:
        return self.bias + sum(w * float(signals.get(f, 0.0)) for f, w in self.weights.items())

    def probability(self, signals: Mapping[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-self.logit(signals)))

    def bounds(self, signals: Mapping[str, float]) -> tuple[float, float]:
        """(lowest, highest) probability over every value the model signals could take."""
        base = {f: v for f, v in signals.items() if f not in MODEL_FEATURES}
        lo = self.logit(base) + sum(min(0.0, self.weights.get(f, 0.0)) for f in MODEL_FEATURES)
        hi = self.logit(base) + sum(max(0.0, self.weights.get(f, 0.0)) for f in MODEL_FEATURES)
        sig = lambda x: 1.0 / (1.0 + math.exp(-x))  # noqa: E731
        return sig(lo), sig(hi)

    def to_dict(self) -> dict:
        return {"weights": self.weights, "bias": self.bias, "threshold": self.threshold, "meta": self.meta}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Decision":
        return cls(dict(d["weights"]), float(d["bias"]), float(d.get("threshold", 0.5)), dict(d.get("meta", {})))


# Used until a fitted model file exists: hand-set from the signals' meaning.
PRIOR = Decision(
    weights={"lex_best": -3.0, "lex_shown": -1.0, "dense_best": -2.0, "english": 0.5, "figure_missing": 2.0,
             "model_refuse": 4.0, "draft_support": -2.0, "draft_focus": -2.0},
    bias=4.5,
    threshold=0.5,
    meta={"source": "hand-set prior"},
)


def load_decision(path: Path = MODEL_FILE) -> Decision:
    if path.is_file():
        return Decision.from_dict(json.loads(path.read_text(encoding="utf-8")))
    return PRIOR


# ---------------------------------------------------------------------- signals
def context_signals(question: str, ranked: Sequence[sentences.Scored], shown: Sequence[sentences.Scored],
                    weights: sentences.UnitWeights = sentences.UNIFORM) -> dict[str, float]:
    english = not evidence.is_cjk(question)
    sig = {
        "lex_best": max((s.lexical for s in ranked), default=0.0),
        "lex_shown": sentences.lexical_scores(question, [" ".join(s.text for s in shown)], weights)[0] if shown else 0.0,
        "dense_best": max((s.dense for s in ranked), default=0.0),
        "english": 1.0 if english else 0.0,
        "figure_missing": 0.0,
    }
    if evidence.asks_quantity(question):
        years = evidence.asks_year(question)
        asked = evidence.numbers(question)
        near = [s.text for s in ranked[:3]]
        has = any(not evidence.numbers(q) <= asked for t in near for q in evidence.quantities(t, years=years))
        sig["figure_missing"] = 0.0 if has else 1.0
    return sig


def draft_support(question: str, reply: str, shown_text: str) -> float:
    """Share of what the answer adds to the question that the shown text holds, in [0, 1]."""
    body = evidence.strip_markers(reply).strip()
    if not body:
        return 0.0
    ctx_numbers = evidence.numbers(shown_text) | evidence.numbers(question)
    if any(evidence.numbers(q) and not evidence.numbers(q) <= ctx_numbers for q in evidence.quantities(body)):
        return 0.0  # a figure the passages do not state is invented
    if evidence.is_cjk(body):
        share, _ = evidence.word_support(body, shown_text, exclude=question)
        return share
    # an English answer: the Chinese it quotes and the figures it gives must be in the text
    quoted = "".join(re.findall(r"[\u3400-\u9fff]+", body))
    figures = evidence.numbers(body)
    if not quoted and not figures:
        return 0.5  # nothing checkable by characters: neither evidence for nor against
    parts = []
    if quoted:
        parts.append(evidence.coverage(quoted, shown_text) if evidence.content_units(quoted) else 1.0)
    if figures:
        parts.append(len(figures & ctx_numbers) / len(figures))
    return float(np.mean(parts))


def draft_signals(question: str, reply: str, shown: Sequence[sentences.Scored], probe: Mapping[str, float] | None,
                  weights: sentences.UnitWeights = sentences.UNIFORM) -> dict[str, float]:
    declined = prompts.is_refusal_reply(reply)
    p = (probe or {}).get(prompts.NO_ANSWER)
    model_refuse = float(p) if p is not None else (1.0 if declined else 0.0)
    if declined:  # it did decline, whatever its first token's probability was
        return {"model_refuse": 1.0, "draft_support": 0.0, "draft_focus": 0.0}
    shown_text = " ".join(s.text for s in shown)
    support = draft_support(question, reply, shown_text)
    # the sentence the answer was taken from: the shown one sharing most of its units
    body = evidence.units(evidence.strip_markers(reply))
    focus = 0.0
    if shown and body:
        source = max(shown, key=lambda s: len(body & evidence.units(s.text)))
        focus = sentences.lexical_scores(question, [source.text], weights)[0]
    return {"model_refuse": model_refuse, "draft_support": support, "draft_focus": focus}


def extractive_signals() -> dict[str, float]:
    """What a non-model answer contributes: it copies passage text, so it never declines
    and always holds its own content; its focus is the best sentence's."""
    return {"model_refuse": 0.0, "draft_support": 1.0}


# ---------------------------------------------------------------------- fitting
def fit(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], *, l2: float = 0.1,
        max_false_refusal: float = 0.05, iters: int = 200) -> Decision:
    """Logistic regression (Newton's method, L2 on the weights) of label = "no answer",
    then the threshold: the lowest one that refuses at most `max_false_refusal` of the
    answerable rows, so a wrong refusal stays rare."""
    X = np.array([[float(r.get(f, 0.0)) for f in FEATURES] for r in rows], dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    reg = np.full(Xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Xb @ w)))
        grad = Xb.T @ (p - y) + reg * w
        hess = (Xb * (p * (1 - p))[:, None]).T @ Xb + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    decision = Decision({f: float(v) for f, v in zip(FEATURES, w[:-1])}, float(w[-1]))
    probs = np.array([decision.probability(r) for r in rows])
    answerable = probs[y == 0]
    threshold = 0.5
    if len(answerable):
        # smallest threshold with at most max_false_refusal of answerable rows at or above it
        allowed = int(math.floor(max_false_refusal * len(answerable)))
        ordered = np.sort(answerable)[::-1]
        threshold = float(ordered[allowed] + 1e-6) if allowed < len(ordered) else 0.0
        threshold = max(threshold, 0.05)
    return Decision(decision.weights, decision.bias, threshold)
