"""Migration 0005 (verdict overrides, verdict 👎 reasons, the calibration of each answer) upgrades a
populated database without losing feedback, and downgrades without cascading into it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from test_migration_0003 import migrate_to

from bot.store.db import make_engine
from bot.store.models import utcnow


def _count(conn: sa.Connection, table: str) -> int:
    return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_upgrade_from_0004_keeps_feedback_and_takes_verdict_reasons(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate_to(engine, "0004")
    now = utcnow().replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO interactions (created_at, source, command, options, passage_ids, verdict)"
                " VALUES (:t, 'discord', 'who_said', '{}', '[\"abc\"]', 'found')"
            ),
            {"t": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO feedback (interaction_id, user_ref, vote, reason, created_at, updated_at)"
                " VALUES (1, 'u', -1, 'misquote', :t, :t)"
            ),
            {"t": now},
        )
        # Before 0005 a verdict reason is refused.
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(
                sa.text(
                    "INSERT INTO feedback (interaction_id, user_ref, vote, reason, created_at, updated_at)"
                    " VALUES (1, 'w', -1, 'doesnt_say_it', :t, :t)"
                ),
                {"t": now},
            )
    migrate_to(engine, "0005")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT reason FROM feedback")).scalar() == "misquote"
        conn.execute(
            sa.text(
                "INSERT INTO feedback (interaction_id, user_ref, vote, reason, detail, created_at,"
                " updated_at) VALUES (1, 'w', -1, 'essay_says_it', 'Smith on sanctions', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(sa.text("UPDATE interactions SET calibration = 'abc123def456', verdict = 'x'"))
        conn.execute(
            sa.text(
                "INSERT INTO verdict_overrides (guild_id, claim_key, claim, passage_id, verdict, updated_by,"
                " updated_at) VALUES ('1', 'k', 'claim', 'abc', 'contradicts', 'cli', :t)"
            ),
            {"t": now},
        )
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(
                sa.text(
                    "INSERT INTO verdict_overrides (guild_id, claim_key, claim, passage_id, verdict,"
                    " updated_by, updated_at) VALUES ('1', 'k2', 'claim', 'abc', 'maybe', 'cli', :t)"
                ),
                {"t": now},
            )
    migrate_to(engine, "0004")  # feedback rebuilt, interactions altered in place: nothing cascades away
    with engine.begin() as conn:
        assert _count(conn, "interactions") == 1
        reasons = sorted(str(r) for r in conn.execute(sa.text("SELECT reason FROM feedback")).scalars())
        assert reasons == ["None", "misquote"]  # the verdict reason has no older equivalent
        assert "verdict_overrides" not in sa.inspect(conn).get_table_names()
        assert "calibration" not in {c["name"] for c in sa.inspect(conn).get_columns("interactions")}
        assert "detail" not in {c["name"] for c in sa.inspect(conn).get_columns("feedback")}
    engine.dispose()
