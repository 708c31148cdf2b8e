"""Migration 0003 (curation) upgrades a database that already holds data, and downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bot.paths import migrations_dir
from bot.store.db import current_revision, make_engine
from bot.store.models import utcnow


def migrate_to(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    current = current_revision(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if current is not None and current > revision:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def test_upgrade_from_0002_keeps_data(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate_to(engine, "0002")
    now = utcnow().replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO interactions (created_at, source, command, options, passage_ids, verdict)"
                " VALUES (:t, 'discord', 'who_said', '{}', :ids, 'found')"
            ),
            {"t": now, "ids": '["abc"]'},
        )
        conn.execute(
            sa.text(
                "INSERT INTO feedback (interaction_id, user_ref, vote, reason, created_at, updated_at)"
                " VALUES (1, 'u', -1, 'misquote', :t, :t)"
            ),
            {"t": now},
        )
    migrate_to(engine, "0003")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM interactions")).scalar() == 1
        assert conn.execute(sa.text("SELECT reason FROM feedback")).scalar() == "misquote"
        conn.execute(
            sa.text(
                "INSERT INTO passage_overrides (guild_id, passage_id, hidden, updated_by, updated_at)"
                " VALUES ('1', 'abc', 1, 'cli', :t)"
            ),
            {"t": now},
        )
    migrate_to(engine, "0002")
    inspector = sa.inspect(engine)
    assert "passage_overrides" not in inspector.get_table_names()
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM feedback")).scalar() == 1
