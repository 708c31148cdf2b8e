"""Saved dense indexes: one folder per generation, a manifest, and an atomic ``CURRENT`` pointer.

A new generation is written aside (``gen-000007.tmp-…``), renamed into place, and only then published
by replacing ``CURRENT``. A reader therefore sees either the old index or the new one, never half of
one, and a running bot notices a new generation by re-reading ``CURRENT``. Files that do not match the
corpus, the model or the format are reported as stale and rebuilt, never trusted. The manifest records
a SHA-256 of each index file, so a file damaged on disk (zeroed, overwritten or cut short) is also
reported as stale and rebuilt instead of silently answering wrongly.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.search.dense import DenseIndex, IndexKind
from bot.search.embedder import Vectors

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: sentence vectors only
KEEP_GENERATIONS = 2
_GEN_PREFIX = "gen-"
# The files of a generation besides its manifest; each one's SHA-256 goes into the manifest.
INDEX_FILES = ("sentences.faiss", "passage_ids.json")
_HASH_CHUNK = 1 << 20  # 1 MiB reads: a large index is hashed without ever reading it whole into memory


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
    # SHA-256 (hex) of each file in INDEX_FILES. None in manifests written before checksums were
    # recorded: such a generation still loads, unverified, rather than being thrown away as corrupt.
    checksums: dict[str, str] | None = None


@dataclass
class LoadedIndex:
    """A generation read back from disk."""

    manifest: Manifest
    passage_ids: list[str]
    sentences: DenseIndex


class StaleIndexError(Exception):
    """The saved index does not match what is asked for (or cannot be read); rebuild it."""


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB chunks so that memory stays flat however large it is."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksums(folder: Path, manifest: Manifest) -> None:
    """Raise :class:`StaleIndexError` when a file of the generation differs from its recorded hash.

    A manifest without checksums (written by an older version) is accepted unverified.

    This reads every byte of the index at load. The scale work will move verification to the
    background after start (serve from the memory-mapped file, rebuild if the check then fails),
    because hashing up front touches every page and so defeats memory-mapping a large index.
    """
    if manifest.checksums is None:
        log.info(
            "index generation %d has no checksums (older manifest); loading unverified", manifest.generation
        )
        return
    if not isinstance(manifest.checksums, dict):
        raise StaleIndexError("index manifest unreadable: checksums is not a mapping")
    for name in INDEX_FILES:
        expected = manifest.checksums.get(name)
        try:
            actual = file_sha256(folder / name)
        except OSError as exc:
            raise StaleIndexError(f"index file unreadable: {name}: {exc.strerror or exc}") from exc
        if actual != expected:
            raise StaleIndexError(f"checksum mismatch on {name}")


class IndexStore:
    """The index folder inside the data directory."""

    def __init__(self, root: Path):
        self.root = root

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise writers across processes (a CLI ingest while the bot runs)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def current_generation(self) -> int | None:
        """Generation number that ``CURRENT`` points at, or None when there is none."""
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        try:
            return int(name.removeprefix(_GEN_PREFIX))
        except ValueError:
            return None

    def _gen_dir(self, generation: int) -> Path:
        return self.root / f"{_GEN_PREFIX}{generation:06d}"

    def save(
        self,
        *,
        passage_ids: list[str],
        sentence_vectors: Vectors,
        model: str,
        corpus_hash: str,
        index_kind: IndexKind,
        calibration: str,
    ) -> Manifest:
        """Write a new generation beside the current one, unpublished. Call inside :meth:`lock`."""
        generation = (self.current_generation() or 0) + 1
        final = self._gen_dir(generation)
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            DenseIndex.build(sentence_vectors, index_kind).save(tmp / "sentences.faiss")
            (tmp / "passage_ids.json").write_text(json.dumps(passage_ids))
            checksums = {name: file_sha256(tmp / name) for name in INDEX_FILES}
            manifest = Manifest(
                format=FORMAT_VERSION,
                generation=generation,
                model=model,
                dimension=int(sentence_vectors.shape[1]),
                passage_count=len(passage_ids),
                corpus_hash=corpus_hash,
                index_kind=index_kind,
                calibration=calibration,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                checksums=checksums,
            )
            (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return manifest

    def publish(self, manifest: Manifest) -> None:
        """Point ``CURRENT`` at a saved generation (atomic rename), then drop old generations."""
        pointer = self.root / "CURRENT.tmp"
        pointer.write_text(self._gen_dir(manifest.generation).name + "\n")
        pointer.replace(self.root / "CURRENT")
        self._prune(manifest.generation)
        log.info("published index generation %d (%d passages)", manifest.generation, manifest.passage_count)

    def discard(self, manifest: Manifest) -> None:
        """Delete a saved generation that will not be published (its database change failed)."""
        if self.current_generation() != manifest.generation:
            shutil.rmtree(self._gen_dir(manifest.generation), ignore_errors=True)

    def _prune(self, generation: int) -> None:
        for path in self.root.glob(f"{_GEN_PREFIX}*"):
            try:
                number = int(path.name.removeprefix(_GEN_PREFIX).split(".")[0])
            except ValueError:
                continue
            if number <= generation - KEEP_GENERATIONS or ".tmp-" in path.name:
                shutil.rmtree(path, ignore_errors=True)

    def load(self, *, model: str, corpus_hash: str, calibration: str | None = None) -> LoadedIndex:
        """Read the current generation, checking it against the expected model and corpus."""
        generation = self.current_generation()
        if generation is None:
            raise StaleIndexError("no index has been built yet")
        folder = self._gen_dir(generation)
        try:
            raw = json.loads((folder / "manifest.json").read_text())
            manifest = Manifest(**raw)
        except (OSError, ValueError, TypeError) as exc:
            raise StaleIndexError(f"index manifest unreadable: {exc}") from exc
        problems = []
        if manifest.format != FORMAT_VERSION:
            problems.append(f"format {manifest.format} != {FORMAT_VERSION}")
        if manifest.model != model:
            problems.append(f"built with model {manifest.model!r}, configured {model!r}")
        if manifest.corpus_hash != corpus_hash:
            problems.append("corpus changed since the index was built")
        if calibration is not None and manifest.calibration != calibration:
            problems.append("calibration changed")
        if problems:
            raise StaleIndexError("; ".join(problems))
        # Before FAISS reads it: a damaged file can parse fine and still hold wrong vectors.
        verify_checksums(folder, manifest)
        try:
            passage_ids = json.loads((folder / "passage_ids.json").read_text())
        except (OSError, ValueError) as exc:
            raise StaleIndexError(f"index file unreadable: passage_ids.json: {exc}") from exc
        try:
            sentences = DenseIndex.load(folder / "sentences.faiss")
        except RuntimeError as exc:
            raise StaleIndexError(f"index file unreadable: {str(exc).splitlines()[0][:120]}") from exc
        n = len(passage_ids)
        if len(sentences) != n or sentences.dimension != manifest.dimension:
            raise StaleIndexError("index files do not match their manifest")
        return LoadedIndex(manifest, passage_ids, sentences)

    def previous_vectors(self, model: str) -> dict[str, Vectors]:
        """Vectors of the current generation by passage id, to skip re-embedding unchanged passages.

        A passage id hashes the essay id and the text, so an equal id means an equal text. Anything
        unreadable or built with another model yields {}.
        """
        generation = self.current_generation()
        if generation is None:
            return {}
        folder = self._gen_dir(generation)
        try:
            manifest = Manifest(**json.loads((folder / "manifest.json").read_text()))
            if manifest.model != model or manifest.format != FORMAT_VERSION:
                return {}
            # Never reuse vectors from a damaged file: the rebuild after a checksum mismatch would
            # otherwise copy the damage into the new generation.
            verify_checksums(folder, manifest)
            ids = json.loads((folder / "passage_ids.json").read_text())
            vectors = DenseIndex.load(folder / "sentences.faiss").reconstruct_all()
        except (OSError, ValueError, TypeError, RuntimeError, StaleIndexError):
            return {}
        if len(ids) != len(vectors):
            return {}
        return {pid: np.asarray(vectors[i]) for i, pid in enumerate(ids)}
