"""The files of a segmented generation: written over a base generation, and read back.

:class:`bot.search.index_store.IndexStore` numbers, publishes and verifies generations; this module
knows what a delta generation holds (:mod:`bot.search.segments` says why): the base's files,
hard-linked from the generation it builds on (a published file is never rewritten, so a link is as
safe as a copy and costs nothing), ``tombstones.json``, and a ``delta/`` folder laid out as a small
whole generation. The linked files keep the checksums the base's manifest recorded; the others are
hashed as they are written.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.search.dense import DenseIndex
from bot.search.embedder import Vectors
from bot.search.indexes import KEYWORD_PARAGRAPHS, KEYWORD_SENTENCES, SearchIndexes
from bot.search.keyword import KeywordIndex, KeywordStats
from bot.search.manifest import (
    SEGMENT_FILES,
    Manifest,
    StaleIndexError,
    file_sha256,
    generation_files,
    verify_checksums,
)
from bot.search.segments import DELTA, TOMBSTONES, DeltaPlan, Layout, Segments, open_segments
from bot.search.snapshot import CorpusSnapshot
from bot.search.snapshot_files import CORPUS


def read_dense(folder: Path, dimension: int) -> tuple[list[str], DenseIndex]:
    """A segment's passage ids and FAISS index, checked against each other and the manifest."""
    try:
        passage_ids = json.loads((folder / "passage_ids.json").read_text())
    except (OSError, ValueError) as exc:
        raise StaleIndexError(f"index file unreadable: passage_ids.json: {exc}") from exc
    try:
        sentences = DenseIndex.load(folder / "sentences.faiss")
    except RuntimeError as exc:
        raise StaleIndexError(f"index file unreadable: {str(exc).splitlines()[0][:120]}") from exc
    if len(sentences) != len(passage_ids) or sentences.dimension != dimension:
        raise StaleIndexError("index files do not match their manifest")
    return passage_ids, sentences


def segment_vectors(folder: Path, dimension: int) -> dict[str, Vectors]:
    """A segment's vectors by passage id; StaleIndexError when its files do not agree."""
    ids, dense = read_dense(folder, dimension)
    vectors = dense.reconstruct_all()
    return {pid: np.asarray(vectors[i]) for i, pid in enumerate(ids)}


def write_delta_files(
    tmp: Path, source: Path, base: Manifest, plan: DeltaPlan, vectors: Vectors
) -> dict[str, str]:
    """Fill ``tmp`` (the new generation, being built) over ``source`` (``base``'s folder).

    Returns the checksum of every file written or linked.
    """
    assert base.checksums is not None
    # The base's own files only: its delta, tombstones and corpus columns are the new generation's.
    linked = [n for n in base.checksums if not n.startswith((f"{DELTA}/", f"{CORPUS}/")) and n != TOMBSTONES]
    for name in linked:
        _link(source / name, tmp / name)
    if plan.tombstones:
        (tmp / TOMBSTONES).write_text(json.dumps(plan.tombstones))
    if len(plan.delta):
        _write_delta(tmp / DELTA, source, base, plan, vectors)
    checksums = {name: base.checksums[name] for name in linked}
    checksums.update(
        (name, file_sha256(tmp / name)) for name in generation_files(tmp) if name not in checksums
    )
    return checksums


def delta_manifest(
    base: Manifest, snap: CorpusSnapshot, plan: DeltaPlan, checksums: dict[str, str]
) -> Manifest:
    """The manifest of the generation after ``base`` that indexes ``snap`` as ``plan`` splits it."""
    segments = None
    if len(plan.delta) or plan.tombstones:  # else (an edit of metadata) the base alone is whole
        segments = {
            "base_generation": base.segments["base_generation"] if base.segments else base.generation,
            "base_passages": base.segments["base_passages"] if base.segments else base.passage_count,
            "delta_passages": len(plan.delta),
            "tombstones": len(plan.tombstones),
        }
    return dataclasses.replace(
        base,
        generation=base.generation + 1,
        passage_count=len(snap),
        corpus_hash=snap.corpus_hash,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        checksums=checksums,
        paragraph_count=len(snap.paragraphs),
        segments=segments,
    )


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


def read_segments(folder: Path, manifest: Manifest, base_ids: list[str], base: DenseIndex) -> Segments:
    """The delta's FAISS index and ids and the tombstones of a segmented generation, checked."""
    assert manifest.segments is not None
    sizes = manifest.segments
    if sizes["delta_passages"]:
        delta_ids, delta = read_dense(folder / DELTA, manifest.dimension)
    else:
        delta_ids, delta = [], DenseIndex.build(np.zeros((0, manifest.dimension), dtype=np.float32))
    try:
        tombstones = json.loads((folder / TOMBSTONES).read_text()) if sizes["tombstones"] else []
    except (OSError, ValueError) as exc:
        raise StaleIndexError(f"index file unreadable: {TOMBSTONES}: {exc}") from exc
    counts = (len(base_ids), len(delta_ids), len(tombstones))
    if counts != (sizes["base_passages"], sizes["delta_passages"], sizes["tombstones"]):
        raise StaleIndexError("index files do not match their manifest")
    return Segments(folder, base_ids, base, delta_ids, delta, tombstones)


def open_segmented(parts: Segments, snapshot: CorpusSnapshot) -> SearchIndexes:
    """Every index of a segmented generation over ``snapshot``; StaleIndexError when unusable."""
    try:
        return open_segments(parts, snapshot)
    except (OSError, ValueError, LookupError, sqlite3.DatabaseError) as exc:
        raise StaleIndexError(f"index segments unreadable: {exc}") from exc


def read_delta_vectors(folder: Path, manifest: Manifest) -> dict[str, Vectors]:
    """The vectors of a segmented generation's delta by passage id ({} when none or unreadable)."""
    if not manifest.segments or not manifest.segments["delta_passages"]:
        return {}
    try:
        verify_checksums(folder, manifest, SEGMENT_FILES[:2])
        return segment_vectors(folder / DELTA, manifest.dimension)
    except StaleIndexError:
        return {}


def _link(source: Path, target: Path) -> None:
    """Hard-link a published (never rewritten) file into a new generation; copy across devices."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)
