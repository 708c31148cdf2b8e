"""Essay curation by the bot's owners: add, remove, restore, edit, each audited and each undoable.

An undo goes through the library (as ``/audit undo`` does): the corpus change must reach answers at
once, through the index generation the library publishes with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.corpus.models import Essay, EssayMeta
from bot.corpus.upload import read_upload
from bot.curation import audit
from bot.curation.audit import CLI_ACTOR, CurationError
from bot.curation.essays import ACTIONS
from bot.errors import CorpusError
from bot.store.db import session_scope
from bot.store.models import AuditRow
from bot.store.repo import CorpusRepository

pytestmark = pytest.mark.model

ESSAY_FILE = Path(__file__).resolve().parents[1] / "data" / "upload_essay.md"
ESSAY_ID = "okafor-2024-lighthouse-keepers"
TITLE = "The lighthouse keepers of the labour movement"
SENTENCE = "A group chat is not an archive: it is a river, and rivers carry everything away."
OWNER = "555"


@pytest.fixture
def app(clone_seeded: Callable[[str], Path], seeded_app: Essaybot) -> Essaybot:
    bot = Essaybot(load_settings(None, data_dir=clone_seeded("essay-curation")))
    bot.embedder = seeded_app.embedder
    return bot


def essay() -> Essay:
    return read_upload(ESSAY_FILE.read_bytes(), ESSAY_FILE.name, max_bytes=1 << 20).essay


def answered_by(app: Essaybot, query: str = SENTENCE) -> str | None:
    """The essay id of the top result, or None when the answer is "not found"."""
    answer = app.who_said(query)
    return answer.results[0].essay.id if answer.verdict == "found" else None


def newest_entry(app: Essaybot) -> AuditRow:
    with session_scope(app.engine) as session:
        return audit.recent(session, None, limit=1)[0]


def undo(app: Essaybot, entry_id: int) -> None:
    """What /audit undo does: the library's undo, which publishes the index of an essay action."""
    app.library.undo(entry_id, actor=OWNER, guild_id="123")


def status(app: Essaybot, essay_id: str = ESSAY_ID) -> str | None:
    with session_scope(app.engine) as session:
        return CorpusRepository(session).essay_status(essay_id)


def test_every_essay_action_can_be_undone() -> None:
    assert set(ACTIONS) <= audit.undoable_actions()


def test_add_is_answerable_at_once_and_undo_removes_it(app: Essaybot) -> None:
    generation = app.store.current_generation()
    report = app.library.add_essays([essay()], actor=CLI_ACTOR)
    assert report.added == [ESSAY_ID] and report.embedded > 0
    assert app.store.current_generation() == (generation or 0) + 1
    assert answered_by(app) == ESSAY_ID
    entry = newest_entry(app)
    assert (entry.action, entry.target, entry.actor, entry.guild_id) == ("essay.add", ESSAY_ID, "cli", None)
    assert entry.before is None and entry.after is not None and entry.after["title"] == TITLE

    undo(app, entry.id)
    assert status(app) == "removed"
    assert app.store.current_generation() == (generation or 0) + 2  # published when the undo committed
    assert answered_by(app) != ESSAY_ID


class _HeldEmbedder:
    """The real embedder, except that embedding passages (a batch) waits until the test lets it go."""

    def __init__(self, real: Any) -> None:
        self.real, self.embedding, self.release = real, threading.Event(), threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def encode(self, texts: Sequence[str], **kwargs: Any) -> Any:
        if len(texts) > 1:
            self.embedding.set()
            assert self.release.wait(60)
        return self.real.encode(texts, **kwargs)


def test_answers_go_on_while_a_new_essay_is_embedded(app: Essaybot) -> None:
    held = _HeldEmbedder(app.embedder)
    app.embedder = held  # type: ignore[assignment]
    app.retriever()
    with ThreadPoolExecutor(1) as pool:
        adding = pool.submit(app.library.add_essays, [essay()], actor=CLI_ACTOR)
        assert held.embedding.wait(60)
        # The essay is being embedded: answers still come, from the corpus as it was.
        assert answered_by(app, "Who said the chickens have come home to roost?") is not None
        assert answered_by(app) != ESSAY_ID
        held.release.set()
        adding.result(timeout=120)
    assert answered_by(app) == ESSAY_ID


def test_remove_then_undo_restores(app: Essaybot) -> None:
    app.library.add_essays([essay()], actor=CLI_ACTOR)
    meta = app.library.remove_essay_by(ESSAY_ID, actor=OWNER)
    assert meta.title == TITLE and status(app) == "removed"
    assert answered_by(app) != ESSAY_ID
    entry = newest_entry(app)
    assert entry.action == "essay.remove" and entry.actor == OWNER
    assert entry.before is not None and entry.after is not None
    assert (entry.before["status"], entry.after["status"]) == ("active", "removed")

    undo(app, entry.id)
    assert status(app) == "active"
    assert answered_by(app) == ESSAY_ID


def test_restore_then_undo_removes_again(app: Essaybot) -> None:
    app.library.add_essays([essay()], actor=CLI_ACTOR)
    app.library.remove_essay_by(ESSAY_ID, actor=OWNER)
    app.library.restore_essay_by(ESSAY_ID, actor=OWNER)
    assert answered_by(app) == ESSAY_ID
    entry = newest_entry(app)
    assert entry.action == "essay.restore"

    undo(app, entry.id)
    assert status(app) == "removed"
    assert answered_by(app) != ESSAY_ID


def test_edit_then_undo_brings_the_old_metadata_back(app: Essaybot) -> None:
    app.library.add_essays([essay()], actor=CLI_ACTOR)
    before, after = app.library.edit_essay(
        ESSAY_ID, actor=OWNER, title="Keepers of the record", authors=["Amara Okafor", "Ben Ito"], url=None
    )
    assert before.title == TITLE and after.title == "Keepers of the record"
    assert after.authors == ("Amara Okafor", "Ben Ito") and after.url is None
    shown = app.who_said(SENTENCE).results[0].essay
    assert shown.title == "Keepers of the record" and shown.authors == ("Amara Okafor", "Ben Ito")
    entry = newest_entry(app)
    assert entry.action == "essay.edit"
    assert entry.before is not None and entry.before["title"] == TITLE

    undo(app, entry.id)
    restored = app.who_said(SENTENCE).results[0].essay
    assert restored.title == TITLE and restored.authors == ("Amara Okafor",)
    assert restored.url == "https://harbournotes.example.org/lighthouse-keepers"


def test_undo_of_a_state_that_changed_since_is_refused(app: Essaybot) -> None:
    app.library.add_essays([essay()], actor=CLI_ACTOR)
    app.library.remove_essay_by(ESSAY_ID, actor=OWNER)
    removal = newest_entry(app)
    app.library.restore_essay_by(ESSAY_ID, actor=OWNER)
    with pytest.raises(CurationError, match="already in the library"):
        undo(app, removal.id)


def test_refused_changes_change_nothing(app: Essaybot) -> None:
    app.library.add_essays([essay()], actor=CLI_ACTOR)
    generation = app.store.current_generation()
    entries = newest_entry(app).id
    copy = Essay(meta=EssayMeta(id="another-id", title="Copy"), body=essay().body)
    with pytest.raises(CorpusError, match="already has this text"):
        app.library.add_essays([copy], actor=OWNER)
    with pytest.raises(CorpusError, match="already in the library"):
        app.library.add_essays(
            [Essay(meta=essay().meta, body=essay().body + "\nOne more sentence here.")], actor=OWNER
        )
    with pytest.raises(CorpusError, match="'date'"):
        app.library.edit_essay(ESSAY_ID, actor=OWNER, date="the spring of 2024")
    with pytest.raises(CurationError, match="Nothing to change"):
        app.library.edit_essay(ESSAY_ID, actor=OWNER, title=TITLE)
    with pytest.raises(CurationError, match="no essay"):
        app.library.remove_essay_by("no-such-essay", actor=OWNER)
    with pytest.raises(CurationError, match="not removed"):
        app.library.restore_essay_by(ESSAY_ID, actor=OWNER)
    assert newest_entry(app).id == entries
    assert app.store.current_generation() == generation
    assert app.who_said(SENTENCE).results[0].essay.title == TITLE
