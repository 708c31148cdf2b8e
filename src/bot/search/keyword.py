"""BM25 keyword search (bm25s, with the Snowball English stemmer).

An index generation stores both BM25 indexes beside the FAISS files (bm25s's own format, read back
memory-mapped), so a start-up does not re-tokenise the library. Document frequencies come from the
index itself (the length of each term's posting list), and the terms of a document are tokenised
again only when a hit needs its coverage.

bm25s cannot add documents to an index. An index generation that adds essays to a large library
keeps the library's index as it is and puts the added documents in a small second index built by
:meth:`KeywordIndex.scored_like`, whose scores use the statistics of both (document count, mean
length, document frequencies): a document's score there is on the same scale as in the large index,
so the two are merged by simply concatenating their scores (:mod:`bot.search.segments`).
"""

from __future__ import annotations

import functools
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

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
_PLACEHOLDER = "\x00"  # bm25s needs a token in every document; never produced by tokenize
_TOKEN_CACHE = 4096  # documents whose token sets stay in memory after a hit needed them
_TEXT_CACHE = 2048  # texts of recent questions (queries, claims, quoted windows) and their tokens


@dataclass(frozen=True)
class KeywordStats:
    """What BM25 scores of an index depend on besides each document: its size and total length."""

    documents: int
    tokens: int  # the sum of the documents' lengths, in tokens (a placeholder counts as one)


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


@functools.lru_cache(maxsize=_TEXT_CACHE)
def tokens_of(text: str) -> tuple[str, ...]:
    """``tokenize`` of one text, remembered: a question's stages tokenise the same few texts again.

    bm25s's tokenizer costs about 0.1 ms a call whatever the text's length (it builds its stopword
    set and three progress bars each time), which added up to several percent of a question.
    """
    return tuple(tokenize([text])[0])


class KeywordIndex:
    """BM25 over a fixed list of documents, addressed by their row number."""

    def __init__(self, documents: Sequence[str]):
        docs_tokens = tokenize(documents)
        bm25 = bm25s.BM25()
        # An empty placeholder keeps rows aligned for documents without a content word.
        indexed = [doc or [_PLACEHOLDER] for doc in docs_tokens]
        if documents:
            bm25.index(indexed, show_progress=False)
        self.stats: KeywordStats | None = KeywordStats(len(indexed), sum(len(doc) for doc in indexed))
        token_sets = [frozenset(doc) for doc in docs_tokens]
        self._texts: Callable[[int], str] | None = None
        self._cache: OrderedDict[int, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()
        self._setup(bm25, len(documents), token_sets.__getitem__)

    def _setup(self, bm25: bm25s.BM25, n: int, text_tokens: Callable[[int], frozenset[str]]) -> None:
        self._bm25 = bm25
        self._n = n
        self._token_set = text_tokens
        vocab: dict[str, int] = getattr(bm25, "vocab_dict", None) or {}
        self._vocab = vocab
        self._indptr = np.asarray(bm25.scores["indptr"]) if n else np.zeros(1, dtype=np.int64)
        self._indices = np.asarray(bm25.scores["indices"]) if n else np.zeros(0, dtype=np.int64)
        self._df: dict[str, int] = {}  # terms already looked up (the vocabulary never changes)

    @classmethod
    def scored_like(cls, documents: Sequence[str], base: KeywordIndex, stats: KeywordStats) -> KeywordIndex:
        """An index of ``documents`` whose scores are on the scale of ``base`` (whose size is ``stats``).

        Each document is scored as if it had been indexed together with ``base``'s documents: the
        idf of a term counts the documents holding it in both, and the mean document length is that
        of both. With an empty ``base`` this is exactly the index bm25s builds.
        """
        index = cls(documents)
        if not documents or index.stats is None:
            return index
        indexed = [doc or [_PLACEHOLDER] for doc in tokenize(documents)]
        bm25 = index._bm25
        vocab: dict[str, int] = bm25.vocab_dict
        n = stats.documents + len(indexed)
        mean_length = (stats.tokens + index.stats.tokens) / n
        k1, b = float(bm25.k1), float(bm25.b)
        old = bm25.scores
        columns = len(old["indptr"]) - 1  # bm25s's empty token has an id but no column
        idf = np.zeros(len(vocab), dtype=np.float64)
        for token, tid in vocab.items():
            if tid >= columns:
                continue
            # The placeholder has no document frequency (idf 0): no query holds it.
            df = index.document_frequency(token) + (base.document_frequency(token) if len(base) else 0)
            idf[tid] = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) if df else 0.0
        docs, terms, values = [], [], []
        for d, doc in enumerate(indexed):
            norm = k1 * ((1.0 - b) + b * len(doc) / mean_length)
            for token, tf in Counter(doc).items():
                tid = vocab[token]
                docs.append(d)
                terms.append(tid)
                values.append(idf[tid] * tf / (tf + norm))  # bm25s's "lucene" variant, its default
        order = np.lexsort((np.asarray(docs), np.asarray(terms)))  # column-major: by term, then doc
        indptr = np.zeros(columns + 1, dtype=np.asarray(old["indptr"]).dtype)
        np.cumsum(np.bincount(np.asarray(terms), minlength=columns), out=indptr[1:])
        bm25.scores = {
            "data": np.asarray(values, dtype=np.float32)[order],
            "indices": np.asarray(docs, dtype=np.asarray(old["indices"]).dtype)[order],
            "indptr": indptr,
            "num_docs": len(indexed),
        }
        index._setup(bm25, len(indexed), index._token_set)
        return index

    @classmethod
    def load(cls, folder: Path, texts: Callable[[int], str]) -> KeywordIndex:
        """Read an index written by :meth:`save`, memory-mapped; ``texts`` gives a document's text.

        Raises ``ValueError`` (or ``OSError``) when the files are missing or unreadable.
        """
        try:
            bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False, verbosity=0)
            n = int(bm25.scores["num_docs"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"keyword index unreadable: {exc}") from exc
        index = cls.__new__(cls)
        index._texts = texts
        index.stats = None  # recorded in the generation's manifest, not in bm25s's files
        index._cache = OrderedDict()
        index._lock = threading.Lock()
        index._setup(bm25, n, index._cached_tokens)
        return index

    def _cached_tokens(self, row: int) -> frozenset[str]:
        with self._lock:
            found = self._cache.get(row)
        if found is None:
            found = frozenset(tokenize([self._texts(row)])[0]) if self._texts else frozenset()
        return found

    def prefetch(self, rows: Sequence[int]) -> None:
        """Tokenise the documents ``rows`` in one call, ahead of :meth:`coverage` on them.

        Only an index read back by :meth:`load` tokenises on demand (one built in memory keeps every
        document's tokens); the most recent ``_TOKEN_CACHE`` documents stay tokenised.
        """
        if self._texts is None:
            return
        with self._lock:
            missing = [r for r in dict.fromkeys(rows) if r not in self._cache]
        tokens = tokenize([self._texts(r) for r in missing])
        with self._lock:  # answers run in several threads
            for row, doc in zip(missing, tokens, strict=True):
                self._cache[row] = frozenset(doc)
            for row in rows:
                # Another thread's prefetch may have evicted a row found cached above: it is simply
                # tokenised again when needed.
                if row in self._cache:
                    self._cache.move_to_end(row)
            while len(self._cache) > _TOKEN_CACHE:
                self._cache.popitem(last=False)

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (bm25s's files: a vocabulary and a sparse score matrix)."""
        folder.mkdir(parents=True, exist_ok=True)
        if not self._n:
            raise ValueError("an empty keyword index is not saved")
        self._bm25.save(str(folder), show_progress=False)

    def __len__(self) -> int:
        return self._n

    def scores(self, query_tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every document for the (already tokenised) query."""
        if not self._n or not query_tokens:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(query_tokens)), dtype=np.float32)

    def document_frequency(self, token: str) -> int:
        """Number of documents holding ``token`` (the length of its posting list)."""
        df = self._df.get(token)
        if df is None:
            tid = self._vocab.get(token)
            absent = tid is None or token == _PLACEHOLDER
            df = 0 if tid is None or absent else int(self._indptr[tid + 1] - self._indptr[tid])
            self._df[token] = df
        return df

    def rows_with(self, token: str) -> npt.NDArray[np.int64]:
        """Rows of the documents holding ``token``: its posting list, read from the index itself."""
        tid = self._vocab.get(token)
        if tid is None or token == _PLACEHOLDER:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self._indices[int(self._indptr[tid]) : int(self._indptr[tid + 1])], dtype=np.int64)

    def coverage(self, query_tokens: Sequence[str], row: int) -> float:
        """Share of distinct query tokens that occur in document ``row`` (0..1)."""
        distinct = set(query_tokens)
        if not distinct:
            return 0.0
        return len(distinct & self._token_set(row)) / len(distinct)

    def idf(self, token: str) -> float:
        """BM25-style inverse document frequency; a term absent from the corpus gets the maximum."""
        df = self.document_frequency(token)
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
        return sum(self.idf(t) for t in distinct & self._token_set(row)) / total
