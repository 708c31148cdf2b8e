"""Evaluation scores the path users get: the full system's compare is the core's own."""

from __future__ import annotations

import pytest

from bot.core.essaybot import Essaybot
from bot.errors import UnknownSideError
from bot.evaluation.metrics import compare_with, score_compare

pytestmark = pytest.mark.model

MASON = "mason-2022-marxist-position"
ICL = "icl-2025-wv1184-ukraine"
OFF_TOPIC = "recipes for sourdough bread and pastry"


def test_the_full_system_compares_through_the_core(seeded_app: Essaybot) -> None:
    full = compare_with(seeded_app, "full")
    topic = "the Zelensky government"
    assert full("Mason", "ICL", topic).to_json() == seeded_app.compare("Mason", "ICL", topic).to_json()
    with pytest.raises(UnknownSideError, match="same"):
        full("Paul Mason", "Mason", topic)  # the core's own checks apply
    assert full("Mason", "ICL", OFF_TOPIC).a.passages == []  # and its topic abstention


def test_baselines_rank_but_never_declare_a_side_empty(seeded_app: Essaybot) -> None:
    for system in ("bm25", "dense"):
        answer = compare_with(seeded_app, system)("Mason", "ICL", OFF_TOPIC)
        assert answer.a.passages and answer.b.passages
        assert {q.essay.id for q in answer.a.passages} == {MASON}
        assert {q.essay.id for q in answer.b.passages} == {ICL}


def test_score_compare_counts_a_side_hit_per_side(seeded_app: Essaybot) -> None:
    row = {
        "id": "c1",
        "a": "Mason",
        "b": "ICL",
        "topic": OFF_TOPIC,
        "a_gold": [MASON],
        "b_gold": [ICL],
        "a_snippets": ["sourdough"],
        "b_snippets": ["sourdough"],
    }
    tally = score_compare([row], compare_with(seeded_app, "full"))
    assert (tally.hits, tally.total, tally.misses) == (0, 2, ["c1:Mason", "c1:ICL"])
