"""A generation in two segments: the library as last indexed whole, plus the essays changed since.

Adding one essay to a large library should not rebuild FAISS, BM25 and the phrase table from every
passage. So a generation may reuse the files of the last whole build (the *base*, hard-linked from
the previous generation, never rewritten), add a small *delta* segment holding the essays added or
changed since (a flat FAISS index, BM25 indexes, a phrase table), and list the base rows removed
since (*tombstones*). Segments are by essay: an essay is in the base only while its text and passages
are exactly as the base indexed them (its fingerprint); otherwise all its base rows are tombstoned and
it is indexed again in the delta.

Snapshot rows stay in the corpus's own order (essay id, then position), whatever the segments: the
indexes answer in snapshot rows, translating through a :class:`~bot.search.segmented.RowMap`
(:mod:`bot.search.segmented`). So the retriever, the
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

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.search.dense import DenseIndex
from bot.search.indexes import KEYWORD_PARAGRAPHS, KEYWORD_SENTENCES, PHRASES, SearchIndexes
from bot.search.keyword import KeywordIndex
from bot.search.phrase import PhraseIndex, Span, open_phrase_file
from bot.search.segmented import RowMap, SegmentedDense, SegmentedKeyword, SegmentedPhrases, live_row
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
    table = snap.passages
    found = {}
    for essay_id, essay in snap.essays.items():
        rows = snap.row_array([essay_id])
        h = hashlib.sha256(essay.body.encode())
        # Read as columns (not Passage objects): the same bytes, hashed in one update.
        columns = (table.ids[rows].astype(str), table.paragraph[rows], table.start[rows], table.end[rows])
        h.update(
            "".join(
                f"\x1e{pid}\x1f{paragraph}\x1f{start}\x1f{end}"
                for pid, paragraph, start, end in zip(*(c.tolist() for c in columns), strict=True)
            ).encode()
        )
        lo = int(rows[0]) if len(rows) else 0
        found[essay_id] = (h.hexdigest(), lo, lo + len(rows))
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
        return lambda r: snap.passages[live_row(rows.snap_row, r + offset)].text

    def paragraph_text(offset: int) -> Callable[[int], str]:
        return lambda r: snap.paragraph_text(live_row(rows.snap_paragraph, r + offset))

    def span(offset: int) -> Callable[[int], Span]:
        def of(key: int) -> Span:
            prow = live_row(rows.snap_paragraph, key + offset)
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
