"""The Assistant behind the page, loaded in a background thread so the page comes up at
once and shows what it is waiting for; handlers wait for it with `wait_for`."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from rag import Assistant, RagError, Settings
from rag.security import Access, AuditLog

log = logging.getLogger(__name__)


class Backend:
    """The Assistant behind the page. Loading the index (building it on first run) and
    the default generator takes seconds to minutes, so it happens in a thread while the
    page already shows a status line; handlers wait for it."""

    def __init__(self, source: Assistant | Settings | None = None, access: Access | None = None):
        if isinstance(source, Assistant):
            self.assistant: Assistant | None = source
            self.settings = source.settings
        else:
            self.assistant = None
            self.settings = source or Settings.load()
        # who may do what (rag.security): open (everyone the local admin) unless `rag serve` signs in
        self.access = access or Access(None)
        self.audit = AuditLog(self.settings.path("audit_path"))
        self.stage = "starting"
        self.error = ""  # the index or embedder failed: nothing can be answered
        self.generator_error = ""  # the default generator failed: other backends still work
        self.generator_description = self.settings.generator
        # model_server = "auto" (when built) or "llama-server": the llama-cpp model in llama.cpp's own server
        # (rag.answering.generators.llama_server), started here, stopped by stop()
        self.model_server = None
        self.fallback = False  # that server would not start: "llama-cpp" answers extractively
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._cancels: dict[str, set[threading.Event]] = {}  # session -> its running answers' stop events
        self._cancels_lock = threading.Lock()

    def start(self) -> "Backend":
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="rag-ui-loader", daemon=True)
            self._thread.start()
        return self

    def _load(self) -> None:
        try:
            if self.assistant is None:
                self.stage = "index"
                self.assistant = Assistant.load(self.settings)
                self.assistant.warm_up()  # sentence vectors: the first answer's evidence is instant
            self.stage = "model"
            if self.settings.model_server != "embedded" and self.settings.generator == "llama-cpp":
                self._start_model_server(required=self.settings.model_server == "llama-server")
            gen = self.assistant.generator()
            self.generator_description = gen.description
            self.assistant.warm_up(gen.name)  # the model, and its fixed prompt prefix evaluated
        except Exception as e:  # noqa: BLE001 - shown on the page instead of killing the thread
            message = str(e) if isinstance(e, RagError) else f"{type(e).__name__}: {e}"
            if not isinstance(e, RagError):
                log.exception("loading the assistant failed")
            if self.assistant is None:
                self.error = message
            else:
                self.generator_error = message
        finally:
            self.stage = "failed" if self.error else "ready"
            self._ready.set()

    def _start_model_server(self, required: bool = True) -> None:
        """Run the llama-cpp model in llama-server and answer "llama-cpp" through it. If it
        will not start: with model_server = "llama-server" (`required`), say why on the page
        and answer "llama-cpp" extractively (the evidence and sentences picked from the
        documents; no model) instead of failing; with "auto", keep the model in this process
        (also when llama-server was never built)."""
        from rag.answering.generators import find_llama_server, start_llama_server

        try:
            if not required:
                find_llama_server(self.settings)  # ModelError: not built here
            gen = start_llama_server(self.settings)
            gen.server.on_give_up = self._model_server_gave_up
            self.model_server = gen.server
            self.assistant.register_generator(gen, name="llama-cpp")
        except RagError as e:
            self.model_server = None
            if not required:
                log.warning("model_server = \"auto\": the model runs in this process (%s)", e)
                return
            log.error("llama-server did not start: %s", e)
            self._answer_extractively(f"llama-server could not start: {e}")

    def _model_server_gave_up(self, error: str) -> None:
        """The model server kept exiting and is not restarted any more: from now on
        "llama-cpp" answers extractively, with the evidence, and the page says why."""
        self._answer_extractively(f"llama-server stopped and is not restarted: {error}")

    def _answer_extractively(self, why: str) -> None:
        from rag.answering.generators import make_generator

        self.generator_error = why
        self.assistant.register_generator(make_generator("extractive", self.settings), name="llama-cpp")
        self.fallback = True

    def stop(self) -> None:
        """Stop what this backend started (the model server)."""
        if self.model_server is not None:
            self.model_server.stop()

    # ------------------------------------------------------------------ stopping answers
    def running(self, session: str | None) -> threading.Event:
        """A stop event for one answer of this session (set by cancel(session))."""
        event = threading.Event()
        if session:
            with self._cancels_lock:
                self._cancels.setdefault(session, set()).add(event)
        return event

    def finished(self, session: str | None, event: threading.Event) -> None:
        if session:
            with self._cancels_lock:
                events = self._cancels.get(session)
                if events is not None:
                    events.discard(event)
                    if not events:
                        del self._cancels[session]

    def cancel(self, session: str | None) -> int:
        """Stop every running answer of the session (the stop button, a closed tab): the
        model's generation ends at once and its slot is free. How many were stopped."""
        if not session:
            return 0
        with self._cancels_lock:
            events = list(self._cancels.get(session, ()))
        for e in events:
            e.set()
        return len(events)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def status(self) -> str:
        """One line of Markdown for the top of the page."""
        name = self.settings.generator
        if self.stage in ("starting", "index"):
            return "正在加载索引和嵌入模型… · Loading the index and embedder (the first run builds the index)…"
        if self.stage == "model":
            return f"正在加载生成模型 `{name}`… · Loading the `{name}` model; you can type already."
        if self.error:
            return f"✗ 助手无法启动 · The assistant could not start: {self.error}"
        if self.fallback:
            return (f"⚠ 模型服务不可用，回答为摘录（无语言模型）· The model server is unavailable, so answers are "
                    f"extractive (sentences picked from the documents, no language model): {self.generator_error}")
        if self.generator_error:
            return (f"⚠ 默认生成器 `{name}` 不可用 · The default generator `{name}` could not load: "
                    f"{self.generator_error} Choose another generator (e.g. `extractive`) under Settings.")
        return f"✓ 就绪 · Ready — default generator: {self.generator_description}"


def wait_for(backend: Backend) -> Iterator[str]:
    """Yield a loading message every second until the backend is loaded."""
    while not backend.wait(1.0):
        yield backend.status()
