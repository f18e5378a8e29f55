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


# ---------------------------------------------------------------------------- embedders
import os  # noqa: E402
import time  # noqa: E402

from rag.retrieval.embedders.hash import HashEmbedder  # noqa: E402


class ControlledEmbedder(HashEmbedder):
    """The hash embedder (same key, so its cached vectors count), made slow or failing by
    environment variables, which a spawned indexing child inherits (rag.retrieval.worker
    rebuilds the embedder there from this class's module and name):

        FAKE_EMBED_DELAY   seconds to sleep per batch of passages (queries are never slowed)
        FAKE_EMBED_FAIL    a text fragment: embedding a passage that holds it raises MemoryError
        FAKE_EMBED_SIGNAL  a file to create when the first slow batch starts (tests wait for it)
    """

    def embed_passages(self, texts, progress=None):
        texts = list(texts)
        marker = os.environ.get("FAKE_EMBED_FAIL")
        if marker and any(marker in t for t in texts):
            raise MemoryError("embedding failed (FAKE_EMBED_FAIL)")
        delay = float(os.environ.get("FAKE_EMBED_DELAY") or 0)
        if delay and texts:
            signal = os.environ.get("FAKE_EMBED_SIGNAL")
            if signal:
                open(signal, "a").close()
            time.sleep(delay)
        return super().embed_passages(texts, progress)
