"""The write path: the change each publish is given, and undo through the library (model tests)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.core.library import Change
from bot.corpus.prepare import prepare
from bot.corpus.upload import read_upload
from bot.curation import audit
from bot.curation.audit import CLI_ACTOR, CurationError
from bot.curation.passages import PassageOverrides
from bot.search.snapshot import CorpusSnapshot
from bot.store.db import session_scope
from bot.store.models import AuditRow
from bot.store.repo import CorpusRepository

ESSAY_FILE = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"
ESSAY_ID = "okafor-2024-lighthouse-keepers"
GUILD = "123"


def _upload_snapshot() -> CorpusSnapshot:
    prepared = prepare(read_upload(ESSAY_FILE.read_bytes(), ESSAY_FILE.name, max_bytes=1 << 20).essay)
    return CorpusSnapshot([prepared.essay], prepared.passages, {ESSAY_ID: prepared.spans})


def test_a_change_names_the_index_rows_added_and_removed() -> None:
    snap = _upload_snapshot()
    rows = list(snap.row_of)
    assert len(rows) > 3
    kept, gone = rows[1:], "a-passage-no-longer-stored"
    change = Change.between([*kept, gone], snap)
    assert change.added == {rows[0]} and change.removed == {gone} and not change.full
    assert Change.between(rows, snap) == Change()  # nothing added, nothing removed


@pytest.fixture
def app(clone_seeded: Callable[[str], Path], seeded_app: Essaybot) -> Essaybot:
    return Essaybot(load_settings(None, data_dir=clone_seeded("library")), embedder=seeded_app.embedder)


def _newest(app: Essaybot) -> AuditRow:
    with session_scope(app.engine) as session:
        return audit.recent(session, None, limit=1)[0]


def _status(app: Essaybot, essay_id: str) -> str | None:
    with session_scope(app.engine) as session:
        return CorpusRepository(session).essay_status(essay_id)


@pytest.mark.model
def test_an_essay_action_is_undone_through_the_library_only(app: Essaybot) -> None:
    essay_id = app.essays()[0].id
    app.library.remove_essay_by(essay_id, actor=CLI_ACTOR)
    entry, generation = _newest(app), app.store.current_generation()

    # Behind the library's back the corpus would change without a matching index: refused.
    with pytest.raises(RuntimeError, match=r"Library\.undo"), session_scope(app.engine) as session:
        audit.undo(session, entry.id, actor=CLI_ACTOR, guild_id=GUILD)
    assert _status(app, essay_id) == "removed"

    # The caller's permission rule sees the entry first, and refusing changes nothing.
    def refuse(row: AuditRow | None) -> None:
        assert row is not None and row.id == entry.id
        raise CurationError("not yours to undo")

    with pytest.raises(CurationError, match="not yours"):
        app.library.undo(entry.id, actor=CLI_ACTOR, guild_id=GUILD, allowed=refuse)
    assert _status(app, essay_id) == "removed" and app.store.current_generation() == generation

    undone = app.library.undo(entry.id, actor=CLI_ACTOR, guild_id=GUILD)
    assert undone.id == entry.id and undone.undone_by == CLI_ACTOR
    assert _status(app, essay_id) == "active"
    assert app.store.current_generation() == (generation or 0) + 1
    assert essay_id in {m.id for m in app.essays()}


@pytest.mark.model
def test_undoing_a_servers_curation_publishes_no_index(app: Essaybot) -> None:
    passage = app.retriever().snapshot.passages[0].id
    with session_scope(app.engine) as session:
        assert PassageOverrides(session, GUILD).hide(passage, actor=CLI_ACTOR)
    with session_scope(app.engine) as session:
        entry = audit.recent(session, GUILD, limit=1)[0]
    generation = app.store.current_generation()
    assert app.library.undo(entry.id, actor=CLI_ACTOR, guild_id=GUILD).action == "passage.hide"
    assert app.store.current_generation() == generation
    assert app.curation(GUILD).hidden == set()


def test_reindex_keeping_the_vectors_embeds_nothing_and_writes_the_files_anew(app: Essaybot) -> None:
    store = app.library.index_store
    before = store.current_generation()
    assert before is not None
    model = app.library.embedder.model_name
    vectors = store.previous_vectors(model)
    stages: list[tuple[str, int, int]] = []
    manifest = app.library.reindex(progress=lambda *s: stages.append(s), reembed=False)
    assert manifest.generation == before + 1 and manifest.segments is None  # whole, not a delta
    assert not [s for s in stages if s[0] == "embedding"]
    after = store.root / f"gen-{manifest.generation:06d}"
    again = store.previous_vectors(model)
    assert again.keys() == vectors.keys() and all((again[k] == v).all() for k, v in vectors.items())
    with sqlite3.connect(after / "phrases.sqlite") as phrases:
        assert phrases.execute("SELECT count(*) FROM trigram_docs").fetchone()[0] > 1000
    assert app.who_said("no truce in the class war").verdict == "found"
