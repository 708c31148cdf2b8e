"""Backups of a SQLite data directory: the database, the current index generation and the salt.

A backup is a directory, or a gzipped tarball of the same files when the path ends in ``.tar.gz``
or ``.tgz``::

    backup.json          format, essaybot version, creation time, migration revision, generation
    essaybot.db          SQLite's online backup API: a consistent copy even while the bot writes
    index/CURRENT        the generation pointer, as in the data directory
    index/gen-NNNNNN/    the current index generation (so a restore need not re-embed)
    user-id-salt         when present: without it /privacy forget-me cannot find hashed rows

The database and index are copied under the index lock that ingests hold, so they match; an index
that does not match anyway is rebuilt on start, never trusted. PostgreSQL is the operator's job
(``pg_dump``). ``bot.ops.restore`` puts a backup back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.errors import EssaybotError, friendly_failure
from bot.ops.health import read_index_manifest, safe_url, sqlite_file
from bot.paths import DataDir

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

BACKUP_FORMAT = 1
MANIFEST = "backup.json"
PRE_UPGRADE = "pre-upgrade-"


class BackupError(EssaybotError):
    """A backup or restore that cannot be done; the message says why and what to do."""


def backup(settings: Settings, dest: Path) -> Path:
    """Back up the data directory to ``dest`` (a new directory, or a ``.tar.gz`` file).

    Per-server libraries (``guilds/<id>/``) are included, each copied under its own index lock.
    """
    db = sqlite_db(settings)
    data = DataDir(settings.data_dir)
    guilds = data.guild_dirs()
    with index_locks([data, *guilds]):
        return backup_locked(data, db, dest, guilds)


@contextlib.contextmanager
def index_locks(data_dirs: list[DataDir]) -> Iterator[None]:
    """The index locks of several libraries, always taken in the same order (no deadlock)."""
    from bot.search.index_store import IndexStore

    with contextlib.ExitStack() as stack:
        for folder in sorted({d.root for d in data_dirs}):
            try:
                stack.enter_context(IndexStore(DataDir(folder).index).lock())
            except OSError as exc:
                if friendly_failure(exc) is not None:
                    raise
                raise BackupError(f"cannot lock the index in {folder}: {exc.strerror or exc}") from None
        yield


def backup_locked(data: DataDir, db: Path, dest: Path, guilds: list[DataDir]) -> Path:
    if not db.is_file():
        raise BackupError(f"no database at {db}: nothing to back up")
    if dest.exists():
        raise BackupError(f"{dest} already exists; give a new path")
    archive = dest.name.endswith((".tar.gz", ".tgz"))
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    except OSError as exc:
        raise write_error(dest, exc) from None
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        copy = DataDir(staging)  # a backup has the layout of a data directory
        revision = _copy_database(db, copy.database)
        generation = _copy_index(data, copy.index)
        if data.salt.is_file():
            shutil.copy2(data.salt, copy.salt)
        for folder in guilds:
            target = copy.guild(folder.root.name)
            target.root.mkdir(parents=True)
            _copy_database(folder.database, target.database)
            _copy_index(folder, target.index)
        manifest = {
            "format": BACKUP_FORMAT,
            "essaybot": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "revision": revision,
            "index_generation": generation,
            "guilds": [folder.root.name for folder in guilds],
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if archive:
            # Owner-only from the first byte: the archive holds the hashing salt and the interaction
            # log (a folder backup is as private: it comes from mkdtemp, mode 0700).
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
                for child in sorted(staging.iterdir()):
                    tar.add(child, arcname=child.name)
            partial.replace(dest)
        else:
            staging.rename(dest)
    except OSError as exc:
        raise write_error(dest, exc) from None
    except sqlite3.DatabaseError as exc:
        friendly = friendly_failure(exc)  # a full disk, or a database locked for too long
        if friendly is not None:
            raise friendly from None
        raise BackupError(f"cannot back up {db}: {exc} (is the database damaged?)") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    log.info("backed up %s (revision %s, index %s) to %s", db, revision, generation, dest)
    return dest


def write_error(dest: Path, exc: OSError) -> EssaybotError:
    """One line for a backup that could not be written: a full disk, or a destination we cannot use."""
    friendly = friendly_failure(exc)
    if friendly is not None:
        return friendly
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(dest) else ""
    return BackupError(f"cannot write the backup to {dest}: {exc.strerror or exc}{where}")


def backup_before_upgrade(settings: Settings, *, keep: int = 3, now: datetime | None = None) -> Path | None:
    """Back up a SQLite database that has migrations pending; keep the last ``keep`` such backups.

    Returns the backup, or None when nothing needed saving (no database yet, already at the newest
    revision, or not SQLite: then backing up is the operator's job and a log line says so).
    """
    from bot.store.db import current_revision, head_revision, make_engine

    if keep < 1:
        raise ValueError("keep must be at least 1")
    db = sqlite_file(settings)
    if db is None:
        log.info("database %s is not a SQLite file: back it up yourself before upgrades", safe_url(settings))
        return None
    if not db.is_file():
        return None
    engine = make_engine(settings.resolved_database_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    main_pending = not (current == head or (current is None and not _has_tables(db)))
    # Per-server databases are migrated when first opened after an upgrade: save them too.
    guild_pending = any(_sqlite_revision(g.database) != head for g in DataDir(settings.data_dir).guild_dirs())
    if not (main_pending or guild_pending):
        return None
    dest = backup(settings, new_backup_path(settings, PRE_UPGRADE, suffix=f"-from-{current}", now=now))
    log.warning("database backed up to %s before migrating it from revision %s", dest, current)
    _prune(DataDir(settings.data_dir).backups, keep)
    return dest


def sqlite_db(settings: Settings) -> Path:
    db = sqlite_file(settings)
    if db is None:
        raise BackupError(
            f"backup and restore handle the SQLite database only, not {safe_url(settings)}; "
            "use your database's own tools (e.g. pg_dump)"
        )
    return db


def new_backup_path(settings: Settings, prefix: str, suffix: str = "", now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder = DataDir(settings.data_dir).backups
    path, n = folder / f"{prefix}{stamp}{suffix}", 1
    while path.exists():  # two backups within one second
        n += 1
        path = folder / f"{prefix}{stamp}{suffix}-{n}"
    return path


def _prune(folder: Path, keep: int) -> None:
    # Names sort by time (UTC stamp first); only automatic backups are pruned, never the user's.
    automatic = sorted(p for p in folder.iterdir() if p.name.startswith(PRE_UPGRADE))
    for old in automatic[:-keep]:
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()
        log.info("removed old backup %s", old)


def _sqlite_revision(db: Path) -> str | None:
    """The migration a SQLite file is at, read without changing it; None when unreadable."""
    try:
        with contextlib.closing(sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _has_tables(db: Path) -> bool:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])


def _copy_database(src_file: Path, dst_file: Path) -> str | None:
    """Online backup of a live SQLite file into a self-contained file; returns its revision."""
    with (
        contextlib.closing(sqlite3.connect(src_file, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(dst_file)) as dst,
    ):
        src.backup(dst)
        # One file, no -wal beside it: the copy must stand alone when moved around.
        dst.execute("PRAGMA journal_mode = DELETE")
        verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy of {src_file} failed SQLite's check: {verdict}")
        try:
            row = dst.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
        return str(row[0]) if row else None


def _copy_index(data: DataDir, target: Path) -> str | None:
    try:
        name, _ = read_index_manifest(data.root)
    except ValueError as exc:
        log.warning("backing up the database without an index (%s); it is rebuilt on restore", exc)
        return None
    target.mkdir()
    shutil.copytree(data.index / name, target / name)
    (target / "CURRENT").write_text(name + "\n", encoding="utf-8")
    return name
