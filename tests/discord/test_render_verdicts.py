"""Verdicts rendered for Discord: "says otherwise" with its own colour, the real speaker and what
differs; support words instead of a percentage; the content always starts with the headline."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from test_render import HOSTILE, LONG_META, META, assert_fits, found, not_found, quote

from bot.answer.types import Contradiction, WhoSaidAnswer
from bot.answer.wording import headline
from bot.discord.render import answers as render
from bot.discord.render.common import corrected
from bot.discord.render.markdown import escape

MASON = replace(
    META, authors=("Paul Mason",), title="Ukraine: Outlines of a Marxist position", date="2022-03"
)


def contradicted(**extra: Any) -> WhoSaidAnswer:
    q = quote("Russia was plundered by the American-led order.", meta=MASON, match="paraphrase")
    c = Contradiction(q, "says “plundered”, not “prospered”", "opposite")
    closest = [q, replace(quote("Another related passage.", match="paraphrase"), passage_id="p2")]
    return not_found("Who said Russia prospered?", contradicted_by=[c], closest=closest, **extra)


def test_contradicted_answer_has_its_colour_label_speaker_and_difference() -> None:
    answer = contradicted()
    r = render.who_said(answer, visibility="public")
    assert_fits(r)
    assert r.content.startswith(escape(headline(answer)))
    assert r.content.startswith("Not found: no essay in this library says that. Paul Mason, Ukraine")
    (e,) = r.embeds
    assert e.colour == render.CONTRADICTED and e.author.name == "Says otherwise"
    assert e.title == "Paul Mason, Ukraine: Outlines of a Marxist position"
    assert (e.description or "").startswith("No essay in this library says “Who said Russia prospered?”.")
    differs = {f.name: f.value for f in e.fields}["What differs"]
    assert "says the opposite: says “plundered”, not “prospered”" in str(differs)
    # The contradicting passage is shown once, then the related passage that is not among them.
    assert render.result_count(answer) == 2
    second = render.who_said(answer, 1, visibility="public")
    assert_fits(second)
    assert second.embeds[0].title == "Not found: says otherwise"
    assert second.embeds[1].title == "Related passage — not a match"
    assert second.content.startswith("Not found: no essay in this library says that.")


def test_contradicted_speaker_is_the_quoted_one_never_the_author() -> None:
    q = quote("Sanctions never hurt anyone.", meta=MASON, match="paraphrase", speaker="Henry Kissinger",
              speaker_role="quoted")  # fmt: skip
    answer = not_found(contradicted_by=[Contradiction(q, "says “never”", "negation")], closest=[q])
    r = render.who_said(answer, visibility="ephemeral")
    assert (
        r.embeds[0].title
        == "Henry Kissinger, quoted by Paul Mason in Ukraine: Outlines of a Marxist position"
    )
    assert "Henry Kissinger, quoted by Paul Mason" in r.content
    assert "Paul Mason, Ukraine" not in r.content


def test_hostile_contradiction_stays_text_within_limits() -> None:
    q = quote(HOSTILE * 3, meta=LONG_META, match="paraphrase", speaker=HOSTILE, speaker_role="quoted")
    cs = [Contradiction(q, HOSTILE * 40, cue) for cue in ("number", "negation", "mix", "moderators")]
    answer = not_found(HOSTILE * 30, contradicted_by=cs, closest=[q] * 5, diff_summary=HOSTILE * 20)
    for i in range(render.result_count(answer)):
        r = render.who_said(answer, i, visibility="public")
        assert_fits(r)
        for md in [r.content] + [str(e.to_dict()) for e in r.embeds]:
            assert "@everyone" not in md and "<@123>" not in md and "<#1>" not in md and "<@&1>" not in md
            assert "```" not in md
    why = render.why(answer)
    assert_fits(why)
    assert "@everyone" not in why.content + str(why.embeds[0].to_dict())


def test_found_shows_support_words_and_no_percentage() -> None:
    answer = found(quote("In other words."), support="probably_means_this")
    r = render.who_said(answer, visibility="public")
    assert r.embeds[0].author.name == (
        "Exact quote · Probably means this: the wording differs, check the context"
    )
    assert r.content.startswith("Found. Probably means this: the wording differs, check the context")
    assert "%" not in r.content + str(r.embeds[0].author.name)


def test_corrected_answer_still_starts_with_the_verdict() -> None:
    answer = contradicted()
    r = corrected(render.who_said(answer, visibility="public"))
    assert_fits(r)
    assert r.content.startswith("Not found: no essay in this library says that.")
    assert r.content.endswith("✏️ *Corrected by the moderators*")


def test_why_names_the_cue_or_the_support() -> None:
    assert "Opposite words" in str(render.why(contradicted()).embeds[0].description)
    q = quote("x.", match="paraphrase")
    ruled = not_found(
        contradicted_by=[Contradiction(q, "the moderators marked it", "moderators")], closest=[q]
    )
    assert "The moderators' ruling" in str(render.why(ruled).embeds[0].description)
    says = render.why(found(quote("y."), support="says_this"))
    assert says.content.startswith("Why: Found. Says this.")
    assert "in your words" in str(says.embeds[0].description)
    related = render.why(not_found(closest=[quote("z.", match="paraphrase")]))
    assert "none of them says it clearly" in str(related.embeds[0].description)
