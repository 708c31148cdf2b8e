"""Engine setup, migrations and error translation."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.errors import DataDirError, StoreError
from bot.store.db import current_revision, head_revision, make_engine, session_scope, upgrade
from bot.store.models import Base, EssayRow
from bot.store.repo import CorpusRepository, InteractionLog


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_empty_file_then_again(tmp_path: Path) -> None:
    db_file = tmp_path / "nested" / "dir" / "essaybot.db"
    eng = make_engine(f"sqlite:///{db_file}")
    assert current_revision(eng) is None
    upgrade(eng)
    assert db_file.is_file()
    assert current_revision(eng) == head_revision() == "0006"
    upgrade(eng)  # second run is a no-op
    assert current_revision(eng) == head_revision()
    tables = set(inspect(eng).get_table_names())
    assert {"essays", "passages", "quote_spans", "interactions", "alembic_version"} <= tables
    eng.dispose()


def test_upgrades_in_several_threads_at_once(tmp_path: Path) -> None:
    # Per-guild mode builds two new servers' libraries at once when both ask their first question.
    engines = [make_engine(f"sqlite:///{tmp_path / f'{n}.db'}") for n in range(6)]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(upgrade, engines))
        assert {current_revision(e) for e in engines} == {head_revision()}
    finally:
        for e in engines:
            e.dispose()


def test_upgrade_on_existing_empty_file(tmp_path: Path) -> None:
    db_file = tmp_path / "empty.db"
    db_file.touch()
    eng = make_engine(f"sqlite:///{db_file}")
    upgrade(eng)
    assert current_revision(eng) == head_revision()
    eng.dispose()


def test_pragmas(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_foreign_keys_cascade(
    engine: Engine, essay: Essay, passages: list[Passage], spans: list[QuoteSpan]
) -> None:
    with session_scope(engine) as session:
        CorpusRepository(session).save_essay(essay, passages, spans)
    with session_scope(engine) as session:
        session.delete(session.get(EssayRow, essay.id))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM passages")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM quote_spans")).scalar() == 0


def test_foreign_keys_enforced(engine: Engine) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO quote_spans (essay_id, start_offset, end_offset, role) "
                "VALUES ('missing', 0, 1, 'quoted')"
            )
        )


def test_in_memory_engine_shares_one_database() -> None:
    eng = make_engine("sqlite://")
    upgrade(eng)
    with session_scope(eng) as session:
        assert CorpusRepository(session).counts() == {"essays": 0, "passages": 0, "removed": 0}
    eng.dispose()


def test_session_scope_rolls_back(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        InteractionLog(session).record(
            source="cli", command="who", options={}, verdict=None, passage_ids=[], latency_ms=None
        )
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.execute(text("SELECT count(*) FROM interactions")).scalar() == 0


def test_locked_database(db_url: str, tmp_path: Path) -> None:
    eng = make_engine(db_url, busy_timeout_ms=50)
    upgrade(eng)
    blocker = sqlite3.connect(tmp_path / "data" / "essaybot.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked") as info, session_scope(eng) as session:
            InteractionLog(session).record(
                source="cli", command="who", options={}, verdict=None, passage_ids=[], latency_ms=1
            )
        assert "\n" not in str(info.value)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        eng.dispose()


def test_not_a_database(tmp_path: Path) -> None:
    db_file = tmp_path / "essaybot.db"
    db_file.write_bytes(b"this is a text file, not SQLite\n" * 200)
    eng = make_engine(f"sqlite:///{db_file}")
    with pytest.raises(StoreError, match="not a usable SQLite database") as info:
        upgrade(eng)
    assert "\n" not in str(info.value)
    with pytest.raises(StoreError), session_scope(eng) as session:
        session.execute(select(EssayRow)).all()
    eng.dispose()


def test_unmigrated_database(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with pytest.raises(StoreError, match="upgrade"), session_scope(eng) as session:
        CorpusRepository(session).counts()
    eng.dispose()


def test_data_dir_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(DataDirError, match="cannot create data directory"):
        make_engine(f"sqlite:///{blocker / 'sub' / 'essaybot.db'}")


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("with_url", [True, False])
def test_alembic_cli(tmp_path: Path, with_url: bool) -> None:
    """The developer path: `alembic -c alembic.ini upgrade head`, URL from the environment or default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESSAYBOT_", "DISCORD_"))}
    env.pop("PYTHONPATH", None)  # alembic.ini's prepend_sys_path must be enough
    target = tmp_path / "elsewhere" / "bot.db"
    if with_url:
        env["ESSAYBOT_DATABASE_URL"] = f"sqlite:///{target}"
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(REPO / "alembic.ini"), "upgrade", "head"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    db_file = target if with_url else tmp_path / "data" / "essaybot.db"
    eng = make_engine(f"sqlite:///{db_file}")
    assert current_revision(eng) == head_revision()
    eng.dispose()
