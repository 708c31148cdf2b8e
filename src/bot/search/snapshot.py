"""An in-memory, read-only view of the active corpus, shaped for retrieval.

Only sentence passages are searchable (headings label sections but are never an answer). Rows are
shared by every index: row ``i`` is passage ``i`` in the dense and keyword indexes alike.

Passages and paragraphs are held as numpy columns, not as Python objects: a snapshot of a large
library would otherwise cost more memory than its vectors (see ``bench/memory.py``).
"""

from __future__ import annotations

import functools
import hashlib
import operator
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, overload

import numpy as np
import numpy.typing as npt

from bot.corpus.models import Essay, EssayMeta, Passage, QuoteSpan

WINDOW_RADIUS = 1  # sentences on each side of a passage when judging where a claim stands


@dataclass(frozen=True)
class Paragraph:
    """A kept block of an essay: its body span and the searchable passages (rows) inside it."""

    essay_id: str
    number: int
    start: int
    end: int
    rows: tuple[int, ...]


@dataclass(frozen=True)
class PassageColumns:
    """A snapshot's searchable passages as numpy columns, row by row, and what the columns index.

    ``essay`` indexes ``essay_ids`` (the snapshot's essays, in order) and ``section`` indexes
    ``sections``; ``texts`` holds the rare row whose stored text differs from its body slice. These
    are what an index generation saves (:mod:`bot.search.snapshot_files`).
    """

    essay_ids: list[str]
    sections: list[str | None]
    texts: dict[int, str]
    ids: npt.NDArray[np.bytes_]
    essay: npt.NDArray[np.int64]
    seq: npt.NDArray[np.int64]
    paragraph: npt.NDArray[np.int64]
    section: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]

    ARRAYS = ("ids", "essay", "seq", "paragraph", "section", "start", "end")

    @classmethod
    def of(cls, essays: dict[str, Essay], passages: Iterable[Passage]) -> PassageColumns:
        """The columns of ``passages`` that are sentences of one of ``essays``."""
        essay_ids = list(essays)
        essay_index = {e: i for i, e in enumerate(essay_ids)}
        sections: list[str | None] = [None]
        section_index: dict[str | None, int] = {None: 0}
        ids: list[bytes] = []
        columns = [array("q") for _ in range(6)]  # essay, seq, paragraph, section, start, end
        texts: dict[int, str] = {}
        for p in passages:
            if p.kind != "sentence" or p.essay_id not in essay_index:
                continue
            if p.section not in section_index:
                section_index[p.section] = len(sections)
                sections.append(p.section)
            if essays[p.essay_id].body[p.start : p.end] != p.text:
                texts[len(ids)] = p.text
            ids.append(p.id.encode())
            values = (essay_index[p.essay_id], p.seq, p.paragraph, section_index[p.section], p.start, p.end)
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        essay, seq, paragraph, section, start, end = (np.frombuffer(c, dtype=np.int64) for c in columns)
        id_array = np.array(ids, dtype=bytes) if ids else np.zeros(0, dtype="S1")
        return cls(essay_ids, sections, texts, id_array, essay, seq, paragraph, section, start, end)


class PassageTable(Sequence[Passage]):
    """The snapshot's passages as columns of numbers; a :class:`Passage` is built when one is read.

    A library of a million passages held as Passage objects costs over a kilobyte each; as columns it
    costs about 40 bytes each. The text is not copied: a passage's text is its essay's
    ``body[start:end]`` (kept apart only for a row where the stored text differs from that slice).
    """

    def __init__(self, essays: dict[str, Essay], columns: PassageColumns):
        self._essays = essays
        self._essay_ids = columns.essay_ids
        self._sections = columns.sections
        self._texts = columns.texts
        self.columns = columns
        self.ids: npt.NDArray[np.bytes_] = columns.ids
        self.essay: npt.NDArray[np.int64] = columns.essay  # index into the snapshot's essays, in order
        self.seq, self.paragraph, self._section = columns.seq, columns.paragraph, columns.section
        self.start: npt.NDArray[np.int64] = columns.start
        self.end: npt.NDArray[np.int64] = columns.end

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, row: int) -> Passage: ...
    @overload
    def __getitem__(self, row: slice) -> list[Passage]: ...
    def __getitem__(self, row: int | slice) -> Passage | list[Passage]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        i = operator.index(row)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("passage row out of range")
        return Passage(
            id=self.id(i),
            essay_id=self.essay_id(i),
            seq=int(self.seq[i]),
            paragraph=int(self.paragraph[i]),
            section=self._sections[self._section[i]],
            start=int(self.start[i]),
            end=int(self.end[i]),
            text=self.text(i),
        )

    def __iter__(self) -> Iterator[Passage]:
        return (self[i] for i in range(len(self)))

    def id(self, row: int) -> str:
        """Passage id of a row."""
        return bytes(self.ids[row]).decode()

    def essay_id(self, row: int) -> str:
        """Essay id of a row."""
        return self._essay_ids[int(self.essay[row])]

    def text(self, row: int) -> str:
        """Text of a row (read from its essay's body)."""
        if row in self._texts:
            return self._texts[row]
        return self._essays[self.essay_id(row)].body[self.start[row] : self.end[row]]


class RowIndex(Mapping[str, int]):
    """Passage id -> row, over the sorted id column (no dictionary of a million strings).

    ``order`` is the ids' stable argsort: the rows in the order of their sorted ids.
    """

    def __init__(self, ids: npt.NDArray[np.bytes_], order: npt.NDArray[np.int64] | None = None):
        # ``order`` (the ids' stable argsort) when it was saved: sorting a million ids takes a while.
        self.order = np.argsort(ids, kind="stable") if order is None else order
        self._sorted = ids[self.order]
        self._ids = ids

    def __getitem__(self, passage_id: str) -> int:
        key = passage_id.encode()
        i = int(np.searchsorted(self._sorted, key))
        if i < len(self._sorted) and self._sorted[i] == key:
            return int(self.order[i])
        raise KeyError(passage_id)

    def __iter__(self) -> Iterator[str]:
        return (bytes(i).decode() for i in self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class _IntColumn(Sequence[int]):
    """A read-only int64 column that hands out plain ints (they end up in logs and JSON)."""

    def __init__(self, values: npt.NDArray[np.int64]):
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> list[int]: ...
    def __getitem__(self, i: int | slice) -> int | list[int]:
        if isinstance(i, slice):
            return [int(v) for v in self.values[i]]
        return int(self.values[i])


class _Paragraphs(Sequence[Paragraph]):
    """The snapshot's paragraphs as columns: first and last row, body span."""

    def __init__(self, table: PassageTable):
        n = len(table)
        # A paragraph starts where the (essay, paragraph number) pair changes from the previous row.
        starts = np.flatnonzero(
            np.r_[True, (table.essay[1:] != table.essay[:-1]) | (table.paragraph[1:] != table.paragraph[:-1])]
            if n
            else np.zeros(0, dtype=bool)
        )
        self._table = table
        self.first = starts.astype(np.int64)
        self.stop = np.r_[starts[1:], n].astype(np.int64) if n else np.zeros(0, dtype=np.int64)
        self.of_row = np.repeat(np.arange(len(starts), dtype=np.int64), self.stop - self.first)

    def __len__(self) -> int:
        return len(self.first)

    @overload
    def __getitem__(self, i: int) -> Paragraph: ...
    @overload
    def __getitem__(self, i: slice) -> list[Paragraph]: ...
    def __getitem__(self, i: int | slice) -> Paragraph | list[Paragraph]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        first, stop = int(self.first[i]), int(self.stop[i])
        t = self._table
        return Paragraph(
            t.essay_id(first),
            int(t.paragraph[first]),
            int(t.start[first]),
            int(t.end[stop - 1]),
            tuple(range(first, stop)),
        )


class CorpusSnapshot:
    """Essays, searchable passages and paragraphs, with row numbers shared by every index."""

    def __init__(
        self,
        essays: Iterable[Essay],
        passages: Iterable[Passage] | PassageColumns,
        quote_spans: dict[str, list[QuoteSpan]] | None = None,
        *,
        order: npt.NDArray[np.int64] | None = None,
        corpus_hash: str | None = None,
    ):
        """A snapshot of ``essays`` and their ``passages`` (or their columns, as a generation saved them).

        ``order`` and ``corpus_hash``, when known (saved with the columns), spare sorting the ids and
        hashing every passage.
        """
        self.essays: dict[str, Essay] = {e.id: e for e in essays}
        columns = (
            passages if isinstance(passages, PassageColumns) else PassageColumns.of(self.essays, passages)
        )
        self.passages = PassageTable(self.essays, columns)
        self.quote_spans = quote_spans or {}
        self.row_of = RowIndex(self.passages.ids, order)
        self.paragraphs = _Paragraphs(self.passages)
        self.paragraph_of = _IntColumn(self.paragraphs.of_row)
        self._corpus_hash = corpus_hash
        # The database's corpus token as of this snapshot (None when unknown, or when the corpus
        # changed while it was read): what a generation built from it is stamped with.
        self.token: str | None = None
        # Whether the passages were read from an index generation's saved columns (not the database).
        self.from_generation = False

    def __len__(self) -> int:
        return len(self.passages)

    def meta(self, essay_id: str) -> EssayMeta:
        """Metadata of an essay in the snapshot."""
        return self.essays[essay_id].meta

    def body_text(self, essay_id: str, start: int, end: int) -> str:
        """The exact original text of a span."""
        return self.essays[essay_id].body[start:end]

    def paragraph_text(self, prow: int) -> str:
        """Original text of a paragraph, from its first to its last sentence."""
        para = self.paragraphs[prow]
        return self.body_text(para.essay_id, para.start, para.end)

    def window_span(self, row: int, radius: int = WINDOW_RADIUS) -> tuple[int, int]:
        """Body span of a passage and its neighbours within the same paragraph."""
        p = self.paragraph_of[row]
        first, stop = int(self.paragraphs.first[p]), int(self.paragraphs.stop[p])
        lo, hi = max(first, row - radius), min(stop - 1, row + radius)
        return int(self.passages.start[lo]), int(self.passages.end[hi])

    def rows_for_essays(self, essay_ids: set[str]) -> list[int]:
        """Rows of the passages that belong to the given essays, ascending."""
        return [int(r) for r in self.row_array(essay_ids)]

    def row_array(self, essay_ids: Iterable[str]) -> npt.NDArray[np.int64]:
        """Rows of the given essays' passages as a sorted array (cost follows those essays' size)."""
        parts = [self._essay_rows.get(e) for e in set(essay_ids)]
        found = [p for p in parts if p is not None]
        if not found:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate(found)) if len(found) > 1 else found[0]

    @functools.cached_property
    def _essay_rows(self) -> dict[str, npt.NDArray[np.int64]]:
        order = np.argsort(self.passages.essay, kind="stable")
        bounds = np.flatnonzero(np.diff(self.passages.essay[order])) + 1
        return {
            self.passages.essay_id(int(rows[0])): rows.astype(np.int64)
            for rows in np.split(order, bounds)
            if len(rows)
        }

    @property
    def paragraph_array(self) -> npt.NDArray[np.int64]:
        """``paragraph_of`` as an array, for vectorised lookups."""
        return self.paragraphs.of_row

    @property
    def corpus_hash(self) -> str:
        """Identity of what the dense index embeds: passage ids and texts, in row order."""
        if self._corpus_hash is None:
            self._corpus_hash = self._hash()
        return self._corpus_hash

    def _hash(self) -> str:
        h = hashlib.sha256()
        table = self.passages
        bodies = [self.essays[e].body for e in table.columns.essay_ids]
        # The columns as lists, not row by row through the table: a million rows, maybe memory-mapped.
        columns = (table.ids.tolist(), table.essay.tolist(), table.start.tolist(), table.end.tolist())
        for row, (pid, essay, start, end) in enumerate(zip(*columns, strict=True)):
            text = table.columns.texts.get(row)
            h.update(pid)
            h.update(b"\x1f")
            h.update((bodies[essay][start:end] if text is None else text).encode())
            h.update(b"\x1f")
            h.update(b"\x1e")
        return h.hexdigest()


class ActiveCorpus(Protocol):
    """What a snapshot reads from the store (``store.repo.CorpusRepository``, which sits above search)."""

    def active_essays(self) -> list[Essay]: ...
    def iter_active_passages(self) -> Iterator[Passage]: ...
    def quote_spans(self) -> dict[str, list[QuoteSpan]]: ...
    def corpus_token(self) -> str | None: ...


def snapshot_of(repo: ActiveCorpus) -> CorpusSnapshot:
    """The active corpus as the database holds it, with its corpus token when it held still meanwhile."""
    token = repo.corpus_token()
    snap = CorpusSnapshot(repo.active_essays(), repo.iter_active_passages(), repo.quote_spans())
    # Reads outside one transaction may straddle a commit: a token is only kept if it did not move.
    snap.token = token if token is not None and repo.corpus_token() == token else None
    return snap
