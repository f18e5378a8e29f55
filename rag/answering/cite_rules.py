"""The rules stage Cite refuses an answer by, whatever the decision says, once the answer
and its citations are known: one place for the pipeline (rag.answering.stages.Cite) and for
the stored rows the decision is fitted on (benchmarks/fit_suites.py), which read them off
what a row holds.

- A figure no shown sentence holds (refusal.figure_not_given): the question asks for a
  figure, no sentence the responder was shown holds one beyond the question's own, and the
  answer gives none. Whatever it says, it does not answer.
- A false premise by figure (refusal.premise_figure_missing): every figure the question
  states is missing from the passage the answer was drawn from, or contradicted by it
  ("1944年…" asked, "1934年…" written); not for a yes/no question.
- Another thing of the kind asked about (rag.answering.subject): the question opens with a
  name nothing retrieved holds, and the answer cites a passage titled with another of its
  kind (交叉笛鲷 asked, 火斑笛鲷 cited).

The decision is fitted as if these rules did not exist: a row they refuse keeps every signal
and its answer checks (a collection with a never-refusing decision notes the rule and goes on,
Cite.stream), because those rows are much of what teaches the decision its weights (taking
cmrc-premise's false premises out of the fit halved `subject_missing`'s weight; README,
session 28). The rules then refuse on top of it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from . import refusal, subject
from .review import has_content


class RuleRefusal(NamedTuple):
    code: str  # one of rag.types.REFUSAL_CODES
    reason: str  # for the developer (Refusal.message)
    # what the question rests on that the documents lack, for the reader's refusal text:
    # a false premise's figures ("1944年"), the name asked about in place of another
    named: tuple[str, ...] = ()


def rule_refusal(question: str, answer: str, shown: Sequence[tuple[int, str]], titles: Mapping[int, str],
                 retrieved: Iterable[str], cited_titles: Iterable[str]) -> RuleRefusal | None:
    """The first rule that refuses this answer, or None.
    `shown`: the (passage number, sentence) pairs the responder was shown, best first;
    `titles`: their passages' titles by number; `retrieved`: the text of everything retrieved
    (passages and titles); `cited_titles`: the titles of the passages the answer cites."""
    if not has_content(answer):
        return None
    if refusal.figure_not_given(question, answer, [text for _, text in shown]):
        return RuleRefusal("not_in_documents", "the question asks for a figure that no passage shown gives")
    if refusal.premise_figure_missing(question, answer, shown, titles):
        return RuleRefusal("false_premise", "the passage the answer rests on does not give the figure the question states",
                           tuple(refusal.stated_figures(question)))
    other = subject.other_subject(question, retrieved, cited_titles)
    if other is not None:
        asked, cited = other
        return RuleRefusal("other_subject", f"the passages are about {cited}, not {asked}", (asked,))
    return None
