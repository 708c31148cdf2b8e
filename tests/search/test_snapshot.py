"""The corpus snapshot held as columns reads back exactly the passages and paragraphs it was given."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from bot.corpus.loader import load_essay
from bot.corpus.models import Essay, Passage
from bot.corpus.prepare import prepare
from bot.paths import seeds_dir
from bot.search.snapshot import CorpusSnapshot

ESSAYS = ("mason-2022-marxist-position.md", "smith-2022-stop-putins-war.md", "rsm-2023-war-on-war.md")


@pytest.fixture(scope="module")
def given() -> tuple[list[Essay], list[Passage]]:
    prepared = [prepare(load_essay(seeds_dir() / name)) for name in ESSAYS]
    return [p.essay for p in prepared], [passage for p in prepared for passage in p.passages]


@pytest.fixture(scope="module")
def snap(given: tuple[list[Essay], list[Passage]]) -> CorpusSnapshot:
    return CorpusSnapshot(*given)


def sentences(passages: list[Passage]) -> list[Passage]:
    return [p for p in passages if p.kind == "sentence"]


def test_passages_read_back_equal_to_those_given(
    given: tuple[list[Essay], list[Passage]], snap: CorpusSnapshot
) -> None:
    expected = sentences(given[1])
    assert any(p.kind == "heading" for p in given[1])  # the fixture has headings to leave out
    assert len(snap) == len(expected)
    assert list(snap.passages) == expected
    assert snap.passages[-1] == expected[-1]
    assert snap.passages[3:6] == expected[3:6]
    with pytest.raises(IndexError):
        snap.passages[len(expected)]


def test_row_of_maps_every_id_and_nothing_else(
    given: tuple[list[Essay], list[Passage]], snap: CorpusSnapshot
) -> None:
    expected = {p.id: i for i, p in enumerate(sentences(given[1]))}
    assert dict(snap.row_of) == expected
    assert all(snap.row_of[pid] == row for pid, row in expected.items())
    headings = [p.id for p in given[1] if p.kind == "heading"]
    assert headings and all(h not in snap.row_of for h in headings)
    assert "no-such-id" not in snap.row_of


def test_paragraphs_group_consecutive_rows_of_one_block(
    given: tuple[list[Essay], list[Passage]], snap: CorpusSnapshot
) -> None:
    expected = sentences(given[1])
    blocks: dict[tuple[str, int], list[int]] = {}
    for row, p in enumerate(expected):
        blocks.setdefault((p.essay_id, p.paragraph), []).append(row)
    assert len(snap.paragraphs) == len(blocks)
    for prow, ((essay_id, number), rows) in enumerate(blocks.items()):
        para = snap.paragraphs[prow]
        assert (para.essay_id, para.number, para.rows) == (essay_id, number, tuple(rows))
        assert (para.start, para.end) == (expected[rows[0]].start, expected[rows[-1]].end)
        assert all(snap.paragraph_of[r] == prow and type(snap.paragraph_of[r]) is int for r in rows)
    assert snap.paragraph_array.tolist() == [snap.paragraph_of[r] for r in range(len(snap))]


def test_windows_and_essay_rows(given: tuple[list[Essay], list[Passage]], snap: CorpusSnapshot) -> None:
    expected = sentences(given[1])
    for row in (0, 5, len(expected) - 1):
        rows = snap.paragraphs[snap.paragraph_of[row]].rows
        i = rows.index(row)
        lo, hi = rows[max(0, i - 1)], rows[min(len(rows) - 1, i + 1)]
        assert snap.window_span(row) == (expected[lo].start, expected[hi].end)
    mason = {"mason-2022-marxist-position"}
    assert snap.rows_for_essays(mason) == [i for i, p in enumerate(expected) if p.essay_id in mason]
    both = {"mason-2022-marxist-position", "rsm-2023-war-on-war"}
    assert snap.row_array(both).tolist() == [i for i, p in enumerate(expected) if p.essay_id in both]
    assert snap.row_array({"absent"}).tolist() == []


def test_corpus_hash_is_that_of_the_ids_and_texts(
    given: tuple[list[Essay], list[Passage]], snap: CorpusSnapshot
) -> None:
    h = hashlib.sha256()
    for p in sentences(given[1]):
        h.update(p.id.encode() + b"\x1f" + p.text.encode() + b"\x1f\x1e")
    assert snap.corpus_hash == h.hexdigest()


def test_a_stored_text_unlike_the_body_slice_is_kept(given: tuple[list[Essay], list[Passage]]) -> None:
    """Text is read from the body only where the two agree: the corpus hash must not change."""
    essays, passages = given
    changed = [dataclasses.replace(p, text=p.text + " ") if i == 7 else p for i, p in enumerate(passages)]
    snap = CorpusSnapshot(essays, changed)
    row = snap.row_of[changed[7].id]
    assert snap.passages[row].text == changed[7].text
    assert snap.corpus_hash != CorpusSnapshot(essays, passages).corpus_hash


def test_passages_of_essays_outside_the_snapshot_are_left_out(
    given: tuple[list[Essay], list[Passage]],
) -> None:
    essays, passages = given
    snap = CorpusSnapshot(essays[:1], passages)
    assert {p.essay_id for p in snap.passages} == {essays[0].id}
    assert len(snap.paragraphs) == len(np.unique(snap.paragraph_array))


def test_an_empty_snapshot() -> None:
    snap = CorpusSnapshot([], [])
    assert len(snap) == 0 and len(snap.paragraphs) == 0 and list(snap.passages) == []
    assert snap.row_array({"x"}).tolist() == [] and "x" not in snap.row_of
    assert snap.corpus_hash == hashlib.sha256().hexdigest()
