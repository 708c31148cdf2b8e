"""An in-memory, read-only view of the active corpus, shaped for retrieval.

Only sentence passages are searchable (headings label sections but are never an answer). Rows are
shared by every index: row ``i`` is passage ``i`` in the dense and keyword indexes alike.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

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


class CorpusSnapshot:
    """Essays, searchable passages and paragraphs, with row numbers shared by every index."""

    def __init__(
        self,
        essays: Iterable[Essay],
        passages: Iterable[Passage],
        quote_spans: dict[str, list[QuoteSpan]] | None = None,
    ):
        self.essays: dict[str, Essay] = {e.id: e for e in essays}
        self.passages: list[Passage] = [
            p for p in passages if p.kind == "sentence" and p.essay_id in self.essays
        ]
        self.quote_spans = quote_spans or {}
        self.row_of: dict[str, int] = {p.id: i for i, p in enumerate(self.passages)}
        self.paragraphs: list[Paragraph] = []
        self.paragraph_of: list[int] = []
        current: list[int] = []
        for row, p in enumerate(self.passages):
            if current and (self.passages[current[0]].essay_id, self.passages[current[0]].paragraph) != (
                p.essay_id,
                p.paragraph,
            ):
                self._close_paragraph(current)
                current = []
            current.append(row)
        if current:
            self._close_paragraph(current)

    def _close_paragraph(self, rows: list[int]) -> None:
        first, last = self.passages[rows[0]], self.passages[rows[-1]]
        self.paragraphs.append(Paragraph(first.essay_id, first.paragraph, first.start, last.end, tuple(rows)))
        self.paragraph_of.extend([len(self.paragraphs) - 1] * len(rows))

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
        rows = self.paragraphs[self.paragraph_of[row]].rows
        i = rows.index(row)
        lo, hi = rows[max(0, i - radius)], rows[min(len(rows) - 1, i + radius)]
        return self.passages[lo].start, self.passages[hi].end

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
        rows: dict[str, list[int]] = {}
        for i, p in enumerate(self.passages):
            rows.setdefault(p.essay_id, []).append(i)
        return {e: np.asarray(r, dtype=np.int64) for e, r in rows.items()}

    @functools.cached_property
    def paragraph_array(self) -> npt.NDArray[np.int64]:
        """``paragraph_of`` as an array, for vectorised lookups."""
        return np.asarray(self.paragraph_of, dtype=np.int64)

    @property
    def corpus_hash(self) -> str:
        """Identity of what the dense index embeds: passage ids and texts, in row order."""
        h = hashlib.sha256()
        for p in self.passages:
            h.update(p.id.encode())
            h.update(b"\x1f")
            h.update(p.text.encode())
            h.update(b"\x1f")
            h.update(b"\x1e")
        return h.hexdigest()


class ActiveCorpus(Protocol):
    """What a snapshot reads from the store (``store.repo.CorpusRepository``, which sits above search)."""

    def active_essays(self) -> list[Essay]: ...
    def active_passages(self) -> list[Passage]: ...
    def quote_spans(self) -> dict[str, list[QuoteSpan]]: ...


def snapshot_of(repo: ActiveCorpus) -> CorpusSnapshot:
    """The active corpus as the database holds it."""
    return CorpusSnapshot(repo.active_essays(), repo.active_passages(), repo.quote_spans())
