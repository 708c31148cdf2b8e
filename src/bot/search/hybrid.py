"""Hybrid retrieval: dense (sentence) + BM25 (sentence and paragraph) + phrase match.

Scores are fused linearly with weights tuned on the development sets (``bot/data/calibration.json``,
written by ``essaybot eval --tune``). Exact and near quotations are found by phrase matching and
always rank above paraphrases, whatever their fused score: a verbatim quote is the strongest evidence
of who said something.

Only candidates are fused: the dense top-k from FAISS, the best BM25 rows and paragraphs, and the
phrase index's matches (:mod:`bot.search.candidates`). The candidate lists grow until the best
fused scores provably exceed anything outside them, so the ranking equals fusing every passage.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from bot.corpus.models import Passage
from bot.search.candidates import (
    Candidates,
    DenseFetch,
    FusionWeights,
    Query,
    gather,
    global_fetch,
    group_fetch,
)
from bot.search.embedder import Embedder, RowVectors, Vectors
from bot.search.keyword import tokens_of
from bot.search.snapshot import CorpusSnapshot
from bot.search.verbatim import Placed, Placements, best_exact, place

if TYPE_CHECKING:
    from bot.search.indexes import SearchIndexes

MatchKind = Literal["exact", "near", "paraphrase"]
_CLASS_ORDER: dict[MatchKind, int] = {"exact": 0, "near": 1, "paraphrase": 2}
NEAR_CANDIDATES = 40  # paragraphs checked for a near quote (best by fused and by keyword score)


@dataclass
class Hit:
    """One retrieved passage with every signal that ranked it."""

    row: int
    passage: Passage
    score: float
    dense: float  # cosine similarity of the query and the sentence
    keyword: float
    keyword_paragraph: float
    coverage: float  # share of query terms present in the passage's paragraph
    weighted_coverage: float  # the same, weighted by how rare each term is in the corpus
    match: MatchKind = "paraphrase"
    alignment: float = 0.0  # phrase alignment 0-100 for exact/near
    match_start: int = 0  # body offsets of the words that matched (the sentence itself for paraphrases)
    match_end: int = 0
    quote_start: int = 0  # body offsets of the whole sentence(s) quoted
    quote_end: int = 0


@dataclass(frozen=True)
class Signals:
    """Per-passage retrieval signals for one query, aligned with ``rows``."""

    terms: list[str]
    rows: npt.NDArray[np.int_]
    para_rows: npt.NDArray[np.int_]
    sentence: npt.NDArray[np.float32]
    keyword: npt.NDArray[np.float32]
    keyword_paragraph: npt.NDArray[np.float32]

    def fuse(self, w: FusionWeights) -> npt.NDArray[np.float32]:
        """Linear fusion with the given weights."""
        fused: npt.NDArray[np.float32] = (
            w.sentence * self.sentence
            + w.keyword * self.keyword
            + w.keyword_paragraph * self.keyword_paragraph
        )
        return fused


@dataclass
class SearchResult:
    """Ranked hits, best first."""

    hits: list[Hit]


class Retriever:
    """Searches one corpus snapshot through its dense, keyword and phrase indexes."""

    def __init__(
        self,
        snapshot: CorpusSnapshot,
        embedder: Embedder,
        sentence_vectors: Vectors | None = None,
        weights: FusionWeights | None = None,
        *,
        indexes: SearchIndexes | None = None,
    ):
        """Search ``indexes`` (a loaded generation's), or indexes built in memory from the vectors."""
        if indexes is None:
            # Imported here: modules that only name a Retriever (the health check) never load FAISS.
            from bot.search.indexes import SearchIndexes

            if sentence_vectors is None:
                raise ValueError("a Retriever needs either its indexes or the sentence vectors")
            indexes = SearchIndexes.build(snapshot, sentence_vectors)
        self.snapshot = snapshot
        self.embedder = embedder
        self.weights = weights or FusionWeights()
        self.indexes = indexes
        self._sv = indexes.dense.rows()

    @property
    def sentence_vectors(self) -> RowVectors:
        """The stored sentence vectors, row-aligned with the snapshot (the verifier builds windows)."""
        return self._sv

    @property
    def damaged(self) -> str | None:
        """Why the generation's files failed their background checksum check, or None."""
        return self.indexes.integrity.problem

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed queries in one batch (callers batch concurrent questions)."""
        return self.embedder.encode(list(texts))

    def signals(
        self, text: str, *, essay_ids: set[str] | None = None, query_vector: Vectors | None = None
    ) -> Signals:
        """The three retrieval signals for every (allowed) passage, before fusion (for tuning)."""
        snap = self.snapshot
        qv = query_vector if query_vector is not None else self.embedder.encode_one(text)
        qv = qv.reshape(-1)
        terms = list(tokens_of(text))
        rows = np.arange(len(snap)) if essay_ids is None else snap.row_array(essay_ids)
        para_rows = snap.paragraph_array[rows]
        if not len(rows):
            empty = np.zeros(0, dtype=np.float32)
            return Signals(terms, rows, para_rows, empty, empty, empty)
        return Signals(
            terms=terms,
            rows=rows,
            para_rows=para_rows,
            sentence=self._sv[rows] @ qv,
            keyword=_unit_max(self.indexes.sentences.scores(terms)[rows]),
            keyword_paragraph=_unit_max(self.indexes.paragraphs.scores(terms)[para_rows]),
        )

    def _query(self, text: str, query_vector: Vectors | None, phrase: bool) -> Query:
        qv = query_vector if query_vector is not None else self.embedder.encode_one(text)
        terms = list(tokens_of(text))
        return Query(
            text=text,
            vector=np.asarray(qv, dtype=np.float32).reshape(-1),
            terms=terms,
            keyword=self.indexes.sentences.scores(terms),
            keyword_paragraph=self.indexes.paragraphs.scores(terms),
            exact=self.indexes.phrases.occurrences(text) if phrase else [],
        )

    def search(
        self,
        text: str,
        *,
        k: int = 5,
        essay_ids: set[str] | None = None,
        query_vector: Vectors | None = None,
        per_paragraph: int = 1,
        weights: FusionWeights | None = None,
        phrase: bool = True,
    ) -> SearchResult:
        """Rank passages for ``text``; restrict to ``essay_ids`` when given (inside every index).

        ``weights`` and ``phrase=False`` exist for the evaluation's single-signal baselines.
        """
        q = self._query(text, query_vector, phrase)
        allowed = None if essay_ids is None else self.snapshot.row_array(essay_ids)
        fetch = group_fetch(self.indexes.dense, q.vector, allowed, None)
        return self._rank(q, allowed, fetch, k, per_paragraph, weights or self.weights, phrase)

    def search_groups(
        self,
        text: str,
        groups: Mapping[str, Collection[str]],
        *,
        k: int = 5,
        query_vector: Vectors | None = None,
        per_paragraph: int = 1,
        weights: FusionWeights | None = None,
        phrase: bool = True,
    ) -> dict[str, SearchResult]:
        """The same as :meth:`search` restricted to each group of essays, from one candidate pass.

        The query is embedded, scored by BM25 and looked up in the phrase index once; one dense
        search serves every group whose best rows it holds, and only a group it cannot rank exactly
        gets a filtered search of its own. For /positions: every author's best passages at once.
        """
        q = self._query(text, query_vector, phrase)
        shared = global_fetch(self.indexes.dense, q.vector, max(k * 4, 20, NEAR_CANDIDATES))
        results = {}
        for label, essays in groups.items():
            ids = set(essays)
            allowed = self.snapshot.row_array(ids)
            fetch = group_fetch(self.indexes.dense, q.vector, allowed, shared)
            results[label] = self._rank(q, allowed, fetch, k, per_paragraph, weights or self.weights, phrase)
        return results

    def _rank(
        self,
        q: Query,
        allowed: npt.NDArray[np.int64] | None,
        fetch: DenseFetch,
        k: int,
        per_paragraph: int,
        w: FusionWeights,
        phrase: bool,
    ) -> SearchResult:
        snap = self.snapshot
        if not len(snap) or (allowed is not None and not len(allowed)):
            return SearchResult([])
        need = max(k * 4, 20, NEAR_CANDIDATES)
        exact = q.exact
        if allowed is not None and exact:
            # A paragraph is allowed when its first row is (rows of the allowed essays, sorted).
            firsts = snap.paragraphs.first[np.asarray([o.key for o in exact], dtype=np.int64)]
            exact = [o for o, keep in zip(exact, np.isin(firsts, allowed).tolist(), strict=True) if keep]
        placements = Placements(snap, exact)
        c = gather(snap, self._sv, q, allowed, fetch, w, need)
        proven = best_exact(c, placements, k, per_paragraph)
        if proven is not None:
            hits = self._hits(c, proven)
        else:
            hits = self._ranked(q, c, placements, k, per_paragraph, phrase)
        self._fill_coverage(hits, q.terms)
        return SearchResult(hits)

    def _ranked(
        self, q: Query, c: Candidates, placements: Placements, k: int, per_paragraph: int, phrase: bool
    ) -> list[Hit]:
        """Exact rows (every one placed), else near quotes, then the best fused candidates, ranked."""
        snap = self.snapshot
        evidence = placements.all()
        if not len(placements) and phrase:
            # Near quotes, looked for in the most promising paragraphs: by fused and by keyword score.
            near_paras = [*(snap.paragraph_of[r] for r in c.order[:NEAR_CANDIDATES]), *c.keyword_paragraphs]
            for m in self.indexes.phrases.near(q.text, dict.fromkeys(near_paras)):
                evidence += place(snap, m.key, [m]).values()  # one near match a paragraph
        by_row = {h.row: h for h in self._hits(c, evidence)}
        for hit in self._hits(c, [int(r) for r in c.order[: max(k * 4, 20)] if int(r) not in by_row]):
            by_row[hit.row] = hit
        ranked = sorted(by_row.values(), key=lambda h: (_CLASS_ORDER[h.match], -h.score))
        return _limit_per_paragraph(ranked, snap, per_paragraph)[:k]

    def _hits(self, c: Candidates, found: Sequence[Placed | int]) -> list[Hit]:
        """A hit for each placed match (marked exact or near) or bare row, signals read in one batch."""
        rows = [f if isinstance(f, int) else f.row for f in found]
        columns = c.signals(np.asarray(rows, dtype=np.int64))
        hits = []
        for i, (row, f) in enumerate(zip(rows, found, strict=True)):
            p = self.snapshot.passages[row]
            score, dense, kw, kwp = (float(column[i]) for column in columns)
            hit = Hit(row, p, score, dense, kw, kwp, coverage=0.0, weighted_coverage=0.0)  # coverage: later
            hit.match_start, hit.match_end = hit.quote_start, hit.quote_end = p.start, p.end
            if not isinstance(f, int):
                hit.match, hit.alignment = ("exact" if f.match.exact else "near"), f.match.score
                hit.match_start, hit.match_end = f.match.start, f.match.end
                hit.quote_start, hit.quote_end = f.quote_start, f.quote_end
            hits.append(hit)
        return hits

    def _fill_coverage(self, hits: list[Hit], terms: list[str]) -> None:
        self.indexes.paragraphs.prefetch([self.snapshot.paragraph_of[h.row] for h in hits])
        for h in hits:
            para = self.snapshot.paragraph_of[h.row]
            h.coverage = self.indexes.paragraphs.coverage(terms, para)
            h.weighted_coverage = self.indexes.paragraphs.weighted_coverage(terms, para)


def _unit_max(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


def _limit_per_paragraph(hits: list[Hit], snap: CorpusSnapshot, per_paragraph: int) -> list[Hit]:
    """Keep the best ``per_paragraph`` hits of each paragraph, so results show distinct passages."""
    seen: dict[int, int] = {}
    kept = []
    for h in hits:
        para = snap.paragraph_of[h.row]
        if seen.get(para, 0) < per_paragraph:
            kept.append(h)
            seen[para] = seen.get(para, 0) + 1
    return kept


__all__ = ["Candidates", "FusionWeights", "Hit", "Retriever", "SearchResult", "Signals"]
