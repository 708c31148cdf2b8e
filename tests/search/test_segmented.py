"""RowMap: snapshot rows onto a base and a delta segment (tombstones skipped), and refusing any mismatch.

A map that matched the wrong segment row would read another passage's vector for a question: the
build must fail instead, so that the generation is rebuilt.
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.corpus.loader import load_essay
from bot.corpus.prepare import prepare
from bot.paths import seeds_dir
from bot.search.segmented import RowMap, SnapshotRows
from bot.search.snapshot import CorpusSnapshot

ESSAYS = ("mason-2022-marxist-position.md", "rsm-2023-war-on-war.md", "smith-2022-stop-putins-war.md")


@pytest.fixture(scope="module")
def snap() -> CorpusSnapshot:
    prepared = [prepare(load_essay(seeds_dir() / name)) for name in ESSAYS]
    return CorpusSnapshot([p.essay for p in prepared], [x for p in prepared for x in p.passages])


def segments(snap: CorpusSnapshot, split: str) -> tuple[list[str], list[str], list[int], list[int]]:
    """Base = every essay but ``split`` plus two dead rows; delta = ``split``; their paragraph starts."""
    ids = [snap.passages.id(r) for r in range(len(snap))]
    moved = set(snap.row_array([split]).tolist())
    base = ["dead-row-0000001"] + [ids[r] for r in range(len(snap)) if r not in moved] + ["dead-row-0000002"]
    delta = [ids[r] for r in sorted(moved)]

    def starts(rows: list[int], offset: int) -> list[int]:
        firsts = {int(snap.paragraphs.first[snap.paragraph_of[r]]) for r in rows}
        return sorted(offset + rows.index(f) for f in firsts)

    kept = [r for r in range(len(snap)) if r not in moved]
    base_starts = [0, *starts(kept, 1), len(base) - 1]  # each dead row is a paragraph of its own
    return base, delta, base_starts, starts(sorted(moved), 0)


def test_every_snapshot_row_maps_to_the_segment_row_holding_its_passage(snap: CorpusSnapshot) -> None:
    base, delta, base_starts, delta_starts = segments(snap, "rsm-2023-war-on-war")
    rows = RowMap.build(snap, (base, delta), (base_starts, delta_starts), [0, len(base) - 1])
    held = [*base, *delta]
    assert [held[int(s)] for s in rows.passage] == [snap.passages.id(r) for r in range(len(snap))]
    assert rows.snap_row[0] == rows.snap_row[len(base) - 1] == -1  # the tombstones
    assert sorted(int(r) for r in rows.snap_row if r >= 0) == list(range(len(snap)))
    assert len(rows.paragraph) == len(snap.paragraphs) and rows.base_rows == len(base)


@pytest.mark.parametrize("fault", ["missing", "duplicate", "extra", "alive-dead-row", "paragraphs"])
def test_segments_that_do_not_hold_the_snapshot_are_refused(snap: CorpusSnapshot, fault: str) -> None:
    base, delta, base_starts, delta_starts = segments(snap, "rsm-2023-war-on-war")
    tombstones = [0, len(base) - 1]
    if fault == "missing":
        delta = delta[:-1]
    elif fault == "duplicate":
        delta = [*delta[:-1], delta[0]]
    elif fault == "extra":
        delta = [*delta, "not-in-corpus-01"]
    elif fault == "alive-dead-row":
        tombstones = [0]
    else:
        delta_starts = [s + 1 for s in delta_starts]
    with pytest.raises(ValueError):
        RowMap.build(snap, (base, delta), (base_starts, delta_starts), tombstones)


def test_an_empty_snapshot_maps_onto_empty_segments() -> None:
    rows = RowMap.build(CorpusSnapshot([], []), ([], []), ([], []), [])
    assert len(rows.passage) == 0 and np.array_equal(rows.snap_row, np.zeros(0, dtype=np.int64))


def test_snapshot_rows_read_each_row_from_its_segment_by_index_or_slice(snap: CorpusSnapshot) -> None:
    base, delta, base_starts, delta_starts = segments(snap, "rsm-2023-war-on-war")
    rows = RowMap.build(snap, (base, delta), (base_starts, delta_starts), [0, len(base) - 1])
    # Each segment row's vector is its own row number, so a read shows which row it came from.
    base_vectors = np.repeat(np.arange(len(base), dtype=np.float32)[:, None], 3, axis=1)
    delta_vectors = np.repeat(np.arange(len(delta), dtype=np.float32)[:, None] + len(base), 3, axis=1)
    view = SnapshotRows(base_vectors, delta_vectors, rows.passage, len(base))
    whole = np.concatenate([base_vectors, delta_vectors])[rows.passage]
    assert np.array_equal(np.asarray(view), whole)
    n = len(snap)
    cuts = (slice(3, 9), slice(None), slice(n - 5, None), slice(-4, -1), slice(None, None, -3), slice(7, 7))
    for cut in cuts:
        assert np.array_equal(view[cut], whole[cut]), cut
    assert np.array_equal(view[n - 1], whole[n - 1])
    assert np.array_equal(view[np.array([5, 0, n - 1])], whole[[5, 0, n - 1]])
