"""What the interaction log holds about Discord users: how they are identified, and forgetting them.

Both shells forget a user and purge old rows through :func:`forget_user` and :func:`purge_older_than`.

With ``hash_user_ids`` (the default) the log holds ``HMAC-SHA256(salt, user id)``, truncated to 32
hex characters (128 bits: no collisions among any realistic number of members). The salt is random,
created once per data directory in ``user-id-salt`` and never leaves it, so the log alone cannot be
joined back to Discord accounts by hashing known ids. Losing the salt file makes earlier hashes
unforgettable by id (they still expire with the retention period), so back it up with the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import DataDirError
from bot.paths import DataDir
from bot.store.db import make_engine, session_scope, upgrade
from bot.store.interactions import InteractionLog

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.config import Settings

log = logging.getLogger(__name__)

SALT_FILE = DataDir.SALT
SALT_BYTES = 32
HASH_HEX_CHARS = 32
# Discord snowflakes are unsigned 64-bit integers.
MAX_USER_ID = 2**64 - 1


class UserRefs:
    """Turns Discord user ids into the ``user_ref`` stored in the log, per the privacy setting."""

    def __init__(self, data_dir: Path, *, hashed: bool) -> None:
        self.data_dir = data_dir
        self.hashed = hashed
        self._salt: bytes | None = None

    @property
    def salt_path(self) -> Path:
        """Where the salt lives: ``<data_dir>/user-id-salt``."""
        return DataDir(self.data_dir).salt

    def ref(self, user_id: int) -> str:
        """The user_ref to store for ``user_id``: the id as text, or its salted hash (creating the salt)."""
        _check_id(user_id)
        if not self.hashed:
            return str(user_id)
        salt = self._load_salt(create=True)
        assert salt is not None  # create=True always yields one
        return self._hash(salt, user_id)

    def candidates(self, user_id: int) -> list[str]:
        """Every user_ref ``user_id`` may be stored under, whatever the setting was at the time.

        The hashed form is included only when a salt exists: without one nothing was ever hashed,
        and forgetting someone should not create a salt as a side effect.
        """
        _check_id(user_id)
        refs = [str(user_id)]
        salt = self._load_salt(create=False)
        if salt is not None:
            refs.insert(0, self._hash(salt, user_id))
        return refs

    @staticmethod
    def _hash(salt: bytes, user_id: int) -> str:
        return hmac.new(salt, str(user_id).encode("ascii"), hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]

    def _load_salt(self, *, create: bool) -> bytes | None:
        if self._salt is None:
            self._salt = _read_salt(self.salt_path)
            if self._salt is None and create:
                self._salt = _create_salt(self.salt_path)
        return self._salt


def _check_id(user_id: int) -> None:
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 < user_id <= MAX_USER_ID:
        raise ValueError(f"not a Discord user id: {user_id!r}")


def _read_salt(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataDirError(f"cannot read the user-id salt {path}: {exc}") from None
    try:
        salt = bytes.fromhex(text)
    except ValueError:
        salt = b""
    if len(salt) < 16:
        # Never replace it silently: every hash in the log was made with it.
        raise DataDirError(f"the user-id salt {path} is damaged; restore it from a backup")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("the user-id salt %s is readable by others (mode %o); chmod 600 it", path, mode)
    return salt


def _create_salt(path: Path) -> bytes:
    """Write a new random salt, mode 0600, atomically; if another process won the race, use theirs."""
    salt = secrets.token_bytes(SALT_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise DataDirError(f"cannot create the user-id salt {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            os.fchmod(f.fileno(), 0o600)  # the umask can only narrow 0600, but be explicit
            f.write(salt.hex() + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            # A hard link publishes the complete file under its name, and fails rather than
            # overwrite a salt another process published first (os.replace would overwrite it).
            os.link(tmp, path)
        except FileExistsError:
            existing = _read_salt(path)
            if existing is None:  # deleted between the two calls: vanishingly rare, start over
                return _create_salt(path)
            return existing
        except OSError as exc:
            raise DataDirError(f"cannot create the user-id salt {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    log.info("created a new user-id salt in %s", path)
    return salt


def forget_user(engines: Iterable[Engine], user_refs: Sequence[str]) -> int:
    """Delete the rows (and their feedback) logged under any of ``user_refs``; how many went."""
    return _delete_in_each(engines, lambda log: log.forget_user(user_refs))


def purge_older_than(engines: Iterable[Engine], cutoff: datetime) -> int:
    """Delete the rows (and their feedback) logged before ``cutoff``; how many went."""
    return _delete_in_each(engines, lambda log: log.purge_older_than(cutoff))


def every_database(settings: Settings) -> Iterator[Engine]:
    """The main database and every server's own one on disk, each migrated and then disposed of.

    Only the database is opened: no embedding model, no index, no seeding.
    """
    from bot.core.corpora import database_urls  # imports the application core; this module stays light

    for url in database_urls(settings):  # per-guild corpora (corpus_scope) each log in their own database
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def _delete_in_each(engines: Iterable[Engine], delete: Callable[[InteractionLog], int]) -> int:
    deleted = 0
    for engine in engines:
        with session_scope(engine) as session:
            deleted += delete(InteractionLog(session))
    return deleted
