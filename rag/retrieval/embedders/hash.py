"""A deterministic, model-free embedder: character n-gram hashing.

Not a semantic model. It exists so unit tests (and anyone without the real
model) can build and query indexes instantly and reproducibly.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .base import Embedder


class HashEmbedder(Embedder):
    name = "hash"
    DIM = 256

    @property
    def key(self) -> str:
        return f"hash:char-1-2gram:{self.DIM}"

    @property
    def dim(self) -> int:
        return self.DIM

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            chars = [c for c in text.lower() if not c.isspace()]
            grams = chars + [a + b for a, b in zip(chars, chars[1:])]
            for g in grams:
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
                out[row, h % self.DIM] += 1.0 if (h >> 31) & 1 else -1.0
        return out
