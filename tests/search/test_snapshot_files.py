"""A snapshot saved in a generation reads back identical, and only for the corpus token it was stamped with.

Anything else (another token, no stamp, a damaged column, essays that are not the ones saved) gives
None, so that the caller reads the database instead of trusting the files.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from bot.corpus.loader import load_essay
from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.corpus.prepare import prepare
from bot.paths import seeds_dir
from bot.search.manifest import Manifest, file_sha256, generation_files
from bot.search.snapshot import CorpusSnapshot
from bot.search.snapshot_files import read_snapshot, snapshot_file_names, stamp, write_snapshot_files

ESSAYS = ("mason-2022-marxist-position.md", "rsm-2023-war-on-war.md")
TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def given() -> tuple[list[Essay], list[Passage], dict[str, list[QuoteSpan]]]:
    prepared = [prepare(load_essay(seeds_dir() / name)) for name in ESSAYS]
    essays = [p.essay for p in prepared]
    passages = [passage for p in prepared for passage in p.passages]
    # One stored text that differs from its body slice: the snapshot keeps such a row's own text.
    passages[3] = dataclasses.replace(passages[3], text=passages[3].text.upper())
    return essays, passages, {p.essay.id: list(p.spans) for p in prepared if p.spans}


def saved(folder: Path, snap: CorpusSnapshot) -> Manifest:
    """A generation folder holding only the snapshot's files, with the manifest a generation would have."""
    folder.mkdir()
    write_snapshot_files(folder, snap)
    return Manifest(
        format=4,
        generation=1,
        model="m",
        dimension=384,
        passage_count=len(snap),
        corpus_hash=snap.corpus_hash,
        index_kind="flat",
        calibration="c",
        created_at="2026-12-05T00:00:00+00:00",
        checksums={name: file_sha256(folder / name) for name in generation_files(folder)},
    )


def test_a_stamped_snapshot_reads_back_identical(
    given: tuple[list[Essay], list[Passage], dict[str, list[QuoteSpan]]], tmp_path: Path
) -> None:
    essays, passages, spans = given
    snap = CorpusSnapshot(essays, passages, spans)
    manifest = saved(tmp_path / "gen", snap)
    assert sorted(manifest.checksums or {}) == sorted(snapshot_file_names())
    stamp(tmp_path / "gen", TOKEN)
    back = read_snapshot(tmp_path / "gen", manifest, TOKEN, essays, spans)
    assert back is not None
    assert list(back.passages) == list(snap.passages)
    body_slice = essays[0].body[passages[3].start : passages[3].end]
    assert back.passages.text(3) == passages[3].text.upper() != body_slice
    assert dict(back.row_of) == dict(snap.row_of)
    assert [back.paragraphs[i] for i in range(len(back.paragraphs))] == [
        snap.paragraphs[i] for i in range(len(snap.paragraphs))
    ]
    assert back.quote_spans == spans and back.essays == snap.essays
    # Hashed again from the columns read back, not only copied from the manifest.
    assert back._hash() == snap.corpus_hash == back.corpus_hash
    # Read from the file, not copied into memory, and indexed as a plain array (no np.memmap overhead).
    assert type(back.passages.ids) is np.ndarray and isinstance(back.passages.ids.base, np.memmap)
    assert back.from_generation and back.token == TOKEN and not snap.from_generation


def test_another_token_or_no_stamp_is_not_trusted(
    given: tuple[list[Essay], list[Passage], dict[str, list[QuoteSpan]]], tmp_path: Path
) -> None:
    essays, passages, spans = given
    manifest = saved(tmp_path / "gen", CorpusSnapshot(essays, passages, spans))
    assert read_snapshot(tmp_path / "gen", manifest, TOKEN, essays, spans) is None  # never stamped
    stamp(tmp_path / "gen", TOKEN)
    assert read_snapshot(tmp_path / "gen", manifest, "f" * 32, essays, spans) is None
    unlisted = dataclasses.replace(manifest, checksums={})  # written before columns were saved
    assert read_snapshot(tmp_path / "gen", unlisted, TOKEN, essays, spans) is None


@pytest.mark.parametrize("column", ["essay", "start", "order"])
def test_a_damaged_column_is_not_trusted(
    given: tuple[list[Essay], list[Passage], dict[str, list[QuoteSpan]]], tmp_path: Path, column: str
) -> None:
    essays, passages, spans = given
    manifest = saved(tmp_path / "gen", CorpusSnapshot(essays, passages, spans))
    stamp(tmp_path / "gen", TOKEN)
    path = tmp_path / "gen" / "corpus" / f"{column}.npy"
    data = bytearray(path.read_bytes())
    data[-8] ^= 0x01  # one bit of the last row: still a valid .npy file
    path.write_bytes(bytes(data))
    assert read_snapshot(tmp_path / "gen", manifest, TOKEN, essays, spans) is None


def test_columns_that_do_not_fit_the_essays_read_are_not_trusted(
    given: tuple[list[Essay], list[Passage], dict[str, list[QuoteSpan]]], tmp_path: Path
) -> None:
    essays, passages, spans = given
    manifest = saved(tmp_path / "gen", CorpusSnapshot(essays, passages, spans))
    stamp(tmp_path / "gen", TOKEN)
    assert read_snapshot(tmp_path / "gen", manifest, TOKEN, essays[:1], spans) is None
    assert read_snapshot(tmp_path / "gen", manifest, TOKEN, essays[::-1], spans) is None
    shorter = dataclasses.replace(essays[1], body=essays[1].body[: len(essays[1].body) // 2])
    assert read_snapshot(tmp_path / "gen", manifest, TOKEN, [essays[0], shorter], spans) is None
    miscounted = dataclasses.replace(manifest, passage_count=manifest.passage_count + 1)
    assert read_snapshot(tmp_path / "gen", miscounted, TOKEN, essays, spans) is None


def test_an_empty_snapshot_round_trips(tmp_path: Path) -> None:
    snap = CorpusSnapshot([], [])
    manifest = saved(tmp_path / "gen", snap)
    stamp(tmp_path / "gen", TOKEN)
    back = read_snapshot(tmp_path / "gen", manifest, TOKEN, [], {})
    assert back is not None and len(back) == 0 and len(back.paragraphs) == 0
