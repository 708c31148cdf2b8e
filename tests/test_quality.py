"""Quality gate: the full pipeline on the development sets must meet the issue's targets.

The shared development sets live beside the repository (``../shared/eval``); the project's own
question files are in ``tests/data``. Nothing at run time reads either.

The support model was fitted on these same questions, so figures measured on them are fit figures:
they guard against regressions only. The verdict's real quality is gated by
``test_verdict_held_out_folds``: cross-validation, each question answered by a model that never saw
it, through the core's own who-said path. ``tests/data/heldout_who_said.jsonl`` is never scored here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli.eval import evaluate
from bot.core.essaybot import Essaybot
from bot.evaluation.metrics import read_jsonl
from bot.evaluation.support import SEEDS, Tally, cross_validate

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


FIT_DEV_POSITIVES = 17  # of 22; before the verifier, 22 were "found" but traps were found too

# Held-out-fold figures, as the README's Quality table gives them: right answers per category, summed
# over 3 seeds × 5 folds (each question counts once per seed). A category may fall short of its README
# figure by at most one question per seed, for floating-point differences between machines.
HELD_OUT = {
    "quote": (87, 87),
    "ordinary": (217, 294),
    "hard": (34, 174),
    "zero_overlap": (21, 108),
    "stance_inversion": (52, 69),
    "mix": (43, 51),
    "wrong_fact": (56, 75),
    "unsaid": (33, 33),
    "off_topic": (27, 27),
    "negative": (48, 51),
}
HELD_OUT_STANCE_CONTRADICTED = 18  # stance inversions answered with contradicted_by naming the essay
HELD_OUT_WRONG_ATTRIBUTIONS = 53  # "found" with the wrong essay, or a negative found, of 969 answers
# In this order: the folds are drawn over the questions in file order, so another order gives other
# folds (and figures that differ by a few questions, which is the noise of cross-validation itself).
CV_FILES = (
    "own_who_said.jsonl",
    "hard_paraphrases.jsonl",
    "nested_who_said.jsonl",
    "claims_negative.jsonl",
    "claims_positive.jsonl",
)


def test_verdict_held_out_folds(seeded_app: Essaybot) -> None:
    """Cross-validated verdicts on every question set we fit on must not drop below the README's."""
    files = [
        *_files(SHARED_EVAL / "dev_who_said.jsonl", SHARED_EVAL / "dev_traps.jsonl"),
        *(DATA / name for name in CV_FILES),
    ]
    rows = [row for f in files for row in read_jsonl(f)]
    tally = cross_validate(seeded_app, rows)
    seeds = len(SEEDS)
    for category, (right, total) in HELD_OUT.items():
        got, n = tally.right[category]
        assert n == total, (category, n)
        assert got >= right - seeds, (category, got, right)
    # Never: an essay shown as saying the opposite of a true claim, or of an off-topic question.
    assert tally.contradicted_wrongly == 0
    assert tally.contradicted_traps >= HELD_OUT_STANCE_CONTRADICTED - seeds
    assert tally.wrong_attributions <= HELD_OUT_WRONG_ATTRIBUTIONS + seeds


# True claims written from the seeds before the contradiction cues were revised (negations, numbers,
# direction words, named actors), kept out of fitting: the shipped model must never show an essay as
# saying the opposite of one, and must find most of them.
FRESH_TRUE_FOUND = 42  # of 52; before the revision 34, with 10 contradicted


def test_true_claims_written_before_the_rules_are_never_contradicted(seeded_app: Essaybot) -> None:
    tally = Tally()
    for row in read_jsonl(DATA / "claims_positive_2.jsonl"):
        tally.add(row, seeded_app.who_said(row["query"]))
    assert tally.contradicted_wrongly == 0
    assert tally.wrong_attributions == 0
    right, total = tally.right["ordinary"]
    assert total == 52 and right >= FRESH_TRUE_FOUND, right


def test_dev_sets_meet_targets(seeded_app: Essaybot) -> None:
    results = evaluate(
        seeded_app, _files(SHARED_EVAL / "dev_who_said.jsonl", SHARED_EVAL / "dev_compare.jsonl")
    )
    full = results["systems"]["full"]
    ws = full["who_said"]
    assert ws.essay_first["exact"].hits + ws.essay_first["near"].hits == 10
    assert ws.essay_first["paraphrase"].hits >= 11, ws.essay_first["paraphrase"].misses
    assert ws.passage_top3["paraphrase"].hits == 12, ws.passage_top3["paraphrase"].misses
    # Fit figures (the support model saw these questions): every speaker and reported-view annotation
    # right, every negative "not found", and the verifier still finds most positives.
    assert ws.speaker.hits == ws.speaker.total == 3, ws.speaker.misses
    assert ws.negatives_not_found.hits == 7, ws.negatives_not_found.misses
    assert ws.positives_found.hits >= FIT_DEV_POSITIVES, ws.positives_found.misses
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
    assert positives.hits / positives.total >= 0.8, positives.misses
    assert ws.negatives_not_found.hits / ws.negatives_not_found.total >= 0.8, ws.negatives_not_found.misses
    assert sum(t.hits for t in ws.essay_first.values()) >= 0.9 * sum(t.total for t in ws.essay_first.values())


def test_hard_paraphrases_rank_better_than_either_baseline(seeded_app: Essaybot) -> None:
    """Questions with little word overlap (our own): the fused ranking beats BM25 and dense alone."""
    systems = evaluate(seeded_app, (DATA / "hard_paraphrases.jsonl",))["systems"]

    def first(system: str) -> int:
        return systems[system]["who_said"].essay_first["paraphrase"].hits

    assert first("full") > max(first("bm25"), first("dense"))
    assert first("full") >= 10
