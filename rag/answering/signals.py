"""What the answer-or-refuse decision (rag.answering.refusal) reads: one record of signals,
each a field, each in [0, 1]. The decision's feature list is these fields, in this order.

A field is None until the stage that measures it has run: the evidence signals are
known before any reply, the reply signals only once the model (or the extractive
picker) has answered. `as_dict()` holds the measured ones, the shape Answer.signals,
Refusal.signals and the refusal fit's stored rows have always had.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

_REPLY = {"reply": True}  # field metadata: measured from the reply, unknown before it


@dataclass(frozen=True)
class Signals:
    # -- from the evidence, before any reply
    lex_best: float | None = None  # IDF-weighted share of the question's key units in the best sentence
    lex_shown: float | None = None  # the same share over all sentences the model is shown
    dense_best: float | None = None  # cosine (question, best sentence), multilingual embedder
    english: float | None = None  # the question is English (its lexical signals mean less)
    figure_missing: float | None = None  # it asks for a figure and no sentence near the top holds one
    # share of the names and figures in the question that no retrieved passage holds: a
    # false premise names what is not there ("甘肃庆阳", "上海、杭州")
    entity_missing: float | None = None
    # share of the name a Chinese question opens with (rag.text.measures.leading_phrase) that
    # the shown sentences and the passages' titles do not hold from its first character: a
    # question about "交叉笛鲷" over a passage on 川纹笛鲷 misses all of it
    lead_missing: float | None = None
    # -- from the reply (the model's draft, or the extractive pick)
    # the model's probability of starting its reply with NO_ANSWER (1/0 when the backend
    # cannot report it: did it decline?)
    model_refuse: float | None = field(default=None, metadata=_REPLY)
    # share of what the draft adds to the question that it was shown (0 for invented figures)
    draft_support: float | None = field(default=None, metadata=_REPLY)
    # key-term share of the question in the sentence the answer copies from: a false premise
    # ("唐于渝在哪所大学任教？") is answered from a sentence about something else
    draft_focus: float | None = field(default=None, metadata=_REPLY)
    # share of the words the answer repeats from the question that no passage holds
    premise_echo: float | None = field(default=None, metadata=_REPLY)
    # the question asks for a figure or a person's name and the answer gives none: no figure
    # the passages state (in the question's unit), no name (rag.text.measures.person_names).
    # One signal for both: apart, each fired on under 5% of the development rows (so each
    # was dropped from the fit), together they fire on more and are fitted (README, session 21)
    draft_lacks_asked: float | None = field(default=None, metadata=_REPLY)
    # share of the question's names that the passages the answer cites do not hold, or of the
    # figures it states that the sentences shown from them do not (the larger)
    subject_missing: float | None = field(default=None, metadata=_REPLY)
    # share of the question's words the answer repeats that the sentences it was shown from
    # the passages it cites (and their titles) do not hold: the question's subject glued onto
    # a sentence about something else ("劲松站有六个出入口[1]" from "车站设六个出入口", said
    # of another station)
    cited_echo: float | None = field(default=None, metadata=_REPLY)
    # the model's own check of the final answer, in a prompt of its own (rag.answering.check):
    # its probability of "no" to "do the cited passages state this answer?"
    model_unverified: float | None = field(default=None, metadata=_REPLY)
    # the model's second check, in the same prompt's frame without the answer: its
    # probability of "no" to "do the cited passages answer the question at all?"
    model_unanswered: float | None = field(default=None, metadata=_REPLY)

    def as_dict(self) -> dict[str, float]:
        """The measured signals by name (the JSON shape of Answer.signals)."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    def rounded(self, digits: int = 4) -> dict[str, float]:
        return {k: round(v, digits) for k, v in self.as_dict().items()}

    def merged(self, newer: "Signals") -> "Signals":
        """These signals with every signal `newer` measured taking its value."""
        return replace(self, **newer.as_dict())

    def __getitem__(self, name: str) -> float:
        """sig["lex_best"], as the old dicts were read; KeyError when not measured."""
        value = getattr(self, name, None) if name in FEATURES else None
        if value is None:
            raise KeyError(name)
        return value

    @classmethod
    def from_dict(cls, values: Mapping[str, float]) -> "Signals":
        """From an `as_dict()` shape (a stored row); unknown names are left out."""
        return cls(**{k: float(v) for k, v in values.items() if k in FEATURES})


FEATURES: tuple[str, ...] = tuple(f.name for f in fields(Signals))
REPLY_FEATURES: tuple[str, ...] = tuple(f.name for f in fields(Signals) if f.metadata.get("reply"))


def as_mapping(signals: "Signals | Mapping[str, float]") -> Mapping[str, float]:
    """The measured signals by name, from a Signals record or a stored dict."""
    return signals.as_dict() if isinstance(signals, Signals) else signals
