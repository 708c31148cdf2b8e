"""Fusing only candidates ranks exactly like fusing every passage (real seeds, real model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.core.essaybot import Essaybot
from bot.search import candidates, hybrid
from bot.search.candidates import FusionWeights
from bot.search.hybrid import Hit, Retriever
from bot.search.query import parse_query

pytestmark = pytest.mark.model

DATA = Path(__file__).resolve().parents[1] / "data"
WEIGHTS = {
    "shipped": None,
    "dense only": FusionWeights(1.0, 0.0, 0.0),
    "every signal": FusionWeights(0.6, 0.2, 0.2),
}


def questions(limit: int = 24) -> list[str]:
    texts = []
    for name in ("own_who_said.jsonl", "hard_paraphrases.jsonl", "claims_positive.jsonl"):
        rows = [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]
        texts += [parse_query(r["query"]).text for r in rows[: limit // 3]]
    return texts


@pytest.fixture(scope="module")
def retriever(seeded_app: Essaybot) -> Retriever:
    return seeded_app.retriever()


def ranking(hits: list[Hit]) -> list[tuple[int, str, int, int]]:
    return [(h.row, h.match, h.match_start, h.match_end) for h in hits]


def scores(hits: list[Hit]) -> list[tuple[float, ...]]:
    return [(h.score, h.dense, h.keyword, h.keyword_paragraph, h.coverage, h.weighted_coverage) for h in hits]


def full_scan(r: Retriever, monkeypatch: pytest.MonkeyPatch, text: str, **kw: object) -> list[Hit]:
    with monkeypatch.context() as patch:
        patch.setattr(candidates, "DENSE_FIRST", 10**9)  # every allowed row is a candidate
        return r.search(text, **kw).hits  # type: ignore[arg-type]


@pytest.mark.parametrize("weights", WEIGHTS, ids=list(WEIGHTS))
def test_candidates_rank_like_a_full_scan(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch, weights: str
) -> None:
    w = WEIGHTS[weights]
    vectors = retriever.embed(questions())
    fetches: list[int] = []

    def counting(*args: Any) -> candidates.DenseFetch:
        fetch = candidates.group_fetch(*args)

        def counted(k: int) -> Any:
            fetches.append(k)
            return fetch(k)

        return counted

    grown = 0
    for text, qv in zip(questions(), vectors, strict=True):
        expected = full_scan(retriever, monkeypatch, text, k=15, query_vector=qv, weights=w)
        with monkeypatch.context() as patch:
            patch.setattr(candidates, "DENSE_FIRST", 1)  # start small: the bound must grow k
            patch.setattr(candidates, "KEYWORD_FIRST", 1)
            patch.setattr(hybrid, "group_fetch", counting)
            fetches.clear()
            tight = retriever.search(text, k=15, query_vector=qv, weights=w).hits
            grown += len(fetches) > 1
        with monkeypatch.context() as patch:
            # Keyword lists longer than the dense list, yet shorter than the library (the shipped
            # shape at size: the seeds are smaller than the shipped KEYWORD_FIRST).
            patch.setattr(candidates, "DENSE_FIRST", 1)
            patch.setattr(candidates, "KEYWORD_FIRST", 64)
            longer = retriever.search(text, k=15, query_vector=qv, weights=w).hits
        default = retriever.search(text, k=15, query_vector=qv, weights=w).hits
        assert ranking(tight) == ranking(expected), text
        assert ranking(longer) == ranking(expected), text
        assert ranking(default) == ranking(expected), text
        assert np.allclose(scores(default), scores(expected), atol=1e-6)
    assert grown, "no question needed a second fetch: the bound was never tested"


def test_filtered_search_ranks_like_a_filtered_full_scan(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    essays = sorted(retriever.snapshot.essays)
    for text in questions(9):
        qv = retriever.embed([text])
        for essay in essays:
            got = retriever.search(text, k=8, essay_ids={essay}, query_vector=qv).hits
            assert all(h.passage.essay_id == essay for h in got)
            expected = full_scan(retriever, monkeypatch, text, k=8, essay_ids={essay}, query_vector=qv)
            assert ranking(got) == ranking(expected), (text, essay)


@pytest.mark.parametrize("shared_first", [candidates.SHARED_FIRST, 1], ids=["whole library", "partial"])
def test_grouped_search_equals_one_search_per_group(
    retriever: Retriever, monkeypatch: pytest.MonkeyPatch, shared_first: int
) -> None:
    # "partial": the shared dense search holds only part of the library, so a group must either be
    # proven by it or searched again on its own.
    monkeypatch.setattr(candidates, "SHARED_FIRST", shared_first)
    monkeypatch.setattr(candidates, "DENSE_FIRST", 1)
    monkeypatch.setattr(candidates, "KEYWORD_FIRST", 1)
    essays = sorted(retriever.snapshot.essays)
    groups = {
        "first two": essays[:2],
        "third": essays[2:3],
        "all but the first": essays[1:],
        "everyone": essays,
        "nobody": [],
    }
    topic_weights = FusionWeights(1.0, 0.0, 0.0)
    for topic in ["sanctions on Russia", "arming Ukraine", "the working class in Russia"]:
        qv = retriever.embed([topic])
        grouped = retriever.search_groups(topic, groups, k=5, query_vector=qv, weights=topic_weights)
        assert set(grouped) == set(groups)
        for label, ids in groups.items():
            alone = full_scan(
                retriever, monkeypatch, topic, k=5, essay_ids=set(ids), query_vector=qv, weights=topic_weights
            )
            assert ranking(grouped[label].hits) == ranking(alone), (topic, label)
        assert grouped["nobody"].hits == []


def test_dense_filter_is_inside_the_faiss_search(retriever: Retriever) -> None:
    dense = retriever.indexes.dense
    vectors = retriever.sentence_vectors
    qv = retriever.embed(["the war in Ukraine and the working class"])
    allowed = retriever.snapshot.row_array({sorted(retriever.snapshot.essays)[0]})
    got_scores, got_ids = dense.search(qv, 10, allowed)
    by_hand = vectors[allowed] @ qv[0]
    best = allowed[np.argsort(-by_hand)[:10]]
    assert set(got_ids[0]) <= set(allowed.tolist())
    assert list(got_ids[0]) == list(best)
    assert np.allclose(got_scores[0], np.sort(by_hand)[::-1][:10], atol=1e-5)


def test_rows_that_cannot_reach_the_top_are_never_read() -> None:
    rng = np.random.default_rng(11)
    n, need = 3000, 60
    dense_all = rng.uniform(-0.2, 0.9, n).astype(np.float32)
    kw_all = rng.random(n).astype(np.float32) ** 4  # few rows score high on keywords
    kwp_all = rng.random(n).astype(np.float32) ** 4
    w = FusionWeights()
    listed = np.argsort(-dense_all)[:256]  # the dense top-k: every other row scores at most its last
    d_bound = float(dense_all[listed[-1]])
    cand = np.unique(np.concatenate([listed, rng.choice(n, 1500, replace=False)]))
    read: list[int] = []

    def keyword_signals(rows: Any) -> tuple[Any, Any]:
        return kw_all[rows], kwp_all[rows]

    def dense_of(rows: Any) -> Any:
        read.append(len(rows))  # the rows whose vectors a question reads
        return dense_all[rows]

    fused, _, _, _, scored = candidates._fuse(cand, listed, d_bound, need, w, dense_of, keyword_signals)
    full = w.sentence * dense_all[cand] + w.keyword * kw_all[cand] + w.keyword_paragraph * kwp_all[cand]
    assert list(cand[np.argsort(-fused)[:need]]) == list(cand[np.argsort(-full)[:need]])
    assert np.array_equal(fused[scored], full[scored])
    assert sum(read) == int(scored.sum()) < len(cand) // 2  # most keyword-only rows skipped
