"""Passage moderation per guild: hide junk passages, and override who speaks in a passage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.curation.audit import CurationError, record, undoable
from bot.store.models import SPEAKER_ROLES, AuditRow, PassageOverrideRow, PassageRow, utcnow


def _state(row: PassageOverrideRow | None) -> dict[str, Any]:
    if row is None:
        return {"hidden": False, "speaker": None, "role": None}
    return {"hidden": row.hidden, "speaker": row.speaker, "role": row.role}


class PassageOverrides:
    """Hide, unhide and attribute passages for one guild; each change is audited."""

    def __init__(self, session: Session, guild_id: str) -> None:
        self.session, self.guild_id = session, guild_id

    def get(self, passage_id: str) -> PassageOverrideRow | None:
        """This guild's override of a passage, if any."""
        return self.session.scalars(
            select(PassageOverrideRow).where(
                PassageOverrideRow.guild_id == self.guild_id, PassageOverrideRow.passage_id == passage_id
            )
        ).first()

    def _passage(self, passage_id: str) -> PassageRow:
        passage = self.session.get(PassageRow, passage_id)
        if passage is None:
            raise CurationError(f"There is no passage {passage_id!r}. Pick one from the autocomplete list.")
        return passage

    def _apply(
        self, passage_id: str, state: dict[str, Any], actor: str, now: datetime | None
    ) -> PassageOverrideRow:
        row = self.get(passage_id)
        if row is None:
            row = PassageOverrideRow(guild_id=self.guild_id, passage_id=passage_id)
            self.session.add(row)
        row.hidden, row.speaker, row.role = bool(state["hidden"]), state["speaker"], state["role"]
        row.updated_by, row.updated_at = actor, now or utcnow()
        self.session.flush()
        return row

    def _change(self, action: str, passage_id: str, actor: str, now: datetime | None, **changes: Any) -> bool:
        self._passage(passage_id)
        before = _state(self.get(passage_id))
        after = {**before, **changes}
        if after == before:
            return False
        self._apply(passage_id, after, actor, now)
        record(
            self.session,
            guild_id=self.guild_id,
            actor=actor,
            action=action,
            target=passage_id,
            before=before,
            after=after,
            now=now,
        )
        return True

    def hide(self, passage_id: str, *, actor: str, now: datetime | None = None) -> bool:
        """Never show this passage in this guild's answers; False when it already was hidden."""
        return self._change("passage.hide", passage_id, actor, now, hidden=True)

    def unhide(self, passage_id: str, *, actor: str, now: datetime | None = None) -> bool:
        """Show the passage again; False when it was not hidden."""
        return self._change("passage.unhide", passage_id, actor, now, hidden=False)

    def attribute(
        self,
        passage_id: str,
        speaker: str | None,
        role: str | None,
        *,
        actor: str,
        now: datetime | None = None,
    ) -> bool:
        """Say who speaks in a passage: ``role`` "own" gives it back to the essay's authors.

        ``role`` None clears the override, so the detector's attribution applies again.
        """
        if role is not None and role not in SPEAKER_ROLES:
            raise CurationError(f"Unknown role {role!r}: use one of {', '.join(SPEAKER_ROLES)}.")
        if role not in (None, "own") and not (speaker or "").strip() and role != "reported view":
            raise CurationError("Name the speaker for a quotation or an introduction.")
        speaker = speaker.strip()[:200] if speaker and speaker.strip() else None
        return self._change("passage.attribute", passage_id, actor, now, speaker=speaker, role=role)

    def hidden_ids(self) -> set[str]:
        """The passages this guild hides."""
        return set(
            self.session.scalars(
                select(PassageOverrideRow.passage_id).where(
                    PassageOverrideRow.guild_id == self.guild_id, PassageOverrideRow.hidden.is_(True)
                )
            )
        )


def _revert(session: Session, row: AuditRow, actor: str) -> None:
    if row.guild_id is None or row.before is None:
        raise CurationError(f"Audit entry #{row.id} has nothing to restore.")
    PassageOverrides(session, row.guild_id)._apply(row.target, row.before, actor, None)


for _action in ("passage.hide", "passage.unhide", "passage.attribute"):
    undoable(_action)(_revert)
