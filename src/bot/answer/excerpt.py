"""Excerpts for display: the matched words whole and highlighted, with as much context as fits.

Context is trimmed at sentence boundaries when whole sentences fit, otherwise at word boundaries, and
every cut is shown with "…". The ellipses are part of ``Excerpt.text`` and highlight offsets account for
them, so renderers never need to recompute anything. Offsets are str indices (code points), so
multi-byte characters are never split.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

ELLIPSIS = "…"
# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets) and then whitespace.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")


@dataclass(frozen=True)
class Excerpt:
    """Display text with highlight ranges (offsets into ``text``)."""

    text: str
    highlights: tuple[tuple[int, int], ...]
    prefix_ellipsis: bool = False
    suffix_ellipsis: bool = False


def _word_cut_back(text: str, limit: int, floor: int) -> int:
    """The last word boundary at or before ``limit`` (not before ``floor``)."""
    if limit >= len(text) or text[limit].isspace() or text[limit - 1].isspace():
        return limit
    cut = text.rfind(" ", floor, limit)
    return cut if cut != -1 else floor


def _word_cut_forward(text: str, limit: int, ceiling: int) -> int:
    """The first word boundary at or after ``limit`` (not after ``ceiling``)."""
    if limit <= 0 or limit >= len(text) or text[limit - 1].isspace() or text[limit].isspace():
        return limit
    cut = text.find(" ", limit, ceiling)
    return cut + 1 if cut != -1 else ceiling


def _build(context: str, left: int, right: int, ms: int, me: int) -> Excerpt:
    while left < ms and context[left].isspace():
        left += 1
    while right > me and context[right - 1].isspace():
        right -= 1
    prefix = left > 0 and bool(context[:left].strip())
    suffix = right < len(context) and bool(context[right:].strip())
    lead = ELLIPSIS if prefix else ""
    text = lead + context[left:right] + (ELLIPSIS if suffix else "")
    highlight = (len(lead) + ms - left, len(lead) + me - left)
    return Excerpt(text, (highlight,) if me > ms else (), prefix, suffix)


def make_excerpt(
    context: str, context_start: int, match_start: int, match_end: int, max_chars: int = 600
) -> Excerpt:
    """Excerpt of ``context`` (a paragraph starting at body offset ``context_start``) around a match.

    ``match_start``/``match_end`` are body offsets. The match is kept whole unless it alone is longer
    than ``max_chars``, in which case it is cut at a word boundary and marked with "…". The result is
    never longer than ``max_chars`` characters, ellipses included (for ``max_chars`` of at least 10).
    """
    if match_end < match_start:
        raise ValueError("match_end before match_start")
    ms = min(max(match_start - context_start, 0), len(context))
    me = min(max(match_end - context_start, ms), len(context))
    budget = max(max_chars, 10) - 2  # room for an ellipsis on each side
    if me - ms > budget:
        cut = _word_cut_back(context, ms + budget, ms)
        cut = cut if cut > ms else ms + budget  # one enormous "word": cut it where it must be
        cut = max(ms + 1, len(context[:cut].rstrip()))
        return _build(context, ms, cut, ms, cut)
    # Whole sentences first: the one holding the match, then neighbours while they fit.
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(context)]
    ends = [m.end() for m in _SENTENCE_END.finditer(context)] + [len(context)]
    left = max(s for s in starts if s <= ms)
    right = min(e for e in ends if e >= me)
    if right - left <= budget:
        grew = True
        while grew:
            grew = False
            before = [s for s in starts if s < left]
            if before and right - before[-1] <= budget:
                left, grew = before[-1], True
            after = [e for e in ends if e > right]
            if after and after[0] - left <= budget:
                right, grew = after[0], True
        return _build(context, left, right, ms, me)
    # The sentence is too long: share the spare room between both sides, cut at word boundaries.
    spare = budget - (me - ms)
    left = max(0, ms - spare // 2)
    right = min(len(context), me + spare - (ms - left))
    left = max(0, ms - (spare - (right - me)))
    return _build(context, _word_cut_forward(context, left, ms), _word_cut_back(context, right, me), ms, me)


def render_markdown(ex: Excerpt, escape: Callable[[str], str]) -> str:
    """Markdown with ``**bold**`` highlights; everything else goes through ``escape``."""
    out: list[str] = []
    pos = 0
    for a, b in sorted(ex.highlights):
        a, b = max(a, pos), max(b, pos)
        # Markdown ignores "** word**": keep edge whitespace outside the markers.
        while a < b and ex.text[a].isspace():
            a += 1
        while b > a and ex.text[b - 1].isspace():
            b -= 1
        out.append(escape(ex.text[pos:a]))
        if b > a:
            out.append("**" + escape(ex.text[a:b]) + "**")
        pos = b
    out.append(escape(ex.text[pos:]))
    return "".join(out)
