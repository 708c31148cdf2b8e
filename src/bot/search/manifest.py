"""What an index generation is: its manifest, its files, and their checksums.

The manifest says what a generation was built from (model, corpus, calibration, index kind) and
records a SHA-256 of each of its files, so a file damaged on disk is reported as stale and rebuilt
instead of silently answering wrongly. :mod:`bot.search.index_store` writes, publishes and reads
generations.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from bot.search.dense import IndexKind
from bot.search.segments import DELTA, TOMBSTONES

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: sentence vectors only; 3: + keyword and phrase indexes, every file checksummed
# Generations of these formats hold sentence vectors this release can reuse when converting them.
VECTOR_FORMATS = (2, 3)
# The files every generation has besides its manifest; format 3 adds the keyword and phrase files.
# Each file's SHA-256 goes into the manifest, keyed by its path inside the generation.
INDEX_FILES = ("sentences.faiss", "passage_ids.json")
# A segmented generation's files read whole at load, and so checked before they are read.
SEGMENT_FILES = (f"{DELTA}/sentences.faiss", f"{DELTA}/passage_ids.json", TOMBSTONES)
# The database's corpus token as of the commit a generation indexes (bot.search.snapshot_files).
TOKEN_FILE = "corpus.token"
_HASH_CHUNK = 1 << 20  # 1 MiB reads: a large index is hashed without ever reading it whole into memory
_DROP_WINDOW = 8 << 20


@dataclass(frozen=True)
class Manifest:
    """What an index generation was built from."""

    format: int
    generation: int
    model: str
    dimension: int
    passage_count: int
    corpus_hash: str
    index_kind: IndexKind
    calibration: str
    created_at: str
    # SHA-256 (hex) of each file of the generation. None in manifests written before checksums were
    # recorded: such a generation still loads, unverified, rather than being thrown away as corrupt.
    checksums: dict[str, str] | None = None
    # Format 3: paragraphs indexed, and whether the keyword and phrase files were written (a
    # generation saved without the corpus text has only the dense files; its other indexes are
    # then built in memory at load, as format 2 did).
    paragraph_count: int | None = None
    text_indexes: bool = False
    # Sizes of the base's keyword indexes ({name: [documents, tokens]}), which a delta's scores
    # are computed with; None when the generation cannot take a delta (it is then rebuilt whole).
    keyword_stats: dict[str, list[int]] | None = None
    # A segmented generation: {"base_generation", "base_passages", "delta_passages", "tombstones"}.
    segments: dict[str, int] | None = None


class StaleIndexError(Exception):
    """The saved index does not match what is asked for (or cannot be read); rebuild it."""


class NewerIndexError(Exception):
    """The index was written by a newer release: refuse it rather than misread or overwrite it."""


def generation_files(folder: Path) -> list[str]:
    """Every file of a generation except its manifest and its corpus stamp, as sorted relative paths.

    Both are written after the files they describe (the stamp after the database commit), so no
    checksum covers them.
    """
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.name not in ("manifest.json", TOKEN_FILE)
    )


def file_sha256(path: Path, *, keep_cached: bool = True) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB chunks so that memory stays flat however large it is.

    ``keep_cached=False`` asks the kernel to drop what it read from the page cache, except pages a
    process has mapped. A sequential read caches a file in large blocks (folios of up to a few MiB),
    and a question that later touches one row of a memory-mapped file maps the whole block: after a
    background check of a 10,000-essay generation, the vectors file was resident whole (1,177 MB)
    where the same questions without the check had mapped 790 MB.
    """
    drop = not keep_cached and hasattr(os, "posix_fadvise")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        read = 0
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
            read += len(chunk)
            if drop:
                # Only blocks lying wholly inside the range are dropped: it reaches back a few chunks.
                start = max(0, read - _DROP_WINDOW)
                _forget(fh.fileno(), start, read - start)
        if drop:
            _forget(fh.fileno(), 0, 0)  # what straddled a window
    return digest.hexdigest()


def _forget(fd: int, start: int, length: int) -> None:
    # Only advice: a file system that refuses it must not make a sound file look unreadable.
    with contextlib.suppress(OSError):
        os.posix_fadvise(fd, start, length, os.POSIX_FADV_DONTNEED)


def verify_checksums(
    folder: Path, manifest: Manifest, names: Collection[str] | None = None, *, keep_cached: bool = True
) -> None:
    """Raise :class:`StaleIndexError` when a file of the generation differs from its recorded hash.

    A manifest without checksums (written by an older version) is accepted unverified.

    ``names`` restricts the check to those files (every file of the generation by default). It
    reads every byte it checks: ``IndexStore.load(verify="background")`` checks the memory-mapped
    files after start-up instead, because hashing them up front would touch every page
    (``keep_cached=False``: see :func:`file_sha256`).
    """
    if manifest.checksums is None:
        log.info(
            "index generation %d has no checksums (older manifest); loading unverified", manifest.generation
        )
        return
    if not isinstance(manifest.checksums, dict):
        raise StaleIndexError("index manifest unreadable: checksums is not a mapping")
    wanted = {*INDEX_FILES, *manifest.checksums} if names is None else set(names)
    for name in sorted(wanted):
        expected = manifest.checksums.get(name)
        try:
            actual = file_sha256(folder / name, keep_cached=keep_cached)
        except OSError as exc:
            raise StaleIndexError(f"index file unreadable: {name}: {exc.strerror or exc}") from exc
        if actual != expected:
            raise StaleIndexError(f"checksum mismatch on {name}")
