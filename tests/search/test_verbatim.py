"""The best exact quotes are proven from the candidates, placing only the paragraphs they need."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.essaybot import Essaybot
from bot.search import candidates
from bot.search.candidates import Candidates, gather, group_fetch
from bot.search.hybrid import Retriever
from bot.search.verbatim import Placements, best_exact, place

pytestmark = pytest.mark.model

COMMON = "the United States"  # in 23 paragraphs of the seeds


@pytest.fixture(scope="module")
def retriever(seeded_app: Essaybot) -> Retriever:
    return seeded_app.retriever()


def by_full_scan(r: Retriever, text: str, k: int) -> list[int]:
    """Every row holding the phrase, fused over the whole library, best first, one a paragraph."""
    snap = r.snapshot
    signals = r.signals(text)
    fused = dict(zip(signals.rows.tolist(), signals.fuse(r.weights).tolist(), strict=True))
    rows: dict[int, None] = {}
    for m in r.indexes.phrases.exact(text):
        rows.update(dict.fromkeys(place(snap, m.key, [m])))
    ranked = sorted(rows, key=lambda row: (-fused[row], row))
    best, seen = [], set()
    for row in ranked:
        if snap.paragraph_of[row] not in seen:
            seen.add(snap.paragraph_of[row])
            best.append(row)
    return best[:k]


def test_a_common_phrase_is_answered_from_the_few_paragraphs_that_can_win(retriever: Retriever) -> None:
    occurrences = retriever.indexes.phrases.occurrences(COMMON)
    assert len(occurrences) >= 20
    q = retriever._query(COMMON, None, True)
    fetch = group_fetch(retriever.indexes.dense, q.vector, None, None)
    c = gather(retriever.snapshot, retriever.sentence_vectors, q, None, fetch, retriever.weights, 40)
    placements = Placements(retriever.snapshot, occurrences)
    proven = best_exact(c, placements, 3, 1)
    assert proven is not None
    assert [p.row for p in proven] == by_full_scan(retriever, COMMON, 3)
    assert placements.placed < len(occurrences) // 2  # most paragraphs never mapped to the body


@pytest.mark.parametrize("k", [1, 3, 5, 30])
def test_search_ranks_exact_rows_like_a_full_scan(retriever: Retriever, k: int) -> None:
    # k=30 is more than the paragraphs holding the phrase: the proof fails and every one is placed.
    hits = retriever.search(COMMON, k=k).hits
    expected = by_full_scan(retriever, COMMON, k)
    assert [h.row for h in hits[: len(expected)]] == expected
    assert all(h.match == "exact" for h in hits[: len(expected)])
    assert all(h.match != "exact" for h in hits[len(expected) :])
    for h in hits[: len(expected)]:
        quoted = retriever.snapshot.body_text(h.passage.essay_id, h.match_start, h.match_end)
        assert quoted.casefold() == COMMON.casefold()
        assert h.quote_start <= h.match_start < h.match_end <= h.quote_end


def test_a_filtered_search_never_proves_a_quote_from_another_essay(retriever: Retriever) -> None:
    snap = retriever.snapshot
    holding = {snap.paragraphs[o.key].essay_id for o in retriever.indexes.phrases.occurrences(COMMON)}
    for essay in sorted(snap.essays):
        hits = retriever.search(COMMON, k=3, essay_ids={essay}).hits
        assert all(h.passage.essay_id == essay for h in hits)
        assert any(h.match == "exact" for h in hits) == (essay in holding)


def test_no_proof_without_a_quote(retriever: Retriever) -> None:
    q = retriever._query("nobody wrote this sentence about tea", None, True)
    fetch = group_fetch(retriever.indexes.dense, q.vector, None, None)
    c = gather(retriever.snapshot, retriever.sentence_vectors, q, None, fetch, retriever.weights, 40)
    assert best_exact(c, Placements(retriever.snapshot, q.exact), 3, 1) is None
    assert np.isfinite(c.scored_fused).all()


@pytest.mark.parametrize("phrase", [COMMON, "the working class", "of the war"])
def test_few_candidates_never_prove_the_wrong_quotes(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch, phrase: str
) -> None:
    # Few candidates leave a high ceiling: exact rows among them are not yet proven the best.
    monkeypatch.setattr(candidates, "DENSE_FIRST", 1)
    monkeypatch.setattr(candidates, "KEYWORD_FIRST", 1)
    for k in (1, 2, 4):
        expected = by_full_scan(retriever, phrase, k)
        assert [h.row for h in retriever.search(phrase, k=k).hits[: len(expected)]] == expected, (phrase, k)


def test_a_quote_scoring_below_the_ceiling_is_not_proven(retriever: Retriever) -> None:
    snap = retriever.snapshot
    occurrences = retriever.indexes.phrases.occurrences(COMMON)
    placements = Placements(snap, occurrences)
    first, second = (next(iter(placements.in_paragraph(o.key))) for o in occurrences[:2])
    plain = next(r for r in range(len(snap)) if not placements.holds(snap.paragraph_of[r]))

    def walk(fused: list[float], ceiling: float, k: int) -> list[int] | None:
        c = Candidates(
            order=np.asarray([first, plain, second]),
            keyword_paragraphs=[],
            scored=np.asarray([first, plain, second]),
            scored_fused=np.asarray(fused, dtype=np.float32),
            ceiling=ceiling,
            signals=lambda rows: pytest.fail("the walk reads no signals"),
        )
        found = best_exact(c, placements, k, 1)
        return None if found is None else [p.row for p in found]

    assert walk([0.9, 0.6, 0.5], 0.4, 2) == [first, second]
    assert walk([0.9, 0.6, 0.3], 0.4, 1) == [first]
    # The second quote scores 0.3, and a row left out may score up to 0.4: it may be better.
    assert walk([0.9, 0.6, 0.3], 0.4, 2) is None
    assert walk([0.9, 0.6, 0.3], float("-inf"), 2) == [first, second]  # nothing was left out
