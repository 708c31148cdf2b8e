"""The community pages: the quote of the day, the quiz question and its reveal, the quiz leaderboard."""

from __future__ import annotations

from collections import Counter

import discord

from bot.answer.types import Quote
from bot.curation.community import Shown
from bot.curation.quiz import QuizQuestion, RoundResult, Standing
from bot.discord.render.common import (
    FOUND,
    NEUTRAL,
    Rendered,
    attribution_title,
    excerpt_markdown,
    finish,
    footer,
    one_line,
    quote_url,
    source_line,
    summary_line,
)
from bot.discord.render.markdown import escape

QUOTE_BUDGET = 1500  # characters of quote in the embed
MAX_NAMED = 40  # winners named in the reveal; the rest are counted
MEDALS = ("🥇", "🥈", "🥉")


def _attributed(q: Quote, heading: str) -> discord.Embed:
    """The quote, then who said it where (the title links to the sentence)."""
    url = quote_url(q)
    description = f"{excerpt_markdown(q, QUOTE_BUDGET, bold=False)}\n\n{source_line(q.essay, url)}"
    embed = discord.Embed(title=attribution_title(q), url=url, description=description, colour=FOUND)
    embed.set_author(name=heading)
    return embed


def daily_page(shown: Shown) -> Rendered:
    """The quote of the day: the words, then who said them where (the title links to the sentence)."""
    q = shown.quote
    embed = _attributed(q, "Quote of the day")
    embed.set_footer(text=footer(f"Curated quote #{shown.quote_id}", "/quiz start: guess who said one"))
    return finish(f"📜 **Quote of the day:** {summary_line(q)}", [embed])


def leaderboard_page(standings: list[Standing]) -> Rendered:
    """The top players: right answers out of guesses."""
    if not standings:
        text = "Nobody has answered a quiz here yet. Start one with /quiz start."
        return finish(text, [discord.Embed(title="Quiz leaderboard", description=text, colour=NEUTRAL)])
    lines = [
        f"{MEDALS[i] if i < len(MEDALS) else f'{i + 1}.'} <@{s.user_id}>: "
        f"{s.correct} right out of {s.answered} {'guess' if s.answered == 1 else 'guesses'}"
        for i, s in enumerate(standings)
    ]
    embed = discord.Embed(title="Quiz leaderboard", description="\n".join(lines), colour=FOUND)
    embed.set_footer(text="Finished rounds only · /quiz start to play")
    return finish(f"🏆 **Quiz leaderboard**: the top {len(standings)}", [embed])


def question_page(question: QuizQuestion, *, minutes: int, reveal_after: int | None) -> Rendered:
    """The quote without its attribution, and how the round ends."""
    ends = f"The answer comes in {minutes} min"
    if reveal_after is not None:
        ends += ", or once " + ("someone has" if reveal_after == 1 else f"{reveal_after} members have")
        ends += " answered"
    embed = discord.Embed(
        title="Who said this?",
        description=excerpt_markdown(question.shown.quote, QUOTE_BUDGET, bold=False),
        colour=NEUTRAL,
    )
    embed.set_footer(text=footer(f"Curated quote #{question.shown.quote_id}", "one guess per member"))
    return finish(f"🧩 **Quiz:** who said this? Pick an author below. {ends}.", [embed])


def _mentions(user_ids: list[str]) -> str:
    named = " ".join(f"<@{u}>" for u in user_ids[:MAX_NAMED])
    more = len(user_ids) - MAX_NAMED
    return named + (f" and {more} more" if more > 0 else "")


def reveal_page(question: QuizQuestion, result: RoundResult) -> Rendered:
    """The quote with its attribution, the right answer, the tally and who got it right."""
    embed = _attributed(question.shown.quote, "The answer")
    tally = Counter(choice for _, choice, _ in result.guesses)
    lines = [
        f"{'✅' if c == result.answer else '▫️'} {escape(one_line(c))}: {tally.get(c, 0)}"
        for c in result.choices
    ]
    embed.add_field(name="Guesses", value="\n".join(lines) or "No choices", inline=False)
    winners = result.winners
    embed.add_field(
        name=f"Right ({len(winners)} of {len(result.guesses)})",
        value=_mentions(winners) if winners else "Nobody this time.",
        inline=False,
    )
    embed.set_footer(text=footer(f"Curated quote #{question.shown.quote_id}", "/quiz leaderboard"))
    content = f"🧩 **Quiz:** the answer was **{escape(one_line(result.answer))}**."
    return finish(content, [embed])
