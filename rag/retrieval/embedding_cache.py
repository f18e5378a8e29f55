"""Vectors already computed, kept beside the index so a rebuild re-embeds only what changed.

    index/embcache-*.npz   passage vectors by sha256 of the embedded text, per embedder
    index/sentvec-*.npz    the same for the sentences answers are ranked by (sentence_vectors)
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from .._files import atomic_write


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    """Vectors keyed by the hash of the text that was embedded, one file per embedder (and
    per kind: "embcache" for passages, "sentvec" for the sentences answers are ranked by)."""

    def __init__(self, folder: Path, embedder_key: str, prefix: str = "embcache"):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder_key)[:80]
        self.path = Path(folder) / f"{prefix}-{safe}-{hashlib.sha1(embedder_key.encode()).hexdigest()[:8]}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
            except (OSError, ValueError, KeyError):
                self.vectors = {}  # a damaged cache only costs re-embedding

    def save(self) -> None:
        if not self.vectors:
            return
        keys = np.array(list(self.vectors), dtype="U32")
        vecs = np.stack(list(self.vectors.values())).astype(np.float32)

        def w(tmp: str) -> None:
            with open(tmp, "wb") as f:
                np.savez(f, keys=keys, vectors=vecs)

        atomic_write(self.path, w)
