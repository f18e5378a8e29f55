"""Any OpenAI-compatible chat endpoint: vLLM, Ollama, llama.cpp's server, a hosted API.

This is how generation scales past one machine. It speaks the wire protocol
directly with httpx (POST {base_url}/chat/completions, stream=true, server-sent
events), so it needs no vendor SDK and works with servers that implement only
that one route.

Settings: openai_base_url, openai_model, openai_api_key (falls back to the
OPENAI_API_KEY environment variable), request_timeout.
"""
from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator

from ...errors import BackendUnavailableError, ConfigError, DependencyError
from .base import Generator, Message


class OpenAICompatGenerator(Generator):
    name = "openai"
    # a batching server (vLLM, llama.cpp's server with several slots) takes several requests
    # at once; set generation_slots to what the server is configured for
    concurrency = 4
    # stream(cancel=event): setting the event from another thread ends the request at once
    supports_cancel = True

    def __init__(self, settings):
        super().__init__(settings)
        base = (settings.openai_base_url or "").rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(
                f"openai_base_url must be an http(s) URL such as http://127.0.0.1:8000/v1 (got {base!r})."
            )
        self.base_url = base
        self.model = settings.openai_model
        self.api_key = settings.openai_api_key or os.environ.get("OPENAI_API_KEY", "")
        self.timeout = settings.request_timeout

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    @property
    def description(self) -> str:
        return f"openai-compatible: {self.model} at {self.base_url}"

    def _unavailable(self, why: str) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"The OpenAI-compatible server at {self.url} {why}. Start it (for example "
            "`python -m llama_cpp.server --model FILE.gguf --host 127.0.0.1 --port 8000`, or vLLM/Ollama), "
            "or point openai_base_url / RAG_OPENAI_BASE_URL at a running one; "
            "or use another generator (--generator llama-cpp or extractive)."
        )

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
        probe=None,  # first-token probabilities are not reported by this backend
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        yield from self._request(messages, max_tokens=max_tokens, temperature=temperature, stop=stop, cancel=cancel)

    def _request(self, messages: list[Message], *, max_tokens: int | None, temperature: float | None,
                 stop: list[str] | None, extra: dict | None = None, on_event=None,
                 cancel: threading.Event | None = None) -> Iterator[str]:
        """POST the chat request and yield its text deltas. `extra`: more body fields;
        `on_event`: called with every decoded event (log-probabilities, timings); `cancel`:
        when set, the connection is shut at once, from any thread (see _Hangup), and the
        stream ends quietly: the server sees the client gone and stops decoding, even while
        this thread is blocked waiting for the next piece."""
        try:
            import httpx
        except ImportError as e:
            raise DependencyError("httpx", extra="openai", purpose="the openai generator") from e
        max_tokens, temperature = self.sampling(max_tokens, temperature)
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
            **(extra or {}),
        }
        if stop:
            body["stop"] = stop
        headers = {"Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        # connect fails fast when nothing listens; reads may wait for a slow first token
        timeout = httpx.Timeout(self.timeout, connect=min(10.0, self.timeout))
        if cancel is not None and cancel.is_set():
            return
        hangup = None
        try:
            with httpx.stream("POST", self.url, json=body, headers=headers, timeout=timeout) as resp:
                if resp.status_code >= 400:
                    detail = resp.read().decode("utf-8", "replace")[:300]
                    raise self._unavailable(f"answered HTTP {resp.status_code}: {detail}")
                if cancel is not None:
                    hangup = _Hangup(resp, cancel)
                complete = yield from _sse_content(resp.iter_lines(), on_event)
                if not complete and not (hangup is not None and hangup.done):
                    raise self._unavailable("closed the stream before the answer was complete")
        except httpx.ConnectError as e:
            raise self._unavailable(f"cannot be reached ({e})") from e
        except httpx.TimeoutException as e:
            raise self._unavailable(f"did not answer within {self.timeout:g} s") from e
        except httpx.HTTPError as e:
            if hangup is not None and hangup.done:
                return  # we hung up ourselves: a stopped answer, not a failure
            raise self._unavailable(f"failed: {e}") from e
        finally:
            if hangup is not None:
                hangup.stop()


class _Hangup:
    """Shuts a streaming response's socket when `cancel` is set. Closing an httpx response
    from another thread does not wake a thread blocked reading it; shutdown(2) on the socket
    does, and the server reads the end of the connection as the client gone."""

    def __init__(self, resp, cancel: threading.Event):
        self._sock = None
        stream = resp.extensions.get("network_stream")
        if stream is not None:
            self._sock = stream.get_extra_info("socket")
        self._cancel = cancel
        self._over = threading.Event()
        self.done = False
        threading.Thread(target=self._watch, name="openai-hangup", daemon=True).start()

    def _watch(self) -> None:
        while not self._over.is_set():
            if self._cancel.wait(0.05):
                if not self._over.is_set() and self._sock is not None:
                    self.done = True
                    try:
                        self._sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return

    def stop(self) -> None:
        self._over.set()


def _sse_content(lines: Iterator[str], on_event=None):
    """The text deltas of an OpenAI chat-completions event stream; every decoded event also
    goes to `on_event` when given. Returns True when the stream said it was complete
    ([DONE] or a finish_reason), False when the connection just ended."""
    finished = False
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments (": ping"), event names
        data = line[5:].strip()
        if data == "[DONE]":
            return True
        try:
            event = json.loads(data)
        except json.JSONDecodeError:
            continue
        if "error" in event:
            raise BackendUnavailableError(f"The server reported an error mid-stream: {event['error']}")
        if on_event is not None:
            on_event(event)
        for choice in event.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                yield piece
            finished = finished or bool(choice.get("finish_reason"))
    return finished
