"""The shared corpus, curated by the bot's owners: add, remove, restore and edit essays, audited, undoable.

Essays belong to every server, so their audit entries have ``guild_id`` None. ``EssayCuration`` and
the undo handlers here only change the database; ``bot.core.library.Library`` makes every such change
(``undo`` included) and publishes the matching index generation: running processes notice a corpus
change only through a new generation. An essay action's undo therefore refuses a session the
library did not mark (``CORPUS_WRITE``), rather than change the corpus behind the index's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.corpus.models import Essay, EssayMeta
from bot.corpus.prepare import PreparedEssay, prepare
from bot.corpus.upload import EDITABLE, check_new, with_metadata
from bot.curation.audit import CurationError, undoable
from bot.curation.repository import GuildRepository
from bot.store.models import AuditRow
from bot.store.repo import CorpusRepository, EssayStatus

ACTIONS = ("essay.add", "essay.remove", "essay.restore", "essay.edit")
CORPUS_WRITE = "essaybot.corpus_write"  # Session.info key: the library publishes what this session commits


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


# -- undo ----------------------------------------------------------------------------------------


def _corpus_session(session: Session) -> CorpusRepository:
    """The repository of a session the library will publish an index for; refuses any other session."""
    if not session.info.get(CORPUS_WRITE):
        raise RuntimeError("an essay action is undone through Library.undo, which publishes its index")
    return CorpusRepository(session)


def _set_status(session: Session, essay_id: str, *, removed: bool) -> None:
    repo = _corpus_session(session)
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
    repo = _corpus_session(session)
    found = repo.essay_and_status(row.target)
    if found is None:
        raise CurationError(f"Essay {row.target!r} no longer exists.")
    essay, status = found
    if status == "removed":
        raise CurationError(f"Essay {row.target!r} is removed: restore it before undoing this edit.")
    _rewrite(repo, with_metadata(essay, {k: row.before.get(k) for k in EDITABLE}))
