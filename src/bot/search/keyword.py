"""BM25 keyword search (bm25s, with the Snowball English stemmer).

Cheap to build, so it is rebuilt in memory from the passages whenever an index generation loads,
rather than persisted next to the FAISS files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer

from bot.textnorm import normalize

_STEMMER = Stemmer.Stemmer("english")
# Question scaffolding that bm25s's English list keeps but that never identifies a passage.
_EXTRA_STOPWORDS = {
    "who",
    "whom",
    "whose",
    "said",
    "says",
    "say",
    "wrote",
    "write",
    "writes",
    "someone",
    "anyone",
}


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Stemmed content tokens of each text, as used for both indexing and queries."""
    if not texts:
        return []
    tokens = bm25s.tokenize(
        [normalize(t) for t in texts],
        stopwords="en",
        stemmer=_STEMMER,
        show_progress=False,
        return_ids=False,
    )
    return [[t for t in doc if t and t not in _EXTRA_STOPWORDS] for doc in tokens]


class KeywordIndex:
    """BM25 over a fixed list of documents, addressed by their row number."""

    def __init__(self, documents: Sequence[str]):
        self._docs_tokens = tokenize(documents)
        self._token_sets = [frozenset(doc) for doc in self._docs_tokens]
        self._bm25 = bm25s.BM25()
        self._n = len(documents)
        df: dict[str, int] = {}
        for tokens in self._token_sets:
            for t in tokens:
                df[t] = df.get(t, 0) + 1
        self._df = df
        if self._n:
            # bm25s needs at least one token per document; an empty placeholder keeps rows aligned.
            self._bm25.index([doc or ["\x00"] for doc in self._docs_tokens], show_progress=False)

    def __len__(self) -> int:
        return self._n

    def scores(self, query_tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every document for the (already tokenised) query."""
        if not self._n or not query_tokens:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(query_tokens)), dtype=np.float32)

    def coverage(self, query_tokens: Sequence[str], row: int) -> float:
        """Share of distinct query tokens that occur in document ``row`` (0..1)."""
        distinct = set(query_tokens)
        if not distinct:
            return 0.0
        return len(distinct & self._token_sets[row]) / len(distinct)

    def idf(self, token: str) -> float:
        """BM25-style inverse document frequency; a term absent from the corpus gets the maximum."""
        df = self._df.get(token, 0)
        return math.log((self._n - df + 0.5) / (df + 0.5) + 1.0)

    def weighted_coverage(self, query_tokens: Sequence[str], row: int) -> float:
        """Share of the query's IDF mass present in document ``row`` (0..1).

        Rare query terms weigh most: a question about "Belt and Road" is not answered by a passage
        that only shares "China" and "imperialist" with it.
        """
        distinct = set(query_tokens)
        total = sum(self.idf(t) for t in distinct)
        if total <= 0:
            return 0.0
        return sum(self.idf(t) for t in distinct & self._token_sets[row]) / total
