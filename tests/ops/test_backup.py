"""Backups with SQLite's online API plus the index; restore into empty and used data directories."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import shutil
import sqlite3
import tarfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answer.calibration import Calibration
from bot.cli.main import main
from bot.config import Settings, load_settings
from bot.ops.backup import BackupError, backup, backup_before_upgrade
from bot.ops.heartbeat import write_heartbeat
from bot.ops.restore import restore
from bot.search.index_store import IndexStore
from bot.search.snapshot import snapshot_of
from bot.store.db import current_revision, head_revision, make_engine, session_scope, upgrade
from bot.store.repo import CorpusRepository

pytestmark = pytest.mark.model  # the seeded data directory is built with the real model


@pytest.fixture
def data_dir(clone_seeded: Callable[[str], Path]) -> Path:
    return clone_seeded("backup")


def settings_for(data_dir: Path) -> Settings:
    return load_settings(None, data_dir=data_dir)


def connect(db: Path) -> contextlib.closing[sqlite3.Connection]:
    """A connection closed at the end of the block (sqlite3's own context manager only commits)."""
    return contextlib.closing(sqlite3.connect(db, isolation_level=None))


def essay_ids(db: Path) -> list[str]:
    with connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM essays ORDER BY id")]


def assert_index_matches_database(data_dir: Path) -> None:
    """The restored index loads against the restored corpus: nothing would be re-embedded."""
    engine = make_engine(f"sqlite:///{data_dir / 'essaybot.db'}")
    try:
        with session_scope(engine) as session:
            corpus_hash = snapshot_of(CorpusRepository(session)).corpus_hash
    finally:
        engine.dispose()
    loaded = IndexStore(data_dir / "index").load(
        model="all-MiniLM-L6-v2", corpus_hash=corpus_hash, calibration=Calibration.load().id
    )
    assert loaded.manifest.passage_count > 0


def set_revision(db: Path, revision: str) -> None:
    with connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_backup_folder_is_self_contained(data_dir: Path, tmp_path: Path) -> None:
    dest = backup(settings_for(data_dir), tmp_path / "out" / "bk")
    manifest = json.loads((dest / "backup.json").read_text())
    assert manifest["format"] == 1 and manifest["revision"] == head_revision()
    assert manifest["index_generation"] == (data_dir / "index" / "CURRENT").read_text().strip()
    assert sorted(p.name for p in dest.iterdir()) == ["backup.json", "essaybot.db", "index"]
    with connect(dest / "essaybot.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal needed
    assert essay_ids(dest / "essaybot.db") == essay_ids(data_dir / "essaybot.db")
    assert not list((tmp_path / "out").glob(".*"))  # no staging folder left behind


def test_backup_excludes_uncommitted_writes(data_dir: Path, tmp_path: Path) -> None:
    db = data_dir / "essaybot.db"
    with connect(db) as conn:
        conn.execute("CREATE TABLE scratch (n INTEGER)")
    with connect(db) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO scratch VALUES (1)")
        dest = backup(settings_for(data_dir), tmp_path / "bk")
        writer.execute("COMMIT")
    with connect(dest / "essaybot.db") as conn:
        assert conn.execute("SELECT count(*) FROM scratch").fetchone()[0] == 0


def test_restore_tarball_into_an_empty_data_dir(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "user-id-salt").write_text("pepper")
    archive = backup(settings_for(data_dir), tmp_path / "essaybot.tar.gz")
    assert tarfile.is_tarfile(archive)
    fresh = tmp_path / "fresh"
    restore(settings_for(fresh), archive)
    assert essay_ids(fresh / "essaybot.db") == essay_ids(data_dir / "essaybot.db")
    assert (fresh / "user-id-salt").read_text() == "pepper"
    assert_index_matches_database(fresh)
    engine = make_engine(f"sqlite:///{fresh / 'essaybot.db'}")
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_restore_over_existing_data_needs_force(data_dir: Path, tmp_path: Path) -> None:
    archive = backup(settings_for(data_dir), tmp_path / "bk")
    target = tmp_path / "target"
    target.mkdir()
    with connect(target / "essaybot.db") as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE essays (id TEXT)")
        conn.execute("INSERT INTO essays VALUES ('only-here')")
    with pytest.raises(BackupError, match="rerun with --force"):
        restore(settings_for(target), archive)
    assert essay_ids(target / "essaybot.db") == ["only-here"]
    with connect(target / "essaybot.db") as holder:  # another process keeps the database open
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(BackupError, match="in use by another process"):
            restore(settings_for(target), archive, force=True)
        holder.execute("ROLLBACK")
    for kept in (target / "backups").iterdir():
        shutil.rmtree(kept)

    restore(settings_for(target), archive, force=True)
    assert essay_ids(target / "essaybot.db") == essay_ids(data_dir / "essaybot.db")
    assert not (target / "essaybot.db-wal").exists()
    assert_index_matches_database(target)
    (kept,) = (target / "backups").iterdir()
    assert kept.name.startswith("pre-restore-")
    assert essay_ids(kept / "essaybot.db") == ["only-here"]


def test_restore_refuses_while_the_bot_is_alive(data_dir: Path, tmp_path: Path) -> None:
    archive = backup(settings_for(data_dir), tmp_path / "bk")
    now = time.time()
    write_heartbeat(data_dir, "connected", now=now - 5)
    with pytest.raises(BackupError, match="looks alive"):
        restore(settings_for(data_dir), archive, force=True, now=now)
    write_heartbeat(data_dir, "stopped", now=now - 5)
    restore(settings_for(data_dir), archive, force=True, now=now)
    write_heartbeat(data_dir, "connected", now=now - 3600)  # a crashed bot's last word
    restore(settings_for(data_dir), archive, force=True, now=now)


def test_restore_rejects_what_is_not_a_backup(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    with pytest.raises(BackupError, match="no backup at"):
        restore(settings, tmp_path / "missing")
    (tmp_path / "folder").mkdir()
    with pytest.raises(BackupError, match="not an essaybot backup"):
        restore(settings, tmp_path / "folder")
    (tmp_path / "junk.tar.gz").write_bytes(b"junk")
    with pytest.raises(BackupError, match="not a readable backup archive"):
        restore(settings, tmp_path / "junk.tar.gz")
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(BackupError, match="unexpected entry"):
        restore(settings, evil)
    assert not (tmp_path / "escape.txt").exists()


def test_backup_refusals(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="nothing to back up"):
        backup(settings_for(tmp_path / "empty"), tmp_path / "bk")
    (tmp_path / "taken").mkdir()
    with pytest.raises(BackupError, match="already exists"):
        backup(settings_for(data_dir), tmp_path / "taken")
    pg = load_settings(None, data_dir=data_dir, database_url="postgresql+psycopg://u:hunter2@db/essaybot")
    with pytest.raises(BackupError, match=r"SQLite database only, not postgresql\+psycopg://u:\*\*\*@db"):
        backup(pg, tmp_path / "bk")


def test_backup_before_upgrade_only_when_migrations_are_pending(
    data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(data_dir)
    assert backup_before_upgrade(settings) is None  # already at head
    assert backup_before_upgrade(settings_for(tmp_path / "new")) is None  # no database yet
    pg = load_settings(None, data_dir=data_dir, database_url="postgresql+psycopg://u:hunter2@db/essaybot")
    with caplog.at_level(logging.INFO, logger="bot.ops.backup"):
        assert backup_before_upgrade(pg) is None
    assert "back it up yourself" in caplog.text and "hunter2" not in caplog.text
    empty = tmp_path / "empty"
    empty.mkdir()
    sqlite3.connect(empty / "essaybot.db").close()
    assert backup_before_upgrade(settings_for(empty)) is None  # nothing in it worth saving

    set_revision(data_dir / "essaybot.db", "0000-older")
    made = backup_before_upgrade(settings, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert made == data_dir / "backups" / "pre-upgrade-20260101T000000Z-from-0000-older"
    assert json.loads((made / "backup.json").read_text())["revision"] == "0000-older"


def test_backup_before_upgrade_keeps_the_last_three(data_dir: Path) -> None:
    settings = settings_for(data_dir)
    mine = data_dir / "backups" / "my-own-backup"
    mine.mkdir(parents=True)
    set_revision(data_dir / "essaybot.db", head_revision() + "-older")
    for minute in range(5):
        backup_before_upgrade(settings, keep=3, now=datetime(2026, 1, 1, 0, minute, tzinfo=UTC))
    names = sorted(p.name for p in (data_dir / "backups").iterdir())
    assert names[0] == "my-own-backup"  # never pruned: only automatic backups are
    assert [n[len("pre-upgrade-20260101T00") :][:2] for n in names[1:]] == ["02", "03", "04"]
    # The backup is what a failed upgrade rolls back to; the real upgrade then goes through.
    set_revision(data_dir / "essaybot.db", head_revision())
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    engine.dispose()


def test_cli_backup_and_restore(data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "backup", str(tmp_path / "b.tgz")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"backed up to {tmp_path / 'b.tgz'}"
    result = runner.invoke(main, ["--data-dir", str(data_dir), "restore", str(tmp_path / "b.tgz")])
    assert result.exit_code == 2
    assert "error:" in result.output and "--force" in result.output
    result = runner.invoke(main, ["--data-dir", str(data_dir), "restore", str(tmp_path / "b.tgz"), "--force"])
    assert result.exit_code == 0, result.output
    assert_index_matches_database(data_dir)


# -- per-server libraries, permissions, refusals --------------------------------------------------


def add_guild_library(data_dir: Path, guild: str, essays: list[str] | None = None) -> Path:
    """A server's own library as the bot makes it: guilds/<id>/essaybot.db and its index (a copy)."""
    folder = data_dir / "guilds" / guild
    folder.mkdir(parents=True)
    with connect(data_dir / "essaybot.db") as src, connect(folder / "essaybot.db") as dst:
        src.backup(dst)
        if essays is not None:
            dst.execute(f"DELETE FROM essays WHERE id NOT IN ({','.join('?' * len(essays))})", essays)
    shutil.copytree(data_dir / "index", folder / "index", ignore=shutil.ignore_patterns(".lock"))
    return folder


def test_backup_and_restore_include_per_server_libraries(data_dir: Path, tmp_path: Path) -> None:
    keep = essay_ids(data_dir / "essaybot.db")[:2]
    add_guild_library(data_dir, "111", keep)
    archive = backup(settings_for(data_dir), tmp_path / "all.tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "guilds/111/essaybot.db" in names and any(n.startswith("guilds/111/index/gen-") for n in names)
    folder = backup(settings_for(data_dir), tmp_path / "all")
    assert json.loads((folder / "backup.json").read_text())["guilds"] == ["111"]

    fresh = tmp_path / "fresh"
    restore(settings_for(fresh), archive)
    assert essay_ids(fresh / "guilds" / "111" / "essaybot.db") == keep
    assert (fresh / "guilds" / "111" / "index" / "CURRENT").is_file()
    # A server library made after the backup is not part of it: restoring removes it (it is kept in
    # the pre-restore backup).
    add_guild_library(fresh, "222")
    restore(settings_for(fresh), archive, force=True)
    assert not (fresh / "guilds" / "222").exists()
    (kept,) = (fresh / "backups").iterdir()
    assert (kept / "guilds" / "222" / "essaybot.db").is_file()


def test_tarball_backups_are_private(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "user-id-salt").write_text("pepper")
    archive = backup(settings_for(data_dir), tmp_path / "private.tar.gz")
    assert archive.stat().st_mode & 0o777 == 0o600
    folder = backup(settings_for(data_dir), tmp_path / "private")
    assert folder.stat().st_mode & 0o077 == 0


def test_restore_checks_the_schema_before_replacing_anything(data_dir: Path, tmp_path: Path) -> None:
    src = backup(settings_for(data_dir), tmp_path / "bk")
    (src / "essaybot.db").unlink()
    with connect(src / "essaybot.db") as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    ids = essay_ids(data_dir / "essaybot.db")
    generation = (data_dir / "index" / "CURRENT").read_text()
    with pytest.raises(BackupError, match="not an essaybot database"):
        restore(settings_for(data_dir), src, force=True)
    assert essay_ids(data_dir / "essaybot.db") == ids
    assert (data_dir / "index" / "CURRENT").read_text() == generation
    (src / "essaybot.db").write_bytes(b"garbage" * 1000)
    with pytest.raises(BackupError, match="not a usable SQLite database"):
        restore(settings_for(data_dir), src, force=True)
    assert essay_ids(data_dir / "essaybot.db") == ids


def test_pre_upgrade_backup_saves_server_libraries_with_pending_migrations(data_dir: Path) -> None:
    guild = add_guild_library(data_dir, "333")
    set_revision(guild / "essaybot.db", "0001")  # the main database is at head, this one is not
    made = backup_before_upgrade(settings_for(data_dir), now=datetime(2026, 1, 1, tzinfo=UTC))
    assert made is not None and (made / "guilds" / "333" / "essaybot.db").is_file()


def test_health_and_doctor_check_server_libraries(data_dir: Path) -> None:
    from bot.ops.doctor import run_doctor
    from bot.ops.health import check_health

    assert [c.name for c in check_health(settings_for(data_dir), heartbeat=False).checks] == [
        "database",
        "index",
    ]
    add_guild_library(data_dir, "444")
    report = check_health(settings_for(data_dir), heartbeat=False)
    assert report.healthy and report.checks[-1].name == "servers"
    (data_dir / "guilds" / "444" / "essaybot.db").write_bytes(b"\0" * 4096)
    report = check_health(settings_for(data_dir), heartbeat=False)
    assert not report.healthy and "444: database unreadable" in report.checks[-1].detail
    servers = run_doctor(lambda: settings_for(data_dir), require_token=False, echo=None)
    assert any(c.name == "servers" and not c.ok for c in servers)


def test_restore_from_a_relative_path(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    backup(settings_for(data_dir), Path("rel-bk"))
    restore(settings_for(Path("fresh")), Path("rel-bk"))
    assert essay_ids(tmp_path / "fresh" / "essaybot.db") == essay_ids(data_dir / "essaybot.db")
