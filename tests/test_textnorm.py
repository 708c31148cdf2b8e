"""Text normalisation: what folds for matching, and how normalised offsets map back to the original."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.paths import seeds_dir
from bot.textnorm import (
    _NON_SPACE,
    _fold_char_by_char,
    _normalize_with_map_by_cluster,
    collapse_spaces,
    normalize,
    normalize_with_map,
    words,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("it\u2019s", "it's"),  # curly apostrophe
        ("\u2018quoted\u2019", "'quoted'"),
        ("\u201cGreat\u201d", '"great"'),  # curly double quotes and case
        ("\u00abguillemets\u00bb", '"guillemets"'),
        ("war \u2014 peace \u2013 war", "war - peace - war"),  # em and en dash
        ("minus\u2212sign", "minus-sign"),
        ("NATO Expansion", "nato expansion"),
        ("no\u00a0truce", "no truce"),  # no-break space
        ("thin\u2009space", "thin space"),
        ("zero\u200bwidth", "zerowidth"),
        ("soft\u00adhyphen", "softhyphen"),
        ("\ufeffbom", "bom"),
        ("rtl\u202eoverride", "rtloverride"),
        ("  many \n\t spaces  ", "many spaces"),
        ("\ufb01ne", "fine"),  # NFKC ligature
    ],
)
def test_normalize_folds(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_is_idempotent() -> None:
    raw = "  “Don’t” — STOP\u00a0the\u200b war…  "
    once = normalize(raw)
    assert normalize(once) == once


def _back(original: str, mapping: list[int], i: int, j: int) -> str:
    """The original text behind normalised characters ``i..j`` (exclusive), as the matchers do it."""
    return original[mapping[i] : mapping[j - 1] + 1]


def test_map_has_one_entry_per_char_plus_end() -> None:
    original = "A\u00a0\u00a0b\u200bc \u201cD\u201d"
    norm, mapping = normalize_with_map(original)
    assert norm == 'a bc "d"'
    assert len(mapping) == len(norm) + 1
    assert mapping[-1] == len(original)
    assert mapping == sorted(mapping)  # offsets never go backwards


def test_map_points_back_to_original_text() -> None:
    original = "Lead:  They said \u201cno truce in the\u00a0class war\u201d \u2014 didn\u2019t they?"
    norm, mapping = normalize_with_map(original)
    needle = '"no truce in the class war"'
    i = norm.index(needle)
    j = i + len(needle)
    assert _back(original, mapping, i, j) == "\u201cno truce in the\u00a0class war\u201d"
    k = norm.index("didn't")
    assert _back(original, mapping, k, k + len("didn't")) == "didn\u2019t"


def test_map_skips_invisible_characters_inside_a_word() -> None:
    original = "the inter\u200bnational brigades"
    norm, mapping = normalize_with_map(original)
    i = norm.index("international")
    span = _back(original, mapping, i, i + len("international"))
    assert span == "inter\u200bnational"  # the original keeps the invisible character inside the span


def test_map_strips_leading_and_trailing_whitespace() -> None:
    original = "\n\n  Hello   world \t\n"
    norm, mapping = normalize_with_map(original)
    assert norm == "hello world"
    assert original[mapping[0]] == "H"
    assert _back(original, mapping, 0, len(norm)) == "Hello   world"


def test_map_of_empty_and_blank_text() -> None:
    assert normalize_with_map("") == ("", [0])
    assert normalize_with_map(" \u200b\n") == ("", [3])


def test_words_and_collapse_spaces() -> None:
    assert words("Don\u2019t STOP\u2014now, 2022!") == ["don't", "stop", "now", "2022"]
    assert collapse_spaces("  Keep  Case\n and “quotes” ") == "Keep Case and “quotes”"


def test_decomposed_and_precomposed_accents_fold_alike() -> None:
    assert normalize("Emigre\u0301") == normalize("Emigr\u00e9")


# Characters that exercise every branch: combining marks, invisible and bidi controls, typographic
# quotes and dashes, odd whitespace, compatibility forms (ﬁ, ½, ℌ), case folds (ß, İ), and scripts where
# NFKC composes across clusters (Hangul jamo, Bengali two-part vowels), which take the character loop.
_ALPHABET = (
    "aAeEiİßΣσςЖж ,.'\"-\t\n\r\x0b\x1c\u00a0\u2009\u202f\u3000"
    "\u0301\u0308\u0327\u00ad\u200b\u200d\u202e\u2066\ufeff"
    "\u2018\u2019\u201c\u201d\u2013\u2014\u2212\u00b4`\ufb01\u00bd\u210c\u2026\u02dc"
    "\u1100\u1161\u11a8\u09c7\u09be\uac00"
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_normalize_agrees_with_the_mapped_normalisation(text: str) -> None:
    assert normalize(text) == normalize_with_map(text)[0]


def test_normalize_agrees_on_every_seed_essay() -> None:
    for path in sorted(seeds_dir().glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert normalize(text) == normalize_with_map(text)[0], path.name


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_word_by_word_map_equals_the_character_loop(text: str) -> None:
    assert normalize_with_map(text) == _normalize_with_map_by_cluster(text)


def test_word_by_word_map_equals_the_character_loop_on_every_seed_paragraph() -> None:
    word_by_word = 0
    for path in sorted(seeds_dir().glob("*.md")):
        for paragraph in path.read_text(encoding="utf-8").split("\n\n"):
            assert normalize_with_map(paragraph) == _normalize_with_map_by_cluster(paragraph), path.name
            word_by_word += _fold_char_by_char(paragraph) is not None
    assert word_by_word > 200  # all 220 seed paragraphs, curly quotes and dashes included, go word by word


def test_regex_whitespace_is_str_whitespace() -> None:
    # The word-by-word map splits on ``\S+`` where the character loop asks ``str.isspace``.
    differ = [cp for cp in range(sys.maxunicode + 1) if bool(_NON_SPACE.match(chr(cp))) == chr(cp).isspace()]
    assert differ == []
