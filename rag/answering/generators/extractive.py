"""The "extractive" generator: no language model at all.

It answers with the passage sentences that best match the question, verbatim with
their [n]: instant, deterministic, never invents anything; useful offline, in tests,
and as the fallback when a model gives no answer. The picking is done by the answering
pipeline's ExtractiveResponder (rag.answering.responders), which reads the ranked
sentences from the answer's state; this class is what names the choice in the
registry (`--generator extractive`) and declares it is not a language model.
"""
from __future__ import annotations

from collections.abc import Iterator

from .base import Generator, Message


class ExtractiveGenerator(Generator):
    name = "extractive"
    concurrency = None  # picks sentences in milliseconds: nobody needs to wait in line
    is_language_model = False  # the pipeline answers for it with the extractive responder
    context_unit = "passages"  # no prompt-length cost, so it picks from whole passages

    @property
    def description(self) -> str:
        return "extractive (no language model: best-matching passage sentences)"

    def stream(self, messages: list[Message], *, max_tokens=None, temperature=None, stop=None,
               probe=None) -> Iterator[str]:
        """Nothing: it writes no text of its own. A prompt outside the answering pipeline (a
        question rewrite, rag.answering.condense) gets an empty reply, and its caller falls
        back to its rule."""
        return iter(())
