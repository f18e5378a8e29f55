"""llama.cpp's own HTTP server (`llama-server`) run beside `rag serve`, for many users at once.

The embedded llama-cpp backend decodes one answer at a time: the eighth of eight users
waits for seven whole answers. On a CPU, decoding is bound by memory bandwidth, so several
sequences decoded in one batch cost little more than one; llama-server does that (parallel
slots, continuous batching, each slot keeping its last prompt so the fixed prompt prefix
is evaluated once per slot). `rag serve` with `model_server = "auto"` (when built) or "llama-server":

    server = LlamaServer(settings, model_file)   # the program scripts/setup.sh built
    server.start()                               # waits for /health; clear error if it cannot
    gen = LlamaServerGenerator(settings, server) # the openai backend's streaming, plus:
    ...                                          #  first-token probabilities (the refusal probe),
    server.stop()                                #  a stop that closes the HTTP stream at once

A watchdog thread restarts the server when it dies; an answer that was cut by that ends
with a message saying so (`ServerRestartedError`), and the next request waits for the new
server. The library and the CLI keep the embedded path (rag.answering.generators.llama_cpp).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence

from ...errors import BackendUnavailableError
from .base import Message
from .openai_compat import OpenAICompatGenerator
from .llama_server_process import (  # noqa: F401  (re-exported: the process side lives there)
    DEFAULT_SLOTS, HOST, LOOKUP_ARGS, SETUP_COMMAND, LlamaServer, ServerRestartedError, find_binary, free_port, lookup_on,
)

log = logging.getLogger(__name__)

class LlamaServerGenerator(OpenAICompatGenerator):
    """The llama-cpp model served by a LlamaServer: the openai backend's request and stream
    parsing, with what the embedded backend offers and a plain OpenAI server does not:

    - `probe`: the probability that the reply starts with each probe string, read from the
      first token's top log-probabilities (llama-server computes them from the raw logits,
      as the embedded backend's logits processor does), so the refusal decision gets the
      same signal;
    - a server restart in the middle of an answer is told apart from other failures
      (ServerRestartedError: "ask again");
    - requests wait for a server that is (re)starting instead of failing at once."""

    name = "llama-cpp"  # the same model and prompts as the embedded backend, served elsewhere
    supports_probe = True
    supports_cancel = True
    TOP_LOGPROBS = 20

    def __init__(self, settings, server: LlamaServer, *, slot_ids: Sequence[int] | None = None):
        super().__init__(settings.replace(openai_base_url=f"{server.base_url}/v1", openai_model="default",
                                          openai_api_key=""))
        self.server = server
        # every request names its slot (llama-server's id_slot), taken from this generator's own
        # slots: answers keep to theirs, each holding the answering prompt's fixed prefix, and
        # the answer check (checker()) to the server's extra one
        ids = list(range(server.slots)) if slot_ids is None else list(slot_ids)
        self._free_slots: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in ids:
            self._free_slots.put(i)
        self.concurrency = len(ids)
        self._probe_ids: dict[tuple[int, str], int] = {}  # (server generation, text) -> first token id
        self._local = threading.local()
        self._checker: LlamaServerGenerator | None = None
        self._checker_lock = threading.Lock()

    def checker(self) -> "LlamaServerGenerator":
        """The answer check's generator: the same server, on the slot kept for it (none is
        kept when settings.check_answers is off: then the check does not run)."""
        if self.server.check_slot is None:
            return self
        with self._checker_lock:
            if self._checker is None:
                self._checker = LlamaServerGenerator(self.settings, self.server, slot_ids=[self.server.check_slot])
                self._checker._probe_ids = self._probe_ids
            return self._checker

    @property
    def description(self) -> str:
        model = self.server.model_file.name if self.server.model_file else "model"
        return f"llama-cpp: {model} in llama-server ({self.server.slots} slots, batched)"

    @property
    def last_usage(self) -> dict:
        return getattr(self._local, "usage", {})

    def warm_up(self) -> None:
        self.server.ensure_ready(self.server.startup_timeout)

    def _first_token_id(self, text: str, generation: int) -> int:
        key = (generation, text)
        if key not in self._probe_ids:
            import httpx

            r = httpx.post(f"{self.server.base_url}/tokenize", json={"content": text, "add_special": False},
                           timeout=10.0)
            r.raise_for_status()
            tokens = r.json().get("tokens") or []
            self._probe_ids[key] = int(tokens[0]) if tokens else -1
        return self._probe_ids[key]

    def stream(self, messages: list[Message], *, max_tokens: int | None = None, temperature: float | None = None,
               stop: list[str] | None = None, probe: Sequence[str] | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        generation = self.server.ensure_ready(min(self.timeout, self.server.startup_timeout))
        extra: dict = {}
        ids: dict[str, int] = {}
        if probe:
            try:
                ids = {text: self._first_token_id(text, generation) for text in probe}
            except Exception as e:  # noqa: BLE001 - the server went away: reported like any request
                raise self._cut(generation, e) from e
            extra = {"logprobs": True, "top_logprobs": self.TOP_LOGPROBS}
        seen: dict[str, float] = {}
        usage: dict = {}
        self._local.usage = usage
        # a slot of this generator's own; more callers than slots wait here (the model line
        # lets no more answers through than there are slots, so normally none does)
        slot = self._take_slot(cancel)
        if slot is None:
            return  # stopped while waiting for a slot: nothing was asked
        extra["id_slot"] = slot

        def on_event(event: dict) -> None:
            if probe and not seen:
                for choice in event.get("choices") or []:
                    content = (choice.get("logprobs") or {}).get("content") or []
                    if content:
                        top = {int(t["id"]): float(t["logprob"]) for t in content[0].get("top_logprobs") or []
                               if "id" in t}
                        import math

                        for text, i in ids.items():
                            seen[text] = math.exp(top[i]) if i in top else 0.0
            t = event.get("timings")
            if t:
                usage["completion_tokens"] = int(t.get("predicted_n", 0))
                usage["context_tokens"] = int(t.get("prompt_n", 0)) + int(t.get("cache_n", 0)) + int(t.get("predicted_n", 0))

        try:
            yield from self._request(messages, max_tokens=max_tokens, temperature=temperature, stop=stop,
                                     extra=extra, on_event=on_event, cancel=cancel)
        except BackendUnavailableError as e:
            if self._was_cut(generation):
                raise self._cut(generation, e) from e
            raise
        finally:
            self._free_slots.put(slot)
            if probe:
                usage["probe"] = dict(seen)

    SLOT_POLL = 0.05  # seconds between looks at `cancel` while waiting for a free slot

    def _take_slot(self, cancel: threading.Event | None) -> int | None:
        """A free slot of this generator's own, waiting for one when every slot is in use (a
        caller of the Python API streaming more answers at once than there are slots). None
        when `cancel` is set while waiting; BackendUnavailableError after request_timeout
        seconds, rather than waiting for ever behind answers that do not end."""
        deadline = time.monotonic() + self.timeout
        while True:
            if cancel is not None and cancel.is_set():
                return None
            try:
                return self._free_slots.get(timeout=min(self.SLOT_POLL, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise BackendUnavailableError(
                        f"llama-server: all {self.concurrency} slot(s) of this generator stayed busy for "
                        f"{self.timeout:g} s (request_timeout). Run fewer answers at once, or start the server "
                        "with more slots (settings.generation_slots).") from None

    def _was_cut(self, generation: int, within: float = 1.0) -> bool:
        """Did the server die or restart since `generation`? A killed process closes its
        sockets a moment before it can be reaped, so a stream that just broke waits a little."""
        end = time.monotonic() + within
        while True:
            if self.server.generation != generation or not self.server.alive():
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.02)

    def _cut(self, generation: int, e: Exception) -> BackendUnavailableError:
        if self._was_cut(generation):
            return ServerRestartedError(
                "模型服务在回答途中停止，正在重启；请重新提问（重新生成）。 · The model server stopped in the middle of "
                "this answer and is being restarted; ask again (Regenerate) in a moment.")
        return BackendUnavailableError(f"llama-server failed: {e}")


def start_llama_server(settings) -> LlamaServerGenerator:
    """The llama-cpp model (settings.model_path, or the embedded default) in a started
    llama-server with settings.generation_slots slots: the generator to register as
    "llama-cpp". ModelError when the program or model is missing, BackendUnavailableError
    when it will not start; `.server.stop()` ends it."""
    from .model_store import ensure_model

    model = settings.path("model_path") if settings.model_path else ensure_model(settings)
    server = LlamaServer(settings, model, lookup=lookup_on(settings))
    server.start()
    return LlamaServerGenerator(settings, server)
