"""Retrieval: the index lifecycle (index), lexical analysis and BM25 (lexical, bm25,
bilingual), dense embedders (embedders/), vector stores (stores/) and the sentence-vector
cache the evidence ranking reads (sentence_vectors)."""
