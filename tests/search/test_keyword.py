"""BM25 keyword search: ranking, stemming, and (weighted) term coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.search import keyword
from bot.search.keyword import KeywordIndex, KeywordStats, tokenize, tokens_of

DOCS = [
    "Navalny was poisoned by agents of the Russian state.",
    "Sanctions hurt ordinary workers far more than they hurt the oligarchs.",
    "The Belt and Road initiative spreads Chinese influence across Asia.",
    "China and the imperialist powers compete for markets and raw materials.",
    "An imperialist China builds ports and railways abroad.",
    "Workers of the world, unite: there is no truce in the class war.",
]


@pytest.fixture(scope="module")
def index() -> KeywordIndex:
    return KeywordIndex(DOCS)


def _ranking(index: KeywordIndex, query: str) -> list[int]:
    scores = index.scores(tokenize([query])[0])
    return [int(i) for i in np.argsort(-scores)]


def test_tokenize_stems_and_drops_stopwords_and_question_words() -> None:
    tokens = tokenize(["Who said the POISONING of Navalny was ordered?"])[0]
    assert tokens == ["poison", "navalni", "order"]
    assert tokenize(["poisons, poisoned, poison"])[0] == ["poison"] * 3
    assert tokenize([]) == []
    assert tokenize(["the and of who said"]) == [[]]


def test_one_text_tokenises_as_in_a_batch_and_is_remembered() -> None:
    texts = [
        "Who said the POISONING of Navalny was ordered?",
        "the and of who said",
        "",
        "Putin’s “special military operation” (2022) — a war of choice",
    ]
    for text, tokens in zip(texts, tokenize(texts), strict=True):
        assert tokens_of(text) == tuple(tokens)
        assert tokens_of(text) is tokens_of(text)  # the second call is a cache hit


def test_curly_and_straight_text_tokenise_alike() -> None:
    assert tokenize(["the WORKERS’ “class war”"]) == tokenize(['the workers\' "class war"'])


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("sanctions on oligarchs", 1),
        ("class war truce", 5),
        ("Belt and Road", 2),
        ("who said Navalny was poisoned", 0),
    ],
)
def test_bm25_ranks_the_right_document_first(index: KeywordIndex, query: str, best: int) -> None:
    ranking = _ranking(index, query)
    assert ranking[0] == best
    scores = index.scores(tokenize([query])[0])
    assert scores[best] > 0
    assert scores.dtype == np.float32
    assert scores.shape == (len(DOCS),)


def test_stemming_matches_other_word_forms(index: KeywordIndex) -> None:
    scores = index.scores(tokenize(["poisoning"])[0])
    assert scores[0] > 0  # "poisoned" in the document
    assert np.count_nonzero(scores) == 1


def test_empty_query_and_empty_index_score_zero(index: KeywordIndex) -> None:
    assert not index.scores([]).any()
    assert len(index.scores([])) == len(DOCS)
    empty = KeywordIndex([])
    assert len(empty) == 0
    assert empty.scores(["war"]).shape == (0,)


def test_documents_without_content_words_keep_rows_aligned() -> None:
    index = KeywordIndex(["the of and", "no truce in the class war"])
    scores = index.scores(tokenize(["class war"])[0])
    assert scores[0] == 0
    assert scores[1] > 0


def test_coverage_is_a_share_of_distinct_query_terms(index: KeywordIndex) -> None:
    terms = tokenize(["Belt and Road China imperialist"])[0]
    assert terms == ["belt", "road", "china", "imperialist"]
    for row in range(len(DOCS)):
        assert 0.0 <= index.coverage(terms, row) <= 1.0
        assert 0.0 <= index.weighted_coverage(terms, row) <= 1.0
    assert index.coverage(terms, 2) == 0.5  # belt, road ("Chinese" stems apart from "China")
    assert index.coverage(terms, 4) == 0.5  # china, imperialist
    assert index.coverage(terms, 0) == 0.0
    assert index.coverage([], 0) == 0.0
    assert index.weighted_coverage([], 0) == 0.0
    assert index.coverage(tokenize(["class war truce"])[0], 5) == 1.0
    assert index.weighted_coverage(tokenize(["class war truce"])[0], 5) == pytest.approx(1.0)


def test_rare_terms_weigh_more_in_weighted_coverage(index: KeywordIndex) -> None:
    terms = tokenize(["Belt and Road China imperialist"])[0]
    # "belt" and "road" occur in one document, "china" and "imperialist" in two.
    assert index.idf("belt") > index.idf("china")
    assert index.idf("nonexistentterm") > index.idf("belt")  # absent terms get the maximum
    # Same plain coverage, but the passage missing the rare terms covers less of the query's weight.
    assert index.coverage(terms, 4) == index.coverage(terms, 2)
    assert index.weighted_coverage(terms, 4) < 0.5 < index.weighted_coverage(terms, 2)
    # Adding a rare term the passage lacks lowers its weighted coverage more than a common one does.
    with_rare = tokenize(["China imperialist oligarchs"])[0]
    with_common = tokenize(["China imperialist workers"])[0]
    assert index.idf("oligarch") > index.idf("worker")
    assert index.weighted_coverage(with_rare, 4) < index.weighted_coverage(with_common, 4)
    assert index.weighted_coverage(tokenize(["China imperialist Belt"])[0], 4) < index.weighted_coverage(
        tokenize(["China imperialist"])[0], 4
    )


def test_rows_with_lists_each_document_holding_a_term(index: KeywordIndex, tmp_path: Path) -> None:
    saved = tmp_path / "keyword"
    index.save(saved)
    loaded = KeywordIndex.load(saved, DOCS.__getitem__)
    for kw in (index, loaded):  # built in memory, and memory-mapped from its files
        for term in {t for doc in tokenize(DOCS) for t in doc}:
            expected = [row for row, doc in enumerate(tokenize(DOCS)) if term in doc]
            assert sorted(kw.rows_with(term).tolist()) == expected, term
        assert kw.rows_with(tokenize(["Kazakhstan"])[0][0]).size == 0


def test_rows_evicted_by_another_prefetch_meanwhile_are_tokenised_again(
    index: KeywordIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two questions' threads prefetch at once: rows cached when one looked can be evicted by the
    # other before it marks them recent. Reading a text happens outside the lock, so a read can play
    # the other thread.
    monkeypatch.setattr(keyword, "_TOKEN_CACHE", 2)
    saved = tmp_path / "keyword"
    index.save(saved)
    other_thread = {"pending": True}

    def text(row: int) -> str:
        if other_thread["pending"] and row == 2:
            other_thread["pending"] = False
            loaded.prefetch([4, 5])  # evicts rows 0 and 1
        return DOCS[row]

    loaded = KeywordIndex.load(saved, text)
    loaded.prefetch([0, 1])
    loaded.prefetch([0, 1, 2])  # 0 and 1 are cached when looked at, 2 is read
    assert not other_thread["pending"]
    query = tokenize(["poisoned sanctions Belt Road"])[0]
    for row in range(len(DOCS)):
        assert loaded.coverage(query, row) == index.coverage(query, row), row


SMALL = [
    "The cat sat on the mat.",
    "Dogs bark at the moon and at the cat.",
    "",
    "A moon of green cheese, a cat of stone.",
    "Stone walls and green fields.",
]


def test_scored_like_an_empty_base_is_the_index_bm25s_builds() -> None:
    whole = KeywordIndex(SMALL)
    alike = KeywordIndex.scored_like(SMALL, KeywordIndex([]), KeywordStats(0, 0))
    for query in (["cat"], ["moon", "cat"], ["stone", "green"], ["absent"]):
        assert np.allclose(alike.scores(query), whole.scores(query))


def test_documents_scored_like_a_base_score_as_in_one_index_with_it() -> None:
    base = KeywordIndex(SMALL[:3])
    assert base.stats is not None
    delta = KeywordIndex.scored_like(SMALL[3:], base, base.stats)
    whole = KeywordIndex(SMALL)
    for query in (["cat"], ["moon", "cat"], ["stone", "green"]):
        assert np.allclose(delta.scores(query), whole.scores(query)[3:])
    # Scored alone, the same documents would not be on the library's scale.
    assert not np.allclose(KeywordIndex(SMALL[3:]).scores(["cat"]), whole.scores(["cat"])[3:])
