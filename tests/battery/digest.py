"""A digest of everything a data directory holds, to show that a refused input changed nothing.

``data_dir_digest`` covers every SQLite database under the directory (the main one and each server's in
``guilds/``), row by row through SQLite itself, so the WAL and the page layout do not matter, and every
other file (the index generations, the manifest) by name and content. Lock files are left out: taking
a lock is not a change.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Collection
from pathlib import Path
from typing import Any

from bot.search.embed_cache import CACHE_FILE

_SKIP_SUFFIXES = ("-wal", "-shm", "-journal")
_SKIP_NAMES = {".lock", CACHE_FILE, f"{CACHE_FILE}-wal", f"{CACHE_FILE}-shm"}  # the cache is no library


def _database_digest(path: Path, h: Any, skip_tables: Collection[str]) -> None:
    conn = sqlite3.connect(path)  # read only in effect: nothing but SELECT runs on it
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        for table in (t for t in tables if t not in skip_tables):
            h.update(f"table {table}\n".encode())
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))
            for row in rows:
                h.update(row.encode("utf-8", "surrogatepass") + b"\n")
    finally:
        conn.close()


def data_dir_digest(data_dir: Path | str, *, skip_tables: Collection[str] = ()) -> str:
    """SHA-256 over the rows of every database and the bytes of every other file under ``data_dir``.

    ``skip_tables`` leaves tables out (e.g. ``interactions`` for a command that answers and logs).
    """
    root = Path(data_dir)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.name
        if name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES):
            continue
        h.update(f"file {path.relative_to(root).as_posix()}\n".encode())
        if path.suffix == ".db":
            _database_digest(path, h, frozenset(skip_tables))
        else:
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()
