"""Engine, migrations and sessions.

Every database failure a user can cause (another process holding the lock, a file that is not a
database, a schema that was never migrated) comes out as a one-line ``StoreError``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from bot.errors import DataDirError, StoreError
from bot.paths import migrations_dir

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 5000


def make_engine(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, echo: bool = False) -> Engine:
    """Create an engine for any SQLAlchemy URL, tuned for SQLite when the URL is SQLite.

    For a SQLite file the parent directory is created, and every connection gets WAL mode (the bot
    reads while the CLI ingests), a busy timeout and enforced foreign keys (needed for cascades).
    """
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        return create_engine(sa_url, echo=echo, pool_pre_ping=True)

    database = sa_url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    kwargs: dict[str, Any] = {}
    if in_memory:
        # One shared connection, or each checkout would see its own empty database.
        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    else:
        _ensure_parent(Path(database.removeprefix("file:").split("?", 1)[0]))
    engine = create_engine(sa_url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first, so that switching to WAL also waits for a lock instead of failing.
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
            if not in_memory and mode is not None and str(mode[0]).lower() != "wal":
                log.warning("SQLite refused WAL mode (got %s) for %s", mode[0], database)
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    return engine


def _ensure_parent(db_file: Path) -> None:
    parent = db_file.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(f"cannot create data directory {parent}: {exc.strerror or exc}") from None


def _alembic_config() -> Config:
    config = Config()
    # Config values go through ConfigParser interpolation, so a literal % must be doubled.
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    return config


# Alembic runs a migration through a process-wide context: two at once (two servers' libraries built
# at the same time in per-guild mode) would run on each other's connections. One at a time.
_MIGRATING = threading.Lock()


def upgrade(engine: Engine) -> None:
    """Bring the schema up to the newest migration (a no-op when it is already there)."""
    config = _alembic_config()
    with _MIGRATING, translate_errors(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for a database never migrated."""
    with translate_errors(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with this version of essaybot."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # only possible with a broken package
        raise StoreError("no database migrations found in the essaybot package")
    return head


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits if the block succeeds and rolls back if it raises."""
    with translate_errors(engine), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def translate_errors(engine: Engine | None = None) -> Iterator[None]:
    """Re-raise known database failures as a one-line StoreError; let everything else through."""
    try:
        yield
    except DBAPIError as exc:
        friendly = friendly_error(exc, _describe_target(engine))
        if friendly is None:
            raise
        raise friendly from exc


def friendly_error(exc: DBAPIError, target: str = "the database") -> StoreError | None:
    """The StoreError to show for ``exc``, or None if it is not a failure users can fix."""
    reason = str(exc.orig).lower()
    if "database is locked" in reason or "database table is locked" in reason:
        return StoreError(
            f"{target} is locked by another process; wait for it to finish (e.g. an ingest) and retry"
        )
    if "file is not a database" in reason or "database disk image is malformed" in reason:
        return StoreError(f"{target} is not a usable SQLite database (corrupt?); move it aside and rerun")
    if "no such table" in reason:
        return StoreError(f"{target} has no essaybot schema yet ({exc.orig}); run the database upgrade first")
    if "readonly database" in reason:
        return StoreError(f"{target} is read-only; check the file and folder permissions")
    if "unable to open database file" in reason:
        return StoreError(f"cannot open {target}; check that the path exists and is writable")
    return None


def _describe_target(engine: Engine | None) -> str:
    if engine is not None and engine.url.get_backend_name() == "sqlite" and engine.url.database:
        return f"database {engine.url.database}"
    return "the database"
