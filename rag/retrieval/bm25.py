"""Okapi BM25 over any tokens, and the jieba word tokenizer it was first used with.

The index scores character n-grams (rag.retrieval.lexical) since index format 2. The jieba
tokenizer below stays for comparisons (benchmarks/retrieval_levers.py measures both
on the gold set and on CMRC 2018): jieba's search mode cuts long words into their
sub-words too ("两江新区" -> "两江", "新区", "两江新区"), and the corpus' own coined
terms ("人工智能+", "东数西算", quoted slogans) go into a private jieba dictionary
so they stay whole. jieba is imported only when a Tokenizer first cuts text.
"""
from __future__ import annotations

import math
import re
import threading
from collections import Counter

import numpy as np

from ..text.script import IDEOGRAPHS

# Terms that must survive segmentation intact: domain names jieba's default dictionary splits.
BASE_TERMS = [
    "两江新区", "人工智能+", "东数西算", "疆算入渝", "算力券", "智改数转", "渝快办", "渝策汇",
    "数字经济", "数字产业集群", "平台经济", "大模型", "智能算力", "公共数据", "数据要素",
    "成渝地区双城经济圈", "西部（重庆）科学城", "重庆经开区", "智能网联汽车", "工业互联网",
    "隐私计算", "联邦学习", "数据脱敏", "可用不可见", "数据标注", "超算中心", "车路云一体化",
    "低空制造", "飞行汽车", "人形机器人", "脑机接口", "数字渝商", "渝商出海", "数字口岸",
]
_QUOTED = re.compile(r"[“\"]([^”\"]{2,10})[”\"]")
_STOP = set(
    "的 了 和 与 及 是 在 等 为 对 将 把 被 从 以 其 之 也 都 而 或 并 向 中 上 下 个 一 这 那 有 要 "
    "吗 呢 么 什么 哪些 哪个 如何 怎么 怎样 多少 是否 方面 问题 "
    "the a an of to in on for and or is are was were be by with as at from that this what which who "
    "how does do did it its about".split()
)
_WORDLIKE = re.compile(rf"[\w{IDEOGRAPHS}+#]", re.UNICODE)


def corpus_terms(texts: list[str]) -> list[str]:
    """BASE_TERMS plus short quoted phrases from the corpus ("智改数转", "一脑统管")."""
    found = {m.group(1).strip() for t in texts for m in _QUOTED.finditer(t)}
    found = {w for w in found if 2 <= len(w) <= 10 and not re.search(r"[，。、\s]", w)}
    return sorted(set(BASE_TERMS) | found)


_JIEBA_CACHE: dict[tuple[str, ...], object] = {}
_JIEBA_LOCK = threading.Lock()


def _jieba_with(words: tuple[str, ...]):
    """A private jieba instance with these user words, shared by every Tokenizer asking for the
    same list: loading jieba's dictionary costs about a second, and jieba's global instance is
    process-wide state we should not change under other users of jieba."""
    with _JIEBA_LOCK:
        tk = _JIEBA_CACHE.get(words)
        if tk is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)  # jieba prints dictionary-loading chatter otherwise
            tk = jieba.Tokenizer()
            tk.initialize()
            for w in words:
                tk.add_word(w, freq=200000)  # high frequency: prefer the whole term over its parts
            _JIEBA_CACHE[words] = tk
        return tk


class Tokenizer:
    def __init__(self, user_words: list[str]):
        self.user_words = sorted(set(user_words))

    def _get(self):
        return _jieba_with(tuple(self.user_words))

    def tokens(self, text: str) -> list[str]:
        out = []
        for tok in self._get().cut_for_search(text.lower()):
            tok = tok.strip()
            if tok and tok not in _STOP and _WORDLIKE.search(tok):
                out.append(tok)
        return out


class BM25:
    """Okapi BM25 over any tokens. Postings are numpy arrays, so scoring a query costs one
    vectorised update per query term, not a Python loop over every document holding it."""

    def __init__(self, docs: list[list[str]] | list[dict[str, int]], k1: float = 1.5, b: float = 0.75):
        counts = [d if isinstance(d, dict) else Counter(d) for d in docs]
        self.k1, self.b = k1, b
        self.n_docs = len(counts)
        self.doc_len = np.array([sum(c.values()) for c in counts], dtype=np.float32)
        self.avgdl = float(self.doc_len.mean()) if self.n_docs else 0.0
        lists: dict[str, tuple[list[int], list[int]]] = {}
        for i, c in enumerate(counts):
            for term, tf in c.items():
                ids, tfs = lists.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        self.postings = {t: (np.array(ids, dtype=np.int32), np.array(tfs, dtype=np.float32)) for t, (ids, tfs) in lists.items()}
        n = self.n_docs
        # BM25+-style floor keeps idf positive for terms in most documents
        self.idf = {t: math.log(1 + (n - len(p[0]) + 0.5) / (len(p[0]) + 0.5)) for t, p in self.postings.items()}
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)  # what a term in no document would weigh
        self._norm = self.k1 * (1 - self.b + self.b * self.doc_len / max(self.avgdl, 1e-9))

    @staticmethod
    def _weights(query: list[str] | dict[str, float]) -> dict[str, float]:
        """Query terms with their weights: a token list counts each distinct token once."""
        return dict(query) if isinstance(query, dict) else dict.fromkeys(query, 1.0)

    def scores(self, query: list[str] | dict[str, float]) -> np.ndarray:
        s = np.zeros(self.n_docs, dtype=np.float32)
        for term, w in self._weights(query).items():
            hit = self.postings.get(term)
            if hit is not None:
                ids, tf = hit
                s[ids] += w * self.idf[term] * tf * (self.k1 + 1) / (tf + self._norm[ids])
        return s

    def self_score(self, query: list[str] | dict[str, float]) -> float:
        """The score of a passage of average length holding every query term once, unseen
        terms included at the idf of a term in no document: what a perfect match scores,
        so that score / self_score says how much of the query a passage matches."""
        return float(sum(w * self.idf.get(t, self.unseen_idf) for t, w in self._weights(query).items()))

    def coverage(self, query: list[str] | dict[str, float]) -> float:
        """Share of the query's idf mass that occurs anywhere in the corpus (0 for an empty query)."""
        q = self._weights(query)
        total = self.self_score(q)
        return float(sum(w * self.idf[t] for t, w in q.items() if t in self.idf)) / total if total else 0.0

    def top(self, query: list[str] | dict[str, float], n: int) -> list[tuple[int, float]]:
        s = self.scores(query)
        order = np.argsort(-s, kind="stable")[:n]
        return [(int(i), float(s[i])) for i in order if s[i] > 0]
