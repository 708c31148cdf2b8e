"""A generation in two segments: the library as last indexed whole, plus the essays changed since.

Adding one essay to a large library should not rebuild FAISS, BM25 and the phrase table from every
passage. So a generation may reuse the files of the last whole build (the *base*, hard-linked from
the previous generation, never rewritten), add a small *delta* segment holding the essays added or
changed since (a flat FAISS index, BM25 indexes, a phrase table), and list the base rows removed
since (*tombstones*). Segments are by essay: an essay is in the base only while its text and passages
are exactly as the base indexed them (its fingerprint); otherwise all its base rows are tombstoned and
it is indexed again in the delta.

Snapshot rows stay in the corpus's own order (essay id, then position), whatever the segments: the
classes here answer in snapshot rows, translating through a :class:`RowMap`. So the retriever, the
candidates' proof and the verifier work unchanged, and a segmented generation ranks like a whole one:

- dense: both segments are searched (tombstones filtered inside FAISS) and merged by score, which is
  a cosine in both;
- keyword: the delta's BM25 scores are computed with the statistics of base and delta together
  (:meth:`KeywordIndex.scored_like`), so a delta document scores exactly as in a whole rebuild. The
  base keeps the statistics it was built with: its scores differ from a rebuild's by what the delta
  and tombstones change in document counts and mean length, which compaction keeps under
  ``COMPACT_SHARE`` of the rows;
- phrase: both tables are looked up; matches in tombstoned paragraphs are dropped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.search.dense import DenseIndex
from bot.search.embedder import RowVectors, Vectors
from bot.search.indexes import KEYWORD_PARAGRAPHS, KEYWORD_SENTENCES, PHRASES, SearchIndexes
from bot.search.keyword import KeywordIndex
from bot.search.phrase import PhraseIndex, PhraseMatch, Span, open_phrase_file
from bot.search.snapshot import CorpusSnapshot

# A publish rebuilds everything once the delta's passages plus the tombstones pass this share of
# the base's rows: the base's BM25 statistics then drift too far from the library's, and the delta
# (a flat, exhaustive index) stops being small.
COMPACT_SHARE = 0.10
LAYOUT = "layout.json"
TOMBSTONES = "tombstones.json"
DELTA = "delta"

Rows = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Layout:
    """Which essays a segment indexes (fingerprint and row range) and where its paragraphs start."""

    essays: dict[str, tuple[str, int, int]]
    paragraph_starts: list[int]

    @classmethod
    def of(cls, snap: CorpusSnapshot) -> Layout:
        """The layout of a segment that indexes ``snap`` in its row order."""
        return cls(fingerprints(snap), [p.rows[0] for p in snap.paragraphs])

    def write(self, folder: Path) -> None:
        """Save into a segment's folder."""
        raw = {"essays": self.essays, "paragraph_starts": self.paragraph_starts}
        (folder / LAYOUT).write_text(json.dumps(raw))

    @classmethod
    def read(cls, folder: Path) -> Layout:
        """Read a segment's layout; ``OSError`` or ``ValueError`` when it is missing or malformed."""
        raw = json.loads((folder / LAYOUT).read_text())
        try:
            essays = {str(e): (str(f), int(lo), int(hi)) for e, (f, lo, hi) in raw["essays"].items()}
            return cls(essays, [int(s) for s in raw["paragraph_starts"]])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"segment layout unreadable: {exc}") from exc


def fingerprints(snap: CorpusSnapshot) -> dict[str, tuple[str, int, int]]:
    """Each essay's fingerprint (its text and passages) and its rows ``[lo, hi)`` in ``snap``."""
    rows: dict[str, list[int]] = {e: [] for e in snap.essays}
    for row, p in enumerate(snap.passages):
        rows[p.essay_id].append(row)
    found = {}
    for essay_id, essay_rows in rows.items():
        h = hashlib.sha256(snap.essays[essay_id].body.encode())
        for row in essay_rows:
            p = snap.passages[row]
            h.update(f"\x1e{p.id}\x1f{p.paragraph}\x1f{p.start}\x1f{p.end}".encode())
        lo = essay_rows[0] if essay_rows else 0
        found[essay_id] = (h.hexdigest(), lo, lo + len(essay_rows))
    return found


@dataclass(frozen=True)
class DeltaPlan:
    """What an incremental generation holds besides the base: the delta's essays and the tombstones."""

    delta: CorpusSnapshot  # the essays not in the base as it was indexed, in corpus order
    tombstones: list[int]  # base rows no longer in the library (removed or changed essays)

    def share(self, base_rows: int) -> float:
        """Rows in the delta and tombstones, as a share of the base's rows."""
        return (len(self.delta) + len(self.tombstones)) / max(1, base_rows)


def plan_delta(snap: CorpusSnapshot, base: Layout) -> DeltaPlan:
    """Split ``snap`` into the essays the base indexes exactly as they are now, and the rest."""
    now = fingerprints(snap)
    kept = {e for e, (fp, _, _) in base.essays.items() if e in now and now[e][0] == fp}
    tombstones = sorted(r for e, (_, lo, hi) in base.essays.items() if e not in kept for r in range(lo, hi))
    essays = [e for e in snap.essays.values() if e.id not in kept]
    delta_rows = snap.rows_for_essays({e.id for e in essays})
    delta = CorpusSnapshot(
        essays,
        [snap.passages[r] for r in delta_rows],
        {e.id: snap.quote_spans[e.id] for e in essays if e.id in snap.quote_spans},
    )
    return DeltaPlan(delta, tombstones)


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
        dead = np.zeros(nb, dtype=bool)
        dead[np.asarray(list(tombstones), dtype=np.int64)] = True
        position = {pid: i for i, pid in enumerate(base_ids) if not dead[i]}
        position.update((pid, nb + j) for j, pid in enumerate(delta_ids))
        if len(position) != len(snap) or len(position) != nb - int(dead.sum()) + len(delta_ids):
            raise ValueError("segments do not hold the corpus's passages")
        try:
            passage = np.fromiter((position[p.id] for p in snap.passages), np.int64, len(snap))
        except KeyError as exc:
            raise ValueError("segments do not hold the corpus's passages") from exc
        snap_row = np.full(nb + len(delta_ids), -1, dtype=np.int64)
        snap_row[passage] = np.arange(len(snap))
        all_starts = np.asarray([*starts[0], *(nb + s for s in starts[1])], dtype=np.int64)
        firsts = passage[np.asarray([p.rows[0] for p in snap.paragraphs], dtype=np.int64)]
        paragraph = np.searchsorted(all_starts, firsts, side="right") - 1
        if len(paragraph) and (paragraph.min() < 0 or np.any(all_starts[paragraph] != firsts)):
            raise ValueError("segment paragraphs do not match the corpus's")
        snap_paragraph = np.full(len(all_starts), -1, dtype=np.int64)
        snap_paragraph[paragraph] = np.arange(len(paragraph))
        return cls(passage, paragraph, snap_row, snap_paragraph, nb, len(starts[0]))


class SnapshotRows:
    """The live vectors of both segments, read by snapshot row (a :class:`RowVectors`)."""

    def __init__(self, base: Vectors, delta: Vectors, passage: Rows, base_rows: int):
        self._base, self._delta, self._passage, self._nb = base, delta, passage, base_rows
        self.shape = (len(passage), int(base.shape[1]))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: int | slice | Rows) -> Vectors:
        """The vectors of snapshot ``rows`` (an int gives one vector, a slice or array a matrix)."""
        if isinstance(rows, (int, np.integer)):
            one: Vectors = self[np.asarray([rows], dtype=np.int64)][0]
            return one
        wanted = np.arange(len(self))[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=np.int64)
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

    def exact(self, query: str, allowed: Callable[[int], bool] | None = None) -> list[PhraseMatch]:
        """Every occurrence of the query in live paragraphs of either segment, in corpus order."""
        found = []
        for index, offset in self._segments:

            def live(key: int, offset: int = offset) -> bool:
                snap_key = int(self._rows.snap_paragraph[key + offset])
                return snap_key >= 0 and (allowed is None or allowed(snap_key))

            found += [self._to_snapshot(m, offset) for m in index.exact(query, live)]
        found.sort(key=lambda m: m.key)  # stable: a paragraph's matches keep their order
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


@dataclass(frozen=True)
class Segments:
    """The stored parts of a segmented generation, read back: each segment's passages and FAISS."""

    folder: Path  # the generation (the base's files at its top, the delta's in ``delta/``)
    base_ids: list[str]
    base_dense: DenseIndex
    delta_ids: list[str]
    delta_dense: DenseIndex
    tombstones: list[int]


def open_segments(parts: Segments, snap: CorpusSnapshot) -> SearchIndexes:
    """Every index of a segmented generation, answering in the rows of ``snap`` (which it indexes).

    Raises ``ValueError``, ``OSError`` or ``sqlite3.DatabaseError`` when a file is missing,
    unreadable or does not match the corpus.
    """
    delta_folder = parts.folder / DELTA
    has_delta = bool(parts.delta_ids)
    base_layout = Layout.read(parts.folder)
    delta_layout = Layout.read(delta_folder) if has_delta else Layout({}, [])
    rows = RowMap.build(
        snap,
        (parts.base_ids, parts.delta_ids),
        (base_layout.paragraph_starts, delta_layout.paragraph_starts),
        parts.tombstones,
    )

    def passage_text(offset: int) -> Callable[[int], str]:
        return lambda r: snap.passages[_live(rows.snap_row, r + offset)].text

    def paragraph_text(offset: int) -> Callable[[int], str]:
        return lambda r: snap.paragraph_text(_live(rows.snap_paragraph, r + offset))

    def span(offset: int) -> Callable[[int], Span]:
        def of(key: int) -> Span:
            prow = _live(rows.snap_paragraph, key + offset)
            return Span(key, snap.paragraphs[prow].start, snap.paragraph_text(prow))

        return of

    sizes = ((parts.base_ids, base_layout), (parts.delta_ids, delta_layout))
    segments: list[tuple[KeywordIndex, KeywordIndex, PhraseIndex]] = []
    for (folder, row_offset, para_offset), (ids, layout) in zip(
        ((parts.folder, 0, 0), (delta_folder, rows.base_rows, rows.base_paragraphs)), sizes, strict=True
    ):
        if not ids:
            segments.append((KeywordIndex([]), KeywordIndex([]), PhraseIndex.in_memory([])))
            continue
        sentences = KeywordIndex.load(folder / KEYWORD_SENTENCES, passage_text(row_offset))
        paragraphs = KeywordIndex.load(folder / KEYWORD_PARAGRAPHS, paragraph_text(para_offset))
        if len(sentences) != len(ids) or len(paragraphs) != len(layout.paragraph_starts):
            raise ValueError("keyword index does not match its segment")
        phrases = PhraseIndex(open_phrase_file(folder / PHRASES), span(para_offset))
        segments.append((sentences, paragraphs, phrases))
    (base_s, base_p, base_ph), (delta_s, delta_p, delta_ph) = segments
    return SearchIndexes(
        SegmentedDense(parts.base_dense, parts.delta_dense, rows),
        SegmentedKeyword(base_s, delta_s, rows.passage, rows.base_rows),
        SegmentedKeyword(base_p, delta_p, rows.paragraph, rows.base_paragraphs),
        SegmentedPhrases(base_ph, delta_ph, rows),
    )


def _live(snap_of: Rows, segment_row: int) -> int:
    row = int(snap_of[segment_row])
    if row < 0:  # a tombstoned row is filtered before any text is read: reaching here is a bug
        raise LookupError(f"segment row {segment_row} is tombstoned")
    return row
