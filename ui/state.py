"""What one browser's page shows: its `Conversation`, kept in gr.State so each browser
has its own. Every handler renders the page from it."""
from __future__ import annotations

from dataclasses import dataclass, field

from rag.types import Answer


@dataclass
class Turn:
    question: str
    standalone: str = ""  # the question retrieval used, when the conversation rewrote it
    status: str = ""  # what the turn is waiting for, while it streams
    partial: str = ""  # the model's raw reply so far
    evidence: tuple = ()  # the best passage sentences, shown before the model's first token
    answer: Answer | None = None
    error: str = ""


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)
    selected: tuple[int, int] | None = None  # (turn, citation n) last clicked

    def history(self) -> list[tuple[str, str]]:
        """(question, answer) pairs for condensing follow-ups. The standalone form of each
        question goes in, so a follow-up of a follow-up still carries the topic."""
        return [(t.standalone or t.question, t.answer.text) for t in self.turns if t.answer is not None]

    def shown_turn(self) -> int | None:
        if self.selected is not None:
            return self.selected[0]
        answered = [i for i, t in enumerate(self.turns) if t.answer is not None]
        return answered[-1] if answered else None
