"""Quoting: near-duplicate detection, de-duplication, earliest-source ordering, and quotes from hits."""

from __future__ import annotations

import pytest

from bot.answer.quoting import (
    NEAR_DUPLICATE_RATIO,
    distinct,
    near_duplicates,
    order_sources,
    quote_from_hit,
)
from bot.answer.types import MatchKind, Quote
from bot.corpus.models import Essay, EssayMeta
from bot.corpus.prepare import prepare
from bot.search.hybrid import Hit
from bot.search.snapshot import CorpusSnapshot

EARLY = EssayMeta("early", "First Statement", authors=("Ann Smith",), date="2021-05")
MIDDLE = EssayMeta("middle", "A Reprint", authors=("Bob Jones",), date="2022-01-15")
LATE = EssayMeta("late", "Another Reprint", authors=("Cy Young",), date="2023")
UNDATED = EssayMeta("undated", "Undated Leaflet", authors=("Di Brown",))

TEXT = "There can be no truce in the class war while the bombs keep falling on our cities."


def make_quote(meta: EssayMeta, text: str, *, score: float = 0.5, match: MatchKind = "paraphrase") -> Quote:
    return Quote(
        passage_id=f"{meta.id}-p",
        essay=meta,
        quote=text,
        start=0,
        end=len(text),
        paragraph=0,
        section=None,
        match=match,
        score=score,
        highlight_start=0,
        highlight_end=len(text),
    )


def test_near_duplicate_threshold_is_strict() -> None:
    assert NEAR_DUPLICATE_RATIO == 90.0
    # One substitution in ten characters is exactly 90: not a duplicate.
    assert not near_duplicates("abcdefghij", "abcdefghix")
    # One substitution in twenty characters is 95: a duplicate.
    assert near_duplicates("abcdefghijklmnopqrst", "abcdefghijklmnopqrsx")


def test_near_duplicates_ignore_case_and_tolerate_small_edits() -> None:
    assert near_duplicates(TEXT, TEXT)
    assert near_duplicates(TEXT, TEXT.upper())
    assert near_duplicates(TEXT, TEXT.replace("bombs", "bomb"))
    assert not near_duplicates(TEXT, "Sanctions hurt ordinary workers more than the oligarchs.")
    assert not near_duplicates(TEXT, TEXT[: len(TEXT) // 2])


def test_distinct_drops_near_duplicates_within_one_essay_only() -> None:
    best = make_quote(EARLY, TEXT, score=0.9)
    repeat = make_quote(EARLY, TEXT.replace("our cities", "our city"), score=0.8)
    other_text = make_quote(EARLY, "Workers of all countries must unite against both states.", score=0.7)
    same_text_elsewhere = make_quote(LATE, TEXT, score=0.6)
    kept = distinct([best, repeat, other_text, same_text_elsewhere])
    assert kept == [best, other_text, same_text_elsewhere]


def test_order_sources_puts_the_earliest_dated_first() -> None:
    late = make_quote(LATE, TEXT, score=0.9)
    middle = make_quote(MIDDLE, TEXT.replace("cities", "towns"), score=0.8)
    early = make_quote(EARLY, TEXT.lower(), score=0.7)
    unrelated = make_quote(MIDDLE, "Sanctions hurt ordinary workers more than the oligarchs.", score=0.6)
    ordered = order_sources([late, middle, early, unrelated])
    assert [q.essay.id for q in ordered] == ["early", "middle", "late", "middle"]
    first = ordered[0]
    assert first.first_said
    assert first.also_in == ["middle", "late"]
    assert not ordered[1].first_said and ordered[1].also_in == []
    assert not ordered[2].first_said and ordered[2].also_in == []
    assert not unrelated.first_said and unrelated.also_in == []


def test_undated_sources_sort_last() -> None:
    undated = make_quote(UNDATED, TEXT, score=0.9)
    dated = make_quote(LATE, TEXT, score=0.1)
    ordered = order_sources([undated, dated])
    assert [q.essay.id for q in ordered] == ["late", "undated"]
    assert ordered[0].first_said
    assert ordered[0].also_in == ["undated"]


def test_single_sources_are_left_alone() -> None:
    a = make_quote(EARLY, TEXT)
    b = make_quote(LATE, "Sanctions hurt ordinary workers more than the oligarchs.")
    ordered = order_sources([b, a])
    assert ordered == [b, a]  # rank order kept when nothing is duplicated
    assert not any(q.first_said or q.also_in for q in ordered)


def test_same_essay_duplicates_are_not_grouped() -> None:
    a, b = make_quote(EARLY, TEXT), make_quote(EARLY, TEXT)
    ordered = order_sources([a, b])
    assert ordered == [a, b]
    assert not a.first_said and not b.first_said


@pytest.fixture(scope="module")
def snapshot() -> CorpusSnapshot:
    body = (
        "A Short Essay\n\n"
        "The war must end. As the organiser Maria Petrova said, \u201cthere can be no truce in the class "
        "war while the bombs keep falling.\u201d We agree with her.\n\n"
        "Our own view is simple. Solidarity crosses borders.\n"
    )
    meta = EssayMeta(
        "short", "A Short Essay", authors=("Ann Smith",), date="2022", url="https://example.org/short"
    )
    prepared = prepare(Essay(meta, body, source="short.md"))
    return CorpusSnapshot([prepared.essay], prepared.passages, {"short": prepared.spans})


def _hit(snap: CorpusSnapshot, row: int, match_start: int, match_end: int) -> Hit:
    p = snap.passages[row]
    return Hit(
        row=row,
        passage=p,
        score=0.75,
        dense=0.7,
        keyword=1.0,
        keyword_paragraph=1.0,
        coverage=1.0,
        weighted_coverage=1.0,
        match="exact",
        alignment=100.0,
        match_start=match_start,
        match_end=match_end,
        quote_start=p.start,
        quote_end=p.end,
    )


def test_quote_from_hit_quotes_the_body_and_names_the_speaker(snapshot: CorpusSnapshot) -> None:
    body = snapshot.essays["short"].body
    words = "no truce in the class war"
    row = next(i for i, p in enumerate(snapshot.passages) if words in p.text)
    at = body.index(words)
    q = quote_from_hit(_hit(snapshot, row, at, at + len(words)), snapshot)
    assert q.quote == body[q.start : q.end]
    assert q.start <= q.highlight_start < q.highlight_end <= q.end
    assert body[q.highlight_start : q.highlight_end] == words
    assert q.match == "exact"
    assert q.speaker == "Maria Petrova"
    assert q.speaker_role == "quoted"
    assert q.attribution == "Maria Petrova, quoted by Ann Smith in A Short Essay"
    assert q.link is not None and q.link.startswith("https://example.org/short#:~:text=")
    para = snapshot.paragraphs[snapshot.paragraph_of[row]]
    assert q.context == body[para.start : para.end]
    assert q.context_start == para.start


def test_quote_from_hit_of_the_authors_own_words(snapshot: CorpusSnapshot) -> None:
    body = snapshot.essays["short"].body
    row = next(i for i, p in enumerate(snapshot.passages) if p.text == "Solidarity crosses borders.")
    p = snapshot.passages[row]
    q = quote_from_hit(_hit(snapshot, row, p.start, p.end), snapshot)
    assert q.quote == "Solidarity crosses borders." == body[q.start : q.end]
    assert q.speaker is None and q.speaker_role is None
    assert q.attribution == "Ann Smith, A Short Essay"
    assert q.to_json()["speaker_role"] is None


@pytest.fixture(scope="module")
def framed() -> CorpusSnapshot:
    """A sentence whose quotation is a small part of it, after a long framing of the author's own."""
    body = (
        "Pumps\n\n"
        "Long before the strike committee had booked a hall or printed a single leaflet for the march "
        "across the city, the engineer Tomas Berg said, \u201cthe pumps stop first, then the trains.\u201d\n"
    )
    meta = EssayMeta("pumps", "Pumps", authors=("Ann Smith",))
    prepared = prepare(Essay(meta, body, source="pumps.md"))
    return CorpusSnapshot([prepared.essay], prepared.passages, {"pumps": prepared.spans})


def _paraphrase_hit(snap: CorpusSnapshot) -> Hit:
    row = next(i for i, p in enumerate(snap.passages) if "Tomas Berg" in p.text)
    p = snap.passages[row]
    hit = _hit(snap, row, p.start, p.end)
    hit.match = "paraphrase"
    return hit


def test_paraphrase_of_quoted_words_goes_to_their_speaker(framed: CorpusSnapshot) -> None:
    hit = _paraphrase_hit(framed)
    # The quotation is too small a part of the sentence to speak for all of it...
    assert quote_from_hit(hit, framed).speaker is None
    # ...but when it holds the query's evidence, its speaker is the one who said it.
    q = quote_from_hit(hit, framed, "who warned that the pumps would stop before the trains")
    assert q.speaker == "Tomas Berg" and q.speaker_role == "quoted"


def test_paraphrase_of_the_authors_framing_stays_with_the_author(framed: CorpusSnapshot) -> None:
    q = quote_from_hit(_paraphrase_hit(framed), framed, "strike committee booked a hall and printed leaflets")
    assert q.speaker is None and q.speaker_role is None
