"""The audit log as moderators read it and undo from it in Discord: detached entries, and who may
undo what (the log itself, and undo, are ``curation.audit``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.curation import audit
from bot.curation.audit import CurationError
from bot.store.models import AuditRow


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry, copied out of its session (rows are read on a worker thread)."""

    id: int
    guild_id: str | None
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime
    undone_at: datetime | None
    undone_by: str | None

    @classmethod
    def of(cls, row: AuditRow) -> AuditEntry:
        """Copy an audit row."""
        return cls(
            row.id,
            row.guild_id,
            row.actor,
            row.action,
            row.target,
            row.before,
            row.after,
            row.created_at,
            row.undone_at,
            row.undone_by,
        )


def recent_entries(session: Session, guild_id: str, *, limit: int) -> list[AuditEntry]:
    """The guild's newest entries, newest first."""
    return [AuditEntry.of(r) for r in audit.recent(session, guild_id, limit=limit)]


def undo_rule(
    entry_id: int, *, guild_id: str, corpus_owner: bool, manage_guild: bool
) -> Callable[[AuditRow | None], None]:
    """Who may undo what, for a moderator of ``guild_id``: pass it to ``Library.undo`` as ``allowed``.

    An entry that changed the shared corpus needs ``corpus_owner`` (the bot's owners, or anyone
    who may change a server's own corpus); a settings change needs the Manage Server permission.
    """

    def allowed(row: AuditRow | None) -> None:
        if row is not None and row.guild_id is None and not corpus_owner:
            raise CurationError(
                f"Entry #{entry_id} changed the shared corpus: only the bot's owners can undo it."
            )
        if row is not None and row.action == "settings.set" and row.guild_id == guild_id and not manage_guild:
            raise CurationError("Undoing a settings change needs the Manage Server permission.")

    return allowed
