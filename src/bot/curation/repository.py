"""The base of the curation repositories: one guild's curation, and an audit entry with every change."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from bot.curation.audit import record
from bot.store.models import AuditRow

G = TypeVar("G", bound=str | None)


class GuildRepository(Generic[G]):
    """Reads and changes one guild's curation in ``session`` (``guild_id`` None: the shared corpus)."""

    def __init__(self, session: Session, guild_id: G) -> None:
        self.session, self.guild_id = session, guild_id

    def _audit(
        self,
        action: str,
        target: str,
        *,
        actor: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        now: datetime | None,
    ) -> AuditRow:
        """Append the audit entry of a change, in the change's own transaction (so undo can revert it)."""
        return record(
            self.session,
            guild_id=self.guild_id,
            actor=actor,
            action=action,
            target=target,
            before=before,
            after=after,
            now=now,
        )
