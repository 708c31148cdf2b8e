"""FeedbackRepository: one vote per member and answer, replaced by a later one; constraints; migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.paths import migrations_dir
from bot.store.db import current_revision, session_scope, upgrade
from bot.store.feedback import REASONS, FeedbackError, FeedbackRepository
from bot.store.models import FeedbackRow
from bot.store.repo import InteractionLog

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def record(engine: Engine) -> int:
    with session_scope(engine) as session:
        return InteractionLog(session).record(
            source="discord",
            command="who_said",
            options={"query": "q"},
            verdict="found",
            passage_ids=["p1", "p2"],
            latency_ms=10,
            user_ref="asker",
            now=NOW,
        )


def test_vote_once_per_member_later_vote_replaces(engine: Engine) -> None:
    answer = record(engine)
    with session_scope(engine) as session:
        repo = FeedbackRepository(session)
        assert repo.vote(answer, "m1", -1, None, "p1", NOW) is True
        # The reason select comes after the 👎 button: same member, same answer, replaced.
        assert repo.vote(answer, "m1", -1, "misquote", "p2", NOW + timedelta(seconds=5)) is False
        assert repo.vote(answer, "m2", 1, now=NOW) is True
        assert repo.counts(answer) == (1, 1)

    with session_scope(engine) as session:
        rows = session.scalars(select(FeedbackRow).order_by(FeedbackRow.user_ref)).all()
        assert [(r.user_ref, r.vote, r.reason, r.passage_id) for r in rows] == [
            ("m1", -1, "misquote", "p2"),
            ("m2", 1, None, None),
        ]
        assert rows[0].created_at == NOW
        assert rows[0].updated_at == NOW + timedelta(seconds=5)

    with session_scope(engine) as session:
        repo = FeedbackRepository(session)
        # Changing one's mind: the 👎 becomes a 👍 and loses its reason.
        assert repo.vote(answer, "m1", 1, now=NOW + timedelta(minutes=1)) is False
        assert repo.counts(answer) == (2, 0)
        row = session.scalars(select(FeedbackRow).where(FeedbackRow.user_ref == "m1")).one()
        assert (row.vote, row.reason) == (1, None)


def test_counts_of_an_answer_without_feedback(engine: Engine) -> None:
    answer = record(engine)
    with session_scope(engine) as session:
        assert FeedbackRepository(session).counts(answer) == (0, 0)
        assert FeedbackRepository(session).counts(answer + 99) == (0, 0)


def test_every_reason_is_accepted(engine: Engine) -> None:
    answer = record(engine)
    with session_scope(engine) as session:
        repo = FeedbackRepository(session)
        for i, reason in enumerate(REASONS):
            assert repo.vote(answer, f"m{i}", -1, reason, now=NOW) is True
        assert repo.counts(answer) == (0, len(REASONS))


@pytest.mark.parametrize(
    ("value", "reason", "message"),
    [
        (0, None, "1 or -1"),
        (2, None, "1 or -1"),
        (-1, "rude", "unknown feedback reason"),
        (1, "misquote", "👎"),
    ],
)
def test_bad_votes_are_refused(engine: Engine, value: int, reason: str | None, message: str) -> None:
    answer = record(engine)
    with pytest.raises(ValueError, match=message), session_scope(engine) as session:
        FeedbackRepository(session).vote(answer, "m1", value, reason, now=NOW)  # type: ignore[arg-type]


def test_vote_on_a_purged_answer(engine: Engine) -> None:
    answer = record(engine)
    with session_scope(engine) as session:
        InteractionLog(session).purge_older_than(NOW + timedelta(seconds=1))
    with pytest.raises(FeedbackError, match="no longer in the log"), session_scope(engine) as session:
        FeedbackRepository(session).vote(answer, "m1", 1, now=NOW)


@pytest.mark.parametrize(
    ("vote", "reason", "user"),
    [(0, None, "m1"), (1, "rude", "m1"), (1, None, "dup")],
)
def test_database_constraints(engine: Engine, vote: int, reason: str | None, user: str) -> None:
    """The CHECK and UNIQUE constraints hold even for writers that bypass the repository."""
    answer = record(engine)
    with session_scope(engine) as session:
        FeedbackRepository(session).vote(answer, "dup", 1, now=NOW)
    insert = text(
        "INSERT INTO feedback (interaction_id, user_ref, vote, reason, created_at, updated_at) "
        "VALUES (:i, :u, :v, :r, '2025-06-01 12:00:00', '2025-06-01 12:00:00')"
    )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"i": answer, "u": user, "v": vote, "r": reason})


def test_migration_down_to_0001_and_up_again(engine: Engine) -> None:
    answer = record(engine)
    with session_scope(engine) as session:
        FeedbackRepository(session).vote(answer, "m1", -1, "misquote", now=NOW)
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    assert current_revision(engine) == "0001"
    schema = inspect(engine)
    assert "feedback" not in schema.get_table_names()
    assert "message_id" not in {c["name"] for c in schema.get_columns("interactions")}
    assert "ix_interactions_user_ref" not in {i["name"] for i in schema.get_indexes("interactions")}

    upgrade(engine)
    schema = inspect(engine)
    assert {i["name"] for i in schema.get_indexes("feedback")} >= {"ix_feedback_user_ref"}
    with session_scope(engine) as session:
        log = InteractionLog(session)
        kept = log.get(answer)  # interactions survive the round trip
        assert kept is not None and kept.message_id is None
        assert FeedbackRepository(session).counts(answer) == (0, 0)


def test_verdict_reasons_keep_the_members_words(engine: Engine) -> None:
    answer = record(engine)
    with session_scope(engine) as session:
        repo = FeedbackRepository(session)
        assert {"essay_says_it", "doesnt_say_it"} <= set(REASONS)
        repo.vote(answer, "m1", -1, "essay_says_it", "p1", NOW, detail="  Smith, on sanctions  ")
        repo.vote(answer, "m2", -1, "doesnt_say_it", "p1", NOW, detail="   ")
        repo.vote(answer, "m3", 1, None, "p1", NOW, detail="ignored with a 👍")
    with session_scope(engine) as session:
        rows = {r.user_ref: r for r in session.scalars(select(FeedbackRow))}
        assert rows["m1"].detail == "Smith, on sanctions"
        assert rows["m2"].detail is None and rows["m3"].detail is None
    with session_scope(engine) as session:
        FeedbackRepository(session).vote(answer, "m1", -1, "misquote", "p1", NOW)  # replaced: words go
    with session_scope(engine) as session:
        row = session.scalars(select(FeedbackRow).where(FeedbackRow.user_ref == "m1")).one()
        assert (row.reason, row.detail) == ("misquote", None)
