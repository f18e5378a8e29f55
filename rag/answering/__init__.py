"""Answering: from retrieved passages to a cited, checked answer.

Stages, in the order a question meets them: select evidence (selection), decide whether the
documents hold the answer (refusal), respond (generators/, prompts, condense for follow-ups,
model_line for the queue in front of the model), repair wording (wording), cite and check
(citations). Each is a stage over one AnswerState (state.py, stages.py, responders.py);
pipeline.answer_stream runs them in order; transcript renders finished answers.
"""
from .pipeline import AskOptions, answer_stream, render_evidence

__all__ = ["AskOptions", "answer_stream", "render_evidence"]
