"""The interaction log: every command answered (or failed), its Discord message, and forgetting users.

Like the corpus repository it never commits; the caller owns the transaction
(``bot.store.db.session_scope``). ``bot.store.repo`` re-exports ``InteractionLog``.

Feedback rows hang off interactions with ``ON DELETE CASCADE``, and essaybot's SQLite connections
enforce foreign keys, but every delete here also removes the feedback explicitly: it costs one
indexed statement, keeps the counts honest and does not depend on how the engine was built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Delete, delete, or_, select, update
from sqlalchemy.orm import Session

from bot.store.models import FeedbackRow, InteractionRow, from_row, utcnow

if TYPE_CHECKING:
    from bot.answer.types import WhoSaidAnswer

# Discord snowflakes are at most 20 digits; the column holds 32.
MAX_MESSAGE_ID_CHARS = 32


@dataclass(frozen=True)
class Interaction:
    """A logged interaction, detached from the session."""

    id: int
    created_at: datetime
    source: str
    guild_id: str | None
    channel_id: str | None
    user_ref: str | None
    command: str
    options: Mapping[str, Any]
    verdict: str | None
    passage_ids: tuple[str, ...]
    latency_ms: int | None
    error: str | None
    message_id: str | None
    calibration: str | None = None


# How a who-said answer is logged: "contradicted" is a not_found answer with an essay saying otherwise.
ANSWER_VERDICTS = ("found", "not_found", "contradicted")


def logged_verdict(answer: WhoSaidAnswer) -> str:
    """The log's verdict for an answer: ``found``, ``not_found``, or ``contradicted``."""
    return "contradicted" if answer.verdict == "not_found" and answer.contradicted_by else answer.verdict


class InteractionLog:
    """Record of commands answered, purged after the retention period and on request of a user."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        *,
        source: str,
        command: str,
        options: Mapping[str, Any],
        verdict: str | None,
        passage_ids: Sequence[str],
        latency_ms: int | None,
        error: str | None = None,
        guild_id: str | None = None,
        channel_id: str | None = None,
        user_ref: str | None = None,
        message_id: str | None = None,
        calibration: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Store one interaction and return its id. ``options`` must be JSON-serialisable.

        ``calibration`` is the ``Calibration.id`` that produced a question's verdict.
        """
        row = InteractionRow(
            created_at=now or utcnow(),
            source=source,
            guild_id=guild_id,
            channel_id=channel_id,
            user_ref=user_ref,
            command=command,
            options=dict(options),
            verdict=verdict,
            passage_ids=list(passage_ids),
            latency_ms=latency_ms,
            error=error,
            message_id=message_id,
            calibration=calibration,
        )
        self.session.add(row)
        self.session.flush()  # assigns the id
        return row.id

    def set_message(self, interaction_id: int, message_id: int | str) -> bool:
        """Attach the Discord message that showed the answer; False if the interaction is gone.

        The message exists only after the answer was sent, so this comes after ``record``.
        """
        text = str(message_id)
        if not text or len(text) > MAX_MESSAGE_ID_CHARS:
            raise ValueError(f"not a Discord message id: {text!r}")
        result = self.session.execute(
            update(InteractionRow).where(InteractionRow.id == interaction_id).values(message_id=text),
            execution_options={"synchronize_session": False},
        )
        return _rowcount(result) > 0

    def get(self, interaction_id: int) -> Interaction | None:
        """The interaction with this id, or None if it was never logged, purged or forgotten."""
        row = self.session.get(InteractionRow, interaction_id, populate_existing=True)
        return None if row is None else _to_interaction(row)

    def purge_older_than(self, cutoff: datetime) -> int:
        """Delete interactions created before ``cutoff`` (aware datetime) with their feedback.

        Returns how many interactions were deleted (their feedback is not counted).
        """
        if cutoff.tzinfo is None:
            raise ValueError("cutoff must be timezone-aware (UTC)")
        old = InteractionRow.created_at < cutoff.astimezone(UTC)
        old_ids = select(InteractionRow.id).where(old).scalar_subquery()
        self._delete(delete(FeedbackRow).where(FeedbackRow.interaction_id.in_(old_ids)))
        return self._delete(delete(InteractionRow).where(old))

    def forget_user(self, user_refs: Sequence[str]) -> int:
        """Delete everything logged about one user; return the number of rows deleted.

        ``user_refs`` are every form the user may be stored under (``bot.core.privacy.UserRefs.candidates``).
        Deleted: the user's interactions, the feedback on them (whoever gave it, since it describes
        the user's question) and the user's own feedback on other members' answers.
        """
        refs = sorted(set(user_refs))
        if not refs:
            return 0
        theirs = select(InteractionRow.id).where(InteractionRow.user_ref.in_(refs)).scalar_subquery()
        feedback = self._delete(
            delete(FeedbackRow).where(
                or_(FeedbackRow.user_ref.in_(refs), FeedbackRow.interaction_id.in_(theirs))
            )
        )
        interactions = self._delete(delete(InteractionRow).where(InteractionRow.user_ref.in_(refs)))
        return feedback + interactions

    def _delete(self, statement: Delete) -> int:
        # Bulk deletes skip the ORM's per-object bookkeeping; nothing deleted here is kept in memory.
        result = self.session.execute(statement, execution_options={"synchronize_session": False})
        return _rowcount(result)


def _rowcount(result: object) -> int:
    return cast(CursorResult[Any], result).rowcount  # DML results are always cursor results


def _to_interaction(row: InteractionRow) -> Interaction:
    return from_row(Interaction, row, options=dict(row.options), passage_ids=tuple(row.passage_ids))


def failure_summary(exc: BaseException) -> str:
    """Why an interaction could not be recorded, in words safe for one warning line.

    Never the exception's own text or traceback: SQLAlchemy puts the statement's parameters there,
    and those hold the user's question.
    """
    from bot.errors import friendly_failure

    friendly = friendly_failure(exc)
    if friendly is not None:
        return str(friendly)
    return f"{type(exc).__module__}.{type(exc).__name__}"
