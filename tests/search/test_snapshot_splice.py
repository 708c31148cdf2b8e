"""A spliced snapshot is row for row the snapshot read whole: essays added, removed, re-chunked or kept."""

from __future__ import annotations

import dataclasses

import pytest

from bot.corpus.loader import load_corpus
from bot.corpus.models import Essay, Passage, QuoteSpan
from bot.corpus.prepare import PreparedEssay, prepare
from bot.paths import seeds_dir
from bot.search.snapshot import CorpusSnapshot
from bot.search.snapshot_splice import splice


@pytest.fixture(scope="module")
def seeds() -> dict[str, PreparedEssay]:
    return {e.id: prepare(e) for e in load_corpus([seeds_dir()])}


def whole(prepared: list[PreparedEssay]) -> CorpusSnapshot:
    """The corpus as the database returns it: essays by id, passages by essay then position."""
    prepared = sorted(prepared, key=lambda p: p.essay.id)
    return CorpusSnapshot(
        [p.essay for p in prepared],
        [x for p in prepared for x in p.passages],
        {p.essay.id: p.spans for p in prepared if p.spans},
    )


def spliced(base: CorpusSnapshot, after: list[PreparedEssay], touched: set[str]) -> CorpusSnapshot:
    after = sorted(after, key=lambda p: p.essay.id)
    passages: list[Passage] = [x for p in after if p.essay.id in touched for x in p.passages]
    spans: dict[str, list[QuoteSpan]] = {p.essay.id: p.spans for p in after if p.spans}
    return splice(base, [p.essay for p in after], passages, spans, touched)


def assert_same(a: CorpusSnapshot, b: CorpusSnapshot) -> None:
    assert list(a.passages) == list(b.passages)
    assert dict(a.row_of) == dict(b.row_of)
    assert [a.paragraphs[i] for i in range(len(a.paragraphs))] == [
        b.paragraphs[i] for i in range(len(b.paragraphs))
    ]
    assert a.essays == b.essays and a.quote_spans == b.quote_spans
    assert a.corpus_hash == b.corpus_hash


def test_add_remove_and_rechunk_give_the_whole_read(seeds: dict[str, PreparedEssay]) -> None:
    ids = sorted(seeds)
    base = whole([seeds[i] for i in ids[1:4]])
    # One essay re-prepared with another body (an edit), one removed, one added before all others.
    edited = seeds[ids[2]].essay
    edited = dataclasses.replace(edited, body=edited.body.replace("war", "conflict", 3))
    after = [seeds[ids[0]], seeds[ids[1]], prepare(edited)]
    assert_same(spliced(base, after, {ids[0], ids[2], ids[3]}), whole(after))


def test_a_kept_row_with_its_own_text_keeps_it_at_its_new_row(seeds: dict[str, PreparedEssay]) -> None:
    ids = sorted(seeds)
    odd = seeds[ids[4]]
    # A stored text that differs from its body slice, in an essay whose rows all move down.
    first = next(i for i, p in enumerate(odd.passages) if p.kind == "sentence")
    passages = list(odd.passages)
    passages[first] = dataclasses.replace(passages[first], text=passages[first].text.upper())
    odd = PreparedEssay(odd.essay, passages, odd.spans)
    base = whole([seeds[ids[2]], odd])
    after = [seeds[ids[0]], seeds[ids[2]], odd]
    result = spliced(base, after, {ids[0]})
    assert_same(result, whole(after))
    assert result.passages[result.row_of[passages[first].id]].text == passages[first].text.upper()


def test_removing_everything_and_adding_to_nothing(seeds: dict[str, PreparedEssay]) -> None:
    ids = sorted(seeds)
    base = whole([seeds[i] for i in ids])
    assert len(spliced(base, [], set(ids))) == 0
    assert_same(spliced(whole([]), [seeds[ids[1]]], {ids[1]}), whole([seeds[ids[1]]]))


def test_an_untouched_essay_the_base_lacks_is_refused(seeds: dict[str, PreparedEssay]) -> None:
    ids = sorted(seeds)
    with pytest.raises(ValueError):
        spliced(whole([seeds[ids[0]]]), [seeds[ids[0]], seeds[ids[1]]], set())


def test_essays_in_base_and_kept_are_not_reread(seeds: dict[str, PreparedEssay]) -> None:
    ids = sorted(seeds)
    base = whole([seeds[i] for i in ids[:3]])
    essay: Essay = seeds[ids[1]].essay
    # Untouched: its rows come from the base even though no passage of it is passed in.
    assert_same(spliced(base, [seeds[i] for i in ids[:3]], set()), base)
    assert essay.id in spliced(base, [seeds[i] for i in ids[:3]], {ids[0]}).essays
