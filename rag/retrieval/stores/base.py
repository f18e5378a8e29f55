"""The IndexStore protocol: where a built index lives, and how it is written and read back.

HybridIndex (rag.retrieval.index) does the work that is the same for every store: chunking has
happened, vectors come from the embedding cache or the embedder, BM25 term counts from
rag.retrieval.lexical, and the manifest says what built the index. A store only persists those
pieces and reads them back:

    write(chunks, matrix, counts, manifest) -> dense   replace the stored index, manifest last
    read_manifest() -> dict                            IndexMissingError / IndexCorruptError
    load(manifest) -> Loaded                           chunks, dense vectors, BM25 counts
    version() -> str | None                            changes whenever a new index is written
    stored_vectors(keys, embedder_key) -> {key: vec}   vectors the store already holds (reuse)

`dense` is what HybridIndex searches: an object with the part of faiss.Index's API it
uses (`ntotal`, `d`, `search(q, k)` -> (scores, ids) with -1 padding, `reconstruct(i)`,
`reconstruct_n(i0, n)`). FAISS gives its own index; other stores adapt to it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...config import Settings
from ...types import Chunk


@dataclass
class Loaded:
    chunks: list[Chunk]
    dense: Any  # the faiss.Index subset described above
    analyzer: str  # the lexical analyser the counts were cut with
    counts: list[dict[str, int]]


class IndexStore(ABC):
    name = "base"

    def __init__(self, settings: Settings, index_dir: Path):
        self.settings = settings
        self.index_dir = Path(index_dir)

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the index lives, for messages."""

    @property
    def rebuild_hint(self) -> str:
        return f"Rebuild it with: rag index --out {self.index_dir}"

    @abstractmethod
    def read_manifest(self) -> dict:
        ...

    @abstractmethod
    def write(self, chunks: list[Chunk], matrix: np.ndarray, counts: list[dict[str, int]], manifest: dict):
        """Replace the stored index; store-specific keys are added to `manifest`. Returns dense."""

    @abstractmethod
    def load(self, manifest: dict) -> Loaded:
        ...

    @abstractmethod
    def version(self) -> str | None:
        """A cheap token that changes whenever a new index is written (None: no index)."""

    def stored_vectors(self, keys: list[str], embedder_key: str) -> dict[str, np.ndarray]:
        """Vectors by text key that the store already holds from this embedder (beyond the
        local embedding cache)."""
        return {}
