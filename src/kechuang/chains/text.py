"""Keyword spotting in product, scope and patent texts: a jieba tokenizer that knows every template
keyword as a word (so 太阳能电池片 is one word and does not also say 电池), with character matching as
the fallback when the tokenizer cut a keyword apart. Exclusion terms veto per clause."""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_tokenizers: dict[frozenset[str], object] = {}
CLAUSE = re.compile(r"[、，,；;。：:\n（）()【】\[\]/|]+")


def tokenizer(vocabulary: frozenset[str]):
    """A jieba tokenizer with ``vocabulary`` added as words (one per vocabulary, built once)."""
    tok = _tokenizers.get(vocabulary)
    if tok is None:
        with _lock:
            tok = _tokenizers.get(vocabulary)
            if tok is None:
                from ..matching.text import new_tokenizer

                tok = new_tokenizer()
                for w in sorted(vocabulary, key=len):
                    tok.add_word(w, freq=10 ** 5 * len(w))
                _tokenizers[vocabulary] = tok
    return tok


def clauses(text: str) -> list[str]:
    return [c.strip() for c in CLAUSE.split(text or "") if c.strip()]


class Spotter:
    """Finds which of a fixed set of keywords a text names."""

    def __init__(self, vocabulary):
        self.vocabulary = frozenset(w for w in vocabulary if w)
        self._tok = tokenizer(self.vocabulary)
        self._max = max((len(w) for w in self.vocabulary), default=0)
        self._any = re.compile("|".join(re.escape(w) for w in sorted(self.vocabulary, key=len, reverse=True))
                               or r"(?!)")

    def spans(self, clause: str, keep_inner=None) -> list[tuple[str, int, int, bool]]:
        """(keyword, start, end, on word boundaries) for every keyword occurrence in one clause; an
        occurrence inside a longer keyword's occurrence is dropped (the longer one is meant) unless
        ``keep_inner(outer, inner)`` says the inner word means something the outer one does not."""
        if not self._any.search(clause):
            return []
        cuts = {0}
        pos = 0
        for w in self._tok.cut(clause, HMM=False):
            pos += len(w)
            cuts.add(pos)
        found = []
        for i in range(len(clause)):
            for j in range(min(len(clause), i + self._max), i + 1, -1):
                w = clause[i:j]
                if w in self.vocabulary:
                    found.append((w, i, j, i in cuts and j in cuts))
        found.sort(key=lambda f: (f[1], -(f[2] - f[1])))
        out = []
        for f in found:
            if any(g[1] <= f[1] and f[2] <= g[2] and (g[2] - g[1]) > (f[2] - f[1])
                   and not (keep_inner and keep_inner(g[0], f[0])) for g in found):
                continue
            out.append(f)
        return out
