"""Phrase matching: exact and near quotes on normalised text, reported in original body offsets."""

from __future__ import annotations

import random
import re

import pytest

from bot.paths import seeds_dir
from bot.search import phrase
from bot.search.phrase import (
    _TERMS_PER_QUERY,
    EXACT_MIN_CHARS,
    NEAR_MIN_ALIGNMENT,
    PhraseIndex,
    PhraseMatcher,
    Span,
    _needle,
)

# A small "essay body" with two paragraphs, typographic quotes, a dash and a curly apostrophe.
BODY = (
    "Heading line\n\n"
    "We can also insist on \u201cno truce in the class war\u201d \u2014 and we won\u2019t stop "
    "fighting for it. Classwarfare is not class war, truly.\n\n"
    "The workers\u2019 movement must  rebuild\u00a0its own independent organisations from below."
)


def _spans(body: str) -> list[Span]:
    spans = []
    start = 0
    for key, para in enumerate(body.split("\n\n")):
        start = body.index(para, start)
        spans.append(Span(key, start, para))
        start += len(para)
    return spans


@pytest.fixture(scope="module")
def matcher() -> PhraseMatcher:
    return PhraseMatcher(_spans(BODY))


def test_exact_match_maps_to_original_offsets(matcher: PhraseMatcher) -> None:
    [m] = matcher.exact("no truce in the class war")
    assert m.key == 1
    assert m.exact
    assert m.score == 100.0
    assert BODY[m.start : m.end] == "no truce in the class war"


def test_straight_apostrophe_matches_curly_one(matcher: PhraseMatcher) -> None:
    [m] = matcher.exact("and we won't stop fighting")
    assert BODY[m.start : m.end] == "and we won\u2019t stop fighting"
    [m2] = matcher.exact("The WORKERS' movement must rebuild its own")
    # Case, the apostrophe, a double space and a no-break space all fold; the original is returned.
    assert BODY[m2.start : m2.end] == "The workers\u2019 movement must  rebuild\u00a0its own"
    assert m2.key == 2


def test_straight_double_quotes_match_curly_ones(matcher: PhraseMatcher) -> None:
    [m] = matcher.exact('insist on "no truce in the class war" - and')
    assert BODY[m.start : m.end] == "insist on \u201cno truce in the class war\u201d \u2014 and"


def test_surrounding_quotes_and_punctuation_of_the_query_are_ignored(matcher: PhraseMatcher) -> None:
    [m] = matcher.exact('"No truce in the class war."')
    assert BODY[m.start : m.end] == "no truce in the class war"


def test_no_match_inside_a_word(matcher: PhraseMatcher) -> None:
    # "warfare is not class war" occurs only inside "Classwarfare …": not on a word boundary.
    assert matcher.exact("warfare is not class war") == []
    assert matcher.exact("is not class war, trul") == []
    [m] = matcher.exact("Classwarfare is not class war")
    assert BODY[m.start : m.end] == "Classwarfare is not class war"


def test_every_occurrence_is_reported() -> None:
    text = "They said no truce in the class war. Again: no truce in the class war!"
    matcher = PhraseMatcher([Span(7, 100, text)])
    found = matcher.exact("no truce in the class war")
    assert [m.key for m in found] == [7, 7]
    assert [text[m.start - 100 : m.end - 100] for m in found] == ["no truce in the class war"] * 2


def test_too_short_queries_give_nothing(matcher: PhraseMatcher) -> None:
    assert len("class war") < EXACT_MIN_CHARS
    assert matcher.exact("class war") == []
    assert matcher.exact("won't stop") == []  # 10 characters
    assert matcher.near("class war", [0, 1, 2]) == []  # fewer than four words
    assert matcher.near("no truce here", [0, 1, 2]) == []


def test_near_match_tolerates_one_changed_word(matcher: PhraseMatcher) -> None:
    assert matcher.exact("We can also insist on no peace in the class war") == []
    found = matcher.near("We can also insist on no peace in the class war", [0, 1, 2])
    assert len(found) == 1
    m = found[0]
    assert m.key == 1
    assert not m.exact
    assert NEAR_MIN_ALIGNMENT <= m.score < 100
    quoted = BODY[m.start : m.end]
    assert quoted.startswith("We can also insist on")
    assert quoted.endswith("class war")


def test_near_match_is_widened_to_whole_words(matcher: PhraseMatcher) -> None:
    # The query starts and ends inside words ("orkers", "independ"): the match grows to whole words.
    [m] = matcher.near("orkers movement must rebuild its own independ", [2])
    quoted = BODY[m.start : m.end]
    assert quoted == "workers\u2019 movement must  rebuild\u00a0its own independent"
    assert not BODY[m.start - 1].isalnum()
    assert not BODY[m.end].isalnum()


def test_near_only_searches_the_given_rows(matcher: PhraseMatcher) -> None:
    query = "We can also insist on no peace in the class war"
    assert matcher.near(query, [0, 2]) == []


def test_unrelated_words_are_not_a_near_match(matcher: PhraseMatcher) -> None:
    assert matcher.near("completely different words about something else", [0, 1, 2]) == []


def test_lookup_candidates_are_a_superset_of_the_matches(matcher: PhraseMatcher) -> None:
    # The trigram index folds case, so it may return a span the word-boundary check then refuses...
    keys = [key for key, _ in matcher.candidates("warfare is not class war")]
    assert keys == [1]
    assert matcher.exact("warfare is not class war") == []
    # ...and it never misses a span that holds the words.
    assert [key for key, _ in matcher.candidates("movement must rebuild")] == [2]


@pytest.mark.parametrize(
    "query", ['"no truce" in "the" class war', "no truce OR class NEAR war AND *", "a'b\" ) ( ;--"]
)
def test_query_syntax_is_never_interpreted_by_the_phrase_index(matcher: PhraseMatcher, query: str) -> None:
    assert matcher.exact(query) == []  # no SQL or FTS5 error, no match on operators


def test_exact_is_restricted_to_allowed_spans(matcher: PhraseMatcher) -> None:
    assert matcher.exact("no truce in the class war", lambda key: key != 1) == []
    assert len(matcher.exact("no truce in the class war", lambda key: key == 1)) == 1


# -- lookup by the rarest trigrams ---------------------------------------------------------------------


def _seed_spans() -> list[Span]:
    spans: list[Span] = []
    for path in sorted(seeds_dir().glob("*.md")):
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            if para.strip():
                spans.append(Span(len(spans), 0, para))
    return spans


def _without_counts(spans: list[Span]) -> PhraseIndex:
    """The index a file written before trigram counts existed gives: the whole phrase is queried."""
    index = PhraseIndex.in_memory(spans)
    index._db.execute("DROP TABLE trigram_docs")
    return PhraseIndex(index._db, {s.key: s for s in spans}.__getitem__)


def _needles(spans: list[Span], seed: int) -> list[str]:
    """Stretches of the seeds' words (quotes that are there), the same words shuffled (mostly not)."""
    rng = random.Random(seed)
    out = []
    for _ in range(150):
        words = rng.choice(spans).text.split()
        if len(words) < 4:
            continue
        n = rng.randint(3, min(14, len(words)))
        i = rng.randrange(len(words) - n + 1)
        out.append(" ".join(words[i : i + n]))
        out.append(" ".join(rng.sample(words, n)))
    return out


def test_rarest_trigram_lookup_finds_exactly_what_the_phrase_query_finds() -> None:
    spans = _seed_spans()
    counted, plain = PhraseIndex.in_memory(spans), _without_counts(spans)
    needles = _needles(spans, seed=7)
    probed = [n for n in needles if counted._probed(_needle(n)) is not None]
    assert len(probed) > len(needles) * 3 // 4  # most lookups take the quick way on real text
    found = 0
    for needle in needles:
        assert counted.exact(needle) == plain.exact(needle), needle
        found += bool(counted.exact(needle))
    assert found > len(needles) // 3  # the real stretches are found


def test_common_trigrams_alone_fall_back_to_the_phrase_query() -> None:
    # Every span holds every trigram of this needle: confirming them all would cost more than the query.
    spans = [Span(i, 0, f"the end of the war and then the end of the war {i}") for i in range(200)]
    index = PhraseIndex.in_memory(spans)
    needle = _needle("the end of the war and then")
    assert index._probe(needle) is not None and index._probed(needle) is None
    assert len(index.exact("the end of the war and then")) == 200


def test_a_trigram_missing_from_the_counts_still_goes_to_fts5() -> None:
    # "ß" casefolds to "ss" here; whatever the folding, an uncounted trigram is probed, never assumed absent.
    spans = [Span(0, 0, "Die Straße der Arbeiterbewegung ist lang und steinig")]
    index = PhraseIndex.in_memory(spans)
    [m] = index.exact("die STRASSE der arbeiterbewegung")
    assert spans[0].text[m.start : m.end] == "Die Straße der Arbeiterbewegung"


def test_a_long_quote_counts_its_trigrams_in_slices() -> None:
    # Old SQLite builds take at most 999 parameters a statement: the counts are read in slices.
    spans = _seed_spans()
    quote = max((s.text for s in spans), key=len)
    assert len({_needle(quote)[i : i + 3] for i in range(len(_needle(quote)) - 2)}) > _TERMS_PER_QUERY
    index = PhraseIndex.in_memory(spans)
    assert index._probed(_needle(quote)) is not None
    assert index.exact(quote) == _without_counts(spans).exact(quote) != []


def test_whole_word_search_finds_what_the_word_boundary_regex_finds() -> None:
    # Random texts of word characters of several kinds (letters, digits, "_", an accented letter, a
    # CJK one) and non-word ones, with needles that overlap themselves.
    # A small alphabet, so that occurrences often overlap one that fails its boundary check.
    rng = random.Random(5)
    alphabet = "aaa  b_1é語-."
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        needle = rng.choice(["a a", "aa", "a", "a a a", "b_", "é語", " a ", "-a", "a.", "1"])
        pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")
        assert phrase._whole_words(text, needle) == tuple(m.span() for m in pattern.finditer(text)), (
            text,
            needle,
        )
