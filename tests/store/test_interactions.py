"""InteractionLog: the Discord message of an answer, lookups, purge and forget with their feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text

from bot.store.db import session_scope
from bot.store.feedback import FeedbackRepository
from bot.store.interactions import Interaction
from bot.store.models import FeedbackRow, InteractionRow
from bot.store.repo import InteractionLog  # the historical import path must keep working

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def record(engine: Engine, user_ref: str | None, *, age: timedelta = timedelta(0)) -> int:
    with session_scope(engine) as session:
        return InteractionLog(session).record(
            source="discord",
            command="who_said",
            options={"query": "a wall is a promise"},
            verdict="found",
            passage_ids=["p1", "p2"],
            latency_ms=120,
            guild_id="10",
            channel_id="20",
            user_ref=user_ref,
            now=NOW - age,
        )


def vote(engine: Engine, interaction_id: int, user_ref: str, value: int = -1) -> None:
    with session_scope(engine) as session:
        FeedbackRepository(session).vote(interaction_id, user_ref, 1 if value > 0 else -1, now=NOW)


def count(engine: Engine, table: type[InteractionRow] | type[FeedbackRow]) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_set_message_and_get(engine: Engine) -> None:
    row_id = record(engine, "u1")
    with session_scope(engine) as session:
        log = InteractionLog(session)
        assert log.get(row_id) is not None
        assert log.get(row_id).message_id is None  # type: ignore[union-attr]
        assert log.set_message(row_id, 1234567890123456789) is True
        # Same session: the bulk UPDATE must not leave a stale copy behind.
        assert log.get(row_id).message_id == "1234567890123456789"  # type: ignore[union-attr]
        assert log.set_message(row_id + 1000, "1") is False
        assert log.get(row_id + 1000) is None
    with session_scope(engine) as session:
        got = InteractionLog(session).get(row_id)
    assert got == Interaction(
        id=row_id,
        created_at=NOW,
        source="discord",
        guild_id="10",
        channel_id="20",
        user_ref="u1",
        command="who_said",
        options={"query": "a wall is a promise"},
        verdict="found",
        passage_ids=("p1", "p2"),
        latency_ms=120,
        error=None,
        message_id="1234567890123456789",
    )


def test_set_message_refuses_garbage(engine: Engine) -> None:
    row_id = record(engine, "u1")
    with pytest.raises(ValueError, match="message id"), session_scope(engine) as session:
        InteractionLog(session).set_message(row_id, "9" * 40)


def test_record_with_message_id(engine: Engine) -> None:
    with session_scope(engine) as session:
        log = InteractionLog(session)
        row_id = log.record(
            source="discord",
            command="positions",
            options={},
            verdict=None,
            passage_ids=[],
            latency_ms=5,
            message_id="77",
        )
        assert log.get(row_id).message_id == "77"  # type: ignore[union-attr]


def test_purge_removes_feedback_of_purged_interactions(engine: Engine) -> None:
    old = record(engine, "u1", age=timedelta(days=91))
    new = record(engine, "u1", age=timedelta(days=1))
    vote(engine, old, "u2")
    vote(engine, old, "u3", +1)
    vote(engine, new, "u2")
    with session_scope(engine) as session:
        assert InteractionLog(session).purge_older_than(NOW - timedelta(days=90)) == 1
    with session_scope(engine) as session:
        left = session.execute(select(FeedbackRow.interaction_id, FeedbackRow.user_ref)).all()
        assert [tuple(r) for r in left] == [(new, "u2")]
        assert session.scalars(select(InteractionRow.id)).all() == [new]


def test_forget_user(engine: Engine) -> None:
    mine_hashed = record(engine, "hash-of-42")
    mine_raw = record(engine, "42")  # logged while hash_user_ids was off
    theirs = record(engine, "other")
    anonymous = record(engine, None)  # e.g. the CLI
    vote(engine, mine_hashed, "other")  # someone else's vote on my answer: about my question, goes
    vote(engine, theirs, "hash-of-42")  # my vote on someone else's answer: mine, goes
    vote(engine, theirs, "third")  # stays
    vote(engine, anonymous, "42", +1)  # mine, goes

    with session_scope(engine) as session:
        deleted = InteractionLog(session).forget_user(["hash-of-42", "42", "42"])
    assert deleted == 2 + 3  # two interactions, three feedback rows

    with session_scope(engine) as session:
        assert sorted(session.scalars(select(InteractionRow.id)).all()) == [theirs, anonymous]
        left = session.execute(select(FeedbackRow.interaction_id, FeedbackRow.user_ref)).all()
        assert [tuple(r) for r in left] == [(theirs, "third")]
        log = InteractionLog(session)
        assert log.get(mine_hashed) is None and log.get(mine_raw) is None
        assert log.forget_user(["hash-of-42", "42"]) == 0
        assert log.forget_user([]) == 0


def test_database_cascade_without_the_repository(engine: Engine) -> None:
    """Deleting an interaction any other way still takes its feedback (FK cascade is enforced)."""
    row_id = record(engine, "u1")
    vote(engine, row_id, "u2")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM interactions WHERE id = :id"), {"id": row_id})
    assert count(engine, FeedbackRow) == 0


def test_calibration_and_contradicted_verdict_are_logged(engine: Engine) -> None:
    with session_scope(engine) as session:
        log = InteractionLog(session)
        row_id = log.record(
            source="cli",
            command="who-said",
            options={},
            verdict="contradicted",
            passage_ids=["p"],
            latency_ms=1,
            calibration="0123456789ab",
        )
    with session_scope(engine) as session:
        got = InteractionLog(session).get(row_id)
        assert got is not None and (got.verdict, got.calibration) == ("contradicted", "0123456789ab")
