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
import fcntl
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from bot.corpus.models import Essay, QuoteSpan
from bot.search.delta_store import (
    delta_manifest,
    open_segmented,
    read_delta_vectors,
    read_dense,
    read_segments,
    segment_vectors,
    write_delta_files,
)
from bot.search.dense import DenseIndex, IndexKind
from bot.search.embedder import Vectors
from bot.search.indexes import (
    IndexFileError,
    IntegrityCheck,
    SearchIndexes,
)
from bot.search.manifest import (
    FORMAT_VERSION,
    INDEX_FILES,
    SEGMENT_FILES,
    VECTOR_FORMATS,
    Manifest,
    NewerIndexError,
    StaleIndexError,
    file_sha256,
    generation_files,
    verify_checksums,
)
from bot.search.segments import DELTA, DeltaPlan, Layout
from bot.search.snapshot import CorpusSnapshot
from bot.search.snapshot_files import read_snapshot, stamp, write_snapshot_files

log = logging.getLogger(__name__)

__all__ = [
    "FORMAT_VERSION",
    "INDEX_FILES",
    "KEEP_GENERATIONS",
    "IndexStore",
    "LoadedIndex",
    "Manifest",
    "NewerIndexError",
    "StaleIndexError",
    "file_sha256",
    "generation_files",
    "verify_checksums",
]

KEEP_GENERATIONS = 2
_GEN_PREFIX = "gen-"


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


class IndexStore:
    """The index folder inside the data directory."""

    def __init__(self, root: Path):
        self.root = root
        # Generations whose background checksum check failed in this process: never loaded again.
        self._damaged: dict[int, str] = {}

    @contextlib.contextmanager
    def lock(self, *, wait: bool = True) -> Iterator[bool]:
        """Serialise writers across processes (a CLI ingest while the bot runs).

        Yields whether the lock is held: with ``wait=False`` it is not when another writer has it.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
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
                write_snapshot_files(tmp, snapshot)  # what a start reads instead of every passage row
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
        final = self._gen_dir(base.generation + 1)
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            write_snapshot_files(tmp, snap)  # the whole corpus's columns: never linked from the base
            checksums = write_delta_files(tmp, self._gen_dir(base.generation), base, plan, delta_vectors)
            manifest = delta_manifest(base, snap, plan, checksums)
            self._finish(tmp, final, manifest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return manifest

    def publish(self, manifest: Manifest) -> None:
        """Point ``CURRENT`` at a saved generation (atomic rename), then drop old generations and any
        dead writer's temporary files. Call inside :meth:`lock`."""
        pointer = self.root / "CURRENT.tmp"
        pointer.write_text(self._gen_dir(manifest.generation).name + "\n")
        pointer.replace(self.root / "CURRENT")
        self._prune(manifest.generation)
        log.info("published index generation %d (%d passages)", manifest.generation, manifest.passage_count)

    def stamp(self, manifest: Manifest, token: str | None) -> None:
        """Record the database's corpus token for a saved generation, once the commit it indexes is made."""
        if token is not None:
            stamp(self._gen_dir(manifest.generation), token)

    def saved_snapshot(
        self, token: str, essays: list[Essay], quote_spans: dict[str, list[QuoteSpan]]
    ) -> CorpusSnapshot | None:
        """The current generation's saved snapshot when it was stamped with ``token`` (see
        :mod:`bot.search.snapshot_files`); None when it was not, or cannot be used."""
        generation = self.current_generation()
        if generation is None or generation in self._damaged:
            return None
        folder = self._gen_dir(generation)
        try:
            manifest = self._manifest(folder)
        except StaleIndexError:
            return None
        return read_snapshot(folder, manifest, token, essays, quote_spans)

    def discard(self, manifest: Manifest) -> None:
        """Delete a saved generation that will not be published (its database change failed)."""
        if self.current_generation() != manifest.generation:
            shutil.rmtree(self._gen_dir(manifest.generation), ignore_errors=True)

    def _prune(self, generation: int) -> None:
        # Every ``*.tmp-<pid>`` here (a generation folder, the build progress file) is written by the
        # lock's holder, and the publisher holds the lock: any such entry is a dead writer's leftover.
        for path in self.root.iterdir():
            if ".tmp-" in path.name:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                continue
            if not path.name.startswith(_GEN_PREFIX):
                continue
            try:
                number = int(path.name.removeprefix(_GEN_PREFIX).split(".")[0])
            except ValueError:
                continue
            if number <= generation - KEEP_GENERATIONS:
                shutil.rmtree(path, ignore_errors=True)

    def load(
        self,
        *,
        model: str,
        corpus_hash: str,
        calibration: str | None = None,
        snapshot: CorpusSnapshot | None = None,
        verify: Literal["now", "background"] = "now",
        outdated: bool = False,
    ) -> LoadedIndex:
        """Read the current generation, checking it against the expected model and corpus.

        With ``snapshot`` (whose hash is ``corpus_hash``), the keyword and phrase indexes are opened
        too (``LoadedIndex.search``). ``verify="background"`` checks the checksums in a thread after
        returning; its outcome is ``LoadedIndex.integrity``. ``outdated`` accepts a generation that
        is only of an older format or calibration (same model, same corpus, undamaged): it still
        answers rightly while its replacement is built.
        """
        generation = self.current_generation()
        if generation is None:
            raise StaleIndexError("no index has been built yet")
        folder = self._gen_dir(generation)
        manifest = self._manifest(folder)
        problems = []
        if manifest.format < FORMAT_VERSION and not (outdated and manifest.format in VECTOR_FORMATS):
            problems.append(f"format {manifest.format} != {FORMAT_VERSION}")
        if manifest.model != model:
            problems.append(f"built with model {manifest.model!r}, configured {model!r}")
        if manifest.corpus_hash != corpus_hash:
            problems.append("corpus changed since the index was built")
        if calibration is not None and manifest.calibration != calibration and not outdated:
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
        passage_ids, sentences = read_dense(folder, manifest.dimension)
        if manifest.segments:
            parts = read_segments(folder, manifest, passage_ids, sentences)
            search = None
            if snapshot is not None:
                search = open_segmented(parts, snapshot)
                search.integrity = integrity
                passage_ids, sentences = snapshot.passages.ids.astype(str).tolist(), search.dense
            else:
                passage_ids = [*parts.base_ids, *parts.delta_ids]
            if verify == "background":
                self._verify_later(folder, manifest, integrity)
            return LoadedIndex(manifest, passage_ids, sentences, search, integrity)
        search = None
        if snapshot is not None:
            search = self._open_search(folder, manifest, snapshot, sentences)
            search.integrity = integrity
        if verify == "background":
            self._verify_later(folder, manifest, integrity)
        return LoadedIndex(manifest, passage_ids, sentences, search, integrity)

    @staticmethod
    def _read_whole(manifest: Manifest) -> list[str]:
        present = [n for n in SEGMENT_FILES if n in (manifest.checksums or {})]
        return [*INDEX_FILES, *present]

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
                # The check reads every mapped file once: its pages are not worth keeping.
                verify_checksums(folder, manifest, mapped, keep_cached=False)
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
            if manifest.model != model or manifest.format not in VECTOR_FORMATS:
                return {}
            # Never reuse vectors from a damaged file: the rebuild after a checksum mismatch would
            # otherwise copy the damage into the new generation.
            verify_checksums(folder, manifest)
            found: dict[str, Vectors] = {}
            # A segmented generation: the base's vectors (tombstoned rows too: a restored essay
            # reuses them), then the delta's.
            has_delta = bool(manifest.segments and manifest.segments["delta_passages"])
            for segment in (folder, folder / DELTA) if has_delta else (folder,):
                found.update(segment_vectors(segment, manifest.dimension))
        except (OSError, ValueError, TypeError, RuntimeError, StaleIndexError):
            return {}
        return found

    def delta_vectors(self, manifest: Manifest) -> dict[str, Vectors]:
        """The vectors of a segmented generation's delta, by passage id ({} when it has none)."""
        return read_delta_vectors(self._gen_dir(manifest.generation), manifest)
