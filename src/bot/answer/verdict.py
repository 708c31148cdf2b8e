"""Misquote verdicts: is the user's quotation exact, nearly right, or only a paraphrase of the original?

Matching happens on normalised text (curly/straight quotes, dashes, case and whitespace folded, see
``bot.textnorm``) but every offset and every word shown to the user comes from the original text.
Words are the normalised ``[\\w']+`` tokens of ``textnorm``, so punctuation never counts as a change.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal, Protocol

from rapidfuzz import fuzz

from bot.textnorm import normalize, normalize_with_map

Verdict = Literal["exact", "near", "paraphrase", "not_found"]
DiffKind = Literal["equal", "replace", "insert", "delete"]

# "near" needs a quotation of at least this many words: a two-word "quote" with one word changed is
# a different phrase, not a misquote.
NEAR_MIN_WORDS = 4
# ...and at most this share of words changed (replaced, dropped or added, counted on the longer side).
NEAR_MAX_CHANGED = 0.25
# ...and at least this similarity (rapidfuzz ``fuzz.ratio`` of the two word sequences, 0-100).
NEAR_MIN_SIMILARITY = 75.0
# Words of context added on each side of the character-level alignment before the word-level pass,
# as a share of the query length (at least 2), so dropped or added words are still inside the window.
WINDOW_SLACK = 0.5
# At most this many changes are spelled out by ``diff_summary``; the rest become "and N more".
SUMMARY_MAX_CHANGES = 3
SUMMARY_MAX_WORDS = 6  # longer inserted/dropped runs are shortened with "…"

_TOKEN = re.compile(r"[\w']+")


@dataclass
class DiffOp:
    """One word-level operation turning the user's words into the original's (difflib semantics)."""

    op: DiffKind
    user: str  # the user's words, as they typed them
    original: str  # the original's words, exactly as printed (for display: "miltarised")


class DiffLike(Protocol):
    """Anything shaped like a diff operation (``DiffOp`` or the answer layer's ``DiffEntry``)."""

    @property
    def op(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def original(self) -> str: ...


@dataclass(frozen=True)
class _Tok:
    norm: str
    start: int  # offsets into the original text
    end: int


@functools.lru_cache(maxsize=512)  # bounded: a 2,000-character query tokenises to about 40 KB
def _tokens(text: str) -> tuple[_Tok, ...]:
    """Normalised word tokens with the original offsets they came from."""
    norm, offsets = normalize_with_map(text)
    # Cached: the verifier aligns one claim with several passages, and popular passages recur.
    return tuple(_Tok(m.group(), offsets[m.start()], offsets[m.end() - 1] + 1) for m in _TOKEN.finditer(norm))


def _slice(text: str, toks: Sequence[_Tok], i: int, j: int) -> str:
    return text[toks[i].start : toks[j - 1].end] if j > i else ""


def _ops(user: str, ut: Sequence[_Tok], original: str, ot: Sequence[_Tok]) -> list[DiffOp]:
    matcher = SequenceMatcher(None, [t.norm for t in ut], [t.norm for t in ot], autojunk=False)
    return [
        DiffOp(tag, _slice(user, ut, i1, i2), _slice(original, ot, j1, j2))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


def word_diff(user_text: str, original_text: str) -> list[DiffOp]:
    """Word-level diff of the user's words against the original, reporting the original's own words."""
    return _ops(user_text, _tokens(user_text), original_text, _tokens(original_text))


def _shorten(words: str) -> str:
    parts = words.split()
    return words if len(parts) <= SUMMARY_MAX_WORDS else " ".join(parts[:SUMMARY_MAX_WORDS]) + " …"


def diff_summary(ops: Sequence[DiffLike]) -> str:
    """A short human line, e.g. ``the original says “waged” where you wrote “fought”; adds “given”``."""
    parts: list[str] = []
    for op in ops:
        if op.op == "replace":
            parts.append(f"says “{_shorten(op.original)}” where you wrote “{_shorten(op.user)}”")
        elif op.op == "insert":
            parts.append(f"adds “{_shorten(op.original)}”")
        elif op.op == "delete":
            parts.append(f"does not have “{_shorten(op.user)}”")
    if not parts:
        return "the wording matches the original"
    more = len(parts) - SUMMARY_MAX_CHANGES
    return (
        "the original " + "; ".join(parts[:SUMMARY_MAX_CHANGES]) + (f"; and {more} more" if more > 0 else "")
    )


def _similarity(a: Sequence[_Tok], b: Sequence[_Tok]) -> float:
    return float(fuzz.ratio(" ".join(t.norm for t in a), " ".join(t.norm for t in b)))


def _align(qt: Sequence[_Tok], tt: Sequence[_Tok]) -> tuple[int, int, float]:
    """Token range ``[i, j)`` of ``tt`` best matching the query tokens, and its similarity."""
    if not qt or not tt:
        return 0, 0, 0.0
    rough = fuzz.partial_ratio_alignment(" ".join(t.norm for t in qt), " ".join(t.norm for t in tt))
    # Character positions in the joined token string back to token indices.
    if rough is None:
        return 0, 0, 0.0
    starts: list[int] = []
    pos = 0
    for t in tt:
        starts.append(pos)
        pos += len(t.norm) + 1
    first = max(0, sum(1 for s in starts if s <= rough.dest_start) - 1)
    last = max(first + 1, sum(1 for s in starts if s < rough.dest_end))
    slack = max(2, int(len(qt) * WINDOW_SLACK))
    lo, hi = max(0, first - slack), min(len(tt), last + slack)
    # A word-level pass inside the window: the span runs from the first to the last matched word.
    matcher = SequenceMatcher(None, [t.norm for t in qt], [t.norm for t in tt[lo:hi]], autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    if not blocks:
        return first, last, _similarity(qt, tt[first:last])
    i, j = lo + blocks[0].b, lo + blocks[-1].b + blocks[-1].size
    # Unmatched query words at an edge may be replaced words ("fought a heroic" for "waged a heroic")
    # or words the user added; take the neighbouring original words only when that scores better.
    wider_i = i - min(blocks[0].a, i - lo)
    wider_j = j + min(len(qt) - (blocks[-1].a + blocks[-1].size), hi - j)
    candidates = [(a, b) for a in (i, wider_i) for b in (j, wider_j)]
    return max(((a, b, _similarity(qt, tt[a:b])) for a, b in candidates), key=lambda c: (c[2], c[0] - c[1]))


def best_alignment(query: str, text: str) -> tuple[int, int, float]:
    """The span of ``text`` (original offsets, whole words) best matching ``query``, and similarity 0-100."""
    tt = _tokens(text)
    i, j, score = _align(_tokens(query), tt)
    if j <= i:
        return 0, 0, 0.0
    return tt[i].start, tt[j - 1].end, score


def _exact(qt: Sequence[_Tok], tt: Sequence[_Tok]) -> tuple[int, int] | None:
    """Token range where the query's words occur verbatim, in order (punctuation ignored)."""
    q = [t.norm for t in qt]
    for i in range(len(tt) - len(q) + 1):
        if all(tt[i + k].norm == w for k, w in enumerate(q)):
            return i, i + len(q)
    return None


def classify(query: str, text: str) -> tuple[Verdict, int, int, list[DiffOp]]:
    """Verdict for the user's ``query`` against an original ``text``, the matched span, and the word diff.

    * ``exact``: the query's words occur verbatim in the text, at word boundaries (case, quote and
      dash style, whitespace and punctuation ignored);
    * ``near``: at least ``NEAR_MIN_WORDS`` words, at most ``NEAR_MAX_CHANGED`` of them changed, and
      similarity of at least ``NEAR_MIN_SIMILARITY``;
    * ``paraphrase``: anything else with words on both sides (retrieval decides whether it is a match);
    * ``not_found``: the query or the text has no words at all.
    """
    qt, tt = _tokens(query), _tokens(text)
    if not qt or not tt:
        return "not_found", 0, 0, []
    if (hit := _exact(qt, tt)) is not None:
        i, j = hit
        return "exact", tt[i].start, tt[j - 1].end, _ops(query, qt, text, tt[i:j])
    i, j, score = _align(qt, tt)
    if j <= i:
        return "paraphrase", 0, 0, []
    ops = _ops(query, qt, text, tt[i:j])
    matched = sum(len(_TOKEN.findall(normalize(op.user))) for op in ops if op.op == "equal")
    changed = 1 - matched / max(len(qt), j - i)
    near = len(qt) >= NEAR_MIN_WORDS and changed <= NEAR_MAX_CHANGED and score >= NEAR_MIN_SIMILARITY
    return ("near" if near else "paraphrase"), tt[i].start, tt[j - 1].end, ops
