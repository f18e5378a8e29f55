"""The Generator protocol every text-generation backend implements.

A backend turns chat messages into a stream of text pieces. Heavy models load
in `warm_up()` (called lazily on first use), never in `__init__` or at import;
bad arguments raise ConfigError in `__init__`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from ..config import Settings

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": str}


class Generator(ABC):
    name: str = "base"

    def __init__(self, settings: Settings):
        self.settings = settings

    def warm_up(self) -> None:
        """Load the model now (optional; stream() does it on first use)."""

    @abstractmethod
    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """Yield the reply piece by piece as the model produces it."""

    def complete(self, messages: list[Message], **kwargs) -> str:
        return "".join(self.stream(messages, **kwargs))

    @property
    def description(self) -> str:
        """Human-readable name of backend + model, for UIs and reports."""
        return self.name
