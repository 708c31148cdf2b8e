"""Rows that quote a question verbatim: where each occurrence lands, and the best of them, proven.

An exact quote always ranks above paraphrases (:mod:`bot.search.hybrid`), and among exact quotes
the best fused score wins. A phrase may occur in thousands of paragraphs ("the working class"), and
placing an occurrence (mapping it to body offsets, then to the passage that holds it) is the costly
step, so :func:`best_exact` places only what it must: it walks the candidates best first and stops
once it holds ``k`` exact rows scoring above anything the candidates left out
(:class:`bot.search.candidates.Candidates`). Only when that proof fails is every occurrence placed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.search.candidates import SLACK, Candidates
from bot.search.phrase import Occurrences, PhraseMatch
from bot.search.snapshot import CorpusSnapshot


@dataclass(frozen=True)
class Placed:
    """A phrase match (exact or near) placed in a row, with the body span of the sentences it covers."""

    row: int
    match: PhraseMatch
    quote_start: int
    quote_end: int


class Placements:
    """The occurrences of one question placed in rows, a paragraph at a time, each paragraph once."""

    def __init__(self, snap: CorpusSnapshot, occurrences: Sequence[Occurrences]):
        self._snap = snap
        self._by_paragraph = {o.key: o for o in occurrences}
        self._placed: dict[int, dict[int, Placed]] = {}

    def __len__(self) -> int:
        return len(self._by_paragraph)

    @property
    def placed(self) -> int:
        """How many paragraphs have been placed so far (what a lookup paid for)."""
        return len(self._placed)

    def paragraph_of(self, row: int) -> int:
        """The paragraph of a row."""
        return int(self._snap.paragraphs.of_row[row])

    def holds(self, paragraph: int) -> bool:
        """Whether the paragraph holds an occurrence."""
        return paragraph in self._by_paragraph

    def in_paragraph(self, paragraph: int) -> dict[int, Placed]:
        """Each row of the paragraph that holds an occurrence, with the first occurrence it holds."""
        if paragraph not in self._placed:
            self._placed[paragraph] = place(self._snap, paragraph, self._by_paragraph[paragraph].matches())
        return self._placed[paragraph]

    def all(self) -> list[Placed]:
        """Every row holding an occurrence, in corpus order (the costly path: it places them all)."""
        return [p for key in sorted(self._by_paragraph) for p in self.in_paragraph(key).values()]


def place(snap: CorpusSnapshot, paragraph: int, matches: Iterable[PhraseMatch]) -> dict[int, Placed]:
    """Each row of ``paragraph`` holding one of ``matches`` (the first row a match starts in or runs
    into), with the first match it holds and the sentences that quote it."""
    # The paragraph's row offsets are read once for all its matches.
    first, stop = int(snap.paragraphs.first[paragraph]), int(snap.paragraphs.stop[paragraph])
    starts = np.asarray(snap.passages.start[first:stop])
    ends = np.asarray(snap.passages.end[first:stop])
    placed: dict[int, Placed] = {}
    for m in matches:
        inside = ((starts <= m.start) & (m.start < ends)) | ((m.start < starts) & (m.end > starts))
        hit = np.flatnonzero(inside)
        if not len(hit) or first + int(hit[0]) in placed:
            continue
        covered = (ends > m.start) & (starts < m.end)
        quote = (int(starts[covered].min()), int(ends[covered].max())) if covered.any() else (m.start, m.end)
        row = first + int(hit[0])
        placed[row] = Placed(row, m, *quote)
    return placed


def best_exact(c: Candidates, placements: Placements, k: int, per_paragraph: int) -> list[Placed] | None:
    """The ``k`` best exact rows by fused score (ties by row), at most ``per_paragraph`` a paragraph.

    Walks the fully scored candidates best first. Once ``k`` exact rows are found, every one scoring
    above ``c.ceiling`` (the most any row left out can score), they are the best ``k`` of the whole
    library. Returns None when the walk cannot prove that: the caller then places every occurrence.
    """
    if not len(placements):
        return None
    found: list[Placed] = []
    per: dict[int, int] = {}
    for row, fused in zip(c.scored.tolist(), c.scored_fused.tolist(), strict=True):
        if fused <= c.ceiling + SLACK:
            return None
        para = placements.paragraph_of(row)
        if not placements.holds(para) or per.get(para, 0) >= per_paragraph:
            continue
        placed = placements.in_paragraph(para).get(row)
        if placed is None:
            continue
        found.append(placed)
        per[para] = per.get(para, 0) + 1
        if len(found) == k:
            return found
    return None
