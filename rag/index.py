"""The on-disk index: FAISS vectors + BM25 postings + the chunk table, and hybrid search over them.

Layout of index/:
    manifest.json       embedder, dimension, chunker version, corpus hash, sha256 of every file
    chunks.jsonl        one Chunk per line, in FAISS row order
    dense.faiss         IndexFlatIP over L2-normalised vectors (inner product == cosine)
    bm25.json           tokenised chunks + the jieba user words used to cut them
    embcache-*.npz      vectors by sha256 of the embedded text, per embedder: a rebuild re-embeds
                        only chunks whose text changed

Every file is written to a temporary name and renamed into place, manifest last, so a
crash mid-build leaves either the old index or a manifest whose checksums do not match
(detected on load), never a silently half-written index.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .bm25 import BM25, Tokenizer, corpus_terms
from .config import Settings
from .corpus import CHUNKER_VERSION, chunk_documents, corpus_hash, index_text, load_documents
from .embedders import Embedder
from .errors import CorpusError, DependencyError, IndexCorruptError, IndexMissingError, IndexStaleError
from .types import Chunk, Hit

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_FILES = ("chunks.jsonl", "dense.faiss", "bm25.json")
Log = Callable[[str], None]


def _faiss():
    try:
        import faiss
    except ImportError as e:
        raise DependencyError("faiss-cpu", purpose="the vector index") from e
    return faiss


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call write(tmp_path), then rename tmp_path over path (same folder, so the rename is atomic)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_text(path: Path, text: str) -> None:
    def w(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    _atomic_write(path, w)


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# ------------------------------------------------------------------ embedding cache

class EmbeddingCache:
    """Vectors keyed by the hash of the text that was embedded, one file per embedder."""

    def __init__(self, folder: Path, embedder_key: str):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", embedder_key)[:80]
        self.path = Path(folder) / f"embcache-{safe}-{hashlib.sha1(embedder_key.encode()).hexdigest()[:8]}.npz"
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

        _atomic_write(self.path, w)


# ------------------------------------------------------------------ the index

@dataclass
class BuildStats:
    chunks: int
    embedded: int  # chunks that needed the model (not found in the cache)
    seconds: float


class HybridIndex:
    def __init__(self, chunks: list[Chunk], dense, bm25: BM25, tokenizer: Tokenizer,
                 embedder: Embedder, settings: Settings, manifest: dict):
        self.chunks = chunks
        self.dense = dense
        self.bm25 = bm25
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.settings = settings
        self.manifest = manifest
        self.by_id = {c.id: c for c in chunks}

    # ---------------------------------------------------------------- build
    @classmethod
    def build(
        cls,
        chunks: list[Chunk],
        embedder: Embedder,
        out_dir: Path,
        settings: Settings,
        corpus_hash: str,
        progress: bool | Callable[[int], None] = False,
        extra_manifest: dict | None = None,
    ) -> "HybridIndex":
        t0 = time.perf_counter()
        if not chunks:
            raise CorpusError("Nothing to index: the corpus produced no chunks.")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        texts = [index_text(c) for c in chunks]
        cache = EmbeddingCache(out_dir, embedder.key)
        keys = [_text_key(t) for t in texts]
        missing_at: dict[str, int] = {}  # text hash -> first chunk with that text, for texts not cached
        for i, k in enumerate(keys):
            if k not in cache.vectors and k not in missing_at:
                missing_at[k] = i
        missing = list(missing_at.items())
        if missing:
            bar = None
            callback = progress if callable(progress) else None
            if progress is True:
                from tqdm import tqdm

                bar = tqdm(total=len(missing), desc="Embedding chunks", unit="chunk", dynamic_ncols=True)
                callback = bar.update
            try:
                vecs = embedder.embed_passages([texts[i] for _, i in missing], progress=callback)
            finally:
                if bar is not None:
                    bar.close()
            for (k, _), v in zip(missing, vecs):
                cache.vectors[k] = v
        matrix = np.stack([cache.vectors[k] for k in keys]).astype(np.float32)
        faiss = _faiss()
        dense = faiss.IndexFlatIP(matrix.shape[1])
        dense.add(matrix)

        terms = corpus_terms([c.text for c in chunks])
        tokenizer = Tokenizer(terms)
        docs_tokens = [tokenizer.tokens(t) for t in texts]

        # data files first, manifest (with their checksums) last
        _write_text(out_dir / "chunks.jsonl", "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in chunks))
        _atomic_write(out_dir / "dense.faiss", lambda tmp: faiss.write_index(dense, tmp))
        _write_text(out_dir / "bm25.json", json.dumps({"user_words": terms, "tokens": docs_tokens}, ensure_ascii=False))
        cache.save()
        manifest = {
            "format": FORMAT_VERSION,
            "embedder": embedder.name,
            "embedder_key": embedder.key,
            "dim": int(matrix.shape[1]),
            "chunker_version": CHUNKER_VERSION,
            "chunk_max_chars": settings.chunk_max_chars,
            "corpus_hash": corpus_hash,
            "chunks": len(chunks),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": {name: _sha256(out_dir / name) for name in DATA_FILES},
            **(extra_manifest or {}),
        }
        _write_text(out_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        index = cls(chunks, dense, BM25(docs_tokens), tokenizer, embedder, settings, manifest)
        index.build_stats = BuildStats(len(chunks), len(missing), time.perf_counter() - t0)
        return index

    # ---------------------------------------------------------------- load
    @staticmethod
    def read_manifest(index_dir: Path) -> dict:
        path = Path(index_dir) / MANIFEST
        if not path.is_file():
            raise IndexMissingError(
                f"No index in {index_dir}. Build it with: rag index --corpus seeds/ --out {index_dir}"
            )
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            manifest["files"]  # noqa: B018 - presence check
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
            raise IndexCorruptError(f"{path} is damaged ({e}). Rebuild the index with: rag index --out {index_dir}") from None
        return manifest

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder, settings: Settings) -> "HybridIndex":
        index_dir = Path(index_dir)
        manifest = cls.read_manifest(index_dir)
        rebuild = f"Rebuild it with: rag index --out {index_dir}"
        for name, expected in manifest["files"].items():
            path = index_dir / name
            if not path.is_file():
                raise IndexCorruptError(f"Index file {path} is missing. {rebuild}")
            if _sha256(path) != expected:
                raise IndexCorruptError(f"Index file {path} is truncated or corrupted (checksum mismatch). {rebuild}")
        try:
            chunks = [Chunk(**json.loads(line)) for line in (index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
            dense = _faiss().read_index(str(index_dir / "dense.faiss"))
            bm = json.loads((index_dir / "bm25.json").read_text(encoding="utf-8"))
        except Exception as e:  # checksums matched but the content does not parse: still corrupt
            raise IndexCorruptError(f"Index in {index_dir} cannot be read ({e}). {rebuild}") from None
        if dense.ntotal != len(chunks) or len(bm["tokens"]) != len(chunks) or dense.d != manifest.get("dim"):
            raise IndexCorruptError(f"Index in {index_dir} is inconsistent (vectors, chunks and BM25 rows differ). {rebuild}")
        return cls(chunks, dense, BM25(bm["tokens"]), Tokenizer(bm["user_words"]), embedder, settings, manifest)

    # ---------------------------------------------------------------- search
    def dense_search(self, query: str, n: int, timings: dict | None = None) -> list[tuple[int, float]]:
        t0 = time.perf_counter()
        q = self.embedder.embed_queries([query])
        t1 = time.perf_counter()
        scores, ids = self.dense.search(q, min(n, len(self.chunks)))
        if timings is not None:
            timings["embed"] = t1 - t0
            timings["dense"] = time.perf_counter() - t1
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def bm25_search(self, query: str, n: int, timings: dict | None = None) -> list[tuple[int, float]]:
        t0 = time.perf_counter()
        out = self.bm25.top(self.tokenizer.tokens(query), n)
        if timings is not None:
            timings["bm25"] = time.perf_counter() - t0
        return out

    def search(self, query: str, k: int = 5, mode: str = "hybrid", timings: dict | None = None) -> list[Hit]:
        depth = max(k, self.settings.fusion_depth)
        if mode == "dense":
            ranked = [(i, s, {"dense_rank": r, "dense_score": s}) for r, (i, s) in enumerate(self.dense_search(query, k, timings), 1)]
        elif mode == "bm25":
            ranked = [(i, s, {"bm25_rank": r, "bm25_score": s}) for r, (i, s) in enumerate(self.bm25_search(query, k, timings), 1)]
        elif mode == "hybrid":
            weight = self.bm25_weight(query)
            ranked = self._fuse(self.dense_search(query, depth, timings), self.bm25_search(query, depth, timings), weight)
        else:
            from .errors import ConfigError

            raise ConfigError(f"Unknown retrieval mode {mode!r}: use dense, bm25 or hybrid.")
        return [Hit(rank=r, score=s, chunk=self.chunks[i], sources=src) for r, (i, s, src) in enumerate(ranked[:k], 1)]

    def bm25_weight(self, query: str) -> float:
        """How much BM25's vote counts in hybrid fusion, from the share of the query's
        terms that occur in the corpus vocabulary.

        An English question over a Chinese corpus matches only stray tokens ("ai",
        a number) and its BM25 list is mostly noise; a question in the corpus'
        language matches nearly all its terms. Weighting BM25's vote by this share
        keeps lexical precision where it exists without letting noise outvote the
        multilingual dense retriever."""
        terms = set(self.tokenizer.tokens(query))
        if not terms:
            return 0.0
        coverage = sum(1 for t in terms if t in self.bm25.postings) / len(terms)
        # past half, the query is in the corpus' language and the rest are question words
        return 1.0 if coverage >= 0.5 else coverage

    def _fuse(self, dense: list[tuple[int, float]], bm25: list[tuple[int, float]], bm25_weight: float = 1.0):
        """Weighted reciprocal rank fusion: score = sum over lists of weight / (rrf_k + rank)."""
        c = self.settings.rrf_k
        fused: dict[int, float] = {}
        info: dict[int, dict] = {}
        for name, ranked, weight in (("dense", dense, 1.0), ("bm25", bm25, bm25_weight)):
            for r, (i, s) in enumerate(ranked, 1):
                fused[i] = fused.get(i, 0.0) + weight / (c + r)
                info.setdefault(i, {}).update({f"{name}_rank": r, f"{name}_score": s})
        order = sorted(fused, key=lambda i: (-fused[i], i))
        return [(i, fused[i], info[i]) for i in order]


# ------------------------------------------------------------------ open or build for a corpus

def stale_reason(manifest: dict, embedder: Embedder, settings: Settings, current_hash: str | None) -> str | None:
    """Why an index on disk does not match the current corpus and settings (None when it does)."""
    if manifest.get("format") != FORMAT_VERSION:
        return f"index format {manifest.get('format')} is not the current {FORMAT_VERSION}"
    if manifest.get("embedder_key") != embedder.key:
        return f"it was built with embedder {manifest.get('embedder_key')!r}, but the settings use {embedder.key!r}"
    if manifest.get("chunker_version") != CHUNKER_VERSION or manifest.get("chunk_max_chars") != settings.chunk_max_chars:
        return "it was built with other chunking settings"
    if current_hash is not None and manifest.get("corpus_hash") != current_hash:
        return "the corpus has changed since it was built"
    return None


def build_from_corpus(settings: Settings, embedder: Embedder, progress: bool | Callable = False, log: Log | None = None) -> HybridIndex:
    docs = load_documents(settings.corpus_path, log=log)
    chunks = chunk_documents(docs, settings.chunk_max_chars)
    return HybridIndex.build(
        chunks, embedder, settings.index_path, settings, corpus_hash(docs), progress=progress,
        extra_manifest={"corpus_files": sorted(d.source for d in docs)},
    )


def open_index(settings: Settings, embedder: Embedder, progress: bool = False, log: Log | None = None) -> HybridIndex:
    """Load the index for settings.corpus_dir; build or rebuild it when missing, stale or
    corrupted if settings.auto_rebuild, else raise the matching IndexError_ subclass."""
    say = log or (lambda _msg: None)
    index_dir = settings.index_path
    current = None
    if settings.corpus_path.is_dir():
        current = corpus_hash(load_documents(settings.corpus_path))
    else:
        say(f"Corpus folder {settings.corpus_path} not found; using the index as built, without a staleness check.")
    try:
        manifest = HybridIndex.read_manifest(index_dir)
        reason = stale_reason(manifest, embedder, settings, current)
        if reason is None:
            return HybridIndex.load(index_dir, embedder, settings)
        if not settings.auto_rebuild:
            raise IndexStaleError(f"The index in {index_dir} is stale: {reason}. Rebuild it with: rag index --out {index_dir}")
        say(f"Rebuilding the index in {index_dir}: {reason}.")
    except IndexMissingError as e:
        if current is None:
            raise IndexMissingError(f"{e} (and the corpus folder {settings.corpus_path} does not exist either: "
                                    "point --corpus / corpus_dir at your documents)") from None
        if not settings.auto_rebuild:
            raise
        say(f"No index in {index_dir} yet; building it from {settings.corpus_path}.")
    except IndexCorruptError as e:
        if not settings.auto_rebuild or current is None:
            raise
        say(f"{e} Rebuilding it now.")
    return build_from_corpus(settings, embedder, progress=progress, log=log)
