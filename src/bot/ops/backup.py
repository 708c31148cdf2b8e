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
(``pg_dump``). ``restore`` refuses to touch a data directory whose bot looks alive (fresh heartbeat),
and refuses to replace an existing database without ``force``; with it, the current data is first
backed up to ``<data_dir>/backups/pre-restore-<time>``.
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
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.errors import EssaybotError, friendly_failure
from bot.ops.health import STALE_AFTER_PERIODS, known_revisions, read_index_manifest, safe_url, sqlite_file
from bot.ops.heartbeat import read_heartbeat
from bot.paths import DataDir

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

BACKUP_FORMAT = 1
MANIFEST = "backup.json"
EXTRA_FILES = (DataDir.SALT,)
PRE_UPGRADE = "pre-upgrade-"
_ALIVE_STATES = ("starting", "connecting", "connected", "backoff")
# Tables every essaybot database has had since its first migration: a backup without them is some
# other program's SQLite file, and restoring it would silently replace the library.
REQUIRED_TABLES = frozenset({"essays", "passages", "quote_spans", "interactions"})


class BackupError(EssaybotError):
    """A backup or restore that cannot be done; the message says why and what to do."""


def backup(settings: Settings, dest: Path) -> Path:
    """Back up the data directory to ``dest`` (a new directory, or a ``.tar.gz`` file).

    Per-server libraries (``guilds/<id>/``) are included, each copied under its own index lock.
    """
    db = _sqlite_db(settings)
    data = DataDir(settings.data_dir)
    guilds = data.guild_dirs()
    with _index_locks([data, *guilds]):
        return _backup_locked(data, db, dest, guilds)


@contextlib.contextmanager
def _index_locks(data_dirs: list[DataDir]) -> Iterator[None]:
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


def _backup_locked(data: DataDir, db: Path, dest: Path, guilds: list[DataDir]) -> Path:
    if not db.is_file():
        raise BackupError(f"no database at {db}: nothing to back up")
    if dest.exists():
        raise BackupError(f"{dest} already exists; give a new path")
    archive = dest.name.endswith((".tar.gz", ".tgz"))
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    except OSError as exc:
        raise _write_error(dest, exc) from None
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        copy = DataDir(staging)  # a backup has the layout of a data directory
        revision = _copy_database(db, copy.database)
        generation = _copy_index(data, copy.index)
        for name in EXTRA_FILES:
            if (data.root / name).is_file():
                shutil.copy2(data.root / name, copy.root / name)
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
        raise _write_error(dest, exc) from None
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


def _write_error(dest: Path, exc: OSError) -> EssaybotError:
    """One line for a backup that could not be written: a full disk, or a destination we cannot use."""
    friendly = friendly_failure(exc)
    if friendly is not None:
        return friendly
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(dest) else ""
    return BackupError(f"cannot write the backup to {dest}: {exc.strerror or exc}{where}")


def restore(settings: Settings, src: Path, *, force: bool = False, now: float | None = None) -> None:
    """Restore a backup made by :func:`backup` into the configured data directory.

    Every database in the backup is checked first (a readable SQLite file with essaybot's schema
    at a revision this version knows), so a wrong or damaged backup replaces nothing. Refuses while
    the bot's heartbeat is fresh (stop the bot first), and refuses to replace an existing database
    unless ``force``; then the current data is backed up to ``backups/`` first. Per-server libraries
    are restored too, and those not in the backup are removed (they are in that first backup).
    """
    db = _sqlite_db(settings)
    data = DataDir(settings.data_dir)
    with _unpacked(src) as folder:
        saved = DataDir(folder)
        manifest = _read_manifest(saved, src)
        # The server ids whose libraries the backup holds (folders guilds/<digits>/ with a database).
        backed_up = saved.guild_ids()
        for db_file in (saved.database, *(saved.guild(gid).database for gid in backed_up)):
            _check_schema(db_file, src, db_file.relative_to(folder).as_posix())
        _refuse_if_running(settings, now)
        if db.exists() and not force:
            raise BackupError(
                f"{db} already exists; stop the bot and rerun with --force to replace it "
                f"(the current data is backed up to {data.backups} first)"
            )
        try:
            data.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(data.root, exc) from None
        present = data.guild_dirs()
        targets = [data.guild(gid) for gid in backed_up]
        with _index_locks([data, *present, *targets]):
            kept = None
            if db.is_file():
                kept = _backup_locked(data, db, _new_backup_path(settings, "pre-restore-"), present)
                log.warning("the replaced data was backed up to %s", kept)
            _restore_database(saved.database, db)
            _restore_index(saved, data.index)
            for name in EXTRA_FILES:
                if (saved.root / name).is_file():
                    shutil.copy2(saved.root / name, data.root / name)
            for gid, target in zip(backed_up, targets, strict=True):
                _restore_database(saved.guild(gid).database, target.database)
                _restore_index(saved.guild(gid), target.index)
            for stale in present:
                if stale.root.name in backed_up:
                    continue
                if kept is None:
                    log.warning("%s is not in the backup; it was left in place", stale.root)
                else:  # saved in the pre-restore backup just made
                    shutil.rmtree(stale.root)
    log.info("restored %s (revision %s) into %s", src, manifest.get("revision"), settings.data_dir)


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
    dest = backup(settings, _new_backup_path(settings, PRE_UPGRADE, suffix=f"-from-{current}", now=now))
    log.warning("database backed up to %s before migrating it from revision %s", dest, current)
    _prune(DataDir(settings.data_dir).backups, keep)
    return dest


def _sqlite_db(settings: Settings) -> Path:
    db = sqlite_file(settings)
    if db is None:
        raise BackupError(
            f"backup and restore handle the SQLite database only, not {safe_url(settings)}; "
            "use your database's own tools (e.g. pg_dump)"
        )
    return db


def _new_backup_path(settings: Settings, prefix: str, suffix: str = "", now: datetime | None = None) -> Path:
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


def _check_schema(db_file: Path, src: Path, name: str) -> None:
    """Refuse, before anything is replaced, a database that is damaged or is not essaybot's."""
    try:
        with contextlib.closing(sqlite3.connect(f"{db_file.absolute().as_uri()}?mode=ro", uri=True)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            row = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in tables
                else None
            )
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"{src}: {name} is not a usable SQLite database ({exc}); nothing was restored"
        ) from None
    if verdict != "ok":
        raise BackupError(f"{src}: {name} is damaged ({str(verdict)[:120]}); nothing was restored")
    missing = sorted(({"alembic_version"} | REQUIRED_TABLES) - tables)
    if missing or row is None:
        what = f"no {', '.join(missing)} table" if missing else "no migration revision"
        raise BackupError(f"{src}: {name} is not an essaybot database ({what}); nothing was restored")
    revision = str(row[0])
    if revision not in known_revisions():
        raise BackupError(
            f"{src}: {name} is at revision {revision!r}, unknown to essaybot {__version__} "
            "(made by a newer version?); nothing was restored"
        )


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


@contextlib.contextmanager
def _unpacked(src: Path) -> Iterator[Path]:
    """The backup's folder: ``src`` itself, or a tarball extracted to a temporary folder."""
    if src.is_dir():
        yield src
        return
    if not src.is_file():
        raise BackupError(f"no backup at {src}")
    with tempfile.TemporaryDirectory(prefix="essaybot-restore-") as tmp:
        try:
            with tarfile.open(src, "r:*") as tar:
                members = tar.getmembers()
                for m in members:
                    parts = Path(m.name).parts
                    if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in parts:
                        raise BackupError(f"{src}: unexpected entry {m.name!r}; not an essaybot backup")
                # Members are checked above; the "data" filter (Python >= 3.11.4) also drops modes.
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(tmp, members=members, filter="data")
                else:  # pragma: no cover - older 3.11 patch releases
                    tar.extractall(tmp, members=members)
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(f"{src} is not a readable backup archive: {exc}") from None
        yield Path(tmp)


def _read_manifest(saved: DataDir, src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((saved.root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{src} is not an essaybot backup (no readable {MANIFEST})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(f"{src}: unsupported backup format {manifest.get('format')!r}")
    if not saved.database.is_file():
        raise BackupError(f"{src}: the backup has no {DataDir.DATABASE}")
    return manifest


def _refuse_if_running(settings: Settings, now: float | None) -> None:
    beat = read_heartbeat(settings.data_dir)
    if beat is None or beat.state not in _ALIVE_STATES:
        return
    age = beat.age(now if now is not None else time.time())
    if age <= STALE_AFTER_PERIODS * settings.discord.heartbeat_seconds:
        raise BackupError(
            f"the bot using {settings.data_dir} looks alive (heartbeat {beat.state!r} {age:.0f}s ago); "
            "stop it before restoring"
        )


def _restore_database(backup_db: Path, db: Path) -> None:
    try:
        with (
            contextlib.closing(sqlite3.connect(backup_db)) as src,
            contextlib.closing(sqlite3.connect(db, timeout=5)) as dst,
        ):
            # Out of WAL first: it checkpoints and removes the -wal file, and the backup API can then
            # replace the pages whatever their size. The bot turns WAL back on when it opens the file.
            dst.execute("PRAGMA journal_mode = DELETE")
            src.backup(dst)
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        raise BackupError(f"{db} is in use by another process; stop it and retry the restore") from None


def _restore_index(saved: DataDir, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("gen-*"):
        shutil.rmtree(old, ignore_errors=True)
    (root / "CURRENT").unlink(missing_ok=True)  # no usable index in the backup: rebuilt on start
    try:
        name, _ = read_index_manifest(saved.root)
    except ValueError as exc:
        log.warning("the backup's index is not restored (%s); it is rebuilt on start", exc)
        return
    shutil.copytree(saved.index / name, root / name)
    tmp = root / "CURRENT.tmp"
    tmp.write_text(name + "\n", encoding="utf-8")
    tmp.replace(root / "CURRENT")
