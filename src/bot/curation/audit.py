"""The audit log: who did what and when, with before/after values, and undo for every action kind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import EssaybotError
from bot.store.models import AuditRow, utcnow

CLI_ACTOR = "cli"

UndoHandler = Callable[[Session, AuditRow, str], None]
_UNDO: dict[str, UndoHandler] = {}


class CurationError(EssaybotError):
    """A curation action cannot be done: unknown quote or passage, nothing to undo, bad value."""


def undoable(action: str) -> Callable[[UndoHandler], UndoHandler]:
    """Register how to revert an action kind; every action kind must have one."""

    def register(fn: UndoHandler) -> UndoHandler:
        _UNDO[action] = fn
        return fn

    return register


def undoable_actions() -> frozenset[str]:
    """The action kinds that can be undone (all of them, once their modules are imported)."""
    return frozenset(_UNDO)


def record(
    session: Session,
    *,
    guild_id: str | None,
    actor: str,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime | None = None,
) -> AuditRow:
    """Append one entry; call it in the same transaction as the change it describes."""
    row = AuditRow(
        guild_id=guild_id,
        actor=actor,
        action=action,
        target=target[:120],
        before=before,
        after=after,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def recent(session: Session, guild_id: str | None, *, limit: int = 20) -> list[AuditRow]:
    """The newest entries of a guild (shared-corpus entries included), newest first."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if guild_id is not None:
        query = query.where((AuditRow.guild_id == guild_id) | (AuditRow.guild_id.is_(None)))
    return list(session.scalars(query))


def undo(
    session: Session, entry_id: int, *, actor: str, guild_id: str | None, now: datetime | None = None
) -> AuditRow:
    """Revert one entry and record the undo itself; the entry must belong to ``guild_id``.

    Corpus-wide entries (``guild_id`` None, e.g. an essay removal) can be undone from any guild by
    whoever may make that change; the caller checks that permission.
    """
    row = session.get(AuditRow, entry_id)
    if row is None or (row.guild_id is not None and row.guild_id != guild_id):
        raise CurationError(f"There is no audit entry #{entry_id} in this server.")
    if row.undone_at is not None:
        raise CurationError(f"Audit entry #{entry_id} was already undone.")
    handler = _UNDO.get(row.action)
    if handler is None:
        raise CurationError(f"Audit entry #{entry_id} ({row.action}) cannot be undone.")
    handler(session, row, actor)
    row.undone_at, row.undone_by = now or utcnow(), actor
    record(
        session,
        guild_id=row.guild_id,
        actor=actor,
        action="audit.undo",
        target=f"#{row.id} {row.action}",
        before=row.after,
        after=row.before,
        now=now,
    )
    return row
