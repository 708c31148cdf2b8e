"""Hybrid retrieval: dense (sentence) + BM25 (sentence and paragraph) + phrase match.

Scores are fused linearly with weights tuned on the development sets (``bot/data/calibration.json``,
written by ``essaybot eval --tune``). Exact and near quotations are found by phrase matching and
always rank above paraphrases, whatever their fused score: a verbatim quote is the strongest evidence
of who said something.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from bot.corpus.models import Passage
from bot.search.embedder import Embedder, Vectors
from bot.search.keyword import KeywordIndex, tokenize
from bot.search.phrase import PhraseMatch, PhraseMatcher, Span
from bot.search.snapshot import CorpusSnapshot

MatchKind = Literal["exact", "near", "paraphrase"]
_CLASS_ORDER: dict[MatchKind, int] = {"exact": 0, "near": 1, "paraphrase": 2}
NEAR_CANDIDATES = 40  # paragraphs checked for a near quote (best by fused and by keyword score)


@dataclass(frozen=True)
class FusionWeights:
    """Linear fusion of the three retrieval signals (each roughly in 0..1)."""

    sentence: float = 0.7
    keyword: float = 0.15
    keyword_paragraph: float = 0.15


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
    """Searches one corpus snapshot with its dense vectors."""

    def __init__(
        self,
        snapshot: CorpusSnapshot,
        embedder: Embedder,
        sentence_vectors: Vectors,
        weights: FusionWeights | None = None,
    ):
        self.snapshot = snapshot
        self.embedder = embedder
        self.weights = weights or FusionWeights()
        self._sv = sentence_vectors
        self._kw_sentence = KeywordIndex([p.text for p in snapshot.passages])
        self._kw_paragraph = KeywordIndex(
            [snapshot.paragraph_text(i) for i in range(len(snapshot.paragraphs))]
        )
        self._phrases = PhraseMatcher(
            [Span(i, para.start, snapshot.paragraph_text(i)) for i, para in enumerate(snapshot.paragraphs)]
        )

    @property
    def sentence_vectors(self) -> Vectors:
        """The stored sentence vectors, row-aligned with the snapshot (the verifier builds windows)."""
        return self._sv

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed queries in one batch (callers batch concurrent questions)."""
        return self.embedder.encode(list(texts))

    def signals(
        self, text: str, *, essay_ids: set[str] | None = None, query_vector: Vectors | None = None
    ) -> Signals:
        """The three retrieval signals for every (allowed) passage, before fusion."""
        snap = self.snapshot
        qv = query_vector if query_vector is not None else self.embedder.encode_one(text)
        qv = qv.reshape(-1)
        terms = tokenize([text])[0]
        rows = (
            np.arange(len(snap))
            if essay_ids is None
            else np.array(snap.rows_for_essays(essay_ids), dtype=int)
        )
        para_rows = np.array(snap.paragraph_of, dtype=int)[rows] if len(rows) else np.zeros(0, dtype=int)
        if not len(rows):
            empty = np.zeros(0, dtype=np.float32)
            return Signals(terms, rows, para_rows, empty, empty, empty)
        return Signals(
            terms=terms,
            rows=rows,
            para_rows=para_rows,
            sentence=self._sv[rows] @ qv,
            keyword=_unit_max(self._kw_sentence.scores(terms)[rows]),
            keyword_paragraph=_unit_max(self._kw_paragraph.scores(terms)[para_rows]),
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
        """Rank passages for ``text``; restrict to ``essay_ids`` when given.

        ``weights`` and ``phrase=False`` exist for the evaluation's single-signal baselines.
        """
        snap = self.snapshot
        sig = self.signals(text, essay_ids=essay_ids, query_vector=query_vector)
        terms, rows, para_rows = sig.terms, sig.rows, sig.para_rows
        if not len(rows):
            return SearchResult([])
        s_sim, kw_s, kw_p = sig.sentence, sig.keyword, sig.keyword_paragraph
        fused = sig.fuse(weights or self.weights)

        by_row: dict[int, Hit] = {}

        def hit_for(i: int) -> Hit:
            row = int(rows[i])
            if row not in by_row:
                p = snap.passages[row]
                by_row[row] = Hit(
                    row=row,
                    passage=p,
                    score=float(fused[i]),
                    dense=float(s_sim[i]),
                    keyword=float(kw_s[i]),
                    keyword_paragraph=float(kw_p[i]),
                    coverage=self._kw_paragraph.coverage(terms, int(para_rows[i])),
                    weighted_coverage=self._kw_paragraph.weighted_coverage(terms, int(para_rows[i])),
                    match_start=p.start,
                    match_end=p.end,
                    quote_start=p.start,
                    quote_end=p.end,
                )
            return by_row[row]

        index_of = {int(r): i for i, r in enumerate(rows)}
        allowed_paras = {int(pr) for pr in para_rows}
        # Phrase evidence: exact everywhere, near on the most promising paragraphs.
        exact = [m for m in self._phrases.exact(text) if m.key in allowed_paras] if phrase else []
        order = np.argsort(-fused)
        kw_order = np.argsort(-kw_p)
        near_paras: list[int] = []
        for i in [*order[:NEAR_CANDIDATES], *kw_order[:NEAR_CANDIDATES]]:
            pr = int(para_rows[i])
            if pr not in near_paras:
                near_paras.append(pr)
        near = [] if exact or not phrase else self._phrases.near(text, near_paras)
        for m in [*exact, *near]:
            row = self._row_at(m)
            if row is None or row not in index_of:
                continue
            hit = hit_for(index_of[row])
            kind: MatchKind = "exact" if m.exact else "near"
            if _CLASS_ORDER[kind] < _CLASS_ORDER[hit.match] or (
                kind == hit.match and m.score > hit.alignment
            ):
                hit.match, hit.alignment = kind, m.score
                hit.match_start, hit.match_end = m.start, m.end
                hit.quote_start, hit.quote_end = self._sentences_covering(m)
        for i in order[: max(k * 4, 20)]:
            hit_for(int(i))

        ranked = sorted(by_row.values(), key=lambda h: (_CLASS_ORDER[h.match], -h.score))
        return SearchResult(_limit_per_paragraph(ranked, snap, per_paragraph)[:k])

    def _row_at(self, m: PhraseMatch) -> int | None:
        for row in self.snapshot.paragraphs[m.key].rows:
            p = self.snapshot.passages[row]
            if p.start <= m.start < p.end or (m.start < p.start and m.end > p.start):
                return row
        return None

    def _sentences_covering(self, m: PhraseMatch) -> tuple[int, int]:
        covered = [
            self.snapshot.passages[r]
            for r in self.snapshot.paragraphs[m.key].rows
            if self.snapshot.passages[r].end > m.start and self.snapshot.passages[r].start < m.end
        ]
        if not covered:
            return m.start, m.end
        return min(p.start for p in covered), max(p.end for p in covered)


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
