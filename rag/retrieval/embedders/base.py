"""The Embedder protocol: text in, L2-normalised float32 vectors out."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

from ...config import Settings

Progress = Callable[[int], None]  # called with the number of texts just embedded


class Embedder(ABC):
    name: str = "base"

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    @abstractmethod
    def key(self) -> str:
        """Identity of the model that made the vectors (stored in the index manifest)."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Vector dimension (may load the model)."""

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """Encode already-prefixed texts; return (n, dim) float32."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._normalised(self._encode_queries(list(texts)))

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        texts = list(texts)
        size = max(1, self.settings.embed_batch_size)
        parts = []
        for start in range(0, len(texts), size):
            batch = texts[start : start + size]
            parts.append(self._normalised(self._encode_passages(batch)))
            if progress:
                progress(len(batch))
        return np.vstack(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    # Backends whose model adds its own query/passage prefixes override these two.
    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.settings.query_prefix + t for t in texts])

    def _encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.settings.passage_prefix + t for t in texts])

    @staticmethod
    def _normalised(vecs) -> np.ndarray:
        vecs = np.asarray(vecs, dtype=np.float32)
        vecs = vecs.reshape(1, -1) if vecs.ndim == 1 else vecs
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)  # inner product == cosine in the FAISS index
