"""A start takes the corpus from its index generation while the database's corpus token says it is the
same, and reads the database in full otherwise: never answers from columns the database has moved past.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.core.ingest import IngestReport, plan_ingest
from bot.corpus.upload import read_upload
from bot.curation.audit import CLI_ACTOR
from bot.paths import seeds_dir
from bot.search.manifest import TOKEN_FILE
from bot.search.snapshot import CorpusSnapshot, snapshot_of
from bot.store.db import session_scope
from bot.store.repo import CorpusRepository

pytestmark = pytest.mark.model

ESSAY_FILE = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"
CLAUSEWITZ = "war is the continuation of politics by other means"
BAKERS_ID = "bakers-2024-bread-and-roses"
BAKERS = """---
id: "bakers-2024-bread-and-roses"
title: "Bread and Roses in the Bakeries"
authors: ["Dora Baker"]
date: "2024-05"
---
The cooperative bakeries of the harbour district taught us that bread and solidarity rise together.

When the landlords raised the rents, the bakers answered with a strike of sourdough starters.
"""


@pytest.fixture
def data_dir(clone_seeded: Callable[[str], Path]) -> Path:
    return clone_seeded("saved-corpus")


def start(data_dir: Path, like: Essaybot) -> Essaybot:
    """A new process's core over ``data_dir`` (sharing the loaded model)."""
    app = Essaybot(load_settings(None, data_dir=data_dir), embedder=like.embedder)
    app.ensure_ready()
    return app


def from_generation(snap: CorpusSnapshot) -> bool:
    # The saved columns are memory-mapped from the generation; a database read builds them in memory.
    assert snap.from_generation == isinstance(snap.passages.ids.base, np.memmap)
    return snap.from_generation


def stored(app: Essaybot) -> CorpusSnapshot:
    with session_scope(app.engine) as session:
        return snapshot_of(CorpusRepository(session))


def same(a: CorpusSnapshot, b: CorpusSnapshot) -> bool:
    return (
        list(a.passages) == list(b.passages)
        and a.essays == b.essays
        and a.quote_spans == b.quote_spans
        and a._hash() == b._hash()
    )


def test_a_start_reads_the_generation_s_corpus_identical_to_the_database(
    data_dir: Path, seeded_app: Essaybot
) -> None:
    app = start(data_dir, seeded_app)
    snap = app.retriever().snapshot
    assert from_generation(snap)
    assert same(snap, stored(app))
    assert app.who_said(CLAUSEWITZ).to_json() == seeded_app.who_said(CLAUSEWITZ).to_json()


def test_after_each_change_the_next_start_reads_the_generation_again(
    data_dir: Path, seeded_app: Essaybot, tmp_path: Path
) -> None:
    app = start(data_dir, seeded_app)
    essay = read_upload(ESSAY_FILE.read_bytes(), ESSAY_FILE.name, max_bytes=1 << 20).essay
    app.library.add_essays([essay], actor=CLI_ACTOR)  # a delta generation
    app.library.edit_essay(essay.id, actor=CLI_ACTOR, title="Keepers of the Light")
    removed = app.who_said(CLAUSEWITZ).results[0].essay.id
    app.library.remove_essay_by(removed, actor=CLI_ACTOR)
    again = start(data_dir, seeded_app)
    snap = again.retriever().snapshot
    assert from_generation(snap) and same(snap, stored(again))
    assert snap.meta(essay.id).title == "Keepers of the Light" and removed not in snap.essays
    # An ingest of a folder: the seeds again (one of them removed above stays removed) plus a new file.
    folder = tmp_path / "more"
    folder.mkdir()
    for seed in seeds_dir().glob("*.md"):
        (folder / seed.name).write_bytes(seed.read_bytes())
    (folder / "bakers.md").write_text(BAKERS)
    report = again.library.ingest([folder])
    assert report.added == [BAKERS_ID] and removed in report.skipped
    third = start(data_dir, seeded_app)
    snap = third.retriever().snapshot
    assert (
        from_generation(snap) and same(snap, stored(third)) and "bakers-2024-bread-and-roses" in snap.essays
    )
    assert (
        third.who_said("a strike of sourdough starters").results[0].essay.id == "bakers-2024-bread-and-roses"
    )


def test_a_write_outside_the_library_is_read_from_the_database_and_reindexed(
    data_dir: Path, seeded_app: Essaybot
) -> None:
    app = start(data_dir, seeded_app)
    said_it = app.who_said(CLAUSEWITZ)
    assert said_it.verdict == "found"
    gone = said_it.results[0].essay.id
    generation = app.store.current_generation()
    with app.engine.begin() as conn:  # e.g. a hand-written statement, or an older release
        conn.execute(sa.text("UPDATE essays SET status = 'removed' WHERE id = :id"), {"id": gone})
    again = start(data_dir, seeded_app)
    snap = again.retriever().snapshot
    assert not from_generation(snap) and gone not in snap.essays
    assert again.store.current_generation() != generation  # the stale index was rebuilt
    answer = again.who_said(CLAUSEWITZ)
    assert all(q.essay.id != gone for q in [*answer.results, *answer.closest])
    assert from_generation(start(data_dir, seeded_app).retriever().snapshot)  # the rebuild was stamped


def test_an_unstamped_generation_is_read_from_the_database_then_saved(
    data_dir: Path, seeded_app: Essaybot
) -> None:
    # As after an upgrade: a generation written before corpora were saved. (A damaged column fails
    # the generation's checksums, and a damaged generation is rebuilt whole, stamped.)
    generation = seeded_app.store.current_generation()
    assert generation is not None
    folder = data_dir / "index" / f"gen-{generation:06d}"
    (folder / TOKEN_FILE).unlink()
    app = start(data_dir, seeded_app)
    snap = app.retriever().snapshot
    assert not from_generation(snap) and same(snap, stored(app))
    assert app.who_said(CLAUSEWITZ).to_json() == seeded_app.who_said(CLAUSEWITZ).to_json()
    # The same index published again with the corpus saved: linked files, nothing re-embedded.
    current = app.store.current_generation()
    assert current == generation + 1 and app.retriever().snapshot is snap  # no reload for it
    relinked = data_dir / "index" / f"gen-{current:06d}" / "sentences.faiss"
    assert relinked.stat().st_ino == (folder / "sentences.faiss").stat().st_ino
    again = start(data_dir, seeded_app)
    assert from_generation(again.retriever().snapshot) and same(again.retriever().snapshot, stored(again))
    assert again.who_said(CLAUSEWITZ).to_json() == seeded_app.who_said(CLAUSEWITZ).to_json()
    assert again.store.current_generation() == current


def test_a_plan_read_before_another_writer_commits_is_not_stamped(
    data_dir: Path, seeded_app: Essaybot
) -> None:
    # The corpus a plan was read from must be the one its commit changes; else the stamp would
    # vouch for columns that miss the other writer's change.
    app = start(data_dir, seeded_app)
    with session_scope(app.engine) as session:
        plan = plan_ingest([], CorpusRepository(session), force=False, report=IngestReport(), progress=None)
    assert plan.token is not None
    with app.engine.begin() as conn:
        conn.execute(sa.text("UPDATE passages SET paragraph = paragraph WHERE seq = 0"))
    assert app.library._saver(plan)() is None
    with session_scope(app.engine) as session:
        fresh = plan_ingest([], CorpusRepository(session), force=False, report=IngestReport(), progress=None)
    assert fresh.token is not None and fresh.token != plan.token
    assert app.library._saver(fresh)() is not None
