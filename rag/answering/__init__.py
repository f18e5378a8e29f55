"""Answering: from retrieved passages to a cited, checked answer.

Stages, in the order a question meets them: select evidence (selection), decide whether the
documents hold the answer (refusal), respond (generators/, prompts, condense for follow-ups,
model_line for the queue in front of the model), repair wording (wording), cite and check
(citations), and the model's own check of its answer (check). Each is a stage over one AnswerState (state.py, stages.py, responders.py);
pipeline.answer_stream runs them in order; transcript renders finished answers.
"""
from .pipeline import AskOptions, answer_stream, render_evidence
# what the front ends show: citation markers in a reply, answers as Markdown
from .citations import number_context, parse_markers
from .prompts import NO_ANSWER
from .transcript import answer_markdown, conversation_markdown
# the stages one at a time, for the tools that measure or refit them
# (benchmarks/evidence.py, benchmarks/fit_suites.py)
from .pipeline import numbered_passages
from .refusal import MODEL_FILE as DECISIONS_FILE, PRIOR as PRIOR_DECISION, Decision, decision_key, load_decision, save_decisions
from .refusal import FEATURES as REFUSAL_FEATURES, figures_missing, fit as fit_decision, lead_missing_in_shown
from .check import unanswered as check_answered, unverified as check_answer
from .cite_rules import rule_refusal as cite_rule_refusal
from .selection import UnitWeights, budget_for, in_reading_order, question_kind, lexical_scores, rank as rank_sentences, select as select_sentences
from .selection import ranking_weights, title_weight_set
from .responders import extractive_pick
from .wording import answer_length, give_clause

__all__ = [
    "AskOptions", "answer_stream", "render_evidence",
    "NO_ANSWER", "answer_markdown", "conversation_markdown", "number_context", "parse_markers",
    "DECISIONS_FILE", "Decision", "PRIOR_DECISION", "REFUSAL_FEATURES", "UnitWeights", "decision_key", "fit_decision",
    "check_answer", "check_answered", "cite_rule_refusal", "figures_missing", "in_reading_order", "lead_missing_in_shown", "load_decision",
    "lexical_scores", "numbered_passages", "rank_sentences", "save_decisions",
    "select_sentences", "budget_for", "question_kind", "title_weight_set", "extractive_pick", "ranking_weights",
    "answer_length", "give_clause",
]
