"""Any sentence-transformers model, by hub name or local folder.

Offline machines cannot reach the hub, so a name that is neither a local
folder nor in the local HF cache fails with a message saying so.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from ...errors import ConfigError, DependencyError, ModelError
from .base import Embedder


class SentenceTransformerEmbedder(Embedder):
    name = "sentence-transformers"

    def __init__(self, settings):
        super().__init__(settings)
        if not settings.embedder_model:
            raise ConfigError(
                "The sentence-transformers embedder needs a model: set embedder_model "
                "(RAG_EMBEDDER_MODEL) to a hub name such as intfloat/multilingual-e5-small or a local folder."
            )
        self._model = None
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        # a local path is identified by its folder name so moving the checkout does not invalidate the index
        m = self.settings.embedder_model
        ident = Path(m).name if os.path.isdir(m) else m
        return f"sentence-transformers:{ident}:{self.settings.query_prefix!r}:{self.settings.passage_prefix!r}"

    def warm_up(self):
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as e:
                    raise DependencyError("sentence-transformers", extra="st", purpose="the sentence-transformers embedder") from e
                model = self.settings.embedder_model
                try:
                    self._model = SentenceTransformer(model, device="cpu")
                except Exception as e:  # hub/IO/format errors all mean "no usable model here"
                    where = "folder" if os.path.isdir(model) else "name (not a local folder, and the hub is unreachable offline)"
                    raise ModelError(
                        f"Could not load sentence-transformers model {model!r} by {where}: {e}. "
                        "Point embedder_model at a local model folder."
                    ) from e
        return self._model

    @property
    def dim(self) -> int:
        model = self.warm_up()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self.warm_up()
        with self._lock:
            return model.encode(texts, batch_size=self.settings.embed_batch_size, convert_to_numpy=True,
                                normalize_embeddings=True, show_progress_bar=False)
