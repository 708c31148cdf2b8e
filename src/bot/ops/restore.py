"""Restoring a backup made by ``bot.ops.backup`` into the configured data directory.

Every database in the backup is checked before anything is replaced. ``restore`` refuses to touch a
data directory whose bot looks alive (fresh heartbeat), and refuses to replace an existing database
without ``force``; with it, the current data is first backed up to
``<data_dir>/backups/pre-restore-<time>``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.ops.backup import (
    BACKUP_FORMAT,
    MANIFEST,
    BackupError,
    backup_locked,
    index_locks,
    new_backup_path,
    sqlite_db,
    write_error,
)
from bot.ops.health import STALE_AFTER_PERIODS, known_revisions, read_index_manifest
from bot.ops.heartbeat import read_heartbeat
from bot.paths import DataDir

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

_ALIVE_STATES = ("starting", "connecting", "connected", "backoff")
# Tables every essaybot database has had since its first migration: a backup without them is some
# other program's SQLite file, and restoring it would silently replace the library.
REQUIRED_TABLES = frozenset({"essays", "passages", "quote_spans", "interactions"})


def restore(settings: Settings, src: Path, *, force: bool = False, now: float | None = None) -> None:
    """Restore a backup made by :func:`backup` into the configured data directory.

    Every database in the backup is checked first (a readable SQLite file with essaybot's schema
    at a revision this version knows), so a wrong or damaged backup replaces nothing. Refuses while
    the bot's heartbeat is fresh (stop the bot first), and refuses to replace an existing database
    unless ``force``; then the current data is backed up to ``backups/`` first. Per-server libraries
    are restored too, and those not in the backup are removed (they are in that first backup).
    """
    db = sqlite_db(settings)
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
            raise write_error(data.root, exc) from None
        present = data.guild_dirs()
        targets = [data.guild(gid) for gid in backed_up]
        with index_locks([data, *present, *targets]):
            kept = None
            if db.is_file():
                kept = backup_locked(data, db, new_backup_path(settings, "pre-restore-"), present)
                log.warning("the replaced data was backed up to %s", kept)
            _restore_database(saved.database, db)
            _restore_index(saved, data.index)
            if saved.salt.is_file():
                shutil.copy2(saved.salt, data.salt)
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
