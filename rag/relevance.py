"""Which sentences of a passage matter for a question?

A Chinese question is matched against Chinese passages by shared key terms
(character bigrams; instant). An English question shares no characters with
Chinese text, so it is matched by the multilingual embedder instead. Sentence
embeddings cost ~0.1 s each on this CPU, and the same corpus sentences come up
again and again, so their vectors are kept in a process-wide LRU cache keyed
by the embedder's identity.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import evidence

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


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def warm(embedder, sentences: Sequence[str], path: Path | None = None, *, embed_missing: bool = True,
         progress=None) -> int:
    """Fill the cache with the vectors of these sentences (a corpus' sentences, so the
    first question does not wait for them), reading and updating a vector file at
    `path` when given. With embed_missing=False only the file is read (a one-shot command
    should not embed a whole corpus). Returns how many sentences needed the embedder."""
    key = getattr(embedder, "key", type(embedder).__name__)
    stored: dict[str, np.ndarray] = {}
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                stored = dict(zip(data["keys"].tolist(), data["vectors"]))
        except (OSError, ValueError, KeyError):
            stored = {}  # a damaged file only costs re-embedding
    todo = list(dict.fromkeys(s for s in sentences if _text_key(s) not in stored)) if embed_missing else []
    with _lock:
        for s in sentences:
            v = stored.get(_text_key(s))
            if v is not None:
                _cache[(key, s)] = v
    if todo:
        vecs = embedder.embed_passages(todo, progress=progress) if progress else sentence_vectors(embedder, todo)
        with _lock:
            for s, v in zip(todo, vecs):
                stored[_text_key(s)] = v
                _cache[(key, s)] = v
        current = {_text_key(s) for s in sentences}  # sentences no longer in the corpus drop out
        stored = {k: v for k, v in stored.items() if k in current}
        if path is not None and stored:
            keys = np.array(list(stored), dtype="U32")
            mat = np.stack(list(stored.values())).astype(np.float32)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            os.close(fd)
            try:
                with open(tmp, "wb") as f:
                    np.savez(f, keys=keys, vectors=mat)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    return len(todo)


def uses_embeddings(question: str, embedder) -> bool:
    return embedder is not None and not evidence.is_cjk(question)


def scores(question: str, sentences: Sequence[str], embedder=None) -> list[float]:
    """Relevance of each sentence to the question; comparable within one call only."""
    if not sentences:
        return []
    if uses_embeddings(question, embedder):
        q = embedder.embed_queries([question])[0]
        return (sentence_vectors(embedder, sentences) @ q).tolist()
    terms = evidence.question_terms(question)
    return [float(len(terms & evidence.units(s))) for s in sentences]


def ranked(question: str, items: Sequence[tuple[int, str]], embedder=None) -> list[tuple[float, int, str]]:
    """(score, n, sentence) best first; ties keep the input order (earlier passages first)."""
    sc = scores(question, [s for _, s in items], embedder)
    order = sorted(range(len(items)), key=lambda i: (-sc[i], i))
    return [(sc[i], items[i][0], items[i][1]) for i in order]
