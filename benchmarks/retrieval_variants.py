"""The retrieval variants benchmarks/retrieval_levers.py measures beside the library's own
HybridIndex: jieba-word BM25 inside score fusion, both BM25s, max-normalised fusion,
sentence-level vectors and a figure cue. None of them is part of the library."""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.ingest import index_text  # noqa: E402
from rag.retrieval import BM25, HybridIndex, Tokenizer, corpus_terms  # noqa: E402


class WordBM25Index(HybridIndex):
    """The new fusion with the jieba-word BM25 of ee97c1b in place of character n-grams."""

    def prepare_words(self):
        texts = [index_text(c) for c in self.chunks]
        self.tok = Tokenizer(corpus_terms([c.text for c in self.chunks]))
        self.wbm = BM25([self.tok.tokens(t) for t in texts])
        return self

    def bm25_scores(self, query, timings=None):
        terms = dict.fromkeys(self.tok.tokens(query), 1.0)
        return self.wbm.scores(terms), terms

    def bm25_weight(self, query):
        """ee97c1b's weight: the share of distinct query words found in the vocabulary."""
        terms = set(self.tok.tokens(query))
        if not terms:
            return 0.0
        coverage = sum(1 for t in terms if t in self.wbm.postings) / len(terms)
        return 1.0 if coverage >= 0.5 else coverage


class BothBM25Index(WordBM25Index):
    """Word and character BM25, each on its 0..1 scale, averaged."""

    def bm25_scores(self, query, timings=None):
        c, cterms = HybridIndex.bm25_scores(self, query)
        w, wterms = WordBM25Index.bm25_scores(self, query)
        self._both = (c, cterms, w, wterms)
        return c + w, cterms

    def bm25_normalised(self, scores, terms):
        c, cterms, w, wterms = self._both
        return (np.minimum(1, c / (self.bm25.self_score(cterms) or 1)) + np.minimum(1, w / (self.wbm.self_score(wterms) or 1))) / 2


class MaxNormIndex(HybridIndex):
    """BM25 divided by the best score of the query instead of its self-score."""

    def bm25_normalised(self, scores, terms):
        return scores / scores.max() if scores.max() > 0 else scores


class SentenceVoteIndex(HybridIndex):
    """Dense score of a chunk = (1 - a) * its own cosine + a * the best cosine of its sentences."""

    alpha = 0.5

    def prepare_sentences(self, embedder, cache_file: Path):
        sents, owner = [], []
        for i, c in enumerate(self.chunks):
            for s in re.split(r"(?<=[。！？；])", c.text):
                if len(s.strip()) >= 8:
                    sents.append(f"{c.section}\n{s.strip()}")
                    owner.append(i)
        if cache_file.is_file():
            data = np.load(cache_file, allow_pickle=False)
            vecs = data["v"] if list(data["t"]) == sents else None
        else:
            vecs = None
        t0 = time.perf_counter()
        if vecs is None:
            vecs = embedder.embed_passages(sents)
            np.savez(cache_file, v=vecs, t=np.array(sents))
        self.sent_seconds = time.perf_counter() - t0
        self.sent_vecs, self.sent_owner, self.n_sents = vecs, np.array(owner), len(sents)
        self.chunk_vecs = self.dense.reconstruct_n(0, self.dense.ntotal)
        return self

    def dense_search(self, query, n, timings=None):
        q = self.embed_query(query, timings) if isinstance(query, str) else query
        own = self.chunk_vecs @ q[0]
        best = np.full(len(self.chunks), -1.0, dtype=np.float32)
        np.maximum.at(best, self.sent_owner, self.sent_vecs @ q[0])
        s = (1 - self.alpha) * own + self.alpha * np.maximum(best, own)
        order = np.argsort(-s, kind="stable")[:n]
        return [(int(i), float(s[i])) for i in order]

    def _fuse_scores(self, query, depth, timings=None):
        # every chunk is a dense candidate here, so reconstruct() is never needed
        return HybridIndex._fuse_scores(self, query, max(depth, len(self.chunks)), timings)


_ASKS_FIGURE = re.compile(r"多少|几|多大|比例|比重|占比|how (many|much)|what (share|percentage|proportion)|\brate\b", re.I)
_FIGURE = re.compile(r"\d")


class FigureCueIndex(HybridIndex):
    """Question-type cue: a question asking for a figure adds `bonus` to passages holding one."""

    bonus = 0.05

    def _fuse_scores(self, query, depth, timings=None):
        out = HybridIndex._fuse_scores(self, query, depth, timings)
        if not _ASKS_FIGURE.search(query):
            return out
        out = [(i, s + (self.bonus if _FIGURE.search(self.chunks[i].text) else 0.0), src) for i, s, src in out]
        return sorted(out, key=lambda t: (-t[1], t[0]))


# ------------------------------------------------------------------ scoring
