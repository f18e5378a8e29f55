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
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

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
        if self.generator_error:
            return (f"⚠ 默认生成器 `{name}` 不可用 · The default generator `{name}` could not load: "
                    f"{self.generator_error} Choose another generator (e.g. `extractive`) under Settings.")
        return f"✓ 就绪 · Ready — default generator: {self.generator_description}"


def wait_for(backend: Backend) -> Iterator[str]:
    """Yield a loading message every second until the backend is loaded."""
    while not backend.wait(1.0):
        yield backend.status()
