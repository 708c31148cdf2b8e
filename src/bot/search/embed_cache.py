"""Passage vectors cached by (model, text hash) in a SQLite file beside the index generations.

Embedding is the slow part of an ingest, and the ingest writes nothing to the database until every
passage is embedded (all or nothing). Without a cache, an import of thousands of essays stopped near
its end (``kill -9``, a crash, a deploy) would have to embed everything again. With it, every batch is
committed here as soon as it is embedded, so the next run reads back what was done and embeds only
the rest; a benchmark can also rebuild a large library without re-embedding it.

The cache is only ever an optimisation, never a source of truth:

- A key is the model's name and the SHA-256 of the passage text, so another model never reads these
  vectors, and an edited passage is a new key.
- Each vector carries a CRC-32 of its bytes: a damaged row is a miss, and it is re-embedded.
- A file that is not a readable SQLite database is deleted and started afresh, with a warning.
- Any other failure (a full disk, a read-only data directory) turns the cache off for that call:
  the ingest goes on and embeds as it would without one. That is logged at INFO only: whatever made
  the cache unusable (a full disk) is reported by the ingest itself, in one line.

SQLite's write-ahead log commits each batch atomically; a process killed at any point leaves the
committed batches readable and nothing half-written. Vectors are stored as float32 bytes exactly as
the model produced them, so a cached vector equals a freshly computed one bit for bit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from bot.search.embedder import Embedder, Vectors

log = logging.getLogger(__name__)

CACHE_FILE = "embeddings.sqlite"
SCHEMA_VERSION = 1
_LOOKUP_CHUNK = 500  # keys per SELECT: well under SQLite's limit on bound parameters
_TIMEOUT_S = 30.0  # another process's batch commit never takes this long

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    text_hash BLOB NOT NULL,
    crc INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
)
"""

Progress = Callable[[str, int, int], None]  # (stage, done, total), as the ingest reports it


def text_hash(text: str) -> bytes:
    """The cache key of a passage text: its SHA-256 digest (32 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def cache_path(index_root: Path) -> Path:
    """Where the cache of a library lives: beside its index generations, outside any of them.

    Generations are pruned and backed up one by one; the cache is neither (it only saves time).
    """
    return index_root / CACHE_FILE


class EmbeddingCache:
    """One connection to a cache file; use as a context manager, one per ingest or rebuild."""

    def __init__(self, path: Path):
        self.path = path
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> EmbeddingCache:
        self._db = self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    @property
    def enabled(self) -> bool:
        """False once the cache has been turned off (unusable file or directory)."""
        return self._db is not None

    def _open(self) -> sqlite3.Connection | None:
        for attempt in (1, 2):
            try:
                return self._connect()
            except sqlite3.DatabaseError as exc:
                # OperationalError (locked, cannot open, disk full) says nothing about the file's
                # content: keep it. Any other DatabaseError means the file itself is damaged.
                if attempt == 2 or isinstance(exc, sqlite3.OperationalError):
                    log.info("embedding cache %s unusable (%s); embedding without it", self.path, exc)
                    return None
                self._reset(exc)
            except OSError as exc:
                log.info("embedding cache %s unusable (%s); embedding without it", self.path, exc)
                return None
        return None  # pragma: no cover - the loop always returns

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        try:
            # WAL: a commit is one append to the log, readable after a crash; NORMAL skips the fsync
            # per commit (a power cut may lose the last batches, never corrupt the file).
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("SELECT count(*) FROM vectors WHERE rowid = 1").fetchone()  # reads the first pages
        except BaseException:
            db.close()
            raise
        return db

    def _reset(self, why: Exception) -> None:
        """Delete a damaged cache file (and its log), to be created afresh."""
        log.warning("embedding cache %s is damaged (%s); starting a new one", self.path, why)
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                self.path.with_name(self.path.name + suffix).unlink()

    def _failed(self, exc: Exception) -> None:
        """A read or write failed after opening: a damaged file is reset, anything else turns us off."""
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            self._reset(exc)  # "database disk image is malformed" and the like
            self._db = self._open()
        else:
            log.info("embedding cache %s unusable (%s); embedding without it", self.path, exc)
            self.__exit__()

    def get(self, model: str, keys: Sequence[bytes], dimension: int) -> dict[bytes, Vectors]:
        """Cached vectors of ``model`` for ``keys`` (text hashes); a damaged or odd-sized row is a miss."""
        found: dict[bytes, Vectors] = {}
        if self._db is None:
            return found
        size = dimension * 4
        try:
            for lo in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = keys[lo : lo + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT text_hash, crc, vector FROM vectors WHERE model = ? AND text_hash IN ({marks})",
                    (model, *chunk),
                )
                for key, crc, blob in rows:
                    if len(blob) == size and zlib.crc32(blob) == crc:
                        found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
            return {}
        return found

    def put(self, model: str, keys: Sequence[bytes], vectors: Vectors) -> None:
        """Store one batch of vectors in one transaction (committed when this returns)."""
        if self._db is None or not len(keys):
            return
        rows = []
        for key, vector in zip(keys, vectors, strict=True):
            blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
            rows.append((model, key, zlib.crc32(blob), blob))
        try:
            with self._transaction() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors (model, text_hash, crc, vector) VALUES (?, ?, ?, ?)", rows
                )
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        assert self._db is not None
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def count(self, model: str | None = None) -> int:
        """Vectors held (for ``model`` only, when given)."""
        if self._db is None:
            return 0
        if model is None:
            return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0])
        return int(self._db.execute("SELECT count(*) FROM vectors WHERE model = ?", (model,)).fetchone()[0])


def encode_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache_file: Path | None,
    *,
    progress: Progress | None = None,
    read: bool = True,
) -> tuple[Vectors, int]:
    """Vectors for ``texts`` (row-aligned) and how many distinct texts had to be embedded.

    Only texts the cache lacks are embedded, each distinct text once. Each embedded batch is committed
    to the cache before the next one starts, so an interrupted run loses at most one batch.
    ``read=False`` embeds everything afresh (a reindex) and still refreshes the cache;
    ``cache_file=None`` embeds without a cache.
    """
    dim = embedder.dimension
    out = np.zeros((len(texts), dim), dtype=np.float32)
    if not texts:
        return out, 0
    model = embedder.model_name
    rows_of: dict[bytes, list[int]] = {}
    for i, text in enumerate(texts):
        rows_of.setdefault(text_hash(text), []).append(i)
    with contextlib.ExitStack() as stack:
        cache = stack.enter_context(EmbeddingCache(cache_file)) if cache_file is not None else None
        hits = cache.get(model, list(rows_of), dim) if cache is not None and read else {}
        for key, vector in hits.items():
            out[rows_of[key]] = vector
        todo = [key for key in rows_of if key not in hits]
        done = len(hits)
        if progress and done:
            progress("embedding", done, len(rows_of))
        # Batches of similar length waste little on padding: about 2x faster than document order.
        todo.sort(key=lambda key: len(texts[rows_of[key][0]]))
        batch = max(1, embedder.batch_size)
        for lo in range(0, len(todo), batch):
            keys = todo[lo : lo + batch]
            vectors = embedder.encode([texts[rows_of[key][0]] for key in keys])
            for key, vector in zip(keys, vectors, strict=True):
                out[rows_of[key]] = vector
            if cache is not None:
                cache.put(model, keys, vectors)
            done += len(keys)
            if progress:
                progress("embedding", done, len(rows_of))
    return out, len(todo)
