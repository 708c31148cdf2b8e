"""User-facing error types.

Every error a user can cause is an ``EssaybotError``: the CLI prints its message on one line and exits
with code 2; the Discord layer turns it into a short ephemeral reply. Anything else is a bug.
"""

from __future__ import annotations


class EssaybotError(Exception):
    """An error whose message is safe and useful to show to the user as it is."""

    exit_code = 2


class BadQueryError(EssaybotError):
    """The query is empty, too long or otherwise unusable."""


class CorpusError(EssaybotError):
    """An essay file cannot be loaded: not UTF-8, binary, broken front matter, duplicate id."""


class ConfigError(EssaybotError):
    """The configuration file or environment is invalid."""


class UnknownSideError(EssaybotError):
    """A compare side matches no author, alias, essay id or title."""


class AmbiguousSideError(EssaybotError):
    """A compare side matches several authors or essays; the message lists them."""


class DataDirError(EssaybotError):
    """The data directory is missing and cannot be created, or is not writable."""


class StoreError(EssaybotError):
    """The database is locked, corrupt or not migrated."""


class ResourceError(EssaybotError):
    """The machine cannot do it right now: the disk is full, or another process holds the database."""


# What SQLite (through sqlite3 or SQLAlchemy) and FAISS say when the disk is full. FAISS raises a
# plain RuntimeError carrying the C library's strerror, so matching its text is the only way.
_DISK_FULL = ("database or disk is full", "no space left on device", "disk quota exceeded")
_LOCKED = ("database is locked", "database table is locked")


def friendly_failure(exc: BaseException) -> EssaybotError | None:
    """The one-line user error for a failure of the machine rather than of essaybot, or None.

    This is the one place that maps a full disk (an ``ENOSPC`` OSError, SQLite's "database or disk
    is full", FAISS's "No space left on device") and a database locked by another process to a
    short message. Every shell (the CLI wrappers, the batch loop) asks it before treating an
    exception as a bug. The message never repeats the failing SQL or its parameters, which may hold
    a user's question.
    """
    if isinstance(exc, EssaybotError):
        return exc
    # The failure may come wrapped (a library re-raising with ``from``): look down the chain.
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            break
        found = _friendly(seen)
        if found is not None:
            return found
        seen = seen.__cause__ or seen.__context__
    return None


def _friendly(exc: BaseException) -> EssaybotError | None:
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" ({exc.filename})" if exc.filename else ""
        return ResourceError(f"the disk is full{where}; free some space and retry")
    # Only the first line of the driver's message: SQLAlchemy appends the SQL and its parameters.
    text = str(getattr(exc, "orig", None) or exc).split("\n", 1)[0].lower()
    machine = isinstance(exc, (RuntimeError, OSError)) or _is_database_error(exc)
    if machine and any(marker in text for marker in _DISK_FULL):
        return ResourceError("the disk is full; free some space and retry")
    if _is_database_error(exc) and any(marker in text for marker in _LOCKED):
        return ResourceError(
            "the database is locked by another process; wait for it to finish (e.g. an ingest) and retry"
        )
    return None


def _is_database_error(exc: BaseException) -> bool:
    """A sqlite3 or SQLAlchemy database error (imported lazily: this module stays import-light)."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    try:
        from sqlalchemy.exc import DBAPIError
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        return False
    return isinstance(exc, DBAPIError)
