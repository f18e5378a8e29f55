"""The index's public names in one place (tests, the UI, benchmarks and older code import
them from here). The work is done in three modules with one job each:

    rag.retrieval.embedding_cache   vectors already computed, by hash of the embedded text
    rag.retrieval.hybrid            HybridIndex: build, load, and dense/BM25/hybrid search
    rag.retrieval.lifecycle         open_index: load, or (re)build when missing or stale
"""
from .embedding_cache import EmbeddingCache, text_key
from .hybrid import FORMAT_VERSION, BuildStats, HybridIndex
from .lifecycle import Log, build_from_corpus, open_index, stale_reason

__all__ = ["EmbeddingCache", "text_key", "FORMAT_VERSION", "BuildStats", "HybridIndex", "Log",
           "build_from_corpus", "open_index", "stale_reason"]
