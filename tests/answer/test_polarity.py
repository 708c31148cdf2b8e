"""Polarity cues stay quiet on true claims: reported views, other sentences, idioms and assertive words.

Each case pairs a true claim of our own with essay-like text that says the same thing; the cue must
not fire. The last cases check that a plain flip is still caught.
"""

from __future__ import annotations

import pytest

from bot.answer.cues import words
from bot.answer.polarity import best_sentence, contradiction


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        # A view the author reports in order to reject it asserts nothing.
        (
            "defeat in war does not automatically lead to revolution",
            "It would be overly optimistic to claim that defeat in war automatically leads to revolution.",
        ),
        # A second "not" in the same sentence about something else.
        (
            "most records of arming resistance movements are not publicly available",
            "Most records of it are not publicly available (at least, not that I was able to find).",
        ),
        # "not just" and "not only" negate nothing.
        (
            "the sanctions hurt not only Putin but the whole economy",
            "The sanctions do not just target Putin and his bureaucracy, but the entire economy.",
        ),
        # The affirmative sentence beside the negated one speaks of something else.
        (
            "supporting Ukraine does not mean uncritically backing Zelensky's government",
            "It does not mean uncritically supporting the Zelensky government. It means turning the "
            "resistance into a movement for social justice.",
        ),
        # A negation in the claim's own subordinate clause ("when that failed") negates nothing after it.
        (
            "plan A was to inflict a strategic defeat on Russia and, when that failed, plan B is to "
            "focus on China",
            "For the U.S., plan A was to use Ukraine to inflict a strategic defeat on Russia.",
        ),
    ],
)
def test_no_negation_cue_on_a_true_claim(claim: str, passage: str) -> None:
    assert contradiction(claim, passage) is None


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        # The passage has a word of the claim's direction beside the same actor.
        (
            "Russia was looted while China profited from its factories",
            "From 1989 to 2008 Russia was plundered; China was happy to play a subordinate role, "
            "generating superprofits from its factories.",
        ),
        # "made it clear" asserts; it is not praise facing the claim's "humiliation".
        (
            "Trump's humiliation of Zelensky showed that the U.S. wants Ukraine as a subservient proxy",
            "In his meeting with Zelensky, Trump made it clear that the U.S. expects Ukraine to be a "
            "subservient proxy.",
        ),
        # "great power" names a rank, not a judgement.
        (
            "Washington is lining up its allies for great power rivalry with Russia",
            "Sanctions send a message about Washington's power and the risks to its allies and to Russia.",
        ),
    ],
)
def test_no_direction_cue_on_a_true_claim(claim: str, passage: str) -> None:
    assert contradiction(claim, passage) is None


def test_four_digits_in_a_range_of_counts_are_not_a_year() -> None:
    assert (
        contradiction(
            "their Azov numbers are from 2019",
            "Estimates of membership in the Azov Battalion range from 900 – 1500.",
        )
        is None
    )


def test_a_preposition_between_two_actors_is_no_swapped_role() -> None:
    assert (
        contradiction(
            "Ukrainians must unite against oppression to beat Moscow's attempt to divide them",
            "Neither Washington nor Moscow but solidarity against war, and support for the Ukrainian right "
            "of self-determination.",
        )
        is None
    )


def test_do_little_to_is_a_negation() -> None:
    cue = contradiction(
        "a Russian victory would foster discontent in American society",
        "A Russian victory will do little to foster discontent among its ranks or in American society.",
    )
    assert cue is not None and cue.kind == "negation"


def test_the_sentence_compared_is_the_one_sharing_most_words() -> None:
    claim = words("a Russian victory would restore stability")
    text = "Nothing was ever certain. A Russian victory would not restore stability to the region."
    assert best_sentence(claim, text).startswith("A Russian victory")
    cue = contradiction("a Russian victory would restore stability", text)
    assert cue is not None and cue.kind == "negation"


def test_a_sentence_ends_after_a_closing_quote_but_not_inside_us() -> None:
    text = "Our slogan is “Neither Washington Nor Moscow.” We support the U.S. Left and the Ukrainian right."
    best = best_sentence(words("support the Ukrainian right"), text)
    assert best == "We support the U.S. Left and the Ukrainian right."
