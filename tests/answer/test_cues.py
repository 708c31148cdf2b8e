"""The verifier's rule signals, each on small real sentences (claims of our own against essay-like text)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.answer import cues
from bot.answer.cues import claim_text, numbers, words
from bot.answer.polarity import contradiction

# -- numbers ------------------------------------------------------------------------------------


def test_a_changed_year_is_a_contradiction_that_names_both_years() -> None:
    cue = contradiction(
        "the US has been on the offensive in Eastern Europe since 2004",
        "In East Europe the U.S. has been on a constant offensive since 1990.",
    )
    assert cue is not None and cue.kind == "number"
    assert cue.differs == "says 1990, not 2004"


def test_the_same_year_written_in_the_passage_is_no_contradiction() -> None:
    assert (
        contradiction("the offensive began in 1990", "the U.S. has been on the offensive since 1990") is None
    )


def test_an_ordinal_against_a_compound_number() -> None:
    cue = contradiction(
        "a statement marking the second anniversary of the invasion",
        "On the one-year anniversary of this war, we call on everyone to turn out.",
    )
    assert cue is not None and cue.kind == "number"


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("a nation of 41,000,000 people", [41_000_000.0]),
        ("a population of forty-one million", [41_000_000.0]),
        ("two million refugees", [2_000_000.0]),
        ("from 1793 – 1991", [1793.0, 1991.0]),
        ("the one that got away", []),  # a pronoun, not a number
    ],
)
def test_numbers_are_read_as_values(text: str, values: list[float]) -> None:
    assert [v for v, _, _ in numbers(words(text))] == values


def test_a_hedged_number_tolerates_a_range() -> None:
    assert (
        contradiction(
            "the battalion has around a thousand members",
            "Estimates of membership in the battalion range from 900 – 1500.",
        )
        is None
    )


def test_a_passage_without_numbers_says_nothing_about_them() -> None:
    assert cues.number_cue(words("it happened in 2014"), words("it happened long ago")) is None


# -- negation -----------------------------------------------------------------------------------


def test_a_dropped_not_is_a_contradiction() -> None:
    cue = contradiction(
        "a Russian victory would restore the country's stability",
        "A Russian victory would not restore the country's stability.",
    )
    assert cue is not None and cue.kind == "negation"
    assert "not" in cue.differs


def test_a_negation_without_apostrophe_still_counts() -> None:
    assert (
        contradiction(
            "this isnt a war between two equal powers",
            "This is not a war between two equal powers.",
        )
        is None
    )


def test_the_no_of_a_no_fly_zone_negates_nothing() -> None:
    assert (
        contradiction(
            "a no-fly zone would lead to war with Russia",
            "Calls to impose a no-fly zone would lead to war with Russia.",
        )
        is None
    )


def test_a_verb_of_refusal_matches_a_negated_verb() -> None:
    assert (
        contradiction(
            "Washington does not sanction Saudi Arabia",
            "The United States opposes sanctions on Saudi Arabia.",
        )
        is None
    )


# -- words of opposite direction -----------------------------------------------------------------


def test_words_of_opposite_direction_next_to_shared_words() -> None:
    cue = contradiction(
        "the interventions of the Polish left were damaging",
        "Thankfully we have had some excellent interventions from the Polish left.",
    )
    assert cue is not None and cue.kind == "opposite"
    assert "excellent" in cue.differs and "damaging" in cue.differs


def test_plundered_against_prospered() -> None:
    cue = contradiction(
        "Russia prospered under the world order of 1989 to 2008",
        "From 1989 to 2008 the USA oversaw a global order of financial extraction; Russia was plundered.",
    )
    assert cue is not None and cue.kind == "opposite"


def test_lend_momentum_against_set_back() -> None:
    cue = contradiction(
        "a defeat for Putin would set back democratic movements in Belarus",
        "The defeat of Putinism would lend momentum to movements for democratic change in Belarus.",
    )
    assert cue is not None and cue.kind == "opposite"


def test_topic_words_carry_no_stance() -> None:
    # "war" and "fighting" score strongly negative in a sentiment lexicon but only name the topic.
    assert (
        contradiction(
            "Ukraine is waging a legitimate war of self-defence",
            "Ukraine is fighting a legitimate war of self-defence against a criminal war of aggression.",
        )
        is None
    )


def test_names_carry_no_direction() -> None:
    assert cues.valence(words("the United States"), 1) == 0.0


# -- roles --------------------------------------------------------------------------------------


def test_swapped_roles_around_a_shared_verb() -> None:
    cue = contradiction(
        "Zelensky humiliated Trump in the White House", "Trump humiliated Zelensky in the White House."
    )
    assert cue is not None and cue.kind == "role_swap"


def test_the_swap_named_is_the_same_in_every_process() -> None:
    # Three names shared (Marx, Prussia, French/Republic): the explanation must not depend on the
    # order a set of strings iterates in, which changes with every process's hash seed.
    claim = "Marx organised solidarity with Prussia in its war against the French Republic"
    passage = "Marx organised solidarity with the French Republic at war with Prussia after 1870"
    script = (
        "from bot.answer import cues; "
        f"print(cues.role_cue(cues.words({claim!r}), cues.words({passage!r})).differs)"
    )
    said = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(6)
    }
    assert len(said) == 1 and next(iter(said)).startswith("says French did it to Prussia"), said


def test_a_passive_voice_is_not_a_swap() -> None:
    assert (
        cues.role_cue(words("Zelensky was humiliated by Trump"), words("Trump humiliated Zelensky")) is None
    )


# -- the claim inside a question ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "claim"),
    [
        ("Who warned that a no-fly zone means war?", "a no-fly zone means war"),
        ("who criticised the left for staying silent", "the left for staying silent"),
        ("sanctions hurt ordinary Russians", "sanctions hurt ordinary Russians"),
        ("Which author thinks NATO caused it?", "NATO caused it"),
    ],
)
def test_the_asking_verb_is_dropped(raw: str, claim: str) -> None:
    assert claim_text(raw) == claim


def test_a_paraphrase_with_other_words_has_no_cue() -> None:
    assert (
        contradiction(
            "Putin's generals may now flatten cities as they did in Grozny and Aleppo",
            "Putin and his generals seem poised to turn to the scorched earth strategy they used in "
            "Chechnya and Syria.",
        )
        is None
    )
