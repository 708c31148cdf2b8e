"""The shared corpus, curated by the bot's owners: add, remove, restore and edit essays, audited, undoable.

Essays belong to every server, so their audit entries have ``guild_id`` None. ``EssayCuration`` only
changes the database; the caller publishes the matching index generation (``Essaybot.add_essays`` and
its siblings do). An undo from the audit log runs inside someone else's transaction (``audit.undo``),
so the undo handlers here ask for a new generation once that transaction commits, through the
publisher the application registered for its database engine: running processes notice a corpus
change only through a new index generation.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from bot.core.ingest import PreparedEssay, prepare
from bot.corpus.models import Essay, EssayMeta
from bot.corpus.upload import EDITABLE, check_new, with_metadata
from bot.curation.audit import CurationError, undoable
from bot.curation.repository import GuildRepository
from bot.store.models import AuditRow
from bot.store.repo import CorpusRepository, EssayStatus

log = logging.getLogger(__name__)

ACTIONS = ("essay.add", "essay.remove", "essay.restore", "essay.edit")
_PENDING = "essaybot.publish_corpus"  # Session.info key: a publish is due when this session commits
_PUBLISHERS: weakref.WeakKeyDictionary[Engine, weakref.WeakMethod[Callable[[], object]]] = (
    weakref.WeakKeyDictionary()
)


def essay_state(meta: EssayMeta, status: EssayStatus) -> dict[str, Any]:
    """What the audit log keeps of an essay: its status and editable metadata (never the body)."""
    return {
        "status": status,
        "title": meta.title,
        "authors": list(meta.authors),
        "date": meta.date,
        "url": meta.url,
        "publication": meta.publication,
    }


class EssayCuration(GuildRepository[None]):
    """Changes to the shared corpus, each written to the audit log in the same transaction."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, None)
        self.repo = CorpusRepository(session)

    def _find(self, essay_id: str) -> tuple[Essay, EssayStatus]:
        found = self.repo.essay_and_status(essay_id)
        if found is None:
            raise CurationError(f"There is no essay {essay_id!r}. Pick one from the autocomplete list.")
        return found

    def add(self, prepared: PreparedEssay, *, actor: str, now: datetime | None = None) -> AuditRow:
        """Store a new essay; refused when its text is already stored or its id is taken."""
        essay = prepared.essay
        check_new(essay, self.repo)
        self.repo.save_essay(essay, prepared.passages, prepared.spans)
        after = essay_state(essay.meta, "active")
        return self._audit("essay.add", essay.id, actor=actor, before=None, after=after, now=now)

    def remove(self, essay_id: str, *, actor: str, now: datetime | None = None) -> EssayMeta:
        """Tombstone an essay: kept, never answered, brought back by ``restore``."""
        return self._move(essay_id, "removed", f"Essay {essay_id!r} is already removed.", actor, now)

    def restore(self, essay_id: str, *, actor: str, now: datetime | None = None) -> EssayMeta:
        """Bring a removed essay back into answers."""
        refusal = f"Essay {essay_id!r} is not removed: it is in the library."
        return self._move(essay_id, "active", refusal, actor, now)

    def _move(
        self, essay_id: str, status: EssayStatus, refusal: str, actor: str, now: datetime | None
    ) -> EssayMeta:
        essay, before = self._find(essay_id)
        if before == status:
            raise CurationError(refusal)
        if status == "removed":
            self.repo.remove_essay(essay_id)
        else:
            self.repo.restore_essay(essay_id)
        action = "essay.remove" if status == "removed" else "essay.restore"
        old, new = essay_state(essay.meta, before), essay_state(essay.meta, status)
        self._audit(action, essay_id, actor=actor, before=old, after=new, now=now)
        return essay.meta

    def edit(
        self, essay_id: str, changes: Mapping[str, Any], *, actor: str, now: datetime | None = None
    ) -> tuple[EssayMeta, EssayMeta]:
        """Change an active essay's metadata (``EDITABLE``; None clears one); the metas before and after."""
        essay, status = self._find(essay_id)
        if status == "removed":
            raise CurationError(f"Essay {essay_id!r} is removed: restore it before editing it.")
        edited = with_metadata(essay, changes)
        if edited.meta == essay.meta:
            raise CurationError("Nothing to change: the essay already has that metadata.")
        _rewrite(self.repo, edited)
        before, after = essay_state(essay.meta, status), essay_state(edited.meta, status)
        self._audit("essay.edit", essay_id, actor=actor, before=before, after=after, now=now)
        return essay.meta, edited.meta


def _rewrite(repo: CorpusRepository, essay: Essay) -> None:
    # The cleaner and the speaker detector read the title, authors and publication (bylines, editors'
    # introductions), so new metadata means preparing the text again, exactly as an ingest would.
    # Unchanged sentences keep their passage ids, so curation keyed on them survives.
    prepared = prepare(essay)
    repo.save_essay(essay, prepared.passages, prepared.spans)


# -- index publishing after an undo ----------------------------------------------------------------


def register_publisher(engine: Engine, publish: Callable[[], object]) -> None:
    """Say how to publish a fresh index generation for ``engine``'s corpus (a bound method, held weakly)."""
    _PUBLISHERS[engine] = weakref.WeakMethod(publish)


def _publish_on_commit(session: Session) -> None:
    """Publish a new index generation once ``session`` commits the corpus change it holds."""
    if session.info.get(_PENDING):
        return
    session.info[_PENDING] = True
    engine = session.get_bind().engine

    def committed(committed_session: Session) -> None:
        committed_session.info.pop(_PENDING, None)
        ref = _PUBLISHERS.get(engine)
        publish = ref() if ref is not None else None
        if publish is None:
            log.warning("corpus changed by an undo, but no index publisher is registered for this database")
            return
        try:
            publish()
        except Exception:  # the undo itself is committed: report, do not fail it
            log.exception("could not publish an index generation after undoing an essay action")

    event.listen(session, "after_commit", committed, once=True)


def _set_status(session: Session, essay_id: str, *, removed: bool) -> None:
    repo = CorpusRepository(session)
    found = repo.essay_and_status(essay_id)
    if found is None:
        raise CurationError(f"Essay {essay_id!r} no longer exists.")
    if found[1] == ("removed" if removed else "active"):
        state = "removed" if removed else "in the library"
        raise CurationError(f"Essay {essay_id!r} is already {state}: nothing to undo.")
    if removed:
        repo.remove_essay(essay_id)
    else:
        repo.restore_essay(essay_id)
    _publish_on_commit(session)


@undoable("essay.add")
def _undo_add(session: Session, row: AuditRow, actor: str) -> None:
    _set_status(session, row.target, removed=True)


@undoable("essay.remove")
def _undo_remove(session: Session, row: AuditRow, actor: str) -> None:
    _set_status(session, row.target, removed=False)


@undoable("essay.restore")
def _undo_restore(session: Session, row: AuditRow, actor: str) -> None:
    _set_status(session, row.target, removed=True)


@undoable("essay.edit")
def _undo_edit(session: Session, row: AuditRow, actor: str) -> None:
    if row.before is None:
        raise CurationError(f"Audit entry #{row.id} has nothing to restore.")
    repo = CorpusRepository(session)
    found = repo.essay_and_status(row.target)
    if found is None:
        raise CurationError(f"Essay {row.target!r} no longer exists.")
    essay, status = found
    if status == "removed":
        raise CurationError(f"Essay {row.target!r} is removed: restore it before undoing this edit.")
    _rewrite(repo, with_metadata(essay, {k: row.before.get(k) for k in EDITABLE}))
    _publish_on_commit(session)
