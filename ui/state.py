"""What one browser's page shows: its `Conversation`, kept in gr.State so each browser
has its own, and saved in that browser's localStorage (gr.BrowserState) as the JSON of
`to_json()`, so a reload brings it back. Every handler renders the page from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rag import Answer

SAVE_VERSION = 1


def turn_of_message(message_index) -> int:
    """The turn a chat message belongs to (gr.Chatbot gives an index, or a [row, column]
    pair): the chat shows two messages a turn, the question and then the answer."""
    index = message_index[0] if isinstance(message_index, (list, tuple)) else message_index
    return int(index) // 2


@dataclass
class Turn:
    question: str
    standalone: str = ""  # the question retrieval used, when the conversation rewrote it
    status: str = ""  # what the turn is waiting for, while it streams
    partial: str = ""  # the model's raw reply so far
    checking: bool = False  # the reply is written and is being checked against its passages
    evidence: tuple = ()  # the best passage sentences, shown before the model's first token
    answer: Answer | None = None
    error: str = ""
    stopped: bool = False  # the user pressed stop before the answer was done
    rating: str | None = None  # "up" | "down" once rated on the page
    feedback_id: str = ""  # the rating's entry in the feedback log, for a comment or a change
    settings: dict = field(default_factory=dict)  # generator, k, retrieval the answer was asked with

    @property
    def busy(self) -> bool:
        return self.answer is None and not self.error and not self.stopped

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question, "standalone": self.standalone,
            "answer": self.answer.to_dict() if self.answer is not None else None,
            # an unfinished turn is saved as what it showed when it ended
            "partial": self.partial if self.answer is None else "", "error": self.error,
            "stopped": self.stopped or self.busy, "rating": self.rating, "feedback_id": self.feedback_id,
            "settings": self.settings,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Turn":
        return cls(
            question=str(d.get("question", "")), standalone=str(d.get("standalone", "")),
            answer=Answer.from_dict(d["answer"]) if d.get("answer") else None,
            partial=str(d.get("partial", "")), error=str(d.get("error", "")), stopped=bool(d.get("stopped")),
            rating=d.get("rating") if d.get("rating") in ("up", "down") else None,
            feedback_id=str(d.get("feedback_id", "")), settings=dict(d.get("settings") or {}),
        )


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

    def to_json(self) -> dict[str, Any]:
        return {"version": SAVE_VERSION, "turns": [t.to_json() for t in self.turns]}

    @classmethod
    def from_json(cls, data: Any) -> "Conversation":
        """A saved conversation; anything unreadable (an old version, a damaged value)
        gives an empty one rather than a broken page."""
        if not isinstance(data, dict) or data.get("version") != SAVE_VERSION:
            return cls()
        try:
            return cls(turns=[Turn.from_json(t) for t in data.get("turns", [])])
        except (TypeError, ValueError, KeyError, AttributeError):
            return cls()
