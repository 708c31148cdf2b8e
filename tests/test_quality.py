"""Quality gate: the full pipeline on the development sets must meet the issue's targets.

The shared development sets live beside the repository (``../shared/eval``); the project's own
question files are in ``tests/data``. Nothing at run time reads either.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.app import Essaybot
from bot.evaluation.cli import evaluate

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parent.parent
SHARED_EVAL = REPO.parent / "shared" / "eval"
DATA = Path(__file__).resolve().parent / "data"


def _files(*names: Path) -> tuple[Path, ...]:
    missing = [str(n) for n in names if not n.exists()]
    if missing:
        # The rule of tests/conftest.py for every input from ../shared: CI always has it beside the
        # checkout (.ci/run sets CI=true), so there a missing set is a failure; a user's clone may not
        # have it, and the project's own question files still run below.
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"development set missing: {missing}")
        pytest.skip(f"development set not available: {missing}")
    return names


def test_dev_sets_meet_targets(seeded_app: Essaybot) -> None:
    results = evaluate(
        seeded_app, _files(SHARED_EVAL / "dev_who_said.jsonl", SHARED_EVAL / "dev_compare.jsonl")
    )
    full = results["systems"]["full"]
    ws = full["who_said"]
    assert ws.essay_first["exact"].hits + ws.essay_first["near"].hits == 10
    assert ws.essay_first["paraphrase"].hits >= 11, ws.essay_first["paraphrase"].misses
    assert ws.passage_top3["paraphrase"].hits == 12, ws.passage_top3["paraphrase"].misses
    # The attribution targets: every speaker and reported-view annotation right, at least 6 of 7
    # negatives "not found" with every positive still found.
    assert ws.speaker.hits == ws.speaker.total == 3, ws.speaker.misses
    assert ws.negatives_not_found.hits >= 6, ws.negatives_not_found.misses
    assert ws.positives_found.hits == 22, ws.positives_found.misses
    assert full["compare"].hits >= 7, full["compare"].misses


def test_nested_quotes_go_to_their_speakers(seeded_app: Essaybot) -> None:
    """Quoted words and reported views in the seeds are attributed to who really says them."""
    ws = evaluate(seeded_app, (DATA / "nested_who_said.jsonl",))["systems"]["full"]["who_said"]
    assert ws.speaker.total == 10
    assert ws.speaker.hits >= 9, ws.speaker.misses
    assert ws.positives_found.hits == ws.positives_found.total, ws.positives_found.misses


def test_full_pipeline_beats_both_baselines(seeded_app: Essaybot) -> None:
    results = evaluate(seeded_app, _files(SHARED_EVAL / "dev_who_said.jsonl", DATA / "own_who_said.jsonl"))
    systems = results["systems"]

    def first(system: str) -> int:
        return sum(t.hits for t in systems[system]["who_said"].essay_first.values())

    def top3(system: str) -> int:
        return sum(t.hits for t in systems[system]["who_said"].passage_top3.values())

    assert first("full") >= max(first("bm25"), first("dense"))
    assert top3("full") > max(top3("bm25"), top3("dense"))
    assert systems["full"]["who_said"].negatives_not_found.hits > 0  # baselines never abstain


def test_own_questions_generalise(seeded_app: Essaybot) -> None:
    """The project's own questions (written apart from the shared set) hold the same bar."""
    ws = evaluate(seeded_app, (DATA / "own_who_said.jsonl",))["systems"]["full"]["who_said"]
    positives = ws.positives_found
    assert positives.hits / positives.total >= 0.9, positives.misses
    assert ws.negatives_not_found.hits / ws.negatives_not_found.total >= 0.8, ws.negatives_not_found.misses
    assert sum(t.hits for t in ws.essay_first.values()) >= 0.9 * sum(t.total for t in ws.essay_first.values())


def test_hard_paraphrases_rank_better_than_either_baseline(seeded_app: Essaybot) -> None:
    """Questions with little word overlap (our own): the fused ranking beats BM25 and dense alone."""
    systems = evaluate(seeded_app, (DATA / "hard_paraphrases.jsonl",))["systems"]

    def first(system: str) -> int:
        return systems[system]["who_said"].essay_first["paraphrase"].hits

    assert first("full") > max(first("bm25"), first("dense"))
    assert first("full") >= 10
