"""Saved dense indexes: one folder per generation, a manifest, and an atomic ``CURRENT`` pointer.

A new generation is written aside (``gen-000007.tmp-…``), renamed into place, and only then published
by replacing ``CURRENT``. A reader therefore sees either the old index or the new one, never half of
one, and a running bot notices a new generation by re-reading ``CURRENT``. Files that do not match the
corpus, the model or the format are reported as stale and rebuilt, never trusted. The manifest records
a SHA-256 of each index file, so a file damaged on disk (zeroed, overwritten or cut short) is also
reported as stale and rebuilt instead of silently answering wrongly.

Format 3 keeps the keyword and phrase indexes in the generation too (:mod:`bot.search.indexes`), so a
start-up opens files instead of rebuilding them. Checksums cover every file. With
``verify="background"`` the memory-mapped keyword and phrase files are checked in a thread after
loading, so that hashing does not read every page before the first answer: a mismatch found then
marks the generation damaged, and the next request for the retriever rebuilds it. The FAISS file,
which FAISS reads whole anyway, is always checked before it is read. A generation written by a newer
release (a higher format) is refused with :class:`NewerIndexError`, never read and never rebuilt over.

A generation may also be *segmented* (:mod:`bot.search.segments`): the files of the last whole build,
hard-linked (never copied or rewritten), plus a small ``delta/`` folder for the essays changed since
and ``tombstones.json`` for the base rows removed since. :meth:`IndexStore.save_delta` writes one in
the time it takes to index the changed essays; it is published like any other. The manifest records
the linked files' checksums as the base's manifest did, so verification covers them unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from bot.search.dense import DenseIndex, IndexKind
from bot.search.embedder import Vectors
from bot.search.indexes import (
    KEYWORD_PARAGRAPHS,
    KEYWORD_SENTENCES,
    IndexFileError,
    IntegrityCheck,
    SearchIndexes,
)
from bot.search.keyword import KeywordIndex, KeywordStats
from bot.search.segments import DELTA, TOMBSTONES, DeltaPlan, Layout, Segments, open_segments
from bot.search.snapshot import CorpusSnapshot

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: sentence vectors only; 3: + keyword and phrase indexes, every file checksummed
# Generations of these formats hold sentence vectors this release can reuse when converting them.
_VECTOR_FORMATS = (2, 3)
KEEP_GENERATIONS = 2
_GEN_PREFIX = "gen-"
# The files every generation has besides its manifest; format 3 adds the keyword and phrase files.
# Each file's SHA-256 goes into the manifest, keyed by its path inside the generation.
INDEX_FILES = ("sentences.faiss", "passage_ids.json")
# A segmented generation's files read whole at load, and so checked before they are read.
_SEGMENT_FILES = (f"{DELTA}/sentences.faiss", f"{DELTA}/passage_ids.json", TOMBSTONES)
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

    @property
    def delta_share(self) -> float:
        """Rows of the delta plus tombstones, as a share of the base's rows (0 for a whole build)."""
        if not self.segments:
            return 0.0
        extra = self.segments["delta_passages"] + self.segments["tombstones"]
        return extra / max(1, self.segments["base_passages"])


@dataclass
class LoadedIndex:
    """A generation read back from disk."""

    manifest: Manifest
    # Rows of ``sentences``: the base's then the delta's passages for a segmented generation read
    # without a snapshot (with one, ``sentences`` is ``search.dense``, in the snapshot's rows).
    passage_ids: list[str]
    sentences: DenseIndex
    # Every index over the snapshot passed to ``load`` (None when no snapshot was passed).
    search: SearchIndexes | None = None
    integrity: IntegrityCheck | None = None


class StaleIndexError(Exception):
    """The saved index does not match what is asked for (or cannot be read); rebuild it."""


class NewerIndexError(Exception):
    """The index was written by a newer release: refuse it rather than misread or overwrite it."""


def generation_files(folder: Path) -> list[str]:
    """Every file of a generation except its manifest, as sorted paths relative to the folder."""
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.name != "manifest.json"
    )


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB chunks so that memory stays flat however large it is."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksums(folder: Path, manifest: Manifest, names: Collection[str] | None = None) -> None:
    """Raise :class:`StaleIndexError` when a file of the generation differs from its recorded hash.

    A manifest without checksums (written by an older version) is accepted unverified.

    ``names`` restricts the check to those files (every file of the generation by default). It
    reads every byte it checks: ``IndexStore.load(verify="background")`` checks the memory-mapped
    files after start-up instead, because hashing them up front would touch every page.
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
            actual = file_sha256(folder / name)
        except OSError as exc:
            raise StaleIndexError(f"index file unreadable: {name}: {exc.strerror or exc}") from exc
        if actual != expected:
            raise StaleIndexError(f"checksum mismatch on {name}")


class IndexStore:
    """The index folder inside the data directory."""

    def __init__(self, root: Path):
        self.root = root
        # Generations whose background checksum check failed in this process: never loaded again.
        self._damaged: dict[int, str] = {}

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
        snapshot: CorpusSnapshot | None = None,
    ) -> Manifest:
        """Write a new generation beside the current one, unpublished. Call inside :meth:`lock`.

        With ``snapshot`` (the corpus the vectors embed), its keyword and phrase indexes are written
        into the generation as well.
        """
        generation = (self.current_generation() or 0) + 1
        final = self._gen_dir(generation)
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            DenseIndex.build(sentence_vectors, index_kind).save(tmp / "sentences.faiss")
            (tmp / "passage_ids.json").write_text(json.dumps(passage_ids))
            stats = None
            if snapshot is not None:
                written = SearchIndexes.write_text_indexes(tmp, snapshot)
                stats = {name: [st.documents, st.tokens] for name, st in written.items()}
                # Where each essay's rows are: what a later delta generation tombstones or keeps.
                Layout.of(snapshot).write(tmp)
            checksums = {name: file_sha256(tmp / name) for name in generation_files(tmp)}
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
                paragraph_count=len(snapshot.paragraphs) if snapshot is not None else None,
                text_indexes=snapshot is not None,
                keyword_stats=stats,
            )
            self._finish(tmp, final, manifest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return manifest

    @staticmethod
    def _finish(tmp: Path, final: Path, manifest: Manifest) -> None:
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)

    def base_of_current(self, model: str, calibration: str) -> Manifest | None:
        """The current generation's manifest when a delta generation can be built on it, else None.

        It must hold the keyword and phrase files, the layout a delta needs, and match the model and
        calibration asked for (a delta never mixes two models' vectors).
        """
        generation = self.current_generation()
        if generation is None:
            return None
        try:
            manifest = self._manifest(self._gen_dir(generation))
        except StaleIndexError:
            return None
        usable = (
            manifest.format == FORMAT_VERSION
            and manifest.text_indexes
            and manifest.keyword_stats is not None
            and manifest.checksums is not None
            and manifest.model == model
            and manifest.calibration == calibration
            and generation not in self._damaged
        )
        return manifest if usable else None

    def layout(self, manifest: Manifest) -> Layout | None:
        """The base layout of a generation (which essays its base indexes, and where), if readable."""
        try:
            return Layout.read(self._gen_dir(manifest.generation))
        except (OSError, ValueError):
            return None

    def save_delta(
        self, base: Manifest, snap: CorpusSnapshot, plan: DeltaPlan, delta_vectors: Vectors
    ) -> Manifest:
        """Write a segmented generation for ``snap``: ``base``'s files linked, plus ``plan``'s delta.

        ``base`` is the current generation (from :meth:`base_of_current`); its base files are
        hard-linked into the new generation, and its own delta, if any, is replaced by
        ``plan.delta`` (all the essays not in the base as it was indexed). Unpublished, like
        :meth:`save`; call inside :meth:`lock`.
        """
        assert base.checksums is not None and base.keyword_stats is not None
        source = self._gen_dir(base.generation)
        generation = base.generation + 1
        final = self._gen_dir(generation)
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            linked = [n for n in base.checksums if not n.startswith(f"{DELTA}/") and n != TOMBSTONES]
            for name in linked:
                _link(source / name, tmp / name)
            base_passages = base.segments["base_passages"] if base.segments else base.passage_count
            if plan.tombstones:
                (tmp / TOMBSTONES).write_text(json.dumps(plan.tombstones))
            if len(plan.delta):
                self._write_delta(tmp / DELTA, source, base, plan, delta_vectors)
            checksums = {name: base.checksums[name] for name in linked}
            checksums.update(
                (name, file_sha256(tmp / name)) for name in generation_files(tmp) if name not in checksums
            )
            manifest = dataclasses.replace(
                base,
                generation=generation,
                passage_count=len(snap),
                corpus_hash=snap.corpus_hash,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                checksums=checksums,
                paragraph_count=len(snap.paragraphs),
                # Nothing added or removed (an edit of metadata): the base alone is a whole index.
                segments={
                    "base_generation": base.segments["base_generation"] if base.segments else base.generation,
                    "base_passages": base_passages,
                    "delta_passages": len(plan.delta),
                    "tombstones": len(plan.tombstones),
                }
                if len(plan.delta) or plan.tombstones
                else None,
            )
            self._finish(tmp, final, manifest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return manifest

    @staticmethod
    def _write_delta(folder: Path, source: Path, base: Manifest, plan: DeltaPlan, vectors: Vectors) -> None:
        folder.mkdir()
        DenseIndex.build(vectors, "flat").save(folder / "sentences.faiss")  # small: exact search
        (folder / "passage_ids.json").write_text(json.dumps([p.id for p in plan.delta.passages]))
        assert base.keyword_stats is not None
        stats = {name: KeywordStats(*sizes) for name, sizes in base.keyword_stats.items()}
        try:  # the base's document frequencies put the delta's BM25 scores on its scale
            scale = (
                KeywordIndex.load(source / KEYWORD_SENTENCES, lambda row: ""),
                KeywordIndex.load(source / KEYWORD_PARAGRAPHS, lambda row: ""),
                stats,
            )
        except (OSError, ValueError) as exc:
            raise StaleIndexError(f"keyword index unreadable: {exc}") from exc
        SearchIndexes.write_text_indexes(folder, plan.delta, scale)
        Layout.of(plan.delta).write(folder)

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

    def load(
        self,
        *,
        model: str,
        corpus_hash: str,
        calibration: str | None = None,
        snapshot: CorpusSnapshot | None = None,
        verify: Literal["now", "background"] = "now",
    ) -> LoadedIndex:
        """Read the current generation, checking it against the expected model and corpus.

        With ``snapshot`` (whose hash is ``corpus_hash``), the keyword and phrase indexes are opened
        too (``LoadedIndex.search``). ``verify="background"`` checks the checksums in a thread after
        returning; its outcome is ``LoadedIndex.integrity``.
        """
        generation = self.current_generation()
        if generation is None:
            raise StaleIndexError("no index has been built yet")
        folder = self._gen_dir(generation)
        manifest = self._manifest(folder)
        problems = []
        if manifest.format < FORMAT_VERSION:
            problems.append(f"format {manifest.format} != {FORMAT_VERSION}")
        if manifest.model != model:
            problems.append(f"built with model {manifest.model!r}, configured {model!r}")
        if manifest.corpus_hash != corpus_hash:
            problems.append("corpus changed since the index was built")
        if calibration is not None and manifest.calibration != calibration:
            problems.append("calibration changed")
        if generation in self._damaged:
            problems.append(self._damaged[generation])
        if problems:
            raise StaleIndexError("; ".join(problems))
        # Before FAISS reads it: a damaged file can parse fine and still hold wrong vectors.
        integrity = IntegrityCheck()
        # FAISS reads its file whole into memory anyway: checking it first costs one more read. The
        # keyword and phrase files are memory-mapped: "background" checks them after start-up.
        verify_checksums(folder, manifest, None if verify == "now" else self._read_whole(manifest))
        if verify == "now":
            integrity.finished = True
        passage_ids, sentences = self._dense(folder, manifest)
        if manifest.segments:
            return self._load_segmented(folder, manifest, passage_ids, sentences, snapshot, integrity, verify)
        search = None
        if snapshot is not None:
            search = self._open_search(folder, manifest, snapshot, sentences)
            search.integrity = integrity
        if verify == "background":
            self._verify_later(folder, manifest, integrity)
        return LoadedIndex(manifest, passage_ids, sentences, search, integrity)

    @staticmethod
    def _read_whole(manifest: Manifest) -> list[str]:
        present = [n for n in _SEGMENT_FILES if n in (manifest.checksums or {})]
        return [*INDEX_FILES, *present]

    @staticmethod
    def _dense(folder: Path, manifest: Manifest) -> tuple[list[str], DenseIndex]:
        """A segment's passage ids and FAISS index, checked against each other and the manifest."""
        try:
            passage_ids = json.loads((folder / "passage_ids.json").read_text())
        except (OSError, ValueError) as exc:
            raise StaleIndexError(f"index file unreadable: passage_ids.json: {exc}") from exc
        try:
            sentences = DenseIndex.load(folder / "sentences.faiss")
        except RuntimeError as exc:
            raise StaleIndexError(f"index file unreadable: {str(exc).splitlines()[0][:120]}") from exc
        if len(sentences) != len(passage_ids) or sentences.dimension != manifest.dimension:
            raise StaleIndexError("index files do not match their manifest")
        return passage_ids, sentences

    def _load_segmented(
        self,
        folder: Path,
        manifest: Manifest,
        base_ids: list[str],
        base: DenseIndex,
        snapshot: CorpusSnapshot | None,
        integrity: IntegrityCheck,
        verify: str,
    ) -> LoadedIndex:
        assert manifest.segments is not None
        sizes = manifest.segments
        if sizes["delta_passages"]:
            delta_ids, delta = self._dense(folder / DELTA, manifest)
        else:
            delta_ids, delta = [], DenseIndex.build(np.zeros((0, manifest.dimension), dtype=np.float32))
        try:
            tombstones = json.loads((folder / TOMBSTONES).read_text()) if sizes["tombstones"] else []
        except (OSError, ValueError) as exc:
            raise StaleIndexError(f"index file unreadable: {TOMBSTONES}: {exc}") from exc
        counts = (len(base_ids), len(delta_ids), len(tombstones))
        if counts != (sizes["base_passages"], sizes["delta_passages"], sizes["tombstones"]):
            raise StaleIndexError("index files do not match their manifest")
        passage_ids, sentences, search = [*base_ids, *delta_ids], base, None
        if snapshot is not None:
            parts = Segments(folder, base_ids, base, delta_ids, delta, tombstones)
            try:
                search = open_segments(parts, snapshot)
            except (OSError, ValueError, LookupError, sqlite3.DatabaseError) as exc:
                raise StaleIndexError(f"index segments unreadable: {exc}") from exc
            search.integrity = integrity
            passage_ids, sentences = [p.id for p in snapshot.passages], search.dense
        if verify == "background":
            self._verify_later(folder, manifest, integrity)
        return LoadedIndex(manifest, passage_ids, sentences, search, integrity)

    def _manifest(self, folder: Path) -> Manifest:
        try:
            raw = json.loads((folder / "manifest.json").read_text())
            version = raw.get("format") if isinstance(raw, dict) else None
            if isinstance(version, int) and version > FORMAT_VERSION:
                raise NewerIndexError(
                    f"the index in {self.root} has format {version}, written by a newer essaybot; this "
                    f"release reads format {FORMAT_VERSION} and older. Upgrade essaybot, or point it at "
                    "another data directory (it will not read or overwrite this index)."
                )
            return Manifest(**raw)
        except (OSError, ValueError, TypeError) as exc:
            raise StaleIndexError(f"index manifest unreadable: {exc}") from exc

    @staticmethod
    def _open_search(
        folder: Path, manifest: Manifest, snapshot: CorpusSnapshot, dense: DenseIndex
    ) -> SearchIndexes:
        if not manifest.text_indexes:
            log.info("index generation %d has no keyword or phrase files: building them", manifest.generation)
            built = SearchIndexes.build(snapshot, np.zeros((0, dense.dimension), dtype=np.float32))
            built.dense = dense
            return built
        if manifest.paragraph_count != len(snapshot.paragraphs):
            raise StaleIndexError("index files do not match their manifest")
        try:
            return SearchIndexes.open(folder, snapshot, dense)
        except IndexFileError as exc:
            raise StaleIndexError(str(exc)) from exc

    def _verify_later(self, folder: Path, manifest: Manifest, integrity: IntegrityCheck) -> None:
        whole = self._read_whole(manifest)
        mapped = [name for name in manifest.checksums or {} if name not in whole]

        def check() -> None:
            try:
                verify_checksums(folder, manifest, mapped)
            except StaleIndexError as exc:
                log.error("index generation %d is damaged (%s): it will be rebuilt", manifest.generation, exc)
                self._damaged[manifest.generation] = str(exc)
                integrity.problem = str(exc)
            finally:
                integrity.finished = True

        threading.Thread(target=check, name=f"index-check-{manifest.generation}", daemon=True).start()

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
            if manifest.model != model or manifest.format not in _VECTOR_FORMATS:
                return {}
            # Never reuse vectors from a damaged file: the rebuild after a checksum mismatch would
            # otherwise copy the damage into the new generation.
            verify_checksums(folder, manifest)
            found: dict[str, Vectors] = {}
            # A segmented generation: the base's vectors (tombstoned rows too: a restored essay
            # reuses them), then the delta's.
            has_delta = bool(manifest.segments and manifest.segments["delta_passages"])
            for segment in (folder, folder / DELTA) if has_delta else (folder,):
                ids = json.loads((segment / "passage_ids.json").read_text())
                vectors = DenseIndex.load(segment / "sentences.faiss").reconstruct_all()
                if len(ids) != len(vectors):
                    return {}
                found.update((pid, np.asarray(vectors[i])) for i, pid in enumerate(ids))
        except (OSError, ValueError, TypeError, RuntimeError, StaleIndexError):
            return {}
        return found

    def delta_vectors(self, manifest: Manifest) -> dict[str, Vectors]:
        """The vectors of a segmented generation's delta, by passage id ({} when it has none)."""
        if not manifest.segments or not manifest.segments["delta_passages"]:
            return {}
        folder = self._gen_dir(manifest.generation) / DELTA
        try:
            verify_checksums(folder.parent, manifest, _SEGMENT_FILES[:2])
            ids = json.loads((folder / "passage_ids.json").read_text())
            vectors = DenseIndex.load(folder / "sentences.faiss").reconstruct_all()
        except (OSError, ValueError, RuntimeError, StaleIndexError):
            return {}
        return {pid: np.asarray(vectors[i]) for i, pid in enumerate(ids)} if len(ids) == len(vectors) else {}


def _link(source: Path, target: Path) -> None:
    """Hard-link a published (never rewritten) file into a new generation; copy across devices."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)
