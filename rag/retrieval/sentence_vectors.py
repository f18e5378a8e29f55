"""Sentence vectors for ranking evidence (rag.answering.selection), cached.

The same corpus sentences come up again and again, and embedding one costs tens of
milliseconds on this CPU, so their vectors are kept in a process-wide LRU cache keyed
by the embedder's identity, and `warm` fills it from (and writes) a vector file
beside the index.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .embedding_cache import EmbeddingCache, text_key


_CACHE_SIZE = 8192  # sentences; ~12 MB of float32 vectors at 384 dimensions
_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_lock = threading.Lock()


def sentence_vectors(embedder, sentences: Sequence[str]) -> np.ndarray:
    """Passage embeddings of the sentences, computing only the ones not cached yet."""
    key = getattr(embedder, "key", type(embedder).__name__)
    out: list[np.ndarray | None] = []
    missing: list[int] = []
    with _lock:
        for i, s in enumerate(sentences):
            v = _cache.get((key, s))
            if v is None:
                missing.append(i)
            else:
                _cache.move_to_end((key, s))
            out.append(v)
    if missing:
        vecs = embedder.embed_passages([sentences[i] for i in missing])
        with _lock:
            for i, v in zip(missing, vecs):
                out[i] = v
                _cache[(key, sentences[i])] = v
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return np.vstack(out) if out else np.zeros((0, 1), dtype=np.float32)


def warm(embedder, sentences: Sequence[str], folder: Path | None = None, *, embed_missing: bool = True,
         progress=None, on_total=None) -> int:
    """Fill the cache with the vectors of these sentences (a corpus' sentences, so the
    first question does not wait for them), reading and updating the sentence vector file
    in `folder` (the index folder) when given. With embed_missing=False only the file is
    read (a one-shot command should not embed a whole corpus). `on_total(n)` is told how
    many sentences will be embedded before it starts (a progress bar's total); `progress(k)`
    as they are. Returns how many sentences needed the embedder."""
    key = getattr(embedder, "key", type(embedder).__name__)
    store = EmbeddingCache(folder, key, prefix="sentvec") if folder is not None else None
    stored = store.vectors if store is not None else {}
    todo = list(dict.fromkeys(s for s in sentences if text_key(s) not in stored)) if embed_missing else []
    with _lock:
        for s in sentences:
            v = stored.get(text_key(s))
            if v is not None:
                _cache[(key, s)] = v
    if on_total is not None:
        on_total(len(todo))
    if todo:
        vecs = embedder.embed_passages(todo, progress=progress) if progress else sentence_vectors(embedder, todo)
        with _lock:
            for s, v in zip(todo, vecs):
                stored[text_key(s)] = v
                _cache[(key, s)] = v
        if store is not None:
            current = {text_key(s) for s in sentences}  # sentences no longer in the corpus drop out
            store.vectors = {k: v for k, v in stored.items() if k in current}
            store.save()
    return len(todo)
