"""The Generator protocol every text-generation backend implements.

A backend turns chat messages into a stream of text pieces. Heavy models load
in `warm_up()` (called lazily on first use), never in `__init__` or at import;
bad arguments raise ConfigError in `__init__`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from ...config import Settings

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": str}


class Generator(ABC):
    name: str = "base"
    # What the backend is, declared rather than guessed from its name:
    is_language_model: bool = True  # False: picks text from the passages (never invents)
    # what goes in its prompt: "sentences" (the selected evidence: short prompts, fast first
    # token on a CPU) or "passages" (whole retrieved passages: no prompt-length cost)
    context_unit: str = "sentences"
    # does stream(probe=...) report first-token probabilities in last_usage["probe"]?
    supports_probe: bool = False
    # does stream(cancel=threading.Event) end the generation as soon as the event is set,
    # from any thread (a stopped answer frees a server slot even while no piece is arriving)?
    supports_cancel: bool = False
    # generations it serves at once (settings.generation_slots overrides): 1 for a model in
    # this process, more for a server that batches, None when no line is needed
    concurrency: int | None = 1

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def last_usage(self) -> dict:
        """Token counts of this thread's last generation (completion_tokens, context_tokens,
        and "probe" for a backend with supports_probe); empty when the backend has none."""
        return {}

    def use_embedder(self, embedder) -> None:
        """Take the caller's loaded embedder, for backends that rank text themselves."""

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
        probe: Sequence[str] | None = None,
    ) -> Iterator[str]:
        """Yield the reply piece by piece as the model produces it. `probe`: strings whose
        probability of starting the reply a backend with supports_probe records."""

    def sampling(self, max_tokens: int | None, temperature: float | None) -> tuple[int, float]:
        """The call's reply length and temperature, the settings' where the call gave none:
        the one place a backend fills them. The answering pipeline passes both, resolved
        with the other per-call options (AskOptions); short calls (warm-up, condensing)
        give only what they change."""
        return (self.settings.max_tokens if max_tokens is None else max_tokens,
                self.settings.temperature if temperature is None else temperature)

    def checker(self) -> "Generator":
        """The generator that runs the answer check (rag.answering.check): this one, unless
        a backend keeps a prompt cache the check's prompt would push the answering prefix out of."""
        return self

    def complete(self, messages: list[Message], **kwargs) -> str:
        return "".join(self.stream(messages, **kwargs))

    @property
    def description(self) -> str:
        """Human-readable name of backend + model, for UIs and reports."""
        return self.name
