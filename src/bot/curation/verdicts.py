"""Verdict overrides per guild: the moderators' reading of one claim against one passage.

The verifier decides whether a passage supports a claim, contradicts it, or does not address it. When
a server's moderators disagree, they rule on that claim–passage pair ("Moderate this answer"), and
their ruling replaces the verifier's in that server (``bot.answer.verify.Overrides``). A ruling is
keyed by the question's claim, folded (``claim_key``): the same question asked with other quotes,
case or spacing gets the same ruling, a different claim about the same passage does not.

Every change is audited and undoable through ``bot.curation.audit``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answer.verify import Overrides, VerdictOverride
from bot.answer.who_said import claim_of
from bot.curation.audit import CurationError, undoable
from bot.curation.repository import GuildRepository
from bot.search.query import parse_query
from bot.store.models import VERDICT_RULINGS, AuditRow, PassageRow, VerdictOverrideRow, utcnow
from bot.textnorm import normalize

SET = "verdict.set"
# Parsing a logged question again must not fail on the length limit of the day it was asked.
_ANY_LENGTH = 1_000_000

# How moderators read each ruling, in the panel and the mod-log.
RULING_WORDS: dict[str, str] = {
    "supports": "says this",
    "contradicts": "says otherwise",
    "unrelated": "doesn't address this",
}


def claim_key(raw: str) -> str:
    """The folded claim of a who-said question, as rulings are keyed (raises ``BadQueryError``)."""
    return normalize(claim_of(parse_query(raw, max_chars=_ANY_LENGTH)))


def claim_hash(claim: str) -> str:
    """SHA-256 of a folded claim: the indexed key of its rulings."""
    return hashlib.sha256(claim.encode("utf-8")).hexdigest()


def _state(row: VerdictOverrideRow | None, claim: str, passage_id: str) -> dict[str, Any]:
    return {"claim": claim, "passage_id": passage_id, "verdict": row.verdict if row else None}


class VerdictOverrides(GuildRepository[str]):
    """Rule on claim–passage pairs for one guild; each change is audited."""

    def get(self, claim: str, passage_id: str) -> VerdictOverrideRow | None:
        """The ruling on this folded claim and passage, if any."""
        return self.session.scalars(
            select(VerdictOverrideRow).where(
                VerdictOverrideRow.guild_id == self.guild_id,
                VerdictOverrideRow.claim_key == claim_hash(claim),
                VerdictOverrideRow.passage_id == passage_id,
            )
        ).first()

    def rulings(self, claim: str, passage_ids: Sequence[str]) -> dict[str, str]:
        """This guild's rulings on a folded claim for the given passages: passage id -> verdict."""
        rows = {pid: self.get(claim, pid) for pid in passage_ids}
        return {pid: row.verdict for pid, row in rows.items() if row is not None}

    def _apply(
        self, claim: str, passage_id: str, verdict: str | None, actor: str, now: datetime | None
    ) -> None:
        row = self.get(claim, passage_id)
        if verdict is None:
            if row is not None:
                self.session.delete(row)
                self.session.flush()
            return
        if row is None:
            row = VerdictOverrideRow(
                guild_id=self.guild_id, claim_key=claim_hash(claim), claim=claim, passage_id=passage_id
            )
            self.session.add(row)
        row.verdict, row.updated_by, row.updated_at = verdict, actor, now or utcnow()
        self.session.flush()

    def rule(
        self, claim: str, passage_id: str, verdict: str | None, *, actor: str, now: datetime | None = None
    ) -> bool:
        """Set the ruling on a folded claim and a passage (``verdict`` None removes it).

        False when nothing changed. The claim must be folded already (``claim_key``).
        """
        if verdict is not None and verdict not in VERDICT_RULINGS:
            raise CurationError(f"Unknown verdict {verdict!r}: use one of {', '.join(VERDICT_RULINGS)}.")
        if not claim.strip():
            raise CurationError("There is no claim to rule on.")
        if self.session.get(PassageRow, passage_id) is None:
            raise CurationError(f"There is no passage {passage_id!r}.")
        before = _state(self.get(claim, passage_id), claim, passage_id)
        after = {**before, "verdict": verdict}
        if after == before:
            return False
        self._apply(claim, passage_id, verdict, actor, now)
        self._audit(SET, f"{passage_id} {claim}", actor=actor, before=before, after=after, now=now)
        return True


@undoable(SET)
def _revert(session: Session, row: AuditRow, actor: str) -> None:
    before = row.before or {}
    if row.guild_id is None or not before.get("claim") or not before.get("passage_id"):
        raise CurationError(f"Audit entry #{row.id} has nothing to restore.")
    VerdictOverrides(session, row.guild_id)._apply(
        str(before["claim"]), str(before["passage_id"]), before.get("verdict"), actor, None
    )


def load_verdicts(session: Session, guild_id: str) -> dict[str, dict[str, str]]:
    """A guild's rulings: claim hash -> passage id -> verdict."""
    out: dict[str, dict[str, str]] = {}
    rows = session.execute(
        select(VerdictOverrideRow.claim_key, VerdictOverrideRow.passage_id, VerdictOverrideRow.verdict).where(
            VerdictOverrideRow.guild_id == guild_id
        )
    )
    for key, passage_id, verdict in rows:
        out.setdefault(key, {})[passage_id] = verdict
    return out


def overrides_for(verdicts: Mapping[str, Mapping[str, str]], claim: str) -> Overrides | None:
    """The verifier's ``overrides`` for one folded claim; None when moderators ruled on none of it."""
    rulings = verdicts.get(claim_hash(claim))
    if not rulings:
        return None
    lookup: Callable[[str], VerdictOverride | None] = lambda pid: cast(  # noqa: E731
        "VerdictOverride | None", rulings.get(pid)
    )
    return lookup
