"""The corpus snapshot saved in its index generation, so that a start need not read every passage row.

A generation written for a snapshot keeps that snapshot's passage columns in ``corpus/``: one ``.npy``
file per column (memory-mapped when read), the ids' sort order, and ``corpus/meta.json`` (the essays'
order, the section names, the rare texts that differ from their body slice). They are checksummed
with the generation like its other files.

Which database corpus they match is recorded apart, in ``corpus.token``, once the commit the
generation indexes has been made: the database's corpus token (migration 0006), which triggers
replace on any change to passages or to an essay's id, status or body. A start that reads the same
token from the database takes the columns from here, with the essays' bodies and metadata and the
quote spans still read from the database (those cost per essay, not per passage). Any other token,
a missing or damaged file, or columns that do not fit the essays read means the snapshot is read
from the database in full, as before; nothing here is ever trusted on its own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from bot.corpus.models import Essay, QuoteSpan
from bot.search.manifest import TOKEN_FILE, Manifest, StaleIndexError, verify_checksums
from bot.search.snapshot import CorpusSnapshot, PassageColumns

log = logging.getLogger(__name__)

CORPUS = "corpus"  # the folder of a generation holding the snapshot's columns
_ORDER = "order"
_META = f"{CORPUS}/meta.json"


def snapshot_file_names() -> list[str]:
    """Every file :func:`write_snapshot_files` writes, relative to the generation folder."""
    return [f"{CORPUS}/{name}.npy" for name in (*PassageColumns.ARRAYS, _ORDER)] + [_META]


def write_snapshot_files(folder: Path, snap: CorpusSnapshot) -> None:
    """Save the passage columns of ``snap`` into a generation being written (``folder``)."""
    columns = snap.passages.columns
    (folder / CORPUS).mkdir()
    for name in PassageColumns.ARRAYS:
        np.save(folder / CORPUS / f"{name}.npy", np.ascontiguousarray(getattr(columns, name)))
    np.save(folder / CORPUS / f"{_ORDER}.npy", np.ascontiguousarray(snap.row_of.order, dtype=np.int64))
    meta = {
        "essay_ids": columns.essay_ids,
        "sections": columns.sections,
        "texts": {str(row): text for row, text in columns.texts.items()},
    }
    (folder / _META).write_text(json.dumps(meta))


def stamp(folder: Path, token: str) -> None:
    """Record that generation ``folder`` indexes the database corpus whose token is ``token``."""
    tmp = folder / f"{TOKEN_FILE}.tmp"
    tmp.write_text(token)
    tmp.replace(folder / TOKEN_FILE)


def read_snapshot(
    folder: Path,
    manifest: Manifest,
    token: str,
    essays: list[Essay],
    quote_spans: dict[str, list[QuoteSpan]],
) -> CorpusSnapshot | None:
    """The snapshot saved in generation ``folder`` if it was stamped with ``token``, else None.

    ``essays`` and ``quote_spans`` are the active corpus's as read from the database with that
    token. The columns' checksums are verified first (they are read whole, and a damaged column
    would attribute a passage to the wrong essay), and the columns must fit ``essays``.
    """
    try:
        if (folder / TOKEN_FILE).read_text() != token:
            return None
    except OSError:
        return None
    names = snapshot_file_names()
    if not set(names) <= set(manifest.checksums or {}):
        return None
    try:
        verify_checksums(folder, manifest, names)
        meta = json.loads((folder / _META).read_text())
        arrays = {n: _mapped(folder / CORPUS / f"{n}.npy") for n in PassageColumns.ARRAYS}
        order = _mapped(folder / CORPUS / f"{_ORDER}.npy")
        columns = PassageColumns(
            essay_ids=[str(e) for e in meta["essay_ids"]],
            sections=list(meta["sections"]),
            texts={int(row): str(text) for row, text in meta["texts"].items()},
            **arrays,
        )
    except (OSError, ValueError, KeyError, TypeError, StaleIndexError) as exc:
        log.warning("index generation %d: its saved corpus is unreadable (%s)", manifest.generation, exc)
        return None
    problem = _misfit(columns, order, essays, manifest)
    if problem:
        log.warning("index generation %d: saved corpus unlike the database: %s", manifest.generation, problem)
        return None
    snap = CorpusSnapshot(essays, columns, quote_spans, order=order, corpus_hash=manifest.corpus_hash)
    snap.token, snap.from_generation = token, True
    return snap


def _mapped(path: Path) -> np.ndarray:
    """A column file mapped read-only, as a plain array over the mapping.

    ``np.memmap`` indexes through Python code (``__getitem__``, ``__array_finalize__``): at a question's
    thousands of single-row reads that cost about 2 ms. The plain view reads the same pages and keeps
    the mapping alive through its ``base``.
    """
    mapped: np.ndarray = np.load(path, mmap_mode="r")
    return mapped.view(np.ndarray)


def _misfit(columns: PassageColumns, order: np.ndarray, essays: list[Essay], manifest: Manifest) -> str:
    """What makes ``columns`` unusable with ``essays`` ("" when nothing does)."""
    n = len(columns.ids)
    if n != manifest.passage_count or any(len(getattr(columns, a)) != n for a in PassageColumns.ARRAYS):
        return "column lengths differ"
    if len(order) != n:
        return "sort order length differs"
    if columns.essay_ids != [e.id for e in essays]:
        return "not the same essays"
    if n == 0:
        return ""
    if columns.essay.min() < 0 or columns.essay.max() >= len(essays):
        return "essay index out of range"
    if columns.section.min() < 0 or columns.section.max() >= len(columns.sections):
        return "section index out of range"
    lengths = np.array([len(e.body) for e in essays], dtype=np.int64)
    start, end = columns.start, columns.end
    if (start < 0).any() or (end < start).any() or (end > lengths[columns.essay]).any():
        return "offsets outside their essay"
    return ""
