"""Text normalisation for matching: quotes, dashes, case and whitespace.

Matching always happens on normalised text, but answers always quote the original. ``normalize_with_map``
therefore also returns, for each normalised character, the offset of the original character it came from.
"""

from __future__ import annotations

import re
import unicodedata

# Typographic variants people type differently from how essays print them.
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
# Zero-width and bidi control characters carry no meaning for matching.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")
_NON_SPACE = re.compile(r"\S+")
_SPACE_TO_DROP = re.compile(r"\s\s|\A\s|\s\Z")  # what collapsing or stripping whitespace removes
_WORD = re.compile(r"[\w']+")
# Outside these blocks (Latin to Arabic, and general punctuation), NFKC may compose two characters
# neither of which is a combining mark (Hangul jamo, Indic two-part vowels): only there does composing
# the whole text differ from composing each cluster, so only there the character loop is needed.
_NEEDS_CLUSTERS = re.compile("[^\u0000-\u08ff\u2000-\u206f]")
# The combining marks inside those blocks: each joins the cluster of the character before it.
_COMBINING = re.compile(
    "["
    + "".join(
        re.escape(chr(cp)) for cp in (*range(0x900), *range(0x2000, 0x2070)) if unicodedata.combining(chr(cp))
    )
    + "]"
)


def normalize(text: str) -> str:
    """Fold quotes, dashes, case, invisible characters and runs of whitespace.

    The same text as :func:`normalize_with_map` gives, computed on the whole string at once when no
    offsets are wanted: tokenising a large library for its keyword index is dominated by this call.
    """
    if _NEEDS_CLUSTERS.search(text):
        return normalize_with_map(text)[0]
    folded = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text).translate(_TRANSLATE)).casefold()
    return _SPACE.sub(" ", folded).strip(" ")


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` and map each output character back to its offset in ``text``.

    The mapping has one extra final entry (``len(text)``) so that an end offset maps too.
    """
    folded = _fold_char_by_char(text)
    if folded is None:
        return _normalize_with_map_by_cluster(text)
    # Every character folded to exactly one: offsets only move where whitespace runs collapse, so
    # the work goes word by word instead of character by character (phrase lookups map many long
    # paragraphs per question), or not at all where no run does. ``\s`` and ``str.isspace`` agree
    # on every code point.
    if not _SPACE_TO_DROP.search(folded):
        return _SPACE.sub(" ", folded), list(range(len(text) + 1))
    out: list[str] = []
    offsets: list[int] = []
    end = 0
    for word in _NON_SPACE.finditer(folded):
        if out:
            out.append(" ")
            offsets.append(end)  # a collapsed run maps to its first whitespace character
        out.append(word.group())
        offsets.extend(range(word.start(), word.end()))
        end = word.end()
    offsets.append(len(text))
    return "".join(out), offsets


def _fold_char_by_char(text: str) -> str | None:
    """``text`` folded, when each character folds to exactly one by itself; else None.

    Without combining marks, invisible characters or the scripts where NFKC composes neither of
    which is a mark (``_NEEDS_CLUSTERS``), every cluster is one character and folding the whole text
    is folding each character in turn. No character then folds to nothing, so an unchanged length
    means that none folded to several (``ß`` to ``ss``, ``ﬁ`` to ``fi``).
    """
    if _NEEDS_CLUSTERS.search(text) or _INVISIBLE.search(text) or _COMBINING.search(text):
        return None
    folded = unicodedata.normalize("NFKC", text.translate(_TRANSLATE)).casefold()
    return folded if len(folded) == len(text) else None


def _normalize_with_map_by_cluster(text: str) -> tuple[str, list[int]]:
    """:func:`normalize_with_map` for any text: cluster by cluster, character by character."""
    out: list[str] = []
    offsets: list[int] = []
    last_space = True  # strip leading whitespace
    for i, cluster in _clusters(text):
        folded = unicodedata.normalize("NFKC", cluster.translate(_TRANSLATE)).casefold()
        for c in folded:
            if c.isspace():
                if last_space:
                    continue
                c = " "
                last_space = True
            else:
                last_space = False
            out.append(c)
            offsets.append(i)
    while out and out[-1] == " ":
        out.pop()
        offsets.pop()
    offsets.append(len(text))
    return "".join(out), offsets


def _clusters(text: str) -> list[tuple[int, str]]:
    """A base character with the combining marks after it, so NFKC can compose them (e + ◌́ → é)."""
    clusters: list[tuple[int, str]] = []
    for i, ch in enumerate(text):
        if _INVISIBLE.match(ch):
            continue
        if clusters and unicodedata.combining(ch):
            start, base = clusters[-1]
            clusters[-1] = (start, base + ch)
        else:
            clusters.append((i, ch))
    return clusters


def words(text: str) -> list[str]:
    """Normalised word tokens (letters, digits and apostrophes)."""
    return _WORD.findall(normalize(text))


def collapse_spaces(text: str) -> str:
    """Collapse whitespace runs to one space, keeping case and punctuation (for display)."""
    return _SPACE.sub(" ", text).strip()
