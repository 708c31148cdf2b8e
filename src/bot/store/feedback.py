"""Members' 👍/👎 on answers: one vote per member and answer, a later vote replaces the earlier one.

Never commits; the caller owns the transaction (``bot.store.db.session_scope``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import EssaybotError
from bot.store.models import FEEDBACK_REASONS, FeedbackRow, InteractionRow, utcnow

Vote = Literal[1, -1]
Reason = Literal[
    "wrong_author", "out_of_context", "misquote", "not_relevant", "essay_says_it", "doesnt_say_it"
]
MAX_DETAIL_CHARS = 300  # "which essay": a title or a few words, not an essay
REASONS: tuple[Reason, ...] = cast(tuple[Reason, ...], FEEDBACK_REASONS)


class FeedbackError(EssaybotError):
    """Feedback on an answer that is no longer in the log (purged after retention, or forgotten)."""


class FeedbackRepository:
    """Votes on logged interactions (``feedback`` table)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def vote(
        self,
        interaction_id: int,
        user_ref: str,
        vote: Vote,
        reason: str | None = None,
        passage_id: str | None = None,
        now: datetime | None = None,
        detail: str | None = None,
    ) -> bool:
        """Record a member's vote on an answer; True if it is their first, False if it replaced one.

        The whole earlier vote is replaced (a 👎 that becomes 👍 loses its reason). ``reason`` is
        one of ``REASONS`` and only goes with a 👎; ``passage_id`` is the result the member was
        looking at; ``detail`` the member's words with the reason (which essay does say it).
        Raises ``FeedbackError`` when the interaction is not (or no longer) logged.
        """
        _check(vote, reason, user_ref)
        now = now or utcnow()
        detail = (detail.strip()[:MAX_DETAIL_CHARS] or None) if detail and vote < 0 else None
        # The whole vote, as a first vote stores it and a new one replaces it.
        given = {
            "vote": vote,
            "reason": reason,
            "passage_id": passage_id,
            "detail": detail,
            "updated_at": now,
        }
        existing = self._find(interaction_id, user_ref)
        if existing is None:
            if self.session.get(InteractionRow, interaction_id) is None:
                raise FeedbackError("this answer is no longer in the log, so feedback cannot be stored")
            row = FeedbackRow(interaction_id=interaction_id, user_ref=user_ref, created_at=now, **given)
            try:
                # A savepoint, so that losing a race (the same member clicking twice at once, from two
                # processes) undoes only this insert and the caller's transaction carries on.
                with self.session.begin_nested():
                    self.session.add(row)
                return True
            except IntegrityError:
                existing = self._find(interaction_id, user_ref)
                if existing is None:  # not the unique constraint after all
                    raise
        for name, value in given.items():
            setattr(existing, name, value)
        self.session.flush()
        return False

    def counts(self, interaction_id: int) -> tuple[int, int]:
        """``(up, down)``: how many members gave the answer a 👍 and a 👎."""
        query = select(
            func.coalesce(func.sum(case((FeedbackRow.vote > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(case((FeedbackRow.vote < 0, 1), else_=0)), 0),
        ).where(FeedbackRow.interaction_id == interaction_id)
        up, down = self.session.execute(query).one()
        return int(up), int(down)

    def _find(self, interaction_id: int, user_ref: str) -> FeedbackRow | None:
        query = select(FeedbackRow).where(
            FeedbackRow.interaction_id == interaction_id, FeedbackRow.user_ref == user_ref
        )
        return self.session.scalars(query).one_or_none()


def _check(vote: int, reason: str | None, user_ref: str) -> None:
    # The CHECK constraints would refuse these too, but with an IntegrityError that names no culprit.
    if vote not in (1, -1) or isinstance(vote, bool):
        raise ValueError(f"vote must be 1 or -1, not {vote!r}")
    if reason is not None and reason not in REASONS:
        raise ValueError(f"unknown feedback reason {reason!r}; expected one of {', '.join(REASONS)}")
    if reason is not None and vote == 1:
        raise ValueError("a reason goes with a 👎 only")
    if not user_ref:
        raise ValueError("feedback needs the member's user_ref")
