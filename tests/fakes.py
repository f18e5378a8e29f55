"""Fakes for fast unit tests: a generator that replays canned replies.

(The deterministic embedder lives in the library as the "hash" backend,
rag.retrieval.embedders.hash.HashEmbedder, so settings can select it by name.)
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from rag.config import Settings
from rag.answering.generators.base import Generator, Message


class FakeGenerator(Generator):
    """Replies with queued strings in order (the last one repeats when the queue runs dry),
    streamed a few characters at a time; records every prompt it was given."""

    name = "fake"

    def __init__(self, replies: list[str] | str = "", settings: Settings | None = None, chunk_chars: int = 3):
        super().__init__(settings or Settings())
        self.replies = deque([replies] if isinstance(replies, str) else replies)
        self.prompts: list[list[Message]] = []
        self.chunk_chars = chunk_chars

    def queue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def stream(self, messages, *, max_tokens=None, temperature=None, stop=None, probe=None) -> Iterator[str]:
        self.prompts.append([dict(m) for m in messages])
        reply = self.replies.popleft() if len(self.replies) > 1 else (self.replies[0] if self.replies else "")
        for i in range(0, len(reply), self.chunk_chars):
            yield reply[i : i + self.chunk_chars]
