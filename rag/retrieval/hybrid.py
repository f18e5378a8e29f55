"""The hybrid index: dense vectors + BM25 term counts + the chunk table, built, loaded and searched.

Where the built index lives is a store chosen by settings.vector_store (rag.retrieval.stores):
"faiss" (default) writes files under index/ (rag.retrieval.stores.faiss_store has the layout);
"milvus" writes a Milvus collection (rag.retrieval.stores.milvus_store). Both keep the same
contract: the manifest (embedder, dimension, chunker version, corpus hash, checksums)
is written last, so a crash mid-build leaves the old index or one whose checks fail on
load, never a silently half-written one. Vectors already computed come from the
embedding cache beside it (rag.retrieval.embedding_cache).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import bilingual, lexical, pinyin
from .bm25 import BM25
from ..config import Settings, call_options
from ..ingest.corpus import CHUNKER_VERSION, index_text
from .embedders import Embedder
from .embedding_cache import EmbeddingCache, text_key
from ..errors import CorpusError, IndexCorruptError, IndexStaleError
from .stores import IndexStore, make_store
from ..types import Chunk, Hit

FORMAT_VERSION = 2  # 2: character n-gram BM25 (lexical.json) replaced jieba words (bm25.json)


@dataclass
class BuildStats:
    chunks: int
    embedded: int  # chunks that needed the model (not found in the cache)
    seconds: float


class HybridIndex:
    def __init__(self, chunks: list[Chunk], dense, bm25: BM25, embedder: Embedder, settings: Settings, manifest: dict,
                 store: IndexStore | None = None, version: str | None = None):
        self.chunks = chunks
        self.dense = dense  # faiss.Index, or a store's object with the same search API (rag.retrieval.stores.base)
        self.bm25 = bm25  # over character n-grams (rag.retrieval.lexical)
        self.embedder = embedder
        self.settings = settings
        self.manifest = manifest
        self.store = store  # where it was loaded from or written to (None: built in memory)
        self.version = version  # store.version() when loaded: another process's rebuild changes it
        self.by_id = {c.id: c for c in chunks}
        self._glossary: bilingual.Glossary | None = None
        self._pinyin_names: pinyin.PinyinNames | None = None

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
        on_total: Callable[[int], None] | None = None,
        before_write: Callable[[], None] | None = None,
    ) -> "HybridIndex":
        """Embed what the cache lacks and write the index. `on_total(n)` hears how many
        chunks will be embedded before it starts; `progress` is True (a tqdm bar) or a
        callback told how many more are done; `before_write()` runs after the embedding,
        before anything of the index is written (an exception there writes nothing)."""
        t0 = time.perf_counter()
        if not chunks:
            raise CorpusError("Nothing to index: the corpus produced no chunks.")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        store = make_store(settings, out_dir)
        texts = [index_text(c) for c in chunks]
        cache = EmbeddingCache(out_dir, embedder.key)
        keys = [text_key(t) for t in texts]
        # vectors the store holds already (a Milvus index built by another worker)
        cache.vectors.update(store.stored_vectors([k for k in dict.fromkeys(keys) if k not in cache.vectors], embedder.key))
        missing_at: dict[str, int] = {}  # text hash -> first chunk with that text, for texts not cached
        for i, k in enumerate(keys):
            if k not in cache.vectors and k not in missing_at:
                missing_at[k] = i
        missing = list(missing_at.items())
        if on_total is not None:
            on_total(len(missing))
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
        counts = [lexical.term_counts(t) for t in texts]
        cache.save()
        if before_write is not None:
            before_write()
        manifest = {
            "format": FORMAT_VERSION,
            "embedder": embedder.name,
            "embedder_key": embedder.key,
            "dim": int(matrix.shape[1]),
            "chunker_version": CHUNKER_VERSION,
            "chunk_max_chars": settings.chunk_max_chars,
            "analyzer": lexical.ANALYZER,
            "corpus_hash": corpus_hash,
            "chunks": len(chunks),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **(extra_manifest or {}),
        }
        dense = store.write(chunks, matrix, counts, manifest)  # data first, manifest last
        index = cls(chunks, dense, BM25(counts), embedder, settings, manifest, store, store.version())
        index.build_stats = BuildStats(len(chunks), len(missing), time.perf_counter() - t0)
        return index

    # ---------------------------------------------------------------- load
    @staticmethod
    def read_manifest(index_dir: Path, settings: Settings | None = None) -> dict:
        return make_store(settings or Settings(), index_dir).read_manifest()

    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder, settings: Settings) -> "HybridIndex":
        store = make_store(settings, index_dir)
        version = store.version()  # before reading: a rebuild after this point shows as a change
        manifest = store.read_manifest()
        where, rebuild = store.location, store.rebuild_hint
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexStaleError(f"The index in {where} has format {manifest.get('format')}, "
                                  f"not the current {FORMAT_VERSION}. {rebuild}")
        got = store.load(manifest)
        chunks, dense, counts = got.chunks, got.dense, got.counts
        if got.analyzer != lexical.ANALYZER:
            raise IndexStaleError(f"The index in {where} was cut into terms by {got.analyzer!r}, "
                                  f"not the current {lexical.ANALYZER!r}. {rebuild}")
        if dense.ntotal != len(chunks) or len(counts) != len(chunks) or dense.d != manifest.get("dim"):
            raise IndexCorruptError(f"Index in {where} is inconsistent (vectors, chunks and BM25 rows differ). {rebuild}")
        return cls(chunks, dense, BM25(counts), embedder, settings, manifest, store, version)

    # ---------------------------------------------------------------- search
    def embed_query(self, query: str, timings: dict | None = None) -> np.ndarray:
        t0 = time.perf_counter()
        q = self.embedder.embed_queries([query])
        if timings is not None:
            timings["embed"] = time.perf_counter() - t0
        return q

    def dense_search(self, query: str | np.ndarray, n: int, timings: dict | None = None) -> list[tuple[int, float]]:
        """Top n chunks by cosine; `query` is the text or its embedding from embed_query()."""
        q = self.embed_query(query, timings) if isinstance(query, str) else query
        t1 = time.perf_counter()
        scores, ids = self.dense.search(q, min(n, len(self.chunks)))
        if timings is not None:
            timings["dense"] = time.perf_counter() - t1
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    @property
    def glossary(self) -> bilingual.Glossary:
        """English words -> the Chinese words of this index's passages (made on first use)."""
        if self._glossary is None:
            self._glossary = bilingual.Glossary([index_text(c) for c in self.chunks])
        return self._glossary

    @glossary.setter
    def glossary(self, value: bilingual.Glossary) -> None:
        self._glossary = value  # another dictionary (tests use a small one)

    @property
    def pinyin_names(self) -> pinyin.PinyinNames:
        """Pinyin names -> their spellings in this index's passages (rag.retrieval.pinyin)."""
        if self._pinyin_names is None:
            self._pinyin_names = pinyin.PinyinNames(index_text(c) for c in self.chunks)
        return self._pinyin_names

    def pinyin_spellings(self, query: str) -> list[list[str]]:
        """The corpus' spellings of the names an English question gives in pinyin, per name
        (rag.retrieval.pinyin); words the dictionary translates are no names."""
        rest, _ = bilingual.translate(query, self.glossary)
        return self.pinyin_names.spellings(rest)

    def lexical_query(self, query: str) -> dict[str, float]:
        """The query as weighted BM25 terms: its character n-grams, question words left out;
        with settings.translate_terms, the English words and phrases of an English question
        that a general dictionary maps to words of this corpus are replaced by the n-grams
        of those words (rag.retrieval.bilingual), and the names it spells in pinyin add the
        n-grams of their spellings in this corpus (rag.retrieval.pinyin)."""
        terms: list[str] = []
        if self.settings.translate_terms:
            english = bilingual.is_english(query)
            query, zh = bilingual.translate(query, self.glossary)
            if english:  # the words left untranslated may be names in pinyin
                zh = zh + [n for n in self.pinyin_names.find(query) if n not in zh]
            for term in zh:
                terms.extend(lexical.tokens(term))
        terms.extend(lexical.tokens(query, query=True))
        return dict.fromkeys(terms, 1.0)

    def bm25_scores(self, query: str, timings: dict | None = None) -> tuple[np.ndarray, dict[str, float]]:
        """BM25 score of every chunk, and the weighted query terms behind them."""
        t0 = time.perf_counter()
        terms = self.lexical_query(query)
        s = self.bm25.scores(terms)
        if timings is not None:
            timings["bm25"] = time.perf_counter() - t0
        return s, terms

    def bm25_search(self, query: str, n: int, timings: dict | None = None) -> list[tuple[int, float]]:
        s, _ = self.bm25_scores(query, timings)
        order = np.argsort(-s, kind="stable")[:n]
        return [(int(i), float(s[i])) for i in order if s[i] > 0]

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               timings: dict | None = None) -> list[Hit]:
        """The top k chunks (default settings.k) by `mode` (default settings.retrieval)."""
        chosen = call_options(self.settings, k=k, retrieval=mode)
        k, mode = chosen["k"], chosen["retrieval"]
        depth = max(k, self.settings.fusion_depth)
        if mode == "dense":
            ranked = [(i, s, {"dense_rank": r, "dense_score": s}) for r, (i, s) in enumerate(self.dense_search(query, k, timings), 1)]
        elif mode == "bm25":
            ranked = [(i, s, {"bm25_rank": r, "bm25_score": s}) for r, (i, s) in enumerate(self.bm25_search(query, k, timings), 1)]
        else:  # hybrid
            if self.settings.fusion == "rrf":
                weight = self.bm25_weight(query)
                ranked = self._fuse(self.dense_search(query, depth, timings), self.bm25_search(query, depth, timings), weight)
            else:
                ranked = self._fuse_scores(query, depth, timings)
        return [Hit(rank=r, score=s, chunk=self.chunks[i], sources=src) for r, (i, s, src) in enumerate(ranked[:k], 1)]

    def bm25_weight(self, query: str) -> float:
        """How much BM25's vote counts in rank fusion: the share of the query's term weight
        (idf) that occurs in the corpus at all.

        An English question over a Chinese corpus matches only stray tokens ("ai",
        a number) and its BM25 list is mostly noise; a question in the corpus'
        language matches nearly all its terms. Weighting BM25's vote by this share
        keeps lexical precision where it exists without letting noise outvote the
        multilingual dense retriever."""
        coverage = self.bm25.coverage(self.lexical_query(query))
        # past half, the query is in the corpus' language and the rest are rare words
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

    def bm25_normalised(self, scores: np.ndarray, terms: dict[str, float]) -> np.ndarray:
        """BM25 scores on a 0..1 scale: divided by the query's self-score, capped at 1 (a
        short passage repeating the terms can score above a single perfect match)."""
        return np.minimum(1.0, scores / (self.bm25.self_score(terms) or 1.0))

    def _fuse_scores(self, query: str, depth: int, timings: dict | None = None):
        """Score fusion: (1 - w) * dense + w * lexical, each put on a 0..1 scale per query.

        Rank fusion throws the scores away: when dense ranks four passages within 0.01
        cosine of each other and BM25 ranks them in another order, RRF gives four near-
        equal sums and noise decides. Scores keep the margins. Dense cosines of an e5
        model sit in a narrow band (0.75-0.90), so they are rescaled between the deepest
        candidate's cosine (0) and the best (1). BM25 is divided by the query's self-score
        (what a passage holding every query term once would get), so it says how much
        of the query a passage matches: 1 for a passage with the exact phrase, little for
        an English question whose words the Chinese corpus lacks, where dense then decides."""
        w = self.settings.lexical_weight
        qv = self.embed_query(query, timings)
        dense = self.dense_search(qv, depth, timings)
        lex, terms = self.bm25_scores(query, timings)
        t0 = time.perf_counter()
        lex_order = np.argsort(-lex, kind="stable")
        lex_rank = np.empty(len(lex), dtype=np.int64)
        lex_rank[lex_order] = np.arange(1, len(lex) + 1)
        cos = {i: s for i, s in dense}
        dense_rank = {i: r for r, (i, _) in enumerate(dense, 1)}
        cands = list(cos) + [int(i) for i in lex_order[:depth] if lex[i] > 0 and int(i) not in cos]
        extra = [i for i in cands if i not in cos]
        if extra:  # cosine of lexical candidates below the dense cut, from the stored vectors
            vecs = np.vstack([self.dense.reconstruct(i) for i in extra])
            cos.update(zip(extra, (vecs @ qv[0]).tolist()))
        hi = max(cos.values())
        lo = min(s for _, s in dense)
        span = hi - lo if hi > lo else 1.0
        lexn = self.bm25_normalised(lex, terms)
        out = []
        for i in cands:
            d = max(0.0, (cos[i] - lo) / span)
            b = float(lexn[i])
            src = {"dense_score": cos[i], "dense_norm": d, "bm25_score": float(lex[i]), "bm25_norm": b}
            if i in dense_rank:
                src["dense_rank"] = dense_rank[i]
            if lex[i] > 0:
                src["bm25_rank"] = int(lex_rank[i])
            out.append((i, (1 - w) * d + w * b, src))
        out.sort(key=lambda t: (-t[1], t[0]))
        if timings is not None:
            timings["fuse"] = time.perf_counter() - t0
        return out
