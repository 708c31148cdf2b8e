"""Exact and near-exact phrase matching on normalised text, mapped back to original offsets.

Quotes, dashes, case and whitespace are folded before comparing, so a quote typed with straight
apostrophes still matches the essay's curly ones; every match is reported in original body offsets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.textnorm import normalize, normalize_with_map

# A near quote must align this well (rapidfuzz partial ratio, 0-100) with a stretch of the essay...
NEAR_MIN_ALIGNMENT = 84.0
# ...and be long enough that the alignment means something.
NEAR_MIN_WORDS = 4
EXACT_MIN_CHARS = 12


@dataclass(frozen=True)
class Span:
    """A stretch of text: a paragraph whose normalised text we search."""

    key: int  # caller's identifier for the span (a paragraph row)
    start: int  # body offset where ``text`` starts
    text: str


@dataclass(frozen=True)
class PhraseMatch:
    """Where the query's words stand in a span, in body offsets, and how well they align (0-100)."""

    key: int
    start: int
    end: int
    score: float
    exact: bool


class PhraseMatcher:
    """Searches a fixed set of spans for a query's words, exactly or approximately."""

    def __init__(self, spans: Sequence[Span]):
        self._spans = list(spans)
        self._norm: list[str] = []
        self._maps: list[list[int]] = []
        for span in self._spans:
            norm, mapping = normalize_with_map(span.text)
            self._norm.append(norm)
            self._maps.append(mapping)

    def _to_body(self, row: int, n_start: int, n_end: int) -> tuple[int, int]:
        mapping = self._maps[row]
        text = self._spans[row].text
        end = mapping[n_end - 1] + 1
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1  # keep a decomposed accent with its letter
        base = self._spans[row].start
        return base + mapping[n_start], base + end

    def exact(self, query: str) -> list[PhraseMatch]:
        """Every occurrence of the normalised query, on word boundaries, in every span."""
        needle = normalize(query).strip(" \"'.,;:!?")
        if len(needle) < EXACT_MIN_CHARS:
            return []
        pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")
        found: list[PhraseMatch] = []
        for row, norm in enumerate(self._norm):
            if needle not in norm:  # cheap pre-check before the regex
                continue
            for m in pattern.finditer(norm):
                start, end = self._to_body(row, m.start(), m.end())
                found.append(PhraseMatch(self._spans[row].key, start, end, 100.0, True))
        return found

    def near(self, query: str, rows: Iterable[int]) -> list[PhraseMatch]:
        """Best approximate alignment of the query inside each of ``rows`` that aligns well enough."""
        needle = normalize(query).strip(" \"'.,;:!?")
        if len(needle.split()) < NEAR_MIN_WORDS:
            return []
        found: list[PhraseMatch] = []
        for row in rows:
            norm = self._norm[row]
            if not norm:
                continue
            al = fuzz.partial_ratio_alignment(needle, norm, score_cutoff=NEAR_MIN_ALIGNMENT)
            if al is None:
                continue
            n_start, n_end = _widen_to_words(norm, al.dest_start, al.dest_end)
            start, end = self._to_body(row, n_start, n_end)
            found.append(PhraseMatch(self._spans[row].key, start, end, float(al.score), False))
        found.sort(key=lambda m: -m.score)
        return found


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow [start, end) so it neither starts nor ends inside a word."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    return start, max(end, start + 1)
