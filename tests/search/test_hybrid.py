"""Hybrid retrieval over the real seeds: exact and near quotes, essay filters and exact offsets."""

from __future__ import annotations

import pytest

from bot.core.essaybot import Essaybot
from bot.search.hybrid import Hit, Retriever

pytestmark = pytest.mark.model

MASON = "mason-2022-marxist-position"
ICL = "icl-2025-wv1184-ukraine"


@pytest.fixture(scope="module")
def retriever(seeded_app: Essaybot) -> Retriever:
    return seeded_app.retriever()


def body(r: Retriever, hit: Hit) -> str:
    return r.snapshot.essays[hit.passage.essay_id].body


def assert_offsets_sound(r: Retriever, hit: Hit) -> None:
    text = body(r, hit)
    p = hit.passage
    assert text[p.start : p.end] == p.text
    assert 0 <= hit.quote_start <= hit.match_start < hit.match_end <= hit.quote_end <= len(text)


def test_exact_quote_is_found_with_exact_offsets(retriever: Retriever) -> None:
    hits = retriever.search("no truce in the class war", k=5).hits
    top = hits[0]
    assert top.match == "exact"
    assert top.alignment == 100.0
    assert top.passage.essay_id == MASON
    text = body(retriever, top)
    assert text[top.match_start : top.match_end] == "no truce in the class war"
    quote = text[top.quote_start : top.quote_end]
    assert "“no truce in the class war”" in quote
    assert_offsets_sound(retriever, top)
    # Paraphrases never outrank an exact quote.
    assert all(h.match != "exact" or h.passage.essay_id == MASON for h in hits)


def test_exact_quote_through_who_said(seeded_app: Essaybot) -> None:
    answer = seeded_app.who_said('who wrote "no truce in the class war"?')
    assert answer.verdict == "found"
    assert answer.quote_verdict == "exact"
    q = answer.results[0]
    essay_body = seeded_app.retriever().snapshot.essays[q.essay.id].body
    assert q.essay.id == MASON
    assert q.match == "exact"
    assert q.quote == essay_body[q.start : q.end]
    assert q.start <= q.highlight_start < q.highlight_end <= q.end
    assert essay_body[q.highlight_start : q.highlight_end] == "no truce in the class war"


def test_straight_apostrophe_matches_curly_one_exactly(retriever: Retriever) -> None:
    query = "The looming Russian victory doesn't feel quite the same"
    top = retriever.search(query, k=3).hits[0]
    assert top.match == "exact"
    assert top.passage.essay_id == ICL
    matched = body(retriever, top)[top.match_start : top.match_end]
    assert matched == "The looming Russian victory doesn\u2019t feel quite the same"
    assert_offsets_sound(retriever, top)


def test_near_misquote_is_labelled_near(seeded_app: Essaybot, retriever: Retriever) -> None:
    query = (
        "Soon Zelensky will be gone, Ukraine will be disarmed "
        "and NATO's eastern expansion will come to a halt"
    )
    top = retriever.search(query, k=3).hits[0]
    assert top.match == "near"
    assert 84 <= top.alignment < 100
    assert top.passage.essay_id == ICL
    assert "demilitarized" in body(retriever, top)[top.match_start : top.match_end]
    assert_offsets_sound(retriever, top)
    answer = seeded_app.who_said(query)
    assert answer.verdict == "found"
    assert answer.quote_verdict == "near"
    assert any(d.user == "disarmed" and d.original == "demilitarized" for d in answer.diff)


def test_essay_filter_restricts_results(retriever: Retriever) -> None:
    hits = retriever.search("no truce in the class war", k=10, essay_ids={ICL}).hits
    assert hits
    assert {h.passage.essay_id for h in hits} == {ICL}
    assert all(h.match != "exact" for h in hits)  # the exact quote is Mason's, outside the filter
    both = retriever.search("class war", k=20, essay_ids={ICL, MASON}).hits
    assert {h.passage.essay_id for h in both} <= {ICL, MASON}
    assert retriever.search("class war", k=5, essay_ids={"no-such-essay"}).hits == []


@pytest.mark.parametrize(
    "query",
    [
        "no truce in the class war",
        "sanctions on Russia",
        "Who said NATO provoked the war?",
        "the right of nations to self-determination",
        "Azov battalion",
    ],
)
def test_every_hit_quotes_its_body_exactly(retriever: Retriever, query: str) -> None:
    hits = retriever.search(query, k=10).hits
    assert hits
    for h in hits:
        assert_offsets_sound(retriever, h)
    assert [h.score for h in hits if h.match == "paraphrase"] == sorted(
        (h.score for h in hits if h.match == "paraphrase"), reverse=True
    )
    # At most one hit per paragraph by default: results show distinct passages.
    paragraphs = [retriever.snapshot.paragraph_of[h.row] for h in hits]
    assert len(paragraphs) == len(set(paragraphs))


def test_snapshot_passages_are_exact_body_slices(retriever: Retriever) -> None:
    snap = retriever.snapshot
    assert len(snap) > 100
    for p in snap.passages:
        assert snap.essays[p.essay_id].body[p.start : p.end] == p.text
