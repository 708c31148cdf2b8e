"""Candidate rows for one question, and the proof that fusing only them ranks like fusing everything.

The fused score is ``w_s·dense + w_k·keyword + w_p·keyword_paragraph`` with non-negative weights. A
row outside the dense top-k, the keyword top-k and the keyword-paragraph top-k scores at most
``w_s·d_k + w_k·s_k + w_p·p_k`` (each list's k-th value): Fagin's threshold bound. When the n-th
best candidate beats that bound, the top n are exactly those of a full scan; otherwise k grows
fourfold and the lists are fetched again, up to the whole (allowed) library. The dense lists come
from FAISS (filtered inside the search), the keyword lists from bm25s's scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bot.search.embedder import RowVectors, Vectors
from bot.search.phrase import Occurrences
from bot.search.snapshot import CorpusSnapshot

if TYPE_CHECKING:  # FAISS is imported by what searches, not by what only names these types
    from bot.search.dense import DenseIndex


@dataclass(frozen=True)
class FusionWeights:
    """Linear fusion of the three retrieval signals (each roughly in 0..1)."""

    sentence: float = 0.7
    keyword: float = 0.15
    keyword_paragraph: float = 0.15


DENSE_FIRST = 256  # the first dense top-k; generous, so most questions need one FAISS search
# The keyword lists start longer: taking one costs an argpartition, while every growth of the dense
# list costs a wider FAISS search. Their k-th scores are then low, the bound is mostly the dense part,
# and an off-topic question (a flat fused score) rarely needs a second dense search.
KEYWORD_FIRST = 4096
SHARED_FIRST = 1024  # the first top-k of a search shared by groups (/positions)
GROWTH = 4
# FAISS and numpy sum a dot product in different orders: allow for that in the bound.
SLACK = 1e-5
NEAR_ROWS = 40  # rows whose paragraphs get a near-quote check, by paragraph keyword score

Rows = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]
Doubles = npt.NDArray[np.float64]
Signals = tuple[Doubles, Doubles, Doubles, Doubles]  # (fused, dense, keyword, keyword paragraph)
# Given k, the top-k allowed rows (every allowed row when k covers them; scores then left empty, as
# the fusion computes them), and the best dense score a row left out can have (None: none left out).
DenseFetch = Callable[[int], tuple[Rows, npt.NDArray[np.float32], float | None]]


@dataclass(frozen=True)
class Query:
    """What one question contributes to every ranking: its vector, terms and whole-library scores."""

    text: str
    vector: Vectors  # 1-D
    terms: list[str]
    keyword: npt.NDArray[np.float32]  # BM25 of every sentence (unnormalised)
    keyword_paragraph: npt.NDArray[np.float32]  # BM25 of every paragraph (unnormalised)
    exact: list[Occurrences]  # the paragraphs quoting it verbatim, in the whole library


@dataclass(frozen=True)
class SharedDense:
    """One unfiltered dense search, reused by every group of a grouped search."""

    rows: Rows
    scores: npt.NDArray[np.float32]
    complete: bool  # it holds every row of the library


def global_fetch(dense: DenseIndex, vector: Vectors, need: int) -> SharedDense:
    """The dense top rows of the whole library, for :func:`group_fetch`."""
    k = min(len(dense), max(SHARED_FIRST, need * GROWTH))
    scores, ids = dense.search(vector[None], k)
    keep = ids[0] >= 0
    return SharedDense(ids[0][keep], scores[0][keep], k >= len(dense))


def group_fetch(
    dense: DenseIndex, vector: Vectors, allowed: Rows | None, shared: SharedDense | None
) -> DenseFetch:
    """Dense candidates of the allowed rows: first from ``shared`` if given, then filtered searches."""
    n_allowed = len(dense) if allowed is None else len(allowed)
    calls = [0]

    def fetch(k: int) -> tuple[Rows, npt.NDArray[np.float32], float | None]:
        calls[0] += 1
        if k >= n_allowed:  # every allowed row: no search needed, the fusion scores them all
            rows = np.arange(len(dense), dtype=np.int64) if allowed is None else allowed
            return rows, np.zeros(0, dtype=np.float32), None
        if shared is not None and calls[0] == 1:
            keep = np.isin(shared.rows, allowed) if allowed is not None else slice(None)
            bound = None if shared.complete else float(shared.scores[-1])
            return shared.rows[keep], shared.scores[keep], bound
        scores, ids = dense.search(vector[None], k, allowed)
        keep = ids[0] >= 0
        rows, found = ids[0][keep], scores[0][keep]
        # Nothing found (an approximate index can miss a small filter): 1.0 bounds any cosine.
        return rows, found, float(found[-1]) if len(found) else 1.0

    return fetch


@dataclass
class Candidates:
    """The rows worth fusing for one question, best fused first, and their signals.

    ``scored`` are the candidates whose fused score was computed in full, best first (ties by row),
    with those scores in ``scored_fused``. No other allowed row scores above ``ceiling`` (-inf when
    every allowed row was scored), so a walk down ``scored`` proves its best rows of any kind (the
    rows holding an exact quote, say) while their scores stay above it.
    """

    order: Rows  # candidate rows, best fused score first (ties by row)
    keyword_paragraphs: list[int]  # best paragraphs by keyword score, covering NEAR_ROWS rows
    scored: Rows
    scored_fused: Floats
    ceiling: float
    signals: Callable[[Rows], Signals]  # (fused, dense, kw, kw_p) of rows


def _top(values: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    """Indices of the ``k`` largest values (unordered)."""
    if k >= len(values):
        return np.arange(len(values))
    return np.argpartition(-values, k - 1)[:k]


def gather(
    snap: CorpusSnapshot,
    vectors: RowVectors,
    q: Query,
    allowed: Rows | None,
    fetch: DenseFetch,
    w: FusionWeights,
    need: int,
) -> Candidates:
    """Candidates whose top ``need`` fused rows equal those of fusing every allowed row."""
    para_of = snap.paragraph_array
    n_allowed = len(snap) if allowed is None else len(allowed)
    kw_allowed = q.keyword if allowed is None else q.keyword[allowed]
    top_s = float(kw_allowed.max())
    paras = np.arange(len(snap.paragraphs)) if allowed is None else np.unique(para_of[allowed])
    kwp_allowed = q.keyword_paragraph[paras]
    top_p = float(kwp_allowed.max())

    def keyword_signals(rows: Rows) -> tuple[Floats, Floats]:
        # The very expressions of a full scan (normalised by the best allowed score), row by row.
        kw = q.keyword[rows] / top_s if top_s > 0 else q.keyword[rows]
        kwp_rows = q.keyword_paragraph[para_of[rows]]
        kwp = kwp_rows / top_p if top_p > 0 else kwp_rows
        return kw, kwp

    def dense_of(rows: Rows) -> Floats:
        dense: Floats = vectors[rows] @ q.vector  # the one signal read from the vector file
        return dense

    def signals(rows: Rows) -> tuple[Floats, ...]:
        dense, (kw, kwp) = dense_of(rows), keyword_signals(rows)
        return _fused(w, dense, kw, kwp), dense, kw, kwp

    negative = min(w.sentence, w.keyword, w.keyword_paragraph) < 0  # the bound needs weights >= 0
    k = max(DENSE_FIRST, need)
    if negative or k * GROWTH >= n_allowed:
        # A list that large would be most of the rows anyway: fuse them all, with no second search.
        k = n_allowed
    while True:
        d_rows, _, d_bound = fetch(k)
        parts: list[Rows] = [d_rows]
        complete = d_bound is None
        bound = w.sentence * d_bound if d_bound is not None else 0.0
        if w.keyword > 0 and not complete:
            idx = _top(kw_allowed, max(KEYWORD_FIRST, k))
            complete = len(idx) >= n_allowed
            parts.append(idx if allowed is None else allowed[idx])
            kth = float(kw_allowed[idx].min()) if len(idx) else 0.0
            bound += w.keyword * (kth / top_s if top_s > 0 else kth)
        if w.keyword_paragraph > 0 and not complete:
            idx = _top(kwp_allowed, max(KEYWORD_FIRST, k))
            complete = len(idx) >= len(paras)
            parts.append(_rows_of(snap, paras[idx]))
            kth = float(kwp_allowed[idx].min()) if len(idx) else 0.0
            bound += w.keyword_paragraph * (kth / top_p if top_p > 0 else kth)
        cand = np.unique(np.concatenate(parts))
        fused, dense, kw, kwp, scored = _fuse(cand, d_rows, d_bound, need, w, dense_of, keyword_signals)
        order = np.lexsort((cand, -fused))  # ``cand`` is sorted: ties keep row order
        complete = complete or k >= n_allowed
        if complete:
            break
        if len(cand) >= need and float(fused[order[need - 1]]) > bound + SLACK:
            break
        k *= GROWTH

    def signals_of_rows(rows: Rows) -> Signals:
        # A scored candidate keeps the very numbers it was ranked by; any other row is scored now.
        # (float64 holds each float32 exactly, whichever source a value comes from.)
        rows = np.asarray(rows, dtype=np.int64)
        n = len(rows)
        out: Signals = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n))
        known = np.zeros(len(rows), dtype=bool)
        if len(cand):
            at = np.minimum(np.searchsorted(cand, rows), len(cand) - 1)
            known = (cand[at] == rows) & scored[at]
            for column, values in zip(out, (fused, dense, kw, kwp), strict=True):
                column[known] = values[at[known]]
        if not known.all():
            for column, values in zip(out, signals(rows[~known]), strict=True):
                column[~known] = values
        return out

    scored_order = order[scored[order]]
    outside = -np.inf if complete else bound
    ceiling = max(outside, float(fused[~scored].max())) if not scored.all() else outside
    return Candidates(
        order=cand[order],
        keyword_paragraphs=_keyword_paragraphs(snap, paras, kwp_allowed),
        scored=cand[scored_order],
        scored_fused=fused[scored_order],
        ceiling=float(ceiling),
        signals=signals_of_rows,
    )


def _rows_of(snap: CorpusSnapshot, paragraphs: Rows) -> Rows:
    """Every row of the given paragraphs (each paragraph's rows are one contiguous run)."""
    first = snap.paragraphs.first[paragraphs]
    lengths = snap.paragraphs.stop[paragraphs] - first
    # Each row's number is its position in the output plus how far its run was shifted.
    shift = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
    rows: Rows = np.arange(int(lengths.sum()), dtype=np.int64) + shift
    return rows


def _fused(w: FusionWeights, dense: Floats, kw: Floats, kwp: Floats) -> Floats:
    """The fused score, as one expression: a candidate and a full scan must add in the same order."""
    fused: Floats = w.sentence * dense + w.keyword * kw + w.keyword_paragraph * kwp
    return fused


def _fuse(
    cand: Rows,
    listed: Rows,
    d_bound: float | None,
    need: int,
    w: FusionWeights,
    dense_of: Callable[[Rows], Floats],
    keyword_signals: Callable[[Rows], tuple[Floats, Floats]],
) -> tuple[Floats, Floats, Floats, Floats, npt.NDArray[np.bool_]]:
    """Fused, dense and keyword signals of the candidates, and which rows were scored in full.

    The dense score is the one signal read from the vector file, row by row (``dense_of``). A
    candidate outside the dense list (``listed``: the dense top-k) has a dense score of at most
    ``d_bound``, so its fused score has an upper bound from its keyword signals alone; when that
    bound falls below the ``need``-th best fused score of the listed rows, the row cannot reach the
    top ``need`` and its vector is not read. Such a row is ordered by its bound, after the top
    ``need``; ``scored`` is False for it. Scored rows get the very expression of a full scan.
    """
    kw, kwp = keyword_signals(cand)
    if d_bound is None or w.sentence <= 0:
        dense = dense_of(cand)
        return _fused(w, dense, kw, kwp), dense, kw, kwp, np.ones(len(cand), dtype=bool)
    keyword_part = w.keyword * kw + w.keyword_paragraph * kwp  # for bounds only
    scored = np.isin(cand, listed)
    dense = np.zeros(len(cand), dtype=np.float32)
    dense[scored] = dense_of(cand[scored])
    maybe = ~scored
    if int(scored.sum()) >= need:
        known = w.sentence * dense[scored] + keyword_part[scored]
        threshold = -float(np.partition(-known, need - 1)[need - 1])
        ceiling = w.sentence * (d_bound + SLACK) + keyword_part
        maybe &= ceiling >= threshold - SLACK
    dense[maybe] = dense_of(cand[maybe])
    scored |= maybe
    fused = _fused(w, dense, kw, kwp)
    fused[~scored] = (w.sentence * (d_bound + SLACK) + keyword_part)[~scored]
    return fused, dense, kw, kwp, scored


def _keyword_paragraphs(snap: CorpusSnapshot, paras: Rows, scores: npt.NDArray[np.float32]) -> list[int]:
    """Best paragraphs by keyword score (positive only), until they hold ``NEAR_ROWS`` rows."""
    idx = _top(scores, NEAR_ROWS)
    idx = idx[scores[idx] > 0]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    chosen: list[int] = []
    rows = 0
    for i in idx:
        if rows >= NEAR_ROWS:
            break
        p = int(paras[i])
        chosen.append(p)
        rows += len(snap.paragraphs[p].rows)
    return chosen
