"""The indexes of a segmented generation, searched as one and answering in snapshot rows.

A segmented generation (:mod:`bot.search.segments`) holds the base's files, a delta's, and the base
rows removed since. :class:`RowMap` translates between snapshot rows and segment rows; the classes
here wrap each kind of index so that the retriever, the candidates' proof and the verifier see one
index over the snapshot, whatever the segments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.search.dense import DenseIndex, StoredVectors
from bot.search.embedder import RowVectors, Vectors
from bot.search.keyword import KeywordIndex
from bot.search.phrase import Occurrences, PhraseIndex, PhraseMatch
from bot.search.snapshot import CorpusSnapshot

Rows = npt.NDArray[np.int64]


@dataclass(frozen=True)
class RowMap:
    """Snapshot rows and paragraphs to segment ones and back (base first, then delta, numbered on)."""

    passage: Rows  # snapshot row -> segment row
    paragraph: Rows  # snapshot paragraph -> segment paragraph
    snap_row: Rows  # segment row -> snapshot row (-1: tombstoned)
    snap_paragraph: Rows  # segment paragraph -> snapshot paragraph (-1: tombstoned)
    base_rows: int
    base_paragraphs: int

    @classmethod
    def build(
        cls,
        snap: CorpusSnapshot,
        ids: tuple[Sequence[str], Sequence[str]],
        starts: tuple[Sequence[int], Sequence[int]],
        tombstones: Iterable[int],
    ) -> RowMap:
        """Map ``snap`` onto segments holding passage ``ids`` whose paragraphs begin at ``starts``.

        Raises ``ValueError`` when the segments do not hold exactly the snapshot's passages.
        """
        base_ids, delta_ids = ids
        nb = len(base_ids)
        alive = np.ones(nb + len(delta_ids), dtype=bool)
        alive[np.asarray(list(tombstones), dtype=np.int64)] = False
        # Matched as sorted id columns, not through a dictionary: a million rows take a second in
        # Python, and the snapshot's ids may be memory-mapped.
        held = np.flatnonzero(alive)
        segment_ids = np.asarray([*base_ids, *delta_ids], dtype=bytes)[held]
        order = np.argsort(segment_ids, kind="stable")
        ordered = segment_ids[order]
        wanted = np.asarray(snap.passages.ids)
        if len(ordered) != len(snap) or bool(np.any(ordered[1:] == ordered[:-1])):
            raise ValueError("segments do not hold the corpus's passages")
        at = np.minimum(np.searchsorted(ordered, wanted), max(0, len(ordered) - 1))
        if len(wanted) and not bool(np.all(ordered[at] == wanted)):
            raise ValueError("segments do not hold the corpus's passages")
        passage = held[order[at]].astype(np.int64) if len(wanted) else np.zeros(0, dtype=np.int64)
        snap_row = np.full(nb + len(delta_ids), -1, dtype=np.int64)
        snap_row[passage] = np.arange(len(snap))
        all_starts = np.asarray([*starts[0], *(nb + s for s in starts[1])], dtype=np.int64)
        firsts = passage[snap.paragraphs.first]
        paragraph = np.searchsorted(all_starts, firsts, side="right") - 1
        if len(paragraph) and (paragraph.min() < 0 or np.any(all_starts[paragraph] != firsts)):
            raise ValueError("segment paragraphs do not match the corpus's")
        snap_paragraph = np.full(len(all_starts), -1, dtype=np.int64)
        snap_paragraph[paragraph] = np.arange(len(paragraph))
        return cls(passage, paragraph, snap_row, snap_paragraph, nb, len(starts[0]))


class SnapshotRows:
    """The live vectors of both segments, read by snapshot row (a :class:`RowVectors`)."""

    def __init__(self, base: StoredVectors, delta: StoredVectors, passage: Rows, base_rows: int):
        self._base, self._delta, self._passage, self._nb = base, delta, passage, base_rows
        self.shape = (len(passage), int(base.shape[1]))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: int | slice | Rows) -> Vectors:
        """The vectors of snapshot ``rows`` (an int gives one vector, a slice or array a matrix)."""
        if isinstance(rows, (int, np.integer)):
            one: Vectors = self[np.asarray([rows], dtype=np.int64)][0]
            return one
        # A slice (the verifier's sentence windows) names its rows without a library-long arange.
        wanted = (
            np.arange(*rows.indices(len(self)), dtype=np.int64)
            if isinstance(rows, slice)
            else np.asarray(rows, dtype=np.int64)
        )
        held = self._passage[wanted]
        out = np.empty((len(held), self.shape[1]), dtype=np.float32)
        in_base = held < self._nb
        out[in_base] = self._base[held[in_base]]
        if not in_base.all():
            out[~in_base] = self._delta[held[~in_base] - self._nb]
        return out

    def __array__(self, dtype: object = None, copy: object = None) -> Vectors:
        return self[np.arange(len(self))]


class SegmentedDense(DenseIndex):
    """The dense indexes of both segments, searched as one, in snapshot rows."""

    def __init__(self, base: DenseIndex, delta: DenseIndex, rows: RowMap):
        super().__init__(base._index, base.kind)
        self._base, self._delta, self._rows = base, delta, rows
        live = rows.snap_row[: rows.base_rows] >= 0
        self._live_base: Rows | None = None if live.all() else np.flatnonzero(live).astype(np.int64)
        # The verifier and the fusion read a few rows per question: they are gathered from each
        # segment when asked, never copied whole (a million vectors take 1.5 GB).
        self._rows_view = SnapshotRows(base.vectors(), delta.vectors(), rows.passage, rows.base_rows)

    def __len__(self) -> int:
        return len(self._rows.passage)

    def search(
        self, queries: Vectors, k: int, allowed: npt.NDArray[np.int64] | None = None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-``k`` (scores, snapshot rows) of both segments; ``allowed`` are snapshot rows."""
        n = queries.shape[0]
        k = max(1, min(k, len(self)))
        nb = self._rows.base_rows
        if allowed is None:
            base_allowed, delta_allowed = self._live_base, None
        else:
            segment_rows = self._rows.passage[allowed]
            base_allowed = segment_rows[segment_rows < nb]
            delta_allowed = segment_rows[segment_rows >= nb] - nb
        scores, ids = [], []
        for index, allow, offset in ((self._base, base_allowed, 0), (self._delta, delta_allowed, nb)):
            if not len(index) or (allow is not None and not len(allow)):
                continue
            s, i = index.search(queries, k, allow)
            scores.append(np.where(i >= 0, s, -np.inf))
            ids.append(np.where(i >= 0, i + offset, -1))
        if not ids:
            return np.zeros((n, k), dtype=np.float32), np.full((n, k), -1, dtype=np.int64)
        all_scores, all_ids = np.concatenate(scores, axis=1), np.concatenate(ids, axis=1)
        order = np.argsort(-all_scores, axis=1, kind="stable")[:, :k]
        top_ids = np.take_along_axis(all_ids, order, axis=1)
        top_scores = np.take_along_axis(all_scores, order, axis=1).astype(np.float32)
        rows = np.where(top_ids >= 0, self._rows.snap_row[np.maximum(top_ids, 0)], -1)
        if rows.shape[1] < k:  # fewer stored than asked for: pad as FAISS does
            pad = k - rows.shape[1]
            rows = np.pad(rows, ((0, 0), (0, pad)), constant_values=-1)
            top_scores = np.pad(top_scores, ((0, 0), (0, pad)), constant_values=-np.inf)
        return top_scores, rows.astype(np.int64)

    def rows(self) -> RowVectors:
        """The live vectors by snapshot row, gathered from the segments on each read."""
        return self._rows_view

    def vectors(self) -> Vectors:
        """Every live vector in snapshot row order: a copy of them all (tests and benches only)."""
        return self._rows_view[np.arange(len(self))]

    def reconstruct_all(self) -> Vectors:
        """Every live vector in snapshot row order."""
        return self.vectors()

    def save(self, path: Path) -> None:
        """A segmented index is saved as its segments, never as one file."""
        raise ValueError("a segmented dense index is saved segment by segment")


class SegmentedKeyword(KeywordIndex):
    """The BM25 indexes of both segments (the delta scored on the base's scale), in snapshot rows."""

    def __init__(self, base: KeywordIndex, delta: KeywordIndex, rows: Rows, base_rows: int):
        # The parent's state is not used: every method that reads it is overridden here.
        self._base, self._delta, self._rows, self._nb = base, delta, rows, base_rows
        self._n = len(base) + len(delta)  # documents indexed, tombstoned ones too (idf counts them)
        self._token_set = self._segment_tokens
        self.stats = None
        self._snapshot_of: Rows | None = None  # segment row -> snapshot row (-1: tombstoned)

    def __len__(self) -> int:
        return len(self._rows)

    def _segment_tokens(self, row: int) -> frozenset[str]:
        g = int(self._rows[row])
        return self._base._token_set(g) if g < self._nb else self._delta._token_set(g - self._nb)

    def scores(self, query_tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every live document, in snapshot order."""
        both = np.concatenate([self._base.scores(query_tokens), self._delta.scores(query_tokens)])
        return both[self._rows]

    def document_frequency(self, token: str) -> int:
        """Documents holding ``token`` in either segment."""
        return self._base.document_frequency(token) + self._delta.document_frequency(token)

    def rows_with(self, token: str) -> npt.NDArray[np.int64]:
        """Snapshot rows of the live documents holding ``token``, from both segments' posting lists."""
        if self._snapshot_of is None:
            inverse = np.full(self._n, -1, dtype=np.int64)
            inverse[self._rows] = np.arange(len(self._rows), dtype=np.int64)
            self._snapshot_of = inverse
        held = np.concatenate([self._base.rows_with(token), self._delta.rows_with(token) + self._nb])
        rows: Rows = self._snapshot_of[held]
        return np.asarray(rows[rows >= 0], dtype=np.int64)

    def prefetch(self, rows: Sequence[int]) -> None:
        """Tokenise the documents ``rows`` (snapshot rows) in each segment."""
        g = self._rows[np.asarray(rows, dtype=np.int64)]
        self._base.prefetch([int(r) for r in g[g < self._nb]])
        self._delta.prefetch([int(r) - self._nb for r in g[g >= self._nb]])

    def save(self, folder: Path) -> None:
        """A segmented index is saved as its segments, never as one."""
        raise ValueError("a segmented keyword index is saved segment by segment")


class SegmentedPhrases(PhraseIndex):
    """The phrase tables of both segments, keyed by snapshot paragraph."""

    def __init__(self, base: PhraseIndex, delta: PhraseIndex, rows: RowMap):
        # The parent's state is not used: every method that reads it is overridden here.
        self._segments = ((base, 0), (delta, rows.base_paragraphs))
        self._rows = rows

    def occurrences(self, query: str, allowed: Callable[[int], bool] | None = None) -> list[Occurrences]:
        """The live paragraphs of either segment holding the query, by snapshot paragraph."""
        found = []
        for index, offset in self._segments:
            held = index.occurrences(query)
            # Each segment key mapped once, as an array; -1 is a tombstoned paragraph.
            keys = self._rows.snap_paragraph[np.asarray([o.key for o in held], dtype=np.int64) + offset]
            found += [
                o._replace(key=key)
                for key, o in zip(keys.tolist(), held, strict=True)
                if key >= 0 and (allowed is None or allowed(key))
            ]
        found.sort(key=lambda o: o.key)
        return found

    def near(self, query: str, keys: Iterable[int]) -> list[PhraseMatch]:
        """Best approximate alignment in each of ``keys`` (snapshot paragraphs), best first."""
        wanted = list(dict.fromkeys(keys))
        rank = {key: i for i, key in enumerate(wanted)}
        segment_keys = self._rows.paragraph[np.asarray(wanted, dtype=np.int64)]
        found = []
        for index, offset in self._segments:
            end = offset + (self._rows.base_paragraphs if offset == 0 else len(self._rows.snap_paragraph))
            mine = [int(g) - offset for g in segment_keys if offset <= g < end]
            if mine:
                found += [self._to_snapshot(m, offset) for m in index.near(query, mine)]
        found.sort(key=lambda m: (-m.score, rank[m.key]))  # as one index: by score, then as asked
        return found

    def _to_snapshot(self, m: PhraseMatch, offset: int) -> PhraseMatch:
        return dataclasses.replace(m, key=int(self._rows.snap_paragraph[m.key + offset]))

    def close(self) -> None:
        """Release both tables."""
        for index, _ in self._segments:
            index.close()


def live_row(snap_of: Rows, segment_row: int) -> int:
    """The snapshot row of a segment row that must be live (a tombstoned one is a bug)."""
    row = int(snap_of[segment_row])
    if row < 0:  # a tombstoned row is filtered before any text is read: reaching here is a bug
        raise LookupError(f"segment row {segment_row} is tombstoned")
    return row
